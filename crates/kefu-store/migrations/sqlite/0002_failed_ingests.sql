-- Messages that reached kefu but could not be ingested (malformed mail …): kept, never lost,
-- so an operator can see and replay them.
CREATE TABLE failed_ingests (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    error TEXT NOT NULL,
    raw BLOB NOT NULL
);
