//! The parts of building a phrase set that run after the phrases are read.

use super::*;

/// Per pattern: whether its first and its last character belong to a word (so a word
/// boundary must be checked on that side).
pub(super) fn word_edges(patterns: &[String]) -> Vec<(bool, bool)> {
    patterns
        .iter()
        .map(|p| {
            let first = p.chars().next().is_some_and(is_word_char);
            let last = p.chars().next_back().is_some_and(is_word_char);
            (first, last)
        })
        .collect()
}

/// The automata a reply runs through: per Latin-script language (its phrases, English's,
/// the Latin-script Chinese ones and the language-free ones), all Latin-script phrases (for
/// a reply of unknown language), and the Han phrases.
pub(super) fn automata(
    patterns: &[String],
    entries: &[Vec<Entry>],
) -> ([Automaton1; 4], Automaton1, Automaton1) {
    let (han, latin): (Vec<usize>, Vec<usize>) =
        (0..patterns.len()).partition(|&i| patterns[i].chars().any(is_cjk));
    let for_lang = |l: Lang| {
        let ids = latin
            .iter()
            .copied()
            .filter(|&i| {
                entries[i].iter().any(|e| match e.lang {
                    None => true,
                    Some(el) => el == l || el == Lang::En || el == Lang::Zh,
                })
            })
            .collect();
        Automaton1::new(ids)
    };
    let latin_for = [
        for_lang(Lang::En),
        for_lang(Lang::De),
        for_lang(Lang::Fr),
        for_lang(Lang::Es),
    ];
    (latin_for, Automaton1::new(latin), Automaton1::new(han))
}

/// The shop's required phrases, each once per language.
pub(super) fn shop_required(entries: &[Vec<Entry>]) -> Vec<(Option<Lang>, String)> {
    let mut required: Vec<(Option<Lang>, String)> = Vec::new();
    for en in entries.iter().flatten() {
        if en.cat == Cat::ShopRequired
            && let Some(t) = &en.tag
            && !required.iter().any(|(l, p)| *l == en.lang && p == t)
        {
            required.push((en.lang, t.clone()));
        }
    }
    required
}
