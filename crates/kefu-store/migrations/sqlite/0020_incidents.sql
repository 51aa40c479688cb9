-- Incidents (COLLECTIVE-3LEVEL): many buyers complaining about one cause at once, followed as
-- one thing with a level, an owner, a close clock (`due`), its conversations and a timeline.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    shop_id INTEGER NOT NULL REFERENCES shops(id),
    level INTEGER NOT NULL,
    -- open, closed, or merged (into `merged_into`).
    state TEXT NOT NULL DEFAULT 'open',
    rule TEXT NOT NULL,
    cause TEXT NOT NULL DEFAULT '{}',
    opened_at INTEGER NOT NULL,
    due INTEGER,
    owner_id INTEGER REFERENCES agents(id),
    closed_at INTEGER,
    -- What the supervisor wrote on closing: the cause found and the improvement.
    resolution TEXT,
    merged_into INTEGER REFERENCES incidents(id)
);
CREATE INDEX incidents_shop_state ON incidents (shop_id, state);

CREATE TABLE incident_conversations (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (incident_id, conversation_id)
) WITHOUT ROWID;
CREATE INDEX incident_conversations_conversation ON incident_conversations (conversation_id);

CREATE TABLE incident_events (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);
