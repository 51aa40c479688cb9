//! A shop's FAQ through the API: edited per key and language, guarded when saved, and the
//! season's presets loaded without overwriting what the shop wrote (PEAK-PREP).

mod common;

use common::{Server, shop};
use serde_json::json;

#[test]
fn faq_entries_are_edited_guarded_and_preset() {
    let server = Server::sqlite();
    let taobao = shop(&server, "taobao");
    let path = |key: &str, lang: &str| format!("/api/v1/shops/{taobao}/faqs/{key}/{lang}");

    let own = json!({"questions": ["能开发票吗", "发票怎么开"], "answer": "亲，可以开发票的，确认收货后在订单页点“申请开票”即可。"});
    let (status, body) = server.call("PUT", &path("invoice", "zh"), Some(&own));
    assert_eq!(status, 200, "{body}");
    let (status, listed) = server.call("GET", &format!("/api/v1/shops/{taobao}/faqs"), None);
    assert_eq!(status, 200);
    assert_eq!(listed["faqs"][0]["key"], "invoice");
    assert_eq!(listed["faqs"][0]["questions"][1], "发票怎么开");

    // An answer the guard would block can never be sent by the bot: refused when saved.
    let bad = json!({"questions": ["怎么退款"], "answer": "请先提供您的身份证照片和银行卡密码，我们再给您退款。"});
    let (status, body) = server.call("PUT", &path("refund", "zh"), Some(&bad));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "guard");
    assert_eq!(body["verdict"], "block");
    // Clear errors for bad keys, no questions, unknown shops.
    let (status, body) = server.call("PUT", &path("bad!key", "zh"), Some(&own));
    assert_eq!(status, 422, "{body}");
    let (status, body) = server.call(
        "PUT",
        &path("invoice", "en"),
        Some(&json!({"questions": [" "], "answer": "Yes."})),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("questions")
    );
    let (status, _) = server.call("PUT", "/api/v1/shops/999999/faqs/invoice/zh", Some(&own));
    assert_eq!(status, 404);

    // The presets fill in the rest and keep the shop's own invoice answer.
    let (status, loaded) = server.call(
        "POST",
        &format!("/api/v1/shops/{taobao}/faqs/presets"),
        None,
    );
    assert_eq!(status, 201, "{loaded}");
    assert_eq!(loaded["kept"], 1);
    let total = loaded["loaded"].as_i64().unwrap() + 1;
    assert!(total >= 80, "20 questions in four languages: {loaded}");
    let (_, listed) = server.call("GET", &format!("/api/v1/shops/{taobao}/faqs"), None);
    let faqs = listed["faqs"].as_array().unwrap();
    assert_eq!(faqs.len() as i64, total);
    let invoice_zh = faqs
        .iter()
        .find(|f| f["key"] == "invoice" && f["language"] == "zh")
        .unwrap();
    assert_eq!(invoice_zh["answer"], own["answer"]);
    let keys: std::collections::BTreeSet<&str> =
        faqs.iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 20, "{keys:?}");
    // Only some languages, on request.
    let other = shop(&server, "ebay");
    let (_, loaded) = server.call(
        "POST",
        &format!("/api/v1/shops/{other}/faqs/presets"),
        Some(&json!({"languages": ["en"]})),
    );
    assert_eq!(loaded["loaded"], 20);

    let (status, _) = server.call("DELETE", &path("invoice", "zh"), None);
    assert_eq!(status, 204);
    let (status, body) = server.call("DELETE", &path("invoice", "zh"), None);
    assert_eq!(status, 404, "{body}");
}
