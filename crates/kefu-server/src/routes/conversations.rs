use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use kefu_core::{ConversationStatus, Direction, ObligationState};
use kefu_guard::VerdictKind;
use kefu_rules::Trigger;
use kefu_store::{ClockStart, ConversationDetail, NewNote, NewReply, StatusChange};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, JsonBody};
use crate::ingest::{MAX_MESSAGE_CHARS, non_empty};
use crate::live::{LiveEvent, LiveKind, Party};
use crate::shop_rules::{ShopRules, obligations_for, status_clocks};

/// Loads a conversation the caller may see, with its shop's rules.
pub async fn load(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<(ConversationDetail, Arc<ShopRules>)> {
    let missing = || ApiError::not_found(format!("conversation {id} does not exist"));
    let detail = state.store.conversation(id).await?.ok_or_else(missing)?;
    let rules = state
        .shops
        .get(
            state.store.as_ref(),
            &state.packs,
            detail.conversation.shop_id,
        )
        .await?;
    if rules.shop.tenant_id != caller.tenant_id || !caller.may_see_shop(rules.shop.id) {
        return Err(missing());
    }
    Ok((detail, rules))
}

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
    if let Some(order) = &detail.order {
        let mut facts = crate::routes::orders::order_facts(order);
        facts.reshipped_for_damage = crate::routes::cases::reshipped_for_damage(cases);
        v["entitlements"] = json!(kefu_rules::entitlements(&rules.pack, &facts, now));
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
    let (detail, rules) = load(&state, &caller, id).await?;
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
    let body = req.body.trim();
    non_empty("body", body, MAX_MESSAGE_CHARS)?;
    let (detail, rules) = load(&state, &caller, id).await?;
    let verdict = crate::desk::check_reply(&state.guard, &rules, &detail, body);
    let now = state.clock.now();
    let findings = serde_json::to_value(&verdict.findings).unwrap_or_else(|_| json!([]));
    let blocked = verdict.verdict == VerdictKind::Block;
    let unconfirmed_warning = verdict.verdict == VerdictKind::Warn && !req.confirm;
    if blocked || unconfirmed_warning {
        // Nothing is sent, nothing is lost: the draft is kept in the conversation's log.
        kefu_core::enforces!(
            kefu_rules::ids::REC_FULL_TRANSCRIPT,
            test = "kefu::api::replies_pass_the_guard_and_close_the_clocks"
        );
        state
            .store
            .log_event(
                id,
                now,
                if blocked {
                    "reply_blocked"
                } else {
                    "reply_held"
                },
                &caller.actor,
                json!({"draft": body, "findings": findings}),
            )
            .await?;
        if blocked {
            state
                .metrics
                .replies_blocked
                .fetch_add(1, Ordering::Relaxed);
        }
        let message = if blocked {
            "the reply guard blocked this reply; nothing was sent and the draft is kept"
        } else {
            "the reply guard has warnings; send again with \"confirm\": true to send it anyway"
        };
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "guard", message).with_verdict(json!({
                "verdict": verdict.verdict,
                "findings": findings,
                "draft": body,
            })),
        );
    }
    // The rulebook decides which clocks the reply meets (EBAY-SUBSTANTIVE: an acknowledgement
    // alone does not meet a first-response clock).
    let plan = kefu_rules::plan::reply(!verdict.lacks_substance());
    let outcome = state
        .store
        .add_reply(NewReply {
            conversation_id: id,
            agent_id: caller.agent_id,
            actor: caller.actor.clone(),
            body: body.to_string(),
            at: now,
            closes_clocks: plan.close,
            guard_override: (!verdict.findings.is_empty())
                .then(|| json!({"by": caller.actor, "name": caller.name, "findings": findings})),
            automatic: false,
        })
        .await?;
    state.metrics.replies_sent.fetch_add(1, Ordering::Relaxed);
    state.live.publish(LiveEvent {
        shop_id: detail.conversation.shop_id,
        conversation_id: id,
        customer_handle: detail.customer.handle.as_str().into(),
        kind: LiveKind::Message {
            id: outcome.message_id,
            direction: Direction::Outbound,
            body: body.to_string(),
            at: now,
            bot: false,
        },
    });
    if let Some(search) = &state.search {
        // The reply moves the conversation to pending_customer: its messages follow.
        search.mark_stale(id);
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message_id": outcome.message_id,
            "verdict": verdict.verdict,
            "findings": findings,
            "met_obligations": outcome.met_obligations,
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
    let (detail, rules) = load(&state, &caller, id).await?;
    let now = state.clock.now();
    let (closes_clocks, opens) = status_clocks(&rules.pack, req.status, now);
    state
        .store
        .set_status(StatusChange {
            conversation_id: id,
            status: req.status,
            actor: caller.actor.clone(),
            at: now,
            reason: req.reason,
            closes_clocks,
            opens,
        })
        .await?;
    if let Some(search) = &state.search {
        search.mark_stale(id);
    }
    state.live.publish(LiveEvent {
        shop_id: detail.conversation.shop_id,
        conversation_id: id,
        customer_handle: detail.customer.handle.as_str().into(),
        kind: LiveKind::Status { status: req.status },
    });
    Ok(Json(json!({"id": id, "status": req.status})))
}

/// `POST /api/v1/conversations/{id}/typing`: an agent is typing; a web chat buyer sees it.
pub async fn typing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let (detail, _) = load(&state, &caller, id).await?;
    state.live.publish(LiveEvent {
        shop_id: detail.conversation.shop_id,
        conversation_id: id,
        customer_handle: detail.customer.handle.as_str().into(),
        kind: LiveKind::Typing { from: Party::Agent },
    });
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
    let trigger = match req.trigger.as_str() {
        "complex_issue" => Trigger::ComplexIssue,
        "after_sales_request" => Trigger::AfterSalesRequest,
        other => {
            return Err(ApiError::invalid(format!(
                "unknown trigger {other:?}; expected complex_issue or after_sales_request"
            )));
        }
    };
    let (detail, rules) = load(&state, &caller, id).await?;
    let now = state.clock.now();
    let total = detail
        .order
        .as_ref()
        .map(|o| (o.total.amount, o.total.currency.code().to_string()));
    let obligations = obligations_for(&rules.pack, now, total, trigger);
    let opened = state
        .store
        .start_clocks(ClockStart {
            conversation_id: id,
            at: now,
            actor: caller.actor.clone(),
            trigger: req.trigger.clone(),
            obligations,
        })
        .await?;
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

/// `POST /api/v1/conversations/{id}/notes`: an internal note for colleagues; never sent to the
/// buyer, so it is not checked by the guard and moves no clock.
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<NoteRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = req.body.trim();
    non_empty("body", body, MAX_MESSAGE_CHARS)?;
    load(&state, &caller, id).await?;
    let message_id = state
        .store
        .add_note(NewNote {
            conversation_id: id,
            agent_id: caller.agent_id,
            actor: caller.actor.clone(),
            body: body.to_string(),
            at: state.clock.now(),
        })
        .await?;
    if let Some(search) = &state.search {
        search.nudge();
    }
    Ok((StatusCode::CREATED, Json(json!({"message_id": message_id}))))
}

/// `GET /api/v1/attachments/{id}`: a file a buyer sent, for whoever may see its conversation.
pub async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    let missing = || ApiError::not_found(format!("file {id} does not exist"));
    let (info, bytes) = state.store.attachment(id).await?.ok_or_else(missing)?;
    load(&state, &caller, info.conversation_id)
        .await
        .map_err(|_| missing())?;
    Ok(crate::routes::chat::file_response(&info, bytes))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The agent to give it to; `null` leaves it unassigned.
    pub agent_id: Option<i64>,
}

/// `POST /api/v1/conversations/{id}/assign` (supervisors): reassigns by hand.
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<AssignRequest>,
) -> ApiResult<Json<Value>> {
    // Supervisors assign anyone; an agent may take a conversation they can see themself
    // (the desk's "Take"), within the shops they work for (checked below).
    let taking = req.agent_id.is_some() && req.agent_id == caller.agent_id;
    if !taking {
        caller.require(kefu_core::Role::Supervisor)?;
    }
    let (detail, _) = load(&state, &caller, id).await?;
    if let Some(agent_id) = req.agent_id {
        let agents = state.store.agents(caller.tenant_id).await?;
        if !agents.iter().any(|a| a.id == agent_id) {
            return Err(ApiError::invalid(format!(
                "agent {agent_id} does not exist"
            )));
        }
        let shops = state.store.agent_shops(agent_id).await?;
        if !shops.is_empty() && !shops.contains(&detail.conversation.shop_id) {
            return Err(ApiError::invalid(format!(
                "agent {agent_id} does not work for this conversation's shop"
            )));
        }
    }
    state
        .store
        .assign_to(id, req.agent_id, &caller.actor, state.clock.now())
        .await?;
    Ok(Json(json!({"id": id, "assignee_id": req.agent_id})))
}
