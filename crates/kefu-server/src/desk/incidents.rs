//! Incidents (COLLECTIVE-3LEVEL): complaints arriving are clustered by cause
//! (`kefu_cluster`); a cluster of enough buyers within the pack's window becomes an incident
//! at the level the rulebook gives, with its owner and close clock; later complaints of the
//! cluster join it and raise its level. Supervisors open, re-level, merge, split and close
//! incidents by hand, and answer all its buyers at once through the guard.
//!
//! The clusters are held per shop in memory, rebuilt on first use from the complaints of the
//! last three days in the store (the same complaints in the same order give the same
//! clusters); which incident a cluster belongs to is read from the store.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use kefu_cluster::{Clusters, Complaint, Facts};
use kefu_core::{Order, Role};
use kefu_rules::plan::{
    IncidentOwner, incident_level, incident_opened, incident_owner, incident_window,
};
use kefu_store::incidents::{
    IncidentChange, IncidentEventRow, IncidentRow, NewIncident, incident_state,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Caller, DeskError, DeskResult};
use crate::AppState;
use crate::live::{LiveEvent, LiveKind};

/// How long a complaint is held for clustering: an incident's close clock is 72 hours.
const HELD: Duration = Duration::hours(72);
const DESK_ACTOR: &str = "desk";

/// Each shop's clusters of open complaints.
#[derive(Default)]
pub struct Clustering {
    shops: Mutex<HashMap<i64, Clusters>>,
    loaded: tokio::sync::OnceCell<()>,
}

impl Clustering {
    async fn ensure_loaded(&self, state: &AppState) -> DeskResult<()> {
        self.loaded
            .get_or_try_init(|| async {
                let since = state.clock.now() - HELD;
                let complaints = state.store.complaints_since(since).await?;
                let mut shops = self.shops.lock().unwrap_or_else(|e| e.into_inner());
                for c in complaints {
                    let facts = OrderFacts {
                        carrier: c.carrier.clone(),
                        sku: c.sku.clone(),
                        region: c
                            .postcode
                            .as_deref()
                            .and_then(kefu_cluster::region_of_postcode),
                    };
                    let one = complaint(c.conversation_id, c.at, &c.text, &facts);
                    shops.entry(c.shop_id).or_default().add(one);
                }
                Ok::<(), DeskError>(())
            })
            .await?;
        Ok(())
    }
}

/// What the clustering reads of a complaint's order: a shared courier, SKU or delivery
/// region (the postcode's broad area) brings complaints together.
#[derive(Debug, Default, Clone)]
pub struct OrderFacts {
    pub carrier: Option<String>,
    pub sku: Option<String>,
    pub region: Option<String>,
}

impl OrderFacts {
    pub fn of(order: Option<&Order>, postcode: Option<&str>) -> Self {
        OrderFacts {
            carrier: order.and_then(|o| o.carrier.clone()),
            sku: order.and_then(|o| o.items.iter().find_map(|i| i.sku.clone())),
            region: postcode.and_then(kefu_cluster::region_of_postcode),
        }
    }

    /// The facts of a stored order, with the delivery postcode read from the store.
    pub async fn read(state: &AppState, order: Option<&Order>) -> DeskResult<Self> {
        let postcode = match order {
            Some(o) => state
                .store
                .order_buyer(o.shop_id, &o.external_id)
                .await?
                .and_then(|b| b.postcode),
            None => None,
        };
        Ok(Self::of(order, postcode.as_deref()))
    }
}

fn complaint<'a>(
    conversation_id: i64,
    at: DateTime<Utc>,
    text: &'a str,
    facts: &'a OrderFacts,
) -> Complaint<'a> {
    // One open conversation per buyer and shop: the conversation counts the buyer.
    Complaint {
        key: conversation_id,
        buyer: conversation_id,
        at: at.timestamp(),
        text,
        facts: Facts {
            courier: facts.carrier.as_deref(),
            sku: facts.sku.as_deref(),
            region: facts.region.as_deref(),
        },
    }
}

fn cause_json(c: &kefu_cluster::Cause) -> Value {
    json!({"concepts": c.concepts, "courier": c.courier, "sku": c.sku, "region": c.region, "sample": c.sample})
}

/// A complaint as it arrives at the desk.
pub struct Arrived<'a> {
    pub shop_id: i64,
    pub conversation_id: i64,
    pub at: DateTime<Utc>,
    pub text: &'a str,
    pub facts: OrderFacts,
}

kefu_core::enforces!(
    kefu_rules::ids::COLLECTIVE_3LEVEL,
    test = "kefu::incidents::complaints_about_one_cause_become_one_incident"
);
/// A buyer's complaint arrived (the rulebook's classifier, or an agent's mark): it joins its
/// cluster, and the cluster's incident, opened or raised when the buyers are enough.
pub async fn complaint_arrived(state: &AppState, arrived: Arrived<'_>) -> DeskResult<Option<i64>> {
    let Arrived {
        shop_id,
        conversation_id,
        at,
        text,
        facts,
    } = arrived;
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, shop_id)
        .await?;
    state.incidents.ensure_loaded(state).await?;
    let (members, buyers, cause) = {
        let mut shops = state
            .incidents
            .shops
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let clusters = shops.entry(shop_id).or_default();
        clusters.forget_before((at - HELD).timestamp());
        let joined = clusters.add(complaint(conversation_id, at, text, &facts));
        let Some(cluster) = clusters.get(joined.cluster) else {
            return Ok(None);
        };
        let since = (at - incident_window(&rules.pack)).timestamp();
        let members: Vec<i64> = cluster.members().iter().map(|m| m.key).collect();
        (members, cluster.buyers_since(since), cluster.cause())
    };
    if let Some(id) = state.store.open_incident_of(members.clone()).await? {
        state
            .store
            .change_incident(id, IncidentChange::Join(members), DESK_ACTOR, at)
            .await?;
        let current = state
            .store
            .incident(id)
            .await?
            .map(|(i, _)| i.level)
            .unwrap_or(1);
        if let Some(level) = incident_level(&rules.pack, buyers).filter(|&l| l > current) {
            let owner_id = owner_for(state, rules.shop.tenant_id, incident_owner(level)).await?;
            let reason = format!("{buyers} buyers within the window");
            let change = IncidentChange::Level {
                level,
                owner_id,
                reason,
            };
            state
                .store
                .change_incident(id, change, DESK_ACTOR, at)
                .await?;
            alert(state, shop_id, conversation_id, id, level);
        }
        return Ok(Some(id));
    }
    let Some(plan) = incident_opened(&rules.pack, at, buyers, None) else {
        return Ok(None);
    };
    let id = state
        .store
        .open_incident(NewIncident {
            tenant_id: rules.shop.tenant_id,
            shop_id,
            level: plan.level,
            rule: plan.rule,
            cause: cause_json(&cause),
            opened_at: at,
            due: plan.close.map(|c| c.due),
            owner_id: owner_for(state, rules.shop.tenant_id, plan.owner).await?,
            conversation_ids: members,
            actor: DESK_ACTOR.into(),
        })
        .await?;
    alert(state, shop_id, conversation_id, id, plan.level);
    Ok(Some(id))
}

/// Supervisors are told live: an event on the live stream every desk tab follows.
fn alert(state: &AppState, shop_id: i64, conversation_id: i64, incident_id: i64, level: u8) {
    state.live.publish(LiveEvent {
        shop_id,
        conversation_id,
        customer_handle: "".into(),
        kind: LiveKind::IncidentAlert { incident_id, level },
    });
}

/// The owner at a level: the tenant's first supervisor (levels 1–2) or admin, the regional
/// manager (level 3); a supervisor when there is no admin but the master key.
async fn owner_for(
    state: &AppState,
    tenant_id: i64,
    owner: IncidentOwner,
) -> DeskResult<Option<i64>> {
    let agents = state.store.agents(tenant_id).await?;
    let wanted = match owner {
        IncidentOwner::RegionalManager => [Role::Admin, Role::Supervisor],
        IncidentOwner::Supervisor => [Role::Supervisor, Role::Admin],
    };
    Ok(wanted
        .iter()
        .find_map(|role| agents.iter().find(|a| a.role == *role))
        .map(|a| a.id))
}

/// An incident as the API shows it (the `GET /api/v1/incidents` contract).
#[derive(Debug, Serialize)]
pub struct IncidentView {
    #[serde(flatten)]
    pub incident: IncidentRow,
    /// Past its close clock and still open.
    pub overdue: bool,
}

fn view(state: &AppState, incident: IncidentRow) -> IncidentView {
    let overdue = incident.state == incident_state::OPEN
        && incident.due.is_some_and(|d| d < state.clock.now());
    IncidentView { incident, overdue }
}

/// The caller's incidents, of one shop or all they may see, in one state or all.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    shop_id: Option<i64>,
    state_filter: Option<String>,
) -> DeskResult<Vec<IncidentView>> {
    caller.require(Role::Supervisor)?;
    if let Some(s) = &state_filter
        && ![
            incident_state::OPEN,
            incident_state::CLOSED,
            incident_state::MERGED,
        ]
        .contains(&s.as_str())
    {
        return Err(DeskError::invalid("state is open, closed or merged"));
    }
    let shops = match caller.shop_filter(shop_id)? {
        Some(id) => Some(vec![id]),
        None => caller.shops.clone(),
    };
    let rows = state
        .store
        .incidents(caller.tenant_id, shops, state_filter)
        .await?;
    Ok(rows.into_iter().map(|r| view(state, r)).collect())
}

/// One incident and its timeline, if the caller may see it.
pub async fn load(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> DeskResult<(IncidentView, Vec<IncidentEventRow>)> {
    caller.require(Role::Supervisor)?;
    match state.store.incident(id).await? {
        Some((i, events)) if i.tenant_id == caller.tenant_id && caller.may_see_shop(i.shop_id) => {
            Ok((view(state, i), events))
        }
        _ => Err(DeskError::not_found(format!(
            "incident {id} does not exist"
        ))),
    }
}

/// A supervisor's action on an incident.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "action")]
pub enum IncidentAction {
    Level { level: u8, reason: Option<String> },
    Merge { from: i64 },
    Split { conversation_ids: Vec<i64> },
    Close { cause: String, improvement: String },
    Join { conversation_ids: Vec<i64> },
}

/// Applies a supervisor's action; returns the incident a split made, if any.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: IncidentAction,
) -> DeskResult<Option<i64>> {
    load(state, caller, id).await?;
    let change = match action {
        IncidentAction::Level { level, reason } => {
            if !(1..=3).contains(&level) {
                return Err(DeskError::invalid("level is 1, 2 or 3"));
            }
            let owner_id = owner_for(state, caller.tenant_id, incident_owner(level)).await?;
            IncidentChange::Level {
                level,
                owner_id,
                reason: reason.unwrap_or_default(),
            }
        }
        IncidentAction::Merge { from } => {
            load(state, caller, from).await?;
            IncidentChange::Merge { from }
        }
        IncidentAction::Split { conversation_ids } => IncidentChange::Split(conversation_ids),
        IncidentAction::Join { conversation_ids } => IncidentChange::Join(conversation_ids),
        // COMPLAINT-FLOW's "summarise improvements": no close without both.
        IncidentAction::Close { cause, improvement } => {
            super::validate::non_empty("cause", &cause, 2000)?;
            super::validate::non_empty("improvement", &improvement, 2000)?;
            IncidentChange::Close(json!({"cause": cause.trim(), "improvement": improvement.trim()}))
        }
    };
    let changed = state
        .store
        .change_incident(id, change, &caller.actor, state.clock.now())
        .await?;
    Ok(changed.split_into)
}

/// A supervisor opens an incident by hand on some of a shop's conversations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    pub shop_id: i64,
    pub conversation_ids: Vec<i64>,
    pub level: Option<u8>,
    pub cause: Option<String>,
}

pub async fn open(state: &AppState, caller: &Caller, req: OpenRequest) -> DeskResult<i64> {
    caller.require(Role::Supervisor)?;
    let rules = state.tenant_shop(caller, req.shop_id).await?;
    if req.conversation_ids.is_empty() {
        return Err(DeskError::invalid(
            "an incident links at least one conversation",
        ));
    }
    let level = req.level.unwrap_or(1);
    if !(1..=3).contains(&level) {
        return Err(DeskError::invalid("level is 1, 2 or 3"));
    }
    let now = state.clock.now();
    let plan = incident_opened(&rules.pack, now, req.conversation_ids.len(), Some(level))
        .ok_or_else(|| DeskError::invalid("this shop's pack opens no incidents"))?;
    let id = state
        .store
        .open_incident(NewIncident {
            tenant_id: caller.tenant_id,
            shop_id: req.shop_id,
            level: plan.level,
            rule: plan.rule,
            cause: json!({"by_hand": req.cause.unwrap_or_default()}),
            opened_at: now,
            due: plan.close.map(|c| c.due),
            owner_id: owner_for(state, caller.tenant_id, plan.owner).await?,
            conversation_ids: req.conversation_ids.clone(),
            actor: caller.actor.clone(),
        })
        .await?;
    alert(state, req.shop_id, req.conversation_ids[0], id, plan.level);
    Ok(id)
}

/// One reply for every affected buyer, in each buyer's language: the shop's template (an FAQ
/// answer's key) in that language, else the request's translation for it, else `body`.
/// Each goes through the guard as any reply does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyAll {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub translations: BTreeMap<String, String>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Serialize)]
pub struct RepliedAll {
    pub sent: Vec<i64>,
    /// Conversations not answered, with why: the guard held the reply (blocked, or warned and
    /// not confirmed; the draft is kept), or there was no text in the buyer's language.
    pub held: Vec<Value>,
}

impl ReplyAll {
    /// The texts by language (`""`: for any language) this reply offers.
    async fn texts(&self, state: &AppState, shop_id: i64) -> DeskResult<BTreeMap<String, String>> {
        let mut texts = self.translations.clone();
        if let Some(key) = &self.template {
            let faqs = state.store.faqs(shop_id).await?;
            let found: Vec<_> = faqs.into_iter().filter(|f| &f.key == key).collect();
            if found.is_empty() {
                return Err(DeskError::invalid(format!(
                    "the shop has no template {key:?}"
                )));
            }
            texts.extend(found.into_iter().map(|f| (f.language, f.answer)));
        }
        if let Some(body) = &self.body {
            super::validate::non_empty("body", body, super::validate::MAX_MESSAGE_CHARS)?;
            texts.insert(String::new(), body.clone());
        }
        if texts.is_empty() {
            return Err(DeskError::invalid("a reply needs a body or a template"));
        }
        Ok(texts)
    }
}

pub async fn reply_all(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: ReplyAll,
) -> DeskResult<RepliedAll> {
    let (incident, _) = load(state, caller, id).await?;
    let texts = req.texts(state, incident.incident.shop_id).await?;
    let (mut sent, mut held, mut messages) = (Vec::new(), Vec::new(), Vec::new());
    for &conversation in &incident.incident.conversation_ids {
        let (detail, _) = super::conversations::load(state, caller, conversation).await?;
        let lang = detail
            .conversation
            .language
            .clone()
            .or(detail.customer.language.clone())
            .unwrap_or_default();
        let Some(body) = texts.get(&lang).or(texts.get("")) else {
            let error = format!("no text in the buyer's language {lang:?}");
            held.push(json!({"conversation_id": conversation, "error": error}));
            continue;
        };
        match super::conversations::reply(state, caller, conversation, body, req.confirm).await {
            Ok(r) => {
                sent.push(conversation);
                messages.push(r.message_id);
            }
            Err(DeskError::Held { message, details }) => {
                held.push(
                    json!({"conversation_id": conversation, "error": message, "details": details}),
                );
            }
            Err(e) => return Err(e),
        }
    }
    if !sent.is_empty() {
        let change = IncidentChange::Replied {
            conversation_ids: sent.clone(),
            message_ids: messages,
        };
        state
            .store
            .change_incident(id, change, &caller.actor, state.clock.now())
            .await?;
    }
    Ok(RepliedAll { sent, held })
}
