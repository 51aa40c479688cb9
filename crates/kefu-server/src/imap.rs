//! Fetching buyers' mail from the seller's own mailbox at a provider (QQ Mail, 163, Gmail,
//! Outlook) over IMAP with TLS: the inbound half of the email channel when mail does not
//! come to kefu's SMTP port (MULTICHANNEL).
//!
//! Each pass logs in, selects the mailbox and takes every mail with a UID above the cursor
//! kept in the store (the mailbox's UIDVALIDITY and the last UID stored). Each mail goes
//! through the same ingest as the SMTP listener (`mail_ingest`). Only once that ingest is
//! durable (stored, or kept whole as a failed ingest) is the cursor advanced and the mail
//! flagged `\Seen` at the provider; so a crash or a refused write fetches the mail again
//! next time, and the ingest's external id (the Message-ID, else the UIDVALIDITY and UID)
//! stores it once. Mail is read with `BODY.PEEK[]`, which leaves the flag alone until then.
//! A new UIDVALIDITY means the provider renumbered the mailbox: the cursor starts over, and
//! the external ids keep what was already stored from being stored again.

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use kefu_store::MailCursor;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::net::TcpStream;

use crate::AppState;
use crate::mail_ingest::{MailOutcome, Shops, ingest_mail};
use crate::mail_url::ServerUrl;

const CONNECT: Duration = Duration::from_secs(30);
/// A whole pass: login, search, fetch and store of one batch run.
const PASS: Duration = Duration::from_secs(600);
/// Mails fetched per FETCH command (each is held in memory until stored).
const BATCH: usize = 20;

/// One mailbox to read, from `--imap-url imaps://USER:PASSWORD@HOST[:993]/MAILBOX[?shop=ID]`.
#[derive(Clone)]
pub struct ImapSource {
    pub host: String,
    pub port: u16,
    pub user: String,
    password: String,
    pub mailbox: String,
    /// The shop its mail belongs to; without one, each mail's recipients name it
    /// (`name+<ID>@…`, as plus-addressing at the provider gives).
    pub shop: Option<i64>,
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for ImapSource {
    // By hand: the password must not reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

impl ImapSource {
    /// Parses an `--imap-url`; `ca_pem` holds certificates trusted besides the platform's
    /// (`--imap-ca`).
    pub fn parse(url: &str, ca_pem: Option<&[u8]>) -> Result<ImapSource, String> {
        let url = ServerUrl::parse(url).map_err(|e| format!("--imap-url: {e}"))?;
        if url.scheme != "imaps" {
            return Err(format!(
                "--imap-url: the scheme must be imaps:// (IMAP over TLS, port 993), not {}://: the password would cross the network in clear",
                url.scheme
            ));
        }
        let (Some(user), Some(password)) = (url.user.clone(), url.password.clone()) else {
            return Err(
                "--imap-url: give the login as imaps://USER:PASSWORD@HOST/MAILBOX (an app password at most providers)"
                    .into(),
            );
        };
        let shop = url
            .param("shop")
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| format!("--imap-url: shop={s:?} is not a shop id"))
            })
            .transpose()?;
        if let Some((key, _)) = url.query.iter().find(|(k, _)| k != "shop") {
            return Err(format!(
                "--imap-url: unknown parameter {key:?} (only shop=ID)"
            ));
        }
        Ok(ImapSource {
            host: url.host,
            port: url.port.unwrap_or(993),
            user,
            password,
            mailbox: if url.path.is_empty() {
                "INBOX".into()
            } else {
                url.path
            },
            shop,
            tls: tls_config(ca_pem)?,
        })
    }

    /// The mailbox's name in the cursor table (no password).
    pub fn key(&self) -> String {
        format!(
            "imaps://{}@{}:{}/{}",
            self.user, self.host, self.port, self.mailbox
        )
    }
}

/// rustls on ring with the platform's trust store, plus the PEM certificates given.
pub fn tls_config(ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, String> {
    let extra: Vec<CertificateDer<'static>> = match ca_pem {
        Some(pem) => {
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("the CA file is not PEM certificates: {e}"))?;
            if certs.is_empty() {
                return Err("the CA file holds no certificate".into());
            }
            certs
        }
        None => Vec::new(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
            .map_err(|e| format!("TLS trust store: {e}"))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    /// Mails stored as buyer messages.
    pub stored: usize,
    /// Mails kept as failed ingests.
    pub kept: usize,
}

/// Fetches and ingests everything new in `source` once.
pub async fn fetch_once(state: &AppState, source: &ImapSource) -> Result<Pass, String> {
    tokio::time::timeout(PASS, pass(state, source))
        .await
        .map_err(|_| format!("{source:?}: the pass took longer than {PASS:?}"))?
}

async fn pass(state: &AppState, source: &ImapSource) -> Result<Pass, String> {
    let at = format!("{}:{}", source.host, source.port);
    let tcp = tokio::time::timeout(CONNECT, TcpStream::connect(&at))
        .await
        .map_err(|_| format!("IMAP server {at} did not answer"))?
        .map_err(|e| format!("cannot reach IMAP server {at}: {e}"))?;
    let name = ServerName::try_from(source.host.clone())
        .map_err(|e| format!("{:?} is not a host name: {e}", source.host))?;
    let tls = tokio::time::timeout(
        CONNECT,
        tokio_rustls::TlsConnector::from(source.tls.clone()).connect(name, tcp),
    )
    .await
    .map_err(|_| format!("IMAP server {at}: TLS handshake timed out"))?
    .map_err(|e| format!("IMAP server {at}: TLS: {e}"))?;
    let mut client = async_imap::Client::new(tls);
    client
        .read_response()
        .await
        .map_err(|e| format!("IMAP server {at}: {e}"))?
        .ok_or_else(|| format!("IMAP server {at} closed before its greeting"))?;
    let mut session = client
        .login(&source.user, &source.password)
        .await
        .map_err(|(e, _)| format!("IMAP login as {} at {at} refused: {e}", source.user))?;
    let result = take_new(state, source, &mut session).await;
    // A failed logout changes nothing of what was stored.
    let _ = session.logout().await;
    result
}

async fn take_new<T>(
    state: &AppState,
    source: &ImapSource,
    session: &mut async_imap::Session<T>,
) -> Result<Pass, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let key = source.key();
    let mailbox = session
        .select(&source.mailbox)
        .await
        .map_err(|e| format!("{key}: SELECT: {e}"))?;
    let uid_validity = mailbox
        .uid_validity
        .ok_or_else(|| format!("{key}: the server gave no UIDVALIDITY"))?;
    let cursor = state
        .store
        .mail_cursor(&key)
        .await
        .map_err(|e| e.to_string())?;
    let last = match cursor {
        Some(c) if c.uid_validity == uid_validity => c.last_uid,
        Some(c) => {
            tracing::warn!(mailbox = %key, old = c.uid_validity, new = uid_validity, "UIDVALIDITY changed: reading the mailbox from its start");
            0
        }
        None => 0,
    };
    let mut pass = Pass::default();
    if mailbox.uid_next.is_some_and(|next| next <= last + 1) || mailbox.exists == 0 {
        return Ok(pass);
    }
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", last + 1))
        .await
        .map_err(|e| format!("{key}: SEARCH: {e}"))?
        .into_iter()
        // "N:*" also matches the highest UID when it is below N.
        .filter(|&uid| uid > last)
        .collect();
    uids.sort_unstable();
    let shop_list: Vec<i64> = source.shop.into_iter().collect();
    let shops = if shop_list.is_empty() {
        Shops::FromRecipients
    } else {
        Shops::Given(&shop_list)
    };
    for batch in uids.chunks(BATCH) {
        let set = batch
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut mails: Vec<(u32, Vec<u8>)> = session
            .uid_fetch(&set, "(UID BODY.PEEK[])")
            .await
            .map_err(|e| format!("{key}: FETCH: {e}"))?
            .try_filter_map(|f| async move { Ok(f.uid.zip(f.body().map(<[u8]>::to_vec))) })
            .try_collect()
            .await
            .map_err(|e| format!("{key}: FETCH: {e}"))?;
        mails.sort_by_key(|(uid, _)| *uid);
        for (uid, raw) in mails {
            let fallback = format!("imap.{uid_validity}.{uid}@{}", source.host);
            match ingest_mail(state, raw, shops, Some(fallback)).await {
                MailOutcome::Stored => pass.stored += 1,
                MailOutcome::Kept(_) => pass.kept += 1,
                MailOutcome::TryLater(e) => {
                    // Not durable: the cursor stays, the next pass fetches it again.
                    return Err(format!("{key}: UID {uid} not stored yet: {e}"));
                }
            }
            state
                .store
                .save_mail_cursor(
                    &key,
                    MailCursor {
                        uid_validity,
                        last_uid: uid,
                    },
                    state.clock.now(),
                )
                .await
                .map_err(|e| e.to_string())?;
            // The seller sees in their webmail what kefu took; failing to flag loses nothing.
            match session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await
            {
                Ok(stream) => {
                    let _ = stream.try_collect::<Vec<_>>().await;
                }
                Err(e) => tracing::debug!(mailbox = %key, uid, error = %e, "could not flag \\Seen"),
            }
        }
    }
    Ok(pass)
}

/// Reads every mailbox every `every` until the process ends; a failing mailbox is logged
/// and tried again at the next turn, without holding up the others.
pub fn spawn(
    state: AppState,
    sources: Vec<ImapSource>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for source in &sources {
                match fetch_once(&state, source).await {
                    Ok(p) if p.stored + p.kept > 0 => {
                        tracing::info!(mailbox = ?source, stored = p.stored, kept = p.kept, "mail fetched over IMAP");
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(mailbox = ?source, error = %e, "IMAP pass failed; trying again at the next turn")
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::ImapSource;

    #[test]
    fn imap_urls() {
        let s = ImapSource::parse(
            "imaps://seller%40qq.com:app-pass@imap.qq.com/INBOX?shop=3",
            None,
        )
        .unwrap();
        assert_eq!(
            (s.port, s.shop, s.mailbox.as_str()),
            (993, Some(3), "INBOX")
        );
        assert_eq!(s.key(), "imaps://seller@qq.com@imap.qq.com:993/INBOX");
        assert!(!format!("{s:?}").contains("app-pass"));
        let e = ImapSource::parse("imap://u:p@h/INBOX", None).unwrap_err();
        assert!(e.contains("imaps://"), "{e}");
        assert!(
            ImapSource::parse("imaps://h/INBOX", None)
                .unwrap_err()
                .contains("USER:PASSWORD")
        );
        assert!(
            ImapSource::parse("imaps://u:p@h/INBOX?shop=x", None)
                .unwrap_err()
                .contains("shop")
        );
        assert!(
            ImapSource::parse("imaps://u:p@h/INBOX?box=1", None)
                .unwrap_err()
                .contains("unknown")
        );
        assert!(ImapSource::parse("imaps://u:p@h", Some(b"not pem")).is_err());
    }
}
