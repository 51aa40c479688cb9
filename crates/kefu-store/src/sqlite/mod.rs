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
mod rows;

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use kefu_core::{Agent, Shop};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use self::cache::WriterCache;
use crate::prelude::*;
use crate::{
    ConversationDetail, Inbound, IngestOutcome, NewAgent, NewOrder, NewReply, NewShop, Order,
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

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/sqlite/0002_failed_ingests.sql"),
    ),
    (3, include_str!("../../migrations/sqlite/0003_outbox.sql")),
    (4, include_str!("../../migrations/sqlite/0004_routing.sql")),
    (
        5,
        include_str!("../../migrations/sqlite/0005_faqs_connectors.sql"),
    ),
    (6, include_str!("../../migrations/sqlite/0006_sessions.sql")),
    (
        7,
        include_str!("../../migrations/sqlite/0007_agent_shops.sql"),
    ),
    (
        8,
        include_str!("../../migrations/sqlite/0008_aftersales_cases.sql"),
    ),
    (
        9,
        include_str!("../../migrations/sqlite/0009_team_routing.sql"),
    ),
    (10, include_str!("../../migrations/sqlite/0010_shifts.sql")),
    (
        11,
        include_str!("../../migrations/sqlite/0011_attachments.sql"),
    ),
    (
        12,
        include_str!("../../migrations/sqlite/0012_order_items.sql"),
    ),
    (
        13,
        include_str!("../../migrations/sqlite/0013_inbox_work.sql"),
    ),
    (
        14,
        include_str!("../../migrations/sqlite/0014_order_proof.sql"),
    ),
    (
        15,
        include_str!("../../migrations/sqlite/0015_mail_cursors.sql"),
    ),
    (
        16,
        include_str!("../../migrations/sqlite/0016_plan_data.sql"),
    ),
];

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

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    for (version, sql) in MIGRATIONS {
        let done: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        if done {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)",
            [version],
        )?;
        tx.commit()?;
        tracing::info!(version, "applied SQLite migration");
    }
    Ok(())
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
impl ConversationStore for SqliteStore {
    async fn ingest(&self, inbound: Inbound) -> Result<IngestOutcome> {
        self.write(move |c, cache| ops::ingest(c, cache, &inbound))
            .await
    }

    async fn buyer_language(&self, shop_id: i64, handle: &str) -> Result<crate::BuyerLanguage> {
        let handle = handle.to_string();
        self.read(move |c| ops::buyer_language(c, shop_id, &handle))
            .await
    }

    async fn add_reply(&self, reply: NewReply) -> Result<ReplyOutcome> {
        self.write(move |c, cache| ops::add_reply(c, cache, &reply))
            .await
    }

    async fn conversation(&self, id: i64) -> Result<Option<ConversationDetail>> {
        self.read(move |c| ops::conversation(c, id)).await
    }

    async fn log_event(
        &self,
        conversation_id: i64,
        at: chrono::DateTime<chrono::Utc>,
        kind: &str,
        actor: &str,
        data: serde_json::Value,
    ) -> Result<()> {
        let (kind, actor) = (kind.to_string(), actor.to_string());
        self.write(move |c, _| ops::log_event(c, conversation_id, at, &kind, &actor, &data))
            .await
    }

    async fn add_note(&self, note: crate::NewNote) -> Result<i64> {
        self.write(move |c, _| ops::add_note(c, &note)).await
    }

    async fn start_clocks(&self, start: crate::ClockStart) -> Result<Vec<i64>> {
        self.write(move |c, cache| ops::start_clocks(c, cache, &start))
            .await
    }

    async fn set_status(&self, change: StatusChange) -> Result<()> {
        self.write(move |c, cache| ops::set_status(c, cache, &change))
            .await
    }

    async fn breach_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<crate::Breach>> {
        self.write(move |c, cache| ops::breach_due(c, cache, now, limit))
            .await
    }

    async fn obligations(
        &self,
        filter: crate::ObligationFilter,
    ) -> Result<Vec<kefu_core::Obligation>> {
        self.read(move |c| ops::obligations(c, &filter)).await
    }

    async fn assign_to(
        &self,
        conversation_id: i64,
        agent_id: Option<i64>,
        actor: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let actor = actor.to_string();
        self.write(move |c, cache| {
            cache.forget_conversation(conversation_id);
            let n = c
                .prepare_cached("UPDATE conversations SET assignee_id = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![conversation_id, agent_id])?;
            if n == 0 {
                return Err(crate::StoreError::NotFound(format!(
                    "conversation {conversation_id} does not exist"
                )));
            }
            ops::add_event(
                c,
                conversation_id,
                rows::micros(at),
                kefu_core::event_kind::ASSIGNED,
                &actor,
                &serde_json::json!({"agent_id": agent_id, "manual": true}),
            )
        })
        .await
    }

    async fn assign(
        &self,
        conversation_id: i64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<i64>> {
        self.write(move |c, cache| {
            cache.forget_conversation(conversation_id);
            ops::assign(c, conversation_id, at, "routing")
        })
        .await
    }

    async fn set_availability(
        &self,
        agent_id: i64,
        available: bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<i64>> {
        self.write(move |c, cache| ops::set_availability(c, cache, agent_id, available, at))
            .await
    }

    async fn inbox(&self, q: crate::InboxQuery) -> Result<Vec<crate::InboxRow>> {
        self.read(move |c| channels::inbox(c, &q)).await
    }

    async fn overview(
        &self,
        tenant_id: i64,
        since: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::Overview> {
        self.read(move |c| channels::overview(c, tenant_id, since, now))
            .await
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn upsert_order(&self, order: NewOrder) -> Result<Order> {
        self.write(move |c, _| ops::upsert_order(c, &order)).await
    }

    async fn order(&self, shop_id: i64, external_id: &str) -> Result<Option<Order>> {
        let external_id = external_id.to_string();
        self.read(move |c| ops::order_by_external(c, shop_id, &external_id))
            .await
    }

    async fn order_buyer(
        &self,
        shop_id: i64,
        external_id: &str,
    ) -> Result<Option<crate::OrderBuyer>> {
        let external_id = external_id.to_string();
        self.read(move |c| ops::order_buyer(c, shop_id, &external_id))
            .await
    }

    async fn claim_order(
        &self,
        conversation_id: i64,
        external_id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let external_id = external_id.to_string();
        self.write(move |c, _| ops::claim_order(c, conversation_id, &external_id, at))
            .await
    }
}

#[async_trait]
impl DirectoryStore for SqliteStore {
    async fn create_shop(&self, shop: NewShop) -> Result<Shop> {
        self.write(move |c, cache| ops::create_shop(c, cache, &shop))
            .await
    }

    async fn shop(&self, id: i64) -> Result<Option<Shop>> {
        self.read(move |c| ops::shop(c, id)).await
    }

    async fn shops(&self, tenant_id: i64) -> Result<Vec<Shop>> {
        self.read(move |c| ops::shops(c, tenant_id)).await
    }

    async fn create_agent(&self, agent: NewAgent) -> Result<Agent> {
        self.write(move |c, _| ops::create_agent(c, &agent)).await
    }

    async fn create_token(&self, agent_id: i64, name: &str, token_hash: &str) -> Result<()> {
        let (name, hash) = (name.to_string(), token_hash.to_string());
        self.write(move |c, _| ops::create_token(c, agent_id, &name, &hash))
            .await
    }

    async fn agent_by_token_hash(&self, token_hash: &str) -> Result<Option<Agent>> {
        let hash = token_hash.to_string();
        self.read(move |c| ops::agent_by_token_hash(c, &hash)).await
    }

    async fn set_shifts(&self, agent_id: i64, shifts: Option<String>) -> Result<()> {
        self.write(move |c, _| {
            let n = c
                .prepare_cached("UPDATE agents SET shifts = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![agent_id, shifts])?;
            if n == 0 {
                return Err(crate::StoreError::NotFound(format!(
                    "agent {agent_id} does not exist"
                )));
            }
            Ok(())
        })
        .await
    }

    async fn agents_with_shifts(&self) -> Result<Vec<(i64, bool, String)>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, available, shifts FROM agents WHERE shifts IS NOT NULL ORDER BY id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn update_shop(
        &self,
        shop_id: i64,
        timezone: &str,
        settings: serde_json::Value,
    ) -> Result<Shop> {
        let timezone = timezone.to_string();
        self.write(move |c, _| {
            let n = c
                .prepare_cached("UPDATE shops SET timezone = ?2, settings = ?3 WHERE id = ?1")?
                .execute(rusqlite::params![shop_id, timezone, settings.to_string()])?;
            if n == 0 {
                return Err(crate::StoreError::NotFound(format!(
                    "shop {shop_id} does not exist"
                )));
            }
            ops::shop(c, shop_id)?.ok_or_else(|| {
                crate::StoreError::NotFound(format!("shop {shop_id} does not exist"))
            })
        })
        .await
    }

    async fn teams(&self, tenant_id: i64) -> Result<Vec<crate::TeamInfo>> {
        self.read(move |c| {
            let mut teams: Vec<crate::TeamInfo> = c
                .prepare_cached(
                    "SELECT id, name, high_value, routing FROM teams WHERE tenant_id = ?1 ORDER BY id",
                )?
                .query_map([tenant_id], |r| {
                    Ok(crate::TeamInfo {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        high_value: r.get(2)?,
                        routing: r.get(3)?,
                        members: Vec::new(),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            for t in &mut teams {
                t.members = c
                    .prepare_cached("SELECT agent_id FROM team_members WHERE team_id = ?1 ORDER BY agent_id")?
                    .query_map([t.id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
            }
            Ok(teams)
        })
        .await
    }

    async fn create_team(&self, t: crate::NewTeam) -> Result<i64> {
        self.write(move |c, _| {
            let id: i64 = c
                .prepare_cached(
                    "INSERT INTO teams (tenant_id, name, high_value, routing) VALUES (?1, ?2, ?3, ?4) RETURNING id",
                )?
                .query_row(
                    rusqlite::params![t.tenant_id, t.name, t.high_value, t.routing],
                    |r| r.get(0),
                )?;
            for agent in &t.members {
                c.prepare_cached("INSERT INTO team_members (team_id, agent_id) VALUES (?1, ?2)")?
                    .execute([id, *agent])?;
            }
            Ok(id)
        })
        .await
    }

    async fn set_agent_shops(&self, agent_id: i64, shops: Vec<i64>) -> Result<()> {
        self.write(move |c, _| {
            c.prepare_cached("DELETE FROM agent_shops WHERE agent_id = ?1")?
                .execute([agent_id])?;
            for shop in &shops {
                c.prepare_cached(
                    "INSERT OR IGNORE INTO agent_shops (agent_id, shop_id) VALUES (?1, ?2)",
                )?
                .execute([agent_id, *shop])
                .map_err(|e| {
                    crate::StoreError::Invalid(format!(
                        "agent {agent_id} or shop {shop} does not exist: {e}"
                    ))
                })?;
            }
            Ok(())
        })
        .await
    }

    async fn agent_shops(&self, agent_id: i64) -> Result<Vec<i64>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT shop_id FROM agent_shops WHERE agent_id = ?1 ORDER BY shop_id",
            )?
            .query_map([agent_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn agents(&self, tenant_id: i64) -> Result<Vec<Agent>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT {} FROM agents WHERE tenant_id = ?1 ORDER BY id",
                rows::AGENT_COLS
            );
            Ok(c.prepare_cached(&sql)?
                .query_map([tenant_id], rows::agent)?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}

#[async_trait]
impl ChannelStore for SqliteStore {
    async fn record_failed_ingest(&self, f: crate::FailedIngest) -> Result<i64> {
        self.write(move |c, _| {
            c.prepare_cached("INSERT INTO failed_ingests (channel, received_at, error, raw) VALUES (?1, ?2, ?3, ?4)")?
                .execute(rusqlite::params![f.channel.as_str(), f.received_at.timestamp_micros(), f.error, f.raw])?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    async fn failed_ingests(&self, limit: i64) -> Result<Vec<crate::FailedIngestInfo>> {
        self.read(move |c| {
            let out = c
                .prepare_cached("SELECT id, channel, received_at, error, length(raw) FROM failed_ingests ORDER BY id DESC LIMIT ?1")?
                .query_map([limit], |r| {
                    Ok(crate::FailedIngestInfo {
                        id: r.get(0)?,
                        channel: r.get(1)?,
                        received_at: rows::time(r.get(2)?),
                        error: r.get(3)?,
                        size: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(out)
        })
        .await
    }

    async fn due_outbox(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<crate::OutboxItem>> {
        self.read(move |c| ops::due_outbox(c, now, limit)).await
    }

    async fn record_delivery(
        &self,
        outbox_id: i64,
        at: chrono::DateTime<chrono::Utc>,
        outcome: crate::Delivery,
    ) -> Result<()> {
        self.write(move |c, _| ops::record_delivery(c, outbox_id, at, &outcome))
            .await
    }

    async fn index_feed(&self, after_id: i64, limit: i64) -> Result<Vec<crate::IndexRow>> {
        self.read(move |c| ops::index_feed(c, after_id, limit))
            .await
    }

    async fn add_attachment(
        &self,
        message_id: i64,
        filename: &str,
        content_type: &str,
        data: Vec<u8>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64> {
        let (filename, content_type) = (filename.to_string(), content_type.to_string());
        self.write(move |c, _| {
            let conversation_id: i64 = c
                .prepare_cached("SELECT conversation_id FROM messages WHERE id = ?1")?
                .query_row([message_id], |r| r.get(0))
                .map_err(|_| crate::StoreError::NotFound(format!("message {message_id} does not exist")))?;
            Ok(c.prepare_cached(
                "INSERT INTO attachments (conversation_id, message_id, filename, content_type, size, data, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            )?
            .query_row(
                rusqlite::params![conversation_id, message_id, filename, content_type, data.len() as i64, data, rows::micros(at)],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn attachments(&self, conversation_id: i64) -> Result<Vec<crate::AttachmentInfo>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT id, conversation_id, message_id, filename, content_type, size, created_at FROM attachments
                 WHERE conversation_id = ?1 ORDER BY id",
            )?
            .query_map([conversation_id], |r| {
                Ok(crate::AttachmentInfo {
                    id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    message_id: r.get(2)?,
                    filename: r.get(3)?,
                    content_type: r.get(4)?,
                    size: r.get(5)?,
                    created_at: rows::time(r.get(6)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn attachment(&self, id: i64) -> Result<Option<(crate::AttachmentInfo, Vec<u8>)>> {
        use rusqlite::OptionalExtension;
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT id, conversation_id, message_id, filename, content_type, size, created_at, data FROM attachments WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    crate::AttachmentInfo {
                        id: r.get(0)?,
                        conversation_id: r.get(1)?,
                        message_id: r.get(2)?,
                        filename: r.get(3)?,
                        content_type: r.get(4)?,
                        size: r.get(5)?,
                        created_at: rows::time(r.get(6)?),
                    },
                    r.get(7)?,
                ))
            })
            .optional()?)
        })
        .await
    }

    async fn mail_cursor(&self, source: &str) -> Result<Option<crate::MailCursor>> {
        let source = source.to_string();
        self.read(move |c| {
            use rusqlite::OptionalExtension;
            Ok(c.prepare_cached(
                "SELECT uid_validity, last_uid FROM mail_cursors WHERE source = ?1",
            )?
            .query_row([&source], |r| {
                Ok(crate::MailCursor {
                    uid_validity: r.get(0)?,
                    last_uid: r.get(1)?,
                })
            })
            .optional()?)
        })
        .await
    }

    async fn save_mail_cursor(
        &self,
        source: &str,
        cursor: crate::MailCursor,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let source = source.to_string();
        self.write(move |c, _| {
            c.prepare_cached(
                "INSERT INTO mail_cursors (source, uid_validity, last_uid, updated_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source) DO UPDATE SET uid_validity = excluded.uid_validity,
                     last_uid = excluded.last_uid, updated_at = excluded.updated_at",
            )?
            .execute(rusqlite::params![
                source,
                cursor.uid_validity,
                cursor.last_uid,
                rows::micros(at)
            ])?;
            Ok(())
        })
        .await
    }

    async fn put_faq(&self, faq: crate::FaqEntry) -> Result<()> {
        self.write(move |c, _| channels::put_faq(c, &faq)).await
    }

    async fn faqs(&self, shop_id: i64) -> Result<Vec<crate::FaqEntry>> {
        self.read(move |c| channels::faqs(c, shop_id)).await
    }

    async fn delete_faq(&self, shop_id: i64, key: &str, language: &str) -> Result<bool> {
        let (key, language) = (key.to_string(), language.to_string());
        self.write(move |c, _| channels::delete_faq(c, shop_id, &key, &language))
            .await
    }

    async fn create_connector(&self, n: crate::NewConnector) -> Result<crate::ConnectorRow> {
        self.write(move |c, _| channels::create_connector(c, &n))
            .await
    }

    async fn connectors(&self, shop_ids: Option<Vec<i64>>) -> Result<Vec<crate::ConnectorRow>> {
        self.read(move |c| channels::connectors(c, shop_ids.as_deref()))
            .await
    }

    async fn due_connectors(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<crate::ConnectorRow>> {
        self.read(move |c| channels::due_connectors(c, now, limit))
            .await
    }

    async fn save_connector(
        &self,
        id: i64,
        cursor: Option<String>,
        health: serde_json::Value,
        next_attempt_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.write(move |c, _| {
            channels::save_connector(c, id, cursor.as_deref(), &health, next_attempt_at)
        })
        .await
    }
}

#[async_trait]
impl CaseStore for SqliteStore {
    async fn open_case(&self, n: crate::NewCase) -> Result<crate::AftersalesCase> {
        self.write(move |c, _| channels::open_case(c, &n)).await
    }

    async fn cases(&self, conversation_id: i64) -> Result<Vec<crate::AftersalesCase>> {
        self.read(move |c| channels::cases(c, conversation_id))
            .await
    }

    async fn set_case_state(
        &self,
        case_id: i64,
        state: &str,
        actor: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::AftersalesCase> {
        let (state, actor) = (state.to_string(), actor.to_string());
        self.write(move |c, _| channels::set_case_state(c, case_id, &state, &actor, at))
            .await
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn login_record(&self, email: &str) -> Result<Option<crate::LoginRecord>> {
        let email = email.to_string();
        self.read(move |c| channels::login_record(c, &email)).await
    }

    async fn set_password(&self, agent_id: i64, hash: &str) -> Result<()> {
        let hash = hash.to_string();
        self.write(move |c, _| channels::set_password(c, agent_id, &hash))
            .await
    }

    async fn record_login(
        &self,
        agent_id: i64,
        success: bool,
        lock_after: i64,
        locked_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.write(move |c, _| {
            channels::record_login(c, agent_id, success, lock_after, locked_until)
        })
        .await
    }

    async fn create_session(&self, s: crate::NewSession) -> Result<()> {
        self.write(move |c, _| channels::create_session(c, &s))
            .await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(Agent, String, Vec<i64>)>> {
        let token_hash = token_hash.to_string();
        self.read(move |c| channels::session(c, &token_hash, now))
            .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let token_hash = token_hash.to_string();
        self.write(move |c, _| channels::delete_session(c, &token_hash))
            .await
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
