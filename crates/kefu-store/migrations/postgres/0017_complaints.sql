-- KPI-REPEAT-5 (issue 12): whether a conversation is a complaint, as the rulebook read its
-- buyer's messages (sticky once set). Conversations before this migration are not complaints.
ALTER TABLE conversations ADD COLUMN complaint BOOLEAN NOT NULL DEFAULT FALSE;
-- No report index yet, as in SQLite's 0017 (the rollups of issue 12 will carry the reports).
