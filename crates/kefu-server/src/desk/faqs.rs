//! A shop's FAQ: the answers its bot gives (TB-OFFHOURS-BOT), per language (LANG-LOCAL), and
//! the season's twenty presets a shop loads before a peak (PEAK-PREP). Every answer passes
//! the reply guard when it is saved (a blocked answer is refused with the guard's findings)
//! and again when the bot sends it.

use kefu_guard::{LintContext, VerdictKind};
use kefu_store::FaqEntry;
use serde::Deserialize;
use serde_json::json;

use super::validate::non_empty;
use super::{DeskError, DeskResult};
use crate::AppState;

/// Most question variants one entry may hold.
const MAX_QUESTIONS: usize = 50;

fn valid_key(field: &'static str, value: &str, max: usize) -> Result<(), FaqError> {
    if value.is_empty()
        || value.len() > max
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(FaqError::Field(
            field,
            format!("{field} {value:?} must be 1 to {max} letters, digits, '-' or '_'"),
        ));
    }
    Ok(())
}

/// Why an FAQ entry was not saved: a field that is wrong, or the guard's block.
#[derive(Debug)]
pub enum FaqError {
    Field(&'static str, String),
    Blocked(Vec<kefu_guard::Finding>),
    Store(DeskError),
}

impl From<FaqError> for DeskError {
    fn from(e: FaqError) -> DeskError {
        match e {
            FaqError::Field(_, message) => DeskError::Invalid(message),
            FaqError::Blocked(findings) => DeskError::Held {
                message: "the reply guard blocks this answer; the bot could never send it",
                details: json!({"verdict": VerdictKind::Block, "findings": findings}),
            },
            FaqError::Store(e) => e,
        }
    }
}

/// Checks and saves one entry; returns the guard's findings that did not block it.
pub async fn save(
    state: &AppState,
    rules: &crate::shop_rules::ShopRules,
    key: &str,
    language: &str,
    questions: &[String],
    answer: &str,
) -> Result<Vec<kefu_guard::Finding>, FaqError> {
    valid_key("key", key, 64)?;
    valid_key("language", language, 8)?;
    let answer = answer.trim();
    non_empty("answer", answer, 4_000).map_err(|e| FaqError::Field("answer", e.to_string()))?;
    let questions: Vec<String> = questions
        .iter()
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty())
        .collect();
    if questions.is_empty() {
        return Err(FaqError::Field(
            "questions",
            "questions must hold at least one way a buyer asks this".into(),
        ));
    }
    if questions.len() > MAX_QUESTIONS || questions.iter().any(|q| q.chars().count() > 500) {
        return Err(FaqError::Field(
            "questions",
            format!("at most {MAX_QUESTIONS} questions of at most 500 characters each"),
        ));
    }
    let verdict = rules.guard(&state.guard).lint(
        answer,
        &LintContext {
            lang: Some(language.to_string()),
            ..LintContext::default()
        },
    );
    if verdict.verdict == VerdictKind::Block {
        return Err(FaqError::Blocked(verdict.findings));
    }
    state
        .store
        .put_faq(FaqEntry {
            shop_id: rules.shop.id,
            key: key.to_string(),
            language: language.to_string(),
            questions,
            answer: answer.to_string(),
            updated_at: state.clock.now(),
        })
        .await
        .map_err(|e| FaqError::Store(e.into()))?;
    state.faqs.forget(rules.shop.id);
    Ok(verdict.findings)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadPresets {
    /// Only these languages (default: all the presets have).
    pub languages: Option<Vec<String>>,
    /// Replace entries the shop has already edited (default: keep them).
    #[serde(default)]
    pub replace: bool,
}

/// Loads the presets into a shop's FAQ; returns how many were added and how many kept.
pub async fn load_presets_into(
    state: &AppState,
    shop_id: i64,
    req: &LoadPresets,
) -> DeskResult<(usize, usize)> {
    kefu_core::enforces!(
        kefu_rules::ids::PEAK_PREP,
        test = "kefu::faq::faq_entries_are_edited_guarded_and_preset"
    );
    let existing: std::collections::HashSet<(String, String)> = state
        .store
        .faqs(shop_id)
        .await?
        .into_iter()
        .map(|f| (f.key, f.language))
        .collect();
    let now = state.clock.now();
    let (mut added, mut kept) = (0, 0);
    for preset in kefu_faq::presets() {
        if let Some(langs) = &req.languages
            && !langs.contains(&preset.language)
        {
            continue;
        }
        if !req.replace && existing.contains(&(preset.id.clone(), preset.language.clone())) {
            kept += 1;
            continue;
        }
        state
            .store
            .put_faq(FaqEntry {
                shop_id,
                key: preset.id,
                language: preset.language,
                questions: preset.questions,
                answer: preset.answer,
                updated_at: now,
            })
            .await?;
        added += 1;
    }
    state.faqs.forget(shop_id);
    Ok((added, kept))
}
