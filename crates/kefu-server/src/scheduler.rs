//! The scheduler: marks obligations whose due time has passed as breached (with their events
//! and escalations), through the store's open-due index.
//!
//! It keeps no state of its own: every sweep asks the store for what is due at the clock's
//! "now", so a restart misses nothing that fell due while kefu was down — the first sweep after
//! start catches it up.

use std::sync::atomic::Ordering;
use std::time::Duration;

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

/// Sweeps now and then every `every` until the process ends.
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = %e, "scheduler sweep failed; retrying at the next tick");
            }
        }
    })
}
