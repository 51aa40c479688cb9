//! Reading the gateway's JSON: business results, lists in their several shapes, ids and
//! millisecond times, and the two records a pull reads (a conversation, a message).

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::ConnectError;

/// The `result` object of a business response, failing on `is_success: false`.
pub(super) fn business_result<'a>(
    method: &str,
    inner: &'a Value,
) -> Result<&'a Value, ConnectError> {
    let result = inner
        .get("result")
        .filter(|r| r.is_object())
        .ok_or_else(|| {
            ConnectError::Malformed(format!(
                "AliExpress {method}: response without a result object"
            ))
        })?;
    if result.get("is_success").and_then(Value::as_bool) == Some(false) {
        let code = result.get("error_code").map(scalar).unwrap_or_default();
        let msg = result.get("error_msg").map(scalar).unwrap_or_default();
        return Err(ConnectError::Rejected(format!(
            "AliExpress {method}: error {code}: {msg}"
        )));
    }
    Ok(result)
}

/// TOP wraps a list as `{"<item name>": [..]}`; the simplified format gives the array itself,
/// and a one-item list may come as a bare object.
pub(super) fn list(v: Option<&Value>, item: &str) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(o)) => match o.get(item) {
            Some(Value::Array(a)) => a.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

pub(super) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An id that may come as a number or a string; 0 and "" mean "none".
pub(super) fn id_of(v: Option<&Value>) -> Option<String> {
    let s = scalar(v?);
    let s = s.trim();
    (!s.is_empty() && s != "0").then(|| s.to_string())
}

pub(super) fn ms_time(what: &str, v: Option<&Value>) -> Result<DateTime<Utc>, ConnectError> {
    let ms = match v {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| ConnectError::Malformed(format!("{what}: missing or non-numeric time")))?;
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| ConnectError::Malformed(format!("{what}: time {ms} out of range")))
}

#[derive(Debug)]
pub(super) struct Relation {
    pub(super) channel_id: String,
    pub(super) other_login_id: String,
    pub(super) other_name: Option<String>,
    pub(super) other_ali_id: Option<String>,
    pub(super) order_id: Option<String>,
    pub(super) message_time: Option<DateTime<Utc>>,
}

impl Relation {
    pub(super) fn from_json(v: &Value) -> Result<Relation, ConnectError> {
        let channel_id = id_of(v.get("channel_id")).ok_or_else(|| {
            ConnectError::Malformed("AliExpress relation without channel_id".into())
        })?;
        let what = format!("AliExpress relation {channel_id}");
        let other_login_id = id_of(v.get("other_login_id"))
            .ok_or_else(|| ConnectError::Malformed(format!("{what}: no other_login_id")))?;
        let message_time = match v.get("message_time") {
            None | Some(Value::Null) => None,
            t => Some(ms_time(&what, t)?),
        };
        Ok(Relation {
            other_name: v
                .get("other_name")
                .map(scalar)
                .filter(|s| !s.trim().is_empty()),
            other_ali_id: id_of(v.get("other_ali_id")),
            order_id: id_of(v.get("order_id")),
            message_time,
            channel_id,
            other_login_id,
        })
    }
}

#[derive(Debug)]
pub(super) struct Detail {
    pub(super) id: String,
    pub(super) at: DateTime<Utc>,
    pub(super) sender_ali_id: Option<String>,
    pub(super) sender_login_id: Option<String>,
    pub(super) sender_name: Option<String>,
    pub(super) content: String,
    pub(super) message_type: Option<String>,
    pub(super) extern_id: Option<String>,
}

impl Detail {
    pub(super) fn from_json(v: &Value) -> Result<Detail, ConnectError> {
        let id = id_of(v.get("id"))
            .ok_or_else(|| ConnectError::Malformed("AliExpress message without id".into()))?;
        let what = format!("AliExpress message {id}");
        let at = ms_time(&what, v.get("gmt_create"))?;
        let summary = v.get("summary");
        Ok(Detail {
            at,
            sender_ali_id: id_of(v.get("sender_ali_id")),
            sender_login_id: id_of(summary.and_then(|s| s.get("sender_login_id"))),
            sender_name: v
                .get("sender_name")
                .map(scalar)
                .filter(|s| !s.trim().is_empty()),
            content: v.get("content").map(scalar).unwrap_or_default(),
            message_type: v.get("message_type").map(scalar),
            extern_id: Some(id_of(v.get("extern_id")).unwrap_or_else(|| "0".to_string())),
            id,
        })
    }
}
