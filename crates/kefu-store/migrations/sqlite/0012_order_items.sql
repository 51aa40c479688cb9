-- What was bought: the order's lines (title, quantity, unit price) as JSON, shown beside the
-- conversation.
ALTER TABLE orders ADD COLUMN items TEXT NOT NULL DEFAULT '[]';
