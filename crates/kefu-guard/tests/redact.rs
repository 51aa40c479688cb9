//! Redaction corpus: planted secrets (check digits computed here, so every
//! planted card and ID is valid) and look-alikes that must be kept.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]

use kefu_guard::{SecretKind, redact};

/// Append the Luhn check digit to `body`.
fn luhn_complete(body: &str) -> String {
    let mut sum = 0;
    for (i, c) in body.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Append the ISO 7064 MOD 11-2 check character to a 17-digit ID body.
fn cn_id_complete(body: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// A Luhn-invalid variant (for order numbers that must be kept).
fn luhn_broken(body: &str) -> String {
    let good = luhn_complete(body);
    let last = good.as_bytes()[good.len() - 1] - b'0';
    format!("{body}{}", (last + 1) % 10)
}

fn group4(n: &str, sep: char) -> String {
    n.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

#[test]
fn planted_secrets_are_masked_and_spanned() {
    let cards = [
        luhn_complete("622202100112233"),    // 16-digit UnionPay-style
        luhn_complete("411111111111111"),    // 16-digit Visa-style
        luhn_complete("37828224631000"),     // 15-digit Amex-style
        luhn_complete("621700123456789012"), // 19-digit
        luhn_complete("555555555555444"),
    ];
    let ids = [
        cn_id_complete("11010519491231002"),
        cn_id_complete("44030419851102123"),
        cn_id_complete("31011520000229456"),
        cn_id_complete("51010719780615881"),
    ];
    let mut cases: Vec<(String, SecretKind, String)> = Vec::new();
    for (i, c) in cards.iter().enumerate() {
        let shown = match i % 3 {
            0 => c.clone(),
            1 => group4(c, ' '),
            _ => group4(c, '-'),
        };
        cases.push((
            format!("我的卡号是{shown}，麻烦退到这张卡"),
            SecretKind::BankCard,
            shown.clone(),
        ));
        cases.push((
            format!("Please refund to card {shown} thanks"),
            SecretKind::BankCard,
            shown,
        ));
    }
    for id in &ids {
        cases.push((
            format!("身份证号：{id}，收件人张三"),
            SecretKind::CnId,
            id.clone(),
        ));
        cases.push((format!("my ID is {id}."), SecretKind::CnId, id.clone()));
    }
    for (text, secret) in [
        ("密码是abc123", "abc123"),
        ("我的支付密码：889900，帮我看看", "889900"),
        ("my password is hunter2.", "hunter2"),
        ("Password: S3cret!x", "S3cret!x"),
        ("Mein Passwort: Sommer2024", "Sommer2024"),
        ("mon mot de passe est azerty12", "azerty12"),
        ("mi contraseña: gato1234", "gato1234"),
        ("登錄密碼是qwe789", "qwe789"),
    ] {
        cases.push((text.to_string(), SecretKind::Password, secret.to_string()));
    }
    for (text, secret) in [
        ("验证码 834512", "834512"),
        ("驗證碼是552201，快點", "552201"),
        ("code: 123456", "123456"),
        ("the verification code is 4821", "4821"),
        ("Bestätigungscode: 771204", "771204"),
        ("código: 908172", "908172"),
    ] {
        cases.push((text.to_string(), SecretKind::Code, secret.to_string()));
    }
    for (text, secret) in [
        ("CVV 123", "123"),
        ("安全码是456", "456"),
        ("cvc: 7890", "7890"),
    ] {
        cases.push((text.to_string(), SecretKind::Cvv, secret.to_string()));
    }

    for (text, kind, secret) in &cases {
        let r = redact(text);
        assert_eq!(r.found.len(), 1, "{text}: {:?}", r.found);
        let f = &r.found[0];
        assert_eq!(f.kind, *kind, "{text}");
        assert_eq!(&text[f.start..f.end], secret.as_str(), "{text}");
        assert!(!r.text.contains(secret.as_str()), "{text} → {}", r.text);
        let digits: String = secret.chars().filter(char::is_ascii_digit).collect();
        if *kind == SecretKind::BankCard {
            // First 4 and last 4 stay visible, separators kept.
            assert!(
                r.text.contains(&secret[..4]) && r.text.contains(&secret[secret.len() - 4..]),
                "{}",
                r.text
            );
            assert!(!r.text.contains(&digits[4..digits.len() - 4]), "{}", r.text);
        }
        if *kind == SecretKind::CnId {
            assert!(
                r.text
                    .contains(&format!("{}********{}", &secret[..6], &secret[14..])),
                "{}",
                r.text
            );
        }
    }
    println!(
        "redaction corpus: {} planted secrets found and masked",
        cases.len()
    );
}

#[test]
fn non_secrets_are_kept() {
    let order = luhn_broken("230415987654321");
    let order19 = luhn_broken("238746102938475612");
    let bad_id = {
        let good = cn_id_complete("11010519491231002");
        format!(
            "{}{}",
            &good[..17],
            if good.ends_with('0') { '1' } else { '0' }
        )
    };
    let kept = [
        "我的手机号是13812345678，请尽快发货".to_string(),
        "Call me at +1 415 555 0100 after 6pm".to_string(),
        "电话 +86 138 1234 5678".to_string(),
        format!("订单号 {order} 还没发货"),
        format!("order {order19} hasn't arrived"),
        format!("my order number is {}", luhn_complete("230415987654321")),
        format!("tracking number {}", luhn_complete("94001000000000000")),
        format!("这个号码 {bad_id} 不对吧"),
        "地址：北京市朝阳区建国路88号SOHO现代城2号楼1203室".to_string(),
        "Lieferadresse: Hauptstraße 12, 10115 Berlin".to_string(),
        "zip code 94103, apartment 5B".to_string(),
        "promo code SAVE2024 didn't work".to_string(),
        "my password is not working, can you help?".to_string(),
        "我忘记密码了，怎么办".to_string(),
        "验证码收不到".to_string(),
        "I paid 1299.00 USD on 2024-05-01".to_string(),
        "the barcode 690123456789 is on the box".to_string(),
    ];
    for t in &kept {
        let r = redact(t);
        assert!(r.found.is_empty(), "{t}: {:?} → {}", r.found, r.text);
        assert_eq!(&r.text, t);
    }
}

#[test]
fn several_secrets_keep_original_spans() {
    let card = luhn_complete("622848001234567");
    let text = format!("卡号{card}，密码是pa55word，手机13800001111，验证码：6677");
    let r = redact(&text);
    let kinds: Vec<SecretKind> = r.found.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [SecretKind::BankCard, SecretKind::Password, SecretKind::Code]
    );
    assert_eq!(&text[r.found[0].start..r.found[0].end], card);
    assert!(
        r.text.contains("13800001111") && !r.text.contains("pa55word") && !r.text.contains("6677")
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["found"][0]["kind"], "bank_card");
    assert_eq!(json["found"][1]["kind"], "password");
}

/// Issue 10 item 4: secrets as buyers really write them, in five languages:
/// no separator after a Chinese keyword, PINs, and card numbers after a card
/// word that fail the Luhn check (a mistyped card is still a card).
#[test]
fn secrets_as_buyers_write_them() {
    let bad_card = luhn_broken("622202100112233");
    let bad_visa = luhn_broken("411111111111111");
    let cases: Vec<(String, SecretKind, String)> = vec![
        ("密码123456".into(), SecretKind::Password, "123456".into()),
        (
            "我的支付密码888666，帮我看看".into(),
            SecretKind::Password,
            "888666".into(),
        ),
        (
            "登錄密碼qwe789".into(),
            SecretKind::Password,
            "qwe789".into(),
        ),
        ("验证码834512".into(), SecretKind::Code, "834512".into()),
        ("安全码123".into(), SecretKind::Cvv, "123".into()),
        ("my PIN is 4321".into(), SecretKind::Password, "4321".into()),
        ("pin: 4321".into(), SecretKind::Password, "4321".into()),
        ("PIN码 908172".into(), SecretKind::Password, "908172".into()),
        ("passcode 9988".into(), SecretKind::Password, "9988".into()),
        ("CVV: 123".into(), SecretKind::Cvv, "123".into()),
        (
            "the verification code 552201".into(),
            SecretKind::Code,
            "552201".into(),
        ),
        (
            "Meine PIN ist 7788".into(),
            SecretKind::Password,
            "7788".into(),
        ),
        (
            "Geheimzahl: 1357".into(),
            SecretKind::Password,
            "1357".into(),
        ),
        (
            "Kennwort ist Sommer2024".into(),
            SecretKind::Password,
            "Sommer2024".into(),
        ),
        (
            "mon code PIN est 2468".into(),
            SecretKind::Password,
            "2468".into(),
        ),
        (
            "mot de passe: azerty12".into(),
            SecretKind::Password,
            "azerty12".into(),
        ),
        (
            "le code est 135790".into(),
            SecretKind::Code,
            "135790".into(),
        ),
        (
            "mi clave es 8642".into(),
            SecretKind::Password,
            "8642".into(),
        ),
        (
            "contraseña gato1234".into(),
            SecretKind::Password,
            "gato1234".into(),
        ),
        (
            format!("卡号{bad_card}"),
            SecretKind::BankCard,
            bad_card.clone(),
        ),
        (
            format!("银行卡号 {}", group4(&bad_card, ' ')),
            SecretKind::BankCard,
            group4(&bad_card, ' '),
        ),
        (
            format!("我的银行卡是{bad_visa}，退到这里"),
            SecretKind::BankCard,
            bad_visa.clone(),
        ),
        (
            format!("card number {}", group4(&bad_visa, '-')),
            SecretKind::BankCard,
            group4(&bad_visa, '-'),
        ),
        (
            format!("Kartennummer: {bad_visa}"),
            SecretKind::BankCard,
            bad_visa.clone(),
        ),
        (
            format!("numéro de carte {}", group4(&bad_card, ' ')),
            SecretKind::BankCard,
            group4(&bad_card, ' '),
        ),
        (
            format!("número de tarjeta {bad_card}"),
            SecretKind::BankCard,
            bad_card.clone(),
        ),
    ];
    for (text, kind, secret) in &cases {
        let r = redact(text);
        assert_eq!(r.found.len(), 1, "{text}: {:?}", r.found);
        let f = &r.found[0];
        assert_eq!(f.kind, *kind, "{text}");
        assert_eq!(&text[f.start..f.end], secret.as_str(), "{text}");
        assert!(!r.text.contains(secret.as_str()), "{text} → {}", r.text);
    }
    // The JSON contract of `kefu redact` keeps its kinds: a PIN is a password.
    let json = serde_json::to_value(redact("my PIN is 4321")).unwrap();
    assert_eq!(json["found"][0]["kind"], "password");
    assert_eq!(json["text"], "my PIN is ********");
}

/// Order and tracking numbers stay readable, also right after their words,
/// and a card word does not make an order number a card.
#[test]
fn order_and_tracking_numbers_are_kept() {
    let order = luhn_broken("381234567890123");
    for t in [
        format!("订单号 {order}"),
        format!("订单号{order}还没发货"),
        "订单号 3812345678901234".to_string(),
        "order 1234567890123".to_string(),
        format!("order number: {order}, paid by card"),
        "tracking LX123456789CN".to_string(),
        "运单号 YT1234567890123".to_string(),
        "快递单号 SF1234567890123".to_string(),
        format!("Bestellnummer {order}"),
        format!("commande {order}"),
        format!("pedido {order}"),
        "my pin is not working".to_string(),
        "the pins 1234 are bent".to_string(),
        "spin 4321 times".to_string(),
        "passwords 123456".to_string(),
        "密码错误，登录不了".to_string(),
    ] {
        let r = redact(&t);
        assert!(r.found.is_empty(), "{t}: {:?} → {}", r.found, r.text);
        assert_eq!(r.text, t);
    }
}
