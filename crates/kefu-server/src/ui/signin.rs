//! Signing in and out, the agent's availability and the page language.

use super::*;

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// The page the browser came from (its path on this site only), for going back after a
/// header action.
pub(super) fn back_path(headers: &HeaderMap) -> String {
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()));
    safe_next(back.as_deref())
}

/// Only paths of this site are followed after sign-in (no open redirect).
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/inbox".into(),
    }
}

pub(super) fn login_form(
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
pub(super) async fn login_page(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
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

pub(super) async fn login(
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

pub(super) async fn logout(
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
pub(super) async fn set_availability(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(f): Form<AvailabilityForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let available = f.available == "true";
    let me = desk::caller_of(&viewer);
    if let Err(e) =
        crate::desk::admin::set_availability(&state, &me, viewer.agent.id, available).await
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
pub(super) async fn set_lang(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let code = if q.to == "zh" { "zh" } else { "en" };
    let mut r = Redirect::to(&back_path(&headers)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "kefu_lang={code}; Path=/; SameSite=Lax; Max-Age=31536000"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
