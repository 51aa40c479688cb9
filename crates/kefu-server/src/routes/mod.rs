//! HTTP handlers, one file per resource. Each handler authenticates (the `Caller` extractor),
//! parses (`JsonBody`), calls one function of the store or the ingest path, and maps the result.

pub mod agents;
pub mod calls;
pub mod cases;
pub mod chat;
pub mod connectors;
pub mod conversations;
pub mod faqs;
pub mod inbound;
pub mod meta;
pub mod obligations;
pub mod orders;
pub mod search;
pub mod shops;
