//! How a stored file goes out over HTTP, the same from the API, the pages and the chat widget.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The file's bytes, served so a browser cannot run them as the desk's own page.
pub fn file_response(info: &kefu_store::AttachmentInfo, bytes: Vec<u8>) -> Response {
    let disposition = if info.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let safe: String = info
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, info.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{safe}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".into(),
            ),
        ],
        bytes,
    )
        .into_response()
}
