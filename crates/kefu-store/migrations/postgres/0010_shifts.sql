-- An agent's weekly shifts (JSON: {"timezone": "...", "windows": [{"days", "from", "to"}]}):
-- when set, the desk makes the agent available at the start of a shift and away at its end,
-- handing their open conversations on.
ALTER TABLE agents ADD COLUMN shifts TEXT;
