//! Each shop's FAQ: the answers the bot gives, per language (supervisors edit them; the guard
//! checks each answer when it is saved), and the season's presets (PEAK-PREP).

use super::*;

#[derive(Debug, Deserialize)]
pub struct ShopQuery {
    pub shop: i64,
    pub done: Option<String>,
}

/// What the FAQ form shows again after a refusal: what was typed, and what is wrong with it.
#[derive(Debug, Default)]
pub(super) struct FaqDraft {
    key: String,
    language: String,
    questions: String,
    answer: String,
    field: Option<&'static str>,
    error: Option<String>,
    findings: Vec<kefu_guard::Finding>,
}

pub(super) async fn shop_of(
    state: &AppState,
    viewer: &Viewer,
    shop_id: i64,
) -> Option<std::sync::Arc<crate::shop_rules::ShopRules>> {
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, shop_id)
        .await
        .ok()?;
    (rules.shop.tenant_id == viewer.agent.tenant_id && viewer.may_see_shop(shop_id))
        .then_some(rules)
}

pub(super) async fn faqs_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ShopQuery>,
) -> Response {
    let Some(rules) = shop_of(&state, &viewer, q.shop).await else {
        return not_found(&viewer);
    };
    let draft = FaqDraft {
        language: if viewer.lang == Lang::Zh { "zh" } else { "en" }.into(),
        ..FaqDraft::default()
    };
    let notice = match q.done.as_deref() {
        Some("saved") => Some(viewer.lang.t("saved")),
        Some("deleted") => Some(viewer.lang.t("deleted")),
        Some("presets") => Some(viewer.lang.t("presets_done")),
        _ => None,
    };
    faq_view(&state, &viewer, &rules.shop, draft, notice, StatusCode::OK).await
}

pub(super) async fn faq_view(
    state: &AppState,
    viewer: &Viewer,
    shop: &kefu_core::Shop,
    draft: FaqDraft,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    let entries = match state.store.faqs(shop.id).await {
        Ok(e) => e,
        Err(e) => return unavailable(lang, viewer, e),
    };
    let can_edit = viewer.at_least(Role::Supervisor);
    let field_error = |name: &str| -> Option<String> {
        (draft.field == Some(name)).then(|| draft.error.clone().unwrap_or_default())
    };
    let body = html! {
        h1 { (shop.name) " · " (lang.t("faq")) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        @if can_edit {
            form.inline method="post" action="/admin/faqs/presets" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="shop" value=(shop.id);
                button type="submit" { (lang.t("presets")) }
            }
        }
        @if entries.is_empty() { p { (lang.t("no_faq")) } }
        @else {
            table.faqs {
                thead { tr {
                    th scope="col" { (lang.t("key")) } th scope="col" { (lang.t("language")) }
                    th scope="col" { (lang.t("questions")) } th scope="col" { (lang.t("answer")) }
                    @if can_edit { th scope="col" { span.sr { (lang.t("delete")) } } }
                } }
                tbody {
                    @for f in &entries {
                        tr data-key=(f.key) data-language=(f.language) {
                            td translate="no" { code { (f.key) } }
                            td { (lang.language_name(&f.language)) }
                            td translate="no" lang=(f.language) { ul { @for q in &f.questions { li { (q) } } } }
                            td translate="no" lang=(f.language) { (f.answer) }
                            @if can_edit {
                                td {
                                    form method="post" action="/admin/faqs/delete" {
                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                        input type="hidden" name="shop" value=(shop.id);
                                        input type="hidden" name="key" value=(f.key);
                                        input type="hidden" name="language" value=(f.language);
                                        button type="submit" aria-label=(format!("{} {} {}", lang.t("delete"), f.key, f.language)) { (lang.t("delete")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if can_edit {
            form.card method="post" action="/admin/faqs" id="faq-form" {
                h2 { (lang.t("new_faq")) }
                @if let Some(e) = draft.error.as_ref().filter(|_| draft.field.is_none()) {
                    p.error role="alert" { (e) }
                }
                @if !draft.findings.is_empty() {
                    div.error role="alert" {
                        p { (lang.t("guard_blocked")) }
                        ul { @for f in &draft.findings {
                            li { code { (f.rule) } " " (lang.guard_message(&f.rule, &f.message)) @if let Some(s) = &f.suggestion { " → " span translate="no" { (s) } } }
                        } }
                    }
                }
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="shop" value=(shop.id);
                label for="key" { (lang.t("key")) }
                input id="key" name="key" value=(draft.key) required pattern="[A-Za-z0-9_\\-]{1,64}" aria-describedby="key-error";
                @if let Some(e) = field_error("key") { p.field-error id="key-error" { (e) } }
                label for="language" { (lang.t("language")) }
                select id="language" name="language" {
                    @for code in ["zh", "en", "de", "es", "fr"] {
                        option value=(code) selected[draft.language == code] { (lang.language_name(code)) }
                    }
                }
                label for="questions" { (lang.t("questions")) }
                textarea id="questions" name="questions" rows="4" required aria-describedby="questions-error" { (draft.questions) }
                @if let Some(e) = field_error("questions") { p.field-error id="questions-error" { (e) } }
                label for="answer" { (lang.t("answer")) }
                textarea id="answer" name="answer" rows="5" required aria-describedby="answer-error" { (draft.answer) }
                @if let Some(e) = field_error("answer") { p.field-error id="answer-error" { (e) } }
                button type="submit" { (lang.t("save")) }
            }
        }
    };
    (status, layout(lang, lang.t("faq"), Some(viewer), body)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct FaqForm {
    pub csrf: String,
    pub shop: i64,
    pub key: String,
    pub language: String,
    pub questions: String,
    pub answer: String,
}

pub(super) async fn faq_save(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<FaqForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if !viewer.at_least(Role::Supervisor) {
        return forbidden(viewer.lang, &viewer);
    }
    let Some(rules) = shop_of(&state, &viewer, f.shop).await else {
        return not_found(&viewer);
    };
    let questions: Vec<String> = f.questions.lines().map(str::to_string).collect();
    let key = f.key.trim().to_string();
    match crate::desk::faqs::save(&state, &rules, &key, &f.language, &questions, &f.answer).await {
        Ok(_) => Redirect::to(&format!("/admin/faqs?shop={}&done=saved", f.shop)).into_response(),
        Err(e) => {
            // Nothing typed is lost: the form comes back with the text and the reason.
            let mut draft = FaqDraft {
                key,
                language: f.language.clone(),
                questions: f.questions.clone(),
                answer: f.answer.clone(),
                ..FaqDraft::default()
            };
            match e {
                crate::desk::faqs::FaqError::Field(field, message) => {
                    draft.field = Some(field);
                    draft.error = Some(message);
                }
                crate::desk::faqs::FaqError::Blocked(findings) => draft.findings = findings,
                crate::desk::faqs::FaqError::Store(e) => draft.error = Some(e.to_string()),
            }
            faq_view(
                &state,
                &viewer,
                &rules.shop,
                draft,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct FaqDeleteForm {
    pub csrf: String,
    pub shop: i64,
    pub key: String,
    pub language: String,
}

pub(super) async fn faq_delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<FaqDeleteForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if !viewer.at_least(Role::Supervisor) {
        return forbidden(viewer.lang, &viewer);
    }
    if shop_of(&state, &viewer, f.shop).await.is_none() {
        return not_found(&viewer);
    }
    if let Err(e) = state.store.delete_faq(f.shop, &f.key, &f.language).await {
        return unavailable(viewer.lang, &viewer, e);
    }
    state.faqs.forget(f.shop);
    Redirect::to(&format!("/admin/faqs?shop={}&done=deleted", f.shop)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct ShopForm {
    pub csrf: String,
    pub shop: i64,
}

pub(super) async fn faq_presets(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ShopForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if !viewer.at_least(Role::Supervisor) {
        return forbidden(viewer.lang, &viewer);
    }
    if shop_of(&state, &viewer, f.shop).await.is_none() {
        return not_found(&viewer);
    }
    let req = crate::desk::faqs::LoadPresets::default();
    if let Err(e) = crate::desk::faqs::load_presets_into(&state, f.shop, &req).await {
        return unavailable(viewer.lang, &viewer, e);
    }
    Redirect::to(&format!("/admin/faqs?shop={}&done=presets", f.shop)).into_response()
}
