//! Throughput measurement over the embedded reply corpus.
//!
//! `kefu bench lint` calls these. Each runs `iterations` passes over the
//! corpus replies of at most 300 characters (the "typical length"),
//! on the calling thread only, and returns how many replies it processed and
//! the time that took. Building the guard and reading the corpus happen
//! before the clock starts.

use crate::guard::{Category, Guard, LintContext};
use std::hint::black_box;
use std::time::{Duration, Instant};

const CORPUS: &str = include_str!("../corpus/replies.jsonl");
const MAX_CHARS: usize = 300;

/// One corpus line: its text and the context it is linted with.
pub(crate) struct Sample {
    pub text: String,
    pub ctx: LintContext,
}

/// The value of the JSON field `key` in one flat JSON object line, as raw
/// text (a string's unescaped content, or a literal such as `true`/`null`).
/// Enough for the corpus format; not a general JSON parser.
fn field(line: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\"");
    let at = line.find(&pat)? + pat.len();
    let rest = line[at..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(body) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let mut cp = u32::from_str_radix(&hex, 16).ok()?;
                        if (0xD800..0xDC00).contains(&cp) {
                            // A surrogate pair: "\uD83D\uDE00".
                            let tail: String = chars.by_ref().take(6).collect();
                            let lo = u32::from_str_radix(tail.strip_prefix("\\u")?, 16).ok()?;
                            cp =
                                0x10000 + ((cp - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                        }
                        out.push(char::from_u32(cp)?);
                    }
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    } else {
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }
}

/// The corpus replies of typical length (≤ 300 characters).
pub(crate) fn samples() -> Vec<Sample> {
    CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let text = field(line, "text")?;
            if text.chars().count() > MAX_CHARS {
                return None;
            }
            let lang = field(line, "lang").filter(|l| l != "null");
            let ctx = LintContext {
                lang,
                first_response: field(line, "first_response").as_deref() == Some("true"),
                category: field(line, "category").as_deref().and_then(Category::parse),
                min_options: field(line, "min_options").and_then(|m| m.parse().ok()),
            };
            Some(Sample { text, ctx })
        })
        .collect()
}

/// Lint every typical-length corpus reply `iterations` times over (with the
/// language and context the corpus gives it). Returns (replies linted, time).
pub fn bench_lint(iterations: u64) -> (u64, Duration) {
    let guard = Guard::new();
    guard.warm_up();
    let samples = samples();
    let started = Instant::now();
    let mut n = 0u64;
    for _ in 0..iterations {
        for s in &samples {
            black_box(guard.lint(black_box(&s.text), &s.ctx));
            n += 1;
        }
    }
    (n, started.elapsed())
}

/// Redact every typical-length corpus reply `iterations` times over.
/// Returns (replies redacted, time).
pub fn bench_redact(iterations: u64) -> (u64, Duration) {
    let samples = samples();
    black_box(crate::redact("warm-up: code 123456")); // compile the lazy regexes
    let started = Instant::now();
    let mut n = 0u64;
    for _ in 0..iterations {
        for s in &samples {
            black_box(crate::redact(black_box(&s.text)));
            n += 1;
        }
    }
    (n, started.elapsed())
}
