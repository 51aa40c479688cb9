//! The marketplace connectors page: each connector's health, last error and next attempt.

use super::*;

pub(super) async fn connectors_page(
    State(state): State<AppState>,
    viewer: Viewer,
    i18n::Zone(zone): i18n::Zone,
) -> Response {
    let lang = viewer.lang;
    let shops = match state.store.shops(viewer.agent.tenant_id).await {
        Ok(s) => s,
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let ids = shops
        .iter()
        .map(|s| s.id)
        .filter(|id| viewer.may_see_shop(*id))
        .collect();
    let rows = match state.store.connectors(Some(ids)).await {
        Ok(r) => r,
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let name_of = |id: i64| {
        shops
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| "—".into());
    let now = state.clock.now();
    let moment = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| lang.when(t.with_timezone(&chrono::Utc), zone, now))
            .unwrap_or_else(|| "—".into())
    };
    layout(
        lang,
        lang.t("connectors"),
        Some(&viewer),
        html! {
            h1 { (lang.t("connectors")) }
            @if rows.is_empty() { p { (lang.t("no_connectors")) " " code translate="no" { "POST /api/v1/shops/{id}/connectors" } } }
            @else {
                table.connectors {
                    thead { tr {
                        th scope="col" { (lang.t("shop")) } th scope="col" { (lang.t("kind")) }
                        th scope="col" { (lang.t("state")) } th scope="col" { (lang.t("last_success")) }
                        th scope="col" { (lang.t("last_error")) } th scope="col" { (lang.t("next_attempt")) }
                    } }
                    tbody {
                        @for c in &rows {
                            @let state_word = c.health.get("state").and_then(|s| s.as_str()).unwrap_or("ok");
                            tr data-connector=(c.id) {
                                td translate="no" { (name_of(c.shop_id)) }
                                td { (lang.platform(&c.kind)) }
                                td { span class=(format!("state state-{state_word}")) { (lang.connector_state(state_word)) } }
                                td { (moment(&c.health["last_success_at"])) }
                                td translate="no" { (text(&c.health["last_error"])) }
                                td { (lang.when(c.next_attempt_at, zone, now)) }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}
