//! The teams page: teams, their routing and whether they take high-value orders.

use super::*;

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

pub(super) async fn teams_view(
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
