//! The web chat widget in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) opens the demo store page of the real `kefu serve` on 127.0.0.1 and a
//! buyer chats with an agent through the widget, so a broken widget script fails the tests.
//!
//! Needs `/usr/bin/chromium` and `chromedriver`: `apt-get install -y chromium chromium-driver`
//! (CI's `.ci/run` installs them). Writes `docs/screenshots/chat-widget.png` on every run.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]
// The real binary runs on the system clock, so the tests read the same clock for their data.
#![allow(clippy::disallowed_methods)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::webdriver::Browser;
use common::{KEY, Server, kefu, shop};
use serde_json::{Value, json};

/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(15);

const QUESTION: &str = "Hello, is the blue rain jacket available in size M?";
const ANSWER: &str = "Hi there! Yes, the blue rain jacket is in stock in size M, and orders placed today leave our warehouse tomorrow morning.";
const OFFLINE_QUESTION: &str = "Great, thank you. Does it have a hood?";
const FOLLOW_UP: &str =
    "It does: the hood is adjustable and rolls away into the collar when you do not need it.";

/// A script expression evaluated with `w` bound to the widget's shadow root; `body` is a
/// function body that returns the value.
fn widget(body: &str) -> String {
    format!("(function (w) {{ {body} }})(document.querySelector('[data-kefu-chat]').shadowRoot)")
}

/// `text` as a JavaScript string literal.
fn js(text: &str) -> String {
    Value::from(text).to_string()
}

/// A condition: the widget's local outbox (in `localStorage`) has nothing left to send.
const OUTBOX_EMPTY: &str = "Object.keys(localStorage).filter(function (k) { return k.indexOf('kefu-chat:') === 0; }).every(function (k) { return JSON.parse(localStorage.getItem(k)).outbox.length === 0; })";

/// The chat bubbles the widget shows, in order: `from` (buyer/shop), `text`, `pending`, `id`.
fn bubbles(browser: &Browser) -> Vec<Value> {
    let script = format!(
        "return {};",
        widget(
            "return Array.prototype.map.call(w.querySelectorAll('.list .m'), function (e) {
               return {
                 from: e.classList.contains('buyer') ? 'buyer' : (e.classList.contains('shop') ? 'shop' : e.className),
                 text: e.textContent,
                 pending: e.classList.contains('pending'),
                 id: e.getAttribute('data-id') === null ? null : Number(e.getAttribute('data-id'))
               };
             });"
        )
    );
    browser
        .execute(&script, vec![])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The text of the widget element `selector`.
fn text_of(browser: &Browser, selector: &str) -> String {
    let script = format!(
        "return {};",
        widget(&format!(
            "return w.querySelector({}).textContent;",
            js(selector)
        ))
    );
    browser
        .execute(&script, vec![])
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A condition: the widget shows exactly one bubble from `from` with `text`, delivered (not
/// pending, with the server's message id).
fn delivered(from: &str, text: &str) -> String {
    widget(&format!(
        "var all = Array.prototype.filter.call(w.querySelectorAll('.list .m.{from}'), function (e) {{ return e.textContent === {}; }});
         return all.length === 1 && !all[0].classList.contains('pending') && all[0].hasAttribute('data-id');",
        js(text)
    ))
}

/// A condition: the widget shows exactly one bubble with `text`, still pending, and the
/// retry notice.
fn waiting_to_send(text: &str) -> String {
    widget(&format!(
        "var all = Array.prototype.filter.call(w.querySelectorAll('.list .m.buyer'), function (e) {{ return e.textContent === {}; }});
         return all.length === 1 && all[0].classList.contains('pending') && !all[0].hasAttribute('data-id')
             && w.querySelector('.err').textContent === 'Not sent yet, retrying…';",
        js(text)
    ))
}

/// Opens the store page and the chat panel, once the widget has its chat session (the
/// panel is then titled with the shop's name); the button puts the cursor in the text box.
fn open_chat(browser: &Browser, page: &str) {
    browser.goto(page);
    browser.wait_until(
        &widget("return w.querySelector('.head').textContent === 'ebay shop';"),
        WAIT,
    );
    assert_eq!(text_of(browser, ".btn"), "Chat with us");
    let button = browser.find(&format!(
        "return {};",
        widget("return w.querySelector('.btn');")
    ));
    browser.click(&button);
    browser.wait_until(
        &widget(
            "return w.querySelector('.panel').classList.contains('on')
                && w.querySelector('.btn').getAttribute('aria-expanded') === 'true'
                && w.activeElement === w.querySelector('textarea');",
        ),
        WAIT,
    );
}

/// Types `text` into the chat's text box key by key and presses Enter.
fn type_and_send(browser: &Browser, text: &str) {
    let textarea = browser.find(&format!(
        "return {};",
        widget("return w.querySelector('textarea');")
    ));
    browser.send_keys(&textarea, &format!("{text}\u{E007}"));
}

/// Polls `probe` every 100 ms until it gives a value; panics naming `what` after `WAIT`.
fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(start.elapsed() < WAIT, "waited {WAIT:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn conversation(server: &Server, id: i64) -> Value {
    let (status, detail) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
    assert_eq!(status, 200, "{detail}");
    detail
}

/// The conversation's events of `kind`, once at least one is there.
fn events_eventually(server: &Server, conv: i64, kind: &str) -> Vec<Value> {
    eventually(&format!("a {kind} event in conversation {conv}"), || {
        let detail = conversation(server, conv);
        let found: Vec<Value> = detail["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == kind)
            .cloned()
            .collect();
        (!found.is_empty()).then_some(found)
    })
}

/// The stored messages of a conversation with `body`.
fn stored<'a>(detail: &'a Value, body: &str) -> Vec<&'a Value> {
    detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"] == body)
        .collect()
}

fn reply(server: &Server, conv: i64, body: &str) -> i64 {
    let (status, sent) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/replies"),
        Some(&json!({ "body": body })),
    );
    assert_eq!(status, 201, "{sent}");
    sent["message_id"].as_i64().unwrap()
}

/// The one conversation of the shop, found through its clocks.
fn only_conversation(server: &Server, shop_id: i64) -> i64 {
    let (status, list) = server.call(
        "GET",
        &format!("/api/v1/obligations?shop_id={shop_id}"),
        None,
    );
    assert_eq!(status, 200, "{list}");
    let mut conversations: Vec<i64> = list["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["conversation_id"].as_i64().unwrap())
        .collect();
    conversations.sort();
    conversations.dedup();
    assert_eq!(conversations.len(), 1, "{list}");
    conversations[0]
}

/// Starts `kefu serve` again on the address and database of the stopped `server`.
fn restart(server: &mut Server) {
    server.child = kefu()
        .args([
            "serve",
            "--db",
            &server.db,
            "--listen",
            &server.addr,
            "--master-key",
            KEY,
        ])
        .env("KEFU_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("restart kefu serve");
    server.wait_healthy();
}

/// No uncaught exception and no `console.error` in the page's scripts so far.
fn assert_no_exceptions(browser: &Browser) {
    let (exceptions, _, console) = browser.script_errors();
    assert!(
        exceptions.is_empty() && console.is_empty(),
        "the page's scripts failed: {exceptions:#?} {console:#?}\n{}",
        browser.dump()
    );
}

/// Nothing at all went wrong in the page's scripts so far, unhandled rejections included.
fn assert_no_script_errors(browser: &Browser) {
    assert_no_exceptions(browser);
    let (_, rejections, _) = browser.script_errors();
    assert!(
        rejections.is_empty(),
        "the widget left promise rejections unhandled on the store's page: {rejections:#?}\n{}",
        browser.dump()
    );
}

/// One browser at a time: two Chromiums on a small CI machine make every wait slower.
fn one_browser_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn screenshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots/chat-widget.png")
}

#[test]
fn a_buyer_chats_with_an_agent_through_the_widget_in_a_real_browser() {
    let _one = one_browser_at_a_time();
    let mut server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let browser = Browser::start();
    let page = format!("http://{}/chat/demo/{ebay}", server.addr);
    open_chat(&browser, &page);

    // The buyer types a question and presses Enter: it is shown at once, then delivered.
    type_and_send(&browser, QUESTION);
    browser.wait_until(&delivered("buyer", QUESTION), WAIT);
    let typed = browser.execute(
        &format!(
            "return {};",
            widget("return w.querySelector('textarea').value;")
        ),
        vec![],
    );
    assert_eq!(typed, "", "the text box is emptied");
    assert_eq!(text_of(&browser, ".err"), "");

    // It reached the desk once, as a web chat message of a new conversation of this shop.
    let conv = only_conversation(&server, ebay);
    let detail = conversation(&server, conv);
    assert_eq!(detail["channel"], "web_chat", "{detail}");
    assert_eq!(detail["messages"].as_array().unwrap().len(), 1, "{detail}");
    let question = stored(&detail, QUESTION);
    assert_eq!(question.len(), 1, "stored once: {detail}");
    assert_eq!(question[0]["channel"], "web_chat");
    assert_eq!(question[0]["direction"], "inbound");
    let shown = bubbles(&browser);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["id"], question[0]["id"], "{shown:?}");

    // The agent types: the widget says so. Like an agent's desk, the signal repeats while the
    // agent types (the widget reopens its stream once it knows the conversation, and a
    // signal sent before that stream is open is not kept).
    let typing_shown =
        widget("return w.querySelector('.typing').textContent === 'An agent is typing…';");
    let start = Instant::now();
    loop {
        let (status, body) = server.call(
            "POST",
            &format!("/api/v1/conversations/{conv}/typing"),
            None,
        );
        assert_eq!(status, 204, "{body}");
        std::thread::sleep(Duration::from_millis(300));
        if browser.execute(&format!("return {typing_shown};"), vec![]) == true {
            break;
        }
        if start.elapsed() > WAIT {
            // Fails with the condition and the page.
            browser.wait_until(&typing_shown, Duration::ZERO);
        }
    }

    // The agent answers: the reply appears without a reload, the typing line goes away and
    // the widget confirms the delivery, once.
    let answer_id = reply(&server, conv, ANSWER);
    browser.wait_until(&delivered("shop", ANSWER), WAIT);
    assert_eq!(text_of(&browser, ".typing"), "");
    let delivery = events_eventually(&server, conv, "reply_delivered");
    assert_eq!(delivery.len(), 1, "{delivery:?}");
    assert_eq!(delivery[0]["data"]["message_id"], answer_id);
    assert_eq!(delivery[0]["data"]["channel"], "web_chat");
    let shown = bubbles(&browser);
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert_eq!(
        (&shown[1]["from"], &shown[1]["id"]),
        (&json!("shop"), &json!(answer_id))
    );
    browser.screenshot(&screenshot_path());
    assert_no_script_errors(&browser);

    // A reload shows the whole conversation again, each message once, in order.
    open_chat(&browser, &page);
    browser.wait_until(&delivered("shop", ANSWER), WAIT);
    // Give a doubled replay the time to show itself.
    std::thread::sleep(Duration::from_millis(700));
    let shown = bubbles(&browser);
    let summary: Vec<(&Value, &Value, &Value)> = shown
        .iter()
        .map(|b| (&b["from"], &b["text"], &b["pending"]))
        .collect();
    assert_eq!(
        summary,
        vec![
            (&json!("buyer"), &json!(QUESTION), &json!(false)),
            (&json!("shop"), &json!(ANSWER), &json!(false)),
        ],
        "after a reload"
    );

    // The server goes away; the buyer writes anyway. The message stays on screen, pending,
    // with the retry notice, and waits in the outbox.
    server.kill();
    type_and_send(&browser, OFFLINE_QUESTION);
    browser.wait_until(&waiting_to_send(OFFLINE_QUESTION), WAIT);
    // At least one more attempt fails while the server is away; the message still waits.
    std::thread::sleep(Duration::from_millis(1500));
    browser.wait_until(&waiting_to_send(OFFLINE_QUESTION), Duration::ZERO);
    assert_eq!(bubbles(&browser).len(), 3);
    let outbox = browser.execute(
        "return Object.keys(localStorage).filter(function (k) { return k.indexOf('kefu-chat:') === 0; }).map(function (k) { return JSON.parse(localStorage.getItem(k)).outbox; });",
        vec![],
    );
    assert_eq!(
        outbox[0][0]["body"], OFFLINE_QUESTION,
        "kept in the outbox: {outbox}"
    );

    // The server comes back on the same address and database: a retry delivers the message,
    // exactly once, the outbox empties and the notice goes away. (The stream's echo of the
    // message may mark it delivered a moment before the retry's answer arrives.)
    restart(&mut server);
    browser.wait_until(
        &format!(
            "{} && {OUTBOX_EMPTY} && {}",
            delivered("buyer", OFFLINE_QUESTION),
            widget("return w.querySelector('.err').textContent === '';")
        ),
        WAIT,
    );
    let detail = conversation(&server, conv);
    let offline = stored(&detail, OFFLINE_QUESTION);
    assert_eq!(offline.len(), 1, "stored once: {detail}");
    assert_eq!(offline[0]["channel"], "web_chat");

    // The widget's stream has found the server again: the agent's next reply arrives live.
    let follow_up_id = reply(&server, conv, FOLLOW_UP);
    browser.wait_until(&delivered("shop", FOLLOW_UP), WAIT);
    let ids: Vec<Value> = bubbles(&browser).iter().map(|b| b["id"].clone()).collect();
    let detail = conversation(&server, conv);
    let stored_ids: Vec<Value> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, stored_ids, "each message once, in order");
    assert_eq!(ids.last(), Some(&json!(follow_up_id)));

    // The agent resolves the conversation: the widget asks for a rating; the buyer gives 5★.
    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/status"),
        Some(&json!({"status": "resolved"})),
    );
    assert_eq!(status, 200, "{body}");
    browser.wait_until(
        &widget(
            "var r = w.querySelector('.rate');
             return !r.hidden && r.querySelectorAll('button').length === 5
                 && r.textContent.indexOf('How did we do?') === 0;",
        ),
        WAIT,
    );
    let five = browser.find(&format!(
        "return {};",
        widget(
            "return Array.prototype.find.call(w.querySelectorAll('.rate button'), function (b) { return b.textContent === '5★'; });"
        )
    ));
    browser.click(&five);
    browser.wait_until(
        &widget("return w.querySelector('.rate').textContent === 'Thank you for your rating!';"),
        WAIT,
    );
    let rated = events_eventually(&server, conv, "csat_rated");
    assert_eq!(rated.len(), 1, "{rated:?}");
    assert_eq!(rated[0]["data"]["score"], 5);
    // (Promise rejections while the server was away are the next test's subject.)
    assert_no_exceptions(&browser);
    browser.quit();
}

/// A widget lives on someone else's page: when the server cannot be reached it must not leave
/// errors there (a store's own error monitoring records every unhandled rejection).
#[test]
fn the_widget_leaves_no_unhandled_error_on_the_store_page_while_the_server_is_away() {
    let _one = one_browser_at_a_time();
    let mut server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let browser = Browser::start();
    open_chat(
        &browser,
        &format!("http://{}/chat/demo/{ebay}", server.addr),
    );
    type_and_send(&browser, QUESTION);
    browser.wait_until(&delivered("buyer", QUESTION), WAIT);
    assert_no_script_errors(&browser);

    // Typing now tells the agents (the widget knows the conversation), and sending retries.
    server.kill();
    type_and_send(&browser, OFFLINE_QUESTION);
    browser.wait_until(&waiting_to_send(OFFLINE_QUESTION), WAIT);
    std::thread::sleep(Duration::from_millis(500));
    assert_no_script_errors(&browser);

    restart(&mut server);
    browser.wait_until(
        &format!("{} && {OUTBOX_EMPTY}", delivered("buyer", OFFLINE_QUESTION)),
        WAIT,
    );
    assert_no_script_errors(&browser);
    browser.quit();
}

/// Issue 10, item 3: on the shop's order page the widget's tag carries the order and its
/// signed link; the widget sends them with the buyer's first message, so the order is proved
/// and the bot answers "where is my parcel" from it. A tampered link proves nothing.
#[test]
fn the_widget_proves_the_order_of_the_shops_order_page_with_its_signed_link() {
    use hmac::{Hmac, Mac};
    let _one = one_browser_at_a_time();
    let server = Server::sqlite();
    let (status, created) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&json!({
            "name": "ebay shop", "platform": "ebay",
            "settings": {"bot_when_busy": true, "offhours_reply": {"en": "Thanks; an agent answers by {due}."}},
        })),
    );
    assert_eq!(status, 201, "{created}");
    let s = created["id"].as_i64().unwrap();
    let (status, body) = server.call(
        "POST",
        "/api/v1/orders",
        Some(&json!({
            "shop_id": s, "external_id": "E-31", "total": "12.00", "currency": "USD",
            "paid_at": "2026-11-20T10:00:00Z", "shipped_at": "2026-11-21T09:00:00Z",
            "carrier": "USPS", "tracking_number": "9400TRACK31",
        })),
    );
    assert_eq!(status, 201, "{body}");
    let (_, secret) = server.call("GET", &format!("/api/v1/shops/{s}/order-link-secret"), None);
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret["secret"].as_str().unwrap().as_bytes())
            .unwrap();
    mac.update(format!("{s}|E-31|{expires}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let shows_tracking =
        widget("return w.querySelector('.list').textContent.indexOf('9400TRACK31') >= 0;");

    let browser = Browser::start();
    let tampered = format!("{}.{}", expires + 1, hex);
    open_chat(
        &browser,
        &format!(
            "http://{}/chat/demo/{s}?order=E-31&order_link={tampered}",
            server.addr
        ),
    );
    type_and_send(&browser, "Where is my parcel?");
    browser.wait_until(&delivered("buyer", "Where is my parcel?"), WAIT);
    let conv = only_conversation(&server, s);
    let detail = eventually("the bot's answer and the unverified claim", || {
        let d = conversation(&server, conv);
        (d["messages"].as_array().unwrap().len() >= 2 && d["order_claim"] == "E-31").then_some(d)
    });
    assert!(detail["order"].is_null(), "{detail}");
    assert!(!detail.to_string().contains("9400TRACK31"), "{detail}");
    assert!(
        !browser
            .execute(&format!("return {shows_tracking};"), vec![])
            .as_bool()
            .unwrap()
    );

    // A new visitor on the genuine order page.
    browser.execute("localStorage.clear(); return true;", vec![]);
    open_chat(
        &browser,
        &format!(
            "http://{}/chat/demo/{s}?order=E-31&order_link={expires}.{hex}",
            server.addr
        ),
    );
    type_and_send(&browser, "Where is my parcel?");
    browser.wait_until(&shows_tracking, WAIT);
    assert_no_script_errors(&browser);
    browser.quit();
}
