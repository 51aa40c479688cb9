//! Marketplace connectors of a tenant's shops: admins add them with the platform's
//! credentials (sealed with the master key before they are stored, never shown again), and
//! everyone who runs the desk can see how each is doing.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kefu_connect::{Credentials, Kind};
use kefu_core::Role;
use kefu_store::{ConnectorRow, NewConnector};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::desk::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateConnector {
    /// `ebay` or `aliexpress`.
    pub kind: String,
    /// The platform's API address; the production one when absent.
    pub base_url: Option<String>,
    /// The platform's credentials (eBay: `oauth_user_token`, …; AliExpress: `app_key`,
    /// `app_secret`, `access_token`, …).
    pub credentials: serde_json::Map<String, Value>,
    /// Seconds between polls while all is well (default 60).
    pub poll_interval_secs: Option<u64>,
    /// Wait after the first failure, doubled after each further one up to an hour (default 30).
    pub first_retry_secs: Option<u64>,
}

/// How a connector is shown: never its credentials.
fn view(row: &ConnectorRow) -> Value {
    json!({
        "id": row.id,
        "shop_id": row.shop_id,
        "kind": row.kind,
        "base_url": row.base_url,
        "state": row.health.get("state").cloned().unwrap_or(json!("ok")),
        "health": row.health,
        "next_attempt_at": row.next_attempt_at.to_rfc3339(),
        "created_at": row.created_at.to_rfc3339(),
    })
}

/// `POST /api/v1/shops/{id}/connectors`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(shop_id): Path<i64>,
    JsonBody(req): JsonBody<CreateConnector>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Admin)?;
    state.tenant_shop(&caller, shop_id).await?;
    let kind: Kind = req.kind.parse()?;
    let base_url = req
        .base_url
        .as_deref()
        .map(str::trim)
        .unwrap_or(kind.default_base_url())
        .trim_end_matches('/')
        .to_string();
    if !(base_url.starts_with("https://")
        || base_url.starts_with("http://127.0.0.1")
        || base_url.starts_with("http://localhost"))
    {
        return Err(ApiError::invalid(format!(
            "base_url {base_url:?} must be an https:// address (plain http only for 127.0.0.1 or localhost)"
        )));
    }
    let mut creds = req.credentials;
    creds.insert("platform".into(), json!(kind.as_str()));
    let creds: Credentials = serde_json::from_value(Value::Object(creds)).map_err(|e| {
        ApiError::invalid(format!(
            "credentials for {kind} are incomplete or wrong: {e}"
        ))
    })?;
    let mut policy = kefu_connect::Backoff::default();
    if let Some(secs) = req.poll_interval_secs {
        if !(1..=86_400).contains(&secs) {
            return Err(ApiError::invalid("poll_interval_secs must be 1 to 86400"));
        }
        policy.poll_interval_secs = secs;
    }
    if let Some(secs) = req.first_retry_secs {
        if !(1..=3_600).contains(&secs) {
            return Err(ApiError::invalid("first_retry_secs must be 1 to 3600"));
        }
        policy.first_retry_secs = secs;
    }
    let now = state.clock.now();
    let row = state
        .store
        .create_connector(NewConnector {
            shop_id,
            kind: kind.as_str().into(),
            base_url,
            credentials: kefu_connect::seal(&state.master_key, &creds),
            at: now,
        })
        .await?;
    // Its health starts with the policy chosen here; the first poll is due at once.
    let health = serde_json::to_value(kefu_connect::Health::with_policy(now, policy))
        .unwrap_or_else(|_| json!({}));
    state
        .store
        .save_connector(row.id, None, health.clone(), now)
        .await?;
    let row = ConnectorRow { health, ..row };
    Ok((StatusCode::CREATED, Json(view(&row))))
}

/// `GET /api/v1/connectors`: the connectors of the caller's shops with their health.
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let shops: Vec<i64> = state
        .store
        .shops(caller.tenant_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .filter(|id| caller.may_see_shop(*id))
        .collect();
    let rows = state.store.connectors(Some(shops)).await?;
    Ok(Json(
        json!({"connectors": rows.iter().map(view).collect::<Vec<_>>()}),
    ))
}
