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

/// The RULES.md rules whose IDs this guard's findings carry (besides the
/// shop's own SHOP-FORBIDDEN and SHOP-REQUIRED). `kefu-rules` lists the same
/// IDs as enforced by the guard (`catalog::GUARD_RULES`; a test keeps the two
/// lists equal).
pub const RULES: &[&str] = &[
    "EBAY-SUBSTANTIVE",
    "PRIV-NO-SECRETS",
    "PRIV-NO-ID-PHOTO",
    "PRIV-NO-CARD-NUMBER",
    "PLATFORM-NO-OFFSITE",
    "REVIEW-NO-INCENTIVE",
    "LOST-NO-STALL",
    "SCRIPT-EMPATHY",
    "SCRIPT-NO-EMOTION",
    "SCRIPT-NO-ARGUE",
    "SCRIPT-QING-NIN",
    "SCRIPT-NO-BLAME",
    "AE-CLEAR",
    "OPTIONS-3",
];

pub use guard::{Category, Finding, Guard, LintContext, Severity, Verdict, VerdictKind};
pub use messages::rule_summary;
pub use redact::{Redacted, Redaction, SecretKind, redact};

#[cfg(test)]
mod tests;
