//! Each shop's effective rulebook: its pack with the shop's overrides applied, cached per shop
//! so the ingest path does not re-read the shop or rebuild calendars on every message.
//!
//! The cache is per process. Shops change rarely; a node that did not make the change learns of
//! it on restart (multi-node invalidation through PostgreSQL LISTEN/NOTIFY is future work).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use kefu_core::{Channel, ClockKind, ConversationStatus, Order, Shop};
use kefu_rules::plan::{self, ClockOpen};
use kefu_rules::{DeadlineInput, Pack, PackSet, ShopOverrides, Trigger, deadlines};
use kefu_store::{Flag, Store};

use crate::desk::{DeskError, DeskResult};

pub struct ShopRules {
    pub shop: Shop,
    pub pack: Pack,
    /// The shop's settings as parsed (templates such as the off-hours reply live here).
    pub overrides: ShopOverrides,
    /// The reply guard with the shop's own phrases, when it has any.
    pub guard: Option<Arc<kefu_guard::Guard>>,
}

impl ShopRules {
    /// The guard this shop's replies go through.
    pub fn guard<'a>(&'a self, shared: &'a kefu_guard::Guard) -> &'a kefu_guard::Guard {
        self.guard.as_deref().unwrap_or(shared)
    }
}

/// A guard with the shop's forbidden and required phrases, if it set any.
fn shop_guard(o: &ShopOverrides) -> Option<Arc<kefu_guard::Guard>> {
    let flatten =
        |m: &Option<std::collections::BTreeMap<String, Vec<String>>>| -> Vec<(String, String)> {
            m.iter()
                .flatten()
                .flat_map(|(lang, list)| list.iter().map(move |p| (lang.clone(), p.clone())))
                .collect()
        };
    let (forbidden, required) = (flatten(&o.forbidden_phrases), flatten(&o.required_phrases));
    if forbidden.is_empty() && required.is_empty() {
        return None;
    }
    let guard = kefu_guard::Guard::with_shop_phrases(&forbidden, &required);
    guard.warm_up();
    Some(Arc::new(guard))
}

/// A shop's settings as overrides of its pack; the shop's time zone applies unless the
/// settings name another.
pub fn shop_overrides(timezone: &str, settings: &serde_json::Value) -> DeskResult<ShopOverrides> {
    let mut overrides: ShopOverrides = if settings.is_null() {
        ShopOverrides::default()
    } else {
        serde_json::from_value(settings.clone())
            .map_err(|e| DeskError::invalid(format!("invalid shop settings: {e}")))?
    };
    if overrides.timezone.is_none() {
        overrides.timezone = Some(timezone.to_string());
    }
    Ok(overrides)
}

/// Builds a shop's effective pack: the pack named by the shop with the shop's overrides.
pub fn effective_pack(
    packs: &PackSet,
    shop_pack: &str,
    timezone: &str,
    settings: &serde_json::Value,
) -> DeskResult<Pack> {
    let pack = packs.get(shop_pack).ok_or_else(|| {
        DeskError::invalid(format!(
            "unknown policy pack {shop_pack:?}; known packs: {}",
            packs.ids().join(", ")
        ))
    })?;
    pack.with_overrides(&shop_overrides(timezone, settings)?)
        .map_err(|e| DeskError::invalid(format!("invalid shop settings: {e}")))
}

#[derive(Default)]
pub struct ShopRulesCache {
    shops: RwLock<HashMap<i64, (std::time::Instant, Arc<ShopRules>)>>,
}

/// How long a shop's rules are trusted before they are read again: this server forgets a shop
/// at once when it changes it; another server of the same database catches up within this.
const RULES_TTL: std::time::Duration = std::time::Duration::from_secs(60);

impl ShopRulesCache {
    pub async fn get(
        &self,
        store: &dyn Store,
        packs: &PackSet,
        shop_id: i64,
    ) -> DeskResult<Arc<ShopRules>> {
        if let Some((at, found)) = self
            .shops
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&shop_id)
            && at.elapsed() < RULES_TTL
        {
            return Ok(found.clone());
        }
        let shop = store
            .shop(shop_id)
            .await?
            .ok_or_else(|| DeskError::not_found(format!("shop {shop_id} does not exist")))?;
        let pack = effective_pack(packs, &shop.pack, &shop.timezone, &shop.settings)?;
        let overrides = shop_overrides(&shop.timezone, &shop.settings)?;
        let guard = shop_guard(&overrides);
        let rules = Arc::new(ShopRules {
            shop,
            pack,
            overrides,
            guard,
        });
        self.shops
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(shop_id, (std::time::Instant::now(), rules.clone()));
        Ok(rules)
    }

    /// Drops a shop's rules after its settings changed.
    pub fn forget(&self, shop_id: i64) {
        self.shops
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&shop_id);
    }
}

/// The clocks a trigger other than a message opens (marked complex, an after-sales request),
/// on an order of `order_total` when there is one.
pub fn obligations_for(
    pack: &Pack,
    at: DateTime<Utc>,
    order_total: Option<(rust_decimal::Decimal, String)>,
    trigger: Trigger,
) -> Vec<ClockOpen> {
    let input = DeadlineInput {
        received: at,
        order_total,
        items: Vec::new(),
        channel: None,
        trigger,
    };
    deadlines(pack, &input)
        .into_iter()
        .map(ClockOpen::from)
        .collect()
}

pub use kefu_rules::plan::order_value;

/// What a status change does to the clocks, as the rulebook plans it (`plan::status_changed`).
pub fn status_clocks(
    pack: &Pack,
    status: ConversationStatus,
    at: DateTime<Utc>,
) -> (Vec<ClockKind>, Vec<ClockOpen>) {
    let plan = plan::status_changed(pack, status, at);
    (plan.close, plan.open)
}

/// What a buyer's message asks of the store, from the rulebook's two plans: one for a
/// conversation the desk has not answered yet, one for a buyer writing again after an answer
/// (the store learns on ingest which applies).
pub struct MessagePlan {
    pub first_contact: Vec<ClockOpen>,
    pub follow_up: Vec<ClockOpen>,
    pub high_value: bool,
    pub complaint: bool,
    pub flags: Vec<Flag>,
}

/// The rulebook's plan for a buyer's message, in the store's terms.
pub fn message_plan(pack: &Pack, msg: &plan::BuyerMessage<'_>) -> MessagePlan {
    let first = plan::buyer_message(pack, msg, true);
    let later = plan::buyer_message(pack, msg, false);
    let high_value = first.route.high_value || later.route.high_value;
    let complaint = first.complaint || later.complaint;
    let mut flags: Vec<Flag> = Vec::new();
    for f in first.flags.iter().chain(&later.flags) {
        if !flags.iter().any(|g| g.rule == f.rule) {
            flags.push(f.clone());
        }
    }
    MessagePlan {
        first_contact: first.open,
        follow_up: later.open,
        high_value,
        complaint,
        flags,
    }
}

/// The clocks a buyer's message opens (first contact, follow-up); see [`message_plan`].
pub fn plan_obligations(
    pack: &Pack,
    received: DateTime<Utc>,
    order: Option<&Order>,
    channel: Channel,
) -> (Vec<ClockOpen>, Vec<ClockOpen>) {
    let msg = plan::BuyerMessage {
        received,
        order,
        channel,
        body: "",
    };
    let p = message_plan(pack, &msg);
    (p.first_contact, p.follow_up)
}
