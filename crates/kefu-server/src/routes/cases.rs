//! `/api/v1/conversations/{id}/cases…`: the JSON edge of [`crate::desk::cases`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_store::AftersalesCase;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::Caller;
use crate::desk::cases::{OpenCase, move_case, open};
use crate::error::ApiResult;
use crate::extract::JsonBody;

/// `POST /api/v1/conversations/{id}/cases`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<OpenCase>,
) -> ApiResult<(StatusCode, Json<AftersalesCase>)> {
    let case = open(&state, &caller, id, &req).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseState {
    pub state: String,
}

/// `POST /api/v1/conversations/{id}/cases/{case_id}/state`.
pub async fn set_state(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, case_id)): Path<(i64, i64)>,
    JsonBody(req): JsonBody<CaseState>,
) -> ApiResult<Json<Value>> {
    let case = move_case(&state, &caller, id, case_id, &req.state).await?;
    Ok(Json(json!(case)))
}
