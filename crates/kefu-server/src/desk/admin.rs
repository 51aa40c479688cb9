//! Administration use cases: shops and their overrides, agents, teams, shifts, sign-in locks.
//! The API's admin routes and the admin pages both come here.

use kefu_core::{Agent, Platform, Role, Shop};
use kefu_store::{NewAgent, NewShop};
use serde::Deserialize;
use serde_json::{Value, json};

use super::validate::non_empty;
use super::{Caller, DeskError, DeskResult};
use crate::AppState;
use crate::shop_rules::effective_pack;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateShop {
    pub name: String,
    pub platform: Platform,
    pub timezone: Option<String>,
    pub currency: Option<String>,
    pub pack: Option<String>,
    /// Overrides of the pack (targets, working hours, promises); see kefu-rules' ShopOverrides.
    pub settings: Option<Value>,
}

/// An IANA time zone name, or why not.
fn check_timezone(timezone: &str) -> DeskResult<()> {
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(DeskError::invalid(format!(
            "unknown time zone {timezone:?}: use an IANA name such as Asia/Shanghai or America/New_York"
        )));
    }
    Ok(())
}

/// Creates a shop (admins). A shop whose rules would not load is refused now rather than
/// discovered on its first message.
pub async fn create_shop(state: &AppState, caller: &Caller, req: CreateShop) -> DeskResult<Shop> {
    caller.require(Role::Admin)?;
    if req.name.trim().is_empty() {
        return Err(DeskError::invalid("name must not be empty"));
    }
    let timezone = req
        .timezone
        .unwrap_or_else(|| req.platform.default_timezone().to_string());
    check_timezone(&timezone)?;
    let currency: kefu_core::Currency = req
        .currency
        .as_deref()
        .unwrap_or(req.platform.default_currency())
        .parse()?;
    let pack = req
        .pack
        .unwrap_or_else(|| req.platform.default_pack().to_string());
    let settings = req.settings.unwrap_or_else(|| json!({}));
    if !settings.is_object() {
        return Err(DeskError::invalid("settings must be a JSON object"));
    }
    effective_pack(&state.packs, &pack, &timezone, &settings)?;
    Ok(state
        .store
        .create_shop(NewShop {
            tenant_id: caller.tenant_id,
            name: req.name.trim().to_string(),
            platform: req.platform,
            timezone,
            currency: currency.code().to_string(),
            pack,
            settings,
        })
        .await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateShop {
    /// IANA time zone; unchanged when absent.
    pub timezone: Option<String>,
    /// The shop's overrides of its pack, replacing the old ones.
    pub settings: Value,
}

/// New overrides for a shop (working hours, targets, promises, the bot's texts…; admins),
/// checked against the pack before they are saved.
pub async fn update_shop(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: UpdateShop,
) -> DeskResult<Shop> {
    caller.require(Role::Admin)?;
    let rules = state.tenant_shop(caller, id).await?;
    let timezone = req
        .timezone
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| rules.shop.timezone.clone());
    check_timezone(&timezone)?;
    if !req.settings.is_object() {
        return Err(DeskError::invalid("settings must be a JSON object"));
    }
    effective_pack(&state.packs, &rules.shop.pack, &timezone, &req.settings)?;
    let shop = state.store.update_shop(id, &timezone, req.settings).await?;
    state.shops.forget(id);
    Ok(shop)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub languages: Vec<String>,
    /// The shops the agent works for (default: all of the tenant's).
    #[serde(default)]
    pub shops: Vec<i64>,
}

/// Creates an agent (admins), limited to the shops named (every one the caller's).
pub async fn create_agent(
    state: &AppState,
    caller: &Caller,
    req: CreateAgent,
) -> DeskResult<Agent> {
    caller.require(Role::Admin)?;
    non_empty("name", &req.name, 200)?;
    if !req.email.contains('@') || req.email.len() > 254 {
        return Err(DeskError::invalid(format!(
            "{:?} is not an email address",
            req.email
        )));
    }
    // Every shop named must be one of the caller's before anything is created.
    for shop in &req.shops {
        state.tenant_shop(caller, *shop).await?;
    }
    let agent = state
        .store
        .create_agent(NewAgent {
            tenant_id: caller.tenant_id,
            email: req.email.trim().to_lowercase(),
            name: req.name.trim().to_string(),
            role: req.role,
            languages: req.languages,
            password_hash: None,
        })
        .await?;
    if !req.shops.is_empty() {
        state.store.set_agent_shops(agent.id, req.shops).await?;
    }
    Ok(agent)
}

/// An agent sets themself available or away (a supervisor may do it for them); going away
/// hands their open conversations to others. Answers the conversations that moved.
pub async fn set_availability(
    state: &AppState,
    caller: &Caller,
    id: i64,
    available: bool,
) -> DeskResult<Vec<i64>> {
    if caller.agent_id != Some(id) {
        caller.require(Role::Supervisor)?;
    }
    Ok(state
        .store
        .set_availability(id, available, state.clock.now())
        .await?)
}

/// Lifts every sign-in lock on an agent (admins) and resets their stored failure count.
/// Answers the agent and how many locks were lifted.
pub async fn unlock_agent(
    state: &AppState,
    caller: &Caller,
    agent_id: i64,
) -> DeskResult<(Agent, usize)> {
    caller.require(Role::Admin)?;
    let agent = state
        .store
        .agents(caller.tenant_id)
        .await?
        .into_iter()
        .find(|a| a.id == agent_id)
        .ok_or_else(|| DeskError::not_found(format!("agent {agent_id} does not exist")))?;
    let now = state.clock.now();
    let lifted = state
        .limits
        .sign_in
        .unlock(&agent.email.trim().to_lowercase(), now);
    // The stored count is a record of failures only; a success resets it.
    state
        .store
        .record_login(agent.id, true, i64::MAX, now)
        .await?;
    Ok((agent, lifted))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    pub name: String,
    /// Takes the conversations of high-value orders (HIGHVALUE-CHANNEL).
    #[serde(default)]
    pub high_value: bool,
    /// `least_load` (default) or `round_robin`.
    pub routing: Option<String>,
    #[serde(default)]
    pub members: Vec<i64>,
}

/// Creates a team and its members (admins). Answers the team as the API shows it.
pub async fn create_team(state: &AppState, caller: &Caller, req: CreateTeam) -> DeskResult<Value> {
    caller.require(Role::Admin)?;
    non_empty("name", &req.name, 200)?;
    let routing = req.routing.unwrap_or_else(|| "least_load".into());
    if routing != "least_load" && routing != "round_robin" {
        return Err(DeskError::invalid(format!(
            "routing {routing:?} is not least_load or round_robin"
        )));
    }
    let agents = state.store.agents(caller.tenant_id).await?;
    if let Some(stranger) = req
        .members
        .iter()
        .find(|m| !agents.iter().any(|a| a.id == **m))
    {
        return Err(DeskError::invalid(format!(
            "agent {stranger} does not exist"
        )));
    }
    let id = state
        .store
        .create_team(kefu_store::NewTeam {
            tenant_id: caller.tenant_id,
            name: req.name.trim().to_string(),
            high_value: req.high_value,
            routing: routing.clone(),
            members: req.members.clone(),
        })
        .await?;
    Ok(
        json!({"id": id, "name": req.name.trim(), "high_value": req.high_value, "routing": routing, "members": req.members}),
    )
}

/// An agent's weekly shifts (admins, or the agent), or `{}` to clear them. From then on the
/// desk makes the agent available and away by them. Answers the shifts as the API shows them.
pub async fn set_shifts(
    state: &AppState,
    caller: &Caller,
    id: i64,
    shifts: Value,
) -> DeskResult<Value> {
    if caller.agent_id != Some(id) {
        caller.require(Role::Admin)?;
    }
    let agents = state.store.agents(caller.tenant_id).await?;
    if !agents.iter().any(|a| a.id == id) {
        return Err(DeskError::not_found(format!("agent {id} does not exist")));
    }
    if shifts.as_object().is_some_and(|o| o.is_empty()) {
        state.store.set_shifts(id, None).await?;
        return Ok(json!({"agent_id": id, "shifts": null}));
    }
    let shifts: crate::shifts::Shifts =
        serde_json::from_value(shifts).map_err(|e| DeskError::invalid(format!("shifts: {e}")))?;
    let on_shift = shifts
        .on_shift(state.clock.now())
        .map_err(|e| DeskError::invalid(format!("shifts: {e}")))?;
    let text = serde_json::to_string(&shifts).unwrap_or_default();
    state.store.set_shifts(id, Some(text)).await?;
    Ok(json!({"agent_id": id, "shifts": shifts, "on_shift_now": on_shift}))
}
