use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;
use crate::error::ApiResult;

pub async fn healthz(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    // Answers only when the database does: a liveness probe on a dead store should fail.
    let stats = state.store.stats().await?;
    Ok(axum::Json(
        serde_json::json!({"status": "ok", "backend": state.store.backend(), "conversations": stats.conversations}),
    ))
}

pub async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let stats = state.store.stats().await?;
    let body = state.metrics.render(
        stats.open_conversations,
        stats.conversations,
        stats.messages,
    );
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body))
}

pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
}

/// `GET /api/v1/failed-ingests`: what reached kefu but could not be ingested (admins).
pub async fn failed_ingests(
    State(state): State<AppState>,
    caller: crate::desk::Caller,
) -> ApiResult<impl IntoResponse> {
    caller.require(kefu_core::Role::Admin)?;
    let list = state.store.failed_ingests(100).await?;
    Ok(axum::Json(serde_json::json!({ "failed_ingests": list })))
}
