//! The agents page: create agents (role, languages, shops, password), API tokens, sign-in
//! locks and weekly shifts.

use super::*;

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

pub(super) async fn agents_view(
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
        let hashed = match crate::ui::auth::hash_password(&f.password) {
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
        return crate::ui::not_found(&viewer);
    }
    let token = crate::ui::auth::random_hex(24);
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
        Err(crate::desk::DeskError::NotFound(_)) => crate::ui::not_found(&viewer),
        Err(e) => unavailable(viewer.lang, &viewer, e),
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
