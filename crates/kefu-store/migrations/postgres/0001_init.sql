-- kefu schema for PostgreSQL.
CREATE TABLE tenants (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, name) VALUES (1, 'default');
SELECT setval('tenants_id_seq', 1);

CREATE TABLE shops (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    platform TEXT NOT NULL,
    timezone TEXT NOT NULL,
    currency TEXT NOT NULL,
    pack TEXT NOT NULL,
    settings JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY,
    shop_id BIGINT NOT NULL REFERENCES shops(id),
    handle TEXT NOT NULL,
    name TEXT,
    language TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (shop_id, handle)
);

CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    shop_id BIGINT NOT NULL REFERENCES shops(id),
    external_id TEXT NOT NULL,
    total NUMERIC(20, 4) NOT NULL,
    currency TEXT NOT NULL,
    paid_at TIMESTAMPTZ NOT NULL,
    promised_ship_by TIMESTAMPTZ,
    shipped_at TIMESTAMPTZ,
    carrier TEXT,
    tracking_number TEXT,
    delivered_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    promises JSONB NOT NULL DEFAULT '[]',
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (shop_id, external_id)
);

CREATE TABLE conversations (
    id BIGSERIAL PRIMARY KEY,
    shop_id BIGINT NOT NULL REFERENCES shops(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    order_id BIGINT REFERENCES orders(id),
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT,
    assignee_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    last_inbound_at TIMESTAMPTZ,
    message_count BIGINT NOT NULL DEFAULT 0,
    replied BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX conversations_customer ON conversations (customer_id, id);
CREATE INDEX conversations_status ON conversations (status);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    shop_id BIGINT NOT NULL,
    direction TEXT NOT NULL,
    channel TEXT NOT NULL,
    author_agent_id BIGINT,
    body TEXT NOT NULL,
    language TEXT,
    external_id TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE UNIQUE INDEX messages_external ON messages (shop_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    data JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX events_conversation ON events (conversation_id, id);

CREATE TABLE obligations (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    rule TEXT NOT NULL,
    clock TEXT NOT NULL,
    severity TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    explanation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX obligations_conversation ON obligations (conversation_id);
CREATE INDEX obligations_open_due ON obligations (due_at) WHERE state = 'open';

CREATE TABLE agents (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    languages JSONB NOT NULL DEFAULT '[]',
    password_hash TEXT,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE teams (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
