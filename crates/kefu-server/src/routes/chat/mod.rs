//! The web chat channel (MULTICHANNEL): the public API behind the widget a shop embeds with one
//! `<script>` tag, under `/chat/v1`.
//!
//! A visitor has no account. The server hands it a *visitor token*: a random id with an HMAC
//! under the master key, so it cannot be forged or guessed and needs no table. The buyer is
//! the customer `web:<id>` of the shop; their messages take the same ingest path as every
//! channel (redaction, language, clocks, routing, the off-hours bot).
//!
//! Nothing is lost or doubled: each message carries a client id the widget makes before
//! sending, so a retry after a dropped connection is recognised as the same message; the
//! stream replays from the database what a reconnecting widget has not seen (by message id).
//! Public endpoints are rate-limited per visitor and per IP address; so are new tokens and new
//! conversations per IP address (a script minting tokens would flood the inbox).
//!
//! An order number a visitor gives is linked to their conversation only when they prove the
//! order theirs (see [`crate::order_proof`]); until then it is kept as an unverified claim and
//! neither the bot nor the agent's page reads that order's facts for them (PRIV-PURPOSE).

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use hmac::{Hmac, Mac};
use kefu_core::{Channel, ConversationStatus, Direction, event_kind};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::desk::ingest::{CustomerRef, InboundRequest, ingest};
use crate::desk::validate::non_empty;
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientIp;
use crate::extract::JsonBody;
use crate::live::{LiveEvent, LiveKind, Party};
use crate::order_proof::{self, ProofKind};
use crate::shop_rules::ShopRules;

/// Longest chat message, in characters: a chat line, not a letter (mail allows more).
pub const MAX_CHAT_CHARS: usize = 2_000;

/// The widget, embedded in the binary: no third-party asset, nothing fetched at run time.
const WIDGET_JS: &str = include_str!("../../../assets/widget.js");

mod actions;
mod files;
mod messages;
mod stream;
mod visitor;
mod widget;

pub use actions::*;
pub use files::*;
pub use messages::*;
pub use stream::*;
pub use visitor::*;
pub use widget::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    pub shop_id: i64,
    /// A token from an earlier session, kept by the widget: the same visitor continues.
    pub token: Option<String>,
    /// The browser's language (`navigator.language`), for the off-hours notice.
    pub language: Option<String>,
}

/// Starts (or resumes) a visitor's chat with a shop: the token, and whether the shop is open
/// now, with its notice when it is not.
pub async fn session(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(req): JsonBody<SessionRequest>,
) -> ApiResult<Json<Value>> {
    limit_ip(&state, &ip)?;
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, req.shop_id)
        .await?;
    let token = match req.token.as_deref().map(|t| verify(&state.master_key, t)) {
        Some(Ok(v)) if v.shop_id == req.shop_id => req.token.clone().unwrap_or_default(),
        _ => {
            // Resuming is free; a new visitor is a new buyer to the desk (item 4a).
            if let Some(ip) = ip.0 {
                state
                    .limits
                    .tokens_per_ip
                    .check(&ip.to_string(), state.clock.now())
                    .map_err(|wait| {
                        ApiError::too_many("too many new chat sessions from this address", wait)
                    })?;
            }
            new_token(&state.master_key, req.shop_id)?
        }
    };
    let lang = req
        .language
        .as_deref()
        .and_then(|l| l.split(['-', '_']).next())
        .map(str::to_ascii_lowercase)
        .filter(|l| l.len() == 2);
    let now = state.clock.now();
    let (open, next_open) = opening(&rules, now);
    let notice = (!open).then(|| off_hours_notice(&rules, lang.as_deref(), next_open, now));
    Ok(Json(json!({
        "token": token,
        "shop": {"id": rules.shop.id, "name": rules.shop.name},
        "open": open,
        "next_open": next_open.map(|t| t.with_timezone(&rules.pack.timezone).to_rfc3339()),
        "notice": notice,
        "max_chars": MAX_CHAT_CHARS,
        // What the widget asks for beside an order number.
        "order_proof": ProofKind::from_setting(rules.overrides.order_proof.as_deref()).as_str(),
    })))
}

/// Whether the shop's working hours include `now`, and when they next begin if not.
pub(super) fn opening(rules: &ShopRules, now: DateTime<Utc>) -> (bool, Option<DateTime<Utc>>) {
    let Some(calendar) = rules.pack.calendar_ref(&rules.pack.shop_calendar) else {
        return (true, None);
    };
    if calendar.is_open(now) {
        return (true, None);
    }
    // One business second from now lands just after the next opening.
    let next = calendar
        .add_business(now, chrono::Duration::seconds(1))
        .map(|t| t - chrono::Duration::seconds(1));
    (false, next)
}

/// The shop's own off-hours text in the visitor's language, else a plain one of ours.
pub(super) fn off_hours_notice(
    rules: &ShopRules,
    lang: Option<&str>,
    next_open: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let tz = rules.pack.timezone;
    let due = next_open
        .map(|t| {
            let local = t.with_timezone(&tz);
            if local.date_naive() == now.with_timezone(&tz).date_naive() {
                local.format("%H:%M").to_string()
            } else {
                local.format("%m-%d %H:%M").to_string()
            }
        })
        .unwrap_or_default();
    let own = rules.overrides.offhours_reply.as_ref().and_then(|t| {
        lang.and_then(|l| t.get(l))
            .or_else(|| t.get("en"))
            .or_else(|| t.values().next())
    });
    let text = match (own, lang) {
        (Some(text), _) => text.clone(),
        (None, Some("zh")) => {
            "您好，现在是非工作时间。请留下您的问题，客服会在{due}上班后第一时间回复您。".into()
        }
        (None, Some("de")) => {
            "Hallo! Wir sind gerade außerhalb unserer Arbeitszeit. Schreiben Sie uns Ihre Frage, wir antworten ab {due}.".into()
        }
        (None, Some("es")) => {
            "¡Hola! Ahora estamos fuera de nuestro horario. Déjenos su pregunta y le responderemos a partir de las {due}.".into()
        }
        (None, _) => {
            "Hello! We are outside our working hours right now. Leave your question and an agent will answer from {due}.".into()
        }
    };
    text.replace("{due}", &due)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_cannot_be_forged() {
        let key = "a-master-key-of-sixteen";
        let token = new_token(key, 7).unwrap();
        let v = verify(key, &token).unwrap();
        assert_eq!(v.shop_id, 7);
        assert_eq!(v.handle(), format!("web:{}", v.id));
        // Another shop, another key, a changed visitor id: all refused.
        let moved = token.replacen("7.", "8.", 1);
        assert!(verify(key, &moved).is_err());
        assert!(verify("another-master-key-16", &token).is_err());
        let mut chars: Vec<char> = token.chars().collect();
        let i = token.find('.').unwrap() + 1;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        assert!(verify(key, &chars.into_iter().collect::<String>()).is_err());
        for junk in ["", "...", "7", "7.abc.def", "x.y.z"] {
            assert!(verify(key, junk).is_err(), "{junk:?}");
        }
    }
}
