//! Reply guard and redaction (placeholder until written).
