//! The conversation page's forms: reply, cases, assign and take, typing, note, status. Each
//! calls one use case of the desk layer and shows the page again, saying why, when it refuses.

use super::*;

#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    pub csrf: String,
    pub body: String,
    pub confirm: Option<String>,
}

pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let sent = crate::desk::conversations::reply(
        &state,
        &caller(&viewer),
        id,
        &f.body,
        f.confirm.is_some(),
    )
    .await;
    match sent.map_err(ApiError::from) {
        Ok(_) => Redirect::to(&format!("/conversations/{id}")).into_response(),
        Err(e) => {
            if e.status == StatusCode::NOT_FOUND {
                return not_found(&viewer);
            }
            // Nothing is lost: the draft comes back with the guard's findings or the error.
            let extra = e.extra.clone().unwrap_or_default();
            let draft = ReplyDraft {
                body: f.body,
                verdict: extra["verdict"].as_str().map(str::to_string),
                findings: extra["findings"].clone(),
                error: Some(refusal(viewer.lang, &e)),
                ..ReplyDraft::default()
            };
            conversation_view(&state, &viewer, zone, id, draft, e.status).await
        }
    }
}

/// After a form on a conversation's page: back to the page, or the page again saying why not.
pub(super) async fn back_to_conversation<T>(
    state: &AppState,
    viewer: &Viewer,
    zone: chrono_tz::Tz,
    id: i64,
    result: crate::desk::DeskResult<T>,
) -> Response {
    match result.map_err(ApiError::from) {
        Ok(_) => Redirect::to(&format!("/conversations/{id}")).into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => not_found(viewer),
        Err(e) => {
            let draft = ReplyDraft {
                error: Some(refusal(viewer.lang, &e)),
                ..ReplyDraft::default()
            };
            conversation_view(state, viewer, zone, id, draft, e.status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CaseForm {
    pub csrf: String,
    pub rule: String,
    pub action: String,
    /// Set by the confirmation step; without it the page asks, showing the amount.
    pub confirm: Option<String>,
}

/// Offers an after-sales case from the conversation page. An offer commits the shop (money
/// back, goods sent again), so the first press only asks, with the amount the server computes;
/// the case opens when the agent confirms.
pub async fn open_case(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<CaseForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    if f.confirm.as_deref() != Some("1") {
        let draft = ReplyDraft {
            confirm_case: Some((f.rule, f.action)),
            ..ReplyDraft::default()
        };
        return conversation_view(&state, &viewer, zone, id, draft, StatusCode::OK).await;
    }
    let req = crate::desk::cases::OpenCase {
        rule: f.rule,
        action: f.action,
    };
    let result = crate::desk::cases::open(&state, &caller(&viewer), id, &req).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct CaseMoveForm {
    pub csrf: String,
    pub state: String,
}

pub async fn move_case(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path((id, case_id)): Path<(i64, i64)>,
    Form(f): Form<CaseMoveForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let result =
        crate::desk::cases::move_case(&state, &caller(&viewer), id, case_id, &f.state).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    pub csrf: String,
    pub agent_id: String,
}

/// A supervisor reassigns the conversation from its page.
pub async fn reassign(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let agent_id = f.agent_id.trim().parse::<i64>().ok();
    let result = crate::desk::conversations::assign(&state, &caller(&viewer), id, agent_id).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// An agent takes the conversation themself ("接手"), through the same assign use case as a
/// supervisor's reassignment: the agent must work for the conversation's shop.
pub async fn take(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let me = Some(viewer.agent.id);
    let result = crate::desk::conversations::assign(&state, &caller(&viewer), id, me).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

/// The refusal (403) of a request from the desk script that is not a form (`/ui/lint`,
/// typing) and lacks the session's CSRF token in its `X-CSRF-Token` header; `None` when it
/// has it.
pub(super) fn csrf_refusal(viewer: &Viewer, headers: &HeaderMap) -> Option<Response> {
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    (!csrf_ok(viewer, sent))
        .then(|| (StatusCode::FORBIDDEN, Json(json!({"error": "csrf"}))).into_response())
}

/// `POST /conversations/{id}/typing`: the agent is typing in the reply box (the desk script
/// sends it, throttled); the web chat buyer sees it. Needs the session's CSRF token
/// (`X-CSRF-Token`) like `/ui/lint`.
pub async fn typing(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    if let Some(refused) = csrf_refusal(&viewer, &headers) {
        return refused;
    }
    match crate::desk::conversations::typing(&state, &caller(&viewer), id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    pub csrf: String,
    pub body: String,
}

pub async fn note(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let result = crate::desk::conversations::add_note(&state, &caller(&viewer), id, &f.body).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    pub csrf: String,
    pub status: ConversationStatus,
    /// `1` once the agent confirmed resolving a conversation no agent has answered.
    pub confirm: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ComplaintForm {
    pub csrf: String,
    pub complaint: bool,
    /// The cause the agent picks (COMPLAINT-FLOW); empty: the buyer's words decide.
    pub cause: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ResolutionForm {
    pub csrf: String,
    pub summary: String,
}

/// `POST /conversations/{id}/complaint/resolution`: the complaint's resolution summary.
pub async fn resolve_complaint(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<ResolutionForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let result = crate::desk::complaints::resolve(&state, &caller(&viewer), id, &f.summary).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

/// `POST /conversations/{id}/complaint`: the agent's complaint mark from the side panel.
pub async fn mark_complaint(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<ComplaintForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let cause = match f.cause.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => match crate::desk::complaints::parse_cause(c) {
            Ok(c) => Some(c),
            Err(e) => return back_to_conversation::<()>(&state, &viewer, zone, id, Err(e)).await,
        },
        None => None,
    };
    let result = crate::desk::conversations::mark_complaint(
        &state,
        &caller(&viewer),
        id,
        f.complaint,
        cause,
    )
    .await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}

pub async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    // Resolving a buyer nobody answered is rarely meant (one key does it): the page asks
    // first, and only a form carrying the confirmation resolves.
    if f.status == ConversationStatus::Resolved && f.confirm.as_deref() != Some("1") {
        let unanswered = match state.store.conversation(id).await {
            Ok(Some(d)) => !answered(&d),
            Ok(None) => return not_found(&viewer),
            Err(e) => return unavailable(viewer.lang, &viewer, e),
        };
        if unanswered {
            let draft = ReplyDraft {
                confirm_resolve: true,
                ..ReplyDraft::default()
            };
            return conversation_view(&state, &viewer, zone, id, draft, StatusCode::CONFLICT).await;
        }
    }
    let result =
        crate::desk::conversations::set_status(&state, &caller(&viewer), id, f.status, None).await;
    back_to_conversation(&state, &viewer, zone, id, result).await
}
