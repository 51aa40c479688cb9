-- KPI-REPEAT-5 (issue 12): whether a conversation is a complaint, as the rulebook read its
-- buyer's messages (sticky once set). Conversations before this migration are not complaints.
ALTER TABLE conversations ADD COLUMN complaint INTEGER NOT NULL DEFAULT 0;
-- No index on (shop_id, created_at) for the reports: with one, SQLite's planner took it for
-- the inbox query instead of the partial index `conversations_waiting`, and the inbox's first
-- page went from 1 ms to 640 ms over 50,000 open conversations (kefu bench ui).
