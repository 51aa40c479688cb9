//! The embedded SQLite store: one file in WAL mode with full fsync durability, one writer
//! thread that group-commits, and a small pool of read connections.
//!
//! Why one writer: SQLite allows one writing transaction at a time anyway, and an fsync costs
//! the same for one row or a thousand. The writer takes every request waiting in its queue,
//! runs each in its own savepoint inside one transaction and commits once.
//!
//! Durability is pipelined: the writer's connection commits without waiting for the disk
//! (`synchronous = NORMAL` in WAL mode: the commit's frames are written to the WAL file in
//! order, and recovery ignores a torn tail), and a second thread, the syncer, fsyncs the WAL
//! file and only then answers the callers of every batch committed before that fsync. So
//! `201` from the API always means "on disk", while the writer is already running the next
//! batch instead of waiting for the previous one's fsync. Checkpoints still sync the WAL
//! before copying it into the database, as SQLite always does.

pub mod bench;

mod cache;

mod channels;

mod ops;

mod incidents;
mod migrations;
mod reports;
mod roles;
mod rollups;
mod rows;
mod waits;

pub(crate) use migrations::migrate;

use std::path::Path;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use kefu_core::{Agent, Order, Shop};

use rusqlite::{Connection, OpenFlags};

use tokio::sync::{mpsc, oneshot};

use self::cache::WriterCache;

use crate::prelude::*;

use crate::{
    ConversationDetail, Inbound, IngestOutcome, NewAgent, NewOrder, NewReply, NewShop,
    ReplyOutcome, Result, Stats, StatusChange, StoreError,
};

/// Most requests one transaction carries; bounds the latency a batch adds to its first caller.
const MAX_BATCH: usize = 1024;

/// Requests queued for the writer before callers wait (back-pressure instead of memory growth).
const QUEUE_DEPTH: usize = 8192;

/// Reader connections kept open. A read that finds none free opens a fresh connection (with
/// an empty statement cache) and closes it after, which costs far more than the query: keep
/// enough for the concurrent readers a busy desk has (pages, API, indexer, scheduler).
const READERS: usize = 16;

/// One caller's write, as the writer runs it: first `run` inside the batch's transaction
/// (possibly again, if another request of the batch fails and the batch is replayed without
/// it), then `finish` once the batch is durable (or failed).
trait WriteJob: Send {
    /// Does the work; false when it failed (its error is kept for `finish`).
    fn run(&mut self, conn: &Connection, cache: &mut WriterCache) -> bool;
    /// Answers the caller: the job's own error, or its result if `durable` is Ok.
    fn finish(self: Box<Self>, durable: Result<()>);
}

type Job = Box<dyn WriteJob>;

struct Request<T, F> {
    work: F,
    outcome: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> WriteJob for Request<T, F>
where
    T: Send,
    F: FnMut(&Connection, &mut WriterCache) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection, cache: &mut WriterCache) -> bool {
        let outcome = (self.work)(conn, cache);
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, durable: Result<()>) {
        let answer = match self.outcome {
            Some(Ok(value)) => durable.map(|()| value),
            Some(Err(e)) => Err(e),
            None => Err(durable
                .err()
                .unwrap_or_else(|| StoreError::Backend("request was not run".into()))),
        };
        let _ = self.reply.send(answer);
    }
}

pub struct SqliteStore {
    /// Dropped with the store, which ends the checkpoint thread.
    _stop_checkpoints: std::sync::mpsc::Sender<()>,
    writer: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    path: String,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
        {
            return StoreError::Conflict(e.to_string());
        }
        StoreError::Backend(e.to_string())
    }
}

/// Opens a connection with the settings every kefu connection needs.
pub(crate) fn connect(path: &str) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Invalid(format!("cannot open SQLite database {path:?}: {e}")))?;
    // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         PRAGMA cache_size = -32000;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, runs migrations and starts the writer.
    pub fn open(path: &str) -> Result<SqliteStore> {
        if let Some(dir) = Path::new(path).parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            return Err(StoreError::Invalid(format!(
                "cannot open SQLite database {path:?}: directory {} does not exist",
                dir.display()
            )));
        }
        let mut conn = connect(path)?;
        migrate(&mut conn)?;
        // The syncer below makes commits durable before anyone hears of them.
        // Checkpoints run on their own thread (below), never inside the writer's commits.
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;")?;
        // Make sure the WAL file exists so the syncer can open it.
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")?;
        let wal = std::fs::OpenOptions::new()
            .read(true)
            .open(format!("{path}-wal"))
            .map_err(|e| StoreError::Backend(format!("cannot open the WAL of {path}: {e}")))?;
        let (sync_tx, sync_rx) = std::sync::mpsc::channel::<Vec<Job>>();
        std::thread::Builder::new()
            .name("kefu-sqlite-syncer".into())
            .spawn(move || syncer_loop(wal, sync_rx))
            .map_err(|e| StoreError::Backend(format!("cannot start syncer thread: {e}")))?;
        let checkpointer = connect(path)?;
        let (stop_checkpoints, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("kefu-sqlite-checkpointer".into())
            .spawn(move || checkpointer_loop(checkpointer, stopped))
            .map_err(|e| StoreError::Backend(format!("cannot start checkpoint thread: {e}")))?;
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("kefu-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, sync_tx))
            .map_err(|e| StoreError::Backend(format!("cannot start writer thread: {e}")))?;
        Ok(SqliteStore {
            _stop_checkpoints: stop_checkpoints,
            writer: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            path: path.to_string(),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Runs `f` in the writer's next batch and returns its result once that batch is durable.
    /// `f` may run twice: if another request of its batch fails, the batch is rolled back
    /// and replayed without that request.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection, &mut WriterCache) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(Request {
            work: f,
            outcome: None,
            reply,
        });
        self.writer
            .send(job)
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Backend("the SQLite writer dropped a request".into()))?
    }

    /// Runs `f` on a pooled read connection on the blocking thread pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match pooled {
                Some(c) => c,
                None => connect(&path)?,
            };
            let out = f(&conn);
            let mut pool = readers.lock().unwrap_or_else(|e| e.into_inner());
            if pool.len() < READERS {
                pool.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }
}

/// Drops the cache when another connection (another process) committed to the file since
/// this writer's last look.
fn check_data_version(conn: &Connection, cache: &mut WriterCache) {
    let version = conn
        .prepare_cached("PRAGMA data_version")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)));
    match version {
        Ok(v) if cache.data_version == Some(v) => {}
        Ok(v) => {
            cache.clear();
            cache.data_version = Some(v);
        }
        Err(_) => cache.clear(),
    }
}

fn writer_loop(
    conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    syncer: std::sync::mpsc::Sender<Vec<Job>>,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut cache = WriterCache::default();
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let jobs = std::mem::take(&mut batch);
        match run_batch(&conn, &mut cache, jobs) {
            Ok(done) => {
                if let Err(std::sync::mpsc::SendError(done)) = syncer.send(done) {
                    for job in done {
                        job.finish(Err(StoreError::Backend(
                            "the SQLite syncer has stopped".into(),
                        )));
                    }
                }
            }
            Err((jobs, e)) => {
                cache.clear();
                for job in jobs {
                    job.finish(Err(e.clone()));
                }
            }
        }
    }
}

/// Runs a batch in one transaction and commits it. No savepoints (they cost as much as the
/// work): when a request fails, the whole transaction is rolled back, the failed request is
/// answered with its error, and the rest are replayed. Returns the committed requests (to be
/// answered once durable), or all of them with the error that stopped the batch.
fn run_batch(
    conn: &Connection,
    cache: &mut WriterCache,
    mut jobs: Vec<Job>,
) -> std::result::Result<Vec<Job>, (Vec<Job>, StoreError)> {
    loop {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            return Err((jobs, e.into()));
        }
        check_data_version(conn, cache);
        let failed = jobs.iter_mut().position(|job| !job.run(conn, cache));
        let Some(i) = failed else { break };
        // Undo the batch, including what the cache learnt from it, and answer the failure.
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            return Err((jobs, e.into()));
        }
        cache.clear();
        jobs.remove(i).finish(Ok(()));
        if jobs.is_empty() {
            return Ok(jobs);
        }
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => Ok(jobs),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err((jobs, e.into()))
        }
    }
}

/// WAL size past which a checkpoint waits for the writer rather than letting the file grow.
const WAL_RESTART_BYTES: u64 = 256 << 20;

/// Copies committed WAL frames into the database file in the background (PASSIVE: never waits
/// for, nor blocks, the writer), so no request waits behind a checkpoint's writes and fsyncs.
fn checkpointer_loop(conn: Connection, stop: std::sync::mpsc::Receiver<()>) {
    let wal = conn.path().map(|p| format!("{p}-wal"));
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
        stop.recv_timeout(std::time::Duration::from_millis(100))
    {
        let large = wal
            .as_ref()
            .and_then(|w| std::fs::metadata(w).ok())
            .is_some_and(|m| m.len() > WAL_RESTART_BYTES);
        let mode = if large { "RESTART" } else { "PASSIVE" };
        if let Err(e) = conn.execute_batch(&format!("PRAGMA wal_checkpoint({mode})")) {
            tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
        }
    }
}

/// Fsyncs the WAL for every group of committed batches waiting, then answers their callers.
/// An fsync makes durable everything written to the file before it began, so one fsync serves
/// all batches committed before it.
fn syncer_loop(wal: std::fs::File, rx: std::sync::mpsc::Receiver<Vec<Job>>) {
    while let Ok(first) = rx.recv() {
        let mut waiting = vec![first];
        while let Ok(more) = rx.try_recv() {
            waiting.push(more);
        }
        let synced = wal
            .sync_data()
            .map_err(|e| StoreError::Backend(format!("fsync of the WAL failed: {e}")));
        if let Err(e) = &synced {
            tracing::error!(error = %e, "commits could not be made durable");
        }
        for job in waiting.into_iter().flatten() {
            job.finish(synced.clone());
        }
    }
}

#[async_trait]
impl StoreInfo for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn stats(&self) -> Result<Stats> {
        self.read(ops::stats).await
    }

    async fn ping(&self) -> Result<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }
}
