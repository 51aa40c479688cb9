-- Sign-in for the web UI: failed attempts lock an account for a while; sessions are stored by
-- the hash of their cookie, with the CSRF token their forms must carry.
ALTER TABLE agents ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN locked_until TIMESTAMPTZ;
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    csrf TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_agent ON sessions (agent_id);
