//! The visitor's live stream: replays from the database what a reconnecting widget has
//! not seen (by message id), then follows the live hub.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    pub token: String,
    /// The visitor's conversation, once the widget knows it (from its first message).
    pub conversation: Option<i64>,
    /// The last message id the widget has shown (after a page reload); `Last-Event-ID`
    /// takes its place when the browser reconnects by itself.
    pub after: Option<i64>,
}

/// Where a stream is: what it still has to send from the store and what it has sent.
pub(super) struct Cursor {
    state: AppState,
    rx: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
    visitor: Visitor,
    handle: Arc<str>,
    conversation: Option<i64>,
    last_id: i64,
    pending: VecDeque<SseEvent>,
}

/// The visitor's live stream (server-sent events): `message` (with the message id as the
/// event id), `typing` and `status`. On connect it first replays stored messages after
/// `Last-Event-ID` (or `after`).
pub async fn stream(
    State(state): State<AppState>,
    ip: ClientIp,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &q.token)?;
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = last_event_id.or(q.after).unwrap_or(0);
    // Subscribe before reading the store, so nothing published in between is missed; what
    // arrives twice is dropped by id.
    let rx = state.live.subscribe();
    let mut cursor = Cursor {
        handle: visitor.handle().into(),
        rx,
        visitor,
        conversation: q.conversation,
        last_id: after,
        pending: VecDeque::new(),
        state,
    };
    if let Some(id) = q.conversation {
        visitor_conversation(&cursor.state, &cursor.visitor, id).await?;
        cursor.replay().await?;
    }
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        let next = c.next().await?;
        Some((Ok(next), c))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(StdDuration::from_secs(15))))
}

impl Cursor {
    /// Queues the stored messages of the conversation after `last_id`.
    async fn replay(&mut self) -> ApiResult<()> {
        let Some(id) = self.conversation else {
            return Ok(());
        };
        let detail = visitor_conversation(&self.state, &self.visitor, id).await?;
        let bot: HashSet<i64> = detail
            .events
            .iter()
            .filter(|e| e.kind == event_kind::REPLY_SENT && e.data["bot"] == true)
            .filter_map(|e| e.data["message_id"].as_i64())
            .collect();
        for m in &detail.messages {
            if m.id <= self.last_id
                || !matches!(m.direction, Direction::Inbound | Direction::Outbound)
            {
                continue;
            }
            let event = message_event(
                id,
                m.id,
                m.direction,
                &m.body,
                m.created_at,
                bot.contains(&m.id),
            );
            self.last_id = m.id;
            self.pending.push_back(event);
        }
        Ok(())
    }

    /// The next event for this visitor; `None` ends the stream (the server is stopping).
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            match self.rx.recv().await {
                Ok(e) => {
                    if e.shop_id != self.visitor.shop_id || e.customer_handle != self.handle {
                        continue;
                    }
                    self.conversation = Some(e.conversation_id);
                    match &e.kind {
                        LiveKind::Message {
                            id,
                            direction,
                            body,
                            at,
                            bot,
                        } => {
                            if *id <= self.last_id {
                                continue;
                            }
                            self.last_id = *id;
                            return Some(message_event(
                                e.conversation_id,
                                *id,
                                *direction,
                                body,
                                *at,
                                *bot,
                            ));
                        }
                        LiveKind::Typing { from: Party::Agent } => {
                            return Some(
                                SseEvent::default().event("typing").data(
                                    json!({"conversation_id": e.conversation_id}).to_string(),
                                ),
                            );
                        }
                        // Buyers see neither their own typing nor the desk's incidents.
                        LiveKind::Typing { from: Party::Buyer }
                        | LiveKind::IncidentAlert { .. } => {
                            continue;
                        }
                        LiveKind::Status { status } => {
                            return Some(SseEvent::default().event("status").data(
                                json!({"conversation_id": e.conversation_id, "status": status, "rate": matches!(status, ConversationStatus::Resolved | ConversationStatus::Closed)})
                                    .to_string(),
                            ));
                        }
                    }
                }
                // Fell behind: read what was missed from the store instead.
                Err(RecvError::Lagged(_)) => {
                    if let Err(e) = self.replay().await {
                        tracing::warn!(error = %e.message, "chat stream could not catch up");
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

pub(super) fn message_event(
    conversation_id: i64,
    id: i64,
    direction: Direction,
    body: &str,
    at: DateTime<Utc>,
    bot: bool,
) -> SseEvent {
    SseEvent::default()
        .event("message")
        .id(id.to_string())
        .data(
            json!({
                "conversation_id": conversation_id,
                "id": id,
                "from": if direction == Direction::Inbound { "buyer" } else { "shop" },
                "body": body,
                "at": at.to_rfc3339(),
                "bot": bot,
            })
            .to_string(),
        )
}
