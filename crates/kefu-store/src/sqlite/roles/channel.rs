//! `ChannelStore` on SQLite.

use super::*;

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
