//! Visitor tokens (an HMAC under the master key: no table, cannot be forged) and the
//! rate limits of the public endpoints, per visitor and per IP address.

use super::*;

pub(super) fn limit(
    limiter: &crate::ratelimit::RateLimiter,
    key: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    limiter
        .check(key, now)
        .map_err(|wait| ApiError::too_many("too many chat requests", wait))
}

/// Per-IP limit for every public request; behind a proxy all visitors share its address, so
/// the per-IP allowance is generous and the per-visitor one is the tight one.
pub(super) fn limit_ip(state: &AppState, ip: &ClientIp) -> ApiResult<()> {
    match ip.0 {
        Some(ip) => limit(&state.limits.per_ip, &ip.to_string(), state.clock.now()),
        None => Ok(()),
    }
}

/// Refuses a message that would start a conversation when its address has started too many
/// lately (issue 10, item 4a). A visitor already chatting continues unhindered.
pub(super) fn limit_new_conversation(
    state: &AppState,
    ip: &ClientIp,
    visitor: &Visitor,
) -> ApiResult<()> {
    let Some(ip) = ip.0 else { return Ok(()) };
    if state.limits.chatting.contains(&visitor.id) {
        return Ok(());
    }
    state
        .limits
        .conversations_per_ip
        .peek(&ip.to_string(), state.clock.now())
        .map_err(|wait| ApiError::too_many("too many new chats from this address", wait))
}

/// Counts a stored message against the conversation limit when it started a conversation.
pub(super) fn count_conversation(
    state: &AppState,
    ip: &ClientIp,
    visitor: &Visitor,
    outcome: &kefu_store::IngestOutcome,
) {
    state.limits.chatting.insert(&visitor.id);
    if let (true, Some(ip)) = (outcome.new_conversation, ip.0) {
        // Already allowed by the peek before storing; a concurrent burst may overshoot by a
        // few, which the next peek then refuses.
        let _ = state
            .limits
            .conversations_per_ip
            .check(&ip.to_string(), state.clock.now());
    }
}

type HmacSha256 = Hmac<Sha256>;

pub(super) fn signature(master_key: &str, shop_id: i64, visitor: &str) -> String {
    let mut mac =
        HmacSha256::new_from_slice(master_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("kefu web chat visitor|{shop_id}|{visitor}").as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new visitor token for `shop_id`: `<shop>.<random id>.<mac>`.
pub(super) fn new_token(master_key: &str, shop_id: i64) -> ApiResult<String> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| {
        tracing::error!(error = %e, "no randomness for a visitor id");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "could not start a chat; try again",
        )
    })?;
    let visitor = hex(&id);
    let mac = signature(master_key, shop_id, &visitor);
    Ok(format!("{shop_id}.{visitor}.{mac}"))
}

/// A verified visitor: the shop they chat with and their id.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub shop_id: i64,
    pub id: String,
}

impl Visitor {
    /// The customer handle of this visitor in their shop.
    pub fn handle(&self) -> String {
        format!("web:{}", self.id)
    }
}

pub(super) fn verify(master_key: &str, token: &str) -> ApiResult<Visitor> {
    let bad = || ApiError::unauthorized("the chat token is not valid; start a new chat session");
    let mut parts = token.trim().splitn(3, '.');
    let (Some(shop), Some(visitor), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let shop_id: i64 = shop.parse().map_err(|_| bad())?;
    if visitor.len() != 32 || !visitor.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let expected = signature(master_key, shop_id, visitor);
    // Constant-time comparison: the MAC is the only secret here.
    let same = expected.len() == mac.len()
        && expected
            .bytes()
            .zip(mac.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(bad());
    }
    Ok(Visitor {
        shop_id,
        id: visitor.to_string(),
    })
}

/// The conversation `id`, if it is this visitor's (anything else is "does not exist").
pub(super) async fn visitor_conversation(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
) -> ApiResult<kefu_store::ConversationDetail> {
    let missing = || ApiError::not_found(format!("conversation {id} does not exist"));
    let detail = state.store.conversation(id).await?.ok_or_else(missing)?;
    if detail.conversation.shop_id != visitor.shop_id || detail.customer.handle != visitor.handle()
    {
        return Err(missing());
    }
    Ok(detail)
}

/// The id the widget makes for a message before its first attempt to send it (a retry
/// repeats it, so the message is stored once): 1 to 64 letters, digits, `-` or `_`.
pub(super) fn check_client_id(client_id: &str) -> ApiResult<()> {
    if client_id.is_empty()
        || client_id.len() > 64
        || !client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::invalid(
            "client_id must be 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    Ok(())
}
