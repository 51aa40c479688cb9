//! `ChannelStore` on PostgreSQL.

use super::*;

#[async_trait]
impl ChannelStore for PostgresStore {
    async fn record_failed_ingest(&self, f: crate::FailedIngest) -> Result<i64> {
        let client = self.conn().await?;
        let row = client
            .query_one(
                "INSERT INTO failed_ingests (channel, received_at, error, raw) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&f.channel.as_str(), &f.received_at, &f.error, &f.raw],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn failed_ingests(&self, limit: i64) -> Result<Vec<crate::FailedIngestInfo>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT id, channel, received_at, error, length(raw)::bigint FROM failed_ingests ORDER BY id DESC LIMIT $1",
                &[&limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::FailedIngestInfo {
                id: r.get(0),
                channel: r.get(1),
                received_at: r.get(2),
                error: r.get(3),
                size: r.get(4),
            })
            .collect())
    }

    async fn due_outbox(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<crate::OutboxItem>> {
        let conn = self.conn().await?;
        let rows = conn
            .query(
                "SELECT o.id, o.message_id, o.conversation_id, o.channel, o.recipient, m.body, o.attempts::bigint, s.name,
                        (SELECT external_id FROM messages i WHERE i.conversation_id = o.conversation_id
                            AND i.direction = 'inbound' AND i.id < o.message_id ORDER BY i.id DESC LIMIT 1),
                        (SELECT reply_to FROM messages i WHERE i.conversation_id = o.conversation_id
                            AND i.direction = 'inbound' AND i.reply_to IS NOT NULL AND i.id < o.message_id
                            ORDER BY i.id DESC LIMIT 1),
                        m.shop_id
                 FROM outbox o JOIN messages m ON m.id = o.message_id JOIN shops s ON s.id = m.shop_id
                 WHERE o.state = 'pending' AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at LIMIT $2",
                &[&now, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::OutboxItem {
                id: r.get(0),
                message_id: r.get(1),
                conversation_id: r.get(2),
                channel: r.get(3),
                recipient: r.get(4),
                body: r.get(5),
                attempts: r.get(6),
                shop_name: r.get(7),
                in_reply_to: r.get(8),
                reply_to: r.get(9),
                shop_id: r.get(10),
            })
            .collect())
    }

    async fn record_delivery(
        &self,
        id: i64,
        at: DateTime<Utc>,
        outcome: crate::Delivery,
    ) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt(
                "SELECT conversation_id, message_id FROM outbox WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
        else {
            return Err(StoreError::NotFound(format!(
                "outbox entry {id} does not exist"
            )));
        };
        let (conversation_id, message_id): (i64, i64) = (row.get(0), row.get(1));
        match outcome {
            crate::Delivery::Sent { external_id } => {
                tx.execute(
                    "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = $2, external_id = $3, last_error = NULL WHERE id = $1",
                    &[&id, &at, &external_id],
                )
                .await?;
                add_event(
                    &tx,
                    conversation_id,
                    at,
                    event_kind::REPLY_DELIVERED,
                    "outbox",
                    json!({"message_id": message_id, "external_id": external_id}),
                )
                .await?;
            }
            crate::Delivery::Failed { error, retry_at } => {
                let state = if retry_at.is_some() {
                    "pending"
                } else {
                    "failed"
                };
                tx.execute(
                    "UPDATE outbox SET state = $2, attempts = attempts + 1, last_error = $3,
                         next_attempt_at = COALESCE($4, next_attempt_at) WHERE id = $1",
                    &[&id, &state, &error, &retry_at],
                )
                .await?;
                add_event(&tx, conversation_id, at, event_kind::REPLY_DELIVERY_FAILED, "outbox",
                    json!({"message_id": message_id, "error": error, "retry_at": retry_at.map(|t| t.to_rfc3339())})).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn index_feed(&self, after_id: i64, limit: i64) -> Result<Vec<crate::IndexRow>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT m.id, m.conversation_id, s.tenant_id, m.shop_id, s.platform, c.status,
                        COALESCE(m.author_agent_id, c.assignee_id), m.direction, m.language, m.body, m.created_at
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN shops s ON s.id = m.shop_id
                 WHERE m.id > $1 ORDER BY m.id LIMIT $2",
                &[&after_id, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::IndexRow {
                message_id: r.get(0),
                conversation_id: r.get(1),
                tenant_id: r.get(2),
                shop_id: r.get(3),
                platform: r.get(4),
                status: r.get(5),
                agent_id: r.get(6),
                direction: r.get(7),
                language: r.get(8),
                body: r.get(9),
                created_at: r.get(10),
            })
            .collect())
    }

    async fn add_attachment(
        &self,
        message_id: i64,
        filename: &str,
        content_type: &str,
        data: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt(
                "INSERT INTO attachments (conversation_id, message_id, filename, content_type, size, data, created_at)
                 SELECT conversation_id, id, $2, $3, $4, $5, $6 FROM messages WHERE id = $1 RETURNING id",
                &[&message_id, &filename, &content_type, &(data.len() as i64), &data, &at],
            )
            .await?;
        row.map(|r| r.get(0))
            .ok_or_else(|| StoreError::NotFound(format!("message {message_id} does not exist")))
    }

    async fn attachments(&self, conversation_id: i64) -> Result<Vec<crate::AttachmentInfo>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                "SELECT id, conversation_id, message_id, filename, content_type, size, created_at FROM attachments
                 WHERE conversation_id = $1 ORDER BY id",
                &[&conversation_id],
            )
            .await?
            .iter()
            .map(|r| crate::AttachmentInfo {
                id: r.get(0),
                conversation_id: r.get(1),
                message_id: r.get(2),
                filename: r.get(3),
                content_type: r.get(4),
                size: r.get(5),
                created_at: r.get(6),
            })
            .collect())
    }

    async fn attachment(&self, id: i64) -> Result<Option<(crate::AttachmentInfo, Vec<u8>)>> {
        let conn = self.conn().await?;
        Ok(conn
            .query_opt(
                "SELECT id, conversation_id, message_id, filename, content_type, size, created_at, data FROM attachments WHERE id = $1",
                &[&id],
            )
            .await?
            .map(|r| {
                (
                    crate::AttachmentInfo {
                        id: r.get(0),
                        conversation_id: r.get(1),
                        message_id: r.get(2),
                        filename: r.get(3),
                        content_type: r.get(4),
                        size: r.get(5),
                        created_at: r.get(6),
                    },
                    r.get(7),
                )
            }))
    }

    async fn mail_cursor(&self, source: &str) -> Result<Option<crate::MailCursor>> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt(
                "SELECT uid_validity, last_uid FROM mail_cursors WHERE source = $1",
                &[&source],
            )
            .await?;
        Ok(row.map(|r| crate::MailCursor {
            // Stored as BIGINT: PostgreSQL has no unsigned 32-bit type.
            uid_validity: r.get::<_, i64>(0) as u32,
            last_uid: r.get::<_, i64>(1) as u32,
        }))
    }

    async fn save_mail_cursor(
        &self,
        source: &str,
        cursor: crate::MailCursor,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn().await?;
        conn.execute(
            "INSERT INTO mail_cursors (source, uid_validity, last_uid, updated_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (source) DO UPDATE SET uid_validity = EXCLUDED.uid_validity,
                     last_uid = EXCLUDED.last_uid, updated_at = EXCLUDED.updated_at",
            &[
                &source,
                &i64::from(cursor.uid_validity),
                &i64::from(cursor.last_uid),
                &at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn put_faq(&self, f: crate::FaqEntry) -> Result<()> {
        let client = self.conn().await?;
        if client
            .query_opt("SELECT 1 FROM shops WHERE id = $1", &[&f.shop_id])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "shop {} does not exist",
                f.shop_id
            )));
        }
        client
            .execute(
                "INSERT INTO faqs (shop_id, faq_key, language, questions, answer, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (shop_id, faq_key, language)
                 DO UPDATE SET questions = excluded.questions, answer = excluded.answer, updated_at = excluded.updated_at",
                &[&f.shop_id, &f.key, &f.language, &json!(f.questions), &f.answer, &f.updated_at],
            )
            .await?;
        Ok(())
    }

    async fn faqs(&self, shop_id: i64) -> Result<Vec<crate::FaqEntry>> {
        let conn = self.conn().await?;
        let rows = conn
            .query(
                "SELECT shop_id, faq_key, language, questions, answer, updated_at FROM faqs
                 WHERE shop_id = $1 ORDER BY faq_key, language",
                &[&shop_id],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::FaqEntry {
                shop_id: r.get(0),
                key: r.get(1),
                language: r.get(2),
                questions: serde_json::from_value(r.get::<_, Value>(3)).unwrap_or_default(),
                answer: r.get(4),
                updated_at: r.get(5),
            })
            .collect())
    }

    async fn delete_faq(&self, shop_id: i64, key: &str, language: &str) -> Result<bool> {
        let conn = self.conn().await?;
        let n = conn
            .execute(
                "DELETE FROM faqs WHERE shop_id = $1 AND faq_key = $2 AND language = $3",
                &[&shop_id, &key, &language],
            )
            .await?;
        Ok(n > 0)
    }

    async fn create_connector(&self, n: crate::NewConnector) -> Result<crate::ConnectorRow> {
        let client = self.conn().await?;
        if client
            .query_opt("SELECT 1 FROM shops WHERE id = $1", &[&n.shop_id])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "shop {} does not exist",
                n.shop_id
            )));
        }
        let row = client
            .query_opt(
                &format!(
                    "INSERT INTO connectors (shop_id, kind, base_url, credentials, next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (shop_id, kind) DO NOTHING
                     RETURNING {CONNECTOR_COLS}"
                ),
                &[&n.shop_id, &n.kind, &n.base_url, &n.credentials, &n.at],
            )
            .await?;
        match row {
            Some(row) => Ok(connector_row(&row)),
            None => Err(StoreError::Conflict(format!(
                "shop {} already has a {} connector",
                n.shop_id, n.kind
            ))),
        }
    }

    async fn connectors(&self, shop_ids: Option<Vec<i64>>) -> Result<Vec<crate::ConnectorRow>> {
        let conn = self.conn().await?;
        let rows = match shop_ids {
            Some(ids) => {
                conn
                    .query(
                        &format!("SELECT {CONNECTOR_COLS} FROM connectors WHERE shop_id = ANY($1) ORDER BY id"),
                        &[&ids],
                    )
                    .await?
            }
            None => {
                conn
                    .query(
                        &format!("SELECT {CONNECTOR_COLS} FROM connectors ORDER BY id"),
                        &[],
                    )
                    .await?
            }
        };
        Ok(rows.iter().map(connector_row).collect())
    }

    async fn due_connectors(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<crate::ConnectorRow>> {
        let conn = self.conn().await?;
        let rows = conn
            .query(
                &format!(
                    "SELECT {CONNECTOR_COLS} FROM connectors WHERE next_attempt_at <= $1
                     ORDER BY next_attempt_at LIMIT $2"
                ),
                &[&now, &limit],
            )
            .await?;
        Ok(rows.iter().map(connector_row).collect())
    }

    async fn save_connector(
        &self,
        id: i64,
        cursor: Option<String>,
        health: Value,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn().await?;
        let n = conn
            .execute(
                "UPDATE connectors SET cursor = COALESCE($2, cursor), health = $3, next_attempt_at = $4
                 WHERE id = $1",
                &[&id, &cursor, &health, &next_attempt_at],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "connector {id} does not exist"
            )));
        }
        Ok(())
    }
}
