//! Language codes: the ISO 639-1 codes the desk knows, whatlang's languages mapped to them,
//! and the whatlang detector limited to the languages buyers write in.

use std::sync::OnceLock;

/// An ISO 639-1 code this module knows, from a tag such as `de`, `de-AT`, `zh_CN` or `EN`.
pub(super) fn known_code(tag: &str) -> Option<&'static str> {
    let primary = tag.trim().split(['-', '_']).next()?;
    KNOWN_CODES
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(primary))
}

const KNOWN_CODES: &[&str] = &[
    "zh", "en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "tr", "id", "vi", "ru", "uk", "ar",
    "th", "ja", "ko", "he", "el", "cs", "da", "fi", "no", "hu", "ro", "ms",
];

pub(super) fn whatlang_code(lang: whatlang::Lang) -> Option<&'static str> {
    use whatlang::Lang::*;
    Some(match lang {
        Eng => "en",
        Deu => "de",
        Spa => "es",
        Fra => "fr",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Rus => "ru",
        Pol => "pl",
        Swe => "sv",
        Tur => "tr",
        Ind => "id",
        Vie => "vi",
        Ara => "ar",
        Jpn => "ja",
        Kor => "ko",
        Cmn => "zh",
        Ukr => "uk",
        Tha => "th",
        _ => return None,
    })
}

/// whatlang limited to the languages marketplace buyers write in: scoring every language it
/// knows made detection the most expensive step of ingesting a message.
pub(super) fn detector() -> &'static whatlang::Detector {
    static DETECTOR: OnceLock<whatlang::Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        use whatlang::Lang::*;
        whatlang::Detector::with_allowlist(vec![
            Eng, Deu, Spa, Fra, Ita, Por, Nld, Pol, Swe, Tur, Ind, Vie, Rus, Ukr, Ara, Tha, Jpn,
            Kor, Cmn,
        ])
    })
}
