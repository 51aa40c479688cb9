//! The store's role traits: what kefu keeps, by role, each small enough to read. `Store` is
//! all of them together, with a blanket implementation, so `Arc<dyn Store>` is the handle
//! every caller holds; bring the traits into scope with `use kefu_store::prelude::*`.
//! Implementations must write each state change and its event in one transaction and return
//! only after it is durable.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kefu_core::{Agent, Obligation, Order, Shop};

use crate::*;

/// Conversations and what happens in them: buyers' messages, replies, notes, status, clocks
/// and their breaches, routing, the inbox and the supervisor's overview.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Stores a buyer's message: customer, conversation (continued, reopened or new), message,
    /// events and obligations, in one transaction.
    async fn ingest(&self, inbound: Inbound) -> Result<IngestOutcome>;

    /// The buyer `handle` of a shop's known languages; empty for a buyer never seen.
    async fn buyer_language(&self, shop_id: i64, handle: &str) -> Result<BuyerLanguage>;

    /// Stores an outgoing reply and closes the clocks it satisfies, in one transaction.
    async fn add_reply(&self, reply: NewReply) -> Result<ReplyOutcome>;

    async fn conversation(&self, id: i64) -> Result<Option<ConversationDetail>>;

    /// Adds an internal note (seen by agents only; no clock or status changes).
    async fn add_note(&self, note: NewNote) -> Result<i64>;

    /// Gives a conversation to an agent of its tenant who is available and below their limit
    /// of open conversations: one who speaks the conversation's language if any does, the
    /// least loaded first, round robin among equals. Returns the agent, or None when nobody can
    /// take it (it waits unassigned).
    async fn assign(&self, conversation_id: i64, at: DateTime<Utc>) -> Result<Option<i64>>;

    /// A supervisor gives the conversation to `agent_id` (or to nobody), with an `assigned`
    /// event naming who did it.
    async fn assign_to(
        &self,
        conversation_id: i64,
        agent_id: Option<i64>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;

    /// Gives the conversation to a member of team `team_id` (of the conversation's tenant)
    /// with room, the one routing would pick among them, with an `assigned` event naming
    /// `actor` and the team. When none has room it stays with whoever has it. Returns who has
    /// it now; an unknown team or one of another tenant is `NotFound`.
    async fn assign_to_team(
        &self,
        conversation_id: i64,
        team_id: i64,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<Option<i64>>;

    /// Sets an agent available or away. Going away hands the agent's open conversations to
    /// others (or leaves them unassigned); returns the conversations moved.
    async fn set_availability(
        &self,
        agent_id: i64,
        available: bool,
        at: DateTime<Utc>,
    ) -> Result<Vec<i64>>;

    /// Appends an entry to a conversation's event log (a blocked draft, a guard override …).
    async fn log_event(
        &self,
        conversation_id: i64,
        at: DateTime<Utc>,
        kind: &str,
        actor: &str,
        data: serde_json::Value,
    ) -> Result<()>;

    /// Marks the conversation a complaint (or takes the mark off), with its event
    /// (`complaint_marked`): the agent's mark beside the rulebook's classifier.
    async fn mark_complaint(
        &self,
        conversation_id: i64,
        complaint: bool,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;

    /// Opens clocks on a conversation (skipping rules already running), with their event.
    /// Returns the new obligations' ids.
    async fn start_clocks(&self, start: ClockStart) -> Result<Vec<i64>>;

    /// Records a step of the conversation's flow with the clocks it moves ([`FlowStep`]).
    async fn record_step(&self, step: FlowStep) -> Result<()>;

    /// Moves a conversation to another status (resolve, close, escalate) and logs who did it.
    async fn set_status(&self, change: StatusChange) -> Result<()>;

    /// Marks up to `limit` open obligations due at or before `now` as breached, in due order,
    /// found through the open-due index (never a scan of conversations). Each breach gets an
    /// `obligation_breached` event; a missed `platform` limit also escalates its conversation.
    /// Returns what it marked; an empty result means nothing more is due.
    async fn breach_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Breach>>;

    /// Obligations across the tenant's conversations, soonest due first.
    async fn obligations(&self, filter: ObligationFilter) -> Result<Vec<Obligation>>;

    /// The inbox: every conversation that needs work (overdue, then by nearest clock, then
    /// without a clock), filtered, one page.
    async fn inbox(&self, q: InboxQuery) -> Result<Vec<InboxRow>>;

    /// The supervisor's figures for a tenant (`since`: the start of the day).
    async fn overview(
        &self,
        tenant_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Overview>;
}

/// A shop's orders, and a conversation's claim to one.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Creates the order, or updates it when `(shop_id, external_id)` exists (orders change as
    /// they ship and arrive).
    async fn upsert_order(&self, order: NewOrder) -> Result<Order>;

    async fn order(&self, shop_id: i64, external_id: &str) -> Result<Option<Order>>;

    /// The buyer's contact details on an order, to check a visitor's proof against; `None`
    /// when the order does not exist.
    async fn order_buyer(&self, shop_id: i64, external_id: &str) -> Result<Option<OrderBuyer>>;

    /// Records an order number a visitor gave but has not proved (the conversation's
    /// `order_claim`), with an `order_claimed` event. A conversation already linked to an
    /// order keeps it and gets no claim, and the same claim again records nothing; a later
    /// proved link replaces the claim.
    async fn claim_order(
        &self,
        conversation_id: i64,
        external_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
}

/// Who and what a tenant has: shops, agents and their tokens, shops and shifts, teams.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    async fn create_shop(&self, shop: NewShop) -> Result<Shop>;

    async fn shop(&self, id: i64) -> Result<Option<Shop>>;

    async fn shops(&self, tenant_id: i64) -> Result<Vec<Shop>>;

    async fn create_agent(&self, agent: NewAgent) -> Result<Agent>;

    /// Stores the hash of a new API token for an agent.
    async fn create_token(&self, agent_id: i64, name: &str, token_hash: &str) -> Result<()>;

    async fn agent_by_token_hash(&self, token_hash: &str) -> Result<Option<Agent>>;

    /// Sets (or, with `None`, clears) an agent's weekly shifts (JSON text).
    async fn set_shifts(&self, agent_id: i64, shifts: Option<String>) -> Result<()>;

    /// Every agent with shifts: id, whether available now, the shifts.
    async fn agents_with_shifts(&self) -> Result<Vec<(i64, bool, String)>>;

    /// Changes a shop's time zone and settings (its pack overrides); the shop as it is now.
    async fn update_shop(
        &self,
        shop_id: i64,
        timezone: &str,
        settings: serde_json::Value,
    ) -> Result<Shop>;

    /// A tenant's teams with their members, by id.
    async fn teams(&self, tenant_id: i64) -> Result<Vec<TeamInfo>>;

    /// Creates a team with its members; its id.
    async fn create_team(&self, team: NewTeam) -> Result<i64>;

    /// Limits an agent to these shops (an empty list: every shop of the tenant).
    async fn set_agent_shops(&self, agent_id: i64, shops: Vec<i64>) -> Result<()>;

    /// The shops an agent is limited to; empty when the agent works for every shop.
    async fn agent_shops(&self, agent_id: i64) -> Result<Vec<i64>>;

    /// A tenant's agents, by id.
    async fn agents(&self, tenant_id: i64) -> Result<Vec<Agent>>;
}

/// How messages come and go: the outbox, connectors, mailbox cursors, messages that could not
/// be ingested, the search index's feed, attachments, and the FAQ the bot answers from.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Keeps what could not be ingested (a malformed mail), so nothing acknowledged is lost.
    async fn record_failed_ingest(&self, failed: FailedIngest) -> Result<i64>;

    /// The newest failed ingests, newest first (without their raw bytes).
    async fn failed_ingests(&self, limit: i64) -> Result<Vec<FailedIngestInfo>>;

    /// Replies due to be sent (pending, next attempt at or before `now`), oldest first.
    async fn due_outbox(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxItem>>;

    /// Records a send attempt's outcome, with its event in the conversation's log.
    async fn record_delivery(
        &self,
        outbox_id: i64,
        at: DateTime<Utc>,
        outcome: Delivery,
    ) -> Result<()>;

    /// Messages with `id > after_id`, oldest first, at most `limit`: what the search index is
    /// fed from (the database stays the source of truth; the index can always be rebuilt).
    async fn index_feed(&self, after_id: i64, limit: i64) -> Result<Vec<IndexRow>>;

    /// Adds or replaces the FAQ entry of its shop, key and language.
    async fn put_faq(&self, faq: FaqEntry) -> Result<()>;

    /// A shop's FAQ entries, by key then language.
    async fn faqs(&self, shop_id: i64) -> Result<Vec<FaqEntry>>;

    /// Deletes one entry; false when there was none.
    async fn delete_faq(&self, shop_id: i64, key: &str, language: &str) -> Result<bool>;

    /// Adds a connector; a second one of the same kind for a shop is a conflict.
    async fn create_connector(&self, connector: NewConnector) -> Result<ConnectorRow>;

    /// Connectors of the given shops (all shops when `None`), by id.
    async fn connectors(&self, shop_ids: Option<Vec<i64>>) -> Result<Vec<ConnectorRow>>;

    /// Connectors whose next attempt is due at `now`.
    async fn due_connectors(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<ConnectorRow>>;

    /// Saves a poll's outcome: the new cursor (when it moved), the health and the next attempt.
    async fn save_connector(
        &self,
        id: i64,
        cursor: Option<String>,
        health: serde_json::Value,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<()>;

    /// Keeps a file with the message that announced it; its id.
    async fn add_attachment(
        &self,
        message_id: i64,
        filename: &str,
        content_type: &str,
        data: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Result<i64>;

    /// A conversation's files, oldest first, without their bytes.
    async fn attachments(&self, conversation_id: i64) -> Result<Vec<AttachmentInfo>>;

    /// A file and its bytes.
    async fn attachment(&self, id: i64) -> Result<Option<(AttachmentInfo, Vec<u8>)>>;

    /// How far the IMAP fetcher got in the mailbox `source`: its UIDVALIDITY and the highest
    /// UID whose mail is stored, or `None` before the first mail.
    async fn mail_cursor(&self, source: &str) -> Result<Option<MailCursor>>;

    /// Records `cursor` for `source` (called only after that mail's ingest committed).
    async fn save_mail_cursor(
        &self,
        source: &str,
        cursor: MailCursor,
        at: DateTime<Utc>,
    ) -> Result<()>;
}

/// After-sales cases (refunds, returns, replacements) of a conversation.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Opens an after-sales case in state `offered`, with a `case_opened` event in the thread.
    async fn open_case(&self, case: NewCase) -> Result<AftersalesCase>;

    /// A conversation's cases, oldest first.
    async fn cases(&self, conversation_id: i64) -> Result<Vec<AftersalesCase>>;

    /// Moves a case to `state` (the caller checks the move is allowed), with a `case_updated`
    /// event; the case as it is now.
    async fn set_case_state(
        &self,
        case_id: i64,
        state: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<AftersalesCase>;
}

/// Signing in: passwords, lockouts, and the sessions of the web pages.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The agent who signs in with `email` (any tenant: emails are unique), with the password
    /// hash and lockout state.
    async fn login_record(&self, email: &str) -> Result<Option<LoginRecord>>;

    async fn set_password(&self, agent_id: i64, password_hash: &str) -> Result<()>;

    /// Records a sign-in attempt: a success clears the failures; a failure counts, and the
    /// `lock_after`-th failure in a row locks the account until `locked_until`.
    async fn record_login(
        &self,
        agent_id: i64,
        success: bool,
        lock_after: i64,
        locked_until: DateTime<Utc>,
    ) -> Result<()>;

    async fn create_session(&self, session: NewSession) -> Result<()>;

    /// The session's agent, CSRF token and the shops the agent is limited to (empty: all), if
    /// the session exists and has not expired at `now`: one query for every page.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Agent, String, Vec<i64>)>>;

    async fn delete_session(&self, token_hash: &str) -> Result<()>;
}

/// Which backend this is, whether it answers, and how much it holds.
#[async_trait]
pub trait StoreInfo: Send + Sync {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    async fn stats(&self) -> Result<Stats>;

    /// A cheap round trip to the database, for health checks.
    async fn ping(&self) -> Result<()>;
}

/// What the supervisor's reports are computed from.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The rows behind the KPIs of `q` (conversations whose first message came in the period,
    /// their status changes, reopenings, ratings and breaches).
    async fn kpi_rows(&self, q: KpiQuery) -> Result<KpiRows>;

    /// The conversations of `q` and of its history, as the figures' facts (read by brute
    /// force: the oracle the rollups are tested against, not what reports read).
    async fn kpi_facts(&self, q: KpiQuery) -> Result<Vec<kefu_kpi::ConversationFacts>> {
        Ok(crate::reports::kpi_facts(
            self.kpi_rows(q.with_history()).await?,
        ))
    }

    /// Brings up to `limit` conversations marked dirty (and their buyers' others) into the
    /// rollups; returns how many dirty ones it took (0: the rollups are current).
    async fn refresh_kpis(&self, limit: usize) -> Result<usize>;

    /// Refreshes until nothing is dirty; returns how many conversations it took.
    async fn refresh_all_kpis(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            match self.refresh_kpis(crate::rollup::REFRESH_BATCH).await? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    /// Forgets the rollups and marks every conversation dirty, so that refreshing
    /// recomputes them all from the conversations' rows (`kefu kpi --rebuild`).
    async fn rebuild_kpis(&self) -> Result<()>;

    /// How many conversations wait for a refresh.
    async fn kpi_pending(&self) -> Result<u64>;

    /// The rollup cells of `shop_id` for its local days `[first, end)`.
    async fn kpi_cells(
        &self,
        shop_id: i64,
        first: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> Result<Vec<(crate::rollup::Cell, kefu_kpi::Totals)>>;

    /// One line for each of the conversations `ids` that exists (a drill-down's list).
    async fn conversation_lines(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<crate::rollup::ConversationLine>>;

    /// The stored contributions of `shop_id`'s conversations whose first inbound message
    /// came in `period`, in time order (a report's partial days, and its drill-downs).
    async fn kpi_contributions(
        &self,
        shop_id: i64,
        period: kefu_kpi::Period,
    ) -> Result<Vec<crate::rollup::StoredContribution>>;

    /// The clocks of `q`'s kinds that the shop's buyers' messages started in its period, in
    /// the order they started (what a day's replay takes as its arrivals).
    async fn wait_clocks(&self, q: crate::WaitQuery) -> Result<Vec<crate::WaitClock>>;

    /// The languages of the shop's conversations opened since `since`, with how many each,
    /// most first (the market a roster must cover: STAFF-16H per language).
    async fn buyer_languages(
        &self,
        shop_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>>;

    /// The replies the tenant's agents wrote in `[from, to)` (not the bot's), by agent then
    /// time, each with the conversation's latest buyer message before it.
    async fn agent_replies(
        &self,
        tenant_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::AgentReply>>;
}

/// Everything kefu keeps: every role at once, implemented by each backend.
pub trait Store:
    ConversationStore
    + OrderStore
    + DirectoryStore
    + ChannelStore
    + CaseStore
    + SessionStore
    + ReportStore
    + crate::IncidentStore
    + StoreInfo
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ConversationStore
        + OrderStore
        + DirectoryStore
        + ChannelStore
        + CaseStore
        + SessionStore
        + ReportStore
        + crate::IncidentStore
        + StoreInfo
        + Send
        + Sync
        + 'static
{
}
