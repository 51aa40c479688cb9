//! The scheduler: the timer that runs the breach sweep ([`crate::desk::sweep`]) every few
//! seconds, and brings the KPI rollups up to date ([`crate::desk::reports::refresh_rollups`]).
//!
//! It keeps no state of its own: every sweep asks the store for what is due at the clock's
//! "now", so a restart misses nothing that fell due while kefu was down — the first sweep after
//! start catches it up.

use std::time::Duration;

use crate::AppState;

/// Sweeps now and then every `every` until the process ends.
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = crate::desk::sweep::sweep(&state).await {
                tracing::warn!(error = %e, "scheduler sweep failed; retrying at the next tick");
            }
            // The supervisor's figures follow what was written since the last tick.
            let store = state.store.as_ref();
            if let Err(e) = crate::desk::reports::refresh_rollups(store, every / 2).await {
                tracing::warn!(error = %e, "KPI rollup refresh failed; retrying at the next tick");
            }
        }
    })
}
