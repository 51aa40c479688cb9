//! After-sales cases: an agent offers what the rulebook says the buyer is entitled to — a
//! refund, a reship, a return or a compensation — on a conversation's order. The amount is
//! computed from the pack, never taken from the client; the case keeps its own state
//! (offered → accepted → done, or rejected) and the deadline of the pack's after-sales clock
//! (TB-AFTERSALES-24-48H and the like), which starts when the case is opened.

use chrono::Duration;
use kefu_core::Order;
use kefu_rules::plan;
use kefu_store::{AftersalesCase, ClockStart, NewCase};
use serde::Deserialize;

use super::{Caller, DeskError, DeskResult};
use crate::AppState;

/// The trigger name an opened case records for the clocks it starts.
const AFTER_SALES_REQUEST: &str = "after_sales_request";

/// The rulebook's view of a stored order.
pub fn order_facts(order: &Order) -> kefu_rules::OrderFacts {
    let mut facts = kefu_rules::OrderFacts::new(
        order.total.amount,
        order.total.currency.code(),
        order.paid_at,
    );
    facts.promised_ship_by = order.promised_ship_by;
    facts.shipped_at = order.shipped_at;
    facts.delivered_at = order.delivered_at;
    facts.closed_at = order.closed_at;
    facts.promises = order.promises.clone();
    facts
}

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

/// What the buyer of `order` is entitled to now, given the cases already opened on it: the
/// one computation the conversation's API view, its page and opening a case share.
pub fn entitlements(
    pack: &kefu_rules::Pack,
    order: &Order,
    cases: &[AftersalesCase],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<kefu_rules::Entitlement> {
    let mut facts = order_facts(order);
    facts.reshipped_for_damage = reshipped_for_damage(cases);
    kefu_rules::entitlements(pack, &facts, now)
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

/// Opens a case of the entitlement `req.rule` on the conversation's order: the amount comes
/// from the rulebook, and the pack's after-sales clocks start with it.
pub async fn open(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &OpenCase,
) -> DeskResult<AftersalesCase> {
    let (detail, rules) = super::conversations::load(state, caller, id).await?;
    let order = detail.order.as_ref().ok_or_else(|| {
        DeskError::invalid("this conversation has no order: after-sales cases need one")
    })?;
    let now = state.clock.now();
    let cases = state.store.cases(id).await?;
    let entitlements = entitlements(&rules.pack, order, &cases, now);
    let e = entitlements
        .iter()
        .find(|e| e.rule == req.rule)
        .ok_or_else(|| DeskError::invalid(format!("no entitlement {} on this order", req.rule)))?;
    if !e.entitled {
        return Err(DeskError::invalid(format!("not entitled: {}", e.reason)));
    }
    let allowed = actions_for(e);
    if !allowed.contains(&req.action.as_str()) {
        return Err(DeskError::invalid(format!(
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
        return Err(DeskError::Conflict(format!(
            "a {} case for {} is already open or done",
            req.action, e.rule
        )));
    }
    let amount = match req.action.as_str() {
        "refund" => e.total.clone().or(e.refund.clone()),
        "compensation" => e.amount.clone(),
        _ => None,
    };
    let clocks = plan::case_opened(&rules.pack, now, order).open;
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
                trigger: AFTER_SALES_REQUEST.into(),
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

/// Moves a case to `to` (accepted, done or rejected), forward only.
pub async fn move_case(
    state: &AppState,
    caller: &Caller,
    id: i64,
    case_id: i64,
    to: &str,
) -> DeskResult<AftersalesCase> {
    super::conversations::load(state, caller, id).await?;
    let case = state
        .store
        .cases(id)
        .await?
        .into_iter()
        .find(|c| c.id == case_id)
        .ok_or_else(|| {
            DeskError::not_found(format!("case {case_id} is not in conversation {id}"))
        })?;
    if !["accepted", "done", "rejected"].contains(&to) {
        return Err(DeskError::invalid(format!(
            "state {to:?} is not one of accepted, done, rejected"
        )));
    }
    if !allowed(&case.state, to) {
        return Err(DeskError::Conflict(format!(
            "a case that is {} cannot become {to}",
            case.state
        )));
    }
    Ok(state
        .store
        .set_case_state(case_id, to, &caller.actor, state.clock.now())
        .await?)
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
