//! What the widget reports besides messages: typing, a reply shown, the buyer's rating.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitorAction {
    pub token: String,
    pub conversation_id: i64,
    /// `ack`: the reply the widget has shown.
    pub message_id: Option<i64>,
    /// `csat`: 1 (very unhappy) to 5 (very happy).
    pub score: Option<i64>,
    pub comment: Option<String>,
}

/// The buyer is typing: shown to the agents who have the conversation open.
pub async fn typing(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<VisitorAction>,
) -> ApiResult<StatusCode> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &req.token)?;
    let detail = visitor_conversation(&state, &visitor, req.conversation_id).await?;
    state.live.publish(LiveEvent {
        shop_id: visitor.shop_id,
        conversation_id: detail.conversation.id,
        customer_handle: visitor.handle().into(),
        kind: LiveKind::Typing { from: Party::Buyer },
    });
    Ok(StatusCode::NO_CONTENT)
}

/// The widget has shown a reply: its delivery is recorded in the thread, once.
pub async fn ack(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<VisitorAction>,
) -> ApiResult<StatusCode> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &req.token)?;
    let message_id = req
        .message_id
        .ok_or_else(|| ApiError::invalid("message_id is required"))?;
    let detail = visitor_conversation(&state, &visitor, req.conversation_id).await?;
    if !detail
        .messages
        .iter()
        .any(|m| m.id == message_id && m.direction == Direction::Outbound)
    {
        return Err(ApiError::not_found(format!(
            "reply {message_id} is not in conversation {}",
            req.conversation_id
        )));
    }
    let already = detail
        .events
        .iter()
        .any(|e| e.kind == event_kind::REPLY_DELIVERED && e.data["message_id"] == message_id);
    if !already {
        state
            .store
            .log_event(
                req.conversation_id,
                state.clock.now(),
                event_kind::REPLY_DELIVERED,
                "visitor",
                json!({"message_id": message_id, "channel": "web_chat"}),
            )
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The buyer's satisfaction rating at the end of a chat; one per conversation.
pub async fn csat(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<VisitorAction>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &req.token)?;
    let detail = visitor_conversation(&state, &visitor, req.conversation_id).await?;
    let score = crate::desk::rating::rate(
        &state,
        &detail,
        req.score,
        req.comment.as_deref(),
        "visitor",
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"score": score}))))
}
