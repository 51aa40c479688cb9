//! Unit tests: the brief's must-pass / must-block examples and redaction
//! arithmetic. The labelled corpora live in `tests/`.

use crate::redact::{cn_id_valid, luhn};
use crate::{Guard, LintContext, SecretKind, VerdictKind, redact};

fn verdict(g: &Guard, text: &str) -> VerdictKind {
    g.lint(text, &LintContext::default()).verdict
}

#[test]
fn must_pass() {
    let g = Guard::new();
    for t in [
        "请勿向任何人透露您的银行卡密码",
        "We will never ask for your PIN",
        "Never share your verification code with anyone",
        "please send a photo of the damaged parcel",
        "请提供一下破损包裹的照片",
        "我們不會向您索取驗證碼，請放心。",
        "Geben Sie Ihre PIN niemals weiter.",
        "Ne communiquez jamais votre mot de passe.",
        "Nunca comparta su contraseña con nadie.",
        "如果有人向您索要验证码，那一定是骗子，请不要理会。",
        "We have sent you a verification code by SMS.",
    ] {
        let v = g.lint(t, &LintContext::default());
        assert_ne!(v.verdict, VerdictKind::Block, "{t}: {v:?}");
    }
}

#[test]
fn must_block() {
    let g = Guard::new();
    for t in [
        "请拍一张身份证照片发给我",
        "麻烦把验证码发我一下",
        "Please send us your card PIN so we can process the refund",
        "Can you tell me your Taobao password?",
        "Bitte schicken Sie uns ein Foto Ihres Personalausweises",
        "請把身份證正反面拍照上傳給我們",
        "Pourriez-vous nous envoyer une photo de votre passeport ?",
        "¿Podría enviarnos el código de verificación que recibió?",
        "亲，您的支付密码是多少呀？",
        "别担心，把验证码发我就行",
        "你是白痴吗",
    ] {
        assert_eq!(verdict(&g, t), VerdictKind::Block, "{t}");
    }
}

#[test]
fn spans_are_char_boundaries_and_json_shape() {
    let g = Guard::new();
    let text = "亲，根据政策规定不能退款。请拍一张身份证照片发给我";
    let v = g.lint(text, &LintContext::default());
    for f in &v.findings {
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end) && f.start < f.end);
    }
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["verdict"], "block");
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "PRIV-NO-ID-PHOTO")
    );
}

#[test]
fn shop_phrases() {
    let g = Guard::with_shop_phrases(
        &[("zh".into(), "包邮".into())],
        &[("zh".into(), "祝您购物愉快".into())],
    );
    let v = g.lint("亲，这款包邮哦。", &LintContext::default());
    let rules: Vec<&str> = v.findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(
        rules.contains(&"SHOP-FORBIDDEN") && rules.contains(&"SHOP-REQUIRED"),
        "{rules:?}"
    );
    let v = g.lint("亲，这款今天发货，祝您购物愉快。", &LintContext::default());
    assert!(v.findings.iter().all(|f| f.rule != "SHOP-REQUIRED"));
}

#[test]
fn checksums() {
    assert!(luhn("4111111111111111"));
    assert!(!luhn("4111111111111112"));
    assert!(cn_id_valid("11010519491231002X"));
    assert!(!cn_id_valid("110105194912310021"));
}

#[test]
fn redact_examples() {
    let r = redact("卡号 4111 1111 1111 1111，密码是abc123，验证码 834512，手机13812345678");
    assert!(r.text.contains("4111 **** **** 1111"), "{}", r.text);
    assert!(!r.text.contains("abc123") && !r.text.contains("834512"));
    assert!(r.text.contains("13812345678"));
    let kinds: Vec<SecretKind> = r.found.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [SecretKind::BankCard, SecretKind::Password, SecretKind::Code]
    );
    let r = redact("身份证 11010519491231002X");
    assert_eq!(r.text, "身份证 110105********002X");
    assert_eq!((r.found[0].start, r.found[0].end), (10, 28));
}

#[test]
fn guard_is_shareable_and_suggests_rewrites() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Guard>();
    let g = Guard::new();
    let v = g.lint("根据政策规定，超过七天不能退货。", &LintContext::default());
    assert_eq!(
        v.findings[0].suggestion.as_deref(),
        Some("我们理解您的不便，根据政策规定，超过七天不能退货。")
    );
    let v = g.lint(
        "According to our policy, no returns after 30 days.",
        &LintContext::default(),
    );
    let s = v.findings[0].suggestion.as_deref().unwrap();
    assert!(
        s.starts_with("We understand")
            && s.ends_with(" According to our policy, no returns after 30 days."),
        "{s}"
    );
    let v = g.lint("你把订单号发一下。", &LintContext::default());
    assert_eq!(
        v.findings[0].suggestion.as_deref(),
        Some("请您把订单号发一下。")
    );
}

#[test]
fn redact_without_digits_still_finds_passwords() {
    for t in [
        "my password is hunter",
        "PASSWORT: geheimnis",
        "Kennwort ist Sommerwind",
        "Contraseña: hola",
        "mon mot de passe est soleil",
        "密码是abcdef",
        "登錄密碼：qwerty",
        "pwd=letmein",
        "passcode abc",
    ] {
        let r = redact(t);
        assert_eq!(r.found.len(), 1, "{t}: {r:?}");
        assert_eq!(r.found[0].kind, SecretKind::Password, "{t}");
    }
    for t in [
        "no secrets here",
        "您好，请问什么时候发货？",
        "Code promo: SOLDES",
    ] {
        let r = redact(t);
        assert!(r.found.is_empty() && r.text == t, "{t}: {r:?}");
    }
}

#[test]
fn traditional_replies_get_traditional_suggestions() {
    let g = Guard::new();
    let v = g.lint("請把身份證號碼發給我們。", &LintContext::default());
    assert_eq!(v.verdict, VerdictKind::Block);
    let s = v.findings[0].suggestion.as_deref().unwrap();
    assert!(s.contains("麻煩您提供") && s.contains("訂單號"), "{s}");
    let v = g.lint("根據政策規定，超過七天不能退貨。", &LintContext::default());
    let s = v.findings[0].suggestion.as_deref().unwrap();
    assert!(s.starts_with("我們理解您的不便"), "{s}");
    let v = g.lint("你把訂單號發一下。", &LintContext::default());
    assert_eq!(
        v.findings[0].suggestion.as_deref(),
        Some("請您把訂單號發一下。")
    );
    // Simplified stays simplified.
    let v = g.lint("请把身份证号码发给我们。", &LintContext::default());
    let s = v.findings[0].suggestion.as_deref().unwrap();
    assert!(s.contains("麻烦您提供"), "{s}");
}

fn block_rules(g: &Guard, text: &str, lang: Option<&str>) -> Vec<String> {
    let ctx = LintContext {
        lang: lang.map(str::to_string),
        ..LintContext::default()
    };
    g.lint(text, &ctx)
        .findings
        .into_iter()
        .filter(|f| f.severity == crate::Severity::Block)
        .map(|f| f.rule)
        .collect()
}

/// Issue 10 item 5: the platform policies beyond the seeds, in five
/// languages (PRIV-NO-CARD-NUMBER, PLATFORM-NO-OFFSITE, REVIEW-NO-INCENTIVE).
#[test]
fn platform_policies_block() {
    let g = Guard::new();
    for (lang, text, rule) in [
        ("zh", "请把您的卡号和有效期发给我", "PRIV-NO-CARD-NUMBER"),
        (
            "en",
            "Please send me your card number and its expiry date.",
            "PRIV-NO-CARD-NUMBER",
        ),
        (
            "de",
            "Bitte schicken Sie uns Ihre Kartennummer.",
            "PRIV-NO-CARD-NUMBER",
        ),
        (
            "fr",
            "Envoyez-nous le numéro de votre carte.",
            "PRIV-NO-CARD-NUMBER",
        ),
        (
            "es",
            "Envíenos el número de su tarjeta.",
            "PRIV-NO-CARD-NUMBER",
        ),
        ("zh", "加我微信私下交易", "PLATFORM-NO-OFFSITE"),
        ("zh", "亲，咱们站外交易吧", "PLATFORM-NO-OFFSITE"),
        ("zh", "请转账到支付宝", "PLATFORM-NO-OFFSITE"),
        ("zh", "付款请转账到银行卡", "PLATFORM-NO-OFFSITE"),
        ("en", "Add me on WhatsApp.", "PLATFORM-NO-OFFSITE"),
        ("en", "Contact me on WeChat.", "PLATFORM-NO-OFFSITE"),
        ("en", "Message me on Telegram.", "PLATFORM-NO-OFFSITE"),
        (
            "en",
            "My LINE ID is shop88, add me on LINE.",
            "PLATFORM-NO-OFFSITE",
        ),
        (
            "en",
            "Pay me by PayPal outside eBay.",
            "PLATFORM-NO-OFFSITE",
        ),
        (
            "en",
            "Call me and I'll give you a better price.",
            "PLATFORM-NO-OFFSITE",
        ),
        (
            "de",
            "Kontaktieren Sie mich per WhatsApp.",
            "PLATFORM-NO-OFFSITE",
        ),
        (
            "fr",
            "Payez-moi directement, en dehors d'eBay.",
            "PLATFORM-NO-OFFSITE",
        ),
        ("es", "Escríbame por WhatsApp.", "PLATFORM-NO-OFFSITE"),
        ("zh", "好评返现", "REVIEW-NO-INCENTIVE"),
        ("zh", "给五星返现", "REVIEW-NO-INCENTIVE"),
        ("en", "5 stars for a refund", "REVIEW-NO-INCENTIVE"),
        (
            "en",
            "Leave positive feedback and get a gift.",
            "REVIEW-NO-INCENTIVE",
        ),
        (
            "de",
            "Geben Sie uns 5 Sterne und Sie bekommen einen Gutschein.",
            "REVIEW-NO-INCENTIVE",
        ),
        (
            "fr",
            "Laissez un avis positif et recevez un cadeau.",
            "REVIEW-NO-INCENTIVE",
        ),
        (
            "es",
            "Deje una reseña positiva y reciba un regalo.",
            "REVIEW-NO-INCENTIVE",
        ),
    ] {
        let rules = block_rules(&g, text, Some(lang));
        assert!(rules.iter().any(|r| r == rule), "{text}: {rules:?}");
    }
}

#[test]
fn platform_policies_near_misses_pass() {
    let g = Guard::new();
    for (lang, text) in [
        ("en", "Please don't share your card number with anyone."),
        (
            "en",
            "Could you confirm the last four digits of your card number?",
        ),
        ("zh", "麻烦您告诉我包装上的有效期"),
        ("en", "You can pay by PayPal on eBay checkout."),
        ("en", "Our WeChat official account posts tracking updates."),
        ("zh", "我们的微信公众号会推送物流更新"),
        (
            "en",
            "Please call us if the parcel has not arrived by Friday.",
        ),
        (
            "en",
            "If anyone asks you to pay outside eBay, it is a scam.",
        ),
        ("zh", "请不要站外交易，谨防诈骗"),
        ("en", "Thanks for your review!"),
        ("en", "Thanks for the 5-star review and enjoy your gift!"),
        ("zh", "感谢您的好评"),
        ("en", "We never offer gifts for positive reviews."),
        ("de", "Danke für Ihre positive Bewertung!"),
        ("fr", "Merci pour votre avis positif !"),
        ("es", "¡Gracias por su reseña positiva!"),
    ] {
        let rules = block_rules(&g, text, Some(lang));
        assert!(rules.is_empty(), "{text}: {rules:?}");
    }
}

/// Spelling tricks are folded before matching, and the finding still
/// points at the original bytes.
#[test]
fn spelling_tricks_block_with_original_spans() {
    let g = Guard::new();
    for (text, rule) in [
        ("请把密 码发给我", "PRIV-NO-SECRETS"),
        ("请把密*码发给我", "PRIV-NO-SECRETS"),
        ("請把銀行卡密碼發給我", "PRIV-NO-SECRETS"),
        ("請提供您的銀行卡號", "PRIV-NO-CARD-NUMBER"),
        ("請轉賬到支付寶", "PLATFORM-NO-OFFSITE"),
        ("Please send me your passw0rd", "PRIV-NO-SECRETS"),
        ("Please send me your p@ssword", "PRIV-NO-SECRETS"),
        ("Please send me your P-I-N", "PRIV-NO-SECRETS"),
        ("Please send me your ＰＩＮ", "PRIV-NO-SECRETS"),
        (
            "Please send me your ｃａｒｄ ｎｕｍｂｅｒ",
            "PRIV-NO-CARD-NUMBER",
        ),
    ] {
        let v = g.lint(text, &LintContext::default());
        assert_eq!(v.verdict, VerdictKind::Block, "{text}: {v:?}");
        let f = v.findings.iter().find(|f| f.rule == rule).expect(text);
        assert_eq!((f.start, f.end), (0, text.len()), "{text}");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
    }
    // A finding in the middle of a folded reply maps back exactly.
    let text = "您好！ＯＫ。请把密 * 码发给我。谢谢";
    let v = g.lint(text, &LintContext::default());
    let f = v
        .findings
        .iter()
        .find(|f| f.rule == "PRIV-NO-SECRETS")
        .unwrap();
    assert_eq!(&text[f.start..f.end], "请把密 * 码发给我。");
    // Suggestions quote the caller's text, not the folded one.
    let v = g.lint("根據政策規定，ＯＫ不能退貨。", &LintContext::default());
    let s = v.findings[0].suggestion.as_deref().unwrap();
    assert!(s.ends_with("根據政策規定，ＯＫ不能退貨。"), "{s}");
}

/// The live check and the check on send use one context builder, so an
/// acknowledgement-only first reply warns in both (issue 10 item 5: the live
/// check said ok and the send warned EBAY-SUBSTANTIVE).
#[test]
fn one_context_for_live_and_send_checks() {
    let g = Guard::new();
    let ctx = LintContext::for_conversation(Some("en"), false);
    assert!(ctx.first_response);
    let live = g.lint("We have received your message.", &ctx);
    let send = g.lint("We have received your message.", &ctx);
    assert_eq!(live, send);
    assert!(live.findings.iter().any(|f| f.rule == "EBAY-SUBSTANTIVE"));
    let later = LintContext::for_conversation(Some("en"), true)
        .with_category(Some(crate::Category::LostPackage))
        .with_min_options(Some(3));
    assert!(!later.first_response && later.min_options == Some(3));
    let v = g.lint("We have received your message.", &later);
    assert!(v.findings.iter().all(|f| f.rule != "EBAY-SUBSTANTIVE"));
}

/// Folding never breaks the span contract: on odd inputs and on every
/// corpus reply disguised with invisible characters and full-width letters,
/// each finding is a non-empty range of char boundaries of the original.
#[test]
fn folded_spans_stay_on_original_char_boundaries() {
    let g = Guard::new();
    let mut texts: Vec<String> = [
        "",
        "\u{200B}",
        "密\u{200B}",
        "ＰＩＮ\u{200B}",
        "a.b.c",
        "@@@",
        "1@a",
        "p@$$w0rd",
        "密 * * * * 码",
        "  密  码  ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let phrases = crate::phrases::PhraseSet::build(&[]);
    for s in crate::bench::samples() {
        let disguised: String = s
            .text
            .chars()
            .flat_map(|c| {
                let wide = match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                    _ => c,
                };
                [wide, '\u{200B}']
            })
            .collect();
        // Traditional characters, and a space between Han characters.
        let mut spaced = String::new();
        let mut prev_han = false;
        for c in phrases.to_hant(&s.text).chars() {
            let han = crate::phrases::is_cjk(c);
            if han && prev_han {
                spaced.push(' ');
            }
            spaced.push(c);
            prev_han = han;
        }
        // Folded, each disguise is the reply itself: the same verdict and rules.
        let plain = g.lint(&s.text, &s.ctx);
        let rules = |v: &crate::Verdict| {
            v.findings
                .iter()
                .map(|f| f.rule.clone())
                .collect::<Vec<_>>()
        };
        for hidden in [&disguised, &spaced] {
            let v = g.lint(hidden, &s.ctx);
            assert_eq!(plain.verdict, v.verdict, "{} / {hidden}", s.text);
            assert_eq!(rules(&plain), rules(&v), "{} / {hidden}", s.text);
        }
        texts.push(disguised);
        texts.push(spaced);
    }
    for t in &texts {
        let v = g.lint(t, &LintContext::default());
        for f in &v.findings {
            assert!(
                f.start <= f.end
                    && f.end <= t.len()
                    && t.is_char_boundary(f.start)
                    && t.is_char_boundary(f.end),
                "{t:?}: {f:?}"
            );
        }
    }
}

/// EBAY-SUBSTANTIVE as a typed fact: an acknowledgement-only first reply lacks substance, a
/// reply with an answer does not, and a later reply is never judged on it.
#[test]
fn verdict_says_whether_the_reply_lacks_substance() {
    let g = Guard::new();
    let first = LintContext::for_conversation(Some("en"), false);
    assert!(
        g.lint("We have received your message.", &first)
            .lacks_substance()
    );
    let answer = "Your parcel left our warehouse today; the tracking number is in your order page.";
    assert!(!g.lint(answer, &first).lacks_substance());
    let later = LintContext::for_conversation(Some("en"), true);
    assert!(
        !g.lint("We have received your message.", &later)
            .lacks_substance()
    );
}
