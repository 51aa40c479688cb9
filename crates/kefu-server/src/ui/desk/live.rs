//! `/live`: the server-sent events that keep an agent's open tabs current.

use super::*;

/// `GET /live`: server-sent events for a signed-in agent: every new message and status change
/// in the agent's tenant (a supervisor's overview and every open tab stay current), and for
/// supervisors the incidents opened or raised.
pub async fn live(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.live.subscribe();
    let shops: HashSet<i64> = state
        .store
        .shops(viewer.agent.tenant_id)
        .await
        .map(|s| {
            s.into_iter()
                .map(|s| s.id)
                .filter(|id| viewer.may_see_shop(*id))
                .collect()
        })
        .unwrap_or_default();
    // Incidents alert the supervisors (COLLECTIVE-3LEVEL); agents are not paged with them.
    let supervisor = viewer.at_least(kefu_core::Role::Supervisor);
    let events = futures_util::stream::unfold((rx, shops), move |(mut rx, shops)| async move {
        loop {
            match rx.recv().await {
                Ok(e)
                    if matches!(e.kind, crate::live::LiveKind::IncidentAlert { .. })
                        && !supervisor =>
                {
                    continue;
                }
                Ok(e) if shops.contains(&e.shop_id) => {
                    let kind = match &e.kind {
                        crate::live::LiveKind::Message { .. } => "message",
                        crate::live::LiveKind::Typing { .. } => "typing",
                        crate::live::LiveKind::Status { .. } => "status",
                        crate::live::LiveKind::IncidentAlert { .. } => "incident_alert",
                    };
                    let data = serde_json::to_string(&*e).unwrap_or_default();
                    return Some((Ok(SseEvent::default().event(kind).data(data)), (rx, shops)));
                }
                Ok(_) => continue,
                // Fell behind: tell the page to reload what it shows.
                Err(RecvError::Lagged(_)) => {
                    return Some((
                        Ok(SseEvent::default().event("resync").data("{}")),
                        (rx, shops),
                    ));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
