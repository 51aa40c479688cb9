#![doc = include_str!("../README.md")]

pub mod bench;
mod guard;
mod norm;
mod phrases;
mod platform;
mod privacy;
mod redact;
mod style;
mod text;

pub use guard::{Category, Finding, Guard, LintContext, Severity, Verdict, VerdictKind};
pub use redact::{Redacted, Redaction, SecretKind, redact};

#[cfg(test)]
mod tests;
