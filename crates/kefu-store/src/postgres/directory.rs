//! `OrderStore` and `DirectoryStore` on PostgreSQL.

use super::*;

#[async_trait]
impl OrderStore for PostgresStore {
    async fn upsert_order(&self, o: NewOrder) -> Result<Order> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        require_shop(&tx, o.shop_id).await?;
        let sql = format!(
            "INSERT INTO orders (shop_id, external_id, total, currency, paid_at, promised_ship_by,
                 shipped_at, carrier, tracking_number, delivered_at, closed_at, promises, created_at, items,
                 buyer_email, buyer_phone, buyer_postcode)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $5, $13, $14, $15, $16)
             ON CONFLICT (shop_id, external_id) DO UPDATE SET
                 total = EXCLUDED.total, currency = EXCLUDED.currency, paid_at = EXCLUDED.paid_at,
                 promised_ship_by = EXCLUDED.promised_ship_by, shipped_at = EXCLUDED.shipped_at,
                 carrier = EXCLUDED.carrier, tracking_number = EXCLUDED.tracking_number,
                 delivered_at = EXCLUDED.delivered_at, closed_at = EXCLUDED.closed_at,
                 promises = EXCLUDED.promises, items = EXCLUDED.items,
                 buyer_email = COALESCE(EXCLUDED.buyer_email, orders.buyer_email),
                 buyer_phone = COALESCE(EXCLUDED.buyer_phone, orders.buyer_phone),
                 buyer_postcode = COALESCE(EXCLUDED.buyer_postcode, orders.buyer_postcode)
             RETURNING {ORDER_COLS}"
        );
        let promises = json!(o.promises);
        let items = serde_json::to_string(&o.items).unwrap_or_else(|_| "[]".into());
        let row = tx
            .query_one(
                &sql,
                &[
                    &o.shop_id,
                    &o.external_id,
                    &o.total.amount,
                    &o.total.currency.code(),
                    &o.paid_at,
                    &o.promised_ship_by,
                    &o.shipped_at,
                    &o.carrier,
                    &o.tracking_number,
                    &o.delivered_at,
                    &o.closed_at,
                    &promises,
                    &items,
                    &o.buyer.email,
                    &o.buyer.phone,
                    &o.buyer.postcode,
                ],
            )
            .await?;
        let order = order_row(&row)?;
        tx.commit().await?;
        Ok(order)
    }

    async fn order_buyer(
        &self,
        shop_id: i64,
        external_id: &str,
    ) -> Result<Option<crate::OrderBuyer>> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt(
                "SELECT buyer_email, buyer_phone, buyer_postcode FROM orders WHERE shop_id = $1 AND external_id = $2",
                &[&shop_id, &external_id],
            )
            .await?;
        Ok(row.map(|r| crate::OrderBuyer {
            email: r.get(0),
            phone: r.get(1),
            postcode: r.get(2),
        }))
    }

    async fn claim_order(
        &self,
        conversation_id: i64,
        external_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let changed = tx
            .execute(
                "UPDATE conversations SET order_claim = $2
                 WHERE id = $1 AND order_id IS NULL AND order_claim IS DISTINCT FROM $2",
                &[&conversation_id, &external_id],
            )
            .await?;
        if changed == 0 {
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM conversations WHERE id = $1",
                    &[&conversation_id],
                )
                .await?
                .is_some();
            if !exists {
                return Err(StoreError::NotFound(format!(
                    "conversation {conversation_id} does not exist"
                )));
            }
            // Already linked to an order (that link stands) or this very claim made before:
            // nothing to record.
            return Ok(());
        }
        tx.execute(
            "INSERT INTO events (conversation_id, at, kind, actor, data) VALUES ($1, $2, $3, 'visitor', $4)",
            &[
                &conversation_id,
                &at,
                &event_kind::ORDER_CLAIMED,
                &json!({"order": external_id, "verified": false}),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn order(&self, shop_id: i64, external_id: &str) -> Result<Option<Order>> {
        let client = self.conn().await?;
        let sql =
            format!("SELECT {ORDER_COLS} FROM orders WHERE shop_id = $1 AND external_id = $2");
        client
            .query_opt(&sql, &[&shop_id, &external_id])
            .await?
            .as_ref()
            .map(order_row)
            .transpose()
    }
}

#[async_trait]
impl DirectoryStore for PostgresStore {
    async fn create_shop(&self, s: NewShop) -> Result<Shop> {
        let client = self.conn().await?;
        if client
            .query_opt("SELECT 1 FROM tenants WHERE id = $1", &[&s.tenant_id])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "tenant {} does not exist",
                s.tenant_id
            )));
        }
        let sql = format!(
            "INSERT INTO shops (tenant_id, name, platform, timezone, currency, pack, settings, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING {SHOP_COLS}"
        );
        let row = client
            .query_one(
                &sql,
                &[
                    &s.tenant_id,
                    &s.name,
                    &s.platform.as_str(),
                    &s.timezone,
                    &s.currency,
                    &s.pack,
                    &s.settings,
                ],
            )
            .await?;
        shop_row(&row)
    }

    async fn shop(&self, id: i64) -> Result<Option<Shop>> {
        let client = self.conn().await?;
        let sql = format!("SELECT {SHOP_COLS} FROM shops WHERE id = $1");
        client
            .query_opt(&sql, &[&id])
            .await?
            .as_ref()
            .map(shop_row)
            .transpose()
    }

    async fn shops(&self, tenant_id: i64) -> Result<Vec<Shop>> {
        let client = self.conn().await?;
        let sql = format!("SELECT {SHOP_COLS} FROM shops WHERE tenant_id = $1 ORDER BY id");
        client
            .query(&sql, &[&tenant_id])
            .await?
            .iter()
            .map(shop_row)
            .collect()
    }

    async fn create_agent(&self, a: NewAgent) -> Result<Agent> {
        let client = self.conn().await?;
        let sql = format!(
            "INSERT INTO agents (tenant_id, email, name, role, languages, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING {AGENT_COLS}"
        );
        let languages = json!(a.languages);
        let row = client
            .query_one(
                &sql,
                &[
                    &a.tenant_id,
                    &a.email,
                    &a.name,
                    &a.role.as_str(),
                    &languages,
                    &a.password_hash,
                ],
            )
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!(
                    "an agent with email {:?} already exists",
                    a.email
                )),
                other => other,
            })?;
        agent_row(&row)
    }

    async fn create_token(&self, agent_id: i64, name: &str, token_hash: &str) -> Result<()> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "INSERT INTO api_tokens (agent_id, name, token_hash, created_at)
                 SELECT id, $2, $3, now() FROM agents WHERE id = $1",
                &[&agent_id, &name, &token_hash],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "agent {agent_id} does not exist"
            )));
        }
        Ok(())
    }

    async fn agent_by_token_hash(&self, token_hash: &str) -> Result<Option<Agent>> {
        let client = self.conn().await?;
        let sql = format!(
            "SELECT {AGENT_COLS} FROM agents WHERE id = (SELECT agent_id FROM api_tokens WHERE token_hash = $1)"
        );
        client
            .query_opt(&sql, &[&token_hash])
            .await?
            .as_ref()
            .map(agent_row)
            .transpose()
    }

    async fn set_shifts(&self, agent_id: i64, shifts: Option<String>) -> Result<()> {
        let conn = self.conn().await?;
        let n = conn
            .execute(
                "UPDATE agents SET shifts = $2 WHERE id = $1",
                &[&agent_id, &shifts],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "agent {agent_id} does not exist"
            )));
        }
        Ok(())
    }

    async fn agents_with_shifts(&self) -> Result<Vec<(i64, bool, String)>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                "SELECT id, available, shifts FROM agents WHERE shifts IS NOT NULL ORDER BY id",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    async fn update_shop(&self, shop_id: i64, timezone: &str, settings: Value) -> Result<Shop> {
        {
            let conn = self.conn().await?;
            let n = conn
                .execute(
                    "UPDATE shops SET timezone = $2, settings = $3 WHERE id = $1",
                    &[&shop_id, &timezone, &settings],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound(format!(
                    "shop {shop_id} does not exist"
                )));
            }
        }
        self.shop(shop_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("shop {shop_id} does not exist")))
    }

    async fn teams(&self, tenant_id: i64) -> Result<Vec<crate::TeamInfo>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                "SELECT t.id, t.name, t.high_value, t.routing,
                        ARRAY(SELECT m.agent_id FROM team_members m WHERE m.team_id = t.id ORDER BY m.agent_id)
                 FROM teams t WHERE t.tenant_id = $1 ORDER BY t.id",
                &[&tenant_id],
            )
            .await?
            .iter()
            .map(|r| crate::TeamInfo {
                id: r.get(0),
                name: r.get(1),
                high_value: r.get(2),
                routing: r.get(3),
                members: r.get(4),
            })
            .collect())
    }

    async fn create_team(&self, t: crate::NewTeam) -> Result<i64> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO teams (tenant_id, name, high_value, routing) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&t.tenant_id, &t.name, &t.high_value, &t.routing],
            )
            .await
            .map_err(|e| StoreError::Conflict(format!("team {:?} cannot be created: {e}", t.name)))?
            .get(0);
        for agent in &t.members {
            tx.execute(
                "INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2)",
                &[&id, agent],
            )
            .await
            .map_err(|e| StoreError::Invalid(format!("agent {agent} cannot join: {e}")))?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn set_agent_shops(&self, agent_id: i64, shops: Vec<i64>) -> Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        tx.execute("DELETE FROM agent_shops WHERE agent_id = $1", &[&agent_id])
            .await?;
        for shop in shops {
            tx.execute(
                "INSERT INTO agent_shops (agent_id, shop_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&agent_id, &shop],
            )
            .await
            .map_err(|e| StoreError::Invalid(format!("agent {agent_id} or shop {shop} does not exist: {e}")))?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn agent_shops(&self, agent_id: i64) -> Result<Vec<i64>> {
        let conn = self.conn().await?;
        Ok(conn
            .query(
                "SELECT shop_id FROM agent_shops WHERE agent_id = $1 ORDER BY shop_id",
                &[&agent_id],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn agents(&self, tenant_id: i64) -> Result<Vec<Agent>> {
        let conn = self.conn().await?;
        conn.query(
            &format!("SELECT {AGENT_COLS} FROM agents WHERE tenant_id = $1 ORDER BY id"),
            &[&tenant_id],
        )
        .await?
        .iter()
        .map(agent_row)
        .collect()
    }
}
