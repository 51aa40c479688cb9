//! `/api/v1/incidents`: collective complaints (COLLECTIVE-3LEVEL), the JSON edge of
//! [`crate::desk::incidents`].

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::Caller;
use crate::desk::incidents::{self, IncidentAction, OpenRequest, ReplyAll};
use crate::error::ApiResult;
use crate::extract::JsonBody;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub shop_id: Option<i64>,
    pub state: Option<String>,
}

/// `GET /api/v1/incidents[?shop_id=…&state=open]`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<Value>> {
    let list = incidents::list(&state, &caller, q.shop_id, q.state).await?;
    Ok(Json(json!({"incidents": list})))
}

/// `GET /api/v1/incidents/{id}`: the incident and its timeline.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let (incident, timeline) = incidents::load(&state, &caller, id).await?;
    let mut body = serde_json::to_value(incident).unwrap_or_default();
    body["timeline"] = serde_json::to_value(timeline).unwrap_or_default();
    Ok(Json(body))
}

/// `POST /api/v1/incidents`: a supervisor opens one by hand.
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<OpenRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = incidents::open(&state, &caller, req).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

/// `POST /api/v1/incidents/{id}/actions`: `{"action": "level" | "merge" | "split" | "join" |
/// "close", …}`.
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(action): JsonBody<IncidentAction>,
) -> ApiResult<Json<Value>> {
    let split_into = incidents::act(&state, &caller, id, action).await?;
    Ok(Json(json!({"id": id, "split_into": split_into})))
}

/// `POST /api/v1/incidents/{id}/reply`: one reply to every affected buyer.
pub async fn reply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ReplyAll>,
) -> ApiResult<Json<Value>> {
    let done = incidents::reply_all(&state, &caller, id, req).await?;
    Ok(Json(serde_json::to_value(done).unwrap_or_default()))
}
