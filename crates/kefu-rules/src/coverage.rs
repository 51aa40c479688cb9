//! What enforces each rule of the catalogue, from the registry the code builds
//! (`kefu_core::coverage`) and the packs' citations — never from a hand-kept list.
//!
//! A rule is enforced when a registered place enforces it for every shop
//! (`Enforces::Rule`), or when a pack cites it and a registered place applies that citation:
//! the code of the pack's table (`Enforces::PackTable`, e.g. the deadline calculator for
//! `[[clocks]]`) or a check that runs for the shops whose pack cites the rule
//! (`Enforces::RuleWhenCited`, e.g. OPTIONS-3). A pack that cites a rule no linked code
//! applies does not make it enforced.
//!
//! The registry holds the places of the crates linked into the running binary: in the `kefu`
//! binary that is every crate; in this crate's own tests, only this crate and `kefu-core`.

use std::collections::BTreeSet;

use kefu_core::coverage::{Enforcement, Enforces, enforcements};
use serde::Serialize;

use crate::catalog::RULES;
use crate::pack::PackSet;

/// One rule of RULES.md and what enforces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    pub id: String,
    /// As in RULES.md: `sla`, `guard`, `after-sales`, `process`, `kpi`, `staffing`, …
    pub kind: String,
    /// Seed numbers of the source articles, comma-separated (`000`, `001,003`).
    pub source: String,
    /// The packs whose citation of the rule some code applies (alphabetical), then the crates
    /// whose code enforces it (`kefu-guard`, `kefu-rules`, `kefu-server`, …).
    pub enforced_by: Vec<String>,
    pub enforced: bool,
    /// The places that enforce it: file, line and the test that covers each.
    pub coverage: Vec<Coverage>,
}

/// One place of the code that enforces a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Source file, relative to the workspace root.
    pub file: String,
    pub line: u32,
    /// The module of the place (`kefu_rules::plan`).
    pub module: String,
    /// The test that shows it enforced (`crate::module::function`).
    pub test: String,
    /// When the place applies a pack's table rather than this rule alone: the table
    /// (`clocks`), and the packs that cite the rule there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pack_table: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packs: Vec<String>,
    /// The place enforces the rule only for shops whose pack cites it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub when_cited: bool,
}

impl Coverage {
    fn of(e: &Enforcement) -> Coverage {
        Coverage {
            file: e.file.to_string(),
            line: e.line,
            module: e.module.to_string(),
            test: e.test.to_string(),
            pack_table: None,
            packs: Vec::new(),
            when_cited: false,
        }
    }
}

/// Every rule of RULES.md, in its order, with what enforces it among `packs` and the places
/// registered in this binary.
pub fn rule_list(packs: &PackSet) -> Vec<RuleInfo> {
    rule_list_from(packs, enforcements())
}

/// [`rule_list`] over given places (tests pass their own).
pub fn rule_list_from(packs: &PackSet, places: &[Enforcement]) -> Vec<RuleInfo> {
    // (pack id, table, rule) for every citation of every pack.
    let cited: Vec<(&str, &'static str, &str)> = packs
        .ids()
        .into_iter()
        .filter_map(|id| packs.get(id).map(|p| (id, p)))
        .flat_map(|(id, p)| {
            p.citations()
                .into_iter()
                .map(move |(table, rule)| (id, table, rule))
        })
        .collect();
    RULES
        .iter()
        .map(|&(id, kind, source)| {
            let citing: Vec<(&str, &str)> = cited
                .iter()
                .filter(|(_, _, rule)| *rule == id)
                .map(|&(pack, table, _)| (pack, table))
                .collect();
            let (coverage, by_packs, crates) = places_of(id, &citing, places);
            let mut enforced_by: Vec<String> = by_packs.into_iter().map(str::to_string).collect();
            enforced_by.extend(crates);
            RuleInfo {
                id: id.into(),
                kind: kind.into(),
                source: source.into(),
                enforced: !coverage.is_empty(),
                enforced_by,
                coverage,
            }
        })
        .collect()
}

/// The places that enforce rule `id`, given the packs citing it (pack, table): their
/// coverage, the packs whose citation is applied, and the crates of the places.
fn places_of<'a>(
    id: &str,
    citing: &[(&'a str, &str)],
    places: &[Enforcement],
) -> (Vec<Coverage>, BTreeSet<&'a str>, BTreeSet<String>) {
    let mut coverage = Vec::new();
    let mut applied: BTreeSet<&str> = BTreeSet::new();
    let mut crates = BTreeSet::new();
    let all_citing: Vec<&str> = citing.iter().map(|(p, _)| *p).collect();
    for e in places {
        let c = match e.enforces {
            Enforces::Rule(rule) if rule == id => {
                applied.extend(&all_citing);
                Coverage::of(e)
            }
            Enforces::RuleWhenCited(rule) if rule == id && !citing.is_empty() => {
                applied.extend(&all_citing);
                Coverage {
                    packs: dedup(all_citing.iter().copied()),
                    when_cited: true,
                    ..Coverage::of(e)
                }
            }
            Enforces::PackTable(table) if citing.iter().any(|(_, t)| *t == table) => {
                let packs: Vec<&str> = citing
                    .iter()
                    .filter(|(_, t)| *t == table)
                    .map(|(p, _)| *p)
                    .collect();
                applied.extend(&packs);
                Coverage {
                    pack_table: Some(table.to_string()),
                    packs: dedup(packs.into_iter()),
                    ..Coverage::of(e)
                }
            }
            _ => continue,
        };
        crates.insert(e.crate_name());
        coverage.push(c);
    }
    // The order of the linker's slice is not the source's: sort for a stable report.
    coverage.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    (coverage, applied, crates)
}

fn dedup<'a>(packs: impl Iterator<Item = &'a str>) -> Vec<String> {
    packs
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ids;
    use crate::deadline::ClockStart;
    use crate::pack::tables;

    fn place(enforces: Enforces, module: &'static str) -> Enforcement {
        Enforcement {
            enforces,
            file: "crates/x/src/lib.rs",
            line: 7,
            module,
            test: "x::tests::t",
        }
    }

    #[test]
    fn a_rule_is_enforced_by_code_or_by_a_pack_whose_citation_code_applies() {
        let packs = PackSet::embedded().unwrap();
        let places = [
            place(Enforces::Rule(ids::HIGHVALUE_CHANNEL), "kefu_rules::plan"),
            place(
                Enforces::PackTable(tables::clocks_on(ClockStart::FirstMessage)),
                "kefu_rules::plan",
            ),
            place(Enforces::RuleWhenCited(ids::REVIEW_REPLY), "kefu_guard::x"),
        ];
        let list = rule_list_from(&packs, &places);
        let get = |id: &str| list.iter().find(|r| r.id == id).unwrap();
        let hv = get(ids::HIGHVALUE_CHANNEL);
        assert!(hv.enforced);
        assert_eq!(hv.enforced_by, ["kefu-rules"]);
        assert_eq!(hv.coverage[0].file, "crates/x/src/lib.rs");
        assert_eq!(hv.coverage[0].test, "x::tests::t");
        // A clock cited by two packs: both packs, through the deadline code.
        let tb = get(ids::TB_FRT_5M);
        assert_eq!(tb.enforced_by, ["taobao", "tmall", "kefu-rules"]);
        assert_eq!(
            tb.coverage[0].pack_table.as_deref(),
            Some("clocks.first_message")
        );
        // Cited by packs, but in a table no place applies: not enforced.
        let ret = get(ids::TB_RETURN_7D);
        assert!(!ret.enforced && ret.enforced_by.is_empty() && ret.coverage.is_empty());
        // A check that runs only when cited, and no pack cites it.
        assert!(!get(ids::REVIEW_REPLY).enforced);
        assert!(!get(ids::KPI_CSAT_4_5).enforced);
    }
}
