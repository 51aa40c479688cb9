//! After-sales cases: an agent offers what the rulebook says the buyer is entitled to — a
//! refund, a reship, a return or a compensation — on a conversation's order. The amount is
//! computed here from the pack, never taken from the client; the case keeps its own state
//! (offered → accepted → done, or rejected) and the deadline of the pack's after-sales clock
//! (TB-AFTERSALES-24-48H and the like), which starts when the case is opened.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Duration;
use kefu_rules::Trigger;
use kefu_store::{AftersalesCase, ClockStart, NewCase};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, JsonBody};
use crate::shop_rules::obligations_for;

/// The actions an entitlement allows.
pub fn actions_for(e: &kefu_rules::Entitlement) -> Vec<&'static str> {
    let mut out = Vec::new();
    let nonzero = |v: &Option<String>| {
        v.as_deref()
            .and_then(|a| a.parse::<rust_decimal::Decimal>().ok())
            .is_some_and(|d| !d.is_zero())
    };
    if e.refund.is_some() {
        out.push("refund");
    }
    if nonzero(&e.amount) {
        out.push("compensation");
    }
    if e.kind.contains("reship") || e.kind.contains("damage") || e.kind.starts_with("lost") {
        out.push("reship");
    }
    if e.kind.contains("return") {
        out.push("return");
    }
    out
}

/// Whether the order was reshipped for damage already (a `done` reship case), which the
/// rulebook needs for TB-DAMAGE-RESHIP.
pub fn reshipped_for_damage(cases: &[AftersalesCase]) -> bool {
    cases
        .iter()
        .any(|c| c.action == "reship" && c.state == "done" && c.kind.contains("damage"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenCase {
    /// The entitlement's rule ID (from the conversation's `entitlements`).
    pub rule: String,
    /// `refund`, `reship`, `return` or `compensation`.
    pub action: String,
}

/// Opens a case; shared by the API and the conversation page.
pub async fn open(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &OpenCase,
) -> ApiResult<AftersalesCase> {
    let (detail, rules) = crate::routes::conversations::load(state, caller, id).await?;
    let order = detail.order.as_ref().ok_or_else(|| {
        ApiError::invalid("this conversation has no order: after-sales cases need one")
    })?;
    let now = state.clock.now();
    let cases = state.store.cases(id).await?;
    let mut facts = crate::routes::orders::order_facts(order);
    facts.reshipped_for_damage = reshipped_for_damage(&cases);
    let entitlements = kefu_rules::entitlements(&rules.pack, &facts, now);
    let e = entitlements
        .iter()
        .find(|e| e.rule == req.rule)
        .ok_or_else(|| ApiError::invalid(format!("no entitlement {} on this order", req.rule)))?;
    if !e.entitled {
        return Err(ApiError::invalid(format!("not entitled: {}", e.reason)));
    }
    let allowed = actions_for(e);
    if !allowed.contains(&req.action.as_str()) {
        return Err(ApiError::invalid(format!(
            "{} allows {} (not {})",
            e.rule,
            allowed.join(", "),
            req.action
        )));
    }
    if cases
        .iter()
        .any(|c| c.rule == e.rule && c.action == req.action && c.state != "rejected")
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "a {} case for {} is already open or done",
                req.action, e.rule
            ),
        ));
    }
    let amount = match req.action.as_str() {
        "refund" => e.total.clone().or(e.refund.clone()),
        "compensation" => e.amount.clone(),
        _ => None,
    };
    let total = Some((order.total.amount, order.total.currency.code().to_string()));
    let clocks = obligations_for(&rules.pack, now, total, Trigger::AfterSalesRequest);
    let due = clocks
        .iter()
        .map(|o| o.due)
        .min()
        .unwrap_or(now + Duration::hours(48));
    if !clocks.is_empty() {
        state
            .store
            .start_clocks(ClockStart {
                conversation_id: id,
                at: now,
                actor: caller.actor.clone(),
                trigger: "after_sales_request".into(),
                obligations: clocks,
            })
            .await?;
    }
    Ok(state
        .store
        .open_case(NewCase {
            conversation_id: id,
            order_id: Some(order.id),
            kind: e.kind.clone(),
            rule: e.rule.clone(),
            action: req.action.clone(),
            amount,
            currency: e
                .currency
                .clone()
                .or(Some(order.total.currency.code().to_string())),
            due,
            actor: caller.actor.clone(),
            at: now,
        })
        .await?)
}

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

/// The moves a case may make.
fn allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("offered", "accepted")
            | ("offered", "rejected")
            | ("accepted", "done")
            | ("accepted", "rejected")
            | ("offered", "done")
    )
}

/// Moves a case; shared by the API and the conversation page.
pub async fn move_case(
    state: &AppState,
    caller: &Caller,
    id: i64,
    case_id: i64,
    to: &str,
) -> ApiResult<AftersalesCase> {
    crate::routes::conversations::load(state, caller, id).await?;
    let case = state
        .store
        .cases(id)
        .await?
        .into_iter()
        .find(|c| c.id == case_id)
        .ok_or_else(|| {
            ApiError::not_found(format!("case {case_id} is not in conversation {id}"))
        })?;
    if !["accepted", "done", "rejected"].contains(&to) {
        return Err(ApiError::invalid(format!(
            "state {to:?} is not one of accepted, done, rejected"
        )));
    }
    if !allowed(&case.state, to) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("a case that is {} cannot become {to}", case.state),
        ));
    }
    Ok(state
        .store
        .set_case_state(case_id, to, &caller.actor, state.clock.now())
        .await?)
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

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn cases_move_forward_only() {
        assert!(allowed("offered", "accepted"));
        assert!(allowed("accepted", "done"));
        assert!(!allowed("done", "offered"));
        assert!(!allowed("rejected", "accepted"));
        assert!(!allowed("done", "rejected"));
    }
}
