//! The eBay connector.
//!
//! What it does on each pull:
//! 1. Trading API `GetMemberMessages` with `MailMessageType=AskSellerQuestion` and a
//!    `StartCreationTime`/`EndCreationTime` window from the cursor to `now`, page by page.
//!    Exchanges whose sender is the listing's seller are skipped: only buyers' questions
//!    become messages.
//! 2. Sell Fulfillment API `getOrders` for orders modified since the cursor, plus, by
//!    `orderIds`, the orders that the new messages mention by number; `getShippingFulfillments`
//!    for the ones that started shipping (carrier, tracking number, shipped date).
//! 3. Post-Order API return search for return requests created since the cursor.
//!
//! Replies go out with Trading `AddMemberMessageRTQ` (item id, parent message id, recipient).
//!
//! # Sources of the formats (all from eBay's developer documentation as held by the search
//! tool; no eBay payload was copied)
//! - Trading calls: the GetMemberMessages and AddMemberMessageRTQ call references and the
//!   types MemberMessageExchangeType (Item, Question, MessageStatus, CreationDate,
//!   LastModifiedDate), MemberMessageExchangeArrayType (`MemberMessage` holds
//!   `MemberMessageExchange` elements), MemberMessageType (SenderID, RecipientID, Subject,
//!   Body — max 1000 characters —, MessageID, ParentMessageID, DisplayToPublic,
//!   EmailCopyToSender), GetMemberMessagesResponseType (HasMoreItems, PaginationResult),
//!   ErrorType (ErrorCode, ShortMessage, LongMessage, SeverityCode, ErrorClassification).
//!   Pagination values 25/50/100/200 per page. OAuth on Trading: the `X-EBAY-API-IAF-TOKEN`
//!   header ("OAuth for traditional APIs"); the other `X-EBAY-API-*` headers from "Making a
//!   Trading API call".
//! - Error codes: 931 "Auth token is invalid" (eBay knowledge-base article 630) and 932
//!   "Auth token is hard expired" → Auth; 518 "Call usage limit has been reached" → rate
//!   limited (seen in public integrations; the errors-by-number page lists it); 10007
//!   (internal error) and 219255 ("exceeded the predefined SLA", knowledge-base 534: retry)
//!   → Transient.
//! - Fulfillment: getOrders (`filter=lastmodifieddate:[…..]`, `orderIds`, `limit`,
//!   `offset`; `orders[]` with orderId, creationDate, lastModifiedDate,
//!   orderFulfillmentStatus, buyer.username, pricingSummary.total {value, currency},
//!   paymentSummary.payments[].paymentDate, lineItems[].legacyItemId and
//!   lineItemFulfillmentInstructions.shipByDate) and getShippingFulfillments
//!   (`fulfillments[]` with shipmentTrackingNumber, shippingCarrierCode, shippedDate).
//!   Authorization: `Bearer <user token>`.
//! - Post-Order: "Making a call" (headers `Authorization` and `X-EBAY-C-MARKETPLACE-ID`;
//!   with an OAuth token the scheme is `IAF`), ReturnSummaryType (returnId, orderId,
//!   buyerLoginName, currentType, state, status, creationInfo, sellerTotalRefund) and
//!   ReturnCreationInfoType (item, reason, comments, creationDate).
//!
//! # Inferred, not confirmed by the documentation we could read
//! - The docs say AskSellerQuestion messages need an ItemID and/or a date range; one line
//!   of the response type's page reads as if AskSellerQuestion returned nothing. We send the
//!   date range, which the call page describes as supported.
//! - Post-Order search paging: we read `offset` as a 1-based page number and stop at
//!   `paginationOutput.totalPages`; dates as ISO-8601 in `creation_date_range_from/to`.
//! - Delivery dates: the Fulfillment API does not report delivery, so `delivered_at` is
//!   always `None` for eBay.
//! - Which Trading error codes besides 931/932 mean a dead token (e.g. revoked consent) is
//!   not listed in one place; anything else is Rejected (RequestError) or Transient
//!   (SystemError).

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use kefu_core::{Money, Platform};
use serde::{Deserialize, Serialize};

use crate::cursor::{self, Mark};
use crate::http::{self, Received};
use crate::{ConnectError, Connector, EbayCredentials, Pull, PulledMessage, PulledOrder};
use crate::{PulledReturn, ReplyTarget};

/// The Trading API schema version we speak.
pub const COMPATIBILITY_LEVEL: &str = "1423";
/// How far back a shop's first pull looks.
pub const FIRST_PULL_LOOKBACK_DAYS: i64 = 30;
/// eBay's maximum length of a member message body, in characters.
pub const MAX_BODY_CHARS: usize = 1000;
const TRADING_NS: &str = "urn:ebay:apis:eBLBaseComponents";
const MESSAGES_PER_PAGE: u32 = 25;
const ORDERS_PER_PAGE: u32 = 50;
const RETURNS_PER_PAGE: u32 = 25;
const MAX_PAGES: u32 = 200;
/// getOrders accepts at most this many ids in `orderIds`.
const MAX_ORDER_IDS: usize = 50;

pub struct EbayConnector {
    client: reqwest::Client,
    base: String,
    creds: EbayCredentials,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    v: u8,
    messages: Mark,
    orders: Mark,
    returns: Mark,
}

impl EbayConnector {
    pub(crate) fn new(client: reqwest::Client, base_url: &str, creds: EbayCredentials) -> Self {
        EbayConnector {
            client,
            base: base_url.trim_end_matches('/').to_string(),
            creds,
        }
    }

    // ---- Trading API -------------------------------------------------------------------

    async fn trading(&self, call: &str, inner_xml: &str) -> Result<String, ConnectError> {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{call}Request xmlns=\"{TRADING_NS}\">{inner_xml}<ErrorLanguage>en_US</ErrorLanguage><WarningLevel>High</WarningLevel></{call}Request>"
        );
        let mut req = self
            .client
            .post(format!("{}/ws/api.dll", self.base))
            .header("X-EBAY-API-CALL-NAME", call)
            .header("X-EBAY-API-SITEID", self.creds.site_id.to_string())
            .header("X-EBAY-API-COMPATIBILITY-LEVEL", COMPATIBILITY_LEVEL)
            .header("X-EBAY-API-IAF-TOKEN", &self.creds.oauth_user_token)
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(body);
        if let Some(app) = &self.creds.app_id {
            req = req.header("X-EBAY-API-APP-NAME", app);
        }
        let what = format!("eBay {call}");
        let resp = req
            .send()
            .await
            .map_err(|e| http::transport_error(&what, e))?;
        let r = http::receive(&what, resp).await?;
        let text = r.text();
        match quick_xml::de::from_str::<TradingStatus>(&text) {
            Ok(status) => {
                if let Some(err) = trading_error(&what, &status) {
                    return Err(err);
                }
                if let Some(err) = http::status_error(&what, &r, "") {
                    return Err(err);
                }
                Ok(text)
            }
            Err(e) => Err(http::status_error(&what, &r, "").unwrap_or_else(|| {
                ConnectError::Malformed(format!("{what}: not a Trading API response ({e})"))
            })),
        }
    }

    async fn member_messages(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Exchange>, ConnectError> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let inner = format!(
                "<MailMessageType>AskSellerQuestion</MailMessageType><StartCreationTime>{}</StartCreationTime><EndCreationTime>{}</EndCreationTime><Pagination><EntriesPerPage>{MESSAGES_PER_PAGE}</EntriesPerPage><PageNumber>{page}</PageNumber></Pagination>",
                ebay_time(from),
                ebay_time(to)
            );
            let xml = self.trading("GetMemberMessages", &inner).await?;
            let resp: GetMemberMessagesResponse = quick_xml::de::from_str(&xml)
                .map_err(|e| ConnectError::Malformed(format!("eBay GetMemberMessages: {e}")))?;
            let got = resp.member_message.map(|m| m.exchanges).unwrap_or_default();
            let empty = got.is_empty();
            all.extend(got);
            let total_pages = resp.pagination.and_then(|p| p.total_pages).unwrap_or(page);
            let more = resp.has_more.unwrap_or(false) || page < total_pages;
            if !more || empty || page >= MAX_PAGES {
                break;
            }
            page += 1;
        }
        Ok(all)
    }

    // ---- REST helpers ------------------------------------------------------------------

    async fn rest_get<T: for<'de> Deserialize<'de>>(
        &self,
        what: &str,
        url: reqwest::Url,
        post_order: bool,
    ) -> Result<T, ConnectError> {
        let mut req = self
            .client
            .get(url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json");
        req = if post_order {
            req.header(
                "Authorization",
                format!("IAF {}", self.creds.oauth_user_token),
            )
            .header("X-EBAY-C-MARKETPLACE-ID", &self.creds.marketplace_id)
        } else {
            req.bearer_auth(&self.creds.oauth_user_token)
        };
        let resp = req
            .send()
            .await
            .map_err(|e| http::transport_error(what, e))?;
        let r = http::receive(what, resp).await?;
        if let Some(err) = http::status_error(what, &r, &rest_error_detail(&r)) {
            return Err(err);
        }
        serde_json::from_slice(&r.body)
            .map_err(|e| ConnectError::Malformed(format!("{what}: {e}: {}", r.excerpt())))
    }

    fn url(&self, path: &[&str], query: &[(&str, String)]) -> Result<reqwest::Url, ConnectError> {
        let mut url = reqwest::Url::parse(&self.base).map_err(|e| {
            ConnectError::Rejected(format!("bad eBay base URL {:?}: {e}", self.base))
        })?;
        {
            let mut segs = url.path_segments_mut().map_err(|_| {
                ConnectError::Rejected(format!("bad eBay base URL {:?}", self.base))
            })?;
            segs.pop_if_empty();
            segs.extend(path);
        }
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
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

    // ---- the three parts of a pull -----------------------------------------------------

    /// 1. Buyers' questions since `prev`, oldest first, and the mark they move it to.
    async fn new_questions(
        &self,
        prev: &Mark,
        now: DateTime<Utc>,
    ) -> Result<(Vec<PulledMessage>, Mark), ConnectError> {
        let mut mark = prev.clone();
        let mut messages = Vec::new();
        for ex in self.member_messages(prev.at, now).await? {
            let Some((msg, from_buyer)) = exchange_to_message(ex)? else {
                continue;
            };
            if !prev.is_new(&msg.external_id, msg.received_at) {
                continue;
            }
            // The seller's own messages move the cursor but are not delivered.
            mark.advance(&msg.external_id, msg.received_at);
            if from_buyer {
                messages.push(msg);
            }
        }
        messages.sort_by_key(|a| a.received_at);
        Ok((messages, mark))
    }

    /// 2. Orders: modified since `prev`, and those the new `messages` mention by number.
    async fn new_orders(
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

    /// 3. Return requests created since `prev`, oldest first.
    async fn new_returns(
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
}

#[async_trait]
impl Connector for EbayConnector {
    fn platform(&self) -> Platform {
        Platform::Ebay
    }

    async fn pull(&self, cursor: Option<&str>, now: DateTime<Utc>) -> Result<Pull, ConnectError> {
        let floor = now - TimeDelta::days(FIRST_PULL_LOOKBACK_DAYS);
        let prev: Cursor = cursor::decode(cursor)?.unwrap_or(Cursor {
            v: 1,
            messages: Mark::new(floor),
            orders: Mark::new(floor),
            returns: Mark::new(floor),
        });
        if prev.v != 1 {
            return Err(ConnectError::Rejected(format!(
                "pull cursor version {} is not one this connector knows; clear it to start over",
                prev.v
            )));
        }
        let clamp = |m: &Mark| {
            if m.at < floor {
                Mark::new(floor)
            } else {
                m.clone()
            }
        };
        let (msg_prev, ord_prev, ret_prev) = (
            clamp(&prev.messages),
            clamp(&prev.orders),
            clamp(&prev.returns),
        );

        let (mut messages, msg_mark) = self.new_questions(&msg_prev, now).await?;
        let (orders, ord_mark) = self.new_orders(&ord_prev, &messages).await?;
        link_orders(&mut messages, &orders);
        let (returns, ret_mark) = self.new_returns(&ret_prev, now).await?;

        let next = Cursor {
            v: 1,
            messages: msg_mark,
            orders: ord_mark,
            returns: ret_mark,
        };
        tracing::debug!(
            messages = messages.len(),
            orders = orders.len(),
            returns = returns.len(),
            "eBay pull"
        );
        Ok(Pull {
            messages,
            orders,
            returns,
            cursor: Some(cursor::encode(&next)),
        })
    }

    async fn push_reply(&self, target: &ReplyTarget, body: &str) -> Result<String, ConnectError> {
        let ReplyTarget::Ebay {
            item_id,
            parent_message_id,
            recipient_id,
        } = target
        else {
            return Err(ConnectError::Rejected(
                "this reply target belongs to another platform, not eBay".into(),
            ));
        };
        let body = body.trim();
        if body.is_empty() {
            return Err(ConnectError::Rejected(
                "an empty reply cannot be sent".into(),
            ));
        }
        let n = body.chars().count();
        if n > MAX_BODY_CHARS {
            return Err(ConnectError::Rejected(format!(
                "eBay member messages are limited to {MAX_BODY_CHARS} characters; this reply has {n}"
            )));
        }
        let inner = format!(
            "<ItemID>{}</ItemID><MemberMessage><EmailCopyToSender>false</EmailCopyToSender><DisplayToPublic>false</DisplayToPublic><RecipientID>{}</RecipientID><Body>{}</Body><ParentMessageID>{}</ParentMessageID></MemberMessage>",
            esc(item_id),
            esc(recipient_id),
            esc(body),
            esc(parent_message_id)
        );
        self.trading("AddMemberMessageRTQ", &inner).await?;
        // AddMemberMessageRTQ's response has no call-specific fields: no id to return.
        Ok(String::new())
    }
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// eBay's dateTime form: UTC with milliseconds, `2025-03-10T08:15:42.000Z`.
pub fn ebay_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(what: &str, s: &str) -> Result<DateTime<Utc>, ConnectError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ConnectError::Malformed(format!("{what}: bad timestamp {s:?}: {e}")))
}

/// Returns the message and whether it is the buyer's (false: the seller's own, skipped but
/// still moving the cursor). `None` for an exchange without a question.
fn exchange_to_message(ex: Exchange) -> Result<Option<(PulledMessage, bool)>, ConnectError> {
    let Some(q) = ex.question else {
        return Ok(None);
    };
    let id = q
        .message_id
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            ConnectError::Malformed("eBay GetMemberMessages: a Question without MessageID".into())
        })?;
    let what = format!("eBay message {id}");
    let created = ex
        .creation_date
        .ok_or_else(|| ConnectError::Malformed(format!("{what}: no CreationDate")))?;
    let received_at = parse_time(&what, &created)?;
    let sender = q
        .sender_id
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ConnectError::Malformed(format!("{what}: no SenderID")))?;
    let item = ex.item.unwrap_or_default();
    let item_id = item.item_id.or(q.item_id).unwrap_or_default();
    let seller = item.seller.and_then(|s| s.user_id);
    let from_buyer = seller.as_deref() != Some(sender.as_str());
    let msg = PulledMessage {
        thread: ReplyTarget::Ebay {
            item_id,
            parent_message_id: id.clone(),
            recipient_id: sender.clone(),
        },
        external_id: id,
        buyer_handle: sender,
        buyer_name: None,
        body: q.body.unwrap_or_default(),
        received_at,
        order_external_id: None,
    };
    Ok(Some((msg, from_buyer)))
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
fn link_orders(messages: &mut [PulledMessage], orders: &[PulledOrder]) {
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

fn json_scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads a Trading response's Ack and Errors into an error, if it failed.
fn trading_error(what: &str, s: &TradingStatus) -> Option<ConnectError> {
    if !matches!(s.ack.as_str(), "Failure" | "PartialFailure") {
        return None;
    }
    let errors: Vec<&TradingError> = s
        .errors
        .iter()
        .filter(|e| e.severity_code.as_deref() != Some("Warning"))
        .collect();
    let Some(first) = errors.first() else {
        return Some(ConnectError::Rejected(format!(
            "{what}: Ack {} without errors",
            s.ack
        )));
    };
    let code = first.error_code.as_deref().unwrap_or("?");
    let text = first
        .long_message
        .as_deref()
        .or(first.short_message.as_deref())
        .unwrap_or("no message");
    let detail = format!("{what}: error {code}: {text}");
    let codes: Vec<&str> = errors
        .iter()
        .filter_map(|e| e.error_code.as_deref())
        .collect();
    Some(if codes.iter().any(|c| matches!(*c, "931" | "932")) {
        ConnectError::Auth(detail)
    } else if codes.contains(&"518") {
        ConnectError::RateLimited { retry_after: None }
    } else if codes.iter().any(|c| matches!(*c, "10007" | "219255"))
        || first.error_classification.as_deref() == Some("SystemError")
    {
        ConnectError::Transient(detail)
    } else {
        ConnectError::Rejected(detail)
    })
}

/// The `message`/`longMessage` of a REST error body (`{"errors":[…]}` in the Sell APIs,
/// `{"error":[…]}` in Post-Order).
fn rest_error_detail(r: &Received) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&r.body) else {
        return String::new();
    };
    let list = v.get("errors").or_else(|| v.get("error"));
    let Some(first) = list.and_then(|l| l.as_array()).and_then(|a| a.first()) else {
        return String::new();
    };
    let id = first.get("errorId").map(json_scalar).unwrap_or_default();
    let msg = first
        .get("longMessage")
        .or_else(|| first.get("message"))
        .and_then(|m| m.as_str())
        .unwrap_or("");
    format!("error {id}: {msg}")
}

// ---- wire types ----------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct TradingStatus {
    #[serde(rename = "Ack")]
    ack: String,
    #[serde(rename = "Errors", default)]
    errors: Vec<TradingError>,
}

#[derive(Debug, Deserialize)]
struct TradingError {
    #[serde(rename = "ShortMessage")]
    short_message: Option<String>,
    #[serde(rename = "LongMessage")]
    long_message: Option<String>,
    #[serde(rename = "ErrorCode")]
    error_code: Option<String>,
    #[serde(rename = "SeverityCode")]
    severity_code: Option<String>,
    #[serde(rename = "ErrorClassification")]
    error_classification: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GetMemberMessagesResponse {
    #[serde(rename = "MemberMessage")]
    member_message: Option<ExchangeArray>,
    #[serde(rename = "PaginationResult")]
    pagination: Option<PaginationResult>,
    #[serde(rename = "HasMoreItems")]
    has_more: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct ExchangeArray {
    #[serde(rename = "MemberMessageExchange", default)]
    exchanges: Vec<Exchange>,
}

#[derive(Debug, Deserialize)]
struct PaginationResult {
    #[serde(rename = "TotalNumberOfPages")]
    total_pages: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Exchange {
    #[serde(rename = "Item")]
    item: Option<Item>,
    #[serde(rename = "Question")]
    question: Option<Question>,
    #[serde(rename = "CreationDate")]
    creation_date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Item {
    #[serde(rename = "ItemID")]
    item_id: Option<String>,
    #[serde(rename = "Seller")]
    seller: Option<Seller>,
}

#[derive(Debug, Deserialize)]
struct Seller {
    #[serde(rename = "UserID")]
    user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Question {
    #[serde(rename = "SenderID")]
    sender_id: Option<String>,
    #[serde(rename = "Body")]
    body: Option<String>,
    #[serde(rename = "MessageID")]
    message_id: Option<String>,
    #[serde(rename = "ItemID")]
    item_id: Option<String>,
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

fn id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, got {other}"
        ))),
    }
}

fn opt_id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, got {other}"
        ))),
    }
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

    #[test]
    fn trading_errors_are_sorted_by_what_to_do() {
        let status = |code: &str, class: &str| TradingStatus {
            ack: "Failure".into(),
            errors: vec![TradingError {
                short_message: Some("x".into()),
                long_message: Some("y".into()),
                error_code: Some(code.into()),
                severity_code: Some("Error".into()),
                error_classification: Some(class.into()),
            }],
        };
        let w = "eBay test";
        assert!(matches!(
            trading_error(w, &status("931", "RequestError")),
            Some(ConnectError::Auth(_))
        ));
        assert!(matches!(
            trading_error(w, &status("932", "RequestError")),
            Some(ConnectError::Auth(_))
        ));
        assert!(matches!(
            trading_error(w, &status("518", "RequestError")),
            Some(ConnectError::RateLimited { .. })
        ));
        assert!(matches!(
            trading_error(w, &status("10007", "SystemError")),
            Some(ConnectError::Transient(_))
        ));
        assert!(matches!(
            trading_error(w, &status("21916", "RequestError")),
            Some(ConnectError::Rejected(_))
        ));
        let ok = TradingStatus {
            ack: "Warning".into(),
            errors: vec![],
        };
        assert!(trading_error(w, &ok).is_none());
    }

    #[test]
    fn non_xml_is_not_a_trading_response() {
        assert!(quick_xml::de::from_str::<TradingStatus>("<html><body>502</body></html>").is_err());
        assert!(quick_xml::de::from_str::<TradingStatus>("{\"Ack\":\"Success\"}").is_err());
    }
}
