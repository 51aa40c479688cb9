//! Real mail servers for the email tests, from Debian's packages, each started in a
//! temporary directory on a free 127.0.0.1 port with TLS on and stopped when dropped:
//! Dovecot (IMAP over TLS, `dovecot-imapd`) and an SMTP relay that requires STARTTLS or
//! implicit TLS plus AUTH (`python3-aiosmtpd`, `relay.py` beside this file). The
//! certificates come from a CA the test makes with `openssl`. A missing package is a
//! failure that names it (`bash scripts/test-deps.sh` installs them), never a skip.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn need(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install Debian's {package} (bash scripts/test-deps.sh does)"
    );
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate it signed for 127.0.0.1 (and localhost).
pub struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Certs {
    pub fn make(dir: &Path) -> Certs {
        need("/usr/bin/openssl", "openssl");
        let p = |name: &str| dir.join(name);
        run(Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=kefu test CA"])
            .arg("-keyout")
            .arg(p("ca.key"))
            .arg("-out")
            .arg(p("ca.pem")));
        run(Command::new("openssl")
            .args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
            ])
            .arg("-keyout")
            .arg(p("server.key"))
            .arg("-out")
            .arg(p("server.csr")));
        std::fs::write(
            p("ext.cnf"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        run(Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
            .arg("-in")
            .arg(p("server.csr"))
            .arg("-CA")
            .arg(p("ca.pem"))
            .arg("-CAkey")
            .arg(p("ca.key"))
            .arg("-extfile")
            .arg(p("ext.cnf"))
            .arg("-out")
            .arg(p("server.pem")));
        Certs {
            ca: p("ca.pem"),
            cert: p("server.pem"),
            key: p("server.key"),
        }
    }
}

/// Stops the child when dropped: SIGTERM first, so Dovecot's master takes its worker
/// processes down with it, then SIGKILL if it has not gone within five seconds.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_port(port: u16, what: &str, log: &dyn Fn() -> String) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not listen on 127.0.0.1:{port}: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Dovecot serving one user's Maildir over IMAPS.
pub struct Dovecot {
    _guard: Guard,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// The user's Maildir (`new/`, `cur/`, `tmp/`).
    pub maildir: PathBuf,
    dir: PathBuf,
    uid: u32,
    delivered: std::cell::Cell<u32>,
}

impl Dovecot {
    /// Starts Dovecot in `dir` (its own config, state and log there) with `certs`.
    pub fn start(dir: &Path, certs: &Certs, user: &str, password: &str) -> Dovecot {
        need("/usr/sbin/dovecot", "dovecot-imapd");
        need("/usr/lib/dovecot/imap", "dovecot-imapd");
        // Dovecot never serves mail as root: the mail files belong to `nobody`, and the
        // directories on the way must let that user through.
        let (uid, gid) = (65534u32, 65534u32);
        std::fs::create_dir_all(dir).unwrap();
        set_mode(dir, 0o755);
        let home = dir.join("home");
        let maildir = home.join("Maildir");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        for d in [
            &home,
            &maildir,
            &maildir.join("new"),
            &maildir.join("cur"),
            &maildir.join("tmp"),
        ] {
            std::os::unix::fs::chown(d, Some(uid), Some(gid)).unwrap();
        }
        std::fs::write(dir.join("users"), format!("{user}:{{PLAIN}}{password}\n")).unwrap();
        let port = super::common::free_port();
        let d = dir.display();
        let conf = format!(
            "base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             protocols = imap\n\
             listen = 127.0.0.1\n\
             ssl = required\n\
             ssl_cert = <{cert}\n\
             ssl_key = <{key}\n\
             ssl_dh = </usr/share/dovecot/dh.pem\n\
             auth_mechanisms = plain login\n\
             default_internal_user = dovecot\n\
             default_login_user = dovenull\n\
             passdb {{\n  driver = passwd-file\n  args = {d}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={home}\n}}\n\
             mail_location = maildir:~/Maildir\n\
             service imap-login {{\n  inet_listener imap {{\n    port = 0\n  }}\n  \
               inet_listener imaps {{\n    port = {port}\n    ssl = yes\n  }}\n}}\n",
            cert = certs.cert.display(),
            key = certs.key.display(),
            home = home.display(),
        );
        std::fs::create_dir_all(dir.join("state")).unwrap();
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let child = Command::new("/usr/sbin/dovecot")
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dovecot");
        let log = dir.join("dovecot.log");
        wait_port(port, "dovecot", &|| {
            std::fs::read_to_string(&log).unwrap_or_default()
        });
        Dovecot {
            _guard: Guard(child),
            port,
            user: user.into(),
            password: password.into(),
            maildir,
            dir: dir.to_path_buf(),
            uid,
            delivered: std::cell::Cell::new(0),
        }
    }

    /// Delivers `raw` into the mailbox as a local delivery agent does (a file written in
    /// `tmp/`, then moved to `new/`).
    pub fn deliver(&self, raw: &[u8]) {
        let n = self.delivered.get() + 1;
        self.delivered.set(n);
        let name = format!("1765000000.M{n}P1.kefu-test");
        let tmp = self.maildir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap();
        std::os::unix::fs::chown(&tmp, Some(self.uid), Some(self.uid)).unwrap();
        std::fs::rename(&tmp, self.maildir.join("new").join(&name)).unwrap();
    }

    /// Names of the mail files Dovecot moved to `cur/` with the `\Seen` flag (`:2,…S…`).
    pub fn seen(&self) -> Vec<String> {
        std::fs::read_dir(self.maildir.join("cur"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.rsplit_once(":2,").is_some_and(|(_, f)| f.contains('S')))
            .collect()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
}

/// How the test relay wants to be spoken to.
#[derive(Clone, Copy)]
pub enum RelayMode {
    StartTls,
    Tls,
}

/// The aiosmtpd relay (`relay.py`) requiring TLS and AUTH.
pub struct Relay {
    _guard: Guard,
    pub port: u16,
    pub out: PathBuf,
}

/// What the relay kept of one mail.
pub struct Relayed {
    pub raw: String,
    pub meta: serde_json::Value,
}

impl Relay {
    pub fn start(dir: &Path, certs: &Certs, mode: RelayMode, user: &str, password: &str) -> Relay {
        need("/usr/bin/python3", "python3");
        let check = Command::new("/usr/bin/python3")
            .args(["-c", "import aiosmtpd"])
            .output()
            .expect("run /usr/bin/python3");
        assert!(
            check.status.success(),
            "aiosmtpd is missing: install Debian's python3-aiosmtpd (bash scripts/test-deps.sh does)"
        );
        let out = dir.join("relayed");
        std::fs::create_dir_all(&out).unwrap();
        let port = super::common::free_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail_servers/relay.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(match mode {
                RelayMode::StartTls => "starttls",
                RelayMode::Tls => "tls",
            })
            .arg(port.to_string())
            .arg(&certs.cert)
            .arg(&certs.key)
            .args([user, password])
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start relay.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "relay.py did not start");
        Relay {
            _guard: Guard(child),
            port,
            out,
        }
    }

    /// The mails accepted so far, in order.
    pub fn relayed(&self) -> Vec<Relayed> {
        let mut n = 1;
        let mut all = Vec::new();
        while let (Ok(raw), Ok(meta)) = (
            std::fs::read(self.out.join(format!("{n}.eml"))),
            std::fs::read_to_string(self.out.join(format!("{n}.json"))),
        ) {
            all.push(Relayed {
                raw: String::from_utf8_lossy(&raw).into_owned(),
                meta: serde_json::from_str(&meta).unwrap(),
            });
            n += 1;
        }
        all
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
