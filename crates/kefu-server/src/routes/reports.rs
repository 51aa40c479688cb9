//! `GET /api/v1/reports/kpis` and `GET /api/v1/reports/conversations`: the supervisor's KPI
//! report and the conversations behind a figure, the JSON (and CSV) edge of
//! [`crate::desk::reports`] and [`crate::desk::drill`].

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::Caller;
use crate::desk::drill::{DrillRequest, drill_csv, drill_down, report_shops};
use crate::desk::reports::{KpiRequest, kpi_report, report_targets};
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
    let shops = report_shops(&state, &caller, q.shop_id).await?;
    let req = KpiRequest {
        from: parse_time("from", &q.from)?,
        to: parse_time("to", &q.to)?,
        group_by: q.group_by.as_deref().map(str::parse).transpose()?,
    };
    let targets = report_targets(&state.packs, &shops);
    let report = kpi_report(state.store.as_ref(), &shops, &targets, &req).await?;
    Ok(Json(report))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillParams {
    pub shop_id: Option<i64>,
    pub from: String,
    pub to: String,
    /// `first_response_missed`, `unresolved`, `low_rated`, `repeat_complaints`, …
    pub figure: String,
    /// One agent's conversations (0: the unassigned ones).
    pub agent_id: Option<i64>,
    /// `json` (the first `limit`, default 500) or `csv` (every one, streamed).
    pub format: Option<String>,
    pub limit: Option<usize>,
}

/// `GET /api/v1/reports/conversations?shop_id&from&to&figure[&agent_id][&format=csv]`.
pub async fn conversations(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<DrillParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))?;
    let shops = report_shops(&state, &caller, q.shop_id).await?;
    let req = DrillRequest {
        from: parse_time("from", &q.from)?,
        to: parse_time("to", &q.to)?,
        figure: q.figure.parse().map_err(ApiError::invalid)?,
        agent: q.agent_id,
    };
    match q.format.as_deref().unwrap_or("json") {
        "csv" => {
            let stream = drill_csv(state.store.clone(), shops, req)?;
            Ok((
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
                Body::from_stream(stream),
            )
                .into_response())
        }
        "json" => {
            let limit = q.limit.unwrap_or(500).clamp(1, 10_000);
            let (rows, more) = drill_down(state.store.as_ref(), &shops, &req, limit).await?;
            let items: Vec<Value> = rows
                .into_iter()
                .map(|(line, c)| {
                    let mut v = serde_json::to_value(&line).unwrap_or_default();
                    v["contribution"] = serde_json::to_value(&c.contribution).unwrap_or_default();
                    v
                })
                .collect();
            Ok(Json(json!({"figure": q.figure, "items": items, "more": more})).into_response())
        }
        other => Err(ApiError::invalid(format!(
            "format {other:?} is not json or csv"
        ))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardParams {
    pub shop_id: Option<i64>,
}

/// `GET /api/v1/reports/scorecards[?shop_id=ID]`: each shop's platform scorecard now.
pub async fn scorecards(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ScorecardParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))?;
    let shops = report_shops(&state, &caller, q.shop_id).await?;
    let cards = crate::desk::scorecards::scorecards(&state, &shops).await?;
    Ok(Json(json!({ "scorecards": cards })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageParams {
    pub shop_id: i64,
    /// Days ahead, from today (default 14).
    pub days: Option<u32>,
}

/// `GET /api/v1/staffing/coverage?shop_id=ID[&days=N]`: will the roster hold (supervisors).
pub async fn coverage(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<CoverageParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))?;
    let cover =
        crate::desk::staffing::shop_coverage(&state, &caller, q.shop_id, q.days.unwrap_or(14))
            .await?;
    Ok(Json(serde_json::to_value(cover).unwrap_or_default()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeakParams {
    pub shop_id: Option<i64>,
}

/// `GET /api/v1/staffing/peak-prep[?shop_id=ID]`: the sales peaks within the reminder window
/// and each one's checklist (PEAK-PREP; supervisors).
pub async fn peak_prep(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<PeakParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))?;
    let reminders = crate::desk::peak::reminders(&state, &caller, q.shop_id, true).await?;
    Ok(Json(json!({ "reminders": reminders })))
}
