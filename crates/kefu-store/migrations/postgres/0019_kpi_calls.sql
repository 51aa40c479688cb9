-- A logged call's answer (GEN-PHONE-3RINGS, issue 13) counts in the figures: the rollups'
-- event trigger marks its conversation too (as SQLite's 0019).
DROP TRIGGER kpi_event ON events;
CREATE TRIGGER kpi_event AFTER INSERT ON events
FOR EACH ROW WHEN (NEW.kind IN ('csat_rated', 'status_changed', 'conversation_reopened', 'call_answered'))
EXECUTE FUNCTION kpi_mark_owner();
