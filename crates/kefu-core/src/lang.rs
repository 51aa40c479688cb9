//! Language detection for buyer messages: enough to pick a template variant and an agent who
//! speaks the language (LANG-LOCAL), not a linguistic study.

/// Returns an ISO 639-1 code ("zh", "en", "de", "es", "fr", …) or `None` when the text is too
/// short or mixed to tell.
///
/// Han characters decide Chinese at once: whatlang confuses short Chinese with Japanese, and
/// Chinese buyers on Taobao often write only a few characters. Kana decides Japanese.
pub fn detect_language(text: &str) -> Option<&'static str> {
    let mut han = 0usize;
    let mut kana = 0usize;
    let mut hangul = 0usize;
    let mut letters = 0usize;
    for c in text.chars() {
        match c {
            '\u{3040}'..='\u{30ff}' => kana += 1,
            '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' => han += 1,
            '\u{ac00}'..='\u{d7af}' => hangul += 1,
            c if c.is_alphabetic() => letters += 1,
            _ => {}
        }
    }
    if kana > 0 {
        return Some("ja");
    }
    if hangul > 0 && hangul >= han {
        return Some("ko");
    }
    if han > 0 && han * 2 >= letters / 4 {
        return Some("zh");
    }
    if letters < 3 {
        return None;
    }
    // The opening of a message tells its language as well as the whole of it, at a fraction
    // of the cost for long emails.
    let sample = match text.char_indices().nth(400) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let info = detector().detect(sample)?;
    use whatlang::Lang::*;
    let code = match info.lang() {
        Eng => "en",
        Deu => "de",
        Spa => "es",
        Fra => "fr",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Rus => "ru",
        Pol => "pl",
        Tur => "tr",
        Ara => "ar",
        Jpn => "ja",
        Kor => "ko",
        Cmn => "zh",
        Ukr => "uk",
        Tha => "th",
        _ => return None,
    };
    // Short Latin-script text is easily misread; fall back to English only when whatlang is
    // unsure and the text is plain ASCII, the common case on eBay.
    if !info.is_reliable() && text.is_ascii() && letters < 40 {
        return Some("en");
    }
    Some(code)
}

/// whatlang limited to the languages marketplace buyers write in: scoring every language it
/// knows made detection the most expensive step of ingesting a message.
fn detector() -> &'static whatlang::Detector {
    static DETECTOR: std::sync::OnceLock<whatlang::Detector> = std::sync::OnceLock::new();
    DETECTOR.get_or_init(|| {
        use whatlang::Lang::*;
        whatlang::Detector::with_allowlist(vec![
            Eng, Deu, Spa, Fra, Ita, Por, Nld, Pol, Swe, Tur, Ind, Vie, Rus, Ukr, Ara, Tha, Jpn,
            Kor, Cmn,
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::detect_language;

    #[test]
    fn detects_the_buyers_languages() {
        assert_eq!(detect_language("亲，我的快递怎么还没到？"), Some("zh"));
        assert_eq!(detect_language("退款"), Some("zh"));
        assert_eq!(
            detect_language("Hello, my package has not arrived yet, can you check the tracking?"),
            Some("en")
        );
        assert_eq!(
            detect_language(
                "Hallo, mein Paket ist noch nicht angekommen. Können Sie bitte nachsehen?"
            ),
            Some("de")
        );
        assert_eq!(
            detect_language(
                "Hola, mi paquete todavía no ha llegado. ¿Pueden revisar el envío por favor?"
            ),
            Some("es")
        );
        assert_eq!(detect_language("??"), None);
        assert_eq!(
            detect_language(
                "Bonjour, mon colis n'est toujours pas arrivé. Pouvez-vous vérifier le suivi ?"
            ),
            Some("fr")
        );
        assert_eq!(
            detect_language("Здравствуйте, моя посылка ещё не пришла. Проверьте, пожалуйста."),
            Some("ru")
        );
    }
}
