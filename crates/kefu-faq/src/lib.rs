//! FAQ matching for kefu's off-hours bot.
//!
//! Outside working hours the shop stays "online" through a bot (rule TB-OFFHOURS-BOT). The
//! bot answers a buyer's question with the shop's best-matching FAQ entry in the buyer's
//! language, or says it is unsure so that a person takes over. This crate is that matcher,
//! plus the 20 preset FAQs a shop loads before a sales peak (rule PEAK-PREP) in Chinese,
//! English, German and Spanish. Pure functions, no I/O: [`FaqIndex::build`] once per shop,
//! then [`FaqIndex::best`] takes microseconds per question.
//!
//! # How matching works
//!
//! - Text is normalised (full-width → ASCII, lowercase, accents folded, punctuation dropped)
//!   and cut into terms: jieba words and character bigrams for Chinese, stemmed words minus
//!   stop words for English/German/Spanish/French. A small synonym table maps words of the
//!   same concept, in any of these languages, to one term (快递/物流/包裹, parcel/package,
//!   refund/Rückerstattung/reembolso/退款). Details in the `analysis` module.
//! - Every question variant of every entry is a TF-IDF vector, and so is each entry's set of
//!   variants taken together. A buyer's question is scored against an entry by cosine, mostly
//!   from its closest variant and partly from the whole set. IDF counts FAQ ids, so a word
//!   that many topics share ("订单", "order") decides little.
//! - Matching is across languages (a French question can land on an English variant through
//!   the shared concept terms); the buyer's language only chooses which answer is returned:
//!   the same id in that language, else in English, else the one that matched.
//!
//! Why this and not embeddings: FAQ variants are short, the vocabulary of a shop's
//! questions is small and repetitive, and the desk needs an answer in microseconds with no
//! model files. What TF-IDF lacks (paraphrase across different words) the synonym table and
//! several variants per entry make up for.
//!
//! # When the bot must not answer
//!
//! [`FaqMatch::confident`] is false when the best score is low, when the runner-up is close
//! (the question is about two things or neither), or when the buyer is angry or asks for a
//! person (投诉, 转人工, "real person", Betrug…). A template reply to an angry buyer makes
//! things worse, so those go to a human even when the words resemble an FAQ.
//!
//! Not handled: traditional characters are not converted to simplified (a traditional
//! question matches only through shared characters), and no spelling correction beyond what
//! character bigrams absorb.

mod analysis;
pub mod bench;
mod index;

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

pub use analysis::{MAX_CHARS, normalize};
pub use index::{CONFIDENT_MARGIN, CONFIDENT_SCORE, FaqIndex};

/// One FAQ entry in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faq {
    /// Shared by the translations of one FAQ ("ship_time").
    pub id: String,
    /// Language tag: "zh", "en", "de", "es", … (a region suffix such as "zh-CN" is ignored).
    pub language: String,
    /// Ways buyers ask it; the matcher compares questions with these.
    pub questions: Vec<String>,
    /// The reply, possibly with placeholders the desk fills in ({order}, {tracking}, …).
    pub answer: String,
}

/// The FAQ entry chosen for a question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaqMatch {
    pub id: String,
    /// Language of `answer` (may differ from the buyer's when the FAQ lacks it).
    pub language: String,
    pub answer: String,
    /// Similarity, 0..=1: mostly the cosine with the closest question variant, partly with
    /// all variants of the entry together.
    pub score: f32,
    /// Whether the bot may send `answer` on its own; false means hand over to a person.
    pub confident: bool,
}

#[derive(Deserialize)]
struct PresetFile {
    faq: Vec<Faq>,
}

static PRESETS: LazyLock<Vec<Faq>> = LazyLock::new(|| {
    let file: PresetFile = toml::from_str(include_str!("../data/presets.toml"))
        .expect("data/presets.toml is embedded at build time and checked by the tests");
    file.faq
});

/// The rule the presets serve: prepare the answers before a sales peak.
pub const PRESETS_RULE: &str = "PEAK-PREP";

/// The 20 preset FAQs of PEAK-PREP, in zh, en, de and es (one [`Faq`] per id and language).
pub fn presets() -> Vec<Faq> {
    PRESETS.clone()
}

#[cfg(test)]
mod tests;
