//! Test support: runs the real `kefu` binary as a server on 127.0.0.1 and talks HTTP/1.1 to it
//! over a plain TCP socket (so tests can also send what no well-behaved client would).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const KEY: &str = "test-master-key-0123456789";

pub fn kefu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kefu"))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub addr: String,
    pub db: String,
    pub dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on a new SQLite file in a temporary directory.
    pub fn sqlite() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
        let mut s = Server::start(&db, &[]);
        s.dir = Some(dir);
        s
    }

    pub fn start(db: &str, extra: &[&str]) -> Server {
        Server::start_logging(db, extra, "warn", Stdio::inherit())
    }

    /// Starts with the log level `level` and standard error (the log) sent to `log`.
    pub fn start_logging(db: &str, extra: &[&str], level: &str, log: Stdio) -> Server {
        let addr = format!("127.0.0.1:{}", free_port());
        let child = kefu()
            .args(["serve", "--db", db, "--listen", &addr, "--master-key", KEY])
            .args(extra)
            .env("KEFU_LOG", level)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start kefu serve");
        let server = Server {
            child,
            addr,
            db: db.to_string(),
            dir: None,
        };
        server.wait_healthy();
        server
    }

    pub fn wait_healthy(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Ok((200, _)) = try_request(&self.addr, "GET", "/healthz", None, None) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("kefu serve on {} did not become healthy", self.addr);
    }

    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let raw = body.map(|b| b.to_string());
        self.raw(method, path, Some(KEY), raw.as_deref())
    }

    pub fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        try_request(&self.addr, method, path, token, body).expect("HTTP request")
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn db_path(&self) -> PathBuf {
        PathBuf::from(self.db.strip_prefix("sqlite://").unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One request on a fresh connection; returns the status and the body parsed as JSON (or as a
/// JSON string when it is not JSON).
pub fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, payload) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {head}")))?;
    let value =
        serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_string()));
    Ok((status, value))
}

pub fn shop(server: &Server, platform: &str) -> i64 {
    let (status, body) = server.call(
        "POST",
        "/api/v1/shops",
        Some(&serde_json::json!({"name": format!("{platform} shop"), "platform": platform})),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}
