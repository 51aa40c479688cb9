//! The JSON API's handlers, one file per resource, and its route table. Each handler
//! authenticates (the `Caller` extractor), parses (`JsonBody`), calls one use case of the desk
//! layer (`crate::desk`) or one read of the store, and writes the answer.

pub mod agents;
pub mod calls;
pub mod cases;
pub mod chat;
pub mod connectors;
pub mod conversations;
pub mod faqs;
pub mod inbound;
pub mod incidents;
pub mod meta;
pub mod obligations;
pub mod orders;
pub mod reports;
pub mod search;
pub mod shops;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;

/// The JSON API under `/api/v1`: shops, orders, agents and the rest here, one conversation's
/// routes in [`conversation_api`].
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/shops", post(shops::create).get(shops::list))
        .route("/shops/{id}", get(shops::get))
        .route("/shops/{id}/settings", post(shops::update))
        .route("/shops/{id}/faqs", get(faqs::list))
        .route("/shops/{id}/connectors", post(connectors::create))
        .route("/connectors", get(connectors::list))
        .route("/shops/{id}/faqs/presets", post(faqs::load_presets))
        .route(
            "/shops/{id}/faqs/{key}/{language}",
            axum::routing::put(faqs::put).delete(faqs::delete),
        )
        .route(
            "/shops/{shop_id}/orders/{external_id}/entitlements",
            get(orders::entitlements),
        )
        .route("/orders", post(orders::upsert))
        .route(
            "/shops/{id}/order-link-secret",
            get(chat::order_link_secret),
        )
        .route("/inbound", post(inbound::create))
        .route("/obligations", get(obligations::list))
        .route("/failed-ingests", get(meta::failed_ingests))
        .route("/attachments/{id}", get(conversations::attachment))
        .route("/search", get(search::search))
        .route("/calls", post(calls::log_call))
        .route("/reports/kpis", get(reports::kpis))
        .route("/reports/conversations", get(reports::conversations))
        .route("/reports/scorecards", get(reports::scorecards))
        .route("/staffing/coverage", get(reports::coverage))
        .route("/staffing/peak-prep", get(reports::peak_prep))
        .route("/incidents", get(incidents::list).post(incidents::open))
        .route("/incidents/{id}", get(incidents::show))
        .route("/incidents/{id}/actions", post(incidents::act))
        .route("/incidents/{id}/reply", post(incidents::reply))
        .route("/agents", post(agents::create))
        .route("/teams", post(agents::create_team))
        .route("/agents/{id}/shifts", post(agents::set_shifts))
        .route("/agents/{id}/availability", post(agents::set_availability))
        .route("/agents/{id}/unlock", post(agents::unlock))
        .route("/openapi.json", get(meta::openapi))
        .merge(conversation_api())
}

/// `/api/v1/conversations/{id}/…`: one conversation's use cases.
fn conversation_api() -> Router<AppState> {
    Router::new()
        .route("/conversations/{id}", get(conversations::get))
        .route("/conversations/{id}/replies", post(conversations::reply))
        .route(
            "/conversations/{id}/status",
            post(conversations::set_status),
        )
        .route(
            "/conversations/{id}/clocks",
            post(conversations::start_clocks),
        )
        .route("/conversations/{id}/notes", post(conversations::add_note))
        .route(
            "/conversations/{id}/complaint",
            post(conversations::mark_complaint),
        )
        .route(
            "/conversations/{id}/complaint/resolution",
            post(conversations::resolve_complaint),
        )
        .route("/conversations/{id}/typing", post(conversations::typing))
        .route("/conversations/{id}/cases", post(cases::create))
        .route("/conversations/{id}/rating", post(conversations::rate))
        .route("/conversations/{id}/assign", post(conversations::assign))
        .route(
            "/conversations/{id}/cases/{case_id}/state",
            post(cases::set_state),
        )
}

/// The web chat's public API under `/chat/v1`, for the widget.
pub fn chat_api() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(chat::session))
        .route("/messages", post(chat::post_message))
        .route("/typing", post(chat::typing))
        .route("/ack", post(chat::ack))
        .route("/csat", post(chat::csat))
        .route("/stream", get(chat::stream))
        .route(
            "/attachments",
            post(chat::upload).layer(DefaultBodyLimit::max(chat::MAX_ATTACHMENT_BYTES + 1024)),
        )
        .route("/attachments/{id}", get(chat::download))
}
