-- The supervisor's figures kept as rollups (issue 12): see SQLite's 0018 for the design.
-- The same tables and the same triggers, in PostgreSQL's dialect, with one difference: a
-- refresh here runs beside other writers, so each mark carries a generation. A write that
-- lands while a refresh computes bumps it, and the refresh, which deletes only the marks
-- it read, leaves that one for the next. Refreshes themselves take turns (an advisory lock),
-- since they read and rewrite the same day cells.
CREATE TABLE kpi_dirty (conversation_id BIGINT PRIMARY KEY, generation BIGINT NOT NULL DEFAULT 0);

CREATE TABLE kpi_conversations (
    conversation_id BIGINT PRIMARY KEY,
    shop_id BIGINT NOT NULL,
    day DATE NOT NULL,
    agent_id BIGINT NOT NULL,
    first_inbound TIMESTAMPTZ NOT NULL,
    contribution JSONB NOT NULL
);
CREATE INDEX kpi_conversations_period ON kpi_conversations (shop_id, first_inbound);

CREATE TABLE kpi_days (
    shop_id BIGINT NOT NULL,
    day DATE NOT NULL,
    agent_id BIGINT NOT NULL,
    totals JSONB NOT NULL,
    PRIMARY KEY (shop_id, day, agent_id)
);

CREATE FUNCTION kpi_mark_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty VALUES (NEW.id) ON CONFLICT (conversation_id)
        DO UPDATE SET generation = kpi_dirty.generation + 1;
    RETURN NULL;
END $$;
CREATE FUNCTION kpi_mark_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty VALUES (NEW.conversation_id) ON CONFLICT (conversation_id)
        DO UPDATE SET generation = kpi_dirty.generation + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER kpi_conversation_opened AFTER INSERT ON conversations
FOR EACH ROW EXECUTE FUNCTION kpi_mark_conversation();
CREATE TRIGGER kpi_conversation_changed AFTER UPDATE OF assignee_id, complaint, status ON conversations
FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
    OR OLD.complaint IS DISTINCT FROM NEW.complaint OR OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION kpi_mark_conversation();
CREATE TRIGGER kpi_reply AFTER INSERT ON messages
FOR EACH ROW WHEN (NEW.direction = 'outbound') EXECUTE FUNCTION kpi_mark_owner();
CREATE TRIGGER kpi_clock_opened AFTER INSERT ON obligations
FOR EACH ROW EXECUTE FUNCTION kpi_mark_owner();
CREATE TRIGGER kpi_clock_changed AFTER UPDATE OF state, due_at, closed_at ON obligations
FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.due_at IS DISTINCT FROM NEW.due_at
    OR OLD.closed_at IS DISTINCT FROM NEW.closed_at)
EXECUTE FUNCTION kpi_mark_owner();
CREATE TRIGGER kpi_event AFTER INSERT ON events
FOR EACH ROW WHEN (NEW.kind IN ('csat_rated', 'status_changed', 'conversation_reopened'))
EXECUTE FUNCTION kpi_mark_owner();

INSERT INTO kpi_dirty (conversation_id) SELECT id FROM conversations;
