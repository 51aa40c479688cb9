//! `DirectoryStore` and `SessionStore` on SQLite.

use super::*;

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
