//! Shop credentials and their encryption at rest.
//!
//! A connector's credentials are the keys to a seller's marketplace account, so the desk keeps
//! them only sealed: ChaCha20-Poly1305 (authenticated: a changed byte is detected, not
//! decrypted into garbage) under a 256-bit key derived from the desk's master key with
//! HKDF-SHA256 and the info string `kefu connector credentials v1`, a fresh random 96-bit nonce
//! per seal. The sealed text is printable, `v1:<base64(nonce ‖ ciphertext ‖ tag)>`, so it fits
//! any text column and the version prefix lets a later scheme coexist with this one.
//!
//! HKDF is a key *derivation*, not a password hash: it assumes the master key already has
//! enough entropy (the desk generates a random one by default). The label also goes in as
//! associated data, so a blob cannot be replayed under another scheme's label.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::aliexpress::SignMethod;

const PREFIX: &str = "v1:";
const HKDF_INFO: &[u8] = b"kefu connector credentials v1";
const HKDF_SALT: &[u8] = b"kefu-connect";
const AAD: &[u8] = b"kefu-connect/credentials/v1";
const NONCE_LEN: usize = 12;

/// A shop's platform credentials. Serialized (then sealed) as
/// `{"platform":"ebay",...}` / `{"platform":"aliexpress",...}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "lowercase")]
pub enum Credentials {
    Ebay(EbayCredentials),
    Aliexpress(AliExpressCredentials),
}

impl Credentials {
    /// "ebay" or "aliexpress".
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::Ebay(_) => "ebay",
            Credentials::Aliexpress(_) => "aliexpress",
        }
    }
}

/// eBay: an OAuth user access token (authorization-code grant) for the seller's account; it
/// authorizes Trading (as `X-EBAY-API-IAF-TOKEN`), Post-Order (`Authorization: IAF …`) and the
/// REST Sell APIs (`Authorization: Bearer …`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EbayCredentials {
    pub oauth_user_token: String,
    /// The application's App ID (client id); sent as `X-EBAY-API-APP-NAME` when present.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Trading API site id (0 = US, 3 = UK, 77 = Germany).
    #[serde(default)]
    pub site_id: u32,
    /// REST marketplace id for Post-Order (`EBAY_US`, `EBAY_DE`, ...).
    #[serde(default = "default_marketplace")]
    pub marketplace_id: String,
}

fn default_marketplace() -> String {
    "EBAY_US".to_string()
}

impl EbayCredentials {
    pub fn new(oauth_user_token: impl Into<String>) -> EbayCredentials {
        EbayCredentials {
            oauth_user_token: oauth_user_token.into(),
            app_id: None,
            site_id: 0,
            marketplace_id: default_marketplace(),
        }
    }
}

/// AliExpress open platform: the app's key and secret (they sign every call) and the seller's
/// access token (the `access_token` parameter; the older TOP gateway called it `session`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliExpressCredentials {
    pub app_key: String,
    pub app_secret: String,
    pub access_token: String,
    /// The seller's login id, sent as `seller_id` when replying (addmsg's create_param).
    #[serde(default)]
    pub seller_login_id: Option<String>,
    #[serde(default)]
    pub sign_method: SignMethod,
}

impl AliExpressCredentials {
    pub fn new(
        app_key: impl Into<String>,
        app_secret: impl Into<String>,
        access_token: impl Into<String>,
    ) -> AliExpressCredentials {
        AliExpressCredentials {
            app_key: app_key.into(),
            app_secret: app_secret.into(),
            access_token: access_token.into(),
            seller_login_id: None,
            sign_method: SignMethod::default(),
        }
    }
}

// Debug never prints a secret: credentials end up in logs through `{:?}` sooner or later.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Ebay(c) => c.fmt(f),
            Credentials::Aliexpress(c) => c.fmt(f),
        }
    }
}

impl fmt::Debug for EbayCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EbayCredentials")
            .field("oauth_user_token", &"<redacted>")
            .field("app_id", &self.app_id)
            .field("site_id", &self.site_id)
            .field("marketplace_id", &self.marketplace_id)
            .finish()
    }
}

impl fmt::Debug for AliExpressCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AliExpressCredentials")
            .field("app_key", &self.app_key)
            .field("app_secret", &"<redacted>")
            .field("access_token", &"<redacted>")
            .field("seller_login_id", &self.seller_login_id)
            .field("sign_method", &self.sign_method)
            .finish()
    }
}

/// Why sealed credentials could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error(
        "sealed credentials must start with \"v1:\" (got {0:?}); were they stored by another version?"
    )]
    UnknownVersion(String),
    #[error("sealed credentials are not valid base64 or are too short to hold a nonce")]
    Encoding,
    #[error(
        "sealed credentials cannot be opened: the master key is not the one they were sealed with, or the text was altered"
    )]
    WrongKeyOrTampered,
    #[error("sealed credentials opened but do not hold credentials: {0}")]
    Contents(String),
}

fn cipher(master_key: &str) -> ChaCha20Poly1305 {
    let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), master_key.as_bytes());
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 255*32 limit: expand cannot fail.
    hk.expand(HKDF_INFO, &mut key)
        .expect("HKDF-SHA256 can expand 32 bytes");
    ChaCha20Poly1305::new(Key::from_slice(&key))
}

/// Encrypts `creds` under `master_key`. Each call uses a fresh random nonce, so sealing the
/// same credentials twice gives different texts.
pub fn seal(master_key: &str, creds: &Credentials) -> String {
    let plain = serde_json::to_vec(creds).expect("credentials serialize to JSON");
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ct = cipher(master_key)
        .encrypt(
            &nonce,
            Payload {
                msg: &plain,
                aad: AAD,
            },
        )
        .expect("ChaCha20-Poly1305 encrypts any message under 256 GiB");
    let mut blob = Vec::with_capacity(NONCE_LEN + ct.len());
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&ct);
    format!("{PREFIX}{}", B64.encode(blob))
}

/// Decrypts what [`seal`] produced.
pub fn open(master_key: &str, sealed: &str) -> Result<Credentials, SealError> {
    let sealed = sealed.trim();
    let Some(b64) = sealed.strip_prefix(PREFIX) else {
        let shown: String = sealed.chars().take(8).collect();
        return Err(SealError::UnknownVersion(shown));
    };
    let blob = B64.decode(b64).map_err(|_| SealError::Encoding)?;
    if blob.len() < NONCE_LEN + 16 {
        return Err(SealError::Encoding);
    }
    let (nonce, ct) = blob.split_at(NONCE_LEN);
    let plain = cipher(master_key)
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: AAD })
        .map_err(|_| SealError::WrongKeyOrTampered)?;
    serde_json::from_slice(&plain).map_err(|e| SealError::Contents(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::Aliexpress(AliExpressCredentials::new("k", "s3cret", "tok3n"));
        let d = format!("{c:?}");
        assert!(!d.contains("s3cret") && !d.contains("tok3n"), "{d}");
        let c = Credentials::Ebay(EbayCredentials::new("v^1.1#secret"));
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn unknown_prefix_is_explained() {
        let e = open("k", "v9:abc").unwrap_err();
        assert!(matches!(e, SealError::UnknownVersion(_)));
        assert!(e.to_string().contains("v1:"));
        assert_eq!(open("k", "v1:!!!").unwrap_err(), SealError::Encoding);
        assert_eq!(open("k", "v1:AAAA").unwrap_err(), SealError::Encoding);
    }
}
