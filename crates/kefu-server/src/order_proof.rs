//! Proof that a web-chat visitor's order is theirs (issue 10, item 3; PRIV-PURPOSE).
//!
//! Order numbers are sequential, so a number alone proves nothing: a visitor who types one
//! must also give what the shop chose as proof (`order_proof` in the shop's settings: the
//! buyer's email, the last four digits of their phone, or their postcode, as the order
//! record holds them), or arrive with a *signed link* from the shop's own order page.
//!
//! **The signed link.** Each shop has its own secret, derived from the master key
//! (`GET /api/v1/shops/{id}/order-link-secret`, admins only). The shop's order page, for a
//! signed-in buyer, signs `"{shop_id}|{order external id}|{expires}"` (expires: Unix seconds)
//! with HMAC-SHA256 under that secret (the secret's text as the key bytes) and puts
//! `{expires}.{hex of the MAC}` on the widget's script tag:
//!
//! ```text
//! <script src="https://DESK/widget.js" data-shop="7" data-order="W-1001"
//!         data-order-link="1767225600.3f1c…" async></script>
//! ```
//!
//! In Python: `hmac.new(secret.encode(), f"{shop}|{order}|{expires}".encode(), "sha256").hexdigest()`.
//! A link lives at most [`MAX_LINK_DAYS`] days; a changed shop, order, expiry or MAC fails.
//!
//! Every comparison runs in constant time over SHA-256 digests, and an unknown order is
//! compared against a stand-in value, so neither the answer nor its timing tells a wrong
//! proof from an order that does not exist.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Longest a signed link may be valid for, counted from now: a leaked link must not open an
/// order for ever.
pub const MAX_LINK_DAYS: i64 = 31;

/// What a shop asks a visitor for with an order number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofKind {
    Email,
    PhoneTail,
    Postcode,
}

impl ProofKind {
    /// The shop's `order_proof` setting; email when it has none (the settings are validated
    /// when saved, so an unknown value cannot be stored).
    pub fn from_setting(setting: Option<&str>) -> ProofKind {
        match setting {
            Some("phone_tail") => ProofKind::PhoneTail,
            Some("postcode") => ProofKind::Postcode,
            _ => ProofKind::Email,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProofKind::Email => "email",
            ProofKind::PhoneTail => "phone_tail",
            ProofKind::Postcode => "postcode",
        }
    }

    /// The stored value this proof is checked against.
    pub fn stored(self, buyer: &kefu_store::OrderBuyer) -> Option<&str> {
        match self {
            ProofKind::Email => buyer.email.as_deref(),
            ProofKind::PhoneTail => buyer.phone.as_deref(),
            ProofKind::Postcode => buyer.postcode.as_deref(),
        }
    }

    /// The comparable form: case and spaces do not count; for a phone, its last four digits
    /// (a value with fewer has none).
    pub fn normalise(self, value: &str) -> Option<String> {
        let squeezed: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        let out = match self {
            ProofKind::Email => squeezed.to_lowercase(),
            ProofKind::Postcode => squeezed.to_uppercase(),
            ProofKind::PhoneTail => {
                let digits: Vec<char> = squeezed.chars().filter(char::is_ascii_digit).collect();
                if digits.len() < 4 {
                    return None;
                }
                digits[digits.len() - 4..].iter().collect()
            }
        };
        (!out.is_empty()).then_some(out)
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `given` proves the order whose stored value is `stored` (`None`: the order does
/// not exist or has no such detail). The same work is done in every case.
pub fn proves(kind: ProofKind, given: &str, stored: Option<&str>) -> bool {
    let given = kind.normalise(given);
    let stored = stored.and_then(|s| kind.normalise(s));
    // A stand-in keeps the comparison's cost the same when there is nothing to compare.
    let left = digest(given.as_deref().unwrap_or("\u{0}no proof given"));
    let right = digest(stored.as_deref().unwrap_or("\u{0}nothing stored"));
    let equal = same(&left, &right);
    equal && given.is_some() && stored.is_some()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The shop's secret for signing order links: derived from the master key, one per shop, so
/// one shop's secret signs nothing for another.
pub fn link_secret(master_key: &str, shop_id: i64) -> String {
    let mut mac =
        HmacSha256::new_from_slice(master_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("kefu order link secret|{shop_id}").as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// `{expires}.{mac}` for an order, as the shop's order page makes it.
pub fn sign_link(secret: &str, shop_id: i64, external_id: &str, expires: i64) -> String {
    format!(
        "{expires}.{}",
        hex(&link_mac(secret, shop_id, external_id, expires))
    )
}

fn link_mac(secret: &str, shop_id: i64, external_id: &str, expires: i64) -> Vec<u8> {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{shop_id}|{external_id}|{expires}").as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Whether `link` is a valid, unexpired signature of this shop's order.
pub fn link_proves(
    master_key: &str,
    shop_id: i64,
    external_id: &str,
    link: &str,
    now: DateTime<Utc>,
) -> bool {
    let Some((expires, mac)) = link.trim().split_once('.') else {
        return false;
    };
    let Ok(expires) = expires.parse::<i64>() else {
        return false;
    };
    let now_s = now.timestamp();
    if expires <= now_s || expires > now_s + MAX_LINK_DAYS * 86_400 {
        return false;
    }
    let expected = hex(&link_mac(
        &link_secret(master_key, shop_id),
        shop_id,
        external_id,
        expires,
    ));
    same(expected.as_bytes(), mac.to_ascii_lowercase().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_ignore_case_and_spaces_and_need_the_right_value() {
        let e = ProofKind::Email;
        assert!(proves(
            e,
            " Wang.Fang@Example.COM ",
            Some("wang.fang@example.com")
        ));
        assert!(!proves(
            e,
            "wang.fang@example.org",
            Some("wang.fang@example.com")
        ));
        assert!(!proves(e, "", Some("")), "nothing proves nothing");
        assert!(!proves(e, "anything", None), "unknown order");
        let p = ProofKind::PhoneTail;
        assert!(proves(p, "8000", Some("+86 138 0013 8000")));
        assert!(proves(p, "138-0013-8000", Some("+86 138 0013 8000")));
        assert!(!proves(p, "800", Some("+86 138 0013 8000")), "four digits");
        assert!(!proves(p, "8001", Some("+86 138 0013 8000")));
        let z = ProofKind::Postcode;
        assert!(proves(z, "sw1a 1aa", Some("SW1A1AA")));
        assert!(!proves(z, "SW1A 1AB", Some("SW1A 1AA")));
    }

    #[test]
    fn signed_links_are_bound_to_shop_order_and_time() {
        let key = "a-master-key-of-sixteen";
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let exp = now.timestamp() + 3600;
        let secret = link_secret(key, 7);
        assert_ne!(secret, link_secret(key, 8), "one secret per shop");
        let link = sign_link(&secret, 7, "W-1001", exp);
        assert!(link_proves(key, 7, "W-1001", &link, now));
        assert!(!link_proves(key, 7, "W-1002", &link, now), "another order");
        assert!(!link_proves(key, 8, "W-1001", &link, now), "another shop");
        assert!(!link_proves(
            "another-master-key-16",
            7,
            "W-1001",
            &link,
            now
        ));
        let later = now + chrono::Duration::seconds(3601);
        assert!(!link_proves(key, 7, "W-1001", &link, later), "expired");
        let moved = link.replacen(&exp.to_string(), &(exp + 60).to_string(), 1);
        assert!(
            !link_proves(key, 7, "W-1001", &moved, now),
            "expiry changed"
        );
        let far = sign_link(&secret, 7, "W-1001", now.timestamp() + 40 * 86_400);
        assert!(!link_proves(key, 7, "W-1001", &far, now), "too long-lived");
        for junk in ["", ".", "x.y", "123", "1800003600."] {
            assert!(!link_proves(key, 7, "W-1001", junk, now), "{junk:?}");
        }
    }
}
