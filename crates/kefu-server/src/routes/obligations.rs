use axum::Json;
use axum::extract::{Query, State};
use kefu_core::ObligationState;
use kefu_store::ObligationFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::Caller;
use crate::desk::validate::parse_time;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub state: Option<String>,
    pub due_before: Option<String>,
    pub shop_id: Option<i64>,
    pub limit: Option<i64>,
}

/// `GET /api/v1/obligations?state=open&due_before=…`: clocks across conversations, soonest
/// due first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 1000"));
    }
    let filter = ObligationFilter {
        tenant_id: caller.tenant_id,
        state: q
            .state
            .as_deref()
            .map(str::parse::<ObligationState>)
            .transpose()?,
        due_before: q
            .due_before
            .as_deref()
            .map(|t| parse_time("due_before", t))
            .transpose()?,
        shop_id: caller.shop_filter(q.shop_id)?,
        after: None,
        limit,
    };
    let now = state.clock.now();
    let list: Vec<Value> = state
        .store
        .obligations(filter)
        .await?
        .into_iter()
        .map(|o| {
            json!({
                "id": o.id, "conversation_id": o.conversation_id, "rule": o.rule, "clock": o.clock,
                "severity": o.severity, "state": o.state, "due": o.due.to_rfc3339(),
                "seconds_left": (o.state == ObligationState::Open).then(|| (o.due - now).num_seconds()),
                "explanation": o.explanation,
            })
        })
        .collect();
    Ok(Json(json!({ "obligations": list })))
}
