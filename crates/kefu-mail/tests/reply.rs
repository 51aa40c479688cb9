//! `build_reply` round trips: what it writes, parsed back by `parse_inbound`
//! (mail-parser, the same library buyers' messages go through), gives back the
//! body, the subject with one "Re: ", the threading headers and the names.

use chrono::{TimeZone, Utc};
use kefu_mail::{
    OutboundMail, build_reply, build_reply_with_message_id, parse_inbound, thread_keys,
};

fn reply(body: &str) -> OutboundMail {
    OutboundMail {
        from: "service@xiaoxiong.example.cn".into(),
        from_name: Some("小熊旗舰店客服".into()),
        to: "wangxm@qq.example.com".into(),
        subject: "回复：订单 2026111188 什么时候发货？".into(),
        body: body.into(),
        in_reply_to: Some("<tencent_4F1A2B3C4D5E6F708192A3B4@qq.example.com>".into()),
        references: vec!["kefu.order-2026111188.1@xiaoxiong.example.cn".into()],
        message_id_domain: "xiaoxiong.example.cn".into(),
        date: Utc.with_ymd_and_hms(2026, 11, 12, 2, 0, 0).unwrap(),
    }
}

/// Every line ends in CRLF, none is over RFC 5322's 998, headers fold at 78.
fn assert_wire_format(bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).expect("7-bit output");
    assert!(text.is_ascii(), "non-ASCII byte on the wire");
    assert!(text.ends_with("\r\n"));
    let (head, _) = text.split_once("\r\n\r\n").expect("header/body separator");
    for line in text.split("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line end in {line:?}"
        );
        assert!(line.len() <= 998);
    }
    for line in head.split("\r\n") {
        assert!(line.len() <= 78, "long header line {line:?}");
    }
}

#[test]
fn chinese_reply_round_trips() {
    let body = "亲，您好！\n\n您的订单 2026111188 今天下午发货，顺丰单号明天可以查到。\n给您带来不便，非常抱歉。";
    let m = reply(body);
    let (id, bytes) = build_reply(&m);
    assert_wire_format(&bytes);
    let head = String::from_utf8_lossy(&bytes);
    assert!(
        head.contains("Content-Transfer-Encoding: base64"),
        "Chinese goes as base64"
    );
    assert!(head.contains("MIME-Version: 1.0\r\n"));
    assert!(head.contains("Date: Thu, 12 Nov 2026 02:00:00 +0000\r\n"));

    let back = parse_inbound(&bytes).expect("parses");
    assert_eq!(back.full_text, body);
    assert_eq!(back.text, body);
    assert_eq!(
        back.subject.as_deref(),
        Some("Re: 订单 2026111188 什么时候发货？")
    );
    assert_eq!(back.from_name.as_deref(), Some("小熊旗舰店客服"));
    assert_eq!(back.from_address, "service@xiaoxiong.example.cn");
    assert_eq!(back.to, ["wangxm@qq.example.com"]);
    assert_eq!(back.message_id.as_deref(), Some(id.as_str()));
    assert!(id.ends_with("@xiaoxiong.example.cn") && !id.contains('<'));
    assert_eq!(
        back.in_reply_to,
        ["tencent_4F1A2B3C4D5E6F708192A3B4@qq.example.com"]
    );
    assert_eq!(
        back.references,
        [
            "kefu.order-2026111188.1@xiaoxiong.example.cn",
            "tencent_4F1A2B3C4D5E6F708192A3B4@qq.example.com"
        ]
    );
    assert_eq!(back.date, Some(m.date));
    assert_eq!(
        thread_keys(&back)[1],
        "tencent_4F1A2B3C4D5E6F708192A3B4@qq.example.com"
    );
}

#[test]
fn latin_reply_round_trips_in_quoted_printable() {
    let long = "word ".repeat(40);
    let body = format!(
        "Hallo Herr Müller,\n\nIhre Bestellung 4711 ist unterwegs. 5 = fünf, 100% sicher.  \n\
         From now on: tracking works.\n.\n{long}\n\nMit freundlichen Grüßen\nShop"
    );
    let mut m = reply(&body);
    m.from_name = Some("Shop Kundenservice (Team \"Nord\")".into());
    m.subject = "AW: Re: Ihre Bestellung 4711".into();
    m.to = "j.mueller@example.de".into();
    let (_, bytes) = build_reply(&m);
    assert_wire_format(&bytes);
    assert!(
        String::from_utf8_lossy(&bytes).contains("Content-Transfer-Encoding: quoted-printable")
    );
    let back = parse_inbound(&bytes).expect("parses");
    assert_eq!(back.full_text, body.trim_end());
    assert_eq!(back.subject.as_deref(), Some("Re: Ihre Bestellung 4711"));
    assert_eq!(
        back.from_name.as_deref(),
        Some("Shop Kundenservice (Team \"Nord\")")
    );
}

#[test]
fn long_names_and_subjects_fold_and_decode() {
    let mut m = reply("好的");
    m.from_name = Some("小熊旗舰店官方客服中心（售后服务部）".repeat(3));
    m.subject = format!("Re: {}", "关于订单的售后问题，".repeat(8));
    let (_, bytes) = build_reply(&m);
    assert_wire_format(&bytes);
    let back = parse_inbound(&bytes).expect("parses");
    assert_eq!(back.from_name, m.from_name);
    assert_eq!(back.subject, Some(m.subject.clone()));

    let mut m = reply("ok");
    m.subject =
        "A very long English subject line about order 2026111188 that goes on and on past the fold"
            .into();
    let (_, bytes) = build_reply(&m);
    assert_wire_format(&bytes);
    let back = parse_inbound(&bytes).expect("parses");
    assert_eq!(back.subject, Some(format!("Re: {}", m.subject)));
}

#[test]
fn message_id_is_deterministic_and_distinct() {
    let (a, bytes_a) = build_reply(&reply("one"));
    let (a2, bytes_a2) = build_reply(&reply("one"));
    let (b, _) = build_reply(&reply("two"));
    assert_eq!(a, a2);
    assert_eq!(bytes_a, bytes_a2);
    assert_ne!(a, b);

    let bytes = build_reply_with_message_id(&reply("one"), "<outbox-42@xiaoxiong.example.cn>");
    let back = parse_inbound(&bytes).expect("parses");
    assert_eq!(
        back.message_id.as_deref(),
        Some("outbox-42@xiaoxiong.example.cn")
    );
}

#[test]
fn no_header_injection_through_inputs() {
    let mut m = reply("hi");
    m.subject = "Hello\r\nBcc: victim@example.com".into();
    m.from_name = Some("Shop\r\nX-Evil: 1".into());
    m.to = "buyer@example.com\r\nCc: other@example.com".into();
    m.message_id_domain = "shop.example\r\nX-Evil: 2".into();
    let (_, bytes) = build_reply(&m);
    assert_wire_format(&bytes);
    let text = String::from_utf8_lossy(&bytes);
    for line in text.split("\r\n") {
        for bad in ["Bcc:", "Cc:", "X-Evil:"] {
            assert!(!line.starts_with(bad), "injected header {line:?}");
        }
    }
}

#[test]
fn a_new_mail_without_parent_has_no_threading_headers() {
    let mut m = reply("Your parcel has shipped.");
    m.in_reply_to = None;
    m.references.clear();
    m.subject = "Your order".into();
    let (_, bytes) = build_reply(&m);
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("In-Reply-To") && !text.contains("References"));
    let back = parse_inbound(&bytes).expect("parses");
    assert_eq!(back.subject.as_deref(), Some("Re: Your order"));
    assert_eq!(back.text, "Your parcel has shipped.");
}

#[test]
fn replying_to_a_parsed_inbound_mail_threads_under_it() {
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/mails/german-outlook-reply.eml"
    ))
    .expect("corpus");
    let inbound = parse_inbound(&raw).expect("parses");
    let out = OutboundMail {
        from: "service@shop.example.de".into(),
        from_name: Some("Shop Kundenservice".into()),
        to: inbound.from_address.clone(),
        subject: inbound.subject.clone().unwrap_or_default(),
        body: "Guten Tag, wir haben beim Versand nachgefragt.".into(),
        in_reply_to: inbound.message_id.clone(),
        references: inbound.references.clone(),
        message_id_domain: "shop.example.de".into(),
        date: Utc.with_ymd_and_hms(2026, 11, 12, 9, 0, 0).unwrap(),
    };
    let (id, bytes) = build_reply(&out);
    let back = parse_inbound(&bytes).expect("parses");
    assert_eq!(back.subject.as_deref(), Some("Re: Ihre Bestellung 4711"));
    let mut want = inbound.references.clone();
    want.push(inbound.message_id.clone().expect("id"));
    assert_eq!(back.references, want);
    assert_eq!(thread_keys(&back)[0], id);
    assert_eq!(thread_keys(&back)[1], inbound.message_id.expect("id"));
}
