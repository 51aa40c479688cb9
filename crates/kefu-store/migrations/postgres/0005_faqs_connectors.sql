-- The bot's FAQ answers, per shop and language (TB-OFFHOURS-BOT, PEAK-PREP).
CREATE TABLE faqs (
    shop_id BIGINT NOT NULL REFERENCES shops(id),
    faq_key TEXT NOT NULL,
    language TEXT NOT NULL,
    questions JSONB NOT NULL,
    answer TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, faq_key, language)
);
-- Marketplace connectors: credentials sealed with the master key, the platform's cursor, and
-- the backoff state shown on the admin page.
CREATE TABLE connectors (
    id BIGSERIAL PRIMARY KEY,
    shop_id BIGINT NOT NULL REFERENCES shops(id),
    kind TEXT NOT NULL,
    base_url TEXT NOT NULL,
    credentials TEXT NOT NULL,
    cursor TEXT,
    health JSONB NOT NULL DEFAULT '{}',
    next_attempt_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (shop_id, kind)
);
CREATE INDEX connectors_due ON connectors (next_attempt_at);
-- Where a reply to this message must go on its platform (a connector's thread), as JSON.
ALTER TABLE messages ADD COLUMN reply_to TEXT;
