//! `SessionStore` on PostgreSQL.

use super::*;

#[async_trait]
impl SessionStore for PostgresStore {
    async fn login_record(&self, email: &str) -> Result<Option<crate::LoginRecord>> {
        let conn = self.conn().await?;
        let sql = format!(
            "SELECT {AGENT_COLS}, password_hash, failed_logins::bigint, locked_until FROM agents WHERE email = $1"
        );
        match conn.query_opt(&sql, &[&email]).await? {
            Some(r) => Ok(Some(crate::LoginRecord {
                agent: agent_row(&r)?,
                password_hash: r.get(6),
                failed_logins: r.get(7),
                locked_until: r.get(8),
            })),
            None => Ok(None),
        }
    }

    async fn set_password(&self, agent_id: i64, hash: &str) -> Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let n = tx
            .execute(
                "UPDATE agents SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1",
                &[&agent_id, &hash],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "agent {agent_id} does not exist"
            )));
        }
        // A new password ends every session signed in with the old one.
        tx.execute("DELETE FROM sessions WHERE agent_id = $1", &[&agent_id])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_login(
        &self,
        agent_id: i64,
        success: bool,
        lock_after: i64,
        locked_until: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn().await?;
        if success {
            conn.execute(
                "UPDATE agents SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                &[&agent_id],
            )
            .await?;
        } else {
            conn
                .execute(
                    "UPDATE agents SET failed_logins = failed_logins + 1,
                         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
                     WHERE id = $1",
                    &[&agent_id, &(lock_after as i32), &locked_until],
                )
                .await?;
        }
        Ok(())
    }

    async fn create_session(&self, s: crate::NewSession) -> Result<()> {
        let conn = self.conn().await?;
        conn
            .execute(
                "INSERT INTO sessions (token_hash, agent_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[&s.token_hash, &s.agent_id, &s.csrf, &s.created_at, &s.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Agent, String, Vec<i64>)>> {
        let conn = self.conn().await?;
        let cols = AGENT_COLS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols}, s.csrf,
                    ARRAY(SELECT g.shop_id FROM agent_shops g WHERE g.agent_id = a.id ORDER BY g.shop_id)
             FROM sessions s JOIN agents a ON a.id = s.agent_id
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        );
        match conn.query_opt(&sql, &[&token_hash, &now]).await? {
            Some(r) => Ok(Some((agent_row(&r)?, r.get(6), r.get(7)))),
            None => Ok(None),
        }
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let conn = self.conn().await?;
        conn.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .await?;
        Ok(())
    }
}
