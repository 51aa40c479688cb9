//! A small W3C WebDriver client for the browser tests: starts Debian's `chromedriver` on a free
//! port of 127.0.0.1, opens one headless Chromium session and speaks the WebDriver protocol
//! to it over plain HTTP/1.1 on a TCP socket, like the API tests' client.
//!
//! Elements inside the chat widget's shadow root are found by script and returned as element
//! references, which `click` and `send_keys` then act on like a user would.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL: &str = "the browser tests need Debian's Chromium and its WebDriver: run `apt-get install -y chromium chromium-driver` (CI's .ci/run installs them)";
/// The W3C key under which a script result or argument is an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Records, from the first line of every page, what went wrong in its scripts: uncaught
/// exceptions, unhandled promise rejections and `console.error` calls.
const ERROR_COLLECTOR: &str = r#"
window.__kefuTest = { exceptions: [], rejections: [], console: [] };
window.addEventListener("error", function (e) {
  window.__kefuTest.exceptions.push(String(e.message) + " at " + e.filename + ":" + e.lineno + ":" + e.colno);
});
window.addEventListener("unhandledrejection", function (e) {
  var r = e.reason;
  window.__kefuTest.rejections.push(String(r && r.stack ? r.stack : r));
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__kefuTest.console.push(Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
})();
"#;

/// A web element found by a script (an opaque WebDriver reference).
#[derive(Debug, Clone)]
pub struct Element(String);

/// One headless Chromium, driven through its own `chromedriver`; both end on drop.
pub struct Browser {
    driver: Child,
    addr: String,
    session: Option<String>,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts `chromedriver` and a new headless Chromium session with a fresh profile.
    pub fn start() -> Browser {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: {INSTALL}"
        );
        let port = super::free_port();
        let profile = tempfile::tempdir().unwrap();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                profile.path().join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromedriver ({e}): {INSTALL}"));
        let mut browser = Browser {
            driver,
            addr: format!("127.0.0.1:{port}"),
            session: None,
            profile,
        };
        browser.wait_ready();
        let data_dir = browser.profile.path().join("chromium");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", data_dir.display()),
                    "--window-size=1366,768",
                    "--lang=en-US",
                ],
            },
        }}});
        let value = browser.command("POST", "/session", &capabilities);
        let id = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {value}"))
            .to_string();
        browser.session = Some(id);
        // Every page from now on records its script errors (see `script_errors`).
        browser.cmd(
            "POST",
            "goog/cdp/execute",
            &json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": ERROR_COLLECTOR}}),
        );
        browser
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok((200, status)) = request(&self.addr, "GET", "/status", None)
                && status["value"]["ready"] == true
            {
                return;
            }
            if let Ok(Some(exit)) = self.driver.try_wait() {
                panic!("chromedriver exited at start ({exit}): {INSTALL}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver on {} did not become ready in 20 s",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One WebDriver command; returns its `value`, panics with the driver's error otherwise.
    fn command(&self, method: &str, path: &str, body: &Value) -> Value {
        match self.try_command(method, path, body) {
            Ok(v) => v,
            Err(e) => panic!("WebDriver {method} {path} failed: {e}"),
        }
    }

    fn try_command(&self, method: &str, path: &str, body: &Value) -> Result<Value, String> {
        // GET and DELETE commands carry no body.
        let body = (method == "POST").then(|| body.to_string());
        let (status, response) = request(&self.addr, method, path, body.as_deref())
            .map_err(|e| format!("no answer from chromedriver: {e}"))?;
        if status == 200 {
            Ok(response["value"].clone())
        } else {
            let v = &response["value"];
            let message = v["message"].as_str().unwrap_or_default();
            let message = message.lines().next().unwrap_or_default();
            Err(format!("{status} {}: {message}", v["error"]))
        }
    }

    /// A command of this session: `path` is relative to `/session/{id}/`.
    fn cmd(&self, method: &str, path: &str, body: &Value) -> Value {
        self.command(method, &self.session_path(path), body)
    }

    fn session_path(&self, path: &str) -> String {
        let id = self.session.as_deref().expect("a WebDriver session");
        format!("/session/{id}/{path}")
    }

    /// Opens a new tab and makes it the current one; returns its window handle.
    pub fn new_tab(&self) -> String {
        let v = self.cmd("POST", "window/new", &json!({"type": "tab"}));
        let handle = v["handle"].as_str().expect("a window handle").to_string();
        self.switch_to(&handle);
        handle
    }

    /// Makes the tab or window `handle` the current one.
    pub fn switch_to(&self, handle: &str) {
        self.cmd("POST", "window", &json!({ "handle": handle }));
    }

    /// Goes back in the current tab's history (the previous page may come from the
    /// back/forward cache) and waits for it.
    pub fn back(&self) {
        self.cmd("POST", "back", &json!({}));
    }

    /// Signs in on `base`'s login page and waits for the inbox it lands on.
    pub fn sign_in(&self, base: &str, email: &str, password: &str, timeout: Duration) {
        self.goto(&format!("{base}/login"));
        let at = |path: &str| {
            format!("location.pathname === '{path}' && document.readyState === 'complete'")
        };
        self.wait_until(&at("/login"), timeout);
        let field = self.find("return document.getElementById('email');");
        self.send_keys(&field, email);
        let field = self.find("return document.getElementById('password');");
        self.send_keys(&field, &format!("{password}\u{E007}"));
        self.wait_until(&at("/inbox"), timeout);
    }

    /// Opens `url` and waits for its load event.
    pub fn goto(&self, url: &str) {
        self.cmd("POST", "url", &json!({ "url": url }));
    }

    /// Runs `script` (a function body: `return …` gives the result) with `arguments`.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "execute/sync",
            &json!({"script": script, "args": args}),
        )
    }

    fn try_execute(&self, script: &str) -> Result<Value, String> {
        let path = self.session_path("execute/sync");
        self.try_command("POST", &path, &json!({"script": script, "args": []}))
    }

    /// Runs `script`, which finishes by calling `arguments[arguments.length - 1](result)`.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "execute/async",
            &json!({"script": script, "args": args}),
        )
    }

    /// Polls the JavaScript expression `condition` every 100 ms until it is true; panics
    /// after `timeout` naming the condition, with the page, its widget and its script errors.
    pub fn wait_until(&self, condition: &str, timeout: Duration) {
        let script = format!("return !!({condition});");
        let start = Instant::now();
        loop {
            let last_error = match self.try_execute(&script) {
                Ok(Value::Bool(true)) => return,
                Ok(_) => None,
                Err(e) => Some(e),
            };
            if start.elapsed() >= timeout {
                let error = last_error
                    .map(|e| format!("\nlast evaluation failed: {e}"))
                    .unwrap_or_default();
                panic!(
                    "waited {timeout:?} for `{condition}`{error}\n{}",
                    self.dump()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The page for a failure message: its address, HTML, the widget's shadow DOM, local
    /// storage and the script errors recorded.
    pub fn dump(&self) -> String {
        let script = r#"
            var host = document.querySelector("[data-kefu-chat]");
            var storage = {};
            try { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); storage[k] = localStorage.getItem(k); } } catch (e) {}
            return {
              url: location.href,
              html: document.documentElement.outerHTML,
              widget: host && host.shadowRoot ? host.shadowRoot.innerHTML.replace(/<style>[\s\S]*?<\/style>/, "<style>…</style>") : null,
              storage: storage,
              errors: window.__kefuTest || null
            };"#;
        match self.try_execute(script) {
            Ok(v) => format!(
                "--- page {}\n{}\n--- widget shadow DOM\n{}\n--- localStorage\n{}\n--- script errors\n{}",
                v["url"].as_str().unwrap_or_default(),
                v["html"].as_str().unwrap_or_default(),
                v["widget"].as_str().unwrap_or("(no widget)"),
                v["storage"],
                v["errors"]
            ),
            Err(e) => format!("--- the page could not be read: {e}"),
        }
    }

    /// What the current page's scripts reported: (uncaught exceptions, unhandled promise
    /// rejections, `console.error` lines).
    pub fn script_errors(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let v = self.execute("return window.__kefuTest || null;", vec![]);
        let list = |k: &str| -> Vec<String> {
            v[k].as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| s.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        (list("exceptions"), list("rejections"), list("console"))
    }

    /// The element `script` returns (it must `return` one), or a panic with the page.
    pub fn find(&self, script: &str) -> Element {
        let v = self.execute(script, vec![]);
        match v[ELEMENT].as_str() {
            Some(id) => Element(id.to_string()),
            None => panic!("`{script}` returned {v}, not an element\n{}", self.dump()),
        }
    }

    /// Clicks `element` as a user would (scrolled into view, at its centre).
    pub fn click(&self, element: &Element) {
        self.cmd("POST", &format!("element/{}/click", element.0), &json!({}));
    }

    /// Types `text` into `element` key by key (`\u{E007}` is the Enter key).
    pub fn send_keys(&self, element: &Element, text: &str) {
        self.cmd(
            "POST",
            &format!("element/{}/value", element.0),
            &json!({ "text": text }),
        );
    }

    /// Saves a PNG of the browser's viewport at `path` (creating its directory).
    pub fn screenshot(&self, path: &Path) {
        let v = self.cmd("GET", "screenshot", &json!({}));
        let png = base64_decode(v.as_str().expect("screenshot as base64"));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Ends the session (closing Chromium) and stops `chromedriver`.
    pub fn quit(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(id) = self.session.take() {
            let _ = self.try_command("DELETE", &format!("/session/{id}"), &json!({}));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// One request to chromedriver on a fresh connection; returns the status and the JSON body.
/// chromedriver keeps the connection open after its answer, so the body is read by its
/// `Content-Length` rather than to the end of the stream.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(body) = body {
        req.push_str(&format!(
            "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes())?;
    stream.write_all(body.unwrap_or("").as_bytes())?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other("chromedriver closed the connection"));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let mut payload = raw.split_off(head_end + 4);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {head}")))?;
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    match length {
        Some(length) => {
            while payload.len() < length {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    return Err(std::io::Error::other("chromedriver cut its answer short"));
                }
                payload.extend_from_slice(&buf[..n]);
            }
            payload.truncate(length);
        }
        None => {
            stream.read_to_end(&mut payload)?;
        }
    }
    let value = serde_json::from_slice(&payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&payload).to_string()));
    Ok((status, value))
}

/// Standard base64 (with or without padding), as WebDriver sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let digit = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 26,
            b'0'..=b'9' => (c - b'0') as u32 + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        acc = (acc << 6) | digit(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
