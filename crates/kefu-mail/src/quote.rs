//! Trimming quoted history and signatures off a reply, so that an agent (and the
//! rules, the guard, the search index) see what the buyer wrote this time.
//!
//! Mail clients mark history in a few ways, and buyers use all of them:
//!
//! - an attribution line before the quote: Gmail and Apple Mail "On … wrote:",
//!   German "Am … schrieb …:", French "Le … a écrit :", Spanish "El … escribió:",
//!   Chinese Gmail "在 2026年11月11日周二 10:00，… 写道：" (Gmail wraps long ones
//!   over two or three lines, so up to three lines are read together);
//! - a separator: Outlook "-----Original Message-----" and its translations,
//!   QQ Mail / Foxmail "------------------ 原始邮件 ------------------", Outlook's
//!   row of underscores before a header block;
//! - a header block without separator: Outlook and Foxmail "From: … Sent: …",
//!   "发件人: … 发送时间: …", "Von: … Gesendet: …", "De : … Envoyé : …";
//! - `>` at the start of each quoted line;
//! - a signature after "-- ", or a phone's "Sent from my iPhone".
//!
//! A separator, header block or signature starts history that runs to the end,
//! so everything from it is cut. An attribution followed by `>` lines may be a
//! bottom-posted reply with the buyer's text below, so only the attribution and
//! the `>` lines go. Whatever happens, the buyer's words are never all lost: if
//! trimming leaves nothing, the whole text is kept.

/// Removes quoted earlier messages and signatures from a reply's text.
///
/// Line ends are normalised to `\n`, trailing spaces and runs of blank lines are
/// collapsed. If nothing would be left, the whole (normalised) text is returned.
pub fn trim_quoted(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = normalised.lines().collect();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_signature(line) || is_separator(&lines[i..]) || is_header_block(&lines[i..]) {
            break;
        }
        if let Some(span) = attribution_span(&lines[i..]) {
            let next = lines[i + span..].iter().find(|l| !l.trim().is_empty());
            if next.is_some_and(|l| is_quoted(l)) {
                // Bottom-posting is possible: drop the attribution, keep reading.
                i += span;
                continue;
            }
            break;
        }
        if !is_quoted(line) {
            kept.push(line);
        }
        i += 1;
    }
    let trimmed = tidy(&kept);
    if trimmed.is_empty() {
        tidy(&lines)
    } else {
        trimmed
    }
}

/// Joins lines, dropping trailing spaces, blank runs, and blank lines at either end.
fn tidy(lines: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(lines.len());
    for line in lines {
        let line = line.trim_end();
        if line.is_empty() && out.last().is_none_or(|l: &&str| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// "-- " (RFC 3676's delimiter, often stripped to "--") or a phone's signature.
fn is_signature(line: &str) -> bool {
    if line == "-- " || line == "--" {
        return true;
    }
    if line.len() > 240 {
        return false;
    }
    let l = line.trim().to_lowercase();
    if l.chars().count() > 60 {
        return false;
    }
    const STARTS: &[&str] = &[
        "sent from my ",
        "get outlook for ",
        "发自我的",
        "發自我的",
        "从我的 iphone 发送",
        "從我的 iphone 傳送",
        "发自网易邮箱",
        "发自 网易邮箱",
        "envoyé de mon ",
        "enviado desde mi ",
        "enviado do meu ",
        "inviato da ",
    ];
    STARTS.iter().any(|s| l.starts_with(s))
        || (l.starts_with("von meinem ") && l.ends_with("gesendet"))
}

/// Words that name the earlier message inside a dashed separator line.
const ORIGINAL: &[&str] = &[
    "original message",
    "original",
    "forwarded message",
    "ursprüngliche nachricht",
    "weitergeleitete nachricht",
    "message d'origine",
    "message d’origine",
    "message transféré",
    "mensaje original",
    "mensaje reenviado",
    "mensagem original",
    "messaggio originale",
    "oorspronkelijk bericht",
    "原始邮件",
    "原始郵件",
    "转发邮件",
    "轉寄郵件",
    "邮件原文",
];

/// A dashed line naming the original message, or Outlook's row of underscores
/// with a header block right after it.
fn is_separator(lines: &[&str]) -> bool {
    let l = lines[0].trim();
    let dashed = |c: char| c == '-' || c == '—';
    if l.starts_with("--") || l.starts_with("——") {
        // Both ends dashed, so "-- original price was 5" in a buyer's text is not one.
        if !l.ends_with(dashed) || l.len() > 120 {
            return false;
        }
        let lower = l.to_lowercase();
        return ORIGINAL.iter().any(|w| lower.contains(w));
    }
    if l.len() >= 10 && l.chars().all(|c| c == '_') {
        let rest: Vec<&str> = lines[1..]
            .iter()
            .copied()
            .filter(|l| !l.trim().is_empty())
            .take(2)
            .collect();
        return rest.iter().any(|l| header_label(l).is_some());
    }
    false
}

/// Which side of a header block a label is on.
#[derive(PartialEq)]
enum Label {
    From,
    Other,
}

/// Reads "Label: value" (ASCII or full-width colon, Outlook's "*From:*" bold
/// marks tolerated) and tells whether the label is a quoted-header one.
fn header_label(line: &str) -> Option<Label> {
    let l = line.trim().trim_start_matches('*');
    let colon = l.find([':', '：'])?;
    let label = l[..colon]
        .trim()
        .trim_end_matches('*')
        .trim()
        .to_lowercase();
    const FROM: &[&str] = &[
        "from",
        "发件人",
        "寄件者",
        "寄件人",
        "von",
        "de",
        "van",
        "da",
        "от",
    ];
    const OTHER: &[&str] = &[
        "sent",
        "date",
        "to",
        "subject",
        "cc",
        "发送时间",
        "时间",
        "日期",
        "收件人",
        "主题",
        "抄送",
        "寄件日期",
        "收件者",
        "主旨",
        "副本",
        "gesendet",
        "datum",
        "an",
        "betreff",
        "envoyé",
        "à",
        "objet",
        "enviado",
        "enviado el",
        "fecha",
        "para",
        "asunto",
        "verzonden",
        "aan",
        "onderwerp",
        "inviato",
        "oggetto",
        "a",
        "отправлено",
        "кому",
        "тема",
    ];
    if FROM.contains(&label.as_str()) {
        Some(Label::From)
    } else if OTHER.contains(&label.as_str()) {
        Some(Label::Other)
    } else {
        None
    }
}

/// A "From:" line with at least one more quoted-header line among the next few.
fn is_header_block(lines: &[&str]) -> bool {
    if header_label(lines[0]) != Some(Label::From) {
        return false;
    }
    lines[1..]
        .iter()
        .take(5)
        .any(|l| header_label(l) == Some(Label::Other))
}

/// If an attribution line (possibly wrapped over up to three lines) starts here,
/// how many lines it spans.
fn attribution_span(lines: &[&str]) -> Option<usize> {
    let mut joined = String::new();
    for (n, line) in lines.iter().take(3).enumerate() {
        if line.len() > 1200 {
            // Far longer than any attribution (even at 3 bytes a character).
            return None;
        }
        if n > 0 && line.trim().is_empty() {
            return None;
        }
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(line.trim());
        if is_attribution(&joined) {
            return Some(n + 1);
        }
        if n == 0 && !opens_attribution(&joined) {
            // Only a line that starts like one may be continued on the next.
            return None;
        }
    }
    None
}

fn opens_attribution(s: &str) -> bool {
    ["On ", "Am ", "Le ", "El ", "Em ", "Il ", "Op ", "在"]
        .iter()
        .any(|p| s.starts_with(p))
        || s.contains('<')
}

fn is_attribution(s: &str) -> bool {
    let s = s.replace('\u{a0}', " ");
    let s = s.trim();
    if s.chars().count() > 400 {
        return false;
    }
    let ends = |tail: &str| s.ends_with(tail);
    let between = |head: &str, tail: &str| s.starts_with(head) && s.ends_with(tail);
    between("On ", "wrote:")
        || between("Am ", ":") && s.contains(" schrieb")
        || between("Le ", "a écrit :")
        || between("Le ", "a écrit:")
        || between("El ", "escribió:")
        || between("Em ", "escreveu:")
        || between("Il ", "ha scritto:")
        || between("Op ", ":") && s.contains(" schreef")
        || ends("写道：")
        || ends("写道:")
        || ends("寫道：")
        || ends("寫道:")
        // "shop@example.com wrote:", "Shop <…> wrote:" and dated forms without "On".
        || ends("wrote:") && s.contains(['@', '<']) && s.len() < 200
}

#[cfg(test)]
mod tests {
    use super::trim_quoted;

    #[test]
    fn gmail_english() {
        let t = "Thanks, that works.\r\n\r\nOn Tue, Nov 11, 2026 at 10:00 AM Shop <shop@example.com> wrote:\r\n> Can we refund?\r\n";
        assert_eq!(trim_quoted(t), "Thanks, that works.");
    }

    #[test]
    fn gmail_wrapped_attribution_without_quote_marks() {
        let t = "Still waiting.\n\nOn Tue, Nov 11, 2026 at 10:00 AM Very Long Shop Name <\nservice@very-long-shop.example.com> wrote:\n\nEarlier text";
        assert_eq!(trim_quoted(t), "Still waiting.");
    }

    #[test]
    fn outlook_original_message_and_header_block() {
        let t = "Please cancel.\n\n-----Original Message-----\nFrom: Shop\nSent: Monday\nHello";
        assert_eq!(trim_quoted(t), "Please cancel.");
        let t = "Bitte stornieren.\n\n________________________________\nVon: Shop <a@b.de>\nGesendet: Montag\nAn: ich\nBetreff: Bestellung\n\nHallo";
        assert_eq!(trim_quoted(t), "Bitte stornieren.");
        let t = "Merci.\n\n*De :* Boutique <a@b.fr>\n*Envoyé :* lundi\n*À :* moi\n";
        assert_eq!(trim_quoted(t), "Merci.");
    }

    #[test]
    fn qq_mail_and_foxmail() {
        let t = "好的，谢谢\n\n------------------ 原始邮件 ------------------\n发件人: \"店铺\"<shop@example.com>;\n发送时间: 2026年11月11日(星期二) 上午10:00\n收件人: \"我\"<me@qq.com>;\n主题: 回复：订单\n\n您好";
        assert_eq!(trim_quoted(t), "好的，谢谢");
        let t = "收到\n\n发件人：店铺\n发送时间：2026-11-11 10:00\n收件人：我\n主题：订单";
        assert_eq!(trim_quoted(t), "收到");
    }

    #[test]
    fn chinese_gmail_and_other_languages() {
        for (t, want) in [
            (
                "什么时候发货？\n\n在 2026年11月11日周二 10:00，店铺 <shop@example.com> 写道：\n> 您好",
                "什么时候发货？",
            ),
            (
                "Wo ist das Paket?\n\nAm 11.11.2026 um 10:00 schrieb Shop <shop@example.com>:\n> Hallo",
                "Wo ist das Paket?",
            ),
            (
                "Où est le colis ?\n\nLe mar. 11 nov. 2026 à 10:00, Shop <shop@example.com> a écrit :\n> Bonjour",
                "Où est le colis ?",
            ),
            (
                "¿Dónde está?\n\nEl mar, 11 nov 2026 a las 10:00, Shop (<shop@example.com>) escribió:\n> Hola",
                "¿Dónde está?",
            ),
            (
                "Ok\n\nOn Nov 11, 2026, at 10:00, Shop <shop@example.com> wrote:\n\n> Hi",
                "Ok",
            ),
        ] {
            assert_eq!(trim_quoted(t), want, "{t}");
        }
    }

    #[test]
    fn bottom_posted_and_interleaved_replies_keep_the_buyers_lines() {
        let t = "On Mon, Shop <s@x.com> wrote:\n> Which colour?\n\nRed, please.\n> And size?\nM\n";
        assert_eq!(trim_quoted(t), "Red, please.\nM");
    }

    #[test]
    fn signatures() {
        assert_eq!(
            trim_quoted("Where is it?\n-- \nJohn Smith\nACME"),
            "Where is it?"
        );
        assert_eq!(trim_quoted("在哪里？\n\n发自我的iPhone"), "在哪里？");
        assert_eq!(trim_quoted("Wo?\n\nVon meinem iPhone gesendet"), "Wo?");
    }

    #[test]
    fn never_trims_everything() {
        let t = "> only a quote\n> nothing else";
        assert_eq!(trim_quoted(t), t);
        let t = "-----Original Message-----\nFrom: a\nSent: b\n";
        assert_eq!(
            trim_quoted(t),
            "-----Original Message-----\nFrom: a\nSent: b"
        );
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        let t = "From: Berlin, I ordered two.\nOn Monday it was not there.\nTo be clear: refund.";
        assert_eq!(trim_quoted(t), t);
    }
}
