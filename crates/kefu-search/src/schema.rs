//! The index schema: which fields exist and how each is indexed.
//!
//! Filter fields (tenant, shop, platform, status, agent, date) are indexed so that filters
//! are term and range queries, never post-filtering. Ids and the date are also fast fields,
//! so hits are read without touching the document store; only the body is stored, for
//! snippets. The body is indexed into one of five per-language fields (see
//! [`crate::analysis::BodyLang`]).
//!
//! Changing this schema makes existing indexes incompatible: `open` then fails with
//! `SearchError::Incompatible` and the caller rebuilds the index from the database. (A change
//! of analysis alone is not detected: rebuild after one.)

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::BodyLang;

#[derive(Clone)]
pub(crate) struct Fields {
    pub message_id: Field,
    pub conversation_id: Field,
    pub tenant_id: Field,
    pub shop_id: Field,
    pub platform: Field,
    pub status: Field,
    pub agent_id: Field,
    pub kind: Field,
    pub created_at: Field,
    /// Which body field holds the text, as `BodyLang::index()`: picks the snippet analyzer.
    pub lang: Field,
    pub body: Field,
    /// Indexed by `BodyLang::index()`.
    pub bodies: [Field; 5],
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let message_id = b.add_i64_field("message_id", INDEXED | FAST);
    let conversation_id = b.add_i64_field("conversation_id", FAST);
    let tenant_id = b.add_i64_field("tenant_id", INDEXED);
    let shop_id = b.add_i64_field("shop_id", INDEXED);
    let platform = b.add_text_field("platform", STRING);
    let status = b.add_text_field("status", STRING);
    let agent_id = b.add_i64_field("agent_id", INDEXED);
    let kind = b.add_text_field("kind", STRING);
    let created_at = b.add_date_field(
        "created_at",
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_precision(DateTimePrecision::Seconds),
    );
    let lang = b.add_u64_field("lang", FAST);
    let body = b.add_text_field("body", STORED);
    let bodies = BodyLang::ALL.map(|lang| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(lang.tokenizer_name())
            // Positions for quoted phrases.
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        b.add_text_field(
            lang.field_name(),
            TextOptions::default().set_indexing_options(indexing),
        )
    });
    let fields = Fields {
        message_id,
        conversation_id,
        tenant_id,
        shop_id,
        platform,
        status,
        agent_id,
        kind,
        created_at,
        lang,
        body,
        bodies,
    };
    (b.build(), fields)
}

/// Platform, status and kind are matched exactly, ignoring case and surrounding spaces.
pub(crate) fn keyword(value: &str) -> String {
    value.trim().to_lowercase()
}
