//! Raw inbound mail → [`InboundMail`]: the buyer, the threading ids, the text they
//! wrote this time, and their attachments.
//!
//! mail-parser does the MIME work (multipart nesting, transfer encodings,
//! charsets, RFC 2047 headers) and never panics; this module decides what kefu
//! takes from its result, and refuses what is not a usable mail with a specific
//! [`MailError`].

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use mail_parser::{
    Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

use crate::{
    MAX_MAIL_BYTES, MailError, base64, html::html_to_text, thread::normalize_id, trim_quoted,
    words::decode_encoded_words,
};

/// One inbound mail, as kefu ingests it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboundMail {
    /// The mail's own Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// Ids from In-Reply-To (normally one: the parent), without angle brackets.
    pub in_reply_to: Vec<String>,
    /// Ids from References, oldest first as sent, without angle brackets.
    pub references: Vec<String>,
    /// The sender's address, lower-cased so that one buyer is one handle.
    pub from_address: String,
    /// The sender's display name, decoded (e.g. "王小明"), if one was given.
    pub from_name: Option<String>,
    /// The To addresses, lower-cased.
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub date: Option<DateTime<Utc>>,
    /// What the buyer wrote this time: the body text with quoted history and
    /// signature trimmed. For a mail with no body but a subject, the subject.
    pub text: String,
    /// The whole body text before trimming (line ends normalised to `\n`).
    pub full_text: String,
    pub attachments: Vec<Attachment>,
    /// The Content-Language header (of the message, else of its body part), as given.
    pub language_hint: Option<String>,
}

/// A file attached to an inbound mail (or an inline image).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: Option<String>,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// Decoded contents.
    pub data: Vec<u8>,
}

/// Parses one raw mail (as received over SMTP or read from an .eml file).
pub fn parse_inbound(raw: &[u8]) -> Result<InboundMail, MailError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(MailError::Empty);
    }
    if raw.len() > MAX_MAIL_BYTES {
        return Err(MailError::TooLarge {
            size: raw.len(),
            limit: MAX_MAIL_BYTES,
        });
    }
    // Blank lines before the headers (left by some pipes and copy-pastes) carry nothing.
    let start = raw
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(0);
    let raw = skip_envelope_line(&raw[start..]);
    check_starts_with_header(raw)?;
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(MailError::NotAMail("no header section could be read"))?;
    if !has_mail_header(&message) {
        return Err(MailError::NotAMail(
            "none of From, To, Subject, Date, Message-ID, Received or MIME-Version is present",
        ));
    }

    let (from_address, mut from_name) = sender(&message)?;
    if let Some(name) = &from_name
        && name.contains('\u{fffd}')
    {
        // An unencoded 8-bit name: decode the raw field and take what is before '<'.
        let raw_from = repair_header(&message, mail_parser::HeaderName::From, name);
        from_name = raw_from
            .split('<')
            .next()
            .map(|n| n.trim().trim_matches('"').trim().to_string())
            .filter(|n| !n.is_empty());
    }
    let subject = message
        .subject()
        .map(|s| repair_header(&message, mail_parser::HeaderName::Subject, s))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let mut full_text = body_text(&message)?;
    let attachments = attachments(&message);
    let mut text = trim_quoted(&full_text);
    if text.is_empty() && attachments.is_empty() {
        // Buyers do send a question in the subject alone ("Where is order 1234?").
        match &subject {
            Some(subject) => {
                text = subject.clone();
                full_text = subject.clone();
            }
            None => return Err(MailError::EmptyBody),
        }
    }

    Ok(InboundMail {
        message_id: message.message_id().and_then(normalize_id),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        from_address,
        from_name,
        to: message
            .all_to()
            .flat_map(Address::iter)
            .filter_map(|a| a.address())
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect(),
        subject,
        date: message.date().and_then(to_utc),
        text,
        full_text,
        attachments,
        language_hint: language(&message),
    })
}

/// Some Chinese clients write Subject and From names as raw GBK bytes, without
/// RFC 2047 encoding; mail-parser then reads them as UTF-8 with replacement
/// characters. When that happened, the field's raw bytes are decoded again; so are
/// encoded words whose charset label mail-parser did not recognise.
fn repair_header(
    message: &Message<'_>,
    name: mail_parser::HeaderName<'_>,
    decoded: &str,
) -> String {
    if !decoded.contains('\u{fffd}') {
        return decoded.to_string();
    }
    let raw = message
        .root_part()
        .headers
        .iter()
        .find(|h| h.name == name)
        .and_then(|h| {
            message
                .raw_message
                .get(h.offset_start as usize..h.offset_end as usize)
        });
    match raw {
        Some(raw) if std::str::from_utf8(raw).is_err() => {
            let text = guess_legacy_charset(raw);
            // Unfold: a folded header's line breaks are not part of its value.
            text.split(['\r', '\n'])
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        }
        // Encoded words in a charset mail-parser does not know by that name (Python
        // writes Big5 as `big5_tw`): kefu's own decoder knows the aliases.
        Some(raw) => {
            let raw = String::from_utf8_lossy(raw);
            let unfolded = raw
                .split(['\r', '\n'])
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let again = decode_encoded_words(unfolded.trim());
            if again.contains('\u{fffd}') || again.contains("=?") {
                decoded.to_string()
            } else {
                again
            }
        }
        None => decoded.to_string(),
    }
}

/// Drops an mbox "From sender date" line that local delivery agents prepend.
fn skip_envelope_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ")
        && let Some(nl) = raw.iter().position(|&b| b == b'\n')
    {
        return &raw[nl + 1..];
    }
    raw
}

/// A mail starts with a header field: a name of printable ASCII, then a colon.
/// Checking this first tells plain text and binary files from mail, which a
/// lenient parser would otherwise accept as "headers".
fn check_starts_with_header(raw: &[u8]) -> Result<(), MailError> {
    let head = &raw[..raw.len().min(4096)];
    if head.contains(&0) {
        return Err(MailError::NotAMail(
            "binary data (NUL bytes) in the header section",
        ));
    }
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let Some(colon) = first_line.iter().position(|&b| b == b':') else {
        return Err(MailError::NotAMail("the first line is not a header field"));
    };
    let name = &first_line[..colon];
    if name.is_empty() || name.len() > 76 || !name.iter().all(|b| (33..=126).contains(b)) {
        return Err(MailError::NotAMail("the first line is not a header field"));
    }
    Ok(())
}

fn has_mail_header(message: &Message<'_>) -> bool {
    use mail_parser::HeaderName as H;
    message.headers().iter().any(|h| {
        matches!(
            h.name,
            H::From
                | H::Sender
                | H::ReplyTo
                | H::To
                | H::Subject
                | H::Date
                | H::MessageId
                | H::Received
                | H::MimeVersion
        )
    })
}

/// From, else Sender, else Reply-To: the first with an address.
fn sender(message: &Message<'_>) -> Result<(String, Option<String>), MailError> {
    let from_header = message
        .header_raw("From")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let with_address = |list: Option<&Address<'_>>| -> Option<(String, Option<String>)> {
        list.into_iter()
            .flat_map(Address::iter)
            .find(|a| a.address().is_some_and(|s| !s.trim().is_empty()))
            .map(|a| {
                (
                    a.address().unwrap_or_default().to_string(),
                    a.name().map(|n| n.to_string()),
                )
            })
    };
    let found = with_address(message.from())
        // A From written as one encoded word holding "Name <addr>" (some webmail
        // clients, Python's legacy Header API): mail-parser rightly reads it as a phrase
        // with no address; decoding the words first finds the buyer's address.
        .or_else(|| from_header.and_then(address_in_encoded_words))
        .or_else(|| with_address(message.sender()))
        .or_else(|| with_address(message.reply_to()));
    let Some((address, name)) = found else {
        return Err(match from_header {
            Some(value) => MailError::InvalidSender(value.to_string()),
            None => MailError::NoSender,
        });
    };
    let address = address.trim().to_lowercase();
    let valid = address.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && (domain.contains('.') || domain == "localhost")
    }) && !address.contains(char::is_whitespace);
    if !valid {
        return Err(MailError::InvalidSender(address));
    }
    let name = name
        .map(|n| n.trim().trim_matches('"').trim().to_string())
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(&address));
    Ok((address, name))
}

/// The first address (and its name) in a From value after decoding its encoded words;
/// `None` when it has no encoded word or the decoded text holds no address either.
fn address_in_encoded_words(raw: &str) -> Option<(String, Option<String>)> {
    if !raw.contains("=?") {
        return None;
    }
    // Unfold first: the raw value may span lines.
    let unfolded: String = raw
        .split(['\r', '\n'])
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let decoded = decode_encoded_words(&unfolded);
    if decoded == unfolded {
        return None;
    }
    // The decoded value is read as a From header of its own, so quoting, comments and
    // groups are handled by the same parser as every other address.
    let header = format!("From: {decoded}\r\n\r\n");
    let parsed = MessageParser::default().parse_headers(header.as_bytes())?;
    let addr = parsed
        .from()?
        .iter()
        .find(|a| a.address().is_some_and(|s| !s.trim().is_empty()))?;
    Some((
        addr.address()?.to_string(),
        addr.name().map(|n| n.to_string()),
    ))
}

/// The body as text: the text/plain parts mail-parser chose as the body (the
/// plain alternative when there is one), else the HTML ones converted.
fn body_text(message: &Message<'_>) -> Result<String, MailError> {
    let mut damaged = None;
    let mut plain = Vec::new();
    for &id in &message.text_body {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Text(text) => match part_text(message, part, text) {
                Ok(text) => plain.push(text.into_owned()),
                Err(e) => damaged = Some(e),
            },
            PartType::Html(html) => plain.push(html_to_text(html)),
            _ => {}
        }
    }
    let mut text = join(&plain);
    if text.trim().is_empty() {
        let html: Vec<String> = message
            .html_body
            .iter()
            .filter_map(|&id| message.parts.get(id as usize))
            .filter_map(|part| match &part.body {
                PartType::Html(html) => Some(html_to_text(html)),
                _ => None,
            })
            .collect();
        text = join(&html);
    }
    match damaged {
        Some(e) if text.trim().is_empty() => Err(e),
        _ => Ok(text.trim_matches('\n').to_string()),
    }
}

fn join(parts: &[String]) -> String {
    let text = parts
        .iter()
        .map(|p| p.trim_end())
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A text part's contents, repaired where mail-parser had to give up:
/// - a transfer encoding it could not decode (it then hands back the raw
///   encoded text) is decoded leniently, and refused if that does not yield
///   text in the part's charset;
/// - 8-bit text whose charset label is missing or wrong (mail-parser then
///   decodes as UTF-8 with replacement characters) is tried as GB18030, the
///   usual unlabelled charset of Chinese mail.
fn part_text<'a>(
    message: &Message<'_>,
    part: &MessagePart<'_>,
    text: &'a str,
) -> Result<Cow<'a, str>, MailError> {
    let raw = message
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)
        .unwrap_or_default();
    let charset = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    if part.is_encoding_problem {
        let declared = part.content_transfer_encoding().unwrap_or_default();
        if declared.eq_ignore_ascii_case("base64") {
            let bytes = base64::decode_lenient(raw);
            return charset
                .decode_without_bom_handling_and_without_replacement(&bytes)
                .filter(|t| !t.contains('\0'))
                .map(|t| Cow::Owned(t.into_owned()))
                .ok_or(MailError::BadTransferEncoding { encoding: "base64" });
        }
        return Ok(Cow::Borrowed(text));
    }
    if text.contains('\u{fffd}') && std::str::from_utf8(raw).is_err() {
        return Ok(Cow::Owned(guess_legacy_charset(raw)));
    }
    Ok(Cow::Borrowed(text))
}

/// Decodes 8-bit text that is not UTF-8 whatever its label says. Chinese mail
/// (GBK / GB18030) writes each character as two high bytes; Western mail
/// (Latin-1 / Windows-1252) has single high bytes between ASCII letters. So:
/// if every run of high bytes has even length, GB18030; otherwise Windows-1252,
/// which decodes any byte.
fn guess_legacy_charset(raw: &[u8]) -> String {
    let mut run = 0;
    let mut runs_even = true;
    for &b in raw.iter().chain(std::iter::once(&b'\n')) {
        if b >= 0x80 {
            run += 1;
        } else {
            runs_even &= run % 2 == 0;
            run = 0;
        }
    }
    if runs_even
        && let Some(t) =
            encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(raw)
        // GBK's user-defined area: Latin-1 pairs such as "üß" land there, text does not.
        && !t.contains(|c| ('\u{e000}'..='\u{f8ff}').contains(&c))
    {
        return t.into_owned();
    }
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(raw)
        .0
        .into_owned()
}

/// Everything mail-parser lists as an attachment, plus binary parts it counted
/// as inline body (an image pasted into a mixed mail without a disposition).
fn attachments(message: &Message<'_>) -> Vec<Attachment> {
    let mut ids: Vec<u32> = message.attachments.clone();
    ids.extend(
        message
            .text_body
            .iter()
            .chain(&message.html_body)
            .copied()
            .filter(|&id| {
                message.parts.get(id as usize).is_some_and(|p| {
                    matches!(p.body, PartType::Binary(_) | PartType::InlineBinary(_))
                })
            }),
    );
    ids.sort_unstable();
    ids.dedup();
    ids.iter()
        .filter_map(|&id| message.parts.get(id as usize))
        .map(|part| {
            let data = if part.is_encoding_problem
                && part
                    .content_transfer_encoding()
                    .is_some_and(|e| e.eq_ignore_ascii_case("base64"))
            {
                let raw = message
                    .raw_message
                    .get(part.offset_body as usize..part.offset_end as usize)
                    .unwrap_or_default();
                base64::decode_lenient(raw)
            } else {
                part.contents().to_vec()
            };
            let content_type = part.content_type().map_or_else(
                || "text/plain".to_string(),
                |ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub).to_lowercase(),
                    None => ct.ctype().to_lowercase(),
                },
            );
            Attachment {
                filename: part
                    .attachment_name()
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty()),
                content_type,
                size: data.len(),
                data,
            }
        })
        .collect()
}

/// Ids from In-Reply-To or References, normalised, in header order.
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(|id| id.as_ref()).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for id in raw.into_iter().filter_map(normalize_id) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn to_utc(d: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    let plausible = (1..=12).contains(&d.month)
        && (1..=31).contains(&d.day)
        && d.hour < 24
        && d.minute < 60
        && d.second < 61
        && d.year >= 1970;
    if !plausible {
        return None;
    }
    DateTime::from_timestamp(d.to_timestamp(), 0)
}

fn language(message: &Message<'_>) -> Option<String> {
    let first = |v: &HeaderValue<'_>| -> Option<String> {
        match v {
            HeaderValue::Text(t) => Some(t.to_string()),
            HeaderValue::TextList(list) => list.first().map(|t| t.to_string()),
            _ => None,
        }
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    };
    first(message.root_part().content_language()).or_else(|| {
        message
            .text_body
            .first()
            .and_then(|&id| message.parts.get(id as usize))
            .and_then(|p| first(p.content_language()))
    })
}

#[cfg(test)]
mod tests {
    use super::guess_legacy_charset;

    #[test]
    fn unlabelled_8bit_text_is_told_apart() {
        let gbk = [0xC4, 0xFA, 0xBA, 0xC3, b'!']; // 您好!
        assert_eq!(guess_legacy_charset(&gbk), "您好!");
        let latin1 = b"Gr\xfc\xdfe, wo ist mein Paket?";
        assert_eq!(guess_legacy_charset(latin1), "Grüße, wo ist mein Paket?");
        let latin1 = b"Gr\xfce";
        assert_eq!(guess_legacy_charset(latin1), "Grüe");
    }
}
