-- Routing new conversations to agents: who is available, how many open conversations each
-- may hold, and when each was last given one (round robin among equally loaded agents).
ALTER TABLE agents ADD COLUMN available INTEGER NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN max_open INTEGER NOT NULL DEFAULT 25;
ALTER TABLE agents ADD COLUMN last_assigned_at INTEGER;
CREATE INDEX conversations_assignee ON conversations (assignee_id, status);
