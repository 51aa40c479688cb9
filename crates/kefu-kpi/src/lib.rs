//! The supervisor's figures (issue 12) as pure functions, with no I/O and no clock: what a
//! first response, a resolution, a rating and a repeated complaint count as, over a period in
//! the shop's own time zone, and how each compares with its target.
//!
//! The store keeps rollups so that reports stay fast as the data grows; this crate is the
//! definition they must agree with. [`figures::kpis`] computes every figure by brute force
//! from per-conversation facts, which makes it the oracle the rollups are tested against.
//!
//! - [`period`]: days, weeks, months and ranges in a shop's time zone.
//! - [`figures`]: first response, resolution rate (KPI-RESOLUTION-85), CSAT (KPI-CSAT-4.5,
//!   FEEDBACK-RATING), repeat-complaint rate (KPI-REPEAT-5), grouped by any key.
//! - [`rollup`]: each conversation's contribution and the sums the store's rollups keep.
//! - [`scorecard`]: the platforms' own scores of first replies, a forecast, the penalty ladder.
//! - [`target`]: red, amber or green against a target.
//!
//! Whether a conversation is a complaint is the rulebook's call (`kefu_rules::plan`'s
//! complaint detector, which OPTIONS-3 uses too) or an agent's mark; the figures take it as
//! a fact.

pub mod figures;
pub mod period;
pub mod rollup;
pub mod scorecard;
pub mod target;

pub use figures::{ClockShare, ConversationFacts, Csat, FirstResponse, Kpis, grouped, kpis};
pub use period::Period;
pub use rollup::{Contribution, Figure, Totals, reply_bucket};
pub use target::{Direction, Rag, Target, Targets, rag};
