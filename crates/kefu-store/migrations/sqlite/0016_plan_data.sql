-- The rulebook's plan, stored as data (issue 11): the store no longer infers policy from a
-- clock's name or severity. Each obligation says whether missing it escalates; each
-- conversation says whether it needs a high-value team (HIGHVALUE-CHANNEL). Backfilled from
-- what the store inferred before: a platform limit escalated, a high-value reply clock routed.
ALTER TABLE obligations ADD COLUMN escalate_on_breach INTEGER NOT NULL DEFAULT 0;
UPDATE obligations SET escalate_on_breach = 1 WHERE severity = 'platform';
ALTER TABLE conversations ADD COLUMN high_value INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET high_value = 1
 WHERE id IN (SELECT conversation_id FROM obligations WHERE clock = 'high_value_response');
