//! Admin pages: shops (platform, time zone, pack and overrides), agents (role, languages,
//! shops, password) and API tokens. They call the same handlers as the API, so the same
//! checks apply; a refused form comes back with what was typed and the reason.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kefu_core::{Platform, Role};
use maud::html;
use serde::Deserialize;

use super::auth::Viewer;
use super::desk::caller_of;
use super::{csrf_ok, expired_form, forbidden, layout, unavailable};
use crate::AppState;
use crate::error::ApiError;

/// `"2, 3"` → `[2, 3]`; `None` when something in it is not a number.
fn id_list(text: &str) -> Option<Vec<i64>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect()
}

/// Which field a refusal is about, from the words the check uses for it.
fn field_of(message: &str, fields: &[(&str, &'static str)]) -> Option<&'static str> {
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
fn beside(error: Option<&str>, at: Option<&str>, field: &str) -> maud::Markup {
    html! {
        @if let (Some(e), Some(f)) = (error, at) {
            @if f == field { p.field-error role="alert" id=(format!("{field}-error")) { (e) } }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ShopForm {
    pub csrf: String,
    pub name: String,
    pub platform: String,
    pub timezone: String,
    pub settings: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ShopsQuery {
    /// A shop whose overrides the page offers to change.
    pub edit: Option<i64>,
}

pub async fn shops_page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(q): axum::extract::Query<ShopsQuery>,
) -> Response {
    // The shop being edited fills its own form only: the "new shop" form stays empty, so
    // saving it cannot make a copy of the shop.
    let mut editing = None;
    if let Some(id) = q.edit
        && let Ok(Some(shop)) = state.store.shop(id).await
        && shop.tenant_id == viewer.agent.tenant_id
    {
        let draft = ShopForm {
            timezone: shop.timezone.clone(),
            settings: serde_json::to_string_pretty(&shop.settings).unwrap_or_default(),
            name: shop.name.clone(),
            ..ShopForm::default()
        };
        editing = Some((id, draft));
    }
    shops_view(
        &state,
        &viewer,
        ShopForm::default(),
        editing,
        None,
        StatusCode::OK,
    )
    .await
}

async fn shops_view(
    state: &AppState,
    viewer: &Viewer,
    draft: ShopForm,
    editing: Option<(i64, ShopForm)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    if !viewer.at_least(Role::Admin) {
        return forbidden(lang, viewer);
    }
    let shops = match state.store.shops(viewer.agent.tenant_id).await {
        Ok(s) => s,
        Err(e) => return unavailable(lang, viewer, e),
    };
    let body = html! {
        h1 { (lang.t("shops")) }
        table { thead { tr { th { "#" } th { (lang.t("shop")) } th { (lang.t("platform")) } th { (lang.t("timezone")) } th { (lang.t("pack")) } th { (lang.t("settings")) } th {} } }
            tbody { @for s in &shops { tr { td { (s.id) } td translate="no" { (s.name) } td { (lang.platform(s.platform.as_str())) } td translate="no" { (s.timezone) } td translate="no" { code { (s.pack) } } td translate="no" { code { (s.settings.to_string()) } }
                td { a href=(format!("/admin/shops?edit={}", s.id)) { (lang.t("edit")) } } } } } }
        @if let Some((id, edit)) = &editing {
            form.card method="post" action="/admin/shops/settings" id="shop-settings-form" {
                h2 { (lang.t("edit_shop")) " · " span translate="no" { (edit.name) } }
                @if let Some(e) = &error { p.error role="alert" { (e) } }
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="shop" value=(id);
                label for="edit-timezone" { (lang.t("timezone")) " (IANA)" }
                input id="edit-timezone" name="timezone" value=(edit.timezone);
                label for="edit-settings" { (lang.t("settings")) }
                textarea id="edit-settings" name="settings" rows="10" { (edit.settings) }
                button type="submit" { (lang.t("save")) }
            }
        }
        form.card method="post" action="/admin/shops" id="shop-form" {
            h2 { (lang.t("new_shop")) }
            @let new_error = error.as_deref().filter(|_| editing.is_none());
            @let at = new_error.and_then(|e| field_of(e, SHOP_FIELDS));
            @if let (Some(e), None) = (new_error, at) { p.error role="alert" id="shop-error" { (e) } }
            input type="hidden" name="csrf" value=(viewer.csrf);
            label for="name" { (lang.t("shop")) }
            input id="name" name="name" required value=(draft.name) aria-describedby="name-error";
            (beside(new_error, at, "name"))
            label for="platform" { (lang.t("platform")) }
            select id="platform" name="platform" {
                @for p in ["taobao", "tmall", "ebay", "aliexpress", "pinduoduo", "own"] { option value=(p) selected[draft.platform == p] { (lang.platform(p)) } }
            }
            (beside(new_error, at, "platform"))
            label for="timezone" { (lang.t("timezone")) " (IANA)" }
            input id="timezone" name="timezone" placeholder="Asia/Shanghai" value=(draft.timezone) aria-describedby="timezone-error";
            (beside(new_error, at, "timezone"))
            label for="settings" { (lang.t("settings")) }
            textarea id="settings" name="settings" rows="5" aria-describedby="settings-error" translate="no" placeholder=r#"{"working_hours": [{"days": "mon-sun", "from": "09:00", "to": "23:00"}]}"# { (draft.settings) }
            (beside(new_error, at, "settings"))
            button type="submit" { (lang.t("save")) }
        }
    };
    (status, layout(lang, lang.t("shops"), Some(viewer), body)).into_response()
}

pub async fn create_shop(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ShopForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let again = |error: String| {
        let state = state.clone();
        let viewer = viewer.clone();
        let f = ShopForm {
            csrf: String::new(),
            ..f_clone(&f)
        };
        async move {
            shops_view(
                &state,
                &viewer,
                f,
                None,
                Some(error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let Ok(platform) = f.platform.parse::<Platform>() else {
        return again(format!("unknown platform {:?}", f.platform)).await;
    };
    let settings = if f.settings.trim().is_empty() {
        None
    } else {
        match serde_json::from_str(&f.settings) {
            Ok(v) => Some(v),
            Err(e) => return again(format!("settings are not valid JSON: {e}")).await,
        }
    };
    let req = crate::desk::admin::CreateShop {
        name: f.name.clone(),
        platform,
        timezone: Some(f.timezone.trim().to_string()).filter(|t| !t.is_empty()),
        currency: None,
        pack: None,
        settings,
    };
    match crate::desk::admin::create_shop(&state, &caller_of(&viewer), req).await {
        Ok(_) => Redirect::to("/admin/shops").into_response(),
        Err(e) => again(e.to_string()).await,
    }
}

fn f_clone(f: &ShopForm) -> ShopForm {
    ShopForm {
        csrf: f.csrf.clone(),
        name: f.name.clone(),
        platform: f.platform.clone(),
        timezone: f.timezone.clone(),
        settings: f.settings.clone(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AgentForm {
    pub csrf: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub languages: String,
    /// Comma-separated shop ids; empty for every shop.
    pub shops: String,
    pub password: String,
}

pub async fn agents_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    agents_view(
        &state,
        &viewer,
        AgentForm::default(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

async fn agents_view(
    state: &AppState,
    viewer: &Viewer,
    draft: AgentForm,
    error: Option<String>,
    token: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    if !viewer.at_least(Role::Admin) {
        return forbidden(lang, viewer);
    }
    let agents = match state.store.agents(viewer.agent.tenant_id).await {
        Ok(a) => a,
        Err(e) => return unavailable(lang, viewer, e),
    };
    let mut limits = Vec::new();
    for a in &agents {
        limits.push(state.store.agent_shops(a.id).await.unwrap_or_default());
    }
    let shifts = state.store.agents_with_shifts().await.unwrap_or_default();
    let shift_of = |id: i64| -> Option<crate::shifts::Shifts> {
        shifts
            .iter()
            .find(|(a, _, _)| *a == id)
            .and_then(|(_, _, text)| serde_json::from_str(text).ok())
    };
    let body = html! {
        h1 { (lang.t("agents")) }
        @if let Some(t) = &token {
            p.notice role="status" { (lang.t("token_once")) " " code #new-token { (t) } }
        }
        table { thead { tr { th { "#" } th { (lang.t("email")) } th { (lang.t("name")) } th { (lang.t("role")) } th { (lang.t("language")) } th { (lang.t("shops")) } th { (lang.t("shifts")) } th {} } }
            tbody { @for (a, shops) in agents.iter().zip(&limits) { tr {
                td { (a.id) } td translate="no" { (a.email) } td translate="no" { (a.name) } td { (lang.role(a.role)) } td { (a.languages.iter().map(|l| lang.language_name(l)).collect::<Vec<_>>().join("、")) }
                td { @if shops.is_empty() { (lang.t("all")) } @else { (shops.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")) } }
                td {
                    @let current = shift_of(a.id);
                    @let first = current.as_ref().and_then(|s| s.windows.first().cloned());
                    form.inline.shift method="post" action="/admin/shifts" data-agent=(a.id) {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        input type="hidden" name="agent_id" value=(a.id);
                        input name="days" size="7" placeholder="mon-fri" translate="no" aria-label=(lang.t("shifts")) value=(first.as_ref().map(|w| w.days.as_str()).unwrap_or(""));
                        input name="from" size="5" placeholder="09:00" aria-label=(lang.t("from")) value=(first.as_ref().map(|w| w.from.as_str()).unwrap_or(""));
                        input name="to" size="5" placeholder="18:00" aria-label=(lang.t("to")) value=(first.as_ref().map(|w| w.to.as_str()).unwrap_or(""));
                        input name="timezone" size="12" placeholder="Asia/Shanghai" translate="no" aria-label=(lang.t("timezone")) value=(current.as_ref().map(|s| s.timezone.as_str()).unwrap_or(""));
                        button.small type="submit" { (lang.t("save")) }
                    }
                }
                td { form.inline method="post" action="/admin/tokens" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="agent_id" value=(a.id);
                    button.small type="submit" { (lang.t("new_token")) }
                }
                form.inline method="post" action="/admin/agents/unlock" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="agent_id" value=(a.id);
                    button.small type="submit" { (lang.t("unlock_sign_in")) }
                } }
            } } } }
        form.card method="post" action="/admin/agents" id="agent-form" {
            h2 { (lang.t("new_agent")) }
            @let at = error.as_deref().and_then(|e| field_of(e, AGENT_FIELDS));
            @if let (Some(e), None) = (&error, at) { p.error role="alert" id="agent-error" { (e) } }
            input type="hidden" name="csrf" value=(viewer.csrf);
            label for="email" { (lang.t("email")) } input id="email" name="email" type="email" required value=(draft.email) aria-describedby="email-error";
            (beside(error.as_deref(), at, "email"))
            label for="name" { (lang.t("name")) } input id="name" name="name" required value=(draft.name) aria-describedby="name-error";
            (beside(error.as_deref(), at, "name"))
            label for="role" { (lang.t("role")) }
            select id="role" name="role" { @for r in [Role::Agent, Role::Supervisor, Role::Admin] { option value=(r.as_str()) selected[draft.role == r.as_str()] { (lang.role(r)) } } }
            (beside(error.as_deref(), at, "role"))
            label for="languages" { (lang.t("language")) " (" code translate="no" { "zh,en,de" } ")" } input id="languages" name="languages" value=(draft.languages);
            label for="shops" { (lang.t("shops")) " (1,2 — " (lang.t("all")) ": —)" } input id="shops" name="shops" value=(draft.shops) aria-describedby="shops-error";
            (beside(error.as_deref(), at, "shops"))
            label for="password" { (lang.t("password")) " (≥ 10)" } input id="password" name="password" type="password" autocomplete="new-password" aria-describedby="password-error";
            (beside(error.as_deref(), at, "password"))
            button type="submit" { (lang.t("save")) }
        }
    };
    (status, layout(lang, lang.t("agents"), Some(viewer), body)).into_response()
}

pub async fn create_agent(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<AgentForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let keep = AgentForm {
        csrf: String::new(),
        email: f.email.clone(),
        name: f.name.clone(),
        role: f.role.clone(),
        languages: f.languages.clone(),
        shops: f.shops.clone(),
        password: String::new(),
    };
    let fail = |e: String| {
        agents_view(
            &state,
            &viewer,
            keep,
            Some(e),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let Ok(role) = f.role.parse::<Role>() else {
        return fail(format!("unknown role {:?}", f.role)).await;
    };
    let Some(shops) = id_list(&f.shops) else {
        return fail("shops must be shop numbers separated by commas".into()).await;
    };
    if !f.password.is_empty() && f.password.chars().count() < 10 {
        return fail("the password must be at least 10 characters long".into()).await;
    }
    let req = crate::desk::admin::CreateAgent {
        email: f.email.clone(),
        name: f.name.clone(),
        role,
        languages: f
            .languages
            .split(',')
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        shops,
    };
    let agent = match crate::desk::admin::create_agent(&state, &caller_of(&viewer), req).await {
        Ok(agent) => agent,
        Err(e) => return fail(e.to_string()).await,
    };
    if !f.password.is_empty() {
        let hashed = match super::auth::hash_password(&f.password) {
            Ok(h) => h,
            Err(e) => return fail(e.to_string()).await,
        };
        if let Err(e) = state.store.set_password(agent.id, &hashed).await {
            return fail(e.to_string()).await;
        }
    }
    Redirect::to("/admin/agents").into_response()
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    pub csrf: String,
    pub agent_id: i64,
}

/// A new API token for an agent, shown once on the page (only its hash is kept).
pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<TokenForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if !viewer.at_least(Role::Admin) {
        return forbidden(viewer.lang, &viewer);
    }
    let ours = state
        .store
        .agents(viewer.agent.tenant_id)
        .await
        .is_ok_and(|a| a.iter().any(|a| a.id == f.agent_id));
    if !ours {
        return super::not_found(&viewer);
    }
    let token = super::auth::random_hex(24);
    if let Err(e) = state
        .store
        .create_token(f.agent_id, "web", &crate::extract::hash_token(&token))
        .await
    {
        return unavailable(viewer.lang, &viewer, e);
    }
    agents_view(
        &state,
        &viewer,
        AgentForm::default(),
        None,
        Some(token),
        StatusCode::OK,
    )
    .await
}

/// The agents page's "unlock sign-in" button: lifts the agent's sign-in locks (item 4b).
pub async fn unlock_agent(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<TokenForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if !viewer.at_least(Role::Admin) {
        return forbidden(viewer.lang, &viewer);
    }
    match crate::desk::admin::unlock_agent(&state, &caller_of(&viewer), f.agent_id).await {
        Ok(_) => Redirect::to("/admin/agents").into_response(),
        Err(crate::desk::DeskError::NotFound(_)) => super::not_found(&viewer),
        Err(e) => unavailable(viewer.lang, &viewer, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TeamForm {
    pub csrf: String,
    pub name: String,
    /// `on` when ticked.
    pub high_value: Option<String>,
    pub routing: String,
    /// Comma-separated agent ids.
    pub members: String,
}

pub async fn teams_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    teams_view(&state, &viewer, TeamForm::default(), None, StatusCode::OK).await
}

async fn teams_view(
    state: &AppState,
    viewer: &Viewer,
    draft: TeamForm,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    if !viewer.at_least(Role::Admin) {
        return forbidden(lang, viewer);
    }
    let (teams, agents) = match (
        state.store.teams(viewer.agent.tenant_id).await,
        state.store.agents(viewer.agent.tenant_id).await,
    ) {
        (Ok(t), Ok(a)) => (t, a),
        (Err(e), _) | (_, Err(e)) => return unavailable(lang, viewer, e),
    };
    let name_of = |id: &i64| {
        agents
            .iter()
            .find(|a| a.id == *id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let body = html! {
        h1 { (lang.t("teams")) }
        table { thead { tr { th { (lang.t("name")) } th { (lang.t("high_value_team")) } th { (lang.t("routing")) } th { (lang.t("agents")) } } }
            tbody { @for t in &teams { tr data-team=(t.id) {
                td translate="no" { (t.name) } td { @if t.high_value { "✓" } } td { (lang.t(if t.routing == "round_robin" { "round_robin" } else { "least_load" })) }
                td translate="no" { (t.members.iter().map(name_of).collect::<Vec<_>>().join(", ")) }
            } } } }
        form.card method="post" action="/admin/teams" id="team-form" {
            h2 { (lang.t("new_team")) }
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            input type="hidden" name="csrf" value=(viewer.csrf);
            label for="name" { (lang.t("name")) } input id="name" name="name" required value=(draft.name);
            label.check { input type="checkbox" name="high_value" checked[draft.high_value.is_some()]; " " (lang.t("high_value_team")) }
            label for="routing" { (lang.t("routing")) }
            select id="routing" name="routing" {
                option value="least_load" selected[draft.routing != "round_robin"] { (lang.t("least_load")) }
                option value="round_robin" selected[draft.routing == "round_robin"] { (lang.t("round_robin")) }
            }
            label for="members" { (lang.t("agents")) " (" span translate="no" { (agents.iter().map(|a| format!("{} {}", a.id, a.name)).collect::<Vec<_>>().join(", ")) } ")" }
            input id="members" name="members" placeholder="2,3" value=(draft.members);
            button type="submit" { (lang.t("save")) }
        }
    };
    (status, layout(lang, lang.t("teams"), Some(viewer), body)).into_response()
}

pub async fn create_team(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<TeamForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let members = id_list(&f.members);
    let keep = TeamForm {
        csrf: String::new(),
        name: f.name.clone(),
        high_value: f.high_value.clone(),
        routing: f.routing.clone(),
        members: f.members.clone(),
    };
    let Some(members) = members else {
        return teams_view(
            &state,
            &viewer,
            keep,
            Some("members must be agent numbers separated by commas".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let req = crate::desk::admin::CreateTeam {
        name: f.name.clone(),
        high_value: f.high_value.is_some(),
        routing: Some(f.routing.clone()),
        members,
    };
    match crate::desk::admin::create_team(&state, &caller_of(&viewer), req).await {
        Ok(_) => Redirect::to("/admin/teams").into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            teams_view(&state, &viewer, keep, Some(e.message), e.status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ShiftForm {
    pub csrf: String,
    pub agent_id: i64,
    pub timezone: String,
    pub days: String,
    pub from: String,
    pub to: String,
}

/// One weekly shift for an agent from the agents page (several windows: the API); empty days
/// clear the agent's shifts.
pub async fn set_shift(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ShiftForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let body = if f.days.trim().is_empty() {
        serde_json::json!({})
    } else {
        serde_json::json!({"timezone": f.timezone.trim(), "windows": [{"days": f.days.trim(), "from": f.from.trim(), "to": f.to.trim()}]})
    };
    match crate::desk::admin::set_shifts(&state, &caller_of(&viewer), f.agent_id, body).await {
        Ok(_) => Redirect::to("/admin/agents").into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            agents_view(
                &state,
                &viewer,
                AgentForm::default(),
                Some(e.message),
                None,
                e.status,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ShopSettingsForm {
    pub csrf: String,
    pub shop: i64,
    pub timezone: String,
    pub settings: String,
}

/// Changes a shop's overrides from the shops page; a refusal shows the text again with why.
pub async fn update_shop(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ShopSettingsForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let keep = ShopForm {
        csrf: String::new(),
        name: format!("#{}", f.shop),
        platform: String::new(),
        timezone: f.timezone.clone(),
        settings: f.settings.clone(),
    };
    let text = if f.settings.trim().is_empty() {
        "{}"
    } else {
        f.settings.as_str()
    };
    let settings = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => v,
        Err(e) => {
            let error = format!("settings are not valid JSON: {e}");
            return shops_view(
                &state,
                &viewer,
                ShopForm::default(),
                Some((f.shop, keep)),
                Some(error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let req = crate::desk::admin::UpdateShop {
        timezone: Some(f.timezone.clone()),
        settings,
    };
    match crate::desk::admin::update_shop(&state, &caller_of(&viewer), f.shop, req).await {
        Ok(_) => Redirect::to("/admin/shops").into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            shops_view(
                &state,
                &viewer,
                ShopForm::default(),
                Some((f.shop, keep)),
                Some(e.message),
                e.status,
            )
            .await
        }
    }
}
