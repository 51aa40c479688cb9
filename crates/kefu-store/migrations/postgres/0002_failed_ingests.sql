-- Messages that reached kefu but could not be ingested (malformed mail …): kept, never lost,
-- so an operator can see and replay them.
CREATE TABLE failed_ingests (
    id BIGSERIAL PRIMARY KEY,
    channel TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    error TEXT NOT NULL,
    raw BYTEA NOT NULL
);
