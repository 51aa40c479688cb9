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
