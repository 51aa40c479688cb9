//! A fake eBay and AliExpress on 127.0.0.1, serving the recorded payloads under
//! `tests/fixtures/` and checking each request the way the platform would: required headers,
//! call names, the token, and (AliExpress) the signature, recomputed here with its own code so
//! a bug in the connector's signer cannot hide behind the same bug in the checker.
//!
//! Requests that break a rule get the platform's documented error response *and* are noted in
//! `State::problems`, which every test asserts empty unless it provoked the problem.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

pub const EBAY_TOKEN: &str = "v^1.1#i^1#r^1#p^3#I^3#f^0#t^H4sIAAAAAAAAAOVZ-test-seller-token";
pub const AE_APP_KEY: &str = "34567890";
pub const AE_SECRET: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
pub const AE_TOKEN: &str = "50000800a12bCdEfGhIjKlMnOpQrStUvWxYz1f2e3d4a5b6c7d8";
pub const AE_SELLER: &str = "cn1500123456acme";

/// A canned failure for requests whose path starts with `path_prefix`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub path_prefix: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    pub body: String,
}

impl Fault {
    pub fn new(path_prefix: &str, status: u16, content_type: &str, body: &str) -> Fault {
        Fault {
            path_prefix: path_prefix.to_string(),
            status,
            headers: Vec::new(),
            content_type: content_type.to_string(),
            body: body.to_string(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Fault {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// One request as the fake understood it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    /// Trading call name, AliExpress method, or "GET <path>".
    pub call: String,
    pub params: BTreeMap<String, String>,
}

#[derive(Default)]
pub struct State {
    /// 1: the shop as first seen; 2: later, after new messages arrived.
    pub phase: AtomicU8,
    pub fault: Mutex<Option<Fault>>,
    pub requests: Mutex<Vec<Recorded>>,
    pub problems: Mutex<Vec<String>>,
    /// Make AddMemberMessageRTQ fail as eBay does for a question it will not take a reply to.
    pub reject_rtq: Mutex<bool>,
}

impl State {
    fn record(&self, path: &str, call: &str, params: BTreeMap<String, String>) {
        self.requests.lock().unwrap().push(Recorded {
            path: path.to_string(),
            call: call.to_string(),
            params,
        });
    }

    fn problem(&self, p: String) {
        self.problems.lock().unwrap().push(p);
    }
}

pub struct Fake {
    pub base: String,
    pub state: Arc<State>,
}

impl Fake {
    pub async fn start() -> Fake {
        let state = Arc::new(State::default());
        state.phase.store(1, Ordering::SeqCst);
        let app = Router::new()
            .route("/ws/api.dll", post(ebay_trading))
            .route("/sell/fulfillment/v1/order", get(ebay_orders))
            .route(
                "/sell/fulfillment/v1/order/{order_id}/shipping_fulfillment",
                get(ebay_shipping),
            )
            .route("/post-order/v2/return/search", get(ebay_returns))
            .route("/sync", post(aliexpress))
            .route("/router/rest", post(aliexpress))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake {
            base: format!("http://{addr}"),
            state,
        }
    }

    pub fn set_phase(&self, phase: u8) {
        self.state.phase.store(phase, Ordering::SeqCst);
    }

    pub fn set_fault(&self, f: Option<Fault>) {
        *self.state.fault.lock().unwrap() = f;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn calls(&self, call: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.call == call)
            .collect()
    }

    pub fn clear_requests(&self) {
        self.state.requests.lock().unwrap().clear();
    }

    pub fn problems(&self) -> Vec<String> {
        self.state.problems.lock().unwrap().clone()
    }

    pub fn assert_no_problems(&self) {
        let p = self.problems();
        assert!(p.is_empty(), "the fake platform saw bad requests: {p:#?}");
    }
}

/// The recorded payloads, found the same way from this crate's tests and from the desk's
/// end-to-end test in `crates/kefu`, which includes this module. `KEFU_CONNECT_FIXTURES`
/// points elsewhere (that test serves copies moved to the present, since a real server polls
/// with the real clock).
const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../kefu-connect/tests/fixtures"
);

fn fixtures_dir() -> String {
    std::env::var("KEFU_CONNECT_FIXTURES").unwrap_or_else(|_| FIXTURES.to_string())
}

pub fn fixture(platform: &str, name: &str) -> String {
    let dir = fixtures_dir();
    let p: PathBuf = [dir.as_str(), platform, name].iter().collect();
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn reply(status: u16, content_type: &str, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", content_type.to_string())],
        body,
    )
        .into_response()
}

fn xml(body: String) -> Response {
    reply(200, "text/xml;charset=utf-8", body)
}

fn json(status: u16, body: String) -> Response {
    reply(status, "application/json;charset=utf-8", body)
}

fn injected(state: &State, path: &str) -> Option<Response> {
    let f = state.fault.lock().unwrap().clone()?;
    if !path.starts_with(&f.path_prefix) {
        return None;
    }
    let mut r = reply(f.status, &f.content_type, f.body.clone());
    for (k, v) in &f.headers {
        r.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    Some(r)
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The text of the first `<tag>…</tag>` in `xml`, unescaped.
pub fn tag(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        quick_xml::escape::unescape(&xml[start..end])
            .unwrap()
            .into_owned(),
    )
}

// ---- eBay ----------------------------------------------------------------------------------

async fn ebay_trading(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = injected(&state, "/ws/api.dll") {
        return r;
    }
    let call = header(&headers, "X-EBAY-API-CALL-NAME")
        .unwrap_or("")
        .to_string();
    let mut missing = Vec::new();
    for h in [
        "X-EBAY-API-CALL-NAME",
        "X-EBAY-API-SITEID",
        "X-EBAY-API-COMPATIBILITY-LEVEL",
    ] {
        match header(&headers, h) {
            Some(v) if !v.is_empty() => {}
            _ => missing.push(h),
        }
    }
    if header(&headers, "X-EBAY-API-SITEID").is_some_and(|v| v.parse::<u32>().is_err()) {
        missing.push("X-EBAY-API-SITEID (numeric)");
    }
    if !missing.is_empty() {
        state.problem(format!("Trading call without {missing:?}"));
        return xml(trading_failure(
            &call,
            "2",
            "Unsupported API call.",
            "Required headers are missing.",
        ));
    }
    let root = format!("<{call}Request xmlns=\"urn:ebay:apis:eBLBaseComponents\">");
    if !body.trim_start().starts_with("<?xml") || !body.contains(&root) {
        state.problem(format!("Trading body does not match call {call}: {body}"));
        return xml(trading_failure(
            &call,
            "5",
            "XML Parse error.",
            &format!("The request is not a well-formed {call}Request."),
        ));
    }
    let token_ok = header(&headers, "X-EBAY-API-IAF-TOKEN") == Some(EBAY_TOKEN);
    if !token_ok {
        return xml(fixture("ebay", "error_931.xml")
            .replace("GetMemberMessagesResponse", &format!("{call}Response")));
    }
    let mut params = BTreeMap::new();
    match call.as_str() {
        "GetMemberMessages" => {
            for t in [
                "MailMessageType",
                "StartCreationTime",
                "EndCreationTime",
                "EntriesPerPage",
                "PageNumber",
            ] {
                if let Some(v) = tag(&body, t) {
                    params.insert(t.to_string(), v);
                }
            }
            state.record("/ws/api.dll", &call, params.clone());
            if params.get("MailMessageType").map(String::as_str) != Some("AskSellerQuestion") {
                state.problem(format!(
                    "GetMemberMessages without MailMessageType AskSellerQuestion: {params:?}"
                ));
            }
            if !params.contains_key("StartCreationTime") || !params.contains_key("EndCreationTime")
            {
                state.problem("AskSellerQuestion needs a date range or an ItemID".into());
            }
            let page = params.get("PageNumber").map(String::as_str).unwrap_or("1");
            let name = match (state.phase.load(Ordering::SeqCst), page) {
                (1, "1") => "get_member_messages_p1.xml",
                (1, "2") => "get_member_messages_p2.xml",
                (2, "1") => "get_member_messages_later.xml",
                (_, p) => {
                    state.problem(format!(
                        "GetMemberMessages asked for page {p} that does not exist"
                    ));
                    "get_member_messages_p2.xml"
                }
            };
            xml(fixture("ebay", name))
        }
        "AddMemberMessageRTQ" => {
            for t in [
                "ItemID",
                "RecipientID",
                "ParentMessageID",
                "Body",
                "DisplayToPublic",
            ] {
                if let Some(v) = tag(&body, t) {
                    params.insert(t.to_string(), v);
                }
            }
            state.record("/ws/api.dll", &call, params.clone());
            for required in ["ItemID", "RecipientID", "ParentMessageID", "Body"] {
                if !params.contains_key(required) {
                    state.problem(format!("AddMemberMessageRTQ without {required}"));
                }
            }
            if *state.reject_rtq.lock().unwrap() {
                return xml(fixture("ebay", "error_rtq_rejected.xml"));
            }
            xml(fixture("ebay", "add_member_message_rtq.xml"))
        }
        other => {
            state.problem(format!("unexpected Trading call {other}"));
            xml(trading_failure(
                other,
                "2",
                "Unsupported API call.",
                "Not served by the fake.",
            ))
        }
    }
}

fn trading_failure(call: &str, code: &str, short: &str, long: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{call}Response xmlns=\"urn:ebay:apis:eBLBaseComponents\"><Timestamp>2025-03-11T08:00:00.000Z</Timestamp><Ack>Failure</Ack><Errors><ShortMessage>{short}</ShortMessage><LongMessage>{long}</LongMessage><ErrorCode>{code}</ErrorCode><SeverityCode>Error</SeverityCode><ErrorClassification>RequestError</ErrorClassification></Errors><Version>1423</Version></{call}Response>"
    )
}

fn bearer_ok(state: &State, headers: &HeaderMap, scheme: &str) -> bool {
    let want = format!("{scheme} {EBAY_TOKEN}");
    match header(headers, "Authorization") {
        Some(v) if v == want => true,
        Some(v) if v.starts_with(scheme) => false,
        other => {
            state.problem(format!(
                "REST call with Authorization {other:?}, wanted scheme {scheme}"
            ));
            false
        }
    }
}

async fn ebay_orders(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = "/sell/fulfillment/v1/order";
    if let Some(r) = injected(&state, path) {
        return r;
    }
    if !bearer_ok(&state, &headers, "Bearer") {
        return json(401, fixture("ebay", "rest_error_invalid_token.json"));
    }
    let params: BTreeMap<String, String> = q.into_iter().collect();
    state.record(path, "GET /sell/fulfillment/v1/order", params.clone());
    if let Some(filter) = params.get("filter") {
        if !(filter.starts_with("lastmodifieddate:[") && filter.ends_with("..]")) {
            state.problem(format!(
                "getOrders filter not in the documented form: {filter}"
            ));
        }
        let name = if state.phase.load(Ordering::SeqCst) == 1 {
            "orders_modified.json"
        } else {
            "orders_modified_later.json"
        };
        return json(200, fixture("ebay", name));
    }
    if let Some(ids) = params.get("orderIds") {
        if ids.split(',').any(|id| id == "12-34567-89012") {
            return json(200, fixture("ebay", "orders_by_id.json"));
        }
        return json(
            200,
            r#"{"total":0,"limit":50,"offset":0,"orders":[]}"#.into(),
        );
    }
    state.problem("getOrders without filter or orderIds".into());
    json(
        200,
        r#"{"total":0,"limit":50,"offset":0,"orders":[]}"#.into(),
    )
}

async fn ebay_shipping(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
) -> Response {
    let path = format!("/sell/fulfillment/v1/order/{order_id}/shipping_fulfillment");
    if let Some(r) = injected(&state, &path) {
        return r;
    }
    if !bearer_ok(&state, &headers, "Bearer") {
        return json(401, fixture("ebay", "rest_error_invalid_token.json"));
    }
    state.record(
        &path,
        "GET shipping_fulfillment",
        BTreeMap::from([("orderId".to_string(), order_id.clone())]),
    );
    let name = format!("shipping_{order_id}.json");
    let dir = fixtures_dir();
    let p: PathBuf = [dir.as_str(), "ebay", &name].iter().collect();
    if p.exists() {
        json(200, fixture("ebay", &name))
    } else {
        state.problem(format!(
            "shipping fulfillments asked for order {order_id} that has none"
        ));
        json(
            404,
            r#"{"errors":[{"errorId":32100,"domain":"API_FULFILLMENT","category":"REQUEST","message":"Invalid order ID"}]}"#.into(),
        )
    }
}

async fn ebay_returns(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = "/post-order/v2/return/search";
    if let Some(r) = injected(&state, path) {
        return r;
    }
    if header(&headers, "X-EBAY-C-MARKETPLACE-ID").is_none() {
        state.problem("Post-Order call without X-EBAY-C-MARKETPLACE-ID".into());
    }
    if !bearer_ok(&state, &headers, "IAF") {
        return json(401, fixture("ebay", "rest_error_invalid_token.json"));
    }
    let params: BTreeMap<String, String> = q.into_iter().collect();
    state.record(path, "GET /post-order/v2/return/search", params);
    json(200, fixture("ebay", "returns_search.json"))
}

// ---- AliExpress ----------------------------------------------------------------------------

/// The gateway's signature, written independently of the crate's signer.
fn expected_sign(params: &BTreeMap<String, String>, method: &str) -> Option<String> {
    let mut joined = String::new();
    for (k, v) in params {
        if k != "sign" && !v.is_empty() {
            joined.push_str(k);
            joined.push_str(v);
        }
    }
    let bytes: Vec<u8> = match method {
        "sha256" => {
            let mut m = Hmac::<Sha256>::new_from_slice(AE_SECRET.as_bytes()).unwrap();
            m.update(joined.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        "hmac" => {
            let mut m = Hmac::<Md5>::new_from_slice(AE_SECRET.as_bytes()).unwrap();
            m.update(joined.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        "md5" => Md5::digest(format!("{AE_SECRET}{joined}{AE_SECRET}").as_bytes()).to_vec(),
        _ => return None,
    };
    Some(bytes.iter().map(|b| format!("{b:02X}")).collect())
}

fn top_error(code: u32, msg: &str, sub_msg: &str) -> Response {
    json(
        200,
        serde_json::json!({"error_response": {"code": code, "msg": msg, "sub_msg": sub_msg, "request_id": "fake"}})
            .to_string(),
    )
}

async fn aliexpress(
    AxState(state): AxState<Arc<State>>,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if let Some(r) = injected(&state, &path) {
        return r;
    }
    let mut params: BTreeMap<String, String> = q.into_iter().collect();
    match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
        Ok(form) => params.extend(form),
        Err(e) => {
            state.problem(format!("AliExpress body is not a form: {e}"));
            return top_error(41, "Invalid Arguments", "body");
        }
    }
    for p in [
        "method",
        "app_key",
        "sign_method",
        "timestamp",
        "sign",
        "v",
        "format",
    ] {
        if params.get(p).is_none_or(|v| v.is_empty()) {
            state.problem(format!("AliExpress call without {p}"));
            return top_error(40, "Missing Required Arguments", p);
        }
    }
    if params["v"] != "2.0" || params["format"] != "json" {
        state.problem(format!("v/format: {} {}", params["v"], params["format"]));
    }
    if params["app_key"] != AE_APP_KEY {
        return top_error(29, "Invalid App Key", "");
    }
    let sign_method = params["sign_method"].clone();
    let Some(want) = expected_sign(&params, &sign_method) else {
        state.problem(format!("unknown sign_method {sign_method}"));
        return top_error(41, "Invalid Arguments", "sign_method");
    };
    if params["sign"] != want {
        return json(
            200,
            fixture("aliexpress", "error_incomplete_signature.json"),
        );
    }
    // The timestamp must be within ten minutes of the gateway's clock.
    let ts = &params["timestamp"];
    let fresh = if sign_method == "sha256" {
        ts.parse::<i64>()
            .is_ok_and(|ms| (Utc::now().timestamp_millis() - ms).abs() < 600_000)
    } else {
        NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S").is_ok_and(|t| {
            let utc = t - TimeDelta::hours(8);
            (Utc::now().naive_utc() - utc).abs() < TimeDelta::minutes(10)
        })
    };
    if !fresh {
        state.problem(format!(
            "stale or malformed timestamp {ts} for {sign_method}"
        ));
        return top_error(31, "Invalid Timestamp", ts);
    }
    let token_param = if sign_method == "sha256" {
        "access_token"
    } else {
        "session"
    };
    if params.get(token_param).map(String::as_str) != Some(AE_TOKEN) {
        if !params.contains_key(token_param) {
            state.problem(format!("no {token_param} for sign_method {sign_method}"));
        }
        return json(
            200,
            fixture("aliexpress", "error_illegal_access_token.json"),
        );
    }
    let method = params["method"].clone();
    state.record(&path, &method, params.clone());
    let phase = state.phase.load(Ordering::SeqCst);
    match method.as_str() {
        "aliexpress.message.redefining.versiontwo.querymsgrelationlist" => {
            let Some(query) = params
                .get("query")
                .and_then(|q| serde_json::from_str::<serde_json::Value>(q).ok())
            else {
                state.problem("querymsgrelationlist without a JSON query".into());
                return top_error(40, "Missing Required Arguments", "query");
            };
            for k in ["current_page", "page_size", "start_time", "end_time"] {
                if !query.get(k).is_some_and(|v| v.is_i64() || v.is_u64()) {
                    state.problem(format!("relation query without numeric {k}: {query}"));
                }
            }
            if query["page_size"].as_u64().is_some_and(|n| n > 100) {
                state.problem("relation page_size above 100".into());
            }
            if query["current_page"].as_u64() != Some(1) {
                state.problem(format!(
                    "relation page {} asked though page 1 was short",
                    query["current_page"]
                ));
            }
            let name = if phase == 1 {
                "relations.json"
            } else {
                "relations_later.json"
            };
            json(200, fixture("aliexpress", name))
        }
        "aliexpress.message.redefining.versiontwo.querymsgdetaillist" => {
            let channel = params.get("channel_id").cloned().unwrap_or_default();
            for k in ["current_page", "page_size"] {
                if params.get(k).is_none_or(|v| v.parse::<u32>().is_err()) {
                    state.problem(format!("querymsgdetaillist without numeric {k}"));
                }
            }
            let name = match (channel.as_str(), phase) {
                ("3004998877001", 1) => "details_3004998877001.json",
                ("3004998877001", _) => "details_3004998877001_later.json",
                ("3004998877002", _) => "details_3004998877002.json",
                _ => {
                    state.problem(format!("details for unknown channel {channel:?}"));
                    return top_error(41, "Invalid Arguments", "channel_id");
                }
            };
            json(200, fixture("aliexpress", name))
        }
        "aliexpress.message.redefining.versiontwo.addmsg" => {
            let Some(create) = params
                .get("create_param")
                .and_then(|q| serde_json::from_str::<serde_json::Value>(q).ok())
            else {
                state.problem("addmsg without a JSON create_param".into());
                return top_error(40, "Missing Required Arguments", "create_param");
            };
            for k in ["buyer_id", "content", "message_type", "extern_id"] {
                if create.get(k).is_none() {
                    state.problem(format!("addmsg create_param without {k}: {create}"));
                }
            }
            json(200, fixture("aliexpress", "addmsg.json"))
        }
        other => {
            state.problem(format!("unexpected AliExpress method {other}"));
            top_error(22, "Invalid Method", other)
        }
    }
}
