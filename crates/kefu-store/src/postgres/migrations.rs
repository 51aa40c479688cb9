//! The PostgreSQL schema's migrations, embedded, and running them at connect.

use super::*;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/postgres/0002_failed_ingests.sql"),
    ),
    (3, include_str!("../../migrations/postgres/0003_outbox.sql")),
    (
        4,
        include_str!("../../migrations/postgres/0004_routing.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_faqs_connectors.sql"),
    ),
    (
        6,
        include_str!("../../migrations/postgres/0006_sessions.sql"),
    ),
    (
        7,
        include_str!("../../migrations/postgres/0007_agent_shops.sql"),
    ),
    (
        8,
        include_str!("../../migrations/postgres/0008_aftersales_cases.sql"),
    ),
    (
        9,
        include_str!("../../migrations/postgres/0009_team_routing.sql"),
    ),
    (
        10,
        include_str!("../../migrations/postgres/0010_shifts.sql"),
    ),
    (
        11,
        include_str!("../../migrations/postgres/0011_attachments.sql"),
    ),
    (
        12,
        include_str!("../../migrations/postgres/0012_order_items.sql"),
    ),
    (
        13,
        include_str!("../../migrations/postgres/0013_inbox_work.sql"),
    ),
    (
        14,
        include_str!("../../migrations/postgres/0014_order_proof.sql"),
    ),
    (
        15,
        include_str!("../../migrations/postgres/0015_mail_cursors.sql"),
    ),
    (
        16,
        include_str!("../../migrations/postgres/0016_plan_data.sql"),
    ),
    (
        17,
        include_str!("../../migrations/postgres/0017_complaints.sql"),
    ),
    (
        18,
        include_str!("../../migrations/postgres/0018_kpi_rollups.sql"),
    ),
    (
        19,
        include_str!("../../migrations/postgres/0019_kpi_calls.sql"),
    ),
    (
        20,
        include_str!("../../migrations/postgres/0020_incidents.sql"),
    ),
];

impl PostgresStore {
    pub(super) async fn migrate(&self) -> Result<()> {
        let mut client = self
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Invalid(format!("cannot connect to PostgreSQL: {e}")))?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock(7314)", &[])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
        for (version, sql) in MIGRATIONS {
            let done = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .await?
                .is_some();
            if !done {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await?;
                tracing::info!(version, "applied PostgreSQL migration");
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
