//! The page a buyer reaches from an email reply's rating link (FEEDBACK-RATING): the score
//! they clicked, chosen, and one button that sends it (see `crate::rating_link` for why a
//! link alone does not rate). No sign-in: the link's token is the permission.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::i18n::Lang;
use super::layout;
use crate::AppState;
use crate::desk::DeskError;
use crate::desk::rating::{by_link, rate_by_link};

#[derive(Debug, Deserialize)]
pub struct ScoreQuery {
    pub score: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct ScoreForm {
    pub score: Option<i64>,
    pub comment: Option<String>,
}

fn page(lang: Lang, status: StatusCode, body: maud::Markup) -> Response {
    (status, layout(lang, lang.t("rate_title"), None, body)).into_response()
}

fn gone(lang: Lang) -> Response {
    page(
        lang,
        StatusCode::NOT_FOUND,
        html! { p.error { (lang.t("rate_link_unknown")) } },
    )
}

/// `GET /rate/{conversation}/{token}?score=N`.
pub async fn rate_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, token)): Path<(i64, String)>,
    Query(q): Query<ScoreQuery>,
) -> Response {
    let lang = Lang::pick(&headers, &[]);
    if by_link(&state, id, &token).await.is_err() {
        return gone(lang);
    }
    let chosen = q.score.filter(|s| (1..=5).contains(s)).unwrap_or(5);
    page(
        lang,
        StatusCode::OK,
        html! {
            section.card {
                h1 { (lang.t("rate_title")) }
                form method="post" action=(format!("/rate/{id}/{token}")) {
                    fieldset.stars {
                        legend { (lang.t("rate_question")) }
                        @for s in (1..=5).rev() {
                            label.check { input type="radio" name="score" value=(s) checked[s == chosen];
                                " " ("★".repeat(s as usize)) " " (s) "/5" }
                        }
                    }
                    label for="comment" { (lang.t("rate_comment")) }
                    textarea #comment name="comment" rows="3" maxlength="1000" {}
                    button type="submit" { (lang.t("rate_send")) }
                }
            }
        },
    )
}

/// `POST /rate/{conversation}/{token}`: records the rating (once per conversation).
pub async fn rate_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, token)): Path<(i64, String)>,
    Form(f): Form<ScoreForm>,
) -> Response {
    let lang = Lang::pick(&headers, &[]);
    match rate_by_link(&state, id, &token, f.score, f.comment.as_deref()).await {
        Ok(score) => page(
            lang,
            StatusCode::CREATED,
            html! { section.card #rated { h1 { (lang.t("rate_thanks")) } p { ("★".repeat(score as usize)) " " (score) "/5" } } },
        ),
        Err(DeskError::Conflict(_)) => page(
            lang,
            StatusCode::CONFLICT,
            html! { section.card #rated { h1 { (lang.t("rate_thanks")) } p { (lang.t("rate_already")) } } },
        ),
        Err(DeskError::Invalid(m)) => page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            html! { p.error { (m) } },
        ),
        Err(_) => gone(lang),
    }
}
