use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kefu_core::{Money, Order, Role};
use kefu_store::NewOrder;
use serde::Deserialize;

use crate::AppState;
use crate::desk::Caller;
use crate::desk::validate::parse_time;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;

/// An amount may come as a JSON string ("19.90", exact) or a number (19.9); numbers are read
/// from their text, never through a float.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    Text(String),
    Number(serde_json::Number),
}

impl Amount {
    fn text(&self) -> String {
        match self {
            Amount::Text(s) => s.clone(),
            Amount::Number(n) => n.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpsertOrder {
    pub shop_id: i64,
    pub external_id: String,
    pub total: Amount,
    pub currency: String,
    pub paid_at: String,
    pub promised_ship_by: Option<String>,
    pub shipped_at: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub delivered_at: Option<String>,
    pub signed_at: Option<String>,
    pub closed_at: Option<String>,
    #[serde(default)]
    pub promises: Vec<String>,
    /// What was bought: `[{"title", "quantity", "unit_price", "sku"}]`.
    #[serde(default)]
    pub items: Vec<kefu_core::OrderItem>,
    /// The buyer's email, phone and postcode as the shop has them: a web-chat visitor proves
    /// the order theirs with the one the shop's `order_proof` setting names. Never shown.
    pub buyer_email: Option<String>,
    pub buyer_phone: Option<String>,
    pub buyer_postcode: Option<String>,
}

/// An optional contact field: trimmed, blank as absent, at most 200 characters.
fn contact(field: &str, v: Option<String>) -> ApiResult<Option<String>> {
    let Some(v) = v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > 200 {
        return Err(ApiError::invalid(format!(
            "{field} is longer than 200 characters"
        )));
    }
    Ok(Some(v))
}

fn opt_time(field: &str, v: &Option<String>) -> ApiResult<Option<DateTime<Utc>>> {
    Ok(v.as_deref().map(|t| parse_time(field, t)).transpose()?)
}

pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<UpsertOrder>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    caller.require(Role::Agent)?;
    if req.external_id.trim().is_empty() {
        return Err(ApiError::invalid("external_id must not be empty"));
    }
    let total = Money::parse(&req.total.text(), &req.currency)?;
    state.tenant_shop(&caller, req.shop_id).await?;
    let order = NewOrder {
        shop_id: req.shop_id,
        external_id: req.external_id.trim().to_string(),
        total,
        paid_at: parse_time("paid_at", &req.paid_at)?,
        promised_ship_by: opt_time("promised_ship_by", &req.promised_ship_by)?,
        shipped_at: opt_time("shipped_at", &req.shipped_at)?,
        carrier: req.carrier,
        tracking_number: req.tracking_number,
        // Taobao says 签收 (signed for), eBay "delivered": the same fact.
        delivered_at: opt_time("delivered_at", &req.delivered_at)?
            .or(opt_time("signed_at", &req.signed_at)?),
        closed_at: opt_time("closed_at", &req.closed_at)?,
        promises: req.promises,
        items: req.items,
        buyer: kefu_store::OrderBuyer {
            email: contact("buyer_email", req.buyer_email)?,
            phone: contact("buyer_phone", req.buyer_phone)?,
            postcode: contact("buyer_postcode", req.buyer_postcode)?,
        },
    };
    if order.items.len() > 200 {
        return Err(ApiError::invalid("an order may list at most 200 items"));
    }
    for item in &order.items {
        if item.title.trim().is_empty() || item.title.chars().count() > 300 {
            return Err(ApiError::invalid(
                "every item needs a title of 1 to 300 characters",
            ));
        }
        if let Some(price) = &item.unit_price {
            Money::parse(price, &req.currency)?;
        }
    }
    if let Some(shipped) = order.shipped_at
        && shipped < order.paid_at
    {
        return Err(ApiError::invalid("shipped_at is before paid_at"));
    }
    let order = state.store.upsert_order(order).await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// `GET /api/v1/shops/{shop_id}/orders/{external_id}/entitlements`: what the buyer is entitled
/// to on this order now under the shop's rules — each with rule ID, reason, amounts, currency,
/// who bears the shipping and the claim window.
pub async fn entitlements(
    State(state): State<AppState>,
    caller: Caller,
    Path((shop_id, external_id)): Path<(i64, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let rules = state.tenant_shop(&caller, shop_id).await?;
    let order = state
        .store
        .order(shop_id, &external_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "order {external_id:?} does not exist in shop {shop_id}"
            ))
        })?;
    let now = state.clock.now();
    let list = kefu_rules::entitlements(&rules.pack, &crate::desk::cases::order_facts(&order), now);
    Ok(Json(
        serde_json::json!({"order": order.external_id, "pack": rules.pack.id, "at": now.to_rfc3339(), "entitlements": list}),
    ))
}
