//! Return requests from the Post-Order API, created since the cursor.

use chrono::{DateTime, Utc};
use kefu_core::Money;
use serde::Deserialize;

use super::rest::{id_string, opt_id_string};
use super::{EbayConnector, MAX_PAGES, RETURNS_PER_PAGE};
use super::{ebay_time, json_scalar, parse_time};
use crate::cursor::Mark;
use crate::{ConnectError, PulledReturn};

impl EbayConnector {
    /// 3. Return requests created since `prev`, oldest first.
    pub(super) async fn new_returns(
        &self,
        prev: &Mark,
        now: DateTime<Utc>,
    ) -> Result<(Vec<PulledReturn>, Mark), ConnectError> {
        let mut mark = prev.clone();
        let mut returns = Vec::new();
        for r in self.returns(prev.at, now).await? {
            let r = to_pulled_return(r)?;
            if prev.is_new(&r.external_id, r.created_at) {
                mark.advance(&r.external_id, r.created_at);
                returns.push(r);
            }
        }
        returns.sort_by_key(|a| a.created_at);
        Ok((returns, mark))
    }
    async fn returns(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ReturnSummary>, ConnectError> {
        let mut all = Vec::new();
        let mut page = 1u32;
        loop {
            let url = self.url(
                &["post-order", "v2", "return", "search"],
                &[
                    ("creation_date_range_from", ebay_time(from)),
                    ("creation_date_range_to", ebay_time(to)),
                    ("limit", RETURNS_PER_PAGE.to_string()),
                    ("offset", page.to_string()),
                ],
            )?;
            let resp: ReturnSearch = self.rest_get("eBay return search", url, true).await?;
            let n = resp.members.len();
            all.extend(resp.members);
            let total_pages = resp
                .pagination_output
                .and_then(|p| p.total_pages)
                .unwrap_or(page);
            if n == 0 || page >= total_pages || page >= MAX_PAGES {
                break;
            }
            page += 1;
        }
        Ok(all)
    }
}

fn to_pulled_return(r: ReturnSummary) -> Result<PulledReturn, ConnectError> {
    let what = format!("eBay return {}", r.return_id);
    let created_at = parse_time(&what, &r.creation_info.creation_date.value)?;
    let estimated_refund = match r
        .seller_total_refund
        .and_then(|t| t.estimated_refund_amount)
    {
        Some(a) => Some(
            Money::parse(&json_scalar(&a.value), &a.currency)
                .map_err(|e| ConnectError::Malformed(format!("{what}: refund amount: {e}")))?,
        ),
        None => None,
    };
    Ok(PulledReturn {
        external_id: r.return_id,
        order_external_id: r.order_id,
        buyer_handle: r.buyer_login_name,
        reason: r.creation_info.reason,
        comments: r
            .creation_info
            .comments
            .and_then(|c| c.content)
            .filter(|c| !c.trim().is_empty()),
        state: r.state,
        status: r.status,
        return_type: r.current_type.or(r.creation_info.kind),
        item_id: r.creation_info.item.and_then(|i| i.item_id),
        estimated_refund,
        created_at,
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReturnSearch {
    #[serde(default)]
    members: Vec<ReturnSummary>,
    pagination_output: Option<PaginationOutput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaginationOutput {
    total_pages: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReturnSummary {
    #[serde(deserialize_with = "id_string")]
    return_id: String,
    #[serde(default, deserialize_with = "opt_id_string")]
    order_id: Option<String>,
    buyer_login_name: String,
    current_type: Option<String>,
    state: String,
    status: Option<String>,
    creation_info: CreationInfo,
    seller_total_refund: Option<TotalRefund>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    item: Option<ReturnItem>,
    #[serde(rename = "type")]
    kind: Option<String>,
    reason: Option<String>,
    comments: Option<Comments>,
    creation_date: DateValue,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReturnItem {
    #[serde(default, deserialize_with = "opt_id_string")]
    item_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Comments {
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DateValue {
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TotalRefund {
    estimated_refund_amount: Option<RefundAmount>,
}

#[derive(Debug, Deserialize)]
struct RefundAmount {
    value: serde_json::Value,
    currency: String,
}
