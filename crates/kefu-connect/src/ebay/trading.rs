//! eBay's Trading API (XML over HTTP POST): buyers' questions (`GetMemberMessages`), the
//! reply (`AddMemberMessageRTQ`, sent from the connector's `push_reply`) and the Trading
//! error codes sorted by what the caller should do.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{COMPATIBILITY_LEVEL, EbayConnector, MAX_PAGES, MESSAGES_PER_PAGE, TRADING_NS};
use super::{ebay_time, parse_time};
use crate::cursor::Mark;
use crate::http;
use crate::{ConnectError, PulledMessage, ReplyTarget};

impl EbayConnector {
    pub(super) async fn trading(
        &self,
        call: &str,
        inner_xml: &str,
    ) -> Result<String, ConnectError> {
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

    /// 1. Buyers' questions since `prev`, oldest first, and the mark they move it to.
    pub(super) async fn new_questions(
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

#[cfg(test)]
mod tests {
    use super::*;

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
