-- The inbox shows every conversation that needs work, overdue ones first. A breached clock is
-- overdue until the desk answers it: a reply that meets its clock, or the conversation
-- resolved or closed, sets `answered_at`. Breaches already answered (a later reply, or a
-- finished conversation) are marked so, so an upgraded desk does not list old history.
ALTER TABLE obligations ADD COLUMN answered_at TIMESTAMPTZ;
UPDATE obligations o SET answered_at = o.closed_at
 WHERE o.state = 'breached'
   AND (o.conversation_id IN (SELECT id FROM conversations WHERE status IN ('resolved', 'closed'))
        OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = o.conversation_id
                     AND m.direction = 'outbound' AND m.created_at > o.closed_at));
CREATE INDEX obligations_overdue ON obligations (due_at) WHERE state = 'breached' AND answered_at IS NULL;
-- Conversations without a running clock, in the order they have waited.
CREATE INDEX conversations_waiting ON conversations (updated_at, id)
 WHERE status IN ('new', 'open', 'escalated', 'pending_customer');
