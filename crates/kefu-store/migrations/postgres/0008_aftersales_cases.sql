-- After-sales cases: a refund, reship, return or compensation offered on a conversation, with
-- the amount the rulebook computed, its own state (offered, accepted, done, rejected) and the
-- deadline it must be handled by.
CREATE TABLE aftersales_cases (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    order_id BIGINT REFERENCES orders(id),
    kind TEXT NOT NULL,
    rule TEXT NOT NULL,
    action TEXT NOT NULL,
    amount TEXT,
    currency TEXT,
    state TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX aftersales_cases_conversation ON aftersales_cases (conversation_id);
