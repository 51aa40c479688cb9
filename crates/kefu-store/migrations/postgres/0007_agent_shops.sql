-- Which shops an agent works for. An agent with no rows here works for every shop of the
-- tenant; with rows, only for those: routing, pages and the API all follow it.
CREATE TABLE agent_shops (
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    shop_id BIGINT NOT NULL REFERENCES shops(id),
    PRIMARY KEY (agent_id, shop_id)
);
