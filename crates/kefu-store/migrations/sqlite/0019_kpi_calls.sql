-- A logged call's answer (GEN-PHONE-3RINGS, issue 13) counts in the figures: the rollups'
-- event trigger marks its conversation too.
DROP TRIGGER kpi_event;
CREATE TRIGGER kpi_event AFTER INSERT ON events
WHEN NEW.kind IN ('csat_rated', 'status_changed', 'conversation_reopened', 'call_answered')
BEGIN INSERT OR IGNORE INTO kpi_dirty VALUES (NEW.conversation_id); END;
