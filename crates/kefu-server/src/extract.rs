//! Request extractors: the JSON body (with clear errors for every way it can be wrong) and
//! the caller's identity ([`Caller`], a desk-layer type) from the bearer token.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use kefu_core::Role;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::desk::Caller;
use crate::error::ApiError;

/// Largest request body accepted; a buyer's message is far smaller.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON body parsed into `T`. Empty, oversize, non-JSON and wrongly-shaped bodies each get
/// their own 4xx and a message naming the problem (axum's own `Json` answers some of these
/// in plain text).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("request body is larger than {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::bad_request(format!("could not read the request body: {e}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "request body is empty: send a JSON object",
            ));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error(&mut de)?;
        de.end()
            .map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))?;
        Ok(JsonBody(value))
    }
}

/// Deserializes, telling syntax errors (400) from shape errors such as a missing field (422).
fn serde_path_to_error<'de, T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, ApiError> {
    T::deserialize(de).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::invalid(format!("invalid request: {e}")),
            Category::Eof | Category::Syntax | Category::Io => {
                ApiError::bad_request(format!("invalid JSON: {e}"))
            }
        }
    })
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares in time independent of where the strings differ, so the master key cannot be
/// guessed byte by byte from response times.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("missing Authorization: Bearer <token> header")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be 'Bearer <token>'")
            })?;
        if constant_time_eq(token.as_bytes(), state.master_key.as_bytes()) {
            return Ok(Caller {
                tenant_id: kefu_store::DEFAULT_TENANT,
                agent_id: None,
                role: Role::Admin,
                actor: "master".into(),
                name: "administrator (master key)".into(),
                shops: None,
            });
        }
        let agent = state
            .store
            .agent_by_token_hash(&hash_token(token))
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))?;
        let shops = state.store.agent_shops(agent.id).await?;
        Ok(Caller {
            tenant_id: agent.tenant_id,
            agent_id: Some(agent.id),
            role: agent.role,
            actor: format!("agent:{}", agent.id),
            name: agent.name,
            shops: (!shops.is_empty()).then_some(shops),
        })
    }
}

/// The caller's IP address, when the server was started with connection info (`kefu serve`
/// is; an in-process test router may not be).
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_stable_hex() {
        assert_eq!(hash_token("abc").len(), 64);
        assert_eq!(hash_token("abc"), hash_token("abc"));
        assert!(constant_time_eq(b"key", b"key"));
        assert!(!constant_time_eq(b"key", b"kez"));
        assert!(!constant_time_eq(b"key", b"keys"));
    }
}
