//! Orders from the Sell Fulfillment API: those modified since the cursor and those buyers
//! name by number, with the latest shipment's carrier and tracking; and the tie from each
//! message to its order.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use kefu_core::Money;
use serde::Deserialize;

use super::{EbayConnector, MAX_ORDER_IDS, MAX_PAGES, ORDERS_PER_PAGE};
use super::{ebay_time, parse_time};
use crate::cursor::Mark;
use crate::{ConnectError, PulledMessage, PulledOrder, ReplyTarget};

impl EbayConnector {
    /// 2. Orders: modified since `prev`, and those the new `messages` mention by number.
    pub(super) async fn new_orders(
        &self,
        prev: &Mark,
        messages: &[PulledMessage],
    ) -> Result<(Vec<PulledOrder>, Mark), ConnectError> {
        let mut mark = prev.clone();
        let mut orders_raw = Vec::new();
        let modified = self
            .orders_page(vec![(
                "filter",
                format!("lastmodifieddate:[{}..]", ebay_time(prev.at)),
            )])
            .await?;
        for o in modified {
            let changed = match &o.last_modified_date {
                Some(d) => parse_time("eBay order", d)?,
                None => parse_time("eBay order", &o.creation_date)?,
            };
            if prev.is_new(&o.order_id, changed) {
                mark.advance(&o.order_id, changed);
                orders_raw.push(o);
            }
        }
        let have: BTreeSet<String> = orders_raw.iter().map(|o| o.order_id.clone()).collect();
        let mentioned: Vec<String> = messages
            .iter()
            .flat_map(|m| order_numbers_in(&m.body))
            .filter(|id| !have.contains(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for chunk in mentioned.chunks(MAX_ORDER_IDS) {
            let got = self
                .orders_page(vec![("orderIds", chunk.join(","))])
                .await?;
            orders_raw.extend(got);
        }
        let mut orders = Vec::with_capacity(orders_raw.len());
        for o in orders_raw {
            orders.push(self.to_pulled_order(o).await?);
        }
        Ok((orders, mark))
    }

    async fn orders_page(
        &self,
        query: Vec<(&str, String)>,
    ) -> Result<Vec<EbayOrder>, ConnectError> {
        let mut all = Vec::new();
        let mut offset = 0u32;
        for _ in 0..MAX_PAGES {
            let mut q = query.clone();
            q.push(("limit", ORDERS_PER_PAGE.to_string()));
            q.push(("offset", offset.to_string()));
            let url = self.url(&["sell", "fulfillment", "v1", "order"], &q)?;
            let page: OrderPage = self.rest_get("eBay getOrders", url, false).await?;
            let n = page.orders.len() as u32;
            all.extend(page.orders);
            let total = page.total.unwrap_or(0);
            offset += n;
            if n == 0 || offset >= total {
                break;
            }
        }
        Ok(all)
    }

    async fn shipping(&self, order_id: &str) -> Result<Vec<Fulfillment>, ConnectError> {
        let url = self.url(
            &[
                "sell",
                "fulfillment",
                "v1",
                "order",
                order_id,
                "shipping_fulfillment",
            ],
            &[],
        )?;
        let page: FulfillmentPage = self
            .rest_get("eBay getShippingFulfillments", url, false)
            .await?;
        Ok(page.fulfillments)
    }

    async fn to_pulled_order(&self, o: EbayOrder) -> Result<PulledOrder, ConnectError> {
        let what = format!("eBay order {}", o.order_id);
        let total = Money::parse(
            &o.pricing_summary.total.value,
            &o.pricing_summary.total.currency,
        )
        .map_err(|e| ConnectError::Malformed(format!("{what}: total: {e}")))?;
        let created = parse_time(&what, &o.creation_date)?;
        let paid_at = o
            .payment_summary
            .iter()
            .flat_map(|p| p.payments.iter())
            .filter_map(|p| p.payment_date.as_deref())
            .map(|d| parse_time(&what, d))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .min()
            .unwrap_or(created);
        let mut ship_by = Vec::new();
        for li in &o.line_items {
            if let Some(d) = li
                .line_item_fulfillment_instructions
                .as_ref()
                .and_then(|i| i.ship_by_date.as_deref())
            {
                ship_by.push(parse_time(&what, d)?);
            }
        }
        let status = o.order_fulfillment_status.clone();
        let (mut shipped_at, mut carrier, mut tracking) = (None, None, None);
        if matches!(status.as_deref(), Some("IN_PROGRESS" | "FULFILLED")) {
            // The latest package is the one the buyer is waiting for.
            let mut best: Option<(DateTime<Utc>, Fulfillment)> = None;
            for f in self.shipping(&o.order_id).await? {
                let at = match &f.shipped_date {
                    Some(d) => parse_time(&what, d)?,
                    None => DateTime::<Utc>::MIN_UTC,
                };
                if best.as_ref().is_none_or(|(b, _)| at >= *b) {
                    best = Some((at, f));
                }
            }
            if let Some((at, f)) = best {
                shipped_at = (at != DateTime::<Utc>::MIN_UTC).then_some(at);
                carrier = f.shipping_carrier_code;
                tracking = f.shipment_tracking_number;
            }
        }
        Ok(PulledOrder {
            external_id: o.order_id,
            buyer_handle: o.buyer.and_then(|b| b.username),
            total,
            paid_at,
            shipped_at,
            carrier,
            tracking_number: tracking,
            delivered_at: None,
            promised_ship_by: ship_by.into_iter().min(),
            status,
            item_ids: o
                .line_items
                .into_iter()
                .filter_map(|li| li.legacy_item_id)
                .collect(),
        })
    }
}

/// eBay order numbers as buyers write them: `12-34567-89012`.
pub fn order_numbers_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let shape = [2usize, 5, 5];
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            let mut j = i;
            let mut ok = true;
            for (g, len) in shape.iter().enumerate() {
                if g > 0 {
                    if chars.get(j) != Some(&'-') {
                        ok = false;
                        break;
                    }
                    j += 1;
                }
                let start = j;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                if j - start != *len {
                    ok = false;
                    break;
                }
            }
            if ok
                && !chars
                    .get(j)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '-')
            {
                out.push(chars[i..j].iter().collect());
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Ties each message to an order: one it names by number, else the buyer's latest order that
/// contains the listing the question is about.
pub(super) fn link_orders(messages: &mut [PulledMessage], orders: &[PulledOrder]) {
    let by_id: HashMap<&str, &PulledOrder> =
        orders.iter().map(|o| (o.external_id.as_str(), o)).collect();
    for m in messages.iter_mut() {
        if let Some(id) = order_numbers_in(&m.body)
            .into_iter()
            .find(|id| by_id.contains_key(id.as_str()))
        {
            m.order_external_id = Some(id);
            continue;
        }
        let ReplyTarget::Ebay { item_id, .. } = &m.thread else {
            continue;
        };
        m.order_external_id = orders
            .iter()
            .filter(|o| o.buyer_handle.as_deref() == Some(m.buyer_handle.as_str()))
            .filter(|o| o.item_ids.iter().any(|i| i == item_id))
            .max_by_key(|o| o.paid_at)
            .map(|o| o.external_id.clone());
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderPage {
    total: Option<u32>,
    #[serde(default)]
    orders: Vec<EbayOrder>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EbayOrder {
    order_id: String,
    creation_date: String,
    last_modified_date: Option<String>,
    order_fulfillment_status: Option<String>,
    buyer: Option<Buyer>,
    pricing_summary: PricingSummary,
    payment_summary: Option<PaymentSummary>,
    #[serde(default)]
    line_items: Vec<LineItem>,
}

#[derive(Debug, Deserialize)]
struct Buyer {
    username: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PricingSummary {
    total: Amount,
}

#[derive(Debug, Deserialize)]
struct Amount {
    value: String,
    currency: String,
}

#[derive(Debug, Deserialize)]
struct PaymentSummary {
    #[serde(default)]
    payments: Vec<Payment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payment {
    payment_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineItem {
    legacy_item_id: Option<String>,
    line_item_fulfillment_instructions: Option<LineItemInstructions>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineItemInstructions {
    ship_by_date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FulfillmentPage {
    #[serde(default)]
    fulfillments: Vec<Fulfillment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fulfillment {
    shipment_tracking_number: Option<String>,
    shipping_carrier_code: Option<String>,
    shipped_date: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_order_numbers() {
        assert_eq!(
            order_numbers_in("订单号 12-34567-89012。还有 1-23 和 123-45678-90123"),
            vec!["12-34567-89012".to_string()]
        );
        assert!(order_numbers_in("12-34567-890123").is_empty());
        assert_eq!(order_numbers_in("07-11223-44556"), vec!["07-11223-44556"]);
    }
}
