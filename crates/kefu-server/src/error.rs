//! One error type for every API answer that is not a success, always JSON:
//! `{"error": {"code": "...", "message": "..."}}`. Bad input is a 4xx with a message that says
//! what to fix; only our own failures are 5xx, and those are logged.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_store::StoreError;

use crate::desk::DeskError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Extra fields merged into the body's top level (the guard's verdict and findings).
    pub extra: Option<serde_json::Value>,
    /// Seconds to wait before trying again (a `Retry-After` header), for 429 answers.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: None,
            retry_after: None,
        }
    }

    /// `429` with how long to wait, in the body and in `Retry-After`.
    pub fn too_many(message: impl Into<String>, wait: chrono::Duration) -> Self {
        let secs = (wait.num_milliseconds().max(0) as u64)
            .div_ceil(1000)
            .max(1);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("{}; try again in {secs} s", message.into()),
        );
        e.retry_after = Some(secs);
        e
    }

    pub fn with_verdict(mut self, extra: serde_json::Value) -> Self {
        self.extra = Some(extra);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Well-formed JSON whose values are wrong (negative total, unknown currency …).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for ApiError {}

impl From<DeskError> for ApiError {
    /// The one place a use case's refusal becomes an HTTP status (the API and the pages both
    /// come through here).
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::Invalid(m) => ApiError::invalid(m),
            DeskError::NotFound(m) => ApiError::not_found(m),
            DeskError::Forbidden(m) => ApiError::forbidden(m),
            DeskError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            DeskError::Held { message, details } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "guard", message)
                    .with_verdict(details)
            }
            DeskError::Unavailable(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        DeskError::from(e).into()
    }
}

impl From<kefu_core::InvalidInput> for ApiError {
    fn from(e: kefu_core::InvalidInput) -> Self {
        DeskError::from(e).into()
    }
}

impl From<kefu_core::MoneyError> for ApiError {
    fn from(e: kefu_core::MoneyError) -> Self {
        DeskError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(serde_json::Value::Object(extra)) = self.extra {
            for (k, v) in extra {
                body[k] = v;
            }
        }
        let body = Json(body);
        let mut response = (self.status, body).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
