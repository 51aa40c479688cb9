//! What a use case answers when it does not do what was asked.

use kefu_store::StoreError;

/// Why a use case refused or failed. It names the kind of refusal and says, in words a
/// person can act on, what to fix; the HTTP edges turn it into a status code and a JSON body
/// (`crate::error::ApiError`), the pages into a message on the page.
#[derive(Debug)]
pub enum DeskError {
    /// The input is well formed but wrong: an empty body, an unknown agent, a bad time.
    Invalid(String),
    /// The thing does not exist, or the caller may not know that it does.
    NotFound(String),
    /// The caller's role or shops do not allow this.
    Forbidden(String),
    /// The request contradicts the current state (a case already closed, a duplicate name).
    Conflict(String),
    /// The reply guard held a reply: nothing was sent and the draft is kept. `details` has
    /// the verdict, the findings and the draft, for the agent to fix it.
    Held {
        message: &'static str,
        details: serde_json::Value,
    },
    /// The store could not do it; nothing was stored, the caller may try again.
    Unavailable(String),
}

pub type DeskResult<T> = Result<T, DeskError>;

impl DeskError {
    pub fn invalid(message: impl Into<String>) -> Self {
        DeskError::Invalid(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        DeskError::NotFound(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        DeskError::Forbidden(message.into())
    }

    /// Whether trying the same thing again later may succeed (the store was unavailable), as
    /// opposed to a refusal of the input itself.
    pub fn is_transient(&self) -> bool {
        matches!(self, DeskError::Unavailable(_))
    }

    /// The words of the error, for a log line or a page.
    pub fn message(&self) -> &str {
        match self {
            DeskError::Invalid(m)
            | DeskError::NotFound(m)
            | DeskError::Forbidden(m)
            | DeskError::Conflict(m)
            | DeskError::Unavailable(m) => m,
            DeskError::Held { message, .. } => message,
        }
    }
}

impl std::fmt::Display for DeskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for DeskError {}

impl From<StoreError> for DeskError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => DeskError::NotFound(m),
            StoreError::Invalid(m) => DeskError::Invalid(m),
            StoreError::Conflict(m) => DeskError::Conflict(m),
            StoreError::Backend(m) => {
                tracing::error!(error = %m, "store failure");
                DeskError::Unavailable(
                    "the database could not complete the request; nothing was stored, try again"
                        .into(),
                )
            }
        }
    }
}

impl From<kefu_core::InvalidInput> for DeskError {
    fn from(e: kefu_core::InvalidInput) -> Self {
        DeskError::Invalid(e.0)
    }
}

impl From<kefu_core::MoneyError> for DeskError {
    fn from(e: kefu_core::MoneyError) -> Self {
        DeskError::Invalid(e.to_string())
    }
}
