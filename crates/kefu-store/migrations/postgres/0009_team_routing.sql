-- Teams route their own conversations: a team marked high_value takes the conversations of
-- high-value orders (HIGHVALUE-CHANNEL), by round robin or least load as the team chooses.
ALTER TABLE teams ADD COLUMN high_value BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE teams ADD COLUMN routing TEXT NOT NULL DEFAULT 'least_load';
