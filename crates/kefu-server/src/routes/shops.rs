//! `/api/v1/shops…`: the JSON edge of the shop use cases in [`crate::desk::admin`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_core::Shop;

use crate::AppState;
use crate::desk::admin::{self, CreateShop, UpdateShop};
use crate::desk::{Caller, DeskError};
use crate::error::ApiResult;
use crate::extract::JsonBody;

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateShop>,
) -> ApiResult<(StatusCode, Json<Shop>)> {
    let shop = admin::create_shop(&state, &caller, req).await?;
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
        .ok_or_else(|| DeskError::not_found(format!("shop {id} does not exist")))?;
    Ok(Json(shop))
}

/// `POST /api/v1/shops/{id}/settings` (admins): new overrides, checked against the pack.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<UpdateShop>,
) -> ApiResult<Json<Shop>> {
    Ok(Json(admin::update_shop(&state, &caller, id, req).await?))
}
