//! `ConversationStore` on PostgreSQL.

use super::*;

#[async_trait]
impl ConversationStore for PostgresStore {
    async fn buyer_language(&self, shop_id: i64, handle: &str) -> Result<crate::BuyerLanguage> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt(
                "SELECT cu.language,
                        (SELECT co.language FROM conversations co WHERE co.customer_id = cu.id
                         ORDER BY co.id DESC LIMIT 1)
                 FROM customers cu WHERE cu.shop_id = $1 AND cu.handle = $2",
                &[&shop_id, &handle],
            )
            .await?;
        Ok(row
            .map(|r| crate::BuyerLanguage {
                customer: r.get(0),
                conversation: r.get(1),
            })
            .unwrap_or_default())
    }

    async fn ingest(&self, inbound: Inbound) -> Result<IngestOutcome> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let outcome = ingest_tx(&tx, &inbound).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn add_reply(&self, reply: NewReply) -> Result<ReplyOutcome> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let outcome = reply_tx(&tx, &reply).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn conversation(&self, id: i64) -> Result<Option<ConversationDetail>> {
        let mut client = self.conn().await?;
        read_conversation(&mut client, id).await
    }

    async fn log_event(
        &self,
        conversation_id: i64,
        at: DateTime<Utc>,
        kind: &str,
        actor: &str,
        data: Value,
    ) -> Result<()> {
        let client = self.conn().await?;
        let n = client
            .execute(
                "INSERT INTO events (conversation_id, at, kind, actor, data)
                 SELECT id, $2, $3, $4, $5 FROM conversations WHERE id = $1",
                &[&conversation_id, &at, &kind, &actor, &data],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "conversation {conversation_id} does not exist"
            )));
        }
        Ok(())
    }

    async fn mark_complaint(
        &self,
        conversation_id: i64,
        complaint: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        lock_conversation(&tx, conversation_id).await?;
        tx.execute(
            "UPDATE conversations SET complaint = $2 WHERE id = $1",
            &[&conversation_id, &complaint],
        )
        .await?;
        add_event(
            &tx,
            conversation_id,
            at,
            kefu_core::event_kind::COMPLAINT_MARKED,
            actor,
            json!({ "complaint": complaint }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_status(&self, ch: StatusChange) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let (_, before, _) = lock_conversation(&tx, ch.conversation_id).await?;
        if before != ch.status.as_str() {
            tx.execute(
                "UPDATE conversations SET status = $2, updated_at = $3 WHERE id = $1",
                &[&ch.conversation_id, &ch.status.as_str(), &ch.at],
            )
            .await?;
            let (met, opened) =
                change_clocks(&tx, ch.conversation_id, ch.at, &ch.closes_clocks, &ch.opens).await?;
            if !ch.status.is_active() {
                // A finished conversation owes nothing for the clocks it missed.
                tx.execute(
                    "UPDATE obligations SET answered_at = $2
                     WHERE conversation_id = $1 AND state = 'breached' AND answered_at IS NULL",
                    &[&ch.conversation_id, &ch.at],
                )
                .await?;
            }
            let mut data = json!({"from": before, "to": ch.status.as_str(), "reason": ch.reason});
            if !met.is_empty() {
                data["obligations_met"] = json!(met);
            }
            if !opened.is_empty() {
                data["obligations_opened"] = json!(opened);
            }
            add_event(
                &tx,
                ch.conversation_id,
                ch.at,
                event_kind::STATUS_CHANGED,
                &ch.actor,
                data,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn add_note(&self, n: crate::NewNote) -> Result<i64> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let (shop_id, _, _) = lock_conversation(&tx, n.conversation_id).await?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO messages (conversation_id, shop_id, direction, channel, author_agent_id, body, created_at)
                 VALUES ($1, $2, 'note', 'api', $3, $4, $5) RETURNING id",
                &[&n.conversation_id, &shop_id, &n.agent_id, &n.body, &n.at],
            )
            .await?
            .get(0);
        tx.execute(
            "UPDATE conversations SET message_count = message_count + 1, updated_at = $2 WHERE id = $1",
            &[&n.conversation_id, &n.at],
        )
        .await?;
        add_event(
            &tx,
            n.conversation_id,
            n.at,
            event_kind::NOTE_ADDED,
            &n.actor,
            json!({"message_id": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn start_clocks(&self, s: crate::ClockStart) -> Result<Vec<i64>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        lock_conversation(&tx, s.conversation_id).await?;
        let (_, opened) = change_clocks(&tx, s.conversation_id, s.at, &[], &s.obligations).await?;
        let ids = opened
            .iter()
            .filter_map(|o| o["obligation_id"].as_i64())
            .collect();
        add_event(
            &tx,
            s.conversation_id,
            s.at,
            event_kind::CLOCKS_STARTED,
            &s.actor,
            json!({"trigger": s.trigger, "obligations_opened": opened}),
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn record_step(&self, s: crate::FlowStep) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        lock_conversation(&tx, s.conversation_id).await?;
        let (met, opened) =
            change_clocks(&tx, s.conversation_id, s.at, &s.closes, &s.opens).await?;
        let mut data = s.data;
        if !met.is_empty() {
            data["obligations_met"] = json!(met);
        }
        if !opened.is_empty() {
            data["obligations_opened"] = json!(opened);
        }
        add_event(&tx, s.conversation_id, s.at, &s.kind, &s.actor, data).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn breach_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<crate::Breach>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        // SKIP LOCKED: several kefu nodes can sweep at once without marking a breach twice.
        let rows = tx
            .query(
                "WITH due AS (
                     SELECT id FROM obligations WHERE state = 'open' AND due_at <= $1
                     ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE obligations o SET state = 'breached', closed_at = $1 FROM due WHERE o.id = due.id
                 RETURNING o.id, o.conversation_id, o.rule, o.clock, o.severity, o.due_at, o.escalate_on_breach",
                &[&now, &limit],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (id, conversation_id, rule, clock, severity, due): (
                i64,
                i64,
                String,
                String,
                String,
                DateTime<Utc>,
            ) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
            add_event(&tx, conversation_id, now, event_kind::OBLIGATION_BREACHED, "scheduler",
                json!({"obligation_id": id, "rule": rule, "clock": clock, "severity": severity, "due": due.to_rfc3339()})).await?;
            let severity: kefu_core::Severity = parse_enum(&severity)?;
            let mut escalated = false;
            // The rulebook decided when it opened the clock whether missing it escalates.
            let escalate_on_breach: bool = r.get(6);
            if escalate_on_breach {
                let n = tx
                    .execute(
                        &format!(
                            "UPDATE conversations SET status = 'escalated', updated_at = $2
                             WHERE id = $1 AND status IN {}",
                            *status_sets::ESCALATES_ON_BREACH
                        ),
                        &[&conversation_id, &now],
                    )
                    .await?;
                if n > 0 {
                    escalated = true;
                    add_event(
                        &tx,
                        conversation_id,
                        now,
                        event_kind::STATUS_CHANGED,
                        "scheduler",
                        json!({"to": "escalated", "reason": format!("{rule} breached")}),
                    )
                    .await?;
                }
            }
            out.push(crate::Breach {
                obligation_id: id,
                conversation_id,
                rule,
                clock: parse_enum(&clock)?,
                severity,
                due,
                escalated,
            });
        }
        out.sort_by_key(|b| (b.due, b.obligation_id));
        tx.commit().await?;
        Ok(out)
    }

    async fn obligations(&self, f: crate::ObligationFilter) -> Result<Vec<Obligation>> {
        let client = self.conn().await?;
        let state = f
            .state
            .map(|s| format!("AND o.state = '{}'", s.as_str()))
            .unwrap_or_default();
        let sql = format!(
            "SELECT o.id, o.conversation_id, o.rule, o.clock, o.severity, o.due_at, o.state, o.opened_at, o.closed_at, o.explanation
             FROM obligations o JOIN conversations c ON c.id = o.conversation_id JOIN shops s ON s.id = c.shop_id
             WHERE s.tenant_id = $1 {state} AND ($2::timestamptz IS NULL OR o.due_at < $2)
               AND ($3::bigint IS NULL OR c.shop_id = $3)
               AND ($5::timestamptz IS NULL OR o.due_at > $5 OR (o.due_at = $5 AND o.id > $6::bigint))
             ORDER BY o.due_at, o.id LIMIT $4"
        );
        let (after_due, after_id) = (f.after.map(|a| a.0), f.after.map(|a| a.1));
        client
            .query(
                &sql,
                &[
                    &f.tenant_id,
                    &f.due_before,
                    &f.shop_id,
                    &f.limit,
                    &after_due,
                    &after_id,
                ],
            )
            .await?
            .iter()
            .map(obligation_row)
            .collect()
    }

    async fn assign_to(
        &self,
        conversation_id: i64,
        agent_id: Option<i64>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE conversations SET assignee_id = $2 WHERE id = $1",
                &[&conversation_id, &agent_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "conversation {conversation_id} does not exist"
            )));
        }
        add_event(
            &tx,
            conversation_id,
            at,
            kefu_core::event_kind::ASSIGNED,
            actor,
            json!({"agent_id": agent_id, "manual": true}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn assign(&self, conversation_id: i64, at: DateTime<Utc>) -> Result<Option<i64>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        lock_conversation(&tx, conversation_id).await?;
        let agent = assign_tx(&tx, conversation_id, at).await?;
        tx.commit().await?;
        Ok(agent)
    }

    async fn assign_to_team(
        &self,
        conversation_id: i64,
        team_id: i64,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<Option<i64>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        lock_conversation(&tx, conversation_id).await?;
        let agent = assign_to_team_tx(&tx, conversation_id, team_id, at, actor).await?;
        tx.commit().await?;
        Ok(agent)
    }

    async fn set_availability(
        &self,
        agent_id: i64,
        available: bool,
        at: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE agents SET available = $2 WHERE id = $1",
                &[&agent_id, &available],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "agent {agent_id} does not exist"
            )));
        }
        let mut moved = Vec::new();
        if !available {
            let rows = tx
                .query(
                    &format!(
                        "SELECT id FROM conversations WHERE assignee_id = $1
                         AND status IN {} ORDER BY id FOR UPDATE",
                        *status_sets::OPEN
                    ),
                    &[&agent_id],
                )
                .await?;
            for r in rows {
                let id: i64 = r.get(0);
                assign_tx(&tx, id, at).await?;
                moved.push(id);
            }
        }
        tx.commit().await?;
        Ok(moved)
    }

    async fn inbox(&self, q: crate::InboxQuery) -> Result<Vec<crate::InboxRow>> {
        let conn = self.conn().await?;
        let mut out: Vec<crate::InboxRow> = Vec::new();
        for part in crate::inbox::parts(&q) {
            let left = q.limit - out.len() as i64;
            if left <= 0 {
                break;
            }
            let after = q.after.filter(|a| a.part == part);
            let sql =
                crate::inbox::part_sql(&q, part, after.is_some(), crate::inbox::Dialect::Postgres);
            let (after_at, after_id) = (after.map(|a| a.at), after.map(|a| a.id));
            // Typed, since a part's statement leaves some of the seven parameters unused.
            let stmt = conn
                .prepare_typed(
                    &sql,
                    &[
                        Type::INT8,
                        Type::TEXT,
                        Type::TIMESTAMPTZ,
                        Type::TIMESTAMPTZ,
                        Type::INT8,
                        Type::INT8,
                        Type::TIMESTAMPTZ,
                    ],
                )
                .await?;
            let rows = conn
                .query(
                    &stmt,
                    &[
                        &q.tenant_id,
                        &q.language,
                        &q.due_before,
                        &after_at,
                        &after_id,
                        &left,
                        &q.pending_before,
                    ],
                )
                .await?;
            for r in rows {
                out.push(crate::InboxRow {
                    part,
                    obligation_id: r.get(0),
                    conversation_id: r.get(1),
                    shop_id: r.get(2),
                    rule: r.get(3),
                    due: r.get(4),
                    opened_at: r.get(5),
                    status: parse_enum(&r.get::<_, String>(6))?,
                    language: r.get(7),
                    assignee_id: r.get(8),
                    customer_handle: r.get(9),
                    customer_name: r.get(10),
                    last_message: r.get(11),
                });
            }
        }
        Ok(out)
    }

    async fn overview(
        &self,
        tenant_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<crate::Overview> {
        let open = &*status_sets::OPEN;
        let c = self.conn().await?;
        let shops = "SELECT id FROM shops WHERE tenant_id = $1";
        let pairs = |rows: Vec<Row>| -> Vec<(i64, i64)> {
            rows.iter().map(|r| (r.get(0), r.get(1))).collect()
        };
        let open_by_shop = pairs(
            c.query(&format!("SELECT shop_id, COUNT(*) FROM conversations WHERE status IN {open} AND shop_id IN ({shops}) GROUP BY shop_id ORDER BY shop_id"), &[&tenant_id]).await?,
        );
        let load = pairs(
            c.query(&format!("SELECT COALESCE(assignee_id, 0), COUNT(*) FROM conversations WHERE status IN {open} AND shop_id IN ({shops}) GROUP BY assignee_id ORDER BY 1"), &[&tenant_id]).await?,
        );
        let unassigned = load.iter().find(|(a, _)| *a == 0).map_or(0, |(_, n)| *n);
        let escalated: i64 = c
            .query_one(&format!("SELECT COUNT(*) FROM conversations WHERE status = 'escalated' AND shop_id IN ({shops})"), &[&tenant_id])
            .await?
            .get(0);
        let of_tenant =
            format!("conversation_id IN (SELECT id FROM conversations WHERE shop_id IN ({shops}))");
        let breaches: i64 = c
            .query_one(&format!("SELECT COUNT(*) FROM obligations WHERE state = 'breached' AND closed_at >= $2 AND {of_tenant}"), &[&tenant_id, &since])
            .await?
            .get(0);
        let hour = now + chrono::Duration::hours(1);
        let due_next_hour: i64 = c
            .query_one(&format!("SELECT COUNT(*) FROM obligations WHERE state = 'open' AND due_at < $2 AND due_at >= $3 AND {of_tenant}"), &[&tenant_id, &hour, &now])
            .await?
            .get(0);
        let frt = c
            .query_one(
                &format!(
                    "SELECT COUNT(*) FILTER (WHERE state = 'met'), COUNT(*) FILTER (WHERE state = 'breached'),
                            (AVG(EXTRACT(EPOCH FROM closed_at - opened_at)) FILTER (WHERE state = 'met'))::float8
                     FROM obligations WHERE clock = $3 AND closed_at >= $2 AND {of_tenant}"
                ),
                &[&tenant_id, &since, &crate::FIRST_RESPONSE.as_str()],
            )
            .await?;
        let done = c
            .query_one(
                &format!("SELECT COUNT(*), COUNT(*) FILTER (WHERE status IN {finished}) FROM conversations WHERE created_at >= $2 AND shop_id IN ({shops})", finished = *status_sets::FINISHED),
                &[&tenant_id, &since],
            )
            .await?;
        Ok(crate::Overview {
            open_by_shop,
            escalated,
            breaches,
            due_next_hour,
            load_by_agent: load.into_iter().filter(|(a, _)| *a != 0).collect(),
            unassigned,
            first_response_met: frt.get(0),
            first_response_breached: frt.get(1),
            first_response_mean_secs: frt.get(2),
            opened: done.get(0),
            resolved: done.get(1),
        })
    }
}
