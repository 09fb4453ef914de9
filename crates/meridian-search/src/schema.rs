//! The index schema and its analyzers.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::store::Compressor;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{Index, IndexSettings};

use crate::cjk::CjkBigrams;

/// English words, lowercased and stemmed (accents kept: `café` stays `café`).
pub const EN: &str = "meridian_en";
/// Words lowercased but not stemmed, for prefix (as-you-type) and typo matching.
pub const PLAIN: &str = "meridian_plain";
/// CJK bigrams.
pub const CJK: &str = "meridian_cjk";

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    /// The kind's number (`query::kind_no`), for filtering without a posting list.
    pub kind_no: Field,
    pub status: Field,
    pub tags: Field,
    pub people: Field,
    pub date: Field,
    /// How a decision's status weighs in ranking: 1 accepted, -1 draft or closed, 0 else.
    pub standing: Field,
    pub title: Field,
    pub body: Field,
    pub plain: Field,
    pub cjk: Field,
    pub heads: Field,
}

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { opts.set_stored() } else { opts }
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        kind_no: b.add_i64_field("kind_no", FAST),
        status: b.add_text_field("status", STRING | STORED),
        tags: b.add_text_field("tag", STRING),
        people: b.add_text_field("person", STRING),
        date: b.add_i64_field("date", INDEXED | FAST),
        standing: b.add_i64_field("standing", FAST),
        title: b.add_text_field("title", text(EN, true)),
        body: b.add_text_field("body", text(EN, true)),
        plain: b.add_text_field("plain", text(PLAIN, false)),
        cjk: b.add_text_field("cjk", text(CJK, false)),
        heads: b.add_text_field("heads", STORED),
    };
    (b.build(), fields)
}

/// The index's settings: stored documents uncompressed, in 4 KB blocks. Every search reads
/// its results from the store, and each read decompresses a whole block: with tantivy's
/// default (lz4, 16 KB) that was 15 µs per result, now under 3 µs, for a store about half
/// as large again (the index is a cache: the disk is cheaper than the wait).
pub fn index_settings() -> IndexSettings {
    IndexSettings {
        docstore_compression: Compressor::None,
        docstore_blocksize: 4096,
        ..IndexSettings::default()
    }
}

pub fn en_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

pub fn plain_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .build()
}

pub fn register(index: &Index) {
    let m = index.tokenizers();
    m.register(EN, en_analyzer());
    m.register(PLAIN, plain_analyzer());
    m.register(CJK, TextAnalyzer::builder(CjkBigrams).build());
}
