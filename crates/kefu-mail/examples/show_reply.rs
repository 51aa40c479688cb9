//! Prints a sample reply as it goes on the wire: `cargo run -p kefu-mail --example show_reply`.
use chrono::{TimeZone, Utc};
use kefu_mail::{OutboundMail, build_reply};

fn main() {
    let m = OutboundMail {
        from: "service@xiaoxiong.example.cn".into(),
        from_name: Some("小熊旗舰店客服".into()),
        to: "wangxm@qq.example.com".into(),
        subject: "回复：订单 2026111188 什么时候发货？".into(),
        body: "亲，您好！\n\n您的订单今天下午发货。".into(),
        in_reply_to: Some("tencent_4F1A2B3C@qq.example.com".into()),
        references: vec!["kefu.order-2026111188.1@xiaoxiong.example.cn".into()],
        message_id_domain: "xiaoxiong.example.cn".into(),
        date: Utc.with_ymd_and_hms(2026, 11, 12, 2, 0, 0).unwrap(),
    };
    let (id, bytes) = build_reply(&m);
    println!("Message-ID {id}\n");
    print!("{}", String::from_utf8_lossy(&bytes).replace("\r\n", "\n"));
}
