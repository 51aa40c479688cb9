//! Agents and teams: the JSON edge of the directory use cases in [`crate::desk::admin`].
//! Routing gives new conversations only to available agents, and going away hands one's open
//! conversations to others.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_core::Agent;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::Caller;
use crate::desk::admin::{self, CreateAgent, CreateTeam};
use crate::error::ApiResult;
use crate::extract::JsonBody;

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateAgent>,
) -> ApiResult<(StatusCode, Json<Agent>)> {
    let agent = admin::create_agent(&state, &caller, req).await?;
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
    let moved = admin::set_availability(&state, &caller, id, req.available).await?;
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
    let (agent, lifted) = admin::unlock_agent(&state, &caller, id).await?;
    Ok(Json(
        json!({"id": agent.id, "unlocked": true, "locks_lifted": lifted}),
    ))
}

/// `POST /api/v1/teams` (admins): a team and its members.
pub async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateTeam>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(admin::create_team(&state, &caller, req).await?),
    ))
}

/// `POST /api/v1/agents/{id}/shifts`: an agent's weekly shifts (admins, or the agent), or
/// `{}` to clear them.
pub async fn set_shifts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<Value>,
) -> ApiResult<Json<Value>> {
    Ok(Json(admin::set_shifts(&state, &caller, id, req).await?))
}
