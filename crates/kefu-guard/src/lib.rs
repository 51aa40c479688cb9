#![doc = include_str!("../README.md")]

mod guard;
mod phrases;
mod privacy;
mod redact;
mod style;
mod text;

pub use guard::{Category, Finding, Guard, LintContext, Severity, Verdict, VerdictKind};
pub use redact::{Redacted, Redaction, SecretKind, redact};

#[cfg(test)]
#[cfg(test)]
mod tests;
