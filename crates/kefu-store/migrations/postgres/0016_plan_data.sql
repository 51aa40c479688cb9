-- The rulebook's plan, stored as data (issue 11): the store no longer infers policy from a
-- clock's name or severity. Each obligation says whether missing it escalates; each
-- conversation says whether it needs a high-value team (HIGHVALUE-CHANNEL). Backfilled from
-- what the store inferred before: a platform limit escalated, a high-value reply clock routed.
ALTER TABLE obligations ADD COLUMN escalate_on_breach BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE obligations SET escalate_on_breach = TRUE WHERE severity = 'platform';
ALTER TABLE conversations ADD COLUMN high_value BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE conversations SET high_value = TRUE
 WHERE id IN (SELECT conversation_id FROM obligations WHERE clock = 'high_value_response');
