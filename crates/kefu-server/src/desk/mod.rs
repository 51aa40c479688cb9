//! The desk layer: the application's use cases — ingest a buyer's message, reply, note, set a
//! status, assign, open and move an after-sales case, log a call, manage shops, agents and
//! FAQs — between the edges and the store.
//!
//! Every edge calls these functions: the JSON API (`routes`), the web pages (`ui`), the SMTP
//! listener and IMAP poller (`mail_ingest`), the marketplace connectors, the bot and the
//! scheduler. No edge calls another edge's handler. A use case takes the [`Caller`] and plain
//! inputs, asks the rulebook (`kefu_rules::plan`) what the event means, hands the plan to the
//! store and tells the live hub and the search index. It answers with a [`DeskError`], which
//! says what went wrong, never how to say it over HTTP: the HTTP edges choose the status code
//! (`crate::error`).

pub mod admin;
pub mod caller;
pub mod calls;
pub mod cases;
pub mod complaints;
pub mod conversations;
pub mod drill;
mod error;
pub mod faqs;
mod guard;
pub mod incidents;
pub mod ingest;
pub mod peak;
pub mod pull;
pub mod rating;
pub mod reports;
pub mod scorecards;
pub mod simulation;
pub mod staffing;
pub mod sweep;
pub mod validate;

pub use caller::Caller;
pub use error::{DeskError, DeskResult};
pub use guard::{check_reply, reply_context};
