//! Test support: runs the real `kefu` binary as a server on 127.0.0.1 and talks HTTP/1.1 to it
//! over a plain TCP socket (so tests can also send what no well-behaved client would).

#![allow(dead_code)]

pub mod webdriver;

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

/// Creates an empty PostgreSQL database (dropping one left by an earlier run) and returns its URL.
pub fn new_pg_database(label: &str) -> String {
    let admin = std::env::var("KEFU_TEST_PG_URL")
        .expect("KEFU_TEST_PG_URL must name a PostgreSQL server (scripts/test.sh starts one)");
    let db = format!("kefu_{label}_{}", std::process::id());
    let status = Command::new("psql")
        .args([
            &admin,
            "-q",
            "-c",
            &format!("DROP DATABASE IF EXISTS {db}"),
            "-c",
            &format!("CREATE DATABASE {db}"),
        ])
        .status()
        .expect("psql");
    assert!(status.success(), "could not create {db}");
    format!("{}/{db}", admin.rsplit_once('/').unwrap().0)
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

    /// A server on a new, empty PostgreSQL database named after `label` and this test
    /// process, on the server `KEFU_TEST_PG_URL` names (scripts/test.sh starts one).
    pub fn postgres(label: &str) -> Server {
        Server::start(&new_pg_database(label), &[])
    }

    pub fn start(db: &str, extra: &[&str]) -> Server {
        Server::start_logging(db, extra, "warn", Stdio::inherit())
    }

    /// Starts with the log level `level` and standard error (the log) sent to `log`.
    ///
    /// A database that is not a SQLite file (PostgreSQL) gets its search index in a temporary
    /// directory unless `extra` names one: the default, `kefu-index` in the working directory,
    /// would land in the source tree (cargo runs tests from the crate's directory).
    pub fn start_logging(db: &str, extra: &[&str], level: &str, log: Stdio) -> Server {
        let addr = format!("127.0.0.1:{}", free_port());
        let index_dir = (!db.starts_with("sqlite://") && !extra.contains(&"--index"))
            .then(|| tempfile::tempdir().unwrap());
        let index_args = match &index_dir {
            Some(d) => vec!["--index".to_string(), d.path().display().to_string()],
            None => Vec::new(),
        };
        let child = kefu()
            .args(["serve", "--db", db, "--listen", &addr, "--master-key", KEY])
            .args(&index_args)
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
            dir: index_dir,
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

/// Creates a supervisor who signs in with `password`, through the CLI on the database `db`
/// (before a server starts on it).
pub fn supervisor(db: &str, email: &str, name: &str, password: &str) {
    for args in [
        vec![
            "admin",
            "create-agent",
            "--db",
            db,
            "--email",
            email,
            "--name",
            name,
        ]
        .into_iter()
        .chain(["--role", "supervisor", "--languages", "zh,en"])
        .collect::<Vec<_>>(),
        vec![
            "admin",
            "set-password",
            "--db",
            db,
            "--email",
            email,
            "--password",
            password,
        ],
    ] {
        let out = kefu().args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "kefu {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The newest reply in a conversation, through the API.
pub fn last_reply(server: &Server, conversation: i64) -> Value {
    let (_, c) = server.call(
        "GET",
        &format!("/api/v1/conversations/{conversation}"),
        None,
    );
    c["messages"]
        .as_array()
        .and_then(|m| m.iter().rfind(|m| m["direction"] == "outbound"))
        .cloned()
        .unwrap_or_else(|| panic!("no reply in {c}"))
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

/// A client of a server-sent-events stream over a plain socket: reads the chunked body as it
/// arrives and splits it into events.
pub struct SseClient {
    stream: TcpStream,
    raw: Vec<u8>,
    text: String,
}

/// One server-sent event: its `event:` name, `id:` and `data:`.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

impl SseClient {
    /// Opens `path`; returns the status and, for 200, the stream.
    pub fn open(addr: &str, path: &str, last_event_id: Option<&str>) -> (u16, Option<SseClient>) {
        let mut stream = TcpStream::connect(addr).unwrap();
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nConnection: close\r\n"
        );
        if let Some(id) = last_event_id {
            req.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut client = SseClient {
            stream,
            raw: Vec::new(),
            text: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let head_end = loop {
            if let Some(i) = find(&client.raw, b"\r\n\r\n") {
                break i;
            }
            assert!(Instant::now() < deadline, "no response head");
            client.fill();
        };
        let head = String::from_utf8_lossy(&client.raw[..head_end]).to_string();
        client.raw.drain(..head_end + 4);
        let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        if status != 200 {
            return (status, None);
        }
        assert!(
            head.to_ascii_lowercase().contains("text/event-stream"),
            "{head}"
        );
        (status, Some(client))
    }

    fn fill(&mut self) {
        let mut buf = [0u8; 8192];
        match self.stream.read(&mut buf) {
            Ok(0) => std::thread::sleep(Duration::from_millis(20)),
            Ok(n) => self.raw.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }

    /// Moves complete chunks of the chunked body into `text`.
    fn dechunk(&mut self) {
        loop {
            let Some(line_end) = find(&self.raw, b"\r\n") else {
                return;
            };
            let size_text = String::from_utf8_lossy(&self.raw[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.trim(), 16).expect("chunk size");
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            let chunk = self.raw[line_end + 2..line_end + 2 + size].to_vec();
            self.raw.drain(..line_end + 2 + size + 2);
            self.text.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event other than keep-alive comments, or `None` after `wait`.
    pub fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + wait;
        loop {
            self.dechunk();
            while let Some(i) = self.text.find("\n\n") {
                let block: String = self.text[..i].to_string();
                self.text.drain(..i + 2);
                let mut event = SseEvent {
                    event: "message".into(),
                    id: None,
                    data: Value::Null,
                };
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        event.id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                event.data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                return Some(event);
            }
            if Instant::now() >= deadline {
                return None;
            }
            self.fill();
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A connection to `addr` from the loopback address `source` (`127.0.0.7`): the server sees a
/// different client address, as it would for another buyer.
pub fn connect_from(addr: &str, source: &str) -> TcpStream {
    let to: std::net::SocketAddr = addr.parse().unwrap();
    let from: std::net::SocketAddr = format!("{source}:0").parse().unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&from.into()).unwrap();
    socket.connect(&to.into()).unwrap();
    socket.into()
}

/// A request without a bearer token that also returns the response headers (lower-cased).
pub fn public_request(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Vec<(String, String)>, Value) {
    public_request_on(TcpStream::connect(addr).unwrap(), addr, method, path, body)
}

/// As [`public_request`], from the loopback address `source`.
pub fn public_request_from(
    source: &str,
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Vec<(String, String)>, Value) {
    public_request_on(connect_from(addr, source), addr, method, path, body)
}

fn public_request_on(
    mut stream: TcpStream,
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Vec<(String, String)>, Value) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    let (head, payload) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let value =
        serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_string()));
    (status, headers, value)
}
