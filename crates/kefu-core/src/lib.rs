#![doc = include_str!("../README.md")]

pub mod clock;
pub mod coverage;
pub mod domain;
pub mod lang;
pub mod money;

pub use clock::{Clock, ManualClock, SystemClock};
pub use domain::*;
pub use lang::detect_language;
pub use money::{Currency, Money, MoneyError};

/// An error in a value given from outside (an API body, a CLI flag): the message is meant for
/// the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

impl InvalidInput {
    pub fn new(msg: impl Into<String>) -> Self {
        InvalidInput(msg.into())
    }
}
