//! A shop's FAQ: the answers its bot gives (TB-OFFHOURS-BOT), per language (LANG-LOCAL), and
//! the season's twenty presets a shop loads before a peak (PEAK-PREP).
//!
//! Supervisors and admins edit them; the JSON edge of [`crate::desk::faqs`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_core::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::faqs::{LoadPresets, load_presets_into, save};
use crate::desk::{Caller, DeskError};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(shop_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.tenant_shop(&caller, shop_id).await?;
    let faqs = state.store.faqs(shop_id).await?;
    Ok(Json(json!({"shop_id": shop_id, "faqs": faqs})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutFaq {
    pub questions: Vec<String>,
    pub answer: String,
}

/// `PUT /api/v1/shops/{id}/faqs/{key}/{language}`: adds or replaces one answer.
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path((shop_id, key, language)): Path<(i64, String, String)>,
    JsonBody(req): JsonBody<PutFaq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Supervisor)?;
    let rules = state.tenant_shop(&caller, shop_id).await?;
    let findings = save(&state, &rules, &key, &language, &req.questions, &req.answer)
        .await
        .map_err(DeskError::from)?;
    Ok((
        StatusCode::OK,
        Json(json!({"shop_id": shop_id, "key": key, "language": language, "findings": findings})),
    ))
}

/// `DELETE /api/v1/shops/{id}/faqs/{key}/{language}`.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((shop_id, key, language)): Path<(i64, String, String)>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Supervisor)?;
    state.tenant_shop(&caller, shop_id).await?;
    if !state.store.delete_faq(shop_id, &key, &language).await? {
        return Err(ApiError::not_found(format!(
            "shop {shop_id} has no FAQ {key:?} in {language:?}"
        )));
    }
    state.faqs.forget(shop_id);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/shops/{id}/faqs/presets`: loads the season's twenty most-asked questions
/// (PEAK-PREP) into the shop's FAQ, keeping what the shop already wrote unless told otherwise.
pub async fn load_presets(
    State(state): State<AppState>,
    caller: Caller,
    Path(shop_id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Supervisor)?;
    state.tenant_shop(&caller, shop_id).await?;
    // The body is optional: none loads every preset.
    let req: LoadPresets = if body.iter().all(u8::is_ascii_whitespace) {
        LoadPresets::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("invalid request: {e}")))?
    };
    let (added, kept) = load_presets_into(&state, shop_id, &req).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"shop_id": shop_id, "loaded": added, "kept": kept, "rule": kefu_faq::PRESETS_RULE}),
        ),
    ))
}
