//! RFC 2047 encoded words (`=?charset?B|Q?text?=`), decoded by kefu itself for the
//! header values mail-parser leaves undecoded or decodes before reading their structure.
//!
//! Why not only mail-parser: some webmail clients (and Python's legacy `email.header`
//! API) encode a whole `From:` value — display name *and* address — as one encoded word,
//! `=?utf-8?b?546L5bCP5piOIDx3eG1AcXEuY29tPg==?=`. RFC 2047 forbids an address inside an
//! encoded word, so a strict parser sees a phrase with no address and the buyer's mail
//! would be refused. Decoding the words first and reading the address from the result is
//! what real mail clients do. The same decoder also knows the charset names real senders
//! write that the WHATWG label list lacks (Python writes `big5_tw`, Windows `cp936`).

use encoding_rs::Encoding;

use crate::base64;

/// Decodes every encoded word in `value`; text outside them is kept as it is. Whitespace
/// between two adjacent encoded words is dropped (RFC 2047 §6.2), so a name split over
/// several words joins up. A word with an unknown charset or a broken encoding is kept
/// literally rather than guessed at.
pub fn decode_encoded_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    // Whitespace seen after a decoded word; written out only if plain text follows.
    let mut pending_space = String::new();
    let mut after_word = false;
    while !rest.is_empty() {
        match rest.find("=?") {
            Some(start) => {
                let (before, candidate) = rest.split_at(start);
                if let Some((decoded, len)) = decode_one(candidate) {
                    if !(after_word && before.chars().all(char::is_whitespace)) {
                        out.push_str(&pending_space);
                        out.push_str(before);
                    }
                    pending_space.clear();
                    out.push_str(&decoded);
                    after_word = true;
                    rest = &candidate[len..];
                    // Hold back the whitespace after the word until we know what follows.
                    let ws = rest.len() - rest.trim_start().len();
                    pending_space.push_str(&rest[..ws]);
                    rest = &rest[ws..];
                } else {
                    out.push_str(&pending_space);
                    pending_space.clear();
                    out.push_str(before);
                    out.push_str("=?");
                    after_word = false;
                    rest = &candidate[2..];
                }
            }
            None => {
                out.push_str(&pending_space);
                pending_space.clear();
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out.push_str(&pending_space);
    out
}

/// Decodes the encoded word at the start of `s`; returns the text and the word's length.
fn decode_one(s: &str) -> Option<(String, usize)> {
    let body = s.strip_prefix("=?")?;
    let (charset, body) = body.split_once('?')?;
    let (encoding, body) = body.split_once('?')?;
    let end = body.find("?=")?;
    let text = &body[..end];
    if charset.is_empty() || text.contains(char::is_whitespace) {
        return None;
    }
    let len = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    let bytes = match encoding {
        "B" | "b" => base64::decode_lenient(text.as_bytes()),
        "Q" | "q" => q_decode(text)?,
        _ => return None,
    };
    let charset = charset_of(charset)?;
    let decoded = charset.decode_without_bom_handling_and_without_replacement(&bytes)?;
    Some((decoded.into_owned(), len))
}

/// RFC 2047 "Q": `_` is a space, `=XX` a byte, everything else itself.
fn q_decode(text: &str) -> Option<Vec<u8>> {
    let raw = text.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(raw.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// The charset an encoded word names: a WHATWG label, else one of the names senders
/// really write for the same tables (`big5_tw`, `cp936`, `euc_cn`), with an RFC 2231
/// language suffix (`utf-8*zh`) ignored.
pub(crate) fn charset_of(label: &str) -> Option<&'static Encoding> {
    let label = label.split('*').next().unwrap_or(label).trim();
    if let Some(e) = Encoding::for_label(label.as_bytes()) {
        return Some(e);
    }
    let normal = label.to_ascii_lowercase().replace('_', "-");
    if let Some(e) = Encoding::for_label(normal.as_bytes()) {
        return Some(e);
    }
    match normal.as_str() {
        "big5-tw" | "cp950" | "ms950" | "big5-hk" => Some(encoding_rs::BIG5),
        "cp936" | "ms936" | "euc-cn" | "gb-2312" => Some(encoding_rs::GBK),
        "gb-18030" => Some(encoding_rs::GB18030),
        "utf8" => Some(encoding_rs::UTF_8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::decode_encoded_words as d;

    #[test]
    fn words_decode_and_plain_text_stays() {
        assert_eq!(
            d("=?utf-8?b?546L5bCP5piOIDx3eG1AcXEuY29tPg==?="),
            "王小明 <wxm@qq.com>"
        );
        assert_eq!(
            d("=?GB18030?Q?=C1=F5=D1=F3_=3Cly=40qq=2Ecom=3E?="),
            "刘洋 <ly@qq.com>"
        );
        // Adjacent words join; text around them keeps its spaces.
        assert_eq!(
            d("=?utf-8?q?Ma?= =?utf-8?q?ria?= <m@x.es>"),
            "Maria <m@x.es>"
        );
        assert_eq!(d("Re: =?utf-8?q?caf=C3=A9?= now"), "Re: café now");
        // Python's own name for Big5.
        assert_eq!(d("=?big5_tw?b?pV27cQ==?="), "包裹");
    }

    #[test]
    fn broken_words_are_kept_literally() {
        assert_eq!(d("=?x-unknown?b?QUJD?= a"), "=?x-unknown?b?QUJD?= a");
        assert_eq!(d("=?utf-8?q?=ZZ?="), "=?utf-8?q?=ZZ?=");
        assert_eq!(d("50% =? off"), "50% =? off");
        assert_eq!(d("plain name"), "plain name");
        // Invalid bytes for the charset: not guessed.
        assert_eq!(d("=?utf-8?b?/w==?="), "=?utf-8?b?/w==?=");
    }
}
