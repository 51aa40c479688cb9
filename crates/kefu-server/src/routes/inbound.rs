use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_store::IngestOutcome;

use crate::AppState;
use crate::desk::Caller;
use crate::desk::ingest::{InboundRequest, ingest};
use crate::desk::validate::{check_received_at, parse_time};
use crate::error::ApiResult;
use crate::extract::JsonBody;

/// `201` once the message is durable; `200` with the original ids for a retry of a message
/// already stored (same `external_id`).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<InboundRequest>,
) -> ApiResult<(StatusCode, Json<IngestOutcome>)> {
    state.tenant_shop(&caller, req.shop_id).await?;
    if let Some(t) = &req.received_at {
        check_received_at(state.clock.now(), parse_time("received_at", t)?)?;
    }
    let outcome = ingest(&state, req).await?;
    let status = if outcome.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(outcome)))
}
