-- Incidents (COLLECTIVE-3LEVEL): many buyers complaining about one cause at once, followed as
-- one thing with a level, an owner, a close clock (`due`), its conversations and a timeline.
CREATE TABLE incidents (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    shop_id BIGINT NOT NULL REFERENCES shops(id),
    level INTEGER NOT NULL,
    -- open, closed, or merged (into `merged_into`).
    state TEXT NOT NULL DEFAULT 'open',
    rule TEXT NOT NULL,
    cause JSONB NOT NULL DEFAULT '{}',
    opened_at TIMESTAMPTZ NOT NULL,
    due TIMESTAMPTZ,
    owner_id BIGINT REFERENCES agents(id),
    closed_at TIMESTAMPTZ,
    -- What the supervisor wrote on closing: the cause found and the improvement.
    resolution JSONB,
    merged_into BIGINT REFERENCES incidents(id)
);
CREATE INDEX incidents_shop_state ON incidents (shop_id, state);

CREATE TABLE incident_conversations (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    joined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (incident_id, conversation_id)
);
CREATE INDEX incident_conversations_conversation ON incident_conversations (conversation_id);

CREATE TABLE incident_events (
    id BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    data JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);
