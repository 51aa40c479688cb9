//! The REST side of eBay (Sell Fulfillment, Post-Order): one GET with the right
//! authorization, URLs under the base, the error body's message, and ids that come as
//! numbers or strings.

use serde::Deserialize;

use super::EbayConnector;
use super::json_scalar;
use crate::ConnectError;
use crate::http::{self, Received};

impl EbayConnector {
    pub(super) async fn rest_get<T: for<'de> Deserialize<'de>>(
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

    pub(super) fn url(
        &self,
        path: &[&str],
        query: &[(&str, String)],
    ) -> Result<reqwest::Url, ConnectError> {
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

pub(super) fn id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, got {other}"
        ))),
    }
}

pub(super) fn opt_id_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, got {other}"
        ))),
    }
}
