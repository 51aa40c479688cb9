//! The supervisor's overview: open work by shop and agent, clocks at risk, today's figures.

use super::*;

// ---- the supervisor's overview ---------------------------------------------------------------

/// `GET /overview`: today's figures for supervisors: open conversations by shop and platform,
/// breaches, clocks due within the hour, escalations, each agent's load, and first-response
/// time and resolution rate against the packs' targets.
pub async fn overview(State(state): State<AppState>, viewer: Viewer) -> Response {
    let lang = viewer.lang;
    if !viewer.at_least(kefu_core::Role::Supervisor) {
        return crate::ui::forbidden(lang, &viewer);
    }
    let now = state.clock.now();
    let since = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let tenant = viewer.agent.tenant_id;
    let (o, shops, agents) = match (
        state.store.overview(tenant, since, now).await,
        state.store.shops(tenant).await,
        state.store.agents(tenant).await,
    ) {
        (Ok(o), Ok(s), Ok(a)) => (o, s, a),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return unavailable(lang, &viewer, e),
    };
    let mut by_platform: std::collections::BTreeMap<String, i64> = Default::default();
    for (shop_id, n) in &o.open_by_shop {
        if let Some(s) = shops.iter().find(|s| s.id == *shop_id) {
            *by_platform
                .entry(s.platform.as_str().to_string())
                .or_default() += n;
        }
    }
    let max_shop = o
        .open_by_shop
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(1)
        .max(1);
    let max_load = o
        .load_by_agent
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(1)
        .max(o.unassigned)
        .max(1);
    let load = agent_loads(&agents, &o);
    let frt_total = o.first_response_met + o.first_response_breached;
    let met_rate = (frt_total > 0).then(|| o.first_response_met as f64 / frt_total as f64);
    let resolution = (o.opened > 0).then(|| o.resolved as f64 / o.opened as f64);
    let targets = first_response_targets(&state, &shops).await;
    let cards = penalty_watch(&state, &viewer, &shops).await;
    let peaks = peak_reminders(&state, &viewer).await;
    let bar = |n: i64, max: i64| format!("width:{}%", (n * 100 / max).clamp(2, 100));
    let body = html! {
        h1 { (lang.t("overview")) }
        (crate::ui::scorecards::alerts(lang, &cards))
        (peaks)
        div.tiles {
            div.tile { span.big #breaches { (o.breaches) } span { (lang.t("breaches_today")) } }
            div.tile { span.big #due-hour { (o.due_next_hour) } span { (lang.t("due_next_hour")) } }
            div.tile { span.big #escalated { (o.escalated) } span { (lang.t("escalations")) } }
            div.tile { span.big { (o.unassigned) } span { (lang.t("unassigned")) } }
        }
        div.columns {
            section.card {
                h2 { (lang.t("open_by_shop")) }
                table.bars { tbody {
                    @for (shop_id, n) in &o.open_by_shop {
                        tr { th scope="row" translate="no" { (shops.iter().find(|s| s.id == *shop_id).map(|s| s.name.as_str()).unwrap_or("?")) }
                             td { div.bar style=(bar(*n, max_shop)) {} } td.num { (n) } }
                    }
                } }
                h2 { (lang.t("open_by_platform")) }
                ul { @for (p, n) in &by_platform { li { (lang.platform(p)) "：" strong { (n) } } } }
            }
            section.card {
                h2 { (lang.t("agent_load")) }
                table.bars #agent-load { tbody {
                    @for (a, n) in &load {
                        tr data-agent=(a.id) { th scope="row" translate="no" { (a.name) }
                             td { div.bar style=(bar(*n, max_load)) {} } td.num { (n) } }
                    }
                    tr.unassigned { th scope="row" { (lang.t("unassigned")) } td { div.bar style=(bar(o.unassigned, max_load)) {} } td.num { (o.unassigned) } }
                } }
                h2 { (lang.t("replies_today")) }
                p {
                    (lang.t("met")) " " strong { (o.first_response_met) } " · " (lang.t("breached")) " " strong { (o.first_response_breached) }
                    @if let Some(r) = met_rate { " · " strong { (format!("{:.0} %", r * 100.0)) } }
                    @if let Some(m) = o.first_response_mean_secs { " · " (lang.t("mean")) " " strong { (format!("{:.1} {}", m / 60.0, lang.t("minutes"))) } }
                }
                p { (lang.t("resolution_rate")) ": "
                    @if let Some(r) = resolution { strong { (format!("{:.0} %", r * 100.0)) } " (" (o.resolved) "/" (o.opened) ")" } @else { "—" } }
                h3 { (lang.t("targets")) }
                ul { @for (shop, rule, minutes) in &targets { li { span translate="no" { (shop) } "：" code { (rule) } " " (minutes) " " (lang.t("minutes")) } } }
            }
        }
    };
    layout(lang, lang.t("overview"), Some(&viewer), body).into_response()
}

/// The scorecards of the shops the viewer sees, for the alerts of platforms about to punish a
/// shop (AE-PENALTY), shown before anything else.
async fn penalty_watch(
    state: &AppState,
    viewer: &Viewer,
    shops: &[kefu_core::Shop],
) -> Vec<crate::desk::scorecards::ShopScorecard> {
    let visible: Vec<kefu_core::Shop> = shops
        .iter()
        .filter(|s| viewer.may_see_shop(s.id))
        .cloned()
        .collect();
    crate::desk::scorecards::scorecards(state, &visible)
        .await
        .unwrap_or_default()
}

/// Every agent who takes conversations, with their load (none is a load too): the card lists
/// the desk's people, not only those who happen to hold a conversation.
fn agent_loads<'a>(
    agents: &'a [kefu_core::Agent],
    o: &kefu_store::Overview,
) -> Vec<(&'a kefu_core::Agent, i64)> {
    agents
        .iter()
        .filter(|a| a.role != kefu_core::Role::Admin)
        .map(|a| {
            let n = o
                .load_by_agent
                .iter()
                .find(|(id, _)| *id == a.id)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (a, n)
        })
        .collect()
}

/// Each shop's first-response clocks from its pack (platform limits and its own target):
/// `(shop name, rule, minutes)`.
async fn first_response_targets(
    state: &AppState,
    shops: &[kefu_core::Shop],
) -> Vec<(String, String, i64)> {
    let mut targets = Vec::new();
    for s in shops {
        if let Ok(rules) = state
            .shops
            .get(state.store.as_ref(), &state.packs, s.id)
            .await
        {
            for c in rules
                .pack
                .clocks
                .iter()
                .filter(|c| c.kind == kefu_rules::ClockKind::FirstResponse)
            {
                targets.push((s.name.clone(), c.rule.clone(), c.duration.num_minutes()));
            }
        }
    }
    targets
}

/// `GET /files/{id}`: a file a buyer sent, for an agent who may see its conversation.
pub async fn file(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match crate::desk::conversations::attachment(&state, &caller(&viewer), id).await {
        Ok((info, bytes)) => crate::files::file_response(&info, bytes),
        Err(_) => not_found(&viewer),
    }
}

/// The sales peaks ahead and their checklists (PEAK-PREP), each item ticked from the data.
async fn peak_reminders(state: &AppState, viewer: &Viewer) -> Markup {
    let lang = viewer.lang;
    let reminders = match crate::desk::peak::reminders(state, &caller(viewer), None, false).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e.message(), "peak reminders not read");
            return html! {};
        }
    };
    html! {
        @for r in &reminders {
            section.card.wide.peak data-shop=(r.shop_id) data-peak=(r.peak.name) {
                h2 { (lang.t("peak_ahead")) ": " span translate="no" { (r.peak.name) } " · " span translate="no" { (r.shop) } }
                p { (r.peak.date.to_string()) " · " (lang.t("days_left")) " " strong { (r.peak.days_left) } " · " code { (r.peak.rule) } }
                ul.checklist { @for item in &r.checklist {
                    li data-item=(item.item) data-done=(item.done) {
                        @if item.done { span.rag-green { "✓ " } } @else { span.rag-red { "✗ " } }
                        strong { (lang.t(peak_item_key(item.item))) }
                        @if !item.missing.is_empty() {
                            " — " (lang.t("falls_short")) " " span translate="no" { (item.missing.join(", ")) }
                        } @else if item.item == "logistics_plan" && item.done {
                            " — " (item.detail)
                        } @else if !item.done {
                            " — " (lang.t(if item.item == "logistics_plan" { "peak_no_plan" } else { "peak_no_history" }))
                        }
                    }
                } }
            }
        }
    }
}

fn peak_item_key(item: &str) -> &'static str {
    match item {
        "staffing_reserve" => "peak_staffing",
        "faq_templates" => "peak_faq",
        _ => "peak_logistics",
    }
}
