//! `/ui/lint`: the guard's verdict on a draft as the agent types, the same check as sending.

use super::*;

#[derive(Debug, Deserialize)]
pub struct LintRequest {
    pub text: String,
    pub lang: Option<String>,
    pub conversation_id: Option<i64>,
}

/// `POST /ui/lint`: the guard's verdict on a draft, for the reply box as the agent types. It
/// needs the session and its CSRF token (`X-CSRF-Token`), like every other request that is
/// not a plain page.
pub async fn lint(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Json(req): Json<LintRequest>,
) -> Response {
    if let Some(refused) = csrf_refusal(&viewer, &headers) {
        return refused;
    }
    let text: String = req
        .text
        .chars()
        .take(crate::desk::validate::MAX_MESSAGE_CHARS)
        .collect();
    // With a conversation, the very check sending makes (its shop's guard, its language,
    // whether this is the first answer); without one (an FAQ answer), the shared guard.
    let conversation = match req.conversation_id {
        Some(id) => match state.store.conversation(id).await {
            Ok(Some(d)) => state
                .shops
                .get(state.store.as_ref(), &state.packs, d.conversation.shop_id)
                .await
                .ok()
                .filter(|r| {
                    r.shop.tenant_id == viewer.agent.tenant_id && viewer.may_see_shop(r.shop.id)
                })
                .map(|rules| (d, rules)),
            _ => None,
        },
        None => None,
    };
    let verdict = match &conversation {
        Some((detail, rules)) => crate::desk::check_reply(&state.guard, rules, detail, &text),
        None => state.guard.lint(
            &text,
            &LintContext {
                lang: req.lang.clone(),
                ..LintContext::default()
            },
        ),
    };
    let blocked = verdict.verdict == VerdictKind::Block;
    // The findings in the viewer's language (the guard writes English), by rule ID.
    let lang = viewer.lang;
    let findings: Vec<serde_json::Value> = verdict
        .findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["message"] = json!(lang.guard_message(&f.rule, &f.message));
            v
        })
        .collect();
    let word = serde_json::to_value(verdict.verdict).unwrap_or_default();
    Json(json!({
        "verdict": verdict.verdict,
        "verdict_label": lang.verdict(word.as_str().unwrap_or("")),
        "findings": findings,
        "blocked": blocked,
    }))
    .into_response()
}
