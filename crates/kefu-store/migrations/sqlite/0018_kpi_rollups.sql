-- The supervisor's figures kept as rollups (issue 12), so that a report merges a period's
-- day cells instead of reading every conversation.
--
-- Triggers mark a conversation "dirty" when something its figures depend on is written:
-- the conversation itself (opened, assigned, marked a complaint, status), its first-response
-- clock and the others (opened, met, breached), a reply, a rating. Marking is one tiny
-- insert in the writer's transaction; `refresh_kpis` (the scheduler, and every report before
-- it reads) recomputes the dirty conversations' contributions from their rows and moves the
-- difference into the day cells, in one transaction.
CREATE TABLE kpi_dirty (conversation_id INTEGER PRIMARY KEY);

-- One row per conversation: its contribution (`kefu_kpi::Contribution`, JSON) and the cell
-- it counts in (shop, the shop's local day of its first inbound message, agent; 0 = none).
CREATE TABLE kpi_conversations (
    conversation_id INTEGER PRIMARY KEY,
    shop_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    agent_id INTEGER NOT NULL,
    first_inbound INTEGER NOT NULL,
    contribution TEXT NOT NULL
);
CREATE INDEX kpi_conversations_period ON kpi_conversations (shop_id, first_inbound);

-- The sums of a cell's contributions (`kefu_kpi::Totals`, JSON).
CREATE TABLE kpi_days (
    shop_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    agent_id INTEGER NOT NULL,
    totals TEXT NOT NULL,
    PRIMARY KEY (shop_id, day, agent_id)
) WITHOUT ROWID;

CREATE TRIGGER kpi_conversation_opened AFTER INSERT ON conversations
BEGIN INSERT OR IGNORE INTO kpi_dirty VALUES (NEW.id); END;
CREATE TRIGGER kpi_conversation_changed AFTER UPDATE OF assignee_id, complaint, status ON conversations
WHEN OLD.assignee_id IS NOT NEW.assignee_id OR OLD.complaint IS NOT NEW.complaint
  OR OLD.status IS NOT NEW.status
BEGIN INSERT OR IGNORE INTO kpi_dirty VALUES (NEW.id); END;
CREATE TRIGGER kpi_reply AFTER INSERT ON messages WHEN NEW.direction = 'outbound'
BEGIN INSERT OR IGNORE INTO kpi_dirty VALUES (NEW.conversation_id); END;
CREATE TRIGGER kpi_clock_opened AFTER INSERT ON obligations
BEGIN INSERT OR IGNORE INTO kpi_dirty VALUES (NEW.conversation_id); END;
CREATE TRIGGER kpi_clock_changed AFTER UPDATE OF state, due_at, closed_at ON obligations
WHEN OLD.state IS NOT NEW.state OR OLD.due_at IS NOT NEW.due_at
  OR OLD.closed_at IS NOT NEW.closed_at
BEGIN INSERT OR IGNORE INTO kpi_dirty VALUES (NEW.conversation_id); END;
CREATE TRIGGER kpi_event AFTER INSERT ON events
WHEN NEW.kind IN ('csat_rated', 'status_changed', 'conversation_reopened')
BEGIN INSERT OR IGNORE INTO kpi_dirty VALUES (NEW.conversation_id); END;

-- Every conversation already there is counted by the first refresh.
INSERT INTO kpi_dirty SELECT id FROM conversations;
