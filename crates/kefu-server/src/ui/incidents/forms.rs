//! The incidents pages' forms. Each is read as the list of its fields (the split form sends
//! one `conversation` per ticked box), turned into the API's request and handed to the same
//! use case; a refusal shows the page again with the reason and what was typed.

use axum::extract::{Form, Path, State};
use axum::response::Redirect;

use super::*;
use crate::desk::incidents::{IncidentAction, OpenRequest, ReplyAll};
use crate::error::ApiError;
use crate::ui::{csrf_ok, expired_form};

type Fields = Vec<(String, String)>;

fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn text(f: &Fields, name: &str) -> String {
    field(f, name).unwrap_or("").trim().to_string()
}

fn csrf_of(f: &Fields) -> &str {
    field(f, "csrf").unwrap_or("")
}

/// A refusal in the viewer's words (the guard's holds have their own sentence).
fn refusal(lang: Lang, e: DeskError) -> (StatusCode, String) {
    let e = ApiError::from(e);
    let text = match lang {
        Lang::En => e.message.clone(),
        Lang::Zh => format!("{}{}", lang.t("action_failed"), e.message),
    };
    (e.status, text)
}

/// `POST /incidents`: a supervisor opens one by hand on some of a shop's conversations.
pub async fn open_incident(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Form(f): Form<Fields>,
) -> Response {
    if !csrf_ok(&viewer, csrf_of(&f)) {
        return expired_form(&viewer);
    }
    let draft = OpenDraft {
        shop: field(&f, "shop").and_then(|s| s.parse().ok()),
        conversations: text(&f, "conversations"),
        level: field(&f, "level").and_then(|l| l.parse().ok()).unwrap_or(1),
        cause: text(&f, "cause"),
    };
    let result = match (draft.shop, crate::ui::admin::id_list(&draft.conversations)) {
        (None, _) => Err(DeskError::invalid("choose a shop")),
        (_, None) => Err(DeskError::invalid(
            "conversation numbers are whole numbers separated by commas",
        )),
        (Some(shop_id), Some(conversation_ids)) => {
            let req = OpenRequest {
                shop_id,
                conversation_ids,
                level: Some(draft.level),
                cause: Some(draft.cause.clone()).filter(|c| !c.is_empty()),
            };
            crate::desk::incidents::open(&state, &caller_of(&viewer), req).await
        }
    };
    match result {
        Ok(id) => Redirect::to(&format!("/incidents/{id}")).into_response(),
        Err(e) => {
            let (status, message) = refusal(viewer.lang, e);
            let q = ListQuery {
                shop: None,
                state: None,
            };
            list_view(&state, &viewer, zone, q, Some((message, draft)), status).await
        }
    }
}

/// `POST /incidents/{id}/reply`: one reply to every affected buyer; the page shows who got
/// it and whose reply the guard held (their drafts are kept in their conversations).
pub async fn reply_to_all(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    if !csrf_ok(&viewer, csrf_of(&f)) {
        return expired_form(&viewer);
    }
    let body = text(&f, "body");
    let req = ReplyAll {
        body: Some(body.clone()).filter(|b| !b.is_empty()),
        translations: Default::default(),
        template: Some(text(&f, "template")).filter(|t| !t.is_empty()),
        confirm: field(&f, "confirm").is_some(),
    };
    let mut outcome = Outcome::default();
    let status = match crate::desk::incidents::reply_all(&state, &caller_of(&viewer), id, req).await
    {
        Ok(done) => {
            // Held replies keep the text in the box, to fix and send again.
            if !done.held.is_empty() {
                outcome.reply_body = body;
            }
            outcome.replied = Some(done);
            StatusCode::OK
        }
        Err(e) => {
            let (status, message) = refusal(viewer.lang, e);
            outcome.error = Some(message);
            outcome.reply_body = body;
            status
        }
    };
    incident_view(&state, &viewer, zone, id, outcome, status).await
}

/// The action a form names, from its fields.
fn action_of(f: &Fields) -> Result<IncidentAction, DeskError> {
    let number = |name: &str| {
        field(f, name)
            .and_then(|v| v.trim().trim_start_matches('#').parse::<i64>().ok())
            .ok_or_else(|| DeskError::invalid(format!("{name} must be an incident number")))
    };
    match field(f, "action").unwrap_or("") {
        "level" => Ok(IncidentAction::Level {
            level: field(f, "level")
                .and_then(|l| l.parse().ok())
                .ok_or_else(|| DeskError::invalid("level is 1, 2 or 3"))?,
            reason: Some(text(f, "reason")).filter(|r| !r.is_empty()),
        }),
        "merge" => Ok(IncidentAction::Merge {
            from: number("from")?,
        }),
        "split" => {
            let ids: Vec<i64> = f
                .iter()
                .filter(|(k, _)| k == "conversation")
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            if ids.is_empty() {
                return Err(DeskError::invalid("tick the conversations to split off"));
            }
            Ok(IncidentAction::Split {
                conversation_ids: ids,
            })
        }
        "close" => Ok(IncidentAction::Close {
            cause: text(f, "cause"),
            improvement: text(f, "improvement"),
        }),
        other => Err(DeskError::invalid(format!("unknown action {other:?}"))),
    }
}

/// `POST /incidents/{id}/actions`: re-level, merge, split or close.
pub async fn incident_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    if !csrf_ok(&viewer, csrf_of(&f)) {
        return expired_form(&viewer);
    }
    let result = match action_of(&f) {
        Ok(action) => crate::desk::incidents::act(&state, &caller_of(&viewer), id, action).await,
        Err(e) => Err(e),
    };
    match result {
        // A split shows the new incident; everything else the same one.
        Ok(split_into) => {
            Redirect::to(&format!("/incidents/{}", split_into.unwrap_or(id))).into_response()
        }
        Err(e) => {
            let (status, message) = refusal(viewer.lang, e);
            let outcome = Outcome {
                error: Some(message),
                close_cause: text(&f, "cause"),
                close_improvement: text(&f, "improvement"),
                ..Outcome::default()
            };
            incident_view(&state, &viewer, zone, id, outcome, status).await
        }
    }
}
