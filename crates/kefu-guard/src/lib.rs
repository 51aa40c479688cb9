#![doc = include_str!("../README.md")]

pub mod bench;
mod guard;
mod messages;
mod norm;
mod phrases;
mod platform;
mod privacy;
mod redact;
mod style;
mod text;

use kefu_rules::ids;

/// The RULES.md rules whose IDs this guard's findings carry (besides the
/// shop's own SHOP-FORBIDDEN and SHOP-REQUIRED). Each check registers its rule
/// where it stands (`kefu_core::enforces!`), which is what `kefu rules list`
/// reports; a test keeps this list equal to those registrations.
pub const RULES: &[&str] = &[
    ids::EBAY_SUBSTANTIVE,
    ids::PRIV_NO_SECRETS,
    ids::PRIV_NO_ID_PHOTO,
    ids::PRIV_NO_CARD_NUMBER,
    ids::PLATFORM_NO_OFFSITE,
    ids::REVIEW_NO_INCENTIVE,
    ids::LOST_NO_STALL,
    ids::SCRIPT_EMPATHY,
    ids::SCRIPT_NO_EMOTION,
    ids::SCRIPT_NO_ARGUE,
    ids::SCRIPT_QING_NIN,
    ids::SCRIPT_NO_BLAME,
    ids::AE_CLEAR,
    ids::OPTIONS_3,
];

pub use guard::{Category, Finding, Guard, LintContext, Severity, Verdict, VerdictKind};
pub use messages::rule_summary;
pub use redact::{Redacted, Redaction, SecretKind, redact};

#[cfg(test)]
mod tests;
