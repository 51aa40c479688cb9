//! `GET /api/v1/reports/kpis`: the supervisor's KPI report, the JSON edge of
//! [`crate::desk::reports`].

use axum::Json;
use axum::extract::{Query, State};
use kefu_core::Role;
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::desk::Caller;
use crate::desk::reports::{KpiRequest, kpi_report};
use crate::desk::validate::parse_time;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiQueryParams {
    /// One shop; without it, every shop the caller works for.
    pub shop_id: Option<i64>,
    pub from: String,
    pub to: String,
    /// `agent`, `shop`, `platform` or `day`.
    pub group_by: Option<String>,
}

/// `GET /api/v1/reports/kpis?shop_id=ID&from=RFC3339&to=RFC3339[&group_by=…]` (supervisors).
pub async fn kpis(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<KpiQueryParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))?;
    caller.require(Role::Supervisor)?;
    let req = KpiRequest {
        from: parse_time("from", &q.from)?,
        to: parse_time("to", &q.to)?,
        group_by: q.group_by.as_deref().map(str::parse).transpose()?,
    };
    let shops = match q.shop_id {
        Some(id) => vec![state.tenant_shop(&caller, id).await?.shop.clone()],
        None => {
            let mut all = state.store.shops(caller.tenant_id).await?;
            all.retain(|s| caller.may_see_shop(s.id));
            all
        }
    };
    let report = kpi_report(state.store.as_ref(), &shops, &req).await?;
    Ok(Json(report))
}
