//! The breach sweep: marks obligations whose due time has passed as breached, with their
//! events and the escalations the rulebook asked for when it opened them
//! (`escalate_on_breach`), through the store's open-due index.

use std::sync::atomic::Ordering;

use kefu_store::Breach;

use crate::AppState;

/// Obligations marked per transaction; bounds how long one sweep holds the writer.
const BATCH: i64 = 1000;

/// Marks everything due now; returns the breaches in due order.
pub async fn sweep(state: &AppState) -> kefu_store::Result<Vec<Breach>> {
    let now = state.clock.now();
    let mut all = Vec::new();
    loop {
        let batch = state.store.breach_due(now, BATCH).await?;
        let done = (batch.len() as i64) < BATCH;
        all.extend(batch);
        if done {
            break;
        }
    }
    if !all.is_empty() {
        state
            .metrics
            .breaches
            .fetch_add(all.len() as u64, Ordering::Relaxed);
        for b in &all {
            tracing::debug!(conversation = b.conversation_id, rule = %b.rule, severity = %b.severity, escalated = b.escalated, "obligation breached");
        }
        if let Some(search) = &state.search {
            for b in all.iter().filter(|b| b.escalated) {
                search.mark_stale(b.conversation_id);
            }
        }
        let escalated = all.iter().filter(|b| b.escalated).count();
        tracing::info!(breaches = all.len(), escalated, "scheduler marked breaches");
    }
    Ok(all)
}
