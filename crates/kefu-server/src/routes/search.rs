use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::Caller;
use crate::desk::validate::parse_time;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub shop_id: Option<i64>,
    pub platform: Option<String>,
    pub status: Option<String>,
    pub agent_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// `GET /api/v1/search?q=…[&shop_id=…]`: messages, replies and notes of the caller's tenant,
/// best first, with highlighted snippets.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))?;
    let text = q.q.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::invalid(
            "q must not be empty: say what to search for",
        ));
    }
    if text.chars().count() > 500 {
        return Err(ApiError::invalid("q is longer than 500 characters"));
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 100"));
    }
    let search = state.search.as_ref().ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "search is not enabled on this server",
        )
    })?;
    let query = kefu_search::Query {
        text,
        tenant_id: caller.tenant_id,
        shop_id: caller.shop_filter(q.shop_id)?,
        platform: q.platform,
        status: q.status,
        agent_id: q.agent_id,
        from: q
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: q.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
        limit,
        offset: q.offset.unwrap_or(0).min(10_000),
    };
    let index = search.clone();
    let hits = tokio::task::spawn_blocking(move || index.index.search(&query))
        .await
        .map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("search failed: {e}"),
            )
        })?
        .map_err(|e| ApiError::invalid(format!("cannot search for that: {e}")))?;
    Ok(Json(json!({"total": hits.total, "hits": hits.hits})))
}
