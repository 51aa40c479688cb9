//! kefu's marketplace connectors.
//!
//! A seller answers buyers where the buyers write to them: on the platform's own messaging
//! (eBay's "Ask seller a question", AliExpress's station letters and order messages), not only
//! in kefu's inbox. Rule MULTICHANNEL ("serve through online chat, phone and email and the
//! platform's seller centre") is why this crate exists: it brings the platform's seller-centre
//! conversations into the desk and sends the desk's replies back to the same thread, so an
//! agent works one inbox and the buyer still sees the answer where they asked.
//!
//! What is here, and why each part is separate:
//!
//! - [`Connector`]: one per marketplace shop. `pull` fetches buyers' messages, the order facts
//!   the desk needs to answer them (paid, shipped, tracking, promised ship-by), and eBay return
//!   requests (which become after-sales messages), from an opaque [`Pull::cursor`] the desk
//!   stores and hands back next time. `push_reply` posts a reply to the thread a
//!   [`ReplyTarget`] names. Only buyer→seller messages are pulled: the seller's own messages
//!   are already in the desk (or were written on the platform by hand, and are not questions).
//! - [`ebay`] and [`aliexpress`]: the two platforms, each speaking the platform's documented
//!   wire format (eBay Trading XML, eBay REST JSON, the AliExpress/TOP signed gateway). The top
//!   of each module names where every format was learned and what had to be inferred.
//! - [`ConnectError`]: errors sorted by what the caller should do (fix credentials, wait, retry,
//!   give up on this request, or report a platform that answered out of format), never by
//!   which library failed.
//! - [`Health`]: the pure polling state machine the desk stores per shop: when to poll next,
//!   exponential back-off with honest use of Retry-After, and "auth_failed" that stops polling
//!   until the credentials change.
//! - [`seal`]/[`open`]: platform tokens and app secrets are stored only encrypted
//!   (ChaCha20-Poly1305 under a key derived from the desk's master key), so a database dump
//!   does not hand out the shops' marketplace accounts.
//!
//! Everything that talks to a platform takes a base URL ([`Kind::default_base_url`] in
//! production), so the tests run the real HTTP client against a fake platform on 127.0.0.1.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kefu_core::{Money, Platform};
use serde::{Deserialize, Serialize};

pub mod aliexpress;
mod cursor;
pub mod ebay;
mod error;
mod health;
mod http;
mod seal;

pub use aliexpress::SignMethod;
pub use error::ConnectError;
pub use health::{Backoff, Health};
pub use seal::{AliExpressCredentials, Credentials, EbayCredentials, SealError, open, seal};

/// A buyer's message, as pulled from the platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledMessage {
    /// The platform's id of this message (eBay MessageID, AliExpress message id).
    pub external_id: String,
    /// The buyer's platform user name (eBay user ID, AliExpress login id).
    pub buyer_handle: String,
    /// The buyer's display name when the platform gives one (AliExpress does, eBay does not).
    pub buyer_name: Option<String>,
    pub body: String,
    pub received_at: DateTime<Utc>,
    /// The platform order this message is about, when known.
    pub order_external_id: Option<String>,
    /// Where a reply to this message goes.
    pub thread: ReplyTarget,
}

/// Order facts the desk needs to answer "where is my parcel" without opening the platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledOrder {
    pub external_id: String,
    pub buyer_handle: Option<String>,
    #[serde(deserialize_with = "money_de::money")]
    pub total: Money,
    pub paid_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    /// eBay's Fulfillment API does not report delivery; `None` there.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The earliest ship-by date the platform promised the buyer.
    pub promised_ship_by: Option<DateTime<Utc>>,
    /// The platform's fulfilment status word (eBay: NOT_STARTED, IN_PROGRESS, FULFILLED).
    pub status: Option<String>,
    /// The listings in this order (eBay legacy item ids), to tie item questions to orders.
    pub item_ids: Vec<String>,
}

/// An eBay return request. The desk turns each into an after-sales message on the order's
/// conversation: the buyer asked for their money back, and that needs an answer as much as a
/// written question does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledReturn {
    /// eBay returnId.
    pub external_id: String,
    pub order_external_id: Option<String>,
    pub buyer_handle: String,
    /// The buyer's reason code (e.g. DEFECTIVE_ITEM, NO_LONGER_NEED_ITEM).
    pub reason: Option<String>,
    /// What the buyer wrote when opening the return, if anything.
    pub comments: Option<String>,
    /// Return state (e.g. INITIAL, ITEM_SHIPPED, CLOSED).
    pub state: String,
    /// Finer status word when eBay gives one.
    pub status: Option<String>,
    /// MONEY_BACK or REPLACEMENT.
    pub return_type: Option<String>,
    pub item_id: Option<String>,
    #[serde(default, deserialize_with = "money_de::opt_money")]
    pub estimated_refund: Option<Money>,
    pub created_at: DateTime<Utc>,
}

impl PulledReturn {
    /// A one-paragraph text for the after-sales message the desk creates from this return.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Return request {} opened by {}",
            self.external_id, self.buyer_handle
        );
        if let Some(order) = &self.order_external_id {
            s.push_str(&format!(" for order {order}"));
        }
        if let Some(reason) = &self.reason {
            s.push_str(&format!(", reason {reason}"));
        }
        if let Some(kind) = &self.return_type {
            s.push_str(&format!(", wants {kind}"));
        }
        s.push_str(&format!(" (state {}", self.state));
        if let Some(status) = &self.status {
            s.push_str(&format!(", {status}"));
        }
        s.push(')');
        if let Some(refund) = &self.estimated_refund {
            s.push_str(&format!("; estimated refund {refund}"));
        }
        s.push('.');
        if let Some(c) = &self.comments {
            s.push_str(&format!(" Buyer wrote: {c}"));
        }
        s
    }
}

/// What a reply needs to reach the same thread on the platform. The desk stores it as JSON
/// (`{"platform":"ebay",...}`) with the conversation and passes it back to
/// [`Connector::push_reply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "lowercase")]
pub enum ReplyTarget {
    /// eBay AddMemberMessageRTQ: the listing, the question being answered and the buyer.
    Ebay {
        item_id: String,
        parent_message_id: String,
        recipient_id: String,
    },
    /// AliExpress station letter / order message: the conversation (channel, also called
    /// relation) and what it is attached to.
    Aliexpress {
        channel_id: String,
        buyer_login_id: String,
        /// `order`, `product` or `member`.
        message_type: String,
        /// The order id for `order`, the product id for `product`, "0" for `member`.
        extern_id: String,
    },
}

/// One pull's harvest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pull {
    pub messages: Vec<PulledMessage>,
    pub orders: Vec<PulledOrder>,
    pub returns: Vec<PulledReturn>,
    /// Opaque; store it and pass it to the next `pull`. `None` only if nothing was ever seen.
    pub cursor: Option<String>,
}

/// A marketplace shop's connection.
#[async_trait]
pub trait Connector: Send + Sync {
    fn platform(&self) -> Platform;
    /// Everything new since `cursor` (or from a first-pull look-back window when `None`),
    /// up to `now`.
    ///
    /// A pull either succeeds whole, with the cursor to store, or fails and changes nothing:
    /// the same cursor then fetches the same items again. Store the items before the cursor;
    /// if the desk stops in between, the next pull repeats them, so the desk should upsert by
    /// `external_id` (delivery is at-least-once, never lossy).
    async fn pull(&self, cursor: Option<&str>, now: DateTime<Utc>) -> Result<Pull, ConnectError>;
    /// Sends `body` to the thread; returns the platform's id of the sent message, or "" when
    /// the platform does not report one (neither eBay's AddMemberMessageRTQ nor AliExpress's
    /// addmsg does).
    async fn push_reply(&self, target: &ReplyTarget, body: &str) -> Result<String, ConnectError>;
}

/// Which marketplace a connector talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Ebay,
    #[serde(rename = "aliexpress")]
    AliExpress,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Ebay => "ebay",
            Kind::AliExpress => "aliexpress",
        }
    }

    /// Production endpoints. eBay serves Trading (`/ws/api.dll`), Fulfillment and Post-Order
    /// from one host; AliExpress's open platform gateway takes business calls at `/sync`.
    pub fn default_base_url(&self) -> &'static str {
        match self {
            Kind::Ebay => "https://api.ebay.com",
            Kind::AliExpress => "https://api-sg.aliexpress.com",
        }
    }

    pub fn platform(&self) -> Platform {
        match self {
            Kind::Ebay => Platform::Ebay,
            Kind::AliExpress => Platform::Aliexpress,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = kefu_core::InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ebay" => Ok(Kind::Ebay),
            "aliexpress" => Ok(Kind::AliExpress),
            other => Err(kefu_core::InvalidInput::new(format!(
                "unknown connector kind {other:?}; expected one of: ebay, aliexpress"
            ))),
        }
    }
}

/// `kefu_core::Money` serializes but (deliberately) does not deserialize; pulls read back from
/// storage go through `Money::parse`, so the same validation applies.
mod money_de {
    use kefu_core::Money;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    struct Raw {
        amount: String,
        currency: String,
    }

    pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let r = Raw::deserialize(d)?;
        Money::parse(&r.amount, &r.currency).map_err(serde::de::Error::custom)
    }

    pub fn opt_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
        match Option::<Raw>::deserialize(d)? {
            None => Ok(None),
            Some(r) => Money::parse(&r.amount, &r.currency)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Builds the connector for `kind` at `base_url` (use [`Kind::default_base_url`] in
/// production). Credentials of the other platform, or an HTTP client that cannot be built,
/// give a connector whose every call fails with [`ConnectError::Auth`] / [`ConnectError::Transient`]
/// and says why, so the desk's health shows the problem instead of a panic.
pub fn connector(kind: Kind, base_url: &str, creds: Credentials) -> Box<dyn Connector> {
    let client = match http::client() {
        Ok(c) => c,
        Err(e) => {
            return Box::new(Unavailable {
                platform: kind.platform(),
                error: ConnectError::Transient(format!("cannot build the HTTP client: {e}")),
            });
        }
    };
    match (kind, creds) {
        (Kind::Ebay, Credentials::Ebay(c)) => {
            Box::new(ebay::EbayConnector::new(client, base_url, c))
        }
        (Kind::AliExpress, Credentials::Aliexpress(c)) => {
            Box::new(aliexpress::AliExpressConnector::new(client, base_url, c))
        }
        (kind, creds) => Box::new(Unavailable {
            platform: kind.platform(),
            error: ConnectError::Auth(format!(
                "the stored credentials are for {}, but this shop's connector is {}",
                creds.kind(),
                kind
            )),
        }),
    }
}

/// A connector that cannot work; every call reports why.
struct Unavailable {
    platform: Platform,
    error: ConnectError,
}

#[async_trait]
impl Connector for Unavailable {
    fn platform(&self) -> Platform {
        self.platform
    }
    async fn pull(&self, _: Option<&str>, _: DateTime<Utc>) -> Result<Pull, ConnectError> {
        Err(self.error.clone())
    }
    async fn push_reply(&self, _: &ReplyTarget, _: &str) -> Result<String, ConnectError> {
        Err(self.error.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_text_round_trip() {
        for k in [Kind::Ebay, Kind::AliExpress] {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert!("amazon".parse::<Kind>().is_err());
    }

    #[test]
    fn reply_target_json_is_tagged_by_platform() {
        let t = ReplyTarget::Ebay {
            item_id: "1".into(),
            parent_message_id: "2".into(),
            recipient_id: "bob".into(),
        };
        let v: serde_json::Value = serde_json::to_value(&t).unwrap();
        assert_eq!(v["platform"], "ebay");
        assert_eq!(serde_json::from_value::<ReplyTarget>(v).unwrap(), t);
    }

    #[tokio::test]
    async fn mismatched_credentials_fail_as_auth() {
        let creds = Credentials::Ebay(EbayCredentials::new("token"));
        let c = connector(Kind::AliExpress, "http://127.0.0.1:9", creds);
        assert_eq!(c.platform(), Platform::Aliexpress);
        let err = c.pull(None, DateTime::UNIX_EPOCH).await.unwrap_err();
        assert!(matches!(err, ConnectError::Auth(_)), "{err:?}");
    }
}
