//! The agent's desk: the inbox (conversations by their nearest deadline), a conversation with
//! its thread, order, entitlements and clocks, the reply box (guarded as the agent types),
//! notes and status changes, and the live stream that keeps open tabs current.

use std::collections::HashSet;
use std::convert::Infallible;

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use kefu_core::{ConversationStatus, ObligationState};
use kefu_guard::{LintContext, VerdictKind};
use kefu_store::ConversationDetail;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::{csrf_ok, expired_form, layout, not_found, unavailable};
use crate::AppState;
use crate::desk::Caller;
use crate::error::ApiError;
use crate::ui::auth::Viewer;
use crate::ui::i18n::{Lang, Zone};

/// Conversations per inbox page.
const PAGE: usize = 25;

const DESK_JS: &str = include_str!("../../../assets/desk.js");

pub async fn desk_js() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=300"),
        ],
        DESK_JS,
    )
        .into_response()
}

/// The API caller a signed-in agent acts as, so the UI takes the same paths as the API.
pub(crate) fn caller_of(v: &Viewer) -> Caller {
    caller(v)
}

fn caller(v: &Viewer) -> Caller {
    Caller {
        tenant_id: v.agent.tenant_id,
        agent_id: Some(v.agent.id),
        role: v.agent.role,
        actor: format!("agent:{}", v.agent.id),
        name: v.agent.name.clone(),
        shops: v.shops.clone(),
    }
}

mod conversation;
mod forms;
mod inbox;
mod lint;
mod live;
mod overview;
mod parts;
mod side;

pub use conversation::*;
pub use forms::*;
pub use inbox::*;
pub use lint::*;
pub use live::*;
pub use overview::*;
pub use parts::*;
use side::*;

/// The translation key naming one part of the inbox (the clock filter's options).
pub(super) fn part_label(p: kefu_store::InboxPart) -> &'static str {
    match p {
        kefu_store::InboxPart::Overdue => "overdue",
        kefu_store::InboxPart::Running => "clock_running",
        kefu_store::InboxPart::NoClock => "no_clock",
    }
}

/// A deadline the page's script counts down: red when passed, amber with under a fifth of
/// its time left; the due time in the viewer's zone and, labelled, the shop's local time.
pub(super) fn countdown(
    lang: Lang,
    due: DateTime<Utc>,
    opened: DateTime<Utc>,
    rule: &str,
    shop_tz: chrono_tz::Tz,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Markup {
    let left = lang.left(due, now);
    html! {
        span.countdown.breached[due < now] data-due=(due.to_rfc3339()) data-opened=(opened.to_rfc3339()) { (left) }
        " " small.rule { (rule) }
        " " small { (when(lang, due, zone, now)) " · " span.shoptime { (lang.shop_time(due, shop_tz, zone, now)) } }
    }
}

/// A moment as the desk writes it everywhere ([`Lang::when`]); the script rewrites it in the
/// browser's zone when the page was rendered before the browser told its zone.
pub(super) fn when(
    lang: Lang,
    t: DateTime<Utc>,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Markup {
    html! { time.when datetime=(t.to_rfc3339()) { (lang.when(t, zone, now)) } }
}

/// The keys the desk knows, with the keys themselves as keys.
pub(super) fn keys_hint(lang: Lang) -> Markup {
    match lang {
        Lang::Zh => {
            html! { p.hint { "快捷键：" kbd { "j" } "/" kbd { "k" } " 上下移动，" kbd { "Enter" } " 打开；会话页 " kbd { "r" } " 回复，" kbd { "e" } " 标记解决（买家还没收到回复时会先请您确认）。" } }
        }
        Lang::En => {
            html! { p.hint { "Keys: " kbd { "j" } "/" kbd { "k" } " move, " kbd { "Enter" } " opens; in a conversation " kbd { "r" } " replies, " kbd { "e" } " resolves (asking first when the buyer has had no answer)." } }
        }
    }
}

/// What a buyer is called: the name they gave, else their handle; a web-chat visitor without
/// a name is "访客 17" / "Visitor 17" by their customer number, never the visitor token.
pub(crate) fn buyer_name(
    lang: Lang,
    name: Option<&str>,
    handle: &str,
    customer_id: Option<i64>,
) -> String {
    if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
        return n.to_string();
    }
    match handle.strip_prefix("web:") {
        Some(token) => {
            // Without the customer's number (the inbox row), a short number from the token:
            // the same visitor keeps it.
            let n = customer_id.unwrap_or_else(|| {
                token
                    .bytes()
                    .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
                    as i64
                    % 10_000
            });
            format!("{} {n}", lang.t("visitor"))
        }
        None => handle.to_string(),
    }
}

pub(super) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}
