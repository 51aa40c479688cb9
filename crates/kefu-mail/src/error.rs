//! Why a raw inbound mail could not become a buyer message.
//!
//! Each variant names one cause, so the server can log it, count it, and tell a
//! person what was wrong with the file without reading parser internals.

/// A raw inbound mail that kefu cannot ingest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Zero bytes (or only whitespace) were given.
    #[error("the mail is empty: no bytes were received")]
    Empty,

    /// Larger than [`crate::MAX_MAIL_BYTES`]; refused before parsing so that one
    /// huge upload cannot hold the ingest path.
    #[error("the mail is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },

    /// The bytes do not start with an RFC 5322 header section (plain text, binary
    /// data, a file of another kind).
    #[error("not a mail: {0}")]
    NotAMail(&'static str),

    /// No From (nor Sender nor Reply-To) header with an address: there is nobody to
    /// answer.
    #[error("the mail has no sender: no From, Sender or Reply-To header with an address")]
    NoSender,

    /// A From header whose value is not an email address.
    #[error("the sender is not an email address: {0:?}")]
    InvalidSender(String),

    /// Headers but no body text, no attachment and no subject: nothing a buyer said.
    #[error("the mail has no body text, no attachment and no subject")]
    EmptyBody,

    /// The only body text is declared in a transfer encoding it is not valid in
    /// (for example base64 with characters outside the alphabet).
    #[error("the body is declared {encoding} but is not valid {encoding}")]
    BadTransferEncoding { encoding: &'static str },
}
