//! Scoring [`decide_language`] on labelled messages (`kefu bench lang`, and the accuracy test
//! that keeps it from getting worse).

use std::collections::BTreeMap;

use super::{LanguageContext, decide_language};

/// One labelled message: `language<TAB>context<TAB>text`, the context `-` or
/// space-separated `h=<codes newest first, comma-separated>`, `c=<code>`, `m=<code>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case<'a> {
    pub line: usize,
    pub expected: &'a str,
    pub history: Vec<&'a str>,
    pub customer: Option<&'a str>,
    pub market: Option<&'a str>,
    pub text: &'a str,
}

impl Case<'_> {
    pub fn decide(&self) -> Option<&'static str> {
        decide_language(
            self.text,
            &LanguageContext {
                history: &self.history,
                customer: self.customer,
                market: self.market,
            },
        )
    }
}

/// Parses a labelled file; blank lines and `#` comments are skipped. The error names the
/// line that is not in the format.
pub fn parse(tsv: &str) -> Result<Vec<Case<'_>>, String> {
    let mut cases = Vec::new();
    for (i, raw) in tsv.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let mut cols = raw.splitn(3, '\t');
        let (Some(expected), Some(context), Some(text)) = (cols.next(), cols.next(), cols.next())
        else {
            return Err(format!("line {line}: want language<TAB>context<TAB>text"));
        };
        let mut case = Case {
            line,
            expected: expected.trim(),
            history: Vec::new(),
            customer: None,
            market: None,
            text: text.trim(),
        };
        if case.expected.is_empty() || case.text.is_empty() {
            return Err(format!("line {line}: empty language or text"));
        }
        for part in context.split_whitespace().filter(|p| *p != "-") {
            match part.split_once('=') {
                Some(("h", codes)) => case.history = codes.split(',').collect(),
                Some(("c", code)) => case.customer = Some(code),
                Some(("m", code)) => case.market = Some(code),
                _ => return Err(format!("line {line}: unknown context {part:?}")),
            }
        }
        cases.push(case);
    }
    Ok(cases)
}

/// Right and total, overall and per expected language, with the rows decided wrong.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    pub cases: usize,
    pub right: usize,
    /// Expected language → (cases, right).
    pub per_language: BTreeMap<String, (usize, usize)>,
    /// (line, expected, decided, text) of each wrong row.
    pub misses: Vec<(usize, String, Option<&'static str>, String)>,
}

impl Score {
    pub fn accuracy(&self) -> f64 {
        self.right as f64 / self.cases.max(1) as f64
    }

    pub fn language_accuracy(&self, code: &str) -> Option<f64> {
        self.per_language
            .get(code)
            .map(|&(n, right)| right as f64 / n.max(1) as f64)
    }
}

pub fn score(cases: &[Case<'_>]) -> Score {
    let mut s = Score::default();
    for case in cases {
        let got = case.decide();
        let ok = got == Some(case.expected);
        s.cases += 1;
        s.right += usize::from(ok);
        let entry = s
            .per_language
            .entry(case.expected.to_string())
            .or_insert((0, 0));
        entry.0 += 1;
        entry.1 += usize::from(ok);
        if !ok {
            s.misses.push((
                case.line,
                case.expected.to_string(),
                got,
                case.text.to_string(),
            ));
        }
    }
    s
}
