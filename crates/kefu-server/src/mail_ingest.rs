//! One home for turning a raw buyer mail into a stored message, whichever way it reached
//! kefu: the SMTP listener (`smtp.rs`) and the IMAP fetcher (`imap.rs`) both hand their
//! bytes here (MULTICHANNEL). The mail is parsed by kefu-mail and goes through the common
//! ingest path (redaction, language, the shop's clocks); a mail that cannot be read is kept
//! whole as a failed ingest, so nothing a sender was told we took is lost.

use kefu_core::Channel;
use kefu_store::FailedIngest;

use crate::AppState;
use crate::desk::ingest::{CustomerRef, InboundRequest, ingest};

/// Which shops a mail is for.
#[derive(Debug, Clone, Copy)]
pub enum Shops<'a> {
    /// Named by the SMTP envelope (checked at RCPT) or by the mailbox's configuration.
    Given(&'a [i64]),
    /// Read from the mail's own To addresses (`shop<ID>@…`, `name+<ID>@…`), as a mailbox
    /// that collects several shops' mail (plus-addressing at the provider) needs.
    FromRecipients,
}

/// What became of a mail. Only `TryLater` means it is not durable yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// Stored as a buyer message of each shop (or recognised as already stored).
    Stored,
    /// Unreadable or refused by the ingest rules: kept whole for an operator.
    Kept(String),
    /// The store could not write it now: nothing was kept, the sender should try again.
    TryLater(String),
}

impl MailOutcome {
    /// Whether the mail is safely in the database (as a message or a failed ingest).
    pub fn is_durable(&self) -> bool {
        !matches!(self, MailOutcome::TryLater(_))
    }
}

/// Parses and ingests one raw mail. `fallback_id` names the mail when it has no
/// Message-ID of its own (the IMAP fetcher passes the mailbox's UIDVALIDITY and UID), so
/// that fetching it again after a crash stores it once.
pub async fn ingest_mail(
    state: &AppState,
    raw: Vec<u8>,
    shops: Shops<'_>,
    fallback_id: Option<String>,
) -> MailOutcome {
    let mail = match kefu_mail::parse_inbound(&raw) {
        Ok(m) => m,
        Err(e) => return keep_failed(state, raw, e.to_string()).await,
    };
    let from_recipients: Vec<i64>;
    let shops = match shops {
        Shops::Given(list) => list,
        Shops::FromRecipients => {
            from_recipients = mail.to.iter().filter_map(|a| shop_of(a)).collect();
            if from_recipients.is_empty() {
                let error = format!(
                    "no shop: none of the recipients {:?} names one (write to shop<ID>@ or name+<ID>@, or give the mailbox a shop)",
                    mail.to
                );
                return keep_failed(state, raw, error).await;
            }
            &from_recipients
        }
    };
    for &shop_id in shops {
        let request = InboundRequest {
            shop_id,
            channel: Channel::Email,
            customer: CustomerRef {
                handle: mail.from_address.clone(),
                name: mail.from_name.clone(),
                language: mail.language_hint.clone(),
            },
            order_external_id: None,
            body: mail.text.clone(),
            received_at: None,
            external_id: mail.message_id.clone().or_else(|| fallback_id.clone()),
            reply_to: None,
        };
        if let Err(e) = ingest(state, request).await {
            if e.is_transient() {
                return MailOutcome::TryLater(e.to_string());
            }
            return keep_failed(state, raw, e.to_string()).await;
        }
    }
    MailOutcome::Stored
}

async fn keep_failed(state: &AppState, raw: Vec<u8>, error: String) -> MailOutcome {
    tracing::warn!(error = %error, bytes = raw.len(), "mail could not be ingested; kept as a failed ingest");
    match state
        .store
        .record_failed_ingest(FailedIngest {
            channel: Channel::Email,
            received_at: state.clock.now(),
            error: error.clone(),
            raw,
        })
        .await
    {
        Ok(_) => MailOutcome::Kept(error),
        Err(e) => MailOutcome::TryLater(e.to_string()),
    }
}

/// The shop a recipient address names: `shop42@…` or `support+42@…`.
pub fn shop_of(address: &str) -> Option<i64> {
    let local = address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .split('@')
        .next()?;
    if let Some(id) = local.strip_prefix("shop") {
        return id.parse().ok();
    }
    local.rsplit_once('+').and_then(|(_, id)| id.parse().ok())
}
