//! The coverage registry: which code enforces which rule, registered where that code is.
//!
//! A place that enforces a rule of `RULES.md` says so on the spot with [`enforces!`](crate::enforces):
//!
//! ```ignore
//! kefu_core::enforces!(ids::HIGHVALUE_CHANNEL, test = "kefu-store::conformance::routing::high_value_orders_go_to_their_team");
//! ```
//!
//! The macro adds one [`Enforcement`] (the rule, `file!()`, `line!()`, `module_path!()` and
//! the test that covers it) to [`ENFORCEMENTS`], a `linkme` distributed slice: the linker
//! gathers the entries of every crate linked into a binary into one slice, so the list is
//! built from the code and cannot drift from it the way a hand-kept list does.
//! `kefu_rules::rule_list` (and so `kefu rules list`) reports from it. A binary sees the
//! entries of the crates it links: the `kefu` binary links them all.
//!
//! Why here: every crate that enforces a rule can depend on `kefu-core` without a cycle (it
//! depends on no other kefu crate). `kefu-guard`, which did not depend on `kefu-core`, now
//! does, and on `kefu-rules` for the rule-ID constants: both are pure (no I/O), everything that
//! links the guard (the server, the CLI) links both already, and neither depends on the guard.
//! A second registry for the guard alone would have had to be merged by every reader.
//!
//! The test string names a test as `crate::module::function`, with the crate's directory
//! name and, for an integration test, the file under `tests/` as the first module
//! (`kefu::api::high_value_orders_are_routed_to_their_team`); `crates/kefu/tests/cli.rs`
//! checks that each one exists.
//!
//! This module does NOT know the rule catalogue (that is `kefu_rules::catalog`); callers pass
//! the catalogue's constants.

#[doc(hidden)]
pub use linkme;

/// What a registered place enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforces {
    /// This rule, for every shop.
    Rule(&'static str),
    /// This rule, for the shops whose pack cites it (the pack sets it up, e.g. how many
    /// options OPTIONS-3 asks for); uncited, the code does nothing.
    RuleWhenCited(&'static str),
    /// Every rule a pack cites in this table of the pack (`clocks`, `compensations`, …):
    /// the code applies that table.
    PackTable(&'static str),
}

/// One place that enforces a rule.
#[derive(Debug)]
pub struct Enforcement {
    pub enforces: Enforces,
    /// Source file, as the compiler names it (relative to the workspace root).
    pub file: &'static str,
    pub line: u32,
    /// Module path of the place (`kefu_rules::plan`): its first part is the crate.
    pub module: &'static str,
    /// The test that shows the rule enforced (`crate::module::function`).
    pub test: &'static str,
}

impl Enforcement {
    /// The crate of the place, as its package is named (`kefu-rules`).
    pub fn crate_name(&self) -> String {
        self.module
            .split("::")
            .next()
            .unwrap_or(self.module)
            .replace('_', "-")
    }
}

/// Every registered place of the crates linked into this binary, in no particular order.
#[linkme::distributed_slice]
pub static ENFORCEMENTS: [Enforcement];

/// The registered places (see [`ENFORCEMENTS`]).
pub fn enforcements() -> &'static [Enforcement] {
    &ENFORCEMENTS
}

/// Registers the place it stands at as enforcing a rule (see the [module](self)):
///
/// - `enforces!(ids::X, test = "…")`: this code enforces rule X for every shop;
/// - `enforces!(ids::X, when_cited, test = "…")`: for the shops whose pack cites X;
/// - `enforces!(pack_table = tables::CLOCKS, test = "…")`: every rule a pack cites in that
///   table (`kefu_rules::pack::tables`).
///
/// It expands to an item, so it may stand inside a function body, at the check itself.
#[macro_export]
macro_rules! enforces {
    (pack_table = $table:expr, test = $test:literal $(,)?) => {
        $crate::__enforcement!($crate::coverage::Enforces::PackTable($table), $test);
    };
    ($rule:expr, when_cited, test = $test:literal $(,)?) => {
        $crate::__enforcement!($crate::coverage::Enforces::RuleWhenCited($rule), $test);
    };
    ($rule:expr, test = $test:literal $(,)?) => {
        $crate::__enforcement!($crate::coverage::Enforces::Rule($rule), $test);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __enforcement {
    ($what:expr, $test:literal) => {
        const _: () = {
            #[$crate::coverage::linkme::distributed_slice($crate::coverage::ENFORCEMENTS)]
            #[linkme(crate = $crate::coverage::linkme)]
            static ENFORCEMENT: $crate::coverage::Enforcement = $crate::coverage::Enforcement {
                enforces: $what,
                file: file!(),
                line: line!(),
                module: module_path!(),
                test: $test,
            };
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed_in_a_function() -> u32 {
        crate::enforces!(
            "TEST-IN-FN",
            when_cited,
            test = "kefu-core::coverage::tests::entries_carry_their_place"
        );
        line!() - 5
    }

    crate::enforces!(
        pack_table = "clocks",
        test = "kefu-core::coverage::tests::entries_carry_their_place"
    );

    #[test]
    fn entries_carry_their_place() {
        let all = enforcements();
        let in_fn = all
            .iter()
            .find(|e| e.enforces == Enforces::RuleWhenCited("TEST-IN-FN"))
            .expect("the entry made inside a function is collected");
        assert_eq!(in_fn.line, placed_in_a_function());
        assert_eq!(in_fn.file, file!());
        assert_eq!(in_fn.module, module_path!());
        assert_eq!(in_fn.crate_name(), "kefu-core");
        assert!(
            all.iter()
                .any(|e| e.enforces == Enforces::PackTable("clocks"))
        );
    }
}
