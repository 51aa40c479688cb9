//! Agents: created by admins; available or away (routing gives new conversations only to
//! available agents, and going away hands one's open conversations to others).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_core::{Agent, Role};
use kefu_store::NewAgent;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, JsonBody};
use crate::ingest::non_empty;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub languages: Vec<String>,
    /// The shops the agent works for (default: all of the tenant's).
    #[serde(default)]
    pub shops: Vec<i64>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateAgent>,
) -> ApiResult<(StatusCode, Json<Agent>)> {
    caller.require(Role::Admin)?;
    non_empty("name", &req.name, 200)?;
    if !req.email.contains('@') || req.email.len() > 254 {
        return Err(ApiError::invalid(format!(
            "{:?} is not an email address",
            req.email
        )));
    }
    // Every shop named must be one of the caller's before anything is created.
    for shop in &req.shops {
        state.tenant_shop(&caller, *shop).await?;
    }
    let agent = state
        .store
        .create_agent(NewAgent {
            tenant_id: caller.tenant_id,
            email: req.email.trim().to_lowercase(),
            name: req.name.trim().to_string(),
            role: req.role,
            languages: req.languages,
            password_hash: None,
        })
        .await?;
    if !req.shops.is_empty() {
        state
            .store
            .set_agent_shops(agent.id, req.shops.clone())
            .await?;
    }
    Ok((StatusCode::CREATED, Json(agent)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Availability {
    pub available: bool,
}

/// `POST /api/v1/agents/{id}/availability`: an agent sets themself available or away (a
/// supervisor may do it for them).
pub async fn set_availability(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<Availability>,
) -> ApiResult<Json<Value>> {
    if caller.agent_id != Some(id) {
        caller.require(Role::Supervisor)?;
    }
    let moved = state
        .store
        .set_availability(id, req.available, state.clock.now())
        .await?;
    Ok(Json(
        json!({"id": id, "available": req.available, "reassigned": moved}),
    ))
}

/// `POST /api/v1/agents/{id}/unlock` (admins): lifts the agent's sign-in locks from every
/// address (issue 10, item 4b).
pub async fn unlock(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let (agent, lifted) = crate::ui::auth::unlock_agent(&state, caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("agent {id} does not exist")))?;
    Ok(Json(
        json!({"id": agent.id, "unlocked": true, "locks_lifted": lifted}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    pub name: String,
    /// Takes the conversations of high-value orders (HIGHVALUE-CHANNEL).
    #[serde(default)]
    pub high_value: bool,
    /// `least_load` (default) or `round_robin`.
    pub routing: Option<String>,
    #[serde(default)]
    pub members: Vec<i64>,
}

/// `POST /api/v1/teams` (admins): a team and its members.
pub async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateTeam>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Admin)?;
    non_empty("name", &req.name, 200)?;
    let routing = req.routing.unwrap_or_else(|| "least_load".into());
    if routing != "least_load" && routing != "round_robin" {
        return Err(ApiError::invalid(format!(
            "routing {routing:?} is not least_load or round_robin"
        )));
    }
    let agents = state.store.agents(caller.tenant_id).await?;
    if let Some(stranger) = req
        .members
        .iter()
        .find(|m| !agents.iter().any(|a| a.id == **m))
    {
        return Err(ApiError::invalid(format!(
            "agent {stranger} does not exist"
        )));
    }
    let id = state
        .store
        .create_team(kefu_store::NewTeam {
            tenant_id: caller.tenant_id,
            name: req.name.trim().to_string(),
            high_value: req.high_value,
            routing: routing.clone(),
            members: req.members.clone(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": id, "name": req.name.trim(), "high_value": req.high_value, "routing": routing, "members": req.members}),
        ),
    ))
}

/// `POST /api/v1/agents/{id}/shifts`: an agent's weekly shifts (admins, or the agent), or
/// `{}` to clear them. From then on the desk makes the agent available and away by them.
pub async fn set_shifts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<Value>,
) -> ApiResult<Json<Value>> {
    if caller.agent_id != Some(id) {
        caller.require(Role::Admin)?;
    }
    let agents = state.store.agents(caller.tenant_id).await?;
    if !agents.iter().any(|a| a.id == id) {
        return Err(ApiError::not_found(format!("agent {id} does not exist")));
    }
    if req.as_object().is_some_and(|o| o.is_empty()) {
        state.store.set_shifts(id, None).await?;
        return Ok(Json(json!({"agent_id": id, "shifts": null})));
    }
    let shifts: crate::shifts::Shifts =
        serde_json::from_value(req).map_err(|e| ApiError::invalid(format!("shifts: {e}")))?;
    let on_shift = shifts
        .on_shift(state.clock.now())
        .map_err(|e| ApiError::invalid(format!("shifts: {e}")))?;
    let text = serde_json::to_string(&shifts).unwrap_or_default();
    state.store.set_shifts(id, Some(text)).await?;
    Ok(Json(
        json!({"agent_id": id, "shifts": shifts, "on_shift_now": on_shift}),
    ))
}
