//! A buyer's chat message, with an order number proved theirs or kept as a claim.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    pub token: String,
    /// Made by the widget before the first attempt to send; a retry repeats it.
    pub client_id: String,
    pub body: String,
    pub name: Option<String>,
    /// An order number the buyer gave. It is linked to the conversation only with a proof
    /// below; otherwise it is kept as an unverified claim.
    pub order: Option<String>,
    /// What the shop asks for as proof (its `order_proof` setting, named in the session):
    /// the buyer's email, their phone's last four digits or their postcode.
    pub order_proof: Option<String>,
    /// A signed link from the shop's order page (`EXPIRES.MAC`), proving the order instead.
    pub order_link: Option<String>,
}

/// How the visitor proved `order` theirs (`email`, `phone_tail`, `postcode`,
/// `signed_link`), or `None`. A wrong proof and an order that does not exist give the same
/// `None` after the same work, so the answer does not tell whether the order exists; every
/// attempt counts against the visitor's and the address's allowance.
pub(super) async fn order_proved(
    state: &AppState,
    visitor: &Visitor,
    ip: &ClientIp,
    order: &str,
    proof: Option<&str>,
    link: Option<&str>,
) -> ApiResult<Option<&'static str>> {
    if proof.is_none() && link.is_none() {
        return Ok(None);
    }
    let now = state.clock.now();
    let too_many = |wait| ApiError::too_many("too many order checks", wait);
    state
        .limits
        .proofs_per_visitor
        .check(&visitor.id, now)
        .map_err(too_many)?;
    if let Some(ip) = ip.0 {
        state
            .limits
            .proofs_per_ip
            .check(&ip.to_string(), now)
            .map_err(too_many)?;
    }
    if let Some(link) = link
        && order_proof::link_proves(&state.master_key, visitor.shop_id, order, link, now)
    {
        return Ok(Some("signed_link"));
    }
    if let Some(proof) = proof {
        let rules = state
            .shops
            .get(state.store.as_ref(), &state.packs, visitor.shop_id)
            .await?;
        let kind = ProofKind::from_setting(rules.overrides.order_proof.as_deref());
        let buyer = state
            .store
            .order_buyer(visitor.shop_id, order)
            .await?
            .unwrap_or_default();
        if order_proof::proves(kind, proof, kind.stored(&buyer)) {
            return Ok(Some(kind.as_str()));
        }
    }
    Ok(None)
}

/// The chat message's fields, checked: the trimmed body, the client id, and the order number
/// with what the visitor offers as its proof.
struct Checked<'a> {
    body: &'a str,
    client_id: &'a str,
    order: Option<String>,
    proof: Option<&'a str>,
    link: Option<&'a str>,
}

/// The sender's mistakes, caught before anything is read or counted.
fn check(req: &ChatMessage) -> ApiResult<Checked<'_>> {
    let body = req.body.trim();
    if body.chars().count() > MAX_CHAT_CHARS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "a chat message may have at most {MAX_CHAT_CHARS} characters; split it or send it by email"
            ),
        ));
    }
    non_empty("body", body, MAX_CHAT_CHARS)?;
    let client_id = req.client_id.trim();
    check_client_id(client_id)?;
    let order = req
        .order
        .as_deref()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty());
    if let Some(o) = &order {
        non_empty("order", o, 100)?;
    }
    let proof = req.order_proof.as_deref().filter(|p| !p.trim().is_empty());
    let link = req.order_link.as_deref().filter(|l| !l.trim().is_empty());
    if order.is_none() && (proof.is_some() || link.is_some()) {
        return Err(ApiError::invalid(
            "order_proof and order_link prove an order: send the order number too",
        ));
    }
    if proof.is_some_and(|p| p.chars().count() > 200) || link.is_some_and(|l| l.len() > 200) {
        return Err(ApiError::invalid(
            "order_proof and order_link have at most 200 characters",
        ));
    }
    Ok(Checked {
        body,
        client_id,
        order,
        proof,
        link,
    })
}

/// A buyer's chat message: `201` once durable, `200` for a retry of one already stored.
pub async fn post_message(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<ChatMessage>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &req.token)?;
    let msg = check(&req)?;
    limit(&state.limits.per_visitor, &visitor.id, state.clock.now())?;
    limit_new_conversation(&state, &ip, &visitor)?;
    let proved = match &msg.order {
        Some(o) => order_proved(&state, &visitor, &ip, o, msg.proof, msg.link).await?,
        None => None,
    };
    let outcome = ingest(
        &state,
        InboundRequest {
            shop_id: visitor.shop_id,
            channel: Channel::WebChat,
            customer: CustomerRef {
                handle: visitor.handle(),
                name: req.name.as_ref().map(|n| n.chars().take(100).collect()),
                language: None,
            },
            // Only a proved order is linked: the bot answers from the linked order alone.
            order_external_id: msg.order.clone().filter(|_| proved.is_some()),
            body: msg.body.to_string(),
            received_at: None,
            external_id: Some(format!("webchat:{}:{}", visitor.id, msg.client_id)),
            reply_to: None,
        },
    )
    .await?;
    count_conversation(&state, &ip, &visitor, &outcome);
    // A retry of a stored message: its order was handled the first time.
    if let Some(o) = msg.order.as_ref().filter(|_| !outcome.duplicate) {
        record_order(&state, outcome.conversation_id, o, proved).await?;
    }
    let status = if outcome.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({
            "conversation_id": outcome.conversation_id,
            "message_id": outcome.message_id,
            "duplicate": outcome.duplicate,
            // The same answer for a wrong proof and an order that does not exist.
            "order": msg.order.map(|o| json!({"number": o, "verified": proved.is_some()})),
        })),
    ))
}

/// A proved order is recorded as verified in the conversation's log (the ingest linked it);
/// an unproved one is kept as the visitor's claim, linked to nothing.
async fn record_order(
    state: &AppState,
    conversation_id: i64,
    order: &str,
    proved: Option<&'static str>,
) -> ApiResult<()> {
    let now = state.clock.now();
    match proved {
        Some(how) => {
            state
                .store
                .log_event(
                    conversation_id,
                    now,
                    event_kind::ORDER_VERIFIED,
                    "visitor",
                    json!({"order": order, "by": how}),
                )
                .await?
        }
        None => state.store.claim_order(conversation_id, order, now).await?,
    }
    Ok(())
}

/// `GET /api/v1/shops/{id}/order-link-secret` (admins): the shop's secret for signing order
/// links on its own order pages, and how to use it (see [`crate::order_proof`]).
pub async fn order_link_secret(
    State(state): State<AppState>,
    caller: crate::desk::Caller,
    Path(shop_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(kefu_core::Role::Admin)?;
    state.tenant_shop(&caller, shop_id).await?;
    Ok(Json(json!({
        "shop_id": shop_id,
        "secret": order_proof::link_secret(&state.master_key, shop_id),
        "signs": "{shop_id}|{order external id}|{expires, Unix seconds}",
        "algorithm": "HMAC-SHA256, the secret's text as key; data-order-link=\"{expires}.{hex MAC}\"",
        "max_days": order_proof::MAX_LINK_DAYS,
    })))
}
