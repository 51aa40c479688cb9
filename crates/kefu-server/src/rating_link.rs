//! The rating link an email reply carries (FEEDBACK-RATING, issue 12): five links, one per
//! score, to `/rate/{conversation}/{token}?score=N` on the desk's public address. The token
//! is an HMAC of the conversation id under a key derived from the master key, so a link
//! rates only its own conversation and cannot be guessed.
//!
//! A link opens a page with the score chosen and one button to send it: mail scanners and
//! link previews open every link of a mail, and a rating recorded on opening would be theirs.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Hex characters of a token (64 bits of the MAC: enough against guessing, short in a mail).
const TOKEN_HEX: usize = 16;

fn mac(master_key: &str, conversation_id: i64) -> Vec<u8> {
    let mut key =
        HmacSha256::new_from_slice(master_key.as_bytes()).expect("HMAC takes keys of any length");
    key.update(b"kefu rating link key");
    let derived = key.finalize().into_bytes();
    let mut mac = HmacSha256::new_from_slice(&derived).expect("HMAC takes keys of any length");
    mac.update(conversation_id.to_string().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The token of `conversation_id`'s rating link.
pub fn token(master_key: &str, conversation_id: i64) -> String {
    mac(master_key, conversation_id)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..TOKEN_HEX]
        .to_string()
}

/// Whether `token` is that conversation's (compared in constant time).
pub fn valid(master_key: &str, conversation_id: i64, token_text: &str) -> bool {
    let expected = token(master_key, conversation_id);
    let (a, b) = (expected.as_bytes(), token_text.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The lines appended to an email reply: one link per score, from the best.
pub fn footer(public_url: &str, master_key: &str, conversation_id: i64) -> String {
    let base = public_url.trim_end_matches('/');
    let t = token(master_key, conversation_id);
    let mut out = String::from("\n\n--\nHow did we do? Rate this answer / 请评价本次服务：\n");
    for score in (1..=5).rev() {
        out.push_str(&format!(
            "{} {score}/5: {base}/rate/{conversation_id}/{t}?score={score}\n",
            "★".repeat(score)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_rates_only_its_own_conversation() {
        let t = token("key", 7);
        assert_eq!(t.len(), TOKEN_HEX);
        assert!(valid("key", 7, &t));
        assert!(!valid("key", 8, &t));
        assert!(!valid("other key", 7, &t));
        assert!(!valid("key", 7, &t[..10]));
        let f = footer("https://desk.example/", "key", 7);
        assert!(
            f.contains(&format!("https://desk.example/rate/7/{t}?score=5")),
            "{f}"
        );
        assert_eq!(f.matches("/rate/7/").count(), 5);
    }
}
