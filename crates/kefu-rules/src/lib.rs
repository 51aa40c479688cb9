#![doc = include_str!("../README.md")]

pub mod calendar;
pub mod catalog;
pub mod compensation;
pub mod deadline;
pub mod entitlement;
pub mod money;
pub mod pack;
pub mod parse;

pub use calendar::{Calendar, WeeklyWindow};
pub use compensation::{Compensation, CompensationKind, RuleError, compensation};
pub use deadline::{ClockKind, ClockStart, Deadline, DeadlineInput, Severity, Trigger, deadlines};
pub use entitlement::{Counting, EntitlementStatus, StartEvent};
pub use pack::{
    ClockRule, CompensationRule, EntitlementRule, Pack, PackError, PackSet, ShopOverrides,
};
