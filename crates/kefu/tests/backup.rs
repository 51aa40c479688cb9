//! `kefu backup` against the real binary (issue 14): a copy taken while buyers keep writing
//! holds every message acknowledged before it began, passes its integrity check, and serves as
//! the desk's database; an existing file is never overwritten, and a PostgreSQL URL is pointed
//! at PostgreSQL's own tools — whose documented use (`pg_dump -Fc`, `pg_restore` into an empty
//! database) is tested here too.

mod common;

use common::{Server, kefu, shop};
use serde_json::{Value, json};

fn post(server: &Server, shop: i64, n: usize) -> i64 {
    let msg = json!({"shop_id": shop, "channel": "marketplace",
        "customer": {"handle": format!("backup-buyer-{n}")}, "body": format!("Where is order {n}?")});
    let (status, m) = server.call("POST", "/api/v1/inbound", Some(&msg));
    assert_eq!(status, 201, "{m}");
    m["conversation_id"].as_i64().unwrap()
}

fn backup(db: &str, to: &str) -> std::process::Output {
    kefu()
        .args(["backup", "--db", db, "--to", to])
        .output()
        .unwrap()
}

#[test]
fn a_backup_taken_while_serving_holds_every_acknowledged_message() {
    let server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let before: Vec<i64> = (0..60).map(|n| post(&server, ebay, n)).collect();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db").display().to_string();

    // Buyers go on writing while the copy is taken.
    let db = server.db.clone();
    let target = copy.clone();
    let taking = std::thread::spawn(move || backup(&db, &target));
    for n in 60..120 {
        post(&server, ebay, n);
    }
    let out = taking.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages = report["messages"].as_i64().unwrap();
    assert!(
        (60..=120).contains(&messages),
        "every message acknowledged before the backup, and none half-written: {report}"
    );
    assert!(report["bytes"].as_u64().unwrap() > 0);

    // The copy serves: what was acknowledged before is there.
    let restored = Server::start(&format!("sqlite://{copy}"), &[]);
    for id in &before {
        let (status, c) = restored.call("GET", &format!("/api/v1/conversations/{id}"), None);
        assert_eq!(status, 200, "{c}");
        assert_eq!(c["messages"].as_array().unwrap().len(), 1);
    }

    // Never over a file, and PostgreSQL has its own tools.
    let again = backup(&server.db, &copy);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let pg = backup("postgres://kefu@127.0.0.1:1/kefu", &format!("{copy}.2"));
    assert!(!pg.status.success());
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"));
    let missing = backup("sqlite:///nonexistent/kefu.db", &format!("{copy}.3"));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no SQLite database"));
}

/// The documented PostgreSQL backup: `pg_dump -Fc` of a database the desk serves, restored
/// with `pg_restore` into an empty database, serves every acknowledged message again.
#[test]
fn a_postgres_dump_restores_into_an_empty_database() {
    let server = Server::postgres("dump");
    let ebay = shop(&server, "ebay");
    let ids: Vec<i64> = (0..30).map(|n| post(&server, ebay, n)).collect();
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("kefu.dump").display().to_string();
    let out = std::process::Command::new("pg_dump")
        .args(["-Fc", "-f", &dump, &server.db])
        .output()
        .expect("pg_dump (Debian's postgresql-client)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let empty = common::new_pg_database("restored");
    let out = std::process::Command::new("pg_restore")
        .args(["--no-owner", "-d", &empty, &dump])
        .output()
        .expect("pg_restore");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = Server::start(&empty, &[]);
    for id in &ids {
        let (status, c) = restored.call("GET", &format!("/api/v1/conversations/{id}"), None);
        assert_eq!(status, 200, "{c}");
        assert_eq!(c["messages"].as_array().unwrap().len(), 1);
    }
    // And it goes on: a new message gets a new conversation, not one of the restored ids.
    let next = post(&restored, ebay, 99);
    assert!(!ids.contains(&next));
}
