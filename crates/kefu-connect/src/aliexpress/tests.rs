//! Signatures, envelopes, gateway errors and list shapes, checked without a network.

use chrono::TimeZone;

use super::*;

// Expected values computed independently (Python hashlib/hmac) over
// "app_key12345methodaliexpress.test.calltimestamp1741600000000v2.0".
const PARAMS: [(&str, &str); 5] = [
    ("v", "2.0"),
    ("method", "aliexpress.test.call"),
    ("timestamp", "1741600000000"),
    ("app_key", "12345"),
    ("empty", ""),
];

#[test]
fn signatures_match_independent_computation() {
    let secret = "helloworld";
    assert_eq!(
        sign(PARAMS, secret, SignMethod::Sha256),
        "616F5432C50373F52B4B0E0904E4C45098963F8E4BCCC24E6BA140551F607F38"
    );
    assert_eq!(
        sign(PARAMS, secret, SignMethod::Md5),
        "433DB5F2008B582445E2B660F6270694"
    );
    assert_eq!(
        sign(PARAMS, secret, SignMethod::HmacMd5),
        "6D41824F8A6F3BCFDF557CBF6A75E368"
    );
}

#[test]
fn response_key_follows_the_method() {
    assert_eq!(
        response_key(METHOD_ADD),
        "aliexpress_message_redefining_versiontwo_addmsg_response"
    );
}

#[test]
fn gateway_errors_are_sorted() {
    let w = "AliExpress test";
    let e = |v: Value| gateway_error(w, &v);
    assert!(matches!(
        e(json!({"code": 27, "msg": "Invalid session"})),
        ConnectError::Auth(_)
    ));
    assert!(matches!(
        e(
            json!({"type": "ISV", "code": "IllegalAccessToken", "msg": "The specified access token is invalid or expired"})
        ),
        ConnectError::Auth(_)
    ));
    assert!(matches!(
        e(json!({"code": "25", "msg": "Invalid signature"})),
        ConnectError::Auth(_)
    ));
    assert_eq!(
        e(
            json!({"code": 7, "msg": "App Call Limited", "sub_code": "accesscontrol.limited-by-app-access-count", "sub_msg": "This ban will last for 12 more seconds"})
        ),
        ConnectError::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(12))
        }
    );
    assert!(matches!(
        e(json!({"type": "ISP", "code": "ApiCallLimit", "msg": "too fast"})),
        ConnectError::RateLimited { retry_after: None }
    ));
    assert!(matches!(
        e(
            json!({"code": 15, "msg": "Remote service error", "sub_code": "isp.remote-service-timeout"})
        ),
        ConnectError::Transient(_)
    ));
    assert!(matches!(
        e(json!({"code": 41, "msg": "Invalid Arguments", "sub_code": "isv.invalid-parameter"})),
        ConnectError::Rejected(_)
    ));
}

#[test]
fn top_timestamp_is_beijing_time() {
    let t = Utc.with_ymd_and_hms(2025, 3, 10, 18, 30, 5).unwrap();
    assert_eq!(top_timestamp(t), "2025-03-11 02:30:05");
}

#[test]
fn lists_in_all_their_shapes() {
    assert_eq!(list(Some(&json!({"x": [1, 2]})), "x").len(), 2);
    assert_eq!(list(Some(&json!({"x": {"a": 1}})), "x").len(), 1);
    assert_eq!(list(Some(&json!([1])), "x").len(), 1);
    assert!(list(Some(&json!({})), "x").is_empty());
    assert!(list(None, "x").is_empty());
}
