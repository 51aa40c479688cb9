use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::{features, stem, wants_human};
use crate::{Faq, FaqIndex, normalize, presets};

fn faq(id: &str, language: &str, questions: &[&str], answer: &str) -> Faq {
    Faq {
        id: id.to_string(),
        language: language.to_string(),
        questions: questions.iter().map(|q| q.to_string()).collect(),
        answer: answer.to_string(),
    }
}

fn terms(text: &str) -> BTreeSet<String> {
    features(text).into_iter().map(|(t, _)| t).collect()
}

#[test]
fn normalize_folds_width_case_accents_and_punctuation() {
    assert_eq!(
        normalize("ＯＲＤＥＲ １２３，快递到哪了？"),
        "order 123 快递到哪了"
    );
    assert_eq!(normalize("Where's my PARCEL?!"), "where my parcel");
    assert_eq!(normalize("I don't know"), "i dont know");
    assert_eq!(normalize("Größe / Rückerstattung"), "grosse ruckerstattung");
    assert_eq!(normalize("¿Dónde está mi envío?"), "donde esta mi envio");
    assert_eq!(normalize("pre-order, e-mail"), "preorder email");
    assert_eq!(normalize("  亲　　在吗  "), "亲 在吗");
    assert_eq!(normalize("😀🎉!!"), "");
    assert_eq!(normalize(""), "");
}

#[test]
fn normalize_reads_at_most_max_chars() {
    let long = "a".repeat(crate::MAX_CHARS * 3);
    assert_eq!(normalize(&long).len(), crate::MAX_CHARS);
}

#[test]
fn stemmer_sends_inflections_to_one_stem() {
    for group in [
        &["refund", "refunds", "refunded", "refunding"][..],
        &["ship", "ships", "shipped", "shipping", "shipment"],
        &["order", "orders", "ordered", "ordering"],
        &["deliver", "delivery", "deliveries", "delivered"],
        &["address", "addresses"],
        &["bestellung", "bestellungen", "bestellen"],
        &["pedido", "pedidos"],
        &["enviar", "envio", "enviado"],
    ] {
        let stems: BTreeSet<String> = group.iter().map(|w| stem(w)).collect();
        assert_eq!(stems.len(), 1, "{group:?} → {stems:?}");
    }
    // Short words and non-Latin words are left alone.
    assert_eq!(stem("box"), "box");
    assert_eq!(stem("посылка"), "посылка");
}

#[test]
fn features_drop_filler_numbers_and_map_synonyms() {
    assert!(terms("亲，在吗？").is_empty());
    assert!(terms("hello, thanks!").is_empty());
    let t = terms("快递到哪了 order 123456");
    assert!(t.contains("@parcel") && t.contains("@where") && t.contains("@order"));
    assert!(!t.iter().any(|term| term.contains("123")), "{t:?}");
    // The same concept in four languages.
    for word in ["退款", "refund", "Rückerstattung", "reembolso"] {
        assert!(terms(word).contains("@refund"), "{word}");
    }
    for word in ["快递", "物流", "包裹", "parcel", "package"] {
        assert!(terms(word).contains("@parcel"), "{word}");
    }
    // A unit keeps what a number was about.
    assert!(terms("170cm 60kg").contains("cm"));
    // Compounds stand for two concepts.
    let t = terms("运费");
    assert!(t.contains("@ship") && t.contains("@cost"));
}

#[test]
fn escalation_is_recognised_in_each_language() {
    for text in [
        "转人工",
        "我要投诉",
        "I want to talk to a real person",
        "this is a scam",
        "Ich will mit einem Menschen sprechen",
        "quiero hablar con un humano",
    ] {
        assert!(wants_human(text), "{text}");
    }
    for text in [
        "我的快递到哪了",
        "Where is my parcel?",
        "How can I contact customer service?",
    ] {
        assert!(!wants_human(text), "{text}");
    }
}

fn small_index() -> FaqIndex {
    FaqIndex::build(vec![
        faq(
            "tracking",
            "zh",
            &["我的快递到哪了", "物流不更新"],
            "zh tracking",
        ),
        faq("tracking", "en", &["Where is my parcel?"], "en tracking"),
        faq("tracking", "de", &["Wo ist mein Paket?"], "de tracking"),
        faq("invoice", "zh", &["能开发票吗"], "zh invoice"),
        faq("invoice", "en", &["Can I get an invoice?"], "en invoice"),
        faq("hours", "zh", &["客服几点上班"], "zh hours"),
    ])
}

#[test]
fn answer_follows_the_buyers_language_then_english_then_any() {
    let index = small_index();
    // The buyer's language when the FAQ has it, whatever language matched.
    let m = index.best("where is my parcel", Some("de")).unwrap();
    assert_eq!(
        (m.id.as_str(), m.answer.as_str()),
        ("tracking", "de tracking")
    );
    let m = index.best("我的包裹到哪了", Some("en")).unwrap();
    assert_eq!((m.id.as_str(), m.language.as_str()), ("tracking", "en"));
    // Region subtags and case are ignored.
    let m = index.best("快递到哪了", Some("zh-CN")).unwrap();
    assert_eq!(m.answer, "zh tracking");
    let m = index.best("快递到哪了", Some("EN")).unwrap();
    assert_eq!(m.answer, "en tracking");
    // No German invoice: English.
    let m = index.best("invoice please", Some("de")).unwrap();
    assert_eq!((m.id.as_str(), m.language.as_str()), ("invoice", "en"));
    // Neither French nor English: the entry that matched.
    let m = index.best("客服什么时候上班", Some("fr")).unwrap();
    assert_eq!((m.id.as_str(), m.language.as_str()), ("hours", "zh"));
    // No language given: the language of the variant that matched.
    let m = index.best("Wo ist mein Paket", None).unwrap();
    assert_eq!(m.language, "de");
}

#[test]
fn top_ranks_distinct_ids_and_only_the_first_is_confident() {
    let index = small_index();
    let top = index.top("快递到哪了 能开发票吗", Some("zh"), 5);
    assert!(top.len() >= 2);
    let ids: BTreeSet<&str> = top.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), top.len());
    assert!(top.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(top.iter().skip(1).all(|m| !m.confident));
    assert!(index.top("快递到哪了", Some("zh"), 0).is_empty());
    assert_eq!(index.ids(), ["tracking", "invoice", "hours"]);
}

#[test]
fn empty_index_answers_nothing() {
    let index = FaqIndex::build(Vec::new());
    assert!(index.is_empty());
    assert_eq!(index.len(), 0);
    assert!(index.best("我的快递到哪了", Some("zh")).is_none());
    assert!(index.top("where is my parcel", None, 3).is_empty());
    // Entries without usable questions or ids do not break the index either.
    let index = FaqIndex::build(vec![
        faq("", "en", &["Where is my parcel?"], "no id"),
        faq("x", "en", &[], "no questions"),
        faq("y", "en", &["!!!", "😀"], "nothing to match"),
    ]);
    assert_eq!(index.len(), 2);
    assert!(index.best("Where is my parcel?", Some("en")).is_none());
}

#[test]
fn odd_input_never_panics() {
    let index = FaqIndex::build(presets());
    let long_zh = "我的快递到哪了？".repeat(1300); // ~10 KB
    let long_en = "where is my parcel ".repeat(540); // ~10 KB
    let inputs = [
        String::new(),
        " ".to_string(),
        "😀😀😀".to_string(),
        "🙏🏻📦❓".to_string(),
        "？？？！！！".to_string(),
        "\u{0}\u{1}\u{7f}\u{feff}".to_string(),
        "e\u{301}\u{301}\u{301}".to_string(),
        "مرحبا أين طردي".to_string(),
        "где моя посылка".to_string(),
        "ㅋㅋㅋ 배송 언제".to_string(),
        "'''---```".to_string(),
        "a-b-c-'s".to_string(),
        "12345678901234567890".to_string(),
        long_zh,
        long_en,
    ];
    for input in &inputs {
        for language in [None, Some("zh"), Some("en"), Some(""), Some("x-klingon")] {
            let best = index.best(input, language);
            let top = index.top(input, language, 3);
            assert_eq!(best.is_some(), !top.is_empty());
            if let Some(m) = best {
                assert!(m.score.is_finite() && (0.0..=1.0001).contains(&m.score));
            }
        }
    }
    assert!(index.best("", Some("zh")).is_none());
    assert!(index.best("😀😀😀", Some("en")).is_none());
    // A long question still finds its topic (only the first MAX_CHARS are read).
    let m = index
        .best(&"where is my parcel ".repeat(540), Some("en"))
        .unwrap();
    assert_eq!(m.id, "tracking");
}

#[test]
fn escalation_is_never_confident() {
    let index = FaqIndex::build(presets());
    for (q, lang) in [
        ("收到就是坏的 我要投诉你们", "zh"),
        ("转人工 快递到哪了", "zh"),
        (
            "my parcel is damaged, this is a scam, I want a real person",
            "en",
        ),
    ] {
        let m = index.best(q, Some(lang));
        assert!(m.is_none_or(|m| !m.confident), "{q}");
    }
}

#[test]
fn presets_cover_twenty_ids_in_four_languages() {
    let all = presets();
    let mut by_id: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in &all {
        assert!(
            by_id.entry(&f.id).or_default().insert(&f.language),
            "{} {} twice",
            f.id,
            f.language
        );
        assert!(f.questions.len() >= 3, "{} {}", f.id, f.language);
        assert!(!f.answer.trim().is_empty());
        // Only the placeholders the desk knows how to fill.
        let mut rest = f.answer.as_str();
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').expect("closed placeholder") + start;
            let name = &rest[start + 1..end];
            assert!(
                ["order", "tracking", "carrier", "due"].contains(&name),
                "{} {}: unknown placeholder {{{name}}}",
                f.id,
                f.language
            );
            rest = &rest[end + 1..];
        }
        let lower = f.answer.to_lowercase();
        for banned in [
            "password",
            "passwort",
            "contraseña",
            "密码",
            "身份证",
            "验证码",
            "id card",
            "passport",
            "according to",
            "根据规定",
            "按规定",
            "policy",
        ] {
            assert!(!lower.contains(banned), "{} {}: {banned}", f.id, f.language);
        }
    }
    assert_eq!(by_id.len(), 20);
    for (id, languages) in &by_id {
        assert_eq!(
            languages.iter().copied().collect::<Vec<_>>(),
            ["de", "en", "es", "zh"],
            "{id}"
        );
    }
}

#[test]
fn every_preset_variant_finds_its_own_entry() {
    let index = FaqIndex::build(presets());
    let mut wrong = Vec::new();
    let mut total = 0;
    for f in presets() {
        for q in &f.questions {
            total += 1;
            let m = index
                .best(q, Some(&f.language))
                .expect("a variant matches something");
            if m.id != f.id {
                wrong.push(format!("{} {}: {q} → {}", f.id, f.language, m.id));
            }
            assert_eq!(m.language, f.language);
        }
    }
    assert!(wrong.is_empty(), "{} of {total}: {wrong:#?}", wrong.len());
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<FaqIndex>();
    check::<crate::FaqMatch>();
}

#[test]
fn synonym_groups_do_not_collide_after_stemming() {
    // Two groups sharing a key would silently send one word to the wrong concept (Sendung
    // → "send" → shipping instead of parcel).
    let mut owner: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for (concept, words) in &crate::analysis::LEXICON.synonyms {
        for word in words {
            let key = crate::analysis::synonym_key(word);
            if let Some(&(other, other_word)) = owner.get(&key) {
                assert_eq!(
                    other, concept,
                    "{word} ({concept}) and {other_word} ({other}) share the key {key}"
                );
            }
            owner.insert(key, (concept, word));
        }
    }
}
