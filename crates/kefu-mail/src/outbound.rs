//! Outbound replies: a complete RFC 5322 / MIME message that buyers' mail
//! clients show in the right thread and with the right characters.
//!
//! Written by hand rather than with lettre's builder: a reply is one text/plain
//! part, and what matters (threading headers, "Re: " once, RFC 2047 names and
//! subjects, a body encoding that survives any relay) fits in this file, tested
//! by parsing the result back with mail-parser. No further dependency, no
//! feature juggling.

use chrono::{DateTime, Utc};

use crate::{base64, thread::normalize_id};

/// A reply to send to a buyer.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMail {
    /// The shop's address.
    pub from: String,
    /// The shop's display name, any script ("旗舰店客服").
    pub from_name: Option<String>,
    /// The buyer's bare address.
    pub to: String,
    /// The subject of the mail answered (or a new one); "Re: " is added once.
    pub subject: String,
    /// The reply text; `\n` or `\r\n` line ends.
    pub body: String,
    /// Message-ID of the mail answered, with or without angle brackets.
    pub in_reply_to: Option<String>,
    /// References of the mail answered (oldest first); its own id is appended.
    pub references: Vec<String>,
    /// Domain for the generated Message-ID (the shop's mail domain).
    pub message_id_domain: String,
    pub date: DateTime<Utc>,
}

/// Longest References chain written: the root and the most recent ids are kept,
/// which is all threading needs; some servers reject very long headers.
const MAX_REFERENCES: usize = 20;

/// Builds the reply; returns its Message-ID (without angle brackets) and bytes.
///
/// The Message-ID is derived from the inputs (a hash of sender, recipient,
/// subject, body, parent and date), so building the same outbox entry twice
/// gives the same id and a receiving server can drop the duplicate.
pub fn build_reply(m: &OutboundMail) -> (String, Vec<u8>) {
    let id = generated_id(m);
    let bytes = build_reply_with_message_id(m, &id);
    (id, bytes)
}

/// Builds the reply with a Message-ID chosen by the caller (e.g. stored in the
/// outbox row before sending). Angle brackets are optional.
pub fn build_reply_with_message_id(m: &OutboundMail, message_id: &str) -> Vec<u8> {
    let message_id = normalize_id(message_id).unwrap_or_else(|| generated_id(m));
    let mut h = Headers::default();
    h.raw("Date", &m.date.to_rfc2822());
    h.words("From", mailbox(m.from_name.as_deref(), &m.from).into_iter());
    h.raw("To", &format!("<{}>", clean_address(&m.to)));
    h.unstructured("Subject", &reply_subject(&m.subject));
    h.raw("Message-ID", &format!("<{message_id}>"));
    let parent = m.in_reply_to.as_deref().and_then(normalize_id);
    if let Some(parent) = &parent {
        h.raw("In-Reply-To", &format!("<{parent}>"));
    }
    let references = references(&m.references, parent.as_deref());
    if !references.is_empty() {
        h.words("References", references.iter().map(|r| format!("<{r}>")));
    }
    h.raw("MIME-Version", "1.0");
    h.raw("Content-Type", "text/plain; charset=utf-8");
    let body = canonical_body(&m.body);
    let (encoding, encoded) = if mostly_non_ascii(&body) {
        ("base64", base64_lines(body.as_bytes()))
    } else {
        ("quoted-printable", quoted_printable(&body))
    };
    h.raw("Content-Transfer-Encoding", encoding);
    let mut out = h.0;
    out.push_str("\r\n");
    out.push_str(&encoded);
    out.into_bytes()
}

/// "Re: " plus the subject without any reply prefixes it already had, in the
/// forms buyers' clients write them: "Re: Re: 回复：订单" → "Re: 订单".
pub fn reply_subject(subject: &str) -> String {
    let mut rest = one_line(subject);
    let mut s = rest.trim();
    loop {
        let stripped = strip_reply_prefix(s);
        if stripped.len() == s.len() {
            break;
        }
        s = stripped.trim_start();
    }
    rest = s.to_string();
    if rest.is_empty() {
        "Re:".to_string()
    } else {
        format!("Re: {rest}")
    }
}

/// Strips one "Re:", "RE[2]:", "AW:", "回复：", "答复:" … prefix, if present.
fn strip_reply_prefix(s: &str) -> &str {
    const PREFIXES: &[&str] = &[
        "re", "aw", "antw", "sv", "vs", "rif", "réf", "ref", "odp", "回复", "答复", "回覆", "覆",
    ];
    for p in PREFIXES {
        let Some(head) = s.get(..p.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(p) {
            continue;
        }
        let mut tail = &s[p.len()..];
        // "RE[2]:" / "Re(2):" counters some clients add.
        if let Some(t) = tail.strip_prefix(['[', '(']) {
            let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
            tail = t[digits..].strip_prefix([']', ')']).unwrap_or(tail);
        }
        let tail = tail.trim_start();
        if let Some(t) = tail.strip_prefix([':', '：']) {
            return t;
        }
    }
    s
}

/// The parent's references plus the parent itself, deduplicated, capped.
fn references(refs: &[String], parent: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in refs
        .iter()
        .filter_map(|r| normalize_id(r))
        .chain(parent.map(str::to_string))
    {
        out.retain(|existing| existing != &id);
        out.push(id);
    }
    if out.len() > MAX_REFERENCES {
        out.drain(1..out.len() - (MAX_REFERENCES - 1));
    }
    out
}

/// `<kefu.{64-bit hash}.{64-bit hash}@domain>` over everything that makes the reply.
fn generated_id(m: &OutboundMail) -> String {
    let fields = [
        m.from.as_str(),
        m.to.as_str(),
        m.subject.as_str(),
        m.body.as_str(),
        m.in_reply_to.as_deref().unwrap_or(""),
        &m.date.to_rfc3339(),
    ];
    let a = fnv1a(0xcbf2_9ce4_8422_2325, &fields);
    let b = fnv1a(a ^ 0x9e37_79b9_7f4a_7c15, &fields);
    format!("kefu.{a:016x}.{b:016x}@{}", id_domain(&m.message_id_domain))
}

fn fnv1a(seed: u64, fields: &[&str]) -> u64 {
    let mut h = seed;
    for f in fields {
        // The length first, so that ("ab","c") and ("a","bc") differ.
        for b in (f.len() as u64).to_le_bytes().iter().chain(f.as_bytes()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The domain part must be a dot-atom: keep letters, digits, '-' and '.'.
fn id_domain(domain: &str) -> String {
    let d: String = domain
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    let d = d.trim_matches('.').to_string();
    if d.is_empty() {
        "kefu.invalid".to_string()
    } else {
        d
    }
}

/// Header values must not carry line breaks: a CR or LF in a subject or name
/// would let its author add headers of their own.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn clean_address(addr: &str) -> String {
    one_line(addr)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '<' && *c != '>')
        .collect()
}

/// `Name <addr>` as foldable words: the name as atoms, a quoted string, or
/// RFC 2047 words.
fn mailbox(name: Option<&str>, addr: &str) -> Vec<String> {
    let addr = format!("<{}>", clean_address(addr));
    let name = name
        .map(|n| one_line(n).trim().to_string())
        .filter(|n| !n.is_empty());
    let Some(name) = name else {
        return vec![addr];
    };
    let mut words = if !name.is_ascii() {
        encoded_words(&name)
    } else if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " !#$%&'*+-/=?^_`{|}~".contains(c))
    {
        name.split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        vec![format!("\"{quoted}\"")]
    };
    words.push(addr);
    words
}

/// RFC 2047 `=?UTF-8?B?…?=` words of at most 75 characters, split between
/// characters (never inside one, which decoders would garble).
fn encoded_words(text: &str) -> Vec<String> {
    // RFC 2047 allows 75 characters a word; 39 raw bytes make 52 base64
    // characters, a 64-character word, so even "Subject: " and the first word
    // fit in a 78-character line.
    const MAX_BYTES: usize = 39;
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if i + c.len_utf8() - start > MAX_BYTES {
            words.push(format!(
                "=?UTF-8?B?{}?=",
                base64::encode(&text.as_bytes()[start..end])
            ));
            start = i;
        }
        end = i + c.len_utf8();
    }
    if end > start {
        words.push(format!(
            "=?UTF-8?B?{}?=",
            base64::encode(&text.as_bytes()[start..end])
        ));
    }
    words
}

/// The header section, folded at 78 characters where the value allows it.
#[derive(Default)]
struct Headers(String);

impl Headers {
    /// A value written as given (already short, or with no place to fold).
    fn raw(&mut self, name: &str, value: &str) {
        self.0.push_str(&format!("{name}: {value}\r\n"));
    }

    /// Free text: encoded words when it is not ASCII, else folded at spaces.
    fn unstructured(&mut self, name: &str, value: &str) {
        if value.is_ascii() {
            let words: Vec<String> = value.split(' ').map(str::to_string).collect();
            self.words(name, words.into_iter());
        } else {
            // Leading ASCII words ("Re:") stay readable; the rest is encoded.
            // The space between the last of them and the first encoded word is
            // kept by decoders, as RFC 2047 asks.
            let mut words: Vec<String> = Vec::new();
            let mut rest = value;
            while let Some((word, tail)) = rest.split_once(' ') {
                if !word.is_ascii() || word.contains("=?") || word.is_empty() {
                    break;
                }
                words.push(word.to_string());
                rest = tail;
            }
            words.extend(encoded_words(rest));
            self.words(name, words.into_iter());
        }
    }

    /// Words joined by spaces, a line break put before a word that would pass 78.
    fn words(&mut self, name: &str, words: impl Iterator<Item = String>) {
        let mut line_len = name.len() + 1;
        self.0.push_str(name);
        self.0.push(':');
        for word in words {
            if line_len + 1 + word.len() > 78 && line_len > name.len() + 1 {
                self.0.push_str("\r\n");
                line_len = 0;
            }
            self.0.push(' ');
            self.0.push_str(&word);
            line_len += 1 + word.len();
        }
        self.0.push_str("\r\n");
    }
}

/// The body with CRLF line ends (MIME's canonical form for text) and one at the end.
fn canonical_body(body: &str) -> String {
    let lf = body.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = lf.replace('\n', "\r\n");
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out
}

/// Chinese text is 3 bytes a character in UTF-8 and 9 in quoted-printable;
/// base64 keeps it at 4. Mostly-Latin text stays readable in quoted-printable.
fn mostly_non_ascii(body: &str) -> bool {
    let high = body.bytes().filter(|b| *b >= 0x80).count();
    high * 6 > body.len()
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// RFC 2045 quoted-printable: lines of at most 76 characters, soft breaks
/// ("=" at the end) inside long lines, trailing spaces encoded so that relays
/// that strip them change nothing, and a "From " at a line start encoded so
/// that mbox storage does not mangle it.
fn quoted_printable(body: &str) -> String {
    let mut out = String::with_capacity(body.len() * 2);
    for line in body.split("\r\n") {
        let bytes = line.as_bytes();
        let mut len = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let literal = match b {
                b'=' => false,
                b' ' | b'\t' => !last,
                b'F' => !(i == 0 && line.starts_with("From ")),
                b'.' => i != 0,
                33..=126 => true,
                _ => false,
            };
            let piece = if literal {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            // Leave room for the soft break's "=" (76 in all).
            if len + piece.len() > 75 {
                out.push_str("=\r\n");
                len = 0;
            }
            out.push_str(&piece);
            len += piece.len();
        }
        out.push_str("\r\n");
    }
    // `split` gave an empty last piece after the final CRLF: drop its extra break.
    out.truncate(out.len() - 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_gets_one_re() {
        assert_eq!(reply_subject("Order 1234"), "Re: Order 1234");
        assert_eq!(reply_subject("Re: Order"), "Re: Order");
        assert_eq!(reply_subject("RE: re: Order"), "Re: Order");
        assert_eq!(reply_subject("回复：Re: 订单问题"), "Re: 订单问题");
        assert_eq!(reply_subject("AW: Bestellung"), "Re: Bestellung");
        assert_eq!(reply_subject("RE[2]: x"), "Re: x");
        assert_eq!(reply_subject("Regarding: x"), "Re: Regarding: x");
        assert_eq!(reply_subject("Rebate"), "Re: Rebate");
        assert_eq!(reply_subject(""), "Re:");
        assert_eq!(reply_subject("a\r\nBcc: x@y.z"), "Re: a  Bcc: x@y.z");
    }

    #[test]
    fn encoded_words_stay_short_and_whole() {
        let name = "旗舰店客服".repeat(8);
        let words = encoded_words(&name);
        assert!(words.len() > 1);
        for w in &words {
            assert!(w.len() <= 75, "{w}");
        }
    }

    #[test]
    fn quoted_printable_lines_are_short() {
        let body = canonical_body(&format!("{} end \nFrom here.\n.dot", "é".repeat(50)));
        let qp = quoted_printable(&body);
        for line in qp.split("\r\n") {
            assert!(line.len() <= 76, "{line}");
        }
        assert!(qp.contains("end=20\r\n"));
        assert!(qp.contains("=46rom here."));
        assert!(qp.contains("=2Edot"));
    }

    #[test]
    fn references_keep_root_and_recent() {
        let refs: Vec<String> = (0..30).map(|i| format!("m{i}@x")).collect();
        let out = references(&refs, Some("p@x"));
        assert_eq!(out.len(), MAX_REFERENCES);
        assert_eq!(out[0], "m0@x");
        assert_eq!(out.last().map(String::as_str), Some("p@x"));
    }
}
