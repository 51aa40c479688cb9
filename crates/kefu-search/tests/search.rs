//! Behaviour of the index through its public API: analysis, filters, replacement, deletion,
//! snippets, odd queries and persistence.

use chrono::{DateTime, Duration, TimeZone, Utc};
use kefu_search::{Doc, Query, SearchError, SearchIndex};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 1, 8, 0, 0).unwrap()
}

fn doc(message_id: i64, language: Option<&str>, body: &str) -> Doc {
    Doc {
        message_id,
        conversation_id: message_id * 10,
        tenant_id: 1,
        shop_id: 11,
        platform: "taobao".into(),
        status: "open".into(),
        agent_id: None,
        kind: "inbound".into(),
        language: language.map(str::to_string),
        body: body.into(),
        created_at: t0() + Duration::minutes(message_id),
    }
}

fn index_of(docs: &[Doc]) -> SearchIndex {
    let index = SearchIndex::open_in_ram().unwrap();
    index.index(docs).unwrap();
    index.commit().unwrap();
    index
}

/// Message ids found for `text` in tenant 1, sorted.
fn ids(index: &SearchIndex, text: &str) -> Vec<i64> {
    ids_for(index, &Query::new(1, text))
}

fn ids_for(index: &SearchIndex, q: &Query) -> Vec<i64> {
    let hits = index.search(q).unwrap();
    let mut ids: Vec<i64> = hits.hits.iter().map(|h| h.message_id).collect();
    ids.sort();
    assert_eq!(
        hits.total as usize,
        ids.len(),
        "total is exact on a full page"
    );
    ids
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SearchIndex>();
}

#[test]
fn chinese_words_are_found_inside_sentences() {
    let index = index_of(&[
        doc(1, Some("zh"), "我的快递三天没更新了"),
        doc(2, Some("zh"), "已经提交退款申请，什么时候到账？"),
        doc(3, Some("zh"), "发票怎么开"),
        doc(4, None, "快递员说包裹放在门卫了"),
    ]);
    assert_eq!(ids(&index, "快递"), [1, 4]);
    assert_eq!(ids(&index, "退款"), [2]);
    assert_eq!(ids(&index, "退款申请"), [2]);
    assert_eq!(ids(&index, "快递没更新"), [1]);
    assert_eq!(ids(&index, "快递 更新"), [1]);
    assert!(ids(&index, "退货").is_empty());
}

#[test]
fn english_german_french_spanish_inflections() {
    let index = index_of(&[
        doc(1, Some("en"), "We refunded your order yesterday."),
        doc(2, Some("en"), "Refunds take three days."),
        doc(3, Some("de"), "Das Paket ist nicht angekommen."),
        doc(4, Some("de"), "Der Inhalt des Pakets war beschädigt."),
        doc(5, Some("es"), "Los reembolsos tardan cinco días."),
        doc(6, Some("fr"), "Je voudrais être remboursée."),
        doc(7, Some("en"), "Is this item returnable?"),
    ]);
    assert_eq!(ids(&index, "refund"), [1, 2]);
    assert_eq!(ids(&index, "REFUNDED"), [1, 2]);
    assert_eq!(ids(&index, "Paket"), [3, 4]);
    assert_eq!(ids(&index, "pakets"), [3, 4]);
    assert_eq!(ids(&index, "reembolso"), [5]);
    assert_eq!(ids(&index, "remboursé"), [6]);
    // Accents folded: typed without them, still found.
    assert_eq!(ids(&index, "beschadigt"), [4]);
}

#[test]
fn mixed_chinese_and_english() {
    let index = index_of(&[
        doc(1, Some("zh"), "iPhone 15 手机壳收到了，refund 什么时候到？"),
        doc(2, Some("zh"), "手机壳颜色不对"),
        doc(3, Some("en"), "Phone case refund please"),
    ]);
    assert_eq!(ids(&index, "refund 手机壳"), [1]);
    assert_eq!(ids(&index, "iphone"), [1]);
    assert_eq!(ids(&index, "手机壳"), [1, 2]);
    assert_eq!(ids(&index, "refunds"), [1, 3]);
}

#[test]
fn order_and_tracking_numbers() {
    let index = index_of(&[
        doc(1, Some("en"), "Order TB-2025-0042 has not arrived"),
        doc(2, Some("zh"), "物流单号SF1234567890显示已签收"),
        doc(3, Some("en"), "Order TB-2025-0043 arrived"),
    ]);
    assert_eq!(ids(&index, "TB-2025-0042"), [1]);
    assert_eq!(ids(&index, "tb-2025-0042"), [1]);
    assert_eq!(ids(&index, "0042"), [1]);
    assert_eq!(ids(&index, "SF1234567890"), [2]);
    assert_eq!(ids(&index, "sf1234567890 签收"), [2]);
}

#[test]
fn quoted_phrases() {
    let index = index_of(&[
        doc(1, Some("en"), "The item was not received at all"),
        doc(2, Some("en"), "Received the box, but not the charger"),
    ]);
    assert_eq!(ids(&index, "not received"), [1, 2]);
    assert_eq!(ids(&index, "\"not received\""), [1]);
    assert_eq!(ids(&index, "“received the box”"), [2]);
}

#[test]
fn stop_words_do_not_exclude() {
    let index = index_of(&[
        doc(1, Some("en"), "Refund status?"),
        doc(2, Some("zh"), "退款进度"),
    ]);
    assert_eq!(ids(&index, "where is my refund"), [1]);
    assert_eq!(ids(&index, "我的退款"), [2]);
    // Only stop words: what contains them.
    assert!(ids(&index, "the").is_empty());
}

#[test]
fn tenants_are_isolated() {
    let mut docs = Vec::new();
    for id in 1..=6 {
        let mut d = doc(id, Some("en"), "refund request");
        d.tenant_id = if id % 2 == 0 { 2 } else { 1 };
        docs.push(d);
    }
    let index = index_of(&docs);
    assert_eq!(ids_for(&index, &Query::new(1, "refund")), [1, 3, 5]);
    assert_eq!(ids_for(&index, &Query::new(2, "refund")), [2, 4, 6]);
    assert!(ids_for(&index, &Query::new(3, "refund")).is_empty());
}

#[test]
fn filters_narrow_results() {
    let mut docs = Vec::new();
    for id in 1..=8 {
        let mut d = doc(id, Some("en"), "package lost");
        d.shop_id = if id <= 4 { 11 } else { 12 };
        d.platform = if id % 2 == 0 {
            "eBay".into()
        } else {
            "taobao".into()
        };
        d.status = if id <= 2 {
            "Resolved".into()
        } else {
            "open".into()
        };
        d.agent_id = (id == 7).then_some(99);
        d.created_at = t0() + Duration::days(id);
        docs.push(d);
    }
    let index = index_of(&docs);
    let base = Query::new(1, "package");
    assert_eq!(ids_for(&index, &base).len(), 8);
    let q = Query {
        shop_id: Some(12),
        ..base.clone()
    };
    assert_eq!(ids_for(&index, &q), [5, 6, 7, 8]);
    let q = Query {
        platform: Some("EBAY".into()),
        ..base.clone()
    };
    assert_eq!(ids_for(&index, &q), [2, 4, 6, 8]);
    let q = Query {
        status: Some("resolved".into()),
        ..base.clone()
    };
    assert_eq!(ids_for(&index, &q), [1, 2]);
    let q = Query {
        agent_id: Some(99),
        ..base.clone()
    };
    assert_eq!(ids_for(&index, &q), [7]);
    let q = Query {
        from: Some(t0() + Duration::days(3)),
        to: Some(t0() + Duration::days(5)),
        ..base.clone()
    };
    assert_eq!(ids_for(&index, &q), [3, 4, 5]);
    let q = Query {
        from: Some(t0() + Duration::days(7)),
        ..base.clone()
    };
    assert_eq!(ids_for(&index, &q), [7, 8]);
    let q = Query {
        shop_id: Some(11),
        platform: Some("ebay".into()),
        status: Some("open".into()),
        ..base.clone()
    };
    assert_eq!(ids_for(&index, &q), [4]);
}

#[test]
fn reindexing_replaces() {
    let index = index_of(&[doc(1, Some("en"), "apple"), doc(2, Some("en"), "apple pie")]);
    index.index(&[doc(1, Some("en"), "banana")]).unwrap();
    // Not visible before the commit.
    assert_eq!(ids(&index, "apple"), [1, 2]);
    index.commit().unwrap();
    assert_eq!(ids(&index, "apple"), [2]);
    assert_eq!(ids(&index, "banana"), [1]);
    // Twice in one batch: the last one wins.
    index
        .index(&[
            doc(3, Some("en"), "cherry"),
            doc(3, Some("en"), "cherry tart"),
        ])
        .unwrap();
    index.commit().unwrap();
    assert_eq!(ids(&index, "cherry"), [3]);
    assert_eq!(index.doc_count(), 3);
}

#[test]
fn delete_all_takes_effect_at_commit() {
    let index = index_of(&[doc(1, Some("en"), "apple"), doc(2, Some("en"), "apple pie")]);
    index.delete_all().unwrap();
    assert_eq!(
        index.doc_count(),
        2,
        "old contents stay searchable until commit"
    );
    index.index(&[doc(3, Some("en"), "apple crumble")]).unwrap();
    index.commit().unwrap();
    assert_eq!(ids(&index, "apple"), [3]);
    assert_eq!(index.doc_count(), 1);
    index.delete_all().unwrap();
    index.commit().unwrap();
    assert_eq!(index.doc_count(), 0);
    assert!(ids(&index, "apple").is_empty());
}

#[test]
fn snippets_highlight_and_escape() {
    let index = index_of(&[
        doc(
            1,
            Some("en"),
            "<script>alert('x')</script> I want a refund & more",
        ),
        doc(2, Some("zh"), "你好，我的快递三天没更新了，<b>急</b>"),
    ]);
    let hits = index.search(&Query::new(1, "refunds")).unwrap();
    let s = &hits.hits[0].snippet;
    assert!(s.contains("<mark>refund</mark>"), "{s}");
    assert!(s.contains("&lt;script&gt;"), "{s}");
    assert!(!s.contains("<script>"), "{s}");
    assert!(s.contains("&amp;"), "{s}");
    let hits = index.search(&Query::new(1, "快递")).unwrap();
    let s = &hits.hits[0].snippet;
    assert!(s.contains("<mark>快递</mark>"), "{s}");
    assert!(s.contains("&lt;b&gt;"), "{s}");
    assert_eq!(hits.hits[0].conversation_id, 20);
    assert!(hits.hits[0].score > 0.0);
}

#[test]
fn odd_queries_never_fail() {
    let index = index_of(&[doc(1, Some("en"), "AND OR refund (((")]);
    for text in [
        "\"(((",
        "(((",
        "AND OR",
        "NOT",
        "🙂🙂",
        "",
        "   ",
        "\"",
        "\"\"",
        "“",
        "body_en:refund",
        "+-&&||!(){}[]^\"~*?:\\/",
        "refund~2",
        "re*",
        "'; DROP TABLE messages; --",
        "\u{0}\u{7}",
        "a\"b\"c\"",
        "-refund",
    ] {
        let hits = index.search(&Query::new(1, text));
        assert!(hits.is_ok(), "{text:?}: {hits:?}");
    }
    assert_eq!(ids(&index, "AND OR"), [1]);
    assert_eq!(ids(&index, "-refund"), [1]);
}

#[test]
fn paging_and_totals() {
    let docs: Vec<Doc> = (1..=30).map(|id| doc(id, Some("en"), "refund")).collect();
    let index = index_of(&docs);
    let mut q = Query::new(1, "refund");
    q.limit = 10;
    let first = index.search(&q).unwrap();
    assert_eq!(first.total, 30);
    assert_eq!(first.hits.len(), 10);
    // Equal scores: newest first.
    assert_eq!(first.hits[0].message_id, 30);
    q.offset = 25;
    let last = index.search(&q).unwrap();
    assert_eq!(last.total, 30);
    assert_eq!(last.hits.len(), 5);
    q.limit = 0;
    q.offset = 0;
    let count = index.search(&q).unwrap();
    assert_eq!((count.total, count.hits.len()), (30, 0));
}

#[test]
fn relevance_ranks_better_matches_first() {
    let index = index_of(&[
        doc(1, Some("en"), "refund refund refund, where is my refund"),
        doc(
            2,
            Some("en"),
            "a long message about many things, shipping, colours, and also a refund somewhere in it",
        ),
    ]);
    let hits = index.search(&Query::new(1, "refund")).unwrap();
    assert_eq!(hits.hits[0].message_id, 1);
}

#[test]
fn bad_requests_are_their_own_error() {
    let index = index_of(&[doc(1, Some("en"), "refund")]);
    let mut q = Query::new(1, "refund");
    q.limit = 100_000;
    assert!(matches!(
        index.search(&q),
        Err(SearchError::InvalidQuery(_))
    ));
    let q = Query::new(1, "x".repeat(5000));
    assert!(matches!(
        index.search(&q),
        Err(SearchError::InvalidQuery(_))
    ));
    let mut q = Query::new(1, "refund");
    q.from = Some(t0());
    q.to = Some(t0() - Duration::days(1));
    let e = index.search(&q).unwrap_err();
    assert!(matches!(e, SearchError::InvalidQuery(_)));
    assert!(e.to_string().contains("date range"), "{e}");
}

#[test]
fn persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search");
    {
        let index = SearchIndex::open(&path).unwrap();
        index
            .index(&[
                doc(1, Some("zh"), "我的快递三天没更新了"),
                doc(2, Some("en"), "refunded"),
            ])
            .unwrap();
        index.commit().unwrap();
    }
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(index.doc_count(), 2);
    assert_eq!(ids(&index, "快递"), [1]);
    assert_eq!(ids(&index, "refund"), [2]);
    // Still writable after reopening.
    index.index(&[doc(3, Some("en"), "refund")]).unwrap();
    index.commit().unwrap();
    assert_eq!(ids(&index, "refund"), [2, 3]);
}

#[test]
fn hits_serialize_for_the_api() {
    let index = index_of(&[doc(1, Some("en"), "refund")]);
    let hits = index.search(&Query::new(1, "refund")).unwrap();
    let v = serde_json::to_value(&hits).unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["message_id"], 1);
    assert_eq!(v["hits"][0]["conversation_id"], 10);
    assert!(v["hits"][0]["snippet"].is_string());
}

#[test]
fn snippets_survive_long_words_across_fragments() {
    let prefix = "x ".repeat(75);
    let body = format!("{prefix}中华人民共和国 退款申请 {prefix}");
    let index = index_of(&[doc(1, Some("zh"), &body)]);
    for q in ["中华人民共和国", "人民", "共和国", "退款申请", "申请", "x"] {
        let hits = index.search(&Query::new(1, q)).unwrap();
        assert_eq!(hits.total, 1, "{q}");
    }
}

/// Random mixed-script text, punctuation and emoji: indexing, searching and snippets never
/// fail or panic, whatever the input.
#[test]
fn random_text_never_breaks_anything() {
    const PIECES: &[&str] = &[
        "退款",
        "申请",
        "中华人民共和国",
        "快递",
        "的",
        "Paket",
        "ä",
        "é",
        "ß",
        "refund",
        "ed",
        "-",
        ".",
        "/",
        "_",
        "\"",
        "“",
        "”",
        "(",
        ")",
        "*",
        ":",
        " ",
        " ",
        " ",
        "\n",
        "🙂",
        "👍🏽",
        "0",
        "42",
        "SF",
        "<",
        ">",
        "&",
        "'",
        "\u{300}",
        "ｒｅｆｕｎｄ",
        "ひらがな",
        "한국어",
        "AND",
        "OR",
        "NOT",
        "~",
        "\\",
        "\u{200b}",
        "İ",
        "ǅ",
    ];
    let mut seed = 0x1234_5678_u64;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % n
    };
    let text = |next: &mut dyn FnMut(usize) -> usize, len: usize| -> String {
        (0..len).map(|_| PIECES[next(PIECES.len())]).collect()
    };
    let langs = [
        None,
        Some("zh"),
        Some("en"),
        Some("de"),
        Some("fr"),
        Some("es"),
        Some("it"),
    ];
    let docs: Vec<Doc> = (1..=200)
        .map(|id| {
            let len = next(60);
            let lang = langs[next(langs.len())];
            doc(id, lang, &text(&mut next, len))
        })
        .collect();
    let index = index_of(&docs);
    let mut found = 0;
    for _ in 0..300 {
        let len = 1 + next(6);
        let q = text(&mut next, len);
        let hits = index.search(&Query::new(1, q.clone()));
        let hits = hits.unwrap_or_else(|e| panic!("{q:?}: {e}"));
        found += hits.hits.len();
        for h in &hits.hits {
            assert!(!h.snippet.contains("<script"), "{}", h.snippet);
        }
    }
    assert!(found > 0);
}
