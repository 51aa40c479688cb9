//! The inbox: the conversations that need the desk, by their nearest deadline.

use super::*;

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    pub shop: Option<i64>,
    pub platform: Option<String>,
    pub status: Option<String>,
    pub language: Option<String>,
    /// `me`, `none` or empty.
    pub assignee: Option<String>,
    /// Only clocks due within the next hour.
    pub soon: Option<String>,
    /// One part of the inbox only: `overdue`, `running` or `no_clock`.
    pub clock: Option<String>,
    /// Where the previous page ended: `<part>~<unix micros>~<id>` (`InboxCursor`).
    pub after: Option<String>,
}

pub(super) struct InboxRow {
    row: kefu_store::InboxRow,
    shop_name: String,
    platform: String,
    tz: chrono_tz::Tz,
}

pub(super) fn empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
    Zone(zone): Zone,
    Query(q): Query<InboxQuery>,
) -> Response {
    let lang = viewer.lang;
    let now = state.clock.now();
    let shops = match state.store.shops(viewer.agent.tenant_id).await {
        Ok(mut s) => {
            s.retain(|s| viewer.may_see_shop(s.id));
            s
        }
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let cursor = q.after.as_deref().and_then(|a| {
        let mut it = a.split('~');
        Some(kefu_store::InboxCursor {
            part: kefu_store::InboxPart::parse(it.next()?)?,
            at: DateTime::from_timestamp_micros(it.next()?.parse().ok()?)?,
            id: it.next()?.parse::<i64>().ok()?,
        })
    });
    let status = empty(&q.status).and_then(|s| s.parse::<ConversationStatus>().ok());
    let shop_ids: Vec<i64> = match q.shop {
        Some(id) => shops.iter().filter(|s| s.id == id).map(|s| s.id).collect(),
        None => shops
            .iter()
            .filter(|s| empty(&q.platform).is_none_or(|p| p == s.platform.as_str()))
            .map(|s| s.id)
            .collect(),
    };
    let found = match state
        .store
        .inbox(kefu_store::InboxQuery {
            tenant_id: viewer.agent.tenant_id,
            shop_ids: Some(shop_ids),
            status,
            language: empty(&q.language).map(str::to_string),
            assignee: match empty(&q.assignee) {
                Some("me") => Some(Some(viewer.agent.id)),
                Some("none") => Some(None),
                _ => None,
            },
            due_before: empty(&q.soon).map(|_| now + chrono::Duration::hours(1)),
            part: empty(&q.clock).and_then(kefu_store::InboxPart::parse),
            pending_before: Some(
                now - chrono::Duration::hours(ConversationStatus::PENDING_WAIT_HOURS),
            ),
            after: cursor,
            limit: PAGE as i64,
        })
        .await
    {
        Ok(r) => r,
        Err(e) => return unavailable(lang, &viewer, e),
    };
    let rows: Vec<InboxRow> = found
        .into_iter()
        .filter_map(|r| {
            let shop = shops.iter().find(|s| s.id == r.shop_id)?;
            Some(InboxRow {
                shop_name: shop.name.clone(),
                platform: shop.platform.as_str().to_string(),
                tz: shop.timezone.parse().unwrap_or(chrono_tz::UTC),
                row: r,
            })
        })
        .collect();
    let cursor = rows.last().map(|r| r.row.cursor());
    let next = (rows.len() == PAGE)
        .then_some(cursor)
        .flatten()
        .map(|c| format!("{}~{}~{}", c.part.as_str(), c.at.timestamp_micros(), c.id));
    let next_link = next.map(|n| next_page(&q, &n));
    let body = html! {
        h1 { (lang.t("inbox")) }
        (filters(lang, &q, &shops))
        (keys_hint(lang))
        (rows_table(lang, &rows, zone, now))
        @if let Some(link) = next_link { p { a href=(link) rel="next" { (lang.t("next_page")) " →" } } }
    };
    layout(lang, lang.t("inbox"), Some(&viewer), body).into_response()
}

/// The link to the next page: the same filters, after the last row shown.
fn next_page(q: &InboxQuery, after: &str) -> String {
    let mut params: Vec<String> = Vec::new();
    for (k, v) in [
        ("shop", q.shop.map(|s| s.to_string())),
        ("platform", q.platform.clone()),
        ("status", q.status.clone()),
        ("language", q.language.clone()),
        ("assignee", q.assignee.clone()),
        ("soon", q.soon.clone()),
        ("clock", q.clock.clone()),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            params.push(format!("{k}={}", crate::ui::auth::urlencode(&v)));
        }
    }
    params.push(format!("after={after}"));
    format!("/inbox?{}", params.join("&"))
}

/// The inbox's filters, showing the ones in effect.
fn filters(lang: Lang, q: &InboxQuery, shops: &[kefu_core::Shop]) -> Markup {
    let sel = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    html! {
    form.filters method="get" action="/inbox" aria-label=(lang.t("filters")) {
        label { (lang.t("shop")) " "
            select name="shop" {
                option value="" { (lang.t("all")) }
                @for s in shops { option value=(s.id) selected[q.shop == Some(s.id)] translate="no" { (s.name) } }
            }
        }
        label { (lang.t("platform")) " "
            select name="platform" {
                option value="" { (lang.t("all")) }
                @for p in ["taobao", "tmall", "ebay", "aliexpress", "pinduoduo", "own"] {
                    option value=(p) selected[sel(&q.platform, p)] { (lang.platform(p)) }
                }
            }
        }
        label { (lang.t("status")) " "
            select name="status" {
                option value="" { (lang.t("all")) }
                @for s in ["new", "open", "pending_customer", "escalated"] {
                    option value=(s) selected[sel(&q.status, s)] { (s.parse().map(|s| lang.status(s)).unwrap_or(s)) }
                }
            }
        }
        label { (lang.t("language")) " "
            select name="language" {
                option value="" { (lang.t("all")) }
                @for l in ["zh", "en", "de", "es", "fr"] { option value=(l) selected[sel(&q.language, l)] { (lang.language_name(l)) } }
            }
        }
        label { (lang.t("assignee")) " "
            select name="assignee" {
                option value="" { (lang.t("all")) }
                option value="me" selected[sel(&q.assignee, "me")] { (lang.t("me")) }
                option value="none" selected[sel(&q.assignee, "none")] { (lang.t("unassigned")) }
            }
        }
        label { (lang.t("clock")) " "
            select name="clock" {
                option value="" { (lang.t("all")) }
                @for p in kefu_store::InboxPart::ALL {
                    option value=(p.as_str()) selected[sel(&q.clock, p.as_str())] { (lang.t(part_label(p))) }
                }
            }
        }
        label.check { input type="checkbox" name="soon" value="1" checked[empty(&q.soon).is_some()]; " " (lang.t("breaching_soon")) }
        button type="submit" { (lang.t("filter")) }
    }
    }
}

/// The rows, each with its nearest clock (or how long it has waited without one).
fn rows_table(lang: Lang, rows: &[InboxRow], zone: chrono_tz::Tz, now: DateTime<Utc>) -> Markup {
    html! {
    @if rows.is_empty() { p.inbox-empty { (lang.t("inbox_empty")) } }
    @else {
        table.inbox id="inbox" {
            thead { tr {
                th scope="col" { (lang.t("platform")) } th scope="col" { (lang.t("buyer")) }
                th scope="col" { (lang.t("last_message")) } th scope="col" { (lang.t("language")) }
                th scope="col" { (lang.t("due")) }
            } }
            tbody {
                @for r in rows {
                    @let c = &r.row;
                    tr.row.overdue[c.overdue()] data-href=(format!("/conversations/{}", c.conversation_id)) data-conversation=(c.conversation_id) data-part=(c.part.as_str()) tabindex="-1" {
                        td { span.platform { (lang.platform(&r.platform)) } br; small translate="no" { (r.shop_name) } }
                        td { a href=(format!("/conversations/{}", c.conversation_id)) translate="no" { (buyer_name(lang, c.customer_name.as_deref(), &c.customer_handle, None)) } br; small.status { (lang.status(c.status)) } }
                        td.last translate="no" { @if let Some(m) = &c.last_message { (clip(m, 80)) } }
                        td { (lang.language_name(c.language.as_deref().unwrap_or(""))) }
                        td {
                            @match (c.due, c.rule.as_deref()) {
                                (Some(due), Some(rule)) => {
                                    @if c.overdue() { span.badge.overdue { (lang.t("overdue")) } " " }
                                    (countdown(lang, due, c.opened_at, rule, r.tz, zone, now))
                                }
                                _ => {
                                    span.noclock { (lang.t("no_clock")) }
                                    " " small { (lang.t("waiting_since")) " " (when(lang, c.opened_at, zone, now)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    }
}
