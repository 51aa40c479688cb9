//! Policy packs and rule math (placeholder until written).
