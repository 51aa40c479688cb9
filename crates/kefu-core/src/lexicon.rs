//! Phrase lists matched the way buyers write: one home for the folding and matching that the
//! rulebook's checks on buyers' messages share (PDD-NO-ABUSE's insults, KPI-REPEAT-5's
//! complaints).
//!
//! A lexicon is text: one phrase per line, `#` starts a comment, and a `[name]` line starts a
//! section whose name every following phrase carries (a complaint's cause, say). Matching folds
//! case and full-width forms and drops the spaces and punctuation buyers put between CJK
//! characters ("傻 逼" is "傻逼"); a Latin phrase must stand as whole words ("idiot" does not
//! match "idiotproof").

/// One phrase of a lexicon: as written, folded, and the section it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub text: String,
    pub section: Option<String>,
    folded: String,
    cjk: bool,
}

/// A parsed phrase list.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    phrases: Vec<Phrase>,
}

impl Lexicon {
    /// Reads a lexicon's text (see the module's documentation for the format).
    pub fn parse(text: &str) -> Lexicon {
        let mut section = None;
        let mut phrases = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = Some(name.trim().to_string());
                continue;
            }
            let folded = fold(line).trim().to_string();
            if folded.is_empty() {
                continue;
            }
            phrases.push(Phrase {
                text: line.to_string(),
                section: section.clone(),
                cjk: folded.chars().any(is_cjk),
                folded,
            });
        }
        Lexicon { phrases }
    }

    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// The first phrase (in the lexicon's order) that `text` contains.
    pub fn find(&self, text: &str) -> Option<&Phrase> {
        let folded = fold(text);
        self.phrases.iter().find(|p| p.occurs_in(&folded))
    }

    /// Every phrase `text` contains, in the lexicon's order.
    pub fn find_all(&self, text: &str) -> Vec<&Phrase> {
        let folded = fold(text);
        self.phrases
            .iter()
            .filter(|p| p.occurs_in(&folded))
            .collect()
    }
}

impl Phrase {
    fn occurs_in(&self, folded: &str) -> bool {
        if self.cjk {
            folded.contains(&self.folded)
        } else {
            // Whole words: a space or a CJK character on either side ("打12315" is a word
            // after a Chinese one); the folded text is padded with spaces.
            let boundary = |c: Option<char>| c.is_none_or(|c| c == ' ' || is_cjk(c));
            folded.match_indices(&self.folded).any(|(i, _)| {
                boundary(folded[..i].chars().next_back())
                    && boundary(folded[i + self.folded.len()..].chars().next())
            })
        }
    }
}

/// Lower case, full-width ASCII to half-width, any run of non-alphanumerics as one space (a
/// `*` inside a word is kept, "f***"), CJK text without the separators buyers put between
/// characters; padded with a space at both ends.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_alphanumeric() || (c == '*' && !out.ends_with(' ')) {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    // Chinese has no spaces: a space next to a CJK character is padding a buyer used to
    // dodge a filter, or punctuation, and goes.
    let chars: Vec<char> = out.chars().collect();
    let mut folded = String::with_capacity(out.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' && i > 0 && i + 1 < chars.len() {
            let (prev, next) = (chars[i - 1], chars[i + 1]);
            if is_cjk(prev) || is_cjk(next) {
                continue;
            }
        }
        folded.push(c);
    }
    folded
}

/// Han, kana and hangul.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{AC00}'..='\u{D7AF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# a comment\nidiot\n[logistics]\n没动\nnever arrived\n\n[quality]\nf***\n";

    #[test]
    fn sections_and_comments() {
        let l = Lexicon::parse(LIST);
        assert_eq!(l.len(), 4);
        assert_eq!(
            l.find("快递三天 没 动了").unwrap().section.as_deref(),
            Some("logistics")
        );
        assert_eq!(l.find("Idiot!").unwrap().section, None);
        assert_eq!(l.find("It NEVER   arrived.").unwrap().text, "never arrived");
        assert_eq!(
            l.find("f*** this").unwrap().section.as_deref(),
            Some("quality")
        );
    }

    #[test]
    fn latin_phrases_are_whole_words_and_folding_is_wide() {
        let l = Lexicon::parse(LIST);
        assert!(l.find("idiotproof packaging").is_none());
        assert!(l.find("ＩＤＩＯＴ").is_some());
        assert!(l.find("it arrived, never mind").is_none());
        assert_eq!(l.find_all("idiot, it never arrived").len(), 2);
        assert!(l.find("你这个idiot").is_some());
    }
}
