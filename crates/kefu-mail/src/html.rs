//! HTML to readable plain text, for mails that carry only a text/html body.
//!
//! mail-parser has a converter of its own, but it only breaks lines at `<br>` and
//! `</p>`: a `<div>`-built mail (Gmail, Outlook, QQ Mail, every newsletter) comes
//! out as one long line, and quoted history in `<blockquote>` is not marked, so
//! it could not be trimmed. This one keeps block structure as line breaks and
//! writes quoted history (`<blockquote type="cite">`, Gmail's `gmail_quote`,
//! any blockquote whose class says "quote") as `> ` lines, which
//! [`crate::trim_quoted`] removes. Other blockquotes are just indented text: a
//! marketplace notice puts the buyer's own words in one.
//! It is not a browser: it does not build a tree, it reads tags in order and is
//! forgiving of unclosed or stray tags.

/// Tags whose content is never shown.
const HIDDEN: &[&str] = &["head", "script", "style", "template", "title", "noscript"];
/// Tags that end the current line.
const LINE: &[&str] = &[
    "br", "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "center",
    "table", "ul", "ol", "address", "figure", "form",
];
/// Tags that stand apart from what surrounds them by a blank line.
const PARAGRAPH: &[&str] = &["p", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre"];

/// Converts an HTML document or fragment to plain text.
pub fn html_to_text(html: &str) -> String {
    let mut out = TextOut::default();
    let mut rest = html;
    // Where the next '>' is, remembered so that text full of stray '<' is not
    // searched again and again (linear time on hostile input).
    let mut next_gt: Option<usize> = None;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            out.text(rest);
            break;
        };
        out.text(&rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let offset = html.len() - rest.len();
        let gt_abs = match next_gt {
            Some(gt) if gt > offset => Some(gt),
            _ => rest.find('>').map(|gt| offset + gt),
        };
        next_gt = gt_abs;
        let Some(gt) = gt_abs.map(|g| g - offset) else {
            // A `<` that opens no tag: show it as the character it is.
            out.text(rest);
            break;
        };
        let Some(tag) = Tag::read(&rest[1..gt]) else {
            out.text("<");
            rest = &rest[1..];
            continue;
        };
        rest = &rest[gt + 1..];
        if !tag.closing && HIDDEN.contains(&tag.name.as_str()) {
            rest = skip_past_close(rest, &tag.name);
            continue;
        }
        out.tag(&tag);
    }
    out.finish()
}

/// One tag's name (lower case), whether it closes, and its attributes as written.
struct Tag {
    name: String,
    closing: bool,
    attributes: String,
}

impl Tag {
    /// Reads the inside of `<…>`; `None` when it is not a tag (e.g. `a < b`).
    fn read(inner: &str) -> Option<Tag> {
        let (closing, inner) = match inner.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, inner),
        };
        if inner.starts_with('!') || inner.starts_with('?') {
            // <!DOCTYPE …>, <?xml …?>: a tag with nothing to show.
            return Some(Tag {
                name: String::new(),
                closing,
                attributes: String::new(),
            });
        }
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let attributes = inner[name.len()..].to_ascii_lowercase();
        Some(Tag {
            name,
            closing,
            attributes,
        })
    }
}

/// Skips to just after `</name…>` (any case), or to the end when it never closes.
fn skip_past_close<'a>(s: &'a str, name: &str) -> &'a str {
    let mut from = 0;
    while let Some(rel) = s[from..].find("</") {
        let at = from + rel;
        let candidate = s.as_bytes().get(at + 2..at + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return s[at..].find('>').map_or("", |gt| &s[at + gt + 1..]);
        }
        from = at + 2;
    }
    ""
}

/// Builds the text: collapses whitespace the way a browser does, writes line
/// and paragraph breaks, and prefixes lines inside blockquotes with `> `.
#[derive(Default)]
struct TextOut {
    out: String,
    /// One entry per open blockquote: whether it is quoted history.
    quotes: Vec<bool>,
    pre_depth: usize,
    at_line_start: bool,
    pending_space: bool,
}

impl TextOut {
    fn text(&mut self, raw: &str) {
        let decoded = decode_entities(raw);
        for c in decoded.chars() {
            if self.pre_depth == 0 && c.is_whitespace() && c != '\u{a0}' {
                self.pending_space = true;
                continue;
            }
            if c == '\n' {
                self.line_break();
                continue;
            }
            let c = if c == '\u{a0}' { ' ' } else { c };
            if self.out.is_empty() || self.out.ends_with('\n') {
                self.at_line_start = true;
            }
            if self.at_line_start {
                for _ in self.quotes.iter().filter(|q| **q) {
                    self.out.push_str("> ");
                }
                self.at_line_start = false;
                self.pending_space = false;
            }
            if self.pending_space {
                // Chinese and Japanese text has no spaces between words: a line
                // break in the HTML source between two such characters is not one.
                let prev_cjk = self.out.chars().next_back().is_some_and(is_cjk);
                if !(self.out.ends_with(' ') || prev_cjk && is_cjk(c)) {
                    self.out.push(' ');
                }
                self.pending_space = false;
            }
            self.out.push(c);
        }
    }

    fn tag(&mut self, tag: &Tag) {
        let name = tag.name.as_str();
        match name {
            "blockquote" => {
                self.line_break();
                if tag.closing {
                    self.quotes.pop();
                } else {
                    let a = &tag.attributes;
                    self.quotes.push(a.contains("cite") || a.contains("quote"));
                }
            }
            "pre" => {
                self.paragraph_break();
                if tag.closing {
                    self.pre_depth = self.pre_depth.saturating_sub(1);
                } else {
                    self.pre_depth += 1;
                }
            }
            "td" | "th" if tag.closing => self.pending_space = true,
            _ if PARAGRAPH.contains(&name) => self.paragraph_break(),
            _ if LINE.contains(&name) => self.line_break(),
            _ => {}
        }
        if name == "li" && !tag.closing {
            self.text("-");
            self.pending_space = true;
        }
    }

    fn line_break(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.at_line_start = true;
        self.pending_space = false;
    }

    fn paragraph_break(&mut self) {
        self.line_break();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn finish(self) -> String {
        let mut lines: Vec<&str> = Vec::new();
        let mut blank_run = 0;
        for line in self.out.lines() {
            let line = line.trim_end();
            if line.is_empty() || line.chars().all(|c| c == '>' || c == ' ') {
                blank_run += 1;
                if blank_run > 1 {
                    continue;
                }
                lines.push("");
            } else {
                blank_run = 0;
                lines.push(line);
            }
        }
        lines.join("\n").trim_matches('\n').to_string()
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2e80}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}')
}

/// Decodes character references: numeric ones and the named ones mail uses.
fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .char_indices()
            .take(10)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i + 1);
        let decoded = end.and_then(|end| entity(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return Some(char::from_u32(code).unwrap_or('\u{fffd}'));
    }
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "middot" => '·',
        "bull" => '•',
        "yen" => '¥',
        "euro" => '€',
        "pound" => '£',
        "times" => '×',
        "deg" => '°',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        "ntilde" => 'ñ',
        "iquest" => '¿',
        "iexcl" => '¡',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn blocks_become_lines_and_hidden_parts_vanish() {
        let html = "<html><head><title>T</title><style>p{color:red}</style></head><body>\
            <div>Hello&nbsp;there,</div><div>where is my <b>order</b>?</div>\
            <p>Thanks &amp; regards</p><script>alert(1)</script><!-- note --></body></html>";
        assert_eq!(
            html_to_text(html),
            "Hello there,\nwhere is my order?\n\nThanks & regards"
        );
    }

    #[test]
    fn blockquotes_become_quoted_lines() {
        let html = "<div>Yes please.</div><div class=\"gmail_quote\">On Mon, Shop wrote:<br>\
            <blockquote class=\"gmail_quote\">Shall we resend it?<br>Best</blockquote></div>";
        assert_eq!(
            html_to_text(html),
            "Yes please.\nOn Mon, Shop wrote:\n> Shall we resend it?\n> Best"
        );
        assert_eq!(
            html_to_text("<blockquote>Buyer: hi</blockquote>"),
            "Buyer: hi"
        );
    }

    #[test]
    fn no_space_is_invented_between_chinese_characters() {
        assert_eq!(
            html_to_text("<p>您好，\n请问什么时候发货？</p>"),
            "您好，请问什么时候发货？"
        );
    }

    #[test]
    fn stray_angle_brackets_and_unknown_entities_survive() {
        assert_eq!(
            html_to_text("1 < 2 &bogus; &#x4e2d;&#25991;"),
            "1 < 2 &bogus; 中文"
        );
        assert_eq!(html_to_text("a <"), "a <");
    }

    #[test]
    fn hostile_input_stays_linear() {
        let many_lt = format!("{}>", "a < ".repeat(200_000));
        assert!(html_to_text(&many_lt).starts_with("a < a < "));
        let many_styles = "<style>x</style>y".repeat(50_000);
        assert_eq!(html_to_text(&many_styles), "y".repeat(50_000));
        assert_eq!(html_to_text("<STYLE>x</Style >shown"), "shown");
    }

    #[test]
    fn lists_and_tables() {
        let html =
            "<ul><li>one</li><li>two</li></ul><table><tr><td>Qty</td><td>2</td></tr></table>";
        assert_eq!(html_to_text(html), "- one\n- two\nQty 2");
    }
}
