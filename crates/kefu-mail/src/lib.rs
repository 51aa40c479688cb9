#![doc = include_str!("../README.md")]

mod base64;
mod error;
mod html;
mod inbound;
mod outbound;
mod quote;
mod thread;
mod words;

pub use error::MailError;
pub use html::html_to_text;
pub use inbound::{Attachment, InboundMail, parse_inbound};
pub use outbound::{OutboundMail, build_reply, build_reply_with_message_id, reply_subject};
pub use quote::trim_quoted;
pub use thread::{normalize_id, thread_keys};
pub use words::decode_encoded_words;

/// The largest raw mail [`parse_inbound`] accepts: 10 MiB. Buyers send photos of
/// damaged goods; ten phone photos fit, a video does not, and the limit keeps
/// one upload from holding the ingest path.
pub const MAX_MAIL_BYTES: usize = 10 * 1024 * 1024;
