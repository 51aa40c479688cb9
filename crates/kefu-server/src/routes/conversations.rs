//! `/api/v1/conversations/…`: the JSON edge of the conversation use cases in
//! [`crate::desk::conversations`]. Each handler reads the request, calls the use case and
//! writes the answer; the decisions are the desk's.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use kefu_core::{ConversationStatus, ObligationState};
use kefu_store::ConversationDetail;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::{Caller, conversations as desk};
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::shop_rules::ShopRules;

/// The conversation as the API shows it: obligations carry their due time in the shop's
/// offset and the seconds left, so a client need not know the shop's time zone.
fn view(
    detail: &ConversationDetail,
    rules: &ShopRules,
    cases: &[kefu_store::AftersalesCase],
    now: chrono::DateTime<Utc>,
) -> Value {
    let tz = rules.pack.timezone;
    let obligations: Vec<Value> = detail
        .obligations
        .iter()
        .map(|o| {
            let left = (o.due - now).num_seconds();
            json!({
                "id": o.id,
                "rule": o.rule,
                "clock": o.clock,
                "severity": o.severity,
                "state": o.state,
                "due": o.due.with_timezone(&tz).to_rfc3339(),
                "seconds_left": if o.state == ObligationState::Open { Some(left) } else { None },
                "breaching": o.state == ObligationState::Open && left < 0,
                "opened_at": o.opened_at.with_timezone(&tz).to_rfc3339(),
                "closed_at": o.closed_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
                "explanation": o.explanation,
            })
        })
        .collect();
    let mut v = serde_json::to_value(detail).unwrap_or_else(|_| json!({}));
    v["obligations"] = Value::Array(obligations);
    // COMPLAINT-FLOW: the complaint's cause, team and resolution, as the event log tells.
    let flow = crate::desk::complaints::ComplaintState::of(detail);
    if flow.recorded() {
        v["complaint_flow"] = json!(flow);
    }
    if let Some(order) = &detail.order {
        let entitlements = crate::desk::cases::entitlements(&rules.pack, order, cases, now);
        v["entitlements"] = json!(entitlements);
    }
    v["cases"] = json!(cases);
    v["shop"] = json!({"id": rules.shop.id, "name": rules.shop.name, "platform": rules.shop.platform, "timezone": tz.name(), "pack": rules.pack.id});
    v
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let (detail, rules) = desk::load(&state, &caller, id).await?;
    let cases = state.store.cases(id).await?;
    Ok(Json(view(&detail, &rules, &cases, state.clock.now())))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    pub body: String,
    /// Send despite `warn` findings; the override is recorded in the event log.
    #[serde(default)]
    pub confirm: bool,
}

pub async fn reply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ReplyRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let sent = desk::reply(&state, &caller, id, &req.body, req.confirm).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message_id": sent.message_id,
            "verdict": sent.verdict.verdict,
            "findings": sent.verdict.findings,
            "met_obligations": sent.met_obligations,
        })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: ConversationStatus,
    pub reason: Option<String>,
}

pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<StatusRequest>,
) -> ApiResult<Json<Value>> {
    desk::set_status(&state, &caller, id, req.status, req.reason).await?;
    Ok(Json(json!({"id": id, "status": req.status})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintRequest {
    pub complaint: bool,
    /// The cause the agent gives (COMPLAINT-FLOW): `logistics`, `quality`, `billing`,
    /// `service` or `other`; without it the buyer's words decide.
    pub cause: Option<String>,
}

/// `POST /api/v1/conversations/{id}/complaint` `{"complaint": bool, "cause"?}`: the agent's
/// mark; a complaint is recorded with its cause and routed to the cause's team.
pub async fn mark_complaint(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ComplaintRequest>,
) -> ApiResult<Json<Value>> {
    let cause = req
        .cause
        .as_deref()
        .map(crate::desk::complaints::parse_cause)
        .transpose()?;
    desk::mark_complaint(&state, &caller, id, req.complaint, cause).await?;
    let (detail, _) = desk::load(&state, &caller, id).await?;
    let flow = crate::desk::complaints::ComplaintState::of(&detail);
    Ok(Json(
        json!({"id": id, "complaint": req.complaint, "flow": flow, "assignee_id": detail.conversation.assignee_id}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionRequest {
    pub summary: String,
}

/// `POST /api/v1/conversations/{id}/complaint/resolution` `{"summary"}`: the complaint ends
/// with what the buyer was told; its report-back clock is met (COMPLAINT-FLOW).
pub async fn resolve_complaint(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ResolutionRequest>,
) -> ApiResult<Json<Value>> {
    let flow = crate::desk::complaints::resolve(&state, &caller, id, &req.summary).await?;
    Ok(Json(json!({"id": id, "flow": flow})))
}

/// `POST /api/v1/conversations/{id}/typing`: an agent is typing; a web chat buyer sees it.
pub async fn typing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    desk::typing(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// `complex_issue` (EBAY-ESCALATE-2H) or `after_sales_request` (TB-AFTERSALES-24-48H).
    pub trigger: String,
}

/// `POST /api/v1/conversations/{id}/clocks`: something happened that starts clocks of the
/// shop's pack — the case was judged complex, or the buyer filed an after-sales request.
pub async fn start_clocks(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ClockRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let opened = desk::start_clocks(&state, &caller, id, &req.trigger).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "trigger": req.trigger, "obligations_opened": opened})),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub body: String,
}

/// `POST /api/v1/conversations/{id}/notes`: an internal note for colleagues.
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<NoteRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let message_id = desk::add_note(&state, &caller, id, &req.body).await?;
    Ok((StatusCode::CREATED, Json(json!({"message_id": message_id}))))
}

/// `GET /api/v1/attachments/{id}`: a file a buyer sent, for whoever may see its conversation.
pub async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    let (info, bytes) = desk::attachment(&state, &caller, id).await?;
    Ok(crate::files::file_response(&info, bytes))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The agent to give it to; `null` leaves it unassigned.
    pub agent_id: Option<i64>,
}

/// `POST /api/v1/conversations/{id}/assign` (supervisors; an agent taking it themself).
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<AssignRequest>,
) -> ApiResult<Json<Value>> {
    desk::assign(&state, &caller, id, req.agent_id).await?;
    Ok(Json(json!({"id": id, "assignee_id": req.agent_id})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (very unhappy) to 5 (very happy).
    pub score: Option<i64>,
    pub comment: Option<String>,
}

/// `POST /api/v1/conversations/{id}/rating`: the buyer's rating taken on a channel without a
/// widget of its own (a marketplace, the phone), entered by the desk (FEEDBACK-RATING). One per
/// conversation: a second is `409`.
pub async fn rate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<RatingRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (detail, _) = desk::load(&state, &caller, id).await?;
    let score = crate::desk::rating::rate(
        &state,
        &detail,
        req.score,
        req.comment.as_deref(),
        &caller.actor,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"conversation_id": id, "score": score})),
    ))
}
