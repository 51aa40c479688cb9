-- kefu schema for SQLite. Times are INTEGER microseconds since the Unix epoch (UTC);
-- money is TEXT holding an exact decimal; JSON is TEXT.
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO tenants (id, name, created_at) VALUES (1, 'default', 0);

CREATE TABLE shops (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    platform TEXT NOT NULL,
    timezone TEXT NOT NULL,
    currency TEXT NOT NULL,
    pack TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    shop_id INTEGER NOT NULL REFERENCES shops(id),
    handle TEXT NOT NULL,
    name TEXT,
    language TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (shop_id, handle)
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    shop_id INTEGER NOT NULL REFERENCES shops(id),
    external_id TEXT NOT NULL,
    total TEXT NOT NULL,
    currency TEXT NOT NULL,
    paid_at INTEGER NOT NULL,
    promised_ship_by INTEGER,
    shipped_at INTEGER,
    carrier TEXT,
    tracking_number TEXT,
    delivered_at INTEGER,
    closed_at INTEGER,
    promises TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    UNIQUE (shop_id, external_id)
);

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    shop_id INTEGER NOT NULL REFERENCES shops(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    order_id INTEGER REFERENCES orders(id),
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT,
    assignee_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_inbound_at INTEGER,
    message_count INTEGER NOT NULL DEFAULT 0,
    replied INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversations_customer ON conversations (customer_id, id);
CREATE INDEX conversations_status ON conversations (status);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    shop_id INTEGER NOT NULL,
    direction TEXT NOT NULL,
    channel TEXT NOT NULL,
    author_agent_id INTEGER,
    body TEXT NOT NULL,
    language TEXT,
    external_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE UNIQUE INDEX messages_external ON messages (shop_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_conversation ON events (conversation_id, id);

CREATE TABLE obligations (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    rule TEXT NOT NULL,
    clock TEXT NOT NULL,
    severity TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    explanation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX obligations_conversation ON obligations (conversation_id);
-- The scheduler finds due clocks through this index, never by scanning conversations.
CREATE INDEX obligations_open_due ON obligations (due_at) WHERE state = 'open';

CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    languages TEXT NOT NULL DEFAULT '[]',
    password_hash TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    agent_id INTEGER NOT NULL REFERENCES agents(id),
    PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    agent_id INTEGER NOT NULL REFERENCES agents(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
