//! Marketplace connectors at work (MULTICHANNEL): a poller that pulls each shop's new buyer
//! messages, orders and return requests from its platform, and the push of replies back.
//!
//! Pulled messages take the same ingest path as every channel (redaction, language, clocks,
//! routing, bot), with the platform's message id as `external_id`, so a pull repeated after a
//! crash stores nothing twice; the cursor is saved only after everything pulled is stored.
//! Each message keeps its platform thread (`reply_to`), and replies to such conversations
//! leave through the outbox like mail does: stored first, pushed by [`push`], retried with
//! backoff. A connector that fails backs off (kefu-connect's `Health`), and its state is
//! shown by `GET /api/v1/connectors`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kefu_connect::{ConnectError, Credentials, Health, Kind, ReplyTarget};
use kefu_store::{ConnectorRow, OutboxItem};
use serde_json::json;

use crate::AppState;

/// Connectors polled per pass.
const BATCH: i64 = 16;
/// A connector whose credentials were refused waits this long before it is tried again
/// (or until its credentials are replaced).
const AUTH_PAUSE: chrono::Duration = chrono::Duration::hours(6);

fn health_of(row: &ConnectorRow, now: DateTime<Utc>) -> Health {
    serde_json::from_value(row.health.clone()).unwrap_or_else(|_| Health::new(now))
}

/// Builds the platform client of a stored connector.
fn client(
    state: &AppState,
    row: &ConnectorRow,
) -> Result<Box<dyn kefu_connect::Connector>, ConnectError> {
    let kind: Kind = row
        .kind
        .parse()
        .map_err(|e: kefu_core::InvalidInput| ConnectError::Rejected(e.0))?;
    let creds: Credentials = kefu_connect::open(&state.master_key, &row.credentials)
        .map_err(|e| ConnectError::Auth(format!("stored credentials cannot be opened: {e}")))?;
    Ok(kefu_connect::connector(kind, &row.base_url, creds))
}

/// Polls every connector that is due; returns how many messages were stored.
pub async fn poll_due(state: &AppState) -> kefu_store::Result<usize> {
    let now = state.clock.now();
    let mut stored = 0;
    for row in state.store.due_connectors(now, BATCH).await? {
        let mut health = health_of(&row, now);
        let outcome = match client(state, &row) {
            Ok(c) => match c.pull(row.cursor.as_deref(), now).await {
                Ok(pull) => crate::desk::pull::store_pull(state, &row, pull)
                    .await
                    .map_err(|e| ConnectError::Transient(format!("storing the pull: {e}"))),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let now = state.clock.now();
        let cursor = match outcome {
            Ok((n, cursor)) => {
                stored += n;
                health.on_success(now);
                state
                    .metrics
                    .connector_polls
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                cursor
            }
            Err(e) => {
                tracing::warn!(connector = row.id, shop = row.shop_id, kind = %row.kind, error = %e, "connector poll failed");
                health.on_failure(&e, now);
                state
                    .metrics
                    .connector_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                None
            }
        };
        let next = health.next_attempt().unwrap_or(now + AUTH_PAUSE);
        let health = serde_json::to_value(&health).unwrap_or_else(|_| json!({}));
        state
            .store
            .save_connector(row.id, cursor, health, next)
            .await?;
    }
    Ok(stored)
}

/// Pushes one outbox reply to its platform thread. `Err` carries the error text and when to
/// try again (`None`: never, the platform refused it for good).
pub async fn push(
    state: &AppState,
    item: &OutboxItem,
) -> Result<String, (String, Option<chrono::Duration>)> {
    let Some(target) = item.reply_to.as_deref() else {
        return Err((
            "the conversation has no platform thread to reply to".into(),
            None,
        ));
    };
    let target: ReplyTarget = serde_json::from_str(target).map_err(|e| {
        (
            format!("the stored platform thread is not readable: {e}"),
            None,
        )
    })?;
    let rows = state
        .store
        .connectors(Some(vec![item.shop_id]))
        .await
        .map_err(|e| (e.to_string(), Some(chrono::Duration::minutes(1))))?;
    let platform = match &target {
        ReplyTarget::Ebay { .. } => "ebay",
        ReplyTarget::Aliexpress { .. } => "aliexpress",
    };
    let Some(row) = rows.iter().find(|r| r.kind == platform) else {
        return Err((
            format!(
                "shop {} has no {platform} connector to send through",
                item.shop_id
            ),
            Some(chrono::Duration::hours(1)),
        ));
    };
    let connector =
        client(state, row).map_err(|e| (e.to_string(), Some(chrono::Duration::hours(1))))?;
    connector
        .push_reply(&target, &item.body)
        .await
        .map_err(|e| {
            state
                .metrics
                .connector_failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let retry = match &e {
                ConnectError::RateLimited { retry_after } => Some(
                    retry_after
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .unwrap_or(chrono::Duration::minutes(1)),
                ),
                ConnectError::Transient(_) | ConnectError::Malformed(_) => {
                    Some(chrono::Duration::seconds(30))
                }
                ConnectError::Auth(_) => Some(chrono::Duration::hours(1)),
                ConnectError::Rejected(_) => None,
            };
            (e.to_string(), retry)
        })
}

/// Runs the poller until the process ends.
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = poll_due(&state).await {
                tracing::warn!(error = %e, "connector pass failed; retrying at the next tick");
            }
        }
    })
}
