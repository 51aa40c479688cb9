//! The SQLite schema's migrations, embedded, and running them at open.

use super::*;

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
    (
        17,
        include_str!("../../migrations/sqlite/0017_complaints.sql"),
    ),
    (
        18,
        include_str!("../../migrations/sqlite/0018_kpi_rollups.sql"),
    ),
    (
        19,
        include_str!("../../migrations/sqlite/0019_kpi_calls.sql"),
    ),
    (
        20,
        include_str!("../../migrations/sqlite/0020_incidents.sql"),
    ),
];

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
