-- KPI-REPEAT-5 (issue 12): whether a conversation is a complaint, as the rulebook read its
-- buyer's messages (sticky once set). Conversations before this migration are not complaints.
ALTER TABLE conversations ADD COLUMN complaint INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_shop_created ON conversations (shop_id, created_at);
