//! Redaction of secrets in inbound buyer text, before it is stored.
//!
//! Found and masked:
//! - bank-card numbers: 13–19 digits, single spaces or dashes allowed
//!   between groups, Luhn-valid; the mask keeps the first 4 and last 4
//!   digits and the separators (`6222 **** **** 1234`);
//! - Chinese resident ID numbers: 18 characters whose last is the ISO 7064
//!   MOD 11-2 check character (digit or X) and whose birth date is
//!   plausible; the mask keeps the 6-digit region code and the last 4
//!   (`110105********123X`), which is how Chinese services display them;
//! - 13–19 digits right after a card word ("卡号", "银行卡", "card number",
//!   "Kartennummer", "numéro de carte", "número de tarjeta") even when they
//!   fail the Luhn check: a mistyped card is still a card;
//! - passwords, PINs, verification codes and CVV/CVC numbers *announced as
//!   such* in five languages ("密码是abc123", "密码123456" with no separator
//!   after a Chinese keyword, "my PIN is 4321", "code: 123456", "CVV 123");
//!   the value is replaced by a fixed-length mask so its length is not
//!   revealed either. A PIN is reported as a `password` (4–12 digits).
//!
//! Kept: phone numbers (too short for a card, or written with a leading
//! `+`), order and tracking numbers (fail Luhn, or are introduced by
//! "订单/order/tracking…"), dates, amounts, addresses. A password written
//! without a keyword ("it's hunter2") is not found: there is nothing to
//! tell it from any other word.

use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    BankCard,
    CnId,
    Password,
    Code,
    Cvv,
}

impl SecretKind {
    /// The kind's name as it appears in JSON and in the event log.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::BankCard => "bank_card",
            SecretKind::CnId => "cn_id",
            SecretKind::Password => "password",
            SecretKind::Code => "code",
            SecretKind::Cvv => "cvv",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redaction {
    pub kind: SecretKind,
    /// Byte span of the secret value in the ORIGINAL text.
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redacted {
    pub text: String,
    pub found: Vec<Redaction>,
}

/// Digit groups joined by single spaces or dashes (card-number shape).
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(?:[ \-][0-9]+)*").unwrap());
static CN_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[0-9]{17}[0-9Xx]").unwrap());
/// Keyword (group `kw`), optional "is/是/:" glue (group `glue`), then the
/// value (group `v`). The glue may be empty after a Chinese keyword
/// ("密码123456": Chinese puts no space there); after a Latin one the value
/// must be set apart (checked in [`redact`]), so "passwords" is no keyword.
static ANNOUNCED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?P<kw>(?P<cvv>cvv2?|cvc2?|cvn|安全码|安全碼|卡背后三位|security code|prüfnummer|kartenprüfnummer|sicherheitscode|cryptogramme|code de sécurité|código de seguridad)",
        r"|(?P<pin>pin码|pin碼|pin-nummer|pin-code|pin code|pin number|pin|geheimzahl|code pin|code secret|code confidentiel|código pin|número pin|nip)",
        r"|(?P<pw>支付密码|支付密碼|登录密码|登錄密碼|取款密码|密码|密碼|口令|password|passwort|kennwort|mot de passe|contraseña|clave|passcode|pwd|pw)",
        r"|(?P<code>验证码|驗證碼|校验码|校驗碼|動態碼|动态码|短信码|verification code|one-time code|otp|sms code|code|bestätigungscode|tan|code de vérification|código de verificación|código))",
        r"(?P<glue>\s*(?:ist|is|est|es|lautet|是|为|為|:|：|=|-)\s*|\s+)?",
        r"(?P<v>[!-~]{1,64})"
    ))
    .unwrap()
});

/// Fast pre-check for a reply without ASCII digits: cards, IDs, codes and
/// CVVs all need digits, so only a password can be announced, and only
/// after one of its keywords. These stems are part of every password
/// keyword of `ANNOUNCED` and avoid the letters k and s, whose Unicode case
/// folds (K, ſ) `(?i)` would match but an ASCII comparison would not.
static PASSWORD_STEMS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "word",
            "wort",
            "code",
            "mot de pa",
            "contra",
            "pw",
            "clave",
            "密码",
            "密碼",
            "口令",
        ])
        .unwrap()
});

/// Words that follow "password is" / "code is" without being a value.
const NOT_A_VALUE: &[&str] = &[
    "not",
    "wrong",
    "incorrect",
    "invalid",
    "correct",
    "the",
    "a",
    "an",
    "my",
    "your",
    "too",
    "still",
    "also",
    "required",
    "expired",
    "and",
    "or",
    "for",
    "to",
    "of",
    "on",
    "in",
    "is",
    "was",
    "please",
    "sent",
    "reset",
    "changed",
    "nicht",
    "falsch",
    "pas",
    "no",
    "de",
    "du",
    "la",
    "le",
    "el",
    "und",
    "ist",
    "est",
    "es",
    "ok",
];

/// Words before a number that make it an order, tracking or postal number.
const NOT_A_CARD: &[&str] = &[
    "订单",
    "訂單",
    "单号",
    "單號",
    "运单",
    "物流",
    "快递",
    "order",
    "tracking",
    "invoice",
    "bestell",
    "sendung",
    "commande",
    "suivi",
    "pedido",
    "seguimiento",
    "zip",
    "postal",
    "phone",
    "tel",
    "电话",
    "手机",
];

/// Words before a number that make it a card number even when it fails
/// the Luhn check (a mistyped card is still a card): "卡号", "银行卡",
/// "card number", "Kartennummer", "numéro de carte", "número de tarjeta".
const CARD_WORDS: &[&str] = &["卡", "card", "karte", "karten", "carte", "tarjeta"];

/// Words before "code" that make it a postal, promo or tracking code.
const NOT_A_CODE: &[&str] = &[
    "zip",
    "postal",
    "post",
    "promo",
    "coupon",
    "discount",
    "tracking",
    "product",
    "item",
    "qr",
    "bar",
    "area",
    "country",
    "order",
    "gutschein",
    "rabatt",
    "优惠",
    "邮政",
    "邮编",
];

/// Does `before` end with one of `words`, allowing "number/no./号/:" after it?
fn introduced_by(before: &str, words: &[&str]) -> bool {
    // Suffixes that may end a longer word ("Kartennummer", "卡号") and short
    // ones that must be words of their own (so "this" is not "th" + "is").
    const GLUED: &[&str] = &[
        "numbers", "number", "nummer", "号码", "號碼", "编号", "号", "號", "是",
    ];
    const WORDS: &[&str] = &["no", "nr", "num", "is", "ist", "est", "es", "de"];
    let mut b = before.to_lowercase();
    loop {
        let t = b.trim_end_matches(|c: char| c.is_whitespace() || ":：#.-=".contains(c));
        let mut next = t;
        for suffix in GLUED {
            if let Some(s) = t.strip_suffix(suffix) {
                next = s;
                break;
            }
        }
        if next.len() == t.len() {
            for suffix in WORDS {
                if let Some(s) = t.strip_suffix(suffix)
                    && !s.ends_with(|c: char| c.is_alphanumeric())
                {
                    next = s;
                    break;
                }
            }
        }
        if next.len() == b.len() {
            return words.iter().any(|w| b.ends_with(w));
        }
        b = next.to_string();
    }
}

/// Redact the secrets in `text`. Pure; spans refer to `text`.
pub fn redact(text: &str) -> Redacted {
    let has_digit = text.bytes().any(|b| b.is_ascii_digit());
    if !has_digit && !PASSWORD_STEMS.is_match(text) {
        // Nothing here can be a secret: skip the regexes.
        return Redacted {
            text: text.to_string(),
            found: Vec::new(),
        };
    }
    let mut found: Vec<Redaction> = Vec::new();
    if has_digit {
        digit_secrets(text, &mut found);
    }
    for c in ANNOUNCED.captures_iter(text) {
        let v = c.name("v").expect("value group");
        let pin = c.name("pin").is_some();
        let kind = if c.name("cvv").is_some() {
            SecretKind::Cvv
        } else if pin || c.name("pw").is_some() {
            // A PIN is a password made of digits: stored and shown as one.
            SecretKind::Password
        } else {
            SecretKind::Code
        };
        let kw = c.name("kw").expect("keyword");
        let glued = c.name("glue").is_none_or(|g| g.as_str().is_empty());
        if glued
            && kw
                .as_str()
                .chars()
                .next_back()
                .is_some_and(|ch| ch.is_ascii_alphanumeric())
        {
            continue; // "passwords", "codes", "pin1234": not a keyword and its value
        }
        if kw.start() > 0
            && text[..kw.start()]
                .chars()
                .next_back()
                .is_some_and(|ch| ch.is_ascii_alphanumeric())
        {
            continue; // keyword inside a longer word ("barcode", "postcode")
        }
        let value = v
            .as_str()
            .trim_end_matches(['.', ',', ';', '!', '?', ')', '"', '\'']);
        let (s, e) = (v.start(), v.start() + value.len());
        let ok = if pin {
            pin_ok(value)
        } else {
            value_ok(kind, value, &text[..kw.start()])
        };
        if value.is_empty() || !ok || overlaps(&found, s, e) {
            continue;
        }
        found.push(Redaction {
            kind,
            start: s,
            end: e,
        });
    }
    if found.is_empty() {
        return Redacted {
            text: text.to_string(),
            found,
        };
    }
    found.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in &found {
        out.push_str(&text[at..r.start]);
        out.push_str(&mask(r.kind, &text[r.start..r.end]));
        at = r.end;
    }
    out.push_str(&text[at..]);
    Redacted { text: out, found }
}

/// Chinese ID numbers and bank-card numbers.
fn digit_secrets(text: &str, found: &mut Vec<Redaction>) {
    for m in CN_ID.find_iter(text) {
        if bounded(text, m.start(), m.end()) && cn_id_valid(m.as_str()) {
            found.push(Redaction {
                kind: SecretKind::CnId,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    for m in DIGIT_RUN.find_iter(text) {
        if text[..m.start()].ends_with('+') || !bounded(text, m.start(), m.end()) {
            continue; // international phone number, or part of a longer token
        }
        let card = card_in(m.as_str()).or_else(|| {
            // After a card word, any 13–19 digits are the card, valid or not.
            let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
            ((13..=19).contains(&digits) && introduced_by(&text[..m.start()], CARD_WORDS))
                .then_some((0, m.as_str().len()))
        });
        if let Some((s, e)) = card {
            let (s, e) = (m.start() + s, m.start() + e);
            if !introduced_by(&text[..s], NOT_A_CARD) && !overlaps(found, s, e) {
                found.push(Redaction {
                    kind: SecretKind::BankCard,
                    start: s,
                    end: e,
                });
            }
        }
    }
}

fn value_ok(kind: SecretKind, v: &str, before: &str) -> bool {
    let lower = v.to_lowercase();
    if NOT_A_VALUE.contains(&lower.as_str()) {
        return false;
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    match kind {
        SecretKind::Cvv => (3..=4).contains(&v.len()) && digits == v.len(),
        // Codes are short and carry digits; a bare "code" must be all digits,
        // and not a postal, promo or tracking code.
        SecretKind::Code => {
            (4..=8).contains(&v.len()) && digits > 0 && !introduced_by(before, NOT_A_CODE)
        }
        SecretKind::Password => v.chars().count() >= 3,
        _ => true,
    }
}

/// A PIN: 4 to 12 digits.
fn pin_ok(v: &str) -> bool {
    (4..=12).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

fn overlaps(found: &[Redaction], s: usize, e: usize) -> bool {
    found.iter().any(|r| s < r.end && r.start < e)
}

/// Not glued to letters or digits on either side.
fn bounded(text: &str, s: usize, e: usize) -> bool {
    let b = text[..s]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let a = text[e..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    !b && !a
}

/// The longest Luhn-valid run of whole groups with 13–19 digits, as a byte
/// span within `run`. Groups let a card sit next to other numbers
/// ("4111 1111 1111 1111 12 25") without swallowing them.
fn card_in(run: &str) -> Option<(usize, usize)> {
    let groups: Vec<(usize, usize)> = {
        let mut v = Vec::new();
        let mut start = None;
        for (i, c) in run.char_indices() {
            match (c.is_ascii_digit(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    v.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            v.push((s, run.len()));
        }
        v
    };
    let mut best: Option<(usize, usize)> = None;
    for i in 0..groups.len() {
        for j in i..groups.len() {
            let (s, e) = (groups[i].0, groups[j].1);
            let digits: String = run[s..e].chars().filter(char::is_ascii_digit).collect();
            if (13..=19).contains(&digits.len())
                && luhn(&digits)
                && best.is_none_or(|(bs, be)| e - s > be - bs)
            {
                best = Some((s, e));
            }
        }
    }
    best
}

pub(crate) fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// ISO 7064 MOD 11-2 check character plus a plausible birth date.
pub(crate) fn cn_id_valid(id: &str) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let num = |r: std::ops::Range<usize>| id[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    (1900..=2100).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && b[17].to_ascii_uppercase() == CHECK[(sum % 11) as usize]
}

fn mask(kind: SecretKind, v: &str) -> String {
    match kind {
        SecretKind::BankCard => {
            let total = v.chars().filter(char::is_ascii_digit).count();
            let mut seen = 0;
            v.chars()
                .map(|c| {
                    if !c.is_ascii_digit() {
                        return c;
                    }
                    seen += 1;
                    if seen <= 4 || seen > total - 4 {
                        c
                    } else {
                        '*'
                    }
                })
                .collect()
        }
        SecretKind::CnId => format!("{}********{}", &v[..6], &v[14..]),
        SecretKind::Password => "********".to_string(),
        SecretKind::Code => "******".to_string(),
        SecretKind::Cvv => "***".to_string(),
    }
}
