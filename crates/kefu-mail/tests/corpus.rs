//! One test per mail in `tests/mails/`: realistic buyer mails from the clients
//! and charsets kefu meets, each checked for sender, subject, trimmed text,
//! threading ids and attachments.

use chrono::{TimeZone, Utc};
use kefu_mail::{InboundMail, parse_inbound, thread_keys};

fn mail(name: &str) -> InboundMail {
    let path = format!("{}/tests/mails/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_inbound(&raw).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn taobao_buyer_gbk_base64_from_qq_mail() {
    let m = mail("taobao-gbk-base64.eml");
    assert_eq!(
        m.from_address, "wangxm@qq.example.com",
        "address lower-cased"
    );
    assert_eq!(
        m.from_name.as_deref(),
        Some("王小明"),
        "=?GBK?B?…?= name decoded"
    );
    assert_eq!(m.to, ["service@xiaoxiong.example.cn"]);
    assert_eq!(
        m.subject.as_deref(),
        Some("回复：订单 2026111188 什么时候发货？")
    );
    assert_eq!(
        m.date,
        Some(Utc.with_ymd_and_hms(2026, 11, 12, 1, 15, 0).unwrap())
    );
    assert_eq!(
        m.text,
        "您好，\n\n我的订单 2026111188 已经付款三天了，还没有发货，请问什么时候能发？\n急用，谢谢！\n\n王小明"
    );
    assert!(
        m.full_text
            .contains("------------------ 原始邮件 ------------------")
    );
    assert!(m.full_text.ends_with("我们会在48小时内发货。"));
    assert_eq!(
        m.message_id.as_deref(),
        Some("tencent_4F1A2B3C4D5E6F708192A3B4@qq.example.com")
    );
    assert_eq!(
        m.in_reply_to,
        ["kefu.order-2026111188.1@xiaoxiong.example.cn"]
    );
    assert_eq!(
        thread_keys(&m),
        [
            "tencent_4F1A2B3C4D5E6F708192A3B4@qq.example.com",
            "kefu.order-2026111188.1@xiaoxiong.example.cn"
        ]
    );
    assert!(m.attachments.is_empty());
    assert_eq!(m.language_hint.as_deref(), Some("zh-CN"));
}

#[test]
fn big5_traditional_quoted_printable() {
    let m = mail("big5-traditional.eml");
    assert_eq!(m.from_address, "taiman.chan@example.com.hk");
    assert_eq!(
        m.from_name.as_deref(),
        Some("陳大文"),
        "=?big5?Q?…?= name decoded"
    );
    assert_eq!(m.subject.as_deref(), Some("保溫杯破損，要求退貨"));
    assert_eq!(
        m.text,
        "你好，\n\n我收到的保溫杯有破損，杯蓋裂開了，請問可以退貨或換貨嗎？\n\n陳大文"
    );
    assert!(m.full_text.contains("寫道：\n> 您好，您的包裹已經寄出。"));
    assert_eq!(
        m.references,
        [
            "kefu.order.777@shop.example.tw",
            "kefu.ship.777@shop.example.tw"
        ]
    );
    assert_eq!(
        thread_keys(&m),
        [
            "CAB5chan0001@mail.example.com.hk",
            "kefu.ship.777@shop.example.tw",
            "kefu.order.777@shop.example.tw"
        ]
    );
    assert_eq!(m.language_hint, None);
}

#[test]
fn german_outlook_reply_with_quoted_history() {
    let m = mail("german-outlook-reply.eml");
    assert_eq!(m.from_address, "j.mueller@example.de");
    assert_eq!(
        m.from_name.as_deref(),
        Some("Jürgen Müller"),
        "ISO-8859-1 Q-encoded name"
    );
    assert_eq!(m.subject.as_deref(), Some("AW: Ihre Bestellung 4711"));
    assert_eq!(
        m.text,
        "Hallo,\n\ndie Lieferung ist immer noch nicht angekommen. Können Sie bitte nachsehen?\n\n\
         Mit freundlichen Grüßen\nJürgen Müller"
    );
    assert!(
        m.full_text
            .contains("-----Ursprüngliche Nachricht-----\nVon: Shop Kundenservice")
    );
    assert_eq!(m.in_reply_to, ["kefu.4711.2@shop.example.de"]);
    assert_eq!(
        m.references,
        ["kefu.4711.1@shop.example.de", "kefu.4711.2@shop.example.de"]
    );
    assert_eq!(m.language_hint.as_deref(), Some("de-DE"));
    assert!(
        m.attachments.is_empty(),
        "the HTML alternative is not an attachment"
    );
}

#[test]
fn english_gmail_reply_with_wrapped_attribution() {
    let m = mail("english-gmail-reply.eml");
    assert_eq!(m.from_address, "amy.turner@gmail.example.com");
    assert_eq!(m.from_name.as_deref(), Some("Amy Turner"));
    assert_eq!(
        m.subject.as_deref(),
        Some("Re: Your Maple Store order #MS-20931 has shipped")
    );
    assert_eq!(
        m.date,
        Some(Utc.with_ymd_and_hms(2026, 11, 13, 12, 45, 10).unwrap())
    );
    assert_eq!(
        m.text,
        "Hi,\n\nThe tracking number still shows nothing after five days. Can you check\n\
         with the carrier?\n\nThanks,\nAmy"
    );
    assert!(m.full_text.contains("> Your order #MS-20931 has shipped."));
    assert_eq!(
        m.message_id.as_deref(),
        Some("CAJx9Vq2=abcDEF123+ghi@mail.gmail.example.com")
    );
    assert_eq!(m.in_reply_to, ["kefu.ms20931.1@maple-store.example.com"]);
}

#[test]
fn html_only_newsletter_becomes_readable_text() {
    let m = mail("html-only-newsletter.eml");
    assert_eq!(m.from_address, "no-reply@notice.marketplace.example");
    assert_eq!(m.from_name.as_deref(), Some("Marketplace Seller Center"));
    assert_eq!(
        m.subject.as_deref(),
        Some("New message from buyer – order 8123456789012345")
    );
    assert!(
        m.text
            .starts_with("You have a new message from a buyer\n\nOrder no.: 8123456789012345")
    );
    assert!(
        m.text.contains(
            "Buyer message:\n\nHello, can I change the colour to blue & size to L? I haven't paid for shipping yet."
        ),
        "a plain blockquote is content, not history: {:?}",
        m.text
    );
    for noise in ["font-family", "track()", "<", "&nbsp;", "New message\n"] {
        assert!(!m.text.contains(noise), "{noise:?} in {:?}", m.text);
    }
    assert!(m.in_reply_to.is_empty() && m.references.is_empty());
    assert_eq!(
        thread_keys(&m),
        ["20261114020304.5f6e7d8c@notice.marketplace.example"]
    );
}

#[test]
fn photo_attachment_in_nested_multipart() {
    let m = mail("photo-attachment.eml");
    assert_eq!(m.from_address, "lena.fischer@icloud.example.com");
    assert_eq!(m.subject.as_deref(), Some("Broken vase, order 5521"));
    assert_eq!(
        m.text,
        "The vase arrived broken, see the photo. I would like a refund please."
    );
    assert!(m.full_text.ends_with("Sent from my iPhone"));
    assert_eq!(m.attachments.len(), 1);
    let photo = &m.attachments[0];
    assert_eq!(photo.filename.as_deref(), Some("IMG_0042.jpg"));
    assert_eq!(photo.content_type, "image/jpeg");
    assert_eq!(photo.size, 242);
    assert_eq!(photo.data.len(), 242);
    assert!(
        photo.data.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]) && photo.data.ends_with(&[0xFF, 0xD9])
    );
    assert!(m.in_reply_to.is_empty());
}

#[test]
fn alternative_prefers_the_plain_part() {
    let m = mail("alternative-both-parts.eml");
    assert_eq!(m.from_name.as_deref(), Some("Lucía Gómez"));
    assert_eq!(
        m.subject.as_deref(),
        Some("Re: Devolución del pedido 3390"),
        "adjacent encoded words join"
    );
    assert_eq!(
        m.text,
        "Hola,\n\nquiero devolver los zapatos, me quedan pequeños. ¿Cómo lo hago?\n\nUn saludo,\nLucía"
    );
    // The plain part has the address in the attribution, the HTML one does not.
    assert!(
        m.full_text
            .contains("(<ventas@tiendasol.example.es>) escribió:")
    );
    assert_eq!(m.in_reply_to, ["kefu.3390@tiendasol.example.es"]);
    assert!(m.references.is_empty());
    assert_eq!(m.language_hint.as_deref(), Some("es"));
}

#[test]
fn french_apple_mail() {
    let m = mail("french-apple-mail.eml");
    assert_eq!(m.from_address, "claire.dubois@orange.example.fr");
    assert_eq!(
        m.subject.as_deref(),
        Some("Re\u{a0}: Votre commande expédiée")
    );
    assert_eq!(
        m.text,
        "Bonjour,\n\nLe colis n’est toujours pas arrivé. Pouvez-vous vérifier ?\n\nCordialement,\nClaire"
    );
    assert_eq!(m.language_hint.as_deref(), Some("fr"));
}

#[test]
fn chinese_gmail_html_only_gb18030() {
    let m = mail("chinese-gmail-html.eml");
    assert_eq!(m.from_name.as_deref(), Some("李娜"));
    assert_eq!(m.subject.as_deref(), Some("Re: 订单 2026111199 颜色发错了"));
    assert_eq!(
        m.text,
        "颜色发错了，我要的是黑色，不是白色。\n麻烦换一下，运费谁出？"
    );
    assert!(m.full_text.contains("写道：\n> 亲，您的宝贝已发出～"));
    assert_eq!(
        thread_keys(&m),
        [
            "CAF=lina+888@mail.gmail.example.com",
            "kefu.order-2026111199.1@xiaoxiong.example.cn",
            "kefu.order-2026111199.0@xiaoxiong.example.cn"
        ]
    );
}

#[test]
fn outlook_html_history_is_trimmed_too() {
    // Outlook's HTML part: the quoted header block is bold labels in a bordered div.
    let html = "<div><p class=MsoNormal>Bitte stornieren.</p><div style=\"border-top:solid #E1E1E1 1.0pt\">\
        <p class=MsoNormal><b>Von:</b> Shop &lt;s@shop.example.de&gt;<br><b>Gesendet:</b> Dienstag<br>\
        <b>An:</b> ich<br><b>Betreff:</b> Bestellung</p></div><p>Guten Tag</p></div>";
    assert_eq!(
        kefu_mail::trim_quoted(&kefu_mail::html_to_text(html)),
        "Bitte stornieren."
    );
}

#[test]
fn mbox_line_and_leading_blank_lines_are_skipped() {
    let raw = b"\r\nFrom buyer@example.com Mon Nov 17 09:00:00 2026\r\nFrom: buyer@example.com\r\nSubject: hi\r\n\r\nWhere is it?\r\n";
    let m = parse_inbound(raw).expect("parses");
    assert_eq!(
        (m.from_address.as_str(), m.text.as_str()),
        ("buyer@example.com", "Where is it?")
    );
}

/// A mail whose `From:` is one encoded word holding both name and address (issue 10,
/// item 11): the buyer, subject and body must come through whatever the charset. The
/// fixtures were written by the real tools (`tests/tools/`): Python's `email` package
/// (legacy `Header` API, base64 bodies) and swaks (8-bit bodies, B and Q words).
fn encoded_from(name: &str, address: &str, display: &str, subject: &str, text: &str) {
    let m = mail(name);
    assert_eq!(
        m.from_address, address,
        "{name}: the address inside the word"
    );
    assert_eq!(m.from_name.as_deref(), Some(display), "{name}: the name");
    assert_eq!(m.subject.as_deref(), Some(subject), "{name}: subject");
    assert_eq!(m.text, text, "{name}: body");
    assert_eq!(m.to, ["shop1@desk.example"], "{name}");
}

#[test]
fn python_gbk_name_and_address_in_one_word() {
    encoded_from(
        "python-gbk-encoded-from.eml",
        "lilei@163.example.com",
        "李雷",
        "订单 2026120101 还没发货",
        "你好，我的订单 2026120101 已付款五天，还没有发货，请尽快处理。\n\n李雷",
    );
}

#[test]
fn python_gb18030_name_and_address_in_one_word() {
    encoded_from(
        "python-gb18030-encoded-from.eml",
        "hanmeimei@qq.example.com",
        "韩梅梅",
        "退货地址是哪里？",
        "您好，我想退回订单 2026120202 的鞋子，尺码偏小。请告诉我退货地址。\n\n韩梅梅",
    );
}

#[test]
fn python_big5_name_and_address_in_one_word() {
    // Python labels these words `big5_tw`, a name outside the WHATWG list.
    encoded_from(
        "python-big5-encoded-from.eml",
        "zhiming.lin@example.com.tw",
        "林志明",
        "包裹何時到？",
        "您好，訂單 778899 的包裹已經一週了，請問何時會到？\n\n林志明",
    );
}

#[test]
fn python_utf8_name_and_address_in_one_word() {
    encoded_from(
        "python-utf-8-encoded-from.eml",
        "jose.perez@webmail.example.es",
        "José Pérez 王",
        "¿Dónde está mi pedido 4455?",
        "Hola, el pedido 4455 no ha llegado todavía. ¿Pueden revisarlo?\n\nJosé",
    );
}

#[test]
fn swaks_gbk_name_and_address_in_one_word() {
    encoded_from(
        "swaks-gbk-encoded-from.eml",
        "zhangwei@163.example.com",
        "张伟",
        "快递单号查不到",
        "你好，快递单号 SF1234567890 查不到物流信息，请帮忙看一下。\n\n张伟",
    );
}

#[test]
fn swaks_gb18030_q_encoded_name_and_address() {
    encoded_from(
        "swaks-gb18030-encoded-from.eml",
        "liuyang@qq.example.com",
        "刘洋",
        "发票怎么开？",
        "您好，订单 2026120303 需要开增值税发票，抬头：某某公司。\n\n刘洋",
    );
}

#[test]
fn swaks_big5_name_and_address_in_one_word() {
    encoded_from(
        "swaks-big5-encoded-from.eml",
        "meiling@example.com.hk",
        "黃美玲",
        "尺寸不合適，可以換嗎？",
        "你好，收到的外套尺寸太大，請問可以換小一號嗎？\n\n黃美玲",
    );
}

#[test]
fn swaks_utf8_q_encoded_name_and_address() {
    encoded_from(
        "swaks-utf-8-encoded-from.eml",
        "zoe.mueller@mail.example.de",
        "Zoë Müller 李",
        "Wo bleibt meine Bestellung?",
        "Hallo, meine Bestellung 9911 ist noch nicht da. Können Sie nachsehen?\n\nZoë",
    );
}
