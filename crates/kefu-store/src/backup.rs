//! `kefu backup` (issue 14): a consistent copy of a SQLite database while the desk serves it.
//!
//! `VACUUM INTO` writes the database as one read transaction sees it: in WAL mode that
//! snapshot never blocks the writer, and every write committed before the backup began is in
//! the copy, none half-written after. The copy is checked (`PRAGMA integrity_check`) and its
//! rows counted before the command reports success. A PostgreSQL database is backed up with
//! PostgreSQL's own tools (`pg_dump`, or a base backup; README).

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::{Result, StoreError};

/// What a backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub path: String,
    pub bytes: u64,
    pub conversations: i64,
    pub messages: i64,
    pub events: i64,
}

/// Backs the database at `url` up into the new file `to`.
pub fn backup(url: &str, to: &str) -> Result<BackupReport> {
    let Some(path) = url.strip_prefix("sqlite://").filter(|p| !p.is_empty()) else {
        return Err(StoreError::Invalid(if url.starts_with("postgres") {
            "kefu backup copies a SQLite database; back PostgreSQL up with pg_dump or a base backup (README)".into()
        } else {
            format!("unsupported database URL {url:?}: use sqlite://PATH")
        }));
    };
    if !std::path::Path::new(path).exists() {
        return Err(StoreError::Invalid(format!(
            "no SQLite database at {path:?}"
        )));
    }
    if std::path::Path::new(to).exists() {
        return Err(StoreError::Invalid(format!(
            "{to:?} exists already: a backup never overwrites a file"
        )));
    }
    let source = super::sqlite::connect(path)?;
    source.execute("VACUUM INTO ?1", [to])?;
    drop(source);
    verify(to)
}

/// Opens the copy read-only, checks it whole and counts what it holds.
fn verify(to: &str) -> Result<BackupReport> {
    let copy = Connection::open_with_flags(to, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::Backend(format!("cannot open the backup {to:?}: {e}")))?;
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Backend(format!(
            "the backup {to:?} failed its integrity check: {check}"
        )));
    }
    let count = |table: &str| -> Result<i64> {
        Ok(copy.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?)
    };
    Ok(BackupReport {
        path: to.to_string(),
        bytes: std::fs::metadata(to).map(|m| m.len()).unwrap_or(0),
        conversations: count("conversations")?,
        messages: count("messages")?,
        events: count("events")?,
    })
}
