//! The outbox sender: replies to email conversations, and to marketplace threads a connector
//! brought in, leave here, after they are stored. Marketplace replies are pushed through the
//! shop's connector (`crate::connectors::push`) with the same records and retries.
//!
//! Every second it takes the due entries (through the outbox's pending index), builds each
//! mail with kefu-mail — threaded under the buyer's last mail — and hands it to the SMTP relay
//! the site names (`--smtp-relay`: plain, STARTTLS or TLS, with AUTH; `smtp_client`). A refusal or an unreachable relay is retried with backoff
//! (30 s, 1 min, 2 min … up to 1 h) and given up on after `MAX_ATTEMPTS`, each attempt visible
//! in the thread's event log. The Message-ID is derived from the outbox entry, so if kefu dies
//! between the relay's "250" and recording it, the repeat carries the same id and the buyer's
//! mail system drops the duplicate.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kefu_store::{Delivery, OutboxItem};

use crate::AppState;
use crate::smtp_client;

const MAX_ATTEMPTS: i64 = 10;
const BATCH: i64 = 100;

/// Where and as whom mail is sent.
#[derive(Debug, Clone)]
pub struct Relay {
    /// The SMTP relay: address, TLS, credentials (`--smtp-relay` and friends).
    pub target: smtp_client::RelayTarget,
    /// lettre's transport for `target`, built once at start (so a bad CA file stops the
    /// server instead of failing every reply).
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    /// The shop's sender address.
    pub from: String,
    /// Domain for Message-IDs (and the EHLO name).
    pub domain: String,
    /// Wait before the first retry; it doubles with each failure, up to an hour.
    pub backoff: Duration,
    /// The desk's public address (`--public-url`): when set, every reply carries rating
    /// links to it (`crate::rating_link`, FEEDBACK-RATING).
    pub public_url: Option<String>,
}

impl Relay {
    pub fn new(
        target: smtp_client::RelayTarget,
        from: String,
        domain: String,
        backoff: Duration,
    ) -> Result<Relay, String> {
        let transport = target.transport(&domain)?;
        Ok(Relay {
            target,
            transport,
            from,
            domain,
            backoff,
            public_url: None,
        })
    }
}

/// Sends everything due now; returns how many were sent. Mail needs `relay`; without one,
/// email replies wait (and say so in their thread) until a relay is configured.
pub async fn send_due(state: &AppState, relay: Option<&Relay>) -> kefu_store::Result<usize> {
    let now = state.clock.now();
    let due = state.store.due_outbox(now, BATCH).await?;
    let mut sent = 0;
    for item in due {
        let attempts = item.attempts + 1;
        let backoff = |base: i64| {
            (attempts < MAX_ATTEMPTS)
                .then(|| now + chrono::Duration::seconds((base << (attempts - 1).min(7)).min(3600)))
        };
        let result = match (item.channel.as_str(), relay) {
            ("email", Some(relay)) => send(relay, &item, &state.master_key, now)
                .await
                .map_err(|e| (e, backoff(relay.backoff.as_secs().max(1) as i64))),
            ("email", None) => Err((
                "no SMTP relay is configured (kefu serve --smtp-relay); the reply waits".into(),
                Some(now + chrono::Duration::hours(1)),
            )),
            ("marketplace", _) => {
                crate::connectors::push(state, &item)
                    .await
                    .map_err(|(e, retry)| {
                        let at = retry.and_then(|wait| {
                            // The platform's own wait when it gave one, else our backoff.
                            backoff(30).map(|b| b.max(now + wait))
                        });
                        (e, at)
                    })
            }
            (other, _) => Err((format!("no sender for channel {other}"), None)),
        };
        let outcome = match result {
            Ok(external_id) => {
                sent += 1;
                Delivery::Sent { external_id }
            }
            Err((error, retry_at)) => {
                tracing::warn!(outbox = item.id, attempts, error = %error, "reply not sent");
                Delivery::Failed { error, retry_at }
            }
        };
        state
            .store
            .record_delivery(item.id, state.clock.now(), outcome)
            .await?;
    }
    Ok(sent)
}

async fn send(
    relay: &Relay,
    item: &OutboxItem,
    master_key: &str,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let mut body = item.body.clone();
    if let Some(url) = &relay.public_url {
        body.push_str(&crate::rating_link::footer(
            url,
            master_key,
            item.conversation_id,
        ));
    }
    let mail = kefu_mail::OutboundMail {
        from: relay.from.clone(),
        from_name: Some(item.shop_name.clone()),
        to: item.recipient.clone(),
        subject: format!("your message to {}", item.shop_name),
        body,
        in_reply_to: item.in_reply_to.clone(),
        references: Vec::new(),
        message_id_domain: relay.domain.clone(),
        date: now,
    };
    let message_id = format!("kefu.{}.{}@{}", item.id, item.message_id, relay.domain);
    let bytes = kefu_mail::build_reply_with_message_id(&mail, &message_id);
    smtp_client::send(
        &relay.transport,
        &relay.target,
        &relay.from,
        &item.recipient,
        &bytes,
    )
    .await?;
    Ok(message_id)
}

/// Runs the sender until the process ends.
pub fn spawn(
    state: AppState,
    relay: Option<Relay>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = send_due(&state, relay.as_ref()).await {
                tracing::warn!(error = %e, "outbox pass failed; retrying at the next tick");
            }
        }
    })
}
