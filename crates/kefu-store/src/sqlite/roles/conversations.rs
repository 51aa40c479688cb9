//! `ConversationStore`, `OrderStore` and `CaseStore` on SQLite: writes go to the writer
//! thread's next batch, reads to a reader connection.

use super::*;

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

    async fn mark_complaint(
        &self,
        conversation_id: i64,
        complaint: bool,
        actor: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let actor = actor.to_string();
        self.write(move |c, cache| {
            cache.forget_conversation(conversation_id);
            ops::mark_complaint(c, conversation_id, complaint, &actor, at)
        })
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

    async fn record_step(&self, step: crate::FlowStep) -> Result<()> {
        self.write(move |c, cache| ops::record_step(c, cache, &step))
            .await
    }

    async fn assign_to_team(
        &self,
        conversation_id: i64,
        team_id: i64,
        at: chrono::DateTime<chrono::Utc>,
        actor: &str,
    ) -> Result<Option<i64>> {
        let actor = actor.to_string();
        self.write(move |c, cache| {
            cache.forget_conversation(conversation_id);
            ops::assign_to_team(c, conversation_id, team_id, at, &actor)
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
