//! Admin pages: shops (platform, time zone, pack and overrides), agents (role, languages,
//! shops, password) and API tokens. They call the same use cases as the API (`crate::desk::admin`),
//! so the same checks apply; a refused form comes back with what was typed and the reason.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kefu_core::{Platform, Role};
use maud::html;
use serde::Deserialize;

use super::desk::caller_of;
use super::{csrf_ok, expired_form, forbidden, layout, unavailable};
use crate::AppState;
use crate::error::ApiError;
use crate::ui::auth::Viewer;

mod agents;
mod coverage;
mod shops;
mod teams;

pub use agents::*;
pub use coverage::*;
pub use shops::*;
pub use teams::*;

/// `"2, 3"` → `[2, 3]`; `None` when something in it is not a number.
pub(super) fn id_list(text: &str) -> Option<Vec<i64>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect()
}

/// Which field a refusal is about, from the words the check uses for it.
pub(super) fn field_of(message: &str, fields: &[(&str, &'static str)]) -> Option<&'static str> {
    let lower = message.to_lowercase();
    fields
        .iter()
        .find(|(word, _)| lower.contains(word))
        .map(|(_, field)| *field)
}

const SHOP_FIELDS: &[(&str, &str)] = &[
    ("time zone", "timezone"),
    ("json", "settings"),
    ("settings", "settings"),
    ("pack", "settings"),
    ("platform", "platform"),
    ("name", "name"),
];

const AGENT_FIELDS: &[(&str, &str)] = &[
    ("email", "email"),
    ("password", "password"),
    ("shop", "shops"),
    ("role", "role"),
    ("name", "name"),
];

/// The refusal, under the field it is about.
pub(super) fn beside(error: Option<&str>, at: Option<&str>, field: &str) -> maud::Markup {
    html! {
        @if let (Some(e), Some(f)) = (error, at) {
            @if f == field { p.field-error role="alert" id=(format!("{field}-error")) { (e) } }
        }
    }
}
