#![doc = include_str!("../README.md")]

pub mod bench;
pub mod calendar;
pub mod catalog;
pub mod compensation;
pub mod coverage;
pub mod deadline;
pub mod entitlement;
mod explain;
pub mod money;
pub mod order;
pub mod pack;
pub mod parse;
pub mod plan;
pub mod staffing;

pub use bench::bench_deadlines;
pub use calendar::{Calendar, WeeklyWindow};
pub use catalog::ids;
pub use compensation::{Compensation, CompensationKind, RuleError, compensation};
pub use coverage::{Coverage, RuleInfo, rule_list};
pub use deadline::{
    ClockKind, ClockStart, Deadline, DeadlineInput, ItemPrice, Severity, Trigger, deadlines,
};
pub use entitlement::{Counting, EntitlementStatus, StartEvent};
pub use kefu_core::Channel;
pub use order::{Entitlement, OrderFacts, entitlements};
pub use pack::{
    ClockRule, CompensationRule, ComplaintOptions, EntitlementRule, OffHoursBot, Pack, PackError,
    PackSet, ShopOverrides, WindowSpec,
};
pub use plan::{ReplyChecks, ReplyFacts, reply_checks};
