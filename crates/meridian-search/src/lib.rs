//! Meridian's search: a tantivy index per workspace that is a cache of the store (ARCHITECTURE: Search).
//!
//! - [`search_doc`] turns any object into what is searchable about it, Markdown as the
//!   text a reader sees.
//! - [`SearchIndex`] holds the index: one writer thread commits batches every 150 ms, so
//!   an edit is searchable within 250 ms and no caller waits on a commit; a missing or
//!   unreadable index is replaced at open, and [`SearchIndex::indexed`] says which
//!   documents (at which heads) it holds so the caller can re-feed the rest.
//! - The query language ([`parse`]): words, `"phrases"`, prefix on the last word, one typo
//!   on words of 5+ letters, `kind:` `status:` `tag:` `author:` `after:` `before:`.
//! - English stemming plus a CJK bigram field, so Chinese, Japanese and Korean words are
//!   found inside longer runs of text.
//!
//! Depends on `meridian-core` only.

mod cjk;
mod extract;
mod gated;
mod index;
mod markdown;
mod query;
mod ranked;
mod schema;
mod snippet;
mod typed_word;

pub use cjk::is_cjk;
pub use extract::{SearchDoc, search_doc};
pub use index::{COMMIT_EVERY, Error, Hit, Opened, SearchIndex, SearchOptions};
pub use query::{MAX_QUERY_CHARS, Parsed, QueryError, parse};
pub use schema::index_settings;
