//! The open platform's gateway protocol: how a request is signed (TOP's md5/hmac and the
//! new gateway's sha256), the response envelope's key, TOP's timestamp, and the gateway's
//! errors sorted by what the caller should do.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use super::wire::scalar;
use crate::ConnectError;

/// How requests are signed (and, with it, which gateway dialect is spoken).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SignMethod {
    /// HMAC-SHA256 keyed by the app secret; `access_token`, timestamp in epoch ms
    /// (the `api-sg.aliexpress.com/sync` gateway).
    #[default]
    #[serde(rename = "sha256")]
    Sha256,
    /// TOP's `md5`: MD5 of secret + parameters + secret; `session`, GMT+8 timestamp.
    #[serde(rename = "md5")]
    Md5,
    /// TOP's `hmac`: HMAC-MD5 keyed by the app secret; `session`, GMT+8 timestamp.
    #[serde(rename = "hmac")]
    HmacMd5,
}

impl SignMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            SignMethod::Sha256 => "sha256",
            SignMethod::Md5 => "md5",
            SignMethod::HmacMd5 => "hmac",
        }
    }
}

/// The gateway signature of `params` (every parameter except `sign`): parameters sorted by
/// name, each name followed by its value, signed with the app secret, upper-case hex.
/// Empty values are left out, as TOP's reference code does.
pub fn sign<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    secret: &str,
    method: SignMethod,
) -> String {
    let sorted: BTreeMap<&str, &str> = params
        .into_iter()
        .filter(|(k, v)| *k != "sign" && !k.is_empty() && !v.is_empty())
        .collect();
    let mut s = String::new();
    for (k, v) in &sorted {
        s.push_str(k);
        s.push_str(v);
    }
    let digest: Vec<u8> = match method {
        SignMethod::Sha256 => {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(s.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        SignMethod::HmacMd5 => {
            let mut mac = Hmac::<Md5>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(s.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        SignMethod::Md5 => {
            let mut h = Md5::new();
            h.update(secret.as_bytes());
            h.update(s.as_bytes());
            h.update(secret.as_bytes());
            h.finalize().to_vec()
        }
    };
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

/// The response envelope's key for `method`: dots become underscores, plus `_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// TOP's timestamp: `yyyy-MM-dd HH:mm:ss` in Beijing time.
pub(super) fn top_timestamp(t: DateTime<Utc>) -> String {
    let beijing = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&beijing)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Maps `error_response` to what the caller should do.
pub(super) fn gateway_error(what: &str, e: &Value) -> ConnectError {
    let code = e.get("code").map(scalar).unwrap_or_default();
    let msg = e.get("msg").map(scalar).unwrap_or_default();
    let sub_code = e.get("sub_code").map(scalar).unwrap_or_default();
    let sub_msg = e.get("sub_msg").map(scalar).unwrap_or_default();
    let kind = e.get("type").map(scalar).unwrap_or_default();
    let detail = [
        code.as_str(),
        msg.as_str(),
        sub_code.as_str(),
        sub_msg.as_str(),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join(" / ");
    let detail = format!("{what}: {detail}");
    let numeric = code.parse::<u32>().ok();
    let auth_codes = [
        "IllegalAccessToken",
        "IncompleteSignature",
        "InvalidSignature",
        "InvalidAppKey",
        "AppKeyNotExist",
    ];
    if matches!(numeric, Some(25..=29)) || auth_codes.contains(&code.as_str()) {
        return ConnectError::Auth(detail);
    }
    let limited = matches!(numeric, Some(4..=8))
        || code.ends_with("CallLimit")
        || code.contains("FLOW_CONTROL")
        || sub_code.contains("FLOW_CONTROL")
        || sub_code.starts_with("accesscontrol.limited");
    if limited {
        let retry_after = ban_seconds(&sub_msg)
            .or_else(|| ban_seconds(&msg))
            .map(std::time::Duration::from_secs);
        return ConnectError::RateLimited { retry_after };
    }
    if numeric == Some(10) || sub_code.starts_with("isp.") || kind == "ISP" {
        return ConnectError::Transient(detail);
    }
    ConnectError::Rejected(detail)
}

/// Reads N from TOP's "This ban will last for N more seconds".
pub(super) fn ban_seconds(text: &str) -> Option<u64> {
    let rest = &text[text.find("will last for ")? + "will last for ".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}
