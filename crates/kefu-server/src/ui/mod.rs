//! The web UI, rendered on the server (maud) with its stylesheet embedded: nothing to build,
//! nothing fetched. Every page needs a signed-in session ([`auth::Viewer`]); every form that
//! changes something carries the session's CSRF token and is refused without it.
//!
//! Pages so far: sign-in and sign-out, the home page (the tenant's shops), each shop's FAQ
//! (the bot's answers; supervisors edit them) and the marketplace connectors with their health.

pub mod admin;
pub mod auth;
pub mod desk;
pub mod i18n;

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
            }
            body {
                header.top {
                    a.brand href="/" { "客服 kefu" }
                    @if let Some(v) = viewer {
                        nav aria-label=(lang.t("app")) {
                            a href="/inbox" { (lang.t("inbox")) }
                            @if v.at_least(Role::Supervisor) { a href="/overview" { (lang.t("overview")) } }
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

// ---- sign-in -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// The page the browser came from (its path on this site only), for going back after a
/// header action.
fn back_path(headers: &HeaderMap) -> String {
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()));
    safe_next(back.as_deref())
}

/// Only paths of this site are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/inbox".into(),
    }
}

fn login_form(
    lang: Lang,
    next: &str,
    csrf: &str,
    email: &str,
    error: Option<&str>,
) -> Html<String> {
    layout(
        lang,
        lang.t("sign_in"),
        None,
        html! {
            form.card.login method="post" action="/login" {
                h1 { (lang.t("sign_in")) }
                @if let Some(e) = error { p.error role="alert" id="login-error" { (e) } }
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label for="email" { (lang.t("email")) }
                input id="email" name="email" type="email" autocomplete="username" required value=(email);
                label for="password" { (lang.t("password")) }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { (lang.t("sign_in")) }
            }
        },
    )
}

/// The sign-in form also carries a token tied to a cookie, so another site cannot sign a
/// browser in to an account of its choosing.
async fn login_page(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let lang = Lang::pick(&headers, &[]);
    let token = auth::random_hex(16);
    let mut response =
        login_form(lang, &safe_next(q.next.as_deref()), &token, "", None).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "kefu_login={token}; Path=/login; HttpOnly; SameSite=Strict"
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    pub csrf: String,
    pub next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ip: crate::extract::ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = Lang::pick(&headers, &[]);
    let next = safe_next(f.next.as_deref());
    let email = f.email.trim().to_lowercase();
    let again = |status: StatusCode, error: &str| {
        // A fresh form token; what was typed (but the password) stays.
        let token = auth::random_hex(16);
        let mut r = (status, login_form(lang, &next, &token, &email, Some(error))).into_response();
        if let Ok(v) = HeaderValue::from_str(&format!(
            "kefu_login={token}; Path=/login; HttpOnly; SameSite=Strict"
        )) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        r
    };
    let expected = auth::cookie(&headers, "kefu_login").unwrap_or_default();
    if expected.is_empty() || expected != f.csrf {
        return again(StatusCode::FORBIDDEN, lang.t("expired_form"));
    }
    let now = state.clock.now();
    // Locks are per (account, address) and the same for unknown emails (item 4b).
    let ip = ip.0.map(|a| a.to_string()).unwrap_or_default();
    if state.limits.sign_in.locked(&email, &ip, now).is_some() {
        return again(StatusCode::TOO_MANY_REQUESTS, lang.t("locked"));
    }
    let record = match state.store.login_record(&email).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "sign-in lookup failed");
            return again(StatusCode::SERVICE_UNAVAILABLE, lang.t("db_unavailable"));
        }
    };
    // An unknown email, or an agent without a password, costs the same argon2 work as a
    // wrong password, so the answer's timing does not tell which emails exist.
    let hash = record
        .as_ref()
        .and_then(|r| r.password_hash.as_deref())
        .unwrap_or(auth::decoy_hash());
    let ok = auth::verify_password(&f.password, hash)
        && record.as_ref().is_some_and(|r| r.password_hash.is_some());
    let record = match record {
        Some(r) if ok => r,
        _ => {
            // Nothing is written for a failure, known email or not: a database write only
            // for known ones would show in the answer's timing.
            return if state.limits.sign_in.fail(&email, &ip, now).is_some() {
                again(StatusCode::TOO_MANY_REQUESTS, lang.t("locked"))
            } else {
                again(StatusCode::UNAUTHORIZED, lang.t("wrong_login"))
            };
        }
    };
    state.limits.sign_in.succeed(&email, &ip);
    let _ = state
        .store
        .record_login(record.agent.id, true, i64::MAX, now)
        .await;
    let token = auth::random_hex(32);
    let csrf = auth::random_hex(16);
    if token.is_empty() || csrf.is_empty() {
        return again(StatusCode::SERVICE_UNAVAILABLE, lang.t("db_unavailable"));
    }
    let expires = now + chrono::Duration::hours(auth::SESSION_HOURS);
    if let Err(e) = state
        .store
        .create_session(kefu_store::NewSession {
            token_hash: hash_token(&token),
            agent_id: record.agent.id,
            csrf,
            created_at: now,
            expires_at: expires,
        })
        .await
    {
        tracing::error!(error = %e, "session not stored");
        return again(StatusCode::SERVICE_UNAVAILABLE, lang.t("db_unavailable"));
    }
    let mut r = Redirect::to(&next).into_response();
    let cookie = auth::session_cookie(&token, auth::is_https(&headers), expires);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie("kefu_login")) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if let Some(token) = auth::cookie(&headers, auth::COOKIE) {
        let _ = state.store.delete_session(&hash_token(&token)).await;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie(auth::COOKIE)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Debug, Deserialize)]
pub struct AvailabilityForm {
    pub csrf: String,
    pub available: String,
}

/// The agent marks themself available or away; going away hands their open conversations on.
async fn set_availability(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(f): Form<AvailabilityForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let available = f.available == "true";
    if let Err(e) = state
        .store
        .set_availability(viewer.agent.id, available, state.clock.now())
        .await
    {
        return unavailable(viewer.lang, &viewer, e);
    }
    Redirect::to(&back_path(&headers)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub to: String,
}

/// Switches the UI language for this browser and goes back.
async fn set_lang(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let code = if q.to == "zh" { "zh" } else { "en" };
    let mut r = Redirect::to(&back_path(&headers)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "kefu_lang={code}; Path=/; SameSite=Lax; Max-Age=31536000"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
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

// ---- FAQ -------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct ShopQuery {
    pub shop: i64,
    pub done: Option<String>,
}

/// What the FAQ form shows again after a refusal: what was typed, and what is wrong with it.
#[derive(Debug, Default)]
struct FaqDraft {
    key: String,
    language: String,
    questions: String,
    answer: String,
    field: Option<&'static str>,
    error: Option<String>,
    findings: Vec<kefu_guard::Finding>,
}

async fn shop_of(
    state: &AppState,
    viewer: &Viewer,
    shop_id: i64,
) -> Option<std::sync::Arc<crate::shop_rules::ShopRules>> {
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, shop_id)
        .await
        .ok()?;
    (rules.shop.tenant_id == viewer.agent.tenant_id && viewer.may_see_shop(shop_id))
        .then_some(rules)
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

async fn faqs_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ShopQuery>,
) -> Response {
    let Some(rules) = shop_of(&state, &viewer, q.shop).await else {
        return not_found(&viewer);
    };
    let draft = FaqDraft {
        language: if viewer.lang == Lang::Zh { "zh" } else { "en" }.into(),
        ..FaqDraft::default()
    };
    let notice = match q.done.as_deref() {
        Some("saved") => Some(viewer.lang.t("saved")),
        Some("deleted") => Some(viewer.lang.t("deleted")),
        Some("presets") => Some(viewer.lang.t("presets_done")),
        _ => None,
    };
    faq_view(&state, &viewer, &rules.shop, draft, notice, StatusCode::OK).await
}

async fn faq_view(
    state: &AppState,
    viewer: &Viewer,
    shop: &kefu_core::Shop,
    draft: FaqDraft,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    let entries = match state.store.faqs(shop.id).await {
        Ok(e) => e,
        Err(e) => return unavailable(lang, viewer, e),
    };
    let can_edit = viewer.at_least(Role::Supervisor);
    let field_error = |name: &str| -> Option<String> {
        (draft.field == Some(name)).then(|| draft.error.clone().unwrap_or_default())
    };
    let body = html! {
        h1 { (shop.name) " · " (lang.t("faq")) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        @if can_edit {
            form.inline method="post" action="/admin/faqs/presets" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="shop" value=(shop.id);
                button type="submit" { (lang.t("presets")) }
            }
        }
        @if entries.is_empty() { p { (lang.t("no_faq")) } }
        @else {
            table.faqs {
                thead { tr {
                    th scope="col" { (lang.t("key")) } th scope="col" { (lang.t("language")) }
                    th scope="col" { (lang.t("questions")) } th scope="col" { (lang.t("answer")) }
                    @if can_edit { th scope="col" { span.sr { (lang.t("delete")) } } }
                } }
                tbody {
                    @for f in &entries {
                        tr data-key=(f.key) data-language=(f.language) {
                            td translate="no" { code { (f.key) } }
                            td { (lang.language_name(&f.language)) }
                            td translate="no" lang=(f.language) { ul { @for q in &f.questions { li { (q) } } } }
                            td translate="no" lang=(f.language) { (f.answer) }
                            @if can_edit {
                                td {
                                    form method="post" action="/admin/faqs/delete" {
                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                        input type="hidden" name="shop" value=(shop.id);
                                        input type="hidden" name="key" value=(f.key);
                                        input type="hidden" name="language" value=(f.language);
                                        button type="submit" aria-label=(format!("{} {} {}", lang.t("delete"), f.key, f.language)) { (lang.t("delete")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if can_edit {
            form.card method="post" action="/admin/faqs" id="faq-form" {
                h2 { (lang.t("new_faq")) }
                @if let Some(e) = draft.error.as_ref().filter(|_| draft.field.is_none()) {
                    p.error role="alert" { (e) }
                }
                @if !draft.findings.is_empty() {
                    div.error role="alert" {
                        p { (lang.t("guard_blocked")) }
                        ul { @for f in &draft.findings {
                            li { code { (f.rule) } " " (lang.guard_message(&f.rule, &f.message)) @if let Some(s) = &f.suggestion { " → " span translate="no" { (s) } } }
                        } }
                    }
                }
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="shop" value=(shop.id);
                label for="key" { (lang.t("key")) }
                input id="key" name="key" value=(draft.key) required pattern="[A-Za-z0-9_\\-]{1,64}" aria-describedby="key-error";
                @if let Some(e) = field_error("key") { p.field-error id="key-error" { (e) } }
                label for="language" { (lang.t("language")) }
                select id="language" name="language" {
                    @for code in ["zh", "en", "de", "es", "fr"] {
                        option value=(code) selected[draft.language == code] { (lang.language_name(code)) }
                    }
                }
                label for="questions" { (lang.t("questions")) }
                textarea id="questions" name="questions" rows="4" required aria-describedby="questions-error" { (draft.questions) }
                @if let Some(e) = field_error("questions") { p.field-error id="questions-error" { (e) } }
                label for="answer" { (lang.t("answer")) }
                textarea id="answer" name="answer" rows="5" required aria-describedby="answer-error" { (draft.answer) }
                @if let Some(e) = field_error("answer") { p.field-error id="answer-error" { (e) } }
                button type="submit" { (lang.t("save")) }
            }
        }
    };
    (status, layout(lang, lang.t("faq"), Some(viewer), body)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct FaqForm {
    pub csrf: String,
    pub shop: i64,
    pub key: String,
    pub language: String,
    pub questions: String,
    pub answer: String,
}

async fn faq_save(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<FaqForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if !viewer.at_least(Role::Supervisor) {
        return forbidden(viewer.lang, &viewer);
    }
    let Some(rules) = shop_of(&state, &viewer, f.shop).await else {
        return not_found(&viewer);
    };
    let questions: Vec<String> = f.questions.lines().map(str::to_string).collect();
    let key = f.key.trim().to_string();
    match crate::desk::faqs::save(&state, &rules, &key, &f.language, &questions, &f.answer).await {
        Ok(_) => Redirect::to(&format!("/admin/faqs?shop={}&done=saved", f.shop)).into_response(),
        Err(e) => {
            // Nothing typed is lost: the form comes back with the text and the reason.
            let mut draft = FaqDraft {
                key,
                language: f.language.clone(),
                questions: f.questions.clone(),
                answer: f.answer.clone(),
                ..FaqDraft::default()
            };
            match e {
                crate::desk::faqs::FaqError::Field(field, message) => {
                    draft.field = Some(field);
                    draft.error = Some(message);
                }
                crate::desk::faqs::FaqError::Blocked(findings) => draft.findings = findings,
                crate::desk::faqs::FaqError::Store(e) => draft.error = Some(e.to_string()),
            }
            faq_view(
                &state,
                &viewer,
                &rules.shop,
                draft,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct FaqDeleteForm {
    pub csrf: String,
    pub shop: i64,
    pub key: String,
    pub language: String,
}

async fn faq_delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<FaqDeleteForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if !viewer.at_least(Role::Supervisor) {
        return forbidden(viewer.lang, &viewer);
    }
    if shop_of(&state, &viewer, f.shop).await.is_none() {
        return not_found(&viewer);
    }
    if let Err(e) = state.store.delete_faq(f.shop, &f.key, &f.language).await {
        return unavailable(viewer.lang, &viewer, e);
    }
    state.faqs.forget(f.shop);
    Redirect::to(&format!("/admin/faqs?shop={}&done=deleted", f.shop)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct ShopForm {
    pub csrf: String,
    pub shop: i64,
}

async fn faq_presets(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ShopForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if !viewer.at_least(Role::Supervisor) {
        return forbidden(viewer.lang, &viewer);
    }
    if shop_of(&state, &viewer, f.shop).await.is_none() {
        return not_found(&viewer);
    }
    let req = crate::desk::faqs::LoadPresets::default();
    if let Err(e) = crate::desk::faqs::load_presets_into(&state, f.shop, &req).await {
        return unavailable(viewer.lang, &viewer, e);
    }
    Redirect::to(&format!("/admin/faqs?shop={}&done=presets", f.shop)).into_response()
}

// ---- connectors ------------------------------------------------------------------------------

async fn connectors_page(
    State(state): State<AppState>,
    viewer: Viewer,
    i18n::Zone(zone): i18n::Zone,
) -> Response {
    let lang = viewer.lang;
    let shops = match state.store.shops(viewer.agent.tenant_id).await {
        Ok(s) => s,
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let ids = shops
        .iter()
        .map(|s| s.id)
        .filter(|id| viewer.may_see_shop(*id))
        .collect();
    let rows = match state.store.connectors(Some(ids)).await {
        Ok(r) => r,
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let name_of = |id: i64| {
        shops
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| "—".into());
    let now = state.clock.now();
    let moment = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| lang.when(t.with_timezone(&chrono::Utc), zone, now))
            .unwrap_or_else(|| "—".into())
    };
    layout(
        lang,
        lang.t("connectors"),
        Some(&viewer),
        html! {
            h1 { (lang.t("connectors")) }
            @if rows.is_empty() { p { (lang.t("no_connectors")) " " code translate="no" { "POST /api/v1/shops/{id}/connectors" } } }
            @else {
                table.connectors {
                    thead { tr {
                        th scope="col" { (lang.t("shop")) } th scope="col" { (lang.t("kind")) }
                        th scope="col" { (lang.t("state")) } th scope="col" { (lang.t("last_success")) }
                        th scope="col" { (lang.t("last_error")) } th scope="col" { (lang.t("next_attempt")) }
                    } }
                    tbody {
                        @for c in &rows {
                            @let state_word = c.health.get("state").and_then(|s| s.as_str()).unwrap_or("ok");
                            tr data-connector=(c.id) {
                                td translate="no" { (name_of(c.shop_id)) }
                                td { (lang.platform(&c.kind)) }
                                td { span class=(format!("state state-{state_word}")) { (lang.connector_state(state_word)) } }
                                td { (moment(&c.health["last_success_at"])) }
                                td translate="no" { (text(&c.health["last_error"])) }
                                td { (lang.when(c.next_attempt_at, zone, now)) }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}
