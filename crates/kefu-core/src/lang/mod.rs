//! The language of a buyer's message: what the desk answers in, which templates it offers and
//! which agent it routes to (LANG-LOCAL), not a linguistic study.
//!
//! A detector alone misreads short messages: trigram statistics take "Danke, das passt." for
//! English, and "ok" or "👍" is no language at all. So [`decide_language`] weighs, in order:
//!
//! 1. what the text shows by itself when that is clear — words that only one language uses
//!    ("danke", "merci", "¿dónde"), a longer text the detector reads reliably, a text of mostly
//!    Han characters long enough to be a buyer writing Chinese;
//! 2. otherwise what the desk already knows: the conversation's history, then the customer's
//!    known language, then the shop's market;
//! 3. and only then weak evidence: a word several languages share ("no", "thanks"), the
//!    detector's unsure guess.
//!
//! A few Han characters inside a Latin sentence (a product name: "Is the 小米手环 waterproof?")
//! do not make it Chinese, and one short Chinese line ("好的，谢谢") in an English conversation
//! does not turn it Chinese: the conversation keeps its language until the buyer writes at
//! length in another.
//!
//! Pure and fast: no I/O, a few microseconds for a short message (whatlang runs only on texts
//! long enough for it to matter).
//!
//! Here: the decision and the reading of a text's scripts. Beside it: `cues` (the lexicon of
//! cue words and their scoring), `codes` (language codes and the whatlang detector),
//! `market` ([`market_language`]) and [`labelled`] (scoring the decision on labelled messages).

mod codes;
mod cues;
pub mod labelled;
mod market;
#[cfg(test)]
mod tests;

use codes::{detector, known_code, whatlang_code};
use cues::score_words;
pub use market::market_language;

/// What the desk knows of the buyer's language before reading this message.
#[derive(Debug, Clone, Copy, Default)]
pub struct LanguageContext<'a> {
    /// Languages of the conversation so far, newest first (ISO 639-1 codes; region subtags
    /// such as `de-AT` are accepted). Unknown codes are ignored.
    pub history: &'a [&'a str],
    /// The customer's known language (from the marketplace or the API).
    pub customer: Option<&'a str>,
    /// The language of the shop's market, e.g. from [`market_language`].
    pub market: Option<&'a str>,
}

/// The language of `text` given what the desk knows: an ISO 639-1 code ("zh", "en", "de", "fr",
/// "es", or another whatlang reads confidently), or `None` when neither the text nor the context
/// tells.
pub fn decide_language(text: &str, context: &LanguageContext<'_>) -> Option<&'static str> {
    read_text(text).decide(context)
}

/// The language of `text` with no context: what a first message says by itself. `None` when
/// the text is too short or mixed to tell.
pub fn detect_language(text: &str) -> Option<&'static str> {
    decide_language(text, &LanguageContext::default())
}

/// What a text shows by itself, before any context is weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Clear enough to stand against any context.
    confident: Option<&'static str>,
    /// Mostly Han but short: Chinese unless the conversation already speaks another language.
    short_han: bool,
    /// The best guess when nothing else tells.
    weak: Option<&'static str>,
}

impl Reading {
    /// The language when the text alone decides it; `None` when the context is needed.
    pub fn confident(&self) -> Option<&'static str> {
        self.confident
    }

    /// True when the decision depends on the context (the caller may skip looking it up
    /// otherwise).
    pub fn needs_context(&self) -> bool {
        self.confident.is_none()
    }

    /// The decision with the context: see the module documentation for the order.
    pub fn decide(&self, context: &LanguageContext<'_>) -> Option<&'static str> {
        if let Some(code) = self.confident {
            return Some(code);
        }
        let history = context.history.iter().find_map(|c| known_code(c));
        if self.short_han {
            // A short Chinese line keeps an established conversation's language; without one it
            // is the buyer writing Chinese (the script is not in doubt).
            return history.or(Some("zh"));
        }
        history
            .or_else(|| context.customer.and_then(known_code))
            .or_else(|| context.market.and_then(known_code))
            .or(self.weak)
    }
}

/// The desk's languages with a cue lexicon, in score-array order.
const CUED: [&str; 7] = ["en", "de", "fr", "es", "it", "pt", "nl"];
const EN: usize = 0;
const DE: usize = 1;
const FR: usize = 2;
const ES: usize = 3;
const OTHER: usize = CUED.len();

/// A lead this large, over a score at least this large, decides a text by itself.
const CONFIDENT_SCORE: f32 = 2.5;
const CONFIDENT_MARGIN: f32 = 2.0;

/// Han characters at which a mostly-Han text is the buyer writing Chinese whatever the
/// conversation spoke before (with a Chinese function character; twice that without one, since
/// a pasted product name or address has none).
const HAN_CONFIDENT: usize = 10;

/// Reads `text` once: scripts, cue words, and whatlang for texts long enough for it.
pub fn read_text(text: &str) -> Reading {
    let mut han = 0usize;
    let mut han_function = false;
    let mut kana = 0usize;
    let mut hangul = 0usize;
    let mut latin = 0usize;
    let mut other_script = 0usize;
    for c in text.chars() {
        match c {
            '\u{3040}'..='\u{30ff}' => kana += 1,
            '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}' => {
                han += 1;
                han_function |= CHINESE_FUNCTION_CHARS.contains(c);
            }
            '\u{ac00}'..='\u{d7af}' | '\u{1100}'..='\u{11ff}' => hangul += 1,
            c if c.is_alphabetic() && is_latin(c) => latin += 1,
            c if c.is_alphabetic() => other_script += 1,
            _ => {}
        }
    }

    let mut scores = [0f32; OTHER + 1];
    let mut other_code: Option<&'static str> = None;
    let words = score_words(text, &mut scores);

    // CJK scripts count by character against the Latin words beside them: "我买的 XL 码太小了" is
    // Chinese, "Do you have the 华为 charger in black?" is English.
    let cjk = han + kana;
    if kana > 0 && cjk >= 2 * words.max(1) {
        return Reading::sure("ja");
    }
    if hangul > 0 && hangul >= 2 * words.max(1) && hangul >= han {
        return Reading::sure("ko");
    }
    if han > 0 && han >= 2 * words {
        let long = han >= 2 * HAN_CONFIDENT || (han >= HAN_CONFIDENT && han_function);
        return Reading {
            confident: long.then_some("zh"),
            short_han: !long,
            weak: Some("zh"),
        };
    }
    if other_script > latin {
        // Cyrillic, Arabic, Thai, Greek …: the script narrows it to one or two languages, which
        // whatlang tells apart well enough.
        let code = detector()
            .detect(sample(text))
            .and_then(|i| whatlang_code(i.lang()));
        return Reading {
            confident: code,
            short_han: false,
            weak: code,
        };
    }
    if latin < 2 {
        // Digits, punctuation, emoji, an order number: the context decides.
        return Reading {
            confident: None,
            short_han: false,
            weak: None,
        };
    }
    // whatlang on a few letters is noise; on a sentence it adds what the lexicon lacks, in
    // proportion to the text's length and its own confidence (at most `most`). It is skipped
    // when the words already lead by more than it could move, the common case, and the costly
    // part of a decision.
    let most = latin.min(80) as f32 / 10.0;
    let (_, first, second) = top_two(&scores);
    let settled = first >= CONFIDENT_SCORE && first - second - most >= CONFIDENT_MARGIN;
    if latin >= 12
        && !settled
        && let Some(info) = detector().detect(sample(text))
        && let Some(code) = whatlang_code(info.lang())
    {
        let weight = info.confidence() as f32 * most;
        match CUED.iter().position(|c| *c == code) {
            Some(i) => scores[i] += weight,
            None => {
                scores[OTHER] += weight;
                other_code = Some(code);
            }
        }
    }
    let (best, best_score, second_score) = top_two(&scores);
    let code = if best == OTHER {
        other_code
    } else {
        Some(CUED[best])
    };
    let lead = best_score - second_score;
    Reading {
        confident: code.filter(|_| best_score >= CONFIDENT_SCORE && lead >= CONFIDENT_MARGIN),
        short_han: false,
        weak: code.filter(|_| best_score > 0.0 && lead > 0.0),
    }
}

impl Reading {
    fn sure(code: &'static str) -> Reading {
        Reading {
            confident: Some(code),
            short_han: false,
            weak: Some(code),
        }
    }
}

fn top_two(scores: &[f32]) -> (usize, f32, f32) {
    let (mut best, mut first, mut second) = (0, f32::MIN, f32::MIN);
    for (i, &s) in scores.iter().enumerate() {
        if s > first {
            second = first;
            first = s;
            best = i;
        } else if s > second {
            second = s;
        }
    }
    (best, first, second)
}

/// The opening of a long message tells its language as well as the whole of it, at a fraction
/// of the cost for long emails.
fn sample(text: &str) -> &str {
    match text.char_indices().nth(400) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '\u{c0}'..='\u{24f}' | '\u{1e00}'..='\u{1eff}')
}

/// Han characters that Chinese sentences are built with and product names and addresses mostly
/// lack: pronouns, particles, negation, the commonest verbs.
const CHINESE_FUNCTION_CHARS: &str =
    "我你您他她们的了吗呢吧啊呀是在有不没要能会可请还就都也和这那么什怎为";
