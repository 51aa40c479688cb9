//! The reply guard: public types and the `lint` entry point.
//!
//! `lint` runs the phrase automata of the reply's language over it (one
//! pass each, at most two), splits it into sentences and clauses when a rule
//! needs that, then hands that analysed document to the block rules
//! (`privacy`) and the warn rules (`style`). It does no I/O and builds
//! nothing per call except small vectors; rules whose phrase categories
//! have no hit return at once.
//!
//! It does NOT decide what to do with a verdict (the caller refuses to send
//! on `block`), and it does not translate or rewrite whole replies: a
//! suggestion rewrites the offending sentence where a safe rewrite exists.

use crate::norm::Norm;
use crate::phrases::{Cat, CatSet, Hit, Lang, PhraseSet};
use crate::text::{Split, sentences};
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;

/// What the conversation is about, as far as the guard rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    LostPackage,
    LatePackage,
    Complaint,
    Quality,
    Other,
}

impl Category {
    /// Parse `lost_package`, `late-package`, `LostPackage`… (case and
    /// separator insensitive).
    pub fn parse(s: &str) -> Option<Category> {
        let k: String = s
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        Some(match k.as_str() {
            "lostpackage" | "lost" => Category::LostPackage,
            "latepackage" | "late" | "delayed" => Category::LatePackage,
            "complaint" => Category::Complaint,
            "quality" => Category::Quality,
            "other" => Category::Other,
            _ => return None,
        })
    }
}

/// What the guard knows about the reply's situation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintContext {
    /// "zh", "en", "de", "fr", "es"; `None` detects it from the text.
    pub lang: Option<String>,
    /// The reply is the first response to the buyer's inquiry.
    pub first_response: bool,
    pub category: Option<Category>,
    /// OPTIONS-3: the minimum number of distinct solutions the pack asks for.
    pub min_options: Option<u8>,
}

impl LintContext {
    /// The context of a reply in a conversation, from what the conversation
    /// knows: its buyer's language (`None` to detect it from the reply) and
    /// whether an agent or the bot has already answered in it (if not, this
    /// reply is the first response and EBAY-SUBSTANTIVE applies).
    ///
    /// Build the context with this one function wherever a draft of that
    /// conversation is checked, both as the agent types and on send, so the
    /// two checks cannot disagree: `Guard::lint(draft, &ctx)` is the only
    /// entry point and its verdict depends on nothing but the text and this
    /// context.
    pub fn for_conversation(language: Option<&str>, answered_before: bool) -> LintContext {
        LintContext {
            lang: language.map(str::to_string),
            first_response: !answered_before,
            category: None,
            min_options: None,
        }
    }

    /// The conversation's category (LOST-NO-STALL looks at lost and late
    /// packages).
    pub fn with_category(mut self, category: Option<Category>) -> LintContext {
        self.category = category;
        self
    }

    /// OPTIONS-3: the minimum number of solutions the shop's pack asks for.
    pub fn with_min_options(mut self, min_options: Option<u8>) -> LintContext {
        self.min_options = min_options;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    Ok,
    Warn,
    Block,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Block,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// Byte offsets into the linted text, on char boundaries.
    pub start: usize,
    pub end: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// Whether the guard found the reply an acknowledgement without substance
    /// (EBAY-SUBSTANTIVE): such a reply does not meet a first-response clock. The rulebook's
    /// reply plan takes the opposite of this as its `substantive` fact.
    pub fn lacks_substance(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.rule == crate::style::SUBSTANTIVE_RULE)
    }
}

/// The reply guard. Build once, then call [`Guard::lint`] for every
/// outgoing reply; it is `Send + Sync`. The phrase automata are compiled on
/// first use (or all at once by [`Guard::warm_up`]).
pub struct Guard {
    phrases: PhraseSet,
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new()
    }
}

/// A reply after the phrase pass: what the rules look at.
pub(crate) struct Doc<'a> {
    /// The reply as the rules see it: folded (see [`crate::norm`]) when
    /// folding changed it, else the caller's text itself. Hit, sentence and
    /// finding spans are offsets into this.
    pub text: &'a str,
    /// The caller's text: suggestions quote it, findings point into it.
    pub orig: &'a str,
    norm: Option<&'a Norm>,
    pub lang: Lang,
    /// Hits of the active languages, sorted by (start, end).
    pub hits: Vec<Hit<'a>>,
    /// Which categories have at least one hit: rules whose categories are
    /// absent return at once, which is the common case for a good reply.
    pub cats: CatSet,
    /// Sentences and clauses, split on first use (many replies need none).
    split: OnceCell<Split>,
    /// Written in traditional characters? Decided on first use.
    hant: OnceCell<bool>,
    pub ctx: &'a LintContext,
    phrases: &'a PhraseSet,
}

impl<'a> Doc<'a> {
    /// The original span of a span of [`Doc::text`].
    pub fn orig_span(&self, (s, e): (usize, usize)) -> (usize, usize) {
        self.norm.map_or((s, e), |n| n.span(s, e))
    }

    /// The original offset of an offset into [`Doc::text`].
    pub fn orig_pos(&self, p: usize) -> usize {
        self.norm.map_or(p, |n| n.pos(p))
    }

    /// The caller's own words for a span of [`Doc::text`].
    pub fn original(&self, span: (usize, usize)) -> &'a str {
        let (s, e) = self.orig_span(span);
        &self.orig[s..e]
    }

    pub fn split(&self) -> &Split {
        self.split.get_or_init(|| sentences(self.text))
    }

    /// Does the reply have any hit of `cat`?
    pub fn any(&self, cat: Cat) -> bool {
        self.cats & cat.bit() != 0
    }

    /// Hits of one category within `[start, end)`.
    pub fn hits_in(
        &self,
        cat: Cat,
        start: usize,
        end: usize,
    ) -> impl Iterator<Item = &Hit<'a>> + '_ {
        // Hits are sorted by start: skip those before the window, stop after it.
        let hits: &[Hit<'a>] = if self.any(cat) { &self.hits } else { &[] };
        let from = hits.partition_point(|h| h.start < start);
        hits[from..]
            .iter()
            .take_while(move |h| h.start < end)
            .filter(move |h| h.cat == cat && h.end <= end)
    }

    pub fn has(&self, cat: Cat, start: usize, end: usize) -> bool {
        self.hits_in(cat, start, end).next().is_some()
    }

    /// The clause holding byte `pos`.
    pub fn clause_of(&self, pos: usize) -> (usize, usize) {
        self.split()
            .clauses
            .iter()
            .find(|&&(s, e)| pos >= s && pos < e)
            .copied()
            .unwrap_or((0, self.text.len()))
    }

    /// A negation word anywhere in the clause scopes everything in it: word
    /// order differs by language ("Teilen Sie Ihre PIN niemals mit"). A
    /// negation left dangling at the end of a clause ("Do not, under any
    /// circumstances, share…", "请您千万不要，…") scopes the rest of its
    /// sentence: the verb it negates comes after the commas.
    pub fn negated(&self, pos: usize) -> bool {
        if !self.any(Cat::Negation) {
            return false;
        }
        let (s, e) = self.clause_of(pos);
        if self.has(Cat::Negation, s, e) {
            return true;
        }
        let split = self.split();
        let Some(sentence) = split
            .sentences
            .iter()
            .find(|x| pos >= x.start && pos < x.end)
        else {
            return false;
        };
        split
            .clauses_of(sentence)
            .iter()
            .take_while(|&&(_, ce)| ce <= s)
            .any(|&(cs, ce)| self.dangling_negation(cs, ce))
    }

    /// Does the clause end with a negation word (nothing but punctuation
    /// after it)?
    pub fn dangling_negation(&self, cs: usize, ce: usize) -> bool {
        let body = self.text[cs..ce].trim_end_matches(|c: char| !c.is_alphanumeric());
        let end = cs + body.len();
        self.hits_in(Cat::Negation, cs, ce).any(|h| h.end == end)
    }

    /// The data's rewrite for `rule`, in traditional characters when the
    /// reply is written in them.
    pub fn suggestion(&self, rule: &str) -> Option<String> {
        let s = self.phrases.suggestion(self.lang, rule)?;
        Some(self.in_script(s))
    }

    /// Chinese text of ours (a suggestion, an inserted 请/您) in the script
    /// of the reply.
    pub fn in_script(&self, s: String) -> String {
        let hant = || *self.hant.get_or_init(|| self.phrases.is_hant(self.orig));
        if self.lang == Lang::Zh && hant() {
            self.phrases.to_hant(&s)
        } else {
            s
        }
    }
}

/// Build a finding over `[start, end)`.
pub(crate) fn finding(
    rule: &str,
    severity: Severity,
    span: (usize, usize),
    message: &str,
    suggestion: Option<String>,
) -> Finding {
    Finding {
        rule: rule.to_string(),
        severity,
        start: span.0,
        end: span.1,
        message: message.to_string(),
        suggestion,
    }
}

impl Guard {
    /// A guard with the embedded phrase data for all languages.
    pub fn new() -> Guard {
        Guard {
            phrases: PhraseSet::build(&[]),
        }
    }

    /// A guard that also knows the shop's own phrases, each given with its
    /// language ("zh", "en", … or "*" for any). A forbidden phrase in a reply
    /// is a `SHOP-FORBIDDEN` warning; a required phrase of the reply's
    /// language that is missing is a `SHOP-REQUIRED` warning.
    pub fn with_shop_phrases(
        forbidden: &[(String, String)],
        required: &[(String, String)],
    ) -> Guard {
        let mut shop = Vec::new();
        for (lang, p) in forbidden {
            shop.push((Cat::ShopForbidden, Lang::parse(lang), p.clone()));
        }
        for (lang, p) in required {
            shop.push((Cat::ShopRequired, Lang::parse(lang), p.clone()));
        }
        Guard {
            phrases: PhraseSet::build(&shop),
        }
    }

    /// Build the phrase automata of every language now instead of on first
    /// use, so a server's first replies do not pay for it. Optional.
    pub fn warm_up(&self) {
        self.phrases.build_all();
    }

    /// Check one outgoing reply: the one entry point for every check (the
    /// live check of a draft and the check on send alike). Pure: the same
    /// text and context always give the same verdict. The verdict is the
    /// worst finding's severity; finding spans are byte offsets into
    /// `original`, the text as the caller passed it, even where the rules
    /// matched its folded form (see the crate docs).
    pub fn lint(&self, original: &str, ctx: &LintContext) -> Verdict {
        // Fold spelling tricks first ("passw0rd", "密 码", "密碼", "ＰＩＮ"); the
        // rules run on the folded text and findings are mapped back.
        let (has_cjk, norm) = self.phrases.normalise(original);
        let text = norm.as_ref().map_or(original, |n| n.text.as_str());
        // A reply with Han characters is Chinese unless the caller says
        // otherwise; only a Latin-script reply of unknown language needs
        // every language's phrases (to detect it from its function words).
        let given = ctx.lang.as_deref().and_then(Lang::parse);
        let known = given.or(has_cjk.then_some(Lang::Zh));
        let all = self.phrases.find(text, has_cjk, known);
        let lang = known.unwrap_or_else(|| detect(&all, has_cjk));
        // Phrases of the reply's language, plus English (mixed in everywhere:
        // "PIN", "OK") and Chinese when Han characters are present. Limiting
        // this keeps one language's word from firing in another (en "tan" vs
        // de "TAN", de "nie" vs es "NIE").
        let active = |l: Option<Lang>| match l {
            None => true,
            Some(l) => l == lang || l == Lang::En || (l == Lang::Zh && has_cjk),
        };
        let mut hits = all;
        hits.retain(|h| active(h.lang));
        let cats = hits.iter().fold(0, |m, h| m | h.cat.bit());
        let doc = Doc {
            text,
            orig: original,
            norm: norm.as_ref(),
            lang,
            hits,
            cats,
            split: OnceCell::new(),
            hant: OnceCell::new(),
            ctx,
            phrases: &self.phrases,
        };

        let mut findings = Vec::new();
        crate::privacy::check(&doc, &mut findings);
        crate::style::check(&doc, &mut findings);
        crate::platform::check(&doc, &mut findings);
        self.shop_rules(&doc, &mut findings);
        if let Some(n) = &norm {
            for f in &mut findings {
                (f.start, f.end) = n.span(f.start, f.end);
            }
        }
        findings.sort_by(|a, b| (a.start, a.end, &a.rule).cmp(&(b.start, b.end, &b.rule)));
        findings.dedup_by(|a, b| a.rule == b.rule && a.start == b.start && a.end == b.end);
        let verdict = match findings.iter().map(|f| f.severity).max() {
            None => VerdictKind::Ok,
            Some(Severity::Warn) => VerdictKind::Warn,
            Some(Severity::Block) => VerdictKind::Block,
        };
        Verdict { verdict, findings }
    }

    fn shop_rules(&self, doc: &Doc, out: &mut Vec<Finding>) {
        if !doc.any(Cat::ShopForbidden) && self.phrases.required().is_empty() {
            return;
        }
        for h in doc.hits.iter().filter(|h| h.cat == Cat::ShopForbidden) {
            let msg = "The shop does not allow this phrase in replies.";
            out.push(finding(
                "SHOP-FORBIDDEN",
                Severity::Warn,
                (h.start, h.end),
                msg,
                None,
            ));
        }
        let present: Vec<&str> = doc
            .hits
            .iter()
            .filter(|h| h.cat == Cat::ShopRequired)
            .filter_map(|h| h.tag)
            .collect();
        let mut missing: Vec<String> = Vec::new();
        for (lang, p) in self.phrases.required() {
            let p = p.as_str();
            let lang_ok = lang.is_none_or(|l| l == doc.lang);
            if lang_ok && !present.contains(&p) && !missing.iter().any(|m| m == p) {
                missing.push(p.to_string());
            }
        }
        for p in missing {
            let msg = format!("The shop requires the phrase \"{p}\" in replies.");
            out.push(finding(
                "SHOP-REQUIRED",
                Severity::Warn,
                (0, doc.text.len()),
                &msg,
                None,
            ));
        }
    }
}

/// Guess the language of a non-Chinese reply from its function words.
fn detect(hits: &[Hit], has_cjk: bool) -> Lang {
    if has_cjk {
        return Lang::Zh;
    }
    let mut score = [0usize; 5];
    for h in hits.iter().filter(|h| h.cat == Cat::Common) {
        if let Some(l) = h.lang {
            score[l.index()] += 1;
        }
    }
    // Ties go to English (listed first among the Latin-script languages).
    let mut best = Lang::En;
    for l in [Lang::De, Lang::Fr, Lang::Es] {
        if score[l.index()] > score[best.index()] {
            best = l;
        }
    }
    best
}
