use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_core::{Platform, Role, Shop};
use kefu_store::NewShop;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, JsonBody};
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
    pub settings: Option<serde_json::Value>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateShop>,
) -> ApiResult<(StatusCode, Json<Shop>)> {
    caller.require(Role::Admin)?;
    if req.name.trim().is_empty() {
        return Err(ApiError::invalid("name must not be empty"));
    }
    let timezone = req
        .timezone
        .unwrap_or_else(|| req.platform.default_timezone().to_string());
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(ApiError::invalid(format!(
            "unknown time zone {timezone:?}: use an IANA name such as Asia/Shanghai or America/New_York"
        )));
    }
    let currency: kefu_core::Currency = req
        .currency
        .as_deref()
        .unwrap_or(req.platform.default_currency())
        .parse()?;
    let pack = req
        .pack
        .unwrap_or_else(|| req.platform.default_pack().to_string());
    let settings = req.settings.unwrap_or_else(|| serde_json::json!({}));
    if !settings.is_object() {
        return Err(ApiError::invalid("settings must be a JSON object"));
    }
    // Refuse a shop whose rules would not load, rather than discover it on its first message.
    effective_pack(&state.packs, &pack, &timezone, &settings)?;
    let shop = state
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
        .await?;
    Ok((StatusCode::CREATED, Json(shop)))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    let mut shops = state.store.shops(caller.tenant_id).await?;
    shops.retain(|s| caller.may_see_shop(s.id));
    Ok(Json(serde_json::json!({ "shops": shops })))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Shop>> {
    let shop = state
        .store
        .shop(id)
        .await?
        .filter(|s| s.tenant_id == caller.tenant_id && caller.may_see_shop(s.id))
        .ok_or_else(|| ApiError::not_found(format!("shop {id} does not exist")))?;
    Ok(Json(shop))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateShop {
    /// IANA time zone; unchanged when absent.
    pub timezone: Option<String>,
    /// The shop's overrides of its pack, replacing the old ones.
    pub settings: serde_json::Value,
}

/// `POST /api/v1/shops/{id}/settings` (admins): new overrides (working hours, targets,
/// promises, the bot's texts…), checked against the pack before they are saved.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<UpdateShop>,
) -> ApiResult<Json<Shop>> {
    caller.require(Role::Admin)?;
    let rules = state.tenant_shop(&caller, id).await?;
    let timezone = req
        .timezone
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| rules.shop.timezone.clone());
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(ApiError::invalid(format!(
            "unknown time zone {timezone:?}: use an IANA name such as Asia/Shanghai or America/New_York"
        )));
    }
    if !req.settings.is_object() {
        return Err(ApiError::invalid("settings must be a JSON object"));
    }
    effective_pack(&state.packs, &rules.shop.pack, &timezone, &req.settings)?;
    let shop = state.store.update_shop(id, &timezone, req.settings).await?;
    state.shops.forget(id);
    Ok(Json(shop))
}
