//! The widget's script and the demo page that embeds it.

use super::*;

/// `GET /widget.js`: the embeddable widget.
pub async fn widget_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct DemoQuery {
    /// Makes the page an order page: the widget's tag names this order…
    pub order: Option<String>,
    /// …with this signed link, as a shop's own order page would.
    pub order_link: Option<String>,
}

/// `GET /chat/demo/{shop_id}[?order=…&order_link=…]`: a bare store page with the widget on
/// it, to try the chat (and an order page's signed link).
pub async fn demo_page(
    State(state): State<AppState>,
    Path(shop_id): Path<i64>,
    Query(q): Query<DemoQuery>,
) -> ApiResult<Html<String>> {
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, shop_id)
        .await?;
    let name = html_escape(&rules.shop.name);
    let mut order_attrs = String::new();
    for (attr, value) in [("data-order", &q.order), ("data-order-link", &q.order_link)] {
        if let Some(v) = value {
            order_attrs.push_str(&format!(" {attr}=\"{}\"", html_escape(v)));
        }
    }
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{name}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;margin:2rem\"><h1>{name}</h1><p>A store page with the kefu chat widget.</p>\
         <script src=\"/widget.js\" data-shop=\"{shop_id}\"{order_attrs} async></script></body></html>"
    )))
}

pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
