//! The web UI, rendered on the server (maud) with its stylesheet embedded: nothing to build,
//! nothing fetched. Every page needs a signed-in session ([`auth::Viewer`]); every form that
//! changes something carries the session's CSRF token and is refused without it.
//!
//! Pages: sign-in and sign-out, the home page (the tenant's shops), the agent's desk (inbox,
//! conversation, overview), reports, incidents, each shop's FAQ (the bot's answers;
//! supervisors edit them), the admin pages and the marketplace connectors with their health.
//! Every signed-in page loads the desk script (countdowns, local times, the live stream).

pub mod admin;
pub mod auth;
pub mod chart;
mod connectors;
pub mod desk;
mod faq;
pub mod i18n;
mod incidents;
mod rate;
mod reports;
pub(crate) mod scorecards;
mod signin;
mod texts;

use connectors::*;
use faq::*;
use signin::*;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kefu_core::Role;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::extract::hash_token;
use auth::Viewer;
use i18n::Lang;

const CSS: &str = include_str!("../../assets/app.css");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/me/availability", post(set_availability))
        .route("/lang", get(set_lang))
        .route("/admin/faqs", get(faqs_page).post(faq_save))
        .route("/admin/faqs/delete", post(faq_delete))
        .route("/admin/faqs/presets", post(faq_presets))
        .route("/admin/connectors", get(connectors_page))
        .route("/assets/app.css", get(css))
        .route("/assets/desk.js", get(desk::desk_js))
        .route("/inbox", get(desk::inbox))
        .route("/conversations/{id}", get(desk::conversation))
        .route("/conversations/{id}/reply", post(desk::reply))
        .route("/conversations/{id}/note", post(desk::note))
        .route("/conversations/{id}/status", post(desk::set_status))
        .route("/conversations/{id}/complaint", post(desk::mark_complaint))
        .route(
            "/conversations/{id}/complaint/resolution",
            post(desk::resolve_complaint),
        )
        .route("/conversations/{id}/cases", post(desk::open_case))
        .route("/files/{id}", get(desk::file))
        .route("/conversations/{id}/assign", post(desk::reassign))
        .route("/conversations/{id}/take", post(desk::take))
        .route("/conversations/{id}/typing", post(desk::typing))
        .route("/conversations/{id}/cases/{case_id}", post(desk::move_case))
        .route("/ui/lint", post(desk::lint))
        .route("/live", get(desk::live))
        .route("/overview", get(desk::overview))
        .route(
            "/incidents",
            get(incidents::incidents_page).post(incidents::open_incident),
        )
        .route("/incidents/{id}", get(incidents::incident_page))
        .route("/incidents/{id}/reply", post(incidents::reply_to_all))
        .route("/incidents/{id}/actions", post(incidents::incident_action))
        .route("/reports", get(reports::reports_page))
        .route(
            "/rate/{id}/{token}",
            get(rate::rate_page).post(rate::rate_submit),
        )
        .route("/reports/conversations", get(reports::drill_page))
        .route("/reports/kpis.csv", get(reports::kpis_csv))
        .route(
            "/reports/conversations.csv",
            get(reports::drill_csv_download),
        )
        .route(
            "/admin/shops",
            get(admin::shops_page).post(admin::create_shop),
        )
        .route(
            "/admin/agents",
            get(admin::agents_page).post(admin::create_agent),
        )
        .route("/admin/tokens", post(admin::create_token))
        .route("/admin/agents/unlock", post(admin::unlock_agent))
        .route(
            "/admin/teams",
            get(admin::teams_page).post(admin::create_team),
        )
        .route("/admin/shifts", post(admin::set_shift))
        .route("/admin/coverage", get(admin::coverage_page))
        .route("/admin/shops/settings", post(admin::update_shop))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        CSS,
    )
        .into_response()
}

/// The frame of every page: header with navigation, language switch and sign-out.
pub(crate) fn layout(
    lang: Lang,
    title: &str,
    viewer: Option<&Viewer>,
    body: Markup,
) -> Html<String> {
    let page = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("app")) }
                link rel="stylesheet" href="/assets/app.css";
                @if viewer.is_some() { script src="/assets/desk.js" defer {} }
            }
            body {
                header.top {
                    a.brand href="/" { "客服 kefu" }
                    @if let Some(v) = viewer {
                        nav aria-label=(lang.t("app")) {
                            a href="/inbox" { (lang.t("inbox")) }
                            @if v.at_least(Role::Supervisor) {
                                a href="/overview" { (lang.t("overview")) }
                                a href="/reports" { (lang.t("reports")) }
                                a href="/incidents" { (lang.t("incidents")) }
                                a href="/admin/coverage" { (lang.t("coverage")) }
                            }
                            a href="/" { (lang.t("shops")) }
                            a href="/admin/connectors" { (lang.t("connectors")) }
                            @if v.at_least(Role::Admin) {
                                a href="/admin/shops" { (lang.t("admin_shops")) }
                                a href="/admin/agents" { (lang.t("agents")) }
                                a href="/admin/teams" { (lang.t("teams")) }
                            }
                        }
                        span.who { (lang.t("signed_in_as")) " " span translate="no" { (v.agent.name) } " (" (lang.role(v.agent.role)) ")" }
                        form.inline method="post" action="/me/availability" {
                            input type="hidden" name="csrf" value=(v.csrf);
                            button.small type="submit" name="available" value="true" { (lang.t("available")) }
                            button.small type="submit" name="available" value="false" { (lang.t("away")) }
                        }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(v.csrf);
                            button type="submit" { (lang.t("sign_out")) }
                        }
                    }
                    a.lang href=(format!("/lang?to={}", if lang == Lang::Zh { "en" } else { "zh" })) lang=(if lang == Lang::Zh { "en" } else { "zh" }) {
                        @if lang == Lang::Zh { "English" } @else { "中文" }
                    }
                }
                // Incidents opened or raised while a supervisor works (COLLECTIVE-3LEVEL): the
                // desk script writes each alert from the live stream here.
                @if viewer.is_some_and(|v| v.at_least(Role::Supervisor)) {
                    div #incident-alerts role="status" aria-live="polite" data-label=(lang.t("incident_alert")) data-level=(lang.t("level")) data-open=(lang.t("open_it")) {}
                }
                main id="main" { (body) }
            }
        }
    };
    Html(page.into_string())
}

pub(crate) fn forbidden(lang: Lang, viewer: &Viewer) -> Response {
    (
        StatusCode::FORBIDDEN,
        layout(
            lang,
            lang.t("forbidden"),
            Some(viewer),
            html! { p.error role="alert" { (lang.t("forbidden")) } },
        ),
    )
        .into_response()
}

/// A form's CSRF token must be the session's: a page of another site cannot post as the agent.
pub(crate) fn csrf_ok(viewer: &Viewer, sent: &str) -> bool {
    let a = viewer.csrf.as_bytes();
    let b = sent.as_bytes();
    a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
        && !a.is_empty()
}

pub(crate) fn expired_form(viewer: &Viewer) -> Response {
    let lang = viewer.lang;
    (
        StatusCode::FORBIDDEN,
        layout(
            lang,
            lang.t("expired_form"),
            Some(viewer),
            html! { p.error role="alert" { (lang.t("expired_form")) } },
        ),
    )
        .into_response()
}

// ---- home ------------------------------------------------------------------------------------

async fn home(State(state): State<AppState>, viewer: Viewer) -> Response {
    let lang = viewer.lang;
    let shops = match state.store.shops(viewer.agent.tenant_id).await {
        Ok(mut s) => {
            s.retain(|s| viewer.may_see_shop(s.id));
            s
        }
        Err(e) => return unavailable(lang, &viewer, e),
    };
    layout(
        lang,
        lang.t("home"),
        Some(&viewer),
        html! {
            h1 { (lang.t("shops")) }
            table {
                thead { tr { th scope="col" { (lang.t("shop")) } th scope="col" { (lang.t("platform")) } th scope="col" { (lang.t("timezone")) } th scope="col" { (lang.t("faq")) } } }
                tbody {
                    @for s in &shops {
                        tr {
                            td translate="no" { (s.name) }
                            td { (lang.platform(s.platform.as_str())) }
                            td translate="no" { (s.timezone) }
                            td { a href=(format!("/admin/faqs?shop={}", s.id)) { (lang.t("faq")) } }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

pub(crate) fn unavailable(lang: Lang, viewer: &Viewer, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page could not be built");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        layout(
            lang,
            "503",
            Some(viewer),
            html! { p.error role="alert" { (lang.t("db_unavailable")) } },
        ),
    )
        .into_response()
}

pub(crate) fn not_found(viewer: &Viewer) -> Response {
    let lang = viewer.lang;
    (
        StatusCode::NOT_FOUND,
        layout(
            lang,
            "404",
            Some(viewer),
            html! { p.error role="alert" { (lang.t("not_found")) } },
        ),
    )
        .into_response()
}
