//! `POST /api/v1/calls`: an agent logs a phone call; the JSON edge of [`crate::desk::calls`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::desk::Caller;
use crate::desk::calls::{CallLog, CallLogged};
use crate::error::ApiResult;
use crate::extract::JsonBody;

pub async fn log_call(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CallLog>,
) -> ApiResult<(StatusCode, Json<CallLogged>)> {
    let logged = crate::desk::calls::log_call(&state, &caller, req).await?;
    Ok((StatusCode::CREATED, Json(logged)))
}
