//! Files a buyer sends through the chat (photos of the item or parcel, PDFs), and their
//! download by the visitor.

use super::*;

/// Largest file a buyer may send through the chat.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// What a buyer may send: photos of the item or parcel, and PDFs (receipts, labels).
pub(super) const ATTACHMENT_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentQuery {
    pub token: String,
    pub client_id: String,
    pub name: String,
}

/// The file's bytes: at most [`MAX_ATTACHMENT_BYTES`] (413), not empty (422).
fn file_bytes(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<axum::body::Bytes> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "a file may have at most {} MB",
                MAX_ATTACHMENT_BYTES / 1024 / 1024
            ),
        )
    };
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request(format!("could not read the file: {e}"))
        }
    })?;
    if body.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large());
    }
    if body.is_empty() {
        return Err(ApiError::invalid("the file is empty"));
    }
    Ok(body)
}

/// The file's type from `Content-Type`, one of [`ATTACHMENT_TYPES`] (else 415).
fn file_type(headers: &HeaderMap) -> ApiResult<String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !ATTACHMENT_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            format!(
                "files of type {content_type:?} are not taken; send a photo (JPEG, PNG, GIF, WebP) or a PDF"
            ),
        ));
    }
    Ok(content_type)
}

/// The name the file is kept under: no control characters or path separators, at most 120
/// characters, `file` when nothing is left.
fn file_name(asked: &str) -> String {
    let name: String = asked
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(120)
        .collect();
    if name.trim().is_empty() {
        "file".to_string()
    } else {
        name.trim().to_string()
    }
}

/// `POST /chat/v1/attachments?token=…&client_id=…&name=…` with the file as the body and its
/// type as `Content-Type`: a message announcing the file is stored through the common ingest
/// path, the file beside it. Too large: 413; a type we do not take: 415; empty: 422.
pub async fn upload(
    State(state): State<AppState>,
    ip: ClientIp,
    Query(q): Query<AttachmentQuery>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    limit_ip(&state, &ip)?;
    let visitor = verify(&state.master_key, &q.token)?;
    limit(&state.limits.per_visitor, &visitor.id, state.clock.now())?;
    let body = file_bytes(body)?;
    let content_type = file_type(&headers)?;
    let name = file_name(&q.name);
    check_client_id(&q.client_id)?;
    let size_kb = body.len().div_ceil(1024);
    limit_new_conversation(&state, &ip, &visitor)?;
    let outcome = ingest(
        &state,
        InboundRequest {
            shop_id: visitor.shop_id,
            channel: Channel::WebChat,
            customer: CustomerRef {
                handle: visitor.handle(),
                name: None,
                language: None,
            },
            order_external_id: None,
            body: format!("📎 {name} ({size_kb} KB)"),
            received_at: None,
            external_id: Some(format!("webchat:{}:{}", visitor.id, q.client_id)),
            reply_to: None,
        },
    )
    .await?;
    count_conversation(&state, &ip, &visitor, &outcome);
    if outcome.duplicate {
        return Ok((
            StatusCode::OK,
            Json(
                json!({"conversation_id": outcome.conversation_id, "message_id": outcome.message_id, "duplicate": true}),
            ),
        ));
    }
    let id = state
        .store
        .add_attachment(
            outcome.message_id,
            &name,
            &content_type,
            body.to_vec(),
            state.clock.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"conversation_id": outcome.conversation_id, "message_id": outcome.message_id, "attachment_id": id, "duplicate": false}),
        ),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    pub token: String,
}

/// `GET /chat/v1/attachments/{id}?token=…`: a visitor's own file.
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    let visitor = verify(&state.master_key, &q.token)?;
    let missing = || ApiError::not_found(format!("file {id} does not exist"));
    let (info, bytes) = state.store.attachment(id).await?.ok_or_else(missing)?;
    visitor_conversation(&state, &visitor, info.conversation_id)
        .await
        .map_err(|_| missing())?;
    Ok(crate::files::file_response(&info, bytes))
}
