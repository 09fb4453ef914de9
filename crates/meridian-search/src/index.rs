//! The index: a cache of the store on disk, one writer thread that batches commits, and
//! searches that never wait for it.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::{Field, IndexRecordOption, OwnedValue, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::cjk::{bigrams, is_cjk};
use crate::extract::SearchDoc;
use crate::query::{Parsed, QueryError, kind_bit, kind_no, parse};
use crate::ranked::{Ranked, Rescore, SegmentColumns, Wanted};
use crate::schema::{Fields, en_analyzer, index_settings, plain_analyzer, register, schema};
use crate::snippet::{Matcher, Snippets, StemCache};
use crate::typed_word::{PREFIX_SCORE, TITLE_BOOST, TypedAnd, TypedWord};

/// How long edits wait to be committed together: searchable within 250 ms.
pub const COMMIT_EVERY: Duration = Duration::from_millis(150);

/// The length of a result's snippet, in characters.
const SNIPPET_CHARS: usize = 180;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("the search index failed: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("the search index folder {path} cannot be used: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the search index writer stopped")]
    Stopped,
}

/// How the index was found at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// An existing index, opened as it was.
    Existing,
    /// There was none: a new, empty one.
    Created,
    /// It could not be opened (corrupt, another schema): replaced by an empty one.
    Replaced { reason: String },
}

/// One search result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub snippet: String,
    /// `[start, end)` character ranges of `snippet` that matched.
    pub highlights: Vec<[usize; 2]>,
    pub score: f32,
    pub status: Option<String>,
}

/// How to run a search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub limit: usize,
    /// The user's zone, for `after:` and `before:` dates.
    pub tz: Tz,
    /// Now, for recency, in UTC milliseconds.
    pub now_ms: i64,
}

enum Op {
    Upsert(Box<SearchDoc>),
    Delete(String),
    Clear,
    Flush(mpsc::Sender<Result<(), String>>),
}

/// A workspace's search index. Cheap to clone; writes go to one writer thread.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

/// The fast-field columns filters and rescoring read, for each segment of one searcher
/// generation: opening them cost more than reading the values a search needs.
struct Columns {
    generation: u64,
    segments: Arc<Vec<SegmentColumns>>,
}

struct Inner {
    reader: IndexReader,
    columns: Mutex<Option<Columns>>,
    stems: Mutex<StemCache>,
    /// Built once; each search analyses with its own clone.
    en: TextAnalyzer,
    plain: TextAnalyzer,
    fields: Fields,
    tx: Mutex<Option<mpsc::Sender<Op>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Where the caller's "caught up to" mark is kept: a file beside tantivy's, or memory.
    mark: Mark,
}

/// See [`SearchIndex::caught_up`].
enum Mark {
    File(PathBuf),
    Memory(Mutex<Option<String>>),
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel makes the writer commit what it holds and stop.
        self.tx.lock().map(|mut t| t.take()).ok();
        if let Some(h) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = h.join();
        }
    }
}

/// How the stored text was extracted from objects. Bump it when [`crate::search_doc`]
/// changes what it indexes (2: Markdown as reader text), so an index on disk that holds text
/// the old way is rebuilt rather than kept until every object happens to change: the
/// caller's heads comparison cannot see such a change.
const EXTRACTION: &str = "2";
/// A file of ours beside tantivy's, which leaves files it did not create alone.
const EXTRACTION_FILE: &str = "meridian-extraction";
/// The caller's mark ([`SearchIndex::caught_up`]), beside tantivy's files: it goes with the
/// folder when the index is replaced.
const CAUGHT_UP_FILE: &str = "meridian-caught-up";

fn extracted_as_now(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(EXTRACTION_FILE)).is_ok_and(|v| v.trim() == EXTRACTION)
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it, or replacing it when it cannot be read (it is
    /// a cache: the caller re-feeds whatever [`SearchIndex::indexed`] lacks).
    pub fn open(dir: &Path) -> Result<(SearchIndex, Opened), Error> {
        let folder = |source| Error::Folder {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(folder)?;
        let (schema, _) = schema();
        let has_meta = dir.join("meta.json").exists();
        let (index, opened) = if has_meta {
            match Index::open_in_dir(dir).and_then(|i| {
                if i.schema() != schema {
                    Err(tantivy::TantivyError::SchemaError("an older schema".into()))
                } else if *i.settings() != index_settings() {
                    Err(tantivy::TantivyError::SchemaError(
                        "older index settings".into(),
                    ))
                } else if !extracted_as_now(dir) {
                    Err(tantivy::TantivyError::SchemaError(
                        "text extracted by an older version".into(),
                    ))
                } else {
                    Ok(i)
                }
            }) {
                Ok(i) => (i, Opened::Existing),
                Err(e) => {
                    tracing::warn!(error = %e, "search index unreadable; rebuilding it");
                    std::fs::remove_dir_all(dir).map_err(folder)?;
                    std::fs::create_dir_all(dir).map_err(folder)?;
                    (
                        create().create_in_dir(dir)?,
                        Opened::Replaced {
                            reason: e.to_string(),
                        },
                    )
                }
            }
        } else {
            // A folder without meta.json holds at most uncommitted segments: start over.
            for entry in std::fs::read_dir(dir).map_err(folder)?.flatten() {
                let p = entry.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
            (create().create_in_dir(dir)?, Opened::Created)
        };
        if opened != Opened::Existing {
            std::fs::write(dir.join(EXTRACTION_FILE), EXTRACTION).map_err(folder)?;
        }
        let mark = Mark::File(dir.join(CAUGHT_UP_FILE));
        Ok((Self::start(index, mark)?, opened))
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<SearchIndex, Error> {
        Self::start(create().create_in_ram()?, Mark::Memory(Mutex::new(None)))
    }

    #[allow(
        clippy::needless_pass_by_value,
        reason = "takes the index as `open` and `in_memory` build it; a clone goes to the writer"
    )]
    fn start(index: Index, mark: Mark) -> Result<SearchIndex, Error> {
        register(&index);
        let (_, fields) = schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer: IndexWriter<TantivyDocument> = index.writer(64_000_000)?;
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let (tx, rx) = mpsc::channel();
        let thread_reader = reader.clone();
        let thread = std::thread::Builder::new()
            .name("meridian-search-writer".into())
            .spawn(move || write_loop(writer, thread_reader, fields, rx))
            .map_err(|e| Error::Folder {
                path: PathBuf::from("(writer thread)"),
                source: e,
            })?;
        Ok(SearchIndex {
            inner: Arc::new(Inner {
                reader,
                columns: Mutex::new(None),
                stems: Mutex::default(),
                en: en_analyzer(),
                plain: plain_analyzer(),
                fields,
                tx: Mutex::new(Some(tx)),
                thread: Mutex::new(Some(thread)),
                mark,
            }),
        })
    }

    /// The mark the caller left with [`SearchIndex::set_caught_up`] (the store's generation
    /// it had caught up with), unless the index was cleared or replaced since.
    pub fn caught_up(&self) -> Option<String> {
        match &self.inner.mark {
            Mark::File(path) => Some(std::fs::read_to_string(path).ok()?.trim().to_owned()),
            Mark::Memory(m) => m.lock().ok().and_then(|m| m.clone()),
        }
    }

    /// Records that the index holds everything of the caller's source up to `mark`. Call
    /// it only after a [`SearchIndex::flush`] that made it true.
    pub fn set_caught_up(&self, mark: &str) -> Result<(), Error> {
        match &self.inner.mark {
            Mark::File(path) => {
                let tmp = path.with_extension("tmp");
                let folder = |source| Error::Folder {
                    path: path.clone(),
                    source,
                };
                std::fs::write(&tmp, mark).map_err(folder)?;
                std::fs::rename(&tmp, path).map_err(folder)
            }
            Mark::Memory(m) => {
                *m.lock().map_err(|_| Error::Stopped)? = Some(mark.to_owned());
                Ok(())
            }
        }
    }

    fn forget_caught_up(&self) -> Result<(), Error> {
        match &self.inner.mark {
            Mark::File(path) => match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Folder {
                    path: path.clone(),
                    source: e,
                }),
                _ => Ok(()),
            },
            Mark::Memory(m) => {
                *m.lock().map_err(|_| Error::Stopped)? = None;
                Ok(())
            }
        }
    }

    /// The heads each of `ids` is indexed at (ids not indexed are left out).
    pub fn indexed_heads(&self, ids: &[&str]) -> Result<HashMap<String, String>, Error> {
        let searcher = self.inner.reader.searcher();
        let f = self.inner.fields;
        let mut out = HashMap::new();
        for id in ids {
            let query = TermQuery::new(Term::from_field_text(f.id, id), IndexRecordOption::Basic);
            let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
            if let Some((_, addr)) = top.first() {
                let doc: TantivyDocument = searcher.doc(*addr)?;
                let heads = doc
                    .get_first(f.heads)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                out.insert((*id).to_owned(), heads.to_owned());
            }
        }
        Ok(out)
    }

    fn send(&self, op: Op) -> Result<(), Error> {
        let guard = self.inner.tx.lock().map_err(|_| Error::Stopped)?;
        guard
            .as_ref()
            .ok_or(Error::Stopped)?
            .send(op)
            .map_err(|_| Error::Stopped)
    }

    /// Adds or replaces a document; searchable after the next batched commit.
    pub fn upsert(&self, doc: SearchDoc) -> Result<(), Error> {
        self.send(Op::Upsert(Box::new(doc)))
    }

    pub fn delete(&self, id: &str) -> Result<(), Error> {
        self.send(Op::Delete(id.to_owned()))
    }

    /// Removes everything (before a rebuild), and the caller's mark with it.
    pub fn clear(&self) -> Result<(), Error> {
        self.forget_caught_up()?;
        self.send(Op::Clear)
    }

    /// Commits what is queued and waits until searches see it.
    pub fn flush(&self) -> Result<(), Error> {
        let (tx, rx) = mpsc::channel();
        self.send(Op::Flush(tx))?;
        match rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Index(tantivy::TantivyError::InternalError(e))),
            Err(_) => Err(Error::Stopped),
        }
    }

    /// Every indexed document's id and the heads it was indexed at.
    pub fn indexed(&self) -> Result<HashMap<String, String>, Error> {
        let searcher = self.inner.reader.searcher();
        let f = self.inner.fields;
        let mut out = HashMap::new();
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(|e| Error::Index(tantivy::TantivyError::from(e)))?;
            let alive = segment.alive_bitset();
            for doc_id in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc_id)) {
                    continue;
                }
                let doc: TantivyDocument = store.get(doc_id)?;
                let get = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                out.insert(get(f.id), get(f.heads));
            }
        }
        Ok(out)
    }

    /// How many segments searches visit (each adds a little to every query).
    pub fn segments(&self) -> usize {
        self.inner.reader.searcher().segment_readers().len()
    }

    pub fn len(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs a query of the query language. An empty query gives no results.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<Vec<Hit>, Error> {
        let parsed = parse(query)?;
        if parsed.is_empty() {
            return Ok(Vec::new());
        }
        let mut en = self.inner.en.clone();
        let mut plain = self.inner.plain.clone();
        let want = opts.limit.clamp(1, 200);
        // The exact pass first; the wide one only when it does not fill the page (a typo
        // finds nothing exact).
        let (q, mut matcher, wanted) = build(
            &parsed,
            self.inner.fields,
            opts.tz,
            &mut en,
            &mut plain,
            Pass::Exact,
        );
        let searcher = self.inner.reader.searcher();
        let mut ranked = self.ranked(&searcher, q, wanted, want, opts)?;
        if ranked.len() < want && !matcher.fuzzy.is_empty() {
            let (q, _, wanted) = build(
                &parsed,
                self.inner.fields,
                opts.tz,
                &mut en,
                &mut plain,
                Pass::Wide,
            );
            ranked = self.ranked(&searcher, q, wanted, want, opts)?;
        } else {
            // Highlight only what matched.
            matcher.fuzzy.clear();
        }
        let f = self.inner.fields;
        // Only the returned results are read from the store and get snippets: analysing
        // bodies is the expensive part.
        let mut snippets = Snippets::new(&matcher, &mut en, &self.inner.stems);
        let mut hits = Vec::with_capacity(ranked.len());
        for (score, addr) in ranked {
            let mut doc: Stored = searcher.doc(addr)?;
            let (snippet, highlights) = snippets.snippet(doc.text(f.body), SNIPPET_CHARS);
            hits.push(Hit {
                id: doc.take(f.id),
                kind: doc.take(f.kind),
                title: doc.take(f.title),
                snippet,
                highlights,
                score,
                status: Some(doc.take(f.status)).filter(|s| !s.is_empty()),
            });
        }
        Ok(hits)
    }

    /// The columns of the searcher's segments, opened once per generation.
    fn columns(&self, searcher: &tantivy::Searcher) -> Result<Arc<Vec<SegmentColumns>>, Error> {
        let generation = searcher.generation().generation_id();
        // The cache holds nothing a panic could leave half-written.
        let mut cached = self
            .inner
            .columns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = cached.as_ref().filter(|c| c.generation == generation) {
            return Ok(Arc::clone(&c.segments));
        }
        let segments = Arc::new(
            searcher
                .segment_readers()
                .iter()
                .map(SegmentColumns::open)
                .collect::<Result<Vec<_>, _>>()?,
        );
        *cached = Some(Columns {
            generation,
            segments: Arc::clone(&segments),
        });
        Ok(segments)
    }

    /// The best `want` documents by relevance × recency × decision standing, among those
    /// the filters keep (see `ranked`), with no stored reads.
    fn ranked(
        &self,
        searcher: &tantivy::Searcher,
        q: Box<dyn Query>,
        wanted: Wanted,
        want: usize,
        opts: &SearchOptions,
    ) -> Result<Vec<(f32, DocAddress)>, Error> {
        let q = Ranked {
            inner: q,
            wanted,
            rescore: Some(Rescore {
                now_ms: opts.now_ms,
            }),
            columns: self.columns(searcher)?,
        };
        Ok(searcher.search(&q, &TopDocs::with_limit(want).order_by_score())?)
    }
}

/// A document's stored fields as the store holds them: read without building a
/// `TantivyDocument` and then copying its strings out of it.
struct Stored(Vec<(Field, OwnedValue)>);

impl DocumentDeserialize for Stored {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(
        mut deserializer: D,
    ) -> Result<Self, DeserializeError> {
        let mut values = Vec::with_capacity(deserializer.size_hint());
        while let Some(field_value) = deserializer.next_field::<OwnedValue>()? {
            values.push(field_value);
        }
        Ok(Stored(values))
    }
}

impl Stored {
    /// The field's first text, or "".
    fn text(&self, field: Field) -> &str {
        self.0
            .iter()
            .find_map(|(f, v)| match v {
                OwnedValue::Str(s) if *f == field => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The field's first text, moved out, or "".
    fn take(&mut self, field: Field) -> String {
        self.0
            .iter_mut()
            .find_map(|(f, v)| match v {
                OwnedValue::Str(s) if *f == field => Some(std::mem::take(s)),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// A new index with our schema and settings.
fn create() -> tantivy::IndexBuilder {
    Index::builder()
        .schema(schema().0)
        .settings(index_settings())
}

fn standing(status: Option<&str>) -> i64 {
    match status.map(str::to_lowercase).as_deref() {
        Some("accepted") => 1,
        Some("draft" | "rejected" | "deprecated" | "superseded") => -1,
        _ => 0,
    }
}

fn to_doc(d: &SearchDoc, f: Fields) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &d.id);
    doc.add_text(f.kind, &d.kind);
    doc.add_i64(f.kind_no, kind_no(&d.kind));
    if let Some(s) = &d.status {
        doc.add_text(f.status, s.to_lowercase());
    }
    for t in &d.tags {
        doc.add_text(f.tags, t.to_lowercase());
    }
    for p in &d.people {
        doc.add_text(f.people, p.to_lowercase());
    }
    doc.add_i64(f.date, d.date_ms);
    doc.add_i64(f.standing, standing(d.status.as_deref()));
    doc.add_text(f.title, &d.title);
    doc.add_text(f.body, &d.body);
    doc.add_text(f.plain, &d.title);
    doc.add_text(f.plain, &d.body);
    doc.add_text(f.cjk, &d.title);
    doc.add_text(f.cjk, &d.body);
    doc.add_text(f.heads, &d.heads);
    doc
}

/// After this many writes (an import, a rebuild, a large sync) every segment is merged
/// into one once the writer has been idle for [`IDLE`]: every query visits each segment,
/// and a bulk load committed in 150 ms batches leaves dozens of them.
const MERGE_AFTER: usize = 1000;
/// How long the writer waits without work before merging.
const IDLE: Duration = Duration::from_secs(1);
/// Small segments (single edits) are merged together when there are this many.
const SMALL_SEGMENTS: usize = 8;

/// The writer's own merge policy (tantivy's is switched off so that its merges never race
/// ours): merge small segments together, and everything after a bulk load; one at a time.
#[derive(Default)]
struct Merges {
    writes: usize,
    /// Something changed since the last look.
    pending: bool,
    running: Option<JoinHandle<()>>,
}

impl Merges {
    fn wrote(&mut self) {
        self.writes += 1;
        self.pending = true;
    }

    fn busy(&self) -> bool {
        self.running.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// The segments worth merging now, if any.
    fn plan(&self, index: &Index) -> Option<Vec<tantivy::index::SegmentId>> {
        let metas = index.searchable_segment_metas().ok()?;
        if metas.len() < 2 {
            return None;
        }
        if self.writes >= MERGE_AFTER {
            return Some(metas.iter().map(|m| m.id()).collect());
        }
        let total: u32 = metas.iter().map(|m| m.num_docs()).sum();
        let small_limit = (total / 10).max(1000);
        let small: Vec<_> = metas
            .iter()
            .filter(|m| m.num_docs() < small_limit)
            .map(|m| m.id())
            .collect();
        (small.len() >= SMALL_SEGMENTS).then_some(small)
    }

    /// Called when the writer has been idle for [`IDLE`].
    fn on_idle(&mut self, writer: &mut IndexWriter<TantivyDocument>, reader: &IndexReader) {
        if self.busy() {
            return; // look again after the next idle period
        }
        self.pending = false;
        let Some(ids) = self.plan(writer.index()) else {
            return;
        };
        self.writes = 0;
        let merging = writer.merge(&ids);
        let reader = reader.clone();
        let spawned = std::thread::Builder::new()
            .name("meridian-search-merge".into())
            .spawn(move || match merging.wait() {
                Ok(_) => {
                    if let Err(e) = reader.reload() {
                        tracing::warn!(error = %e, "cannot reload the search index after a merge");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "search index merge failed"),
            });
        match spawned {
            Ok(h) => self.running = Some(h),
            Err(e) => tracing::warn!(error = %e, "cannot wait for a search index merge"),
        }
    }
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "the writer thread's body: it owns its reader and queue until they close"
)]
fn write_loop(
    mut writer: IndexWriter<TantivyDocument>,
    reader: IndexReader,
    f: Fields,
    rx: mpsc::Receiver<Op>,
) {
    let mut dirty_since: Option<Instant> = None;
    let mut waiting: Vec<mpsc::Sender<Result<(), String>>> = Vec::new();
    let mut merges = Merges::default();
    let commit = |writer: &mut IndexWriter<TantivyDocument>| -> Result<(), String> {
        writer.commit().map_err(|e| e.to_string())?;
        reader.reload().map_err(|e| e.to_string())
    };
    loop {
        let op = match dirty_since {
            Some(since) => {
                let left = COMMIT_EVERY.saturating_sub(since.elapsed());
                match rx.recv_timeout(left) {
                    Ok(op) => Some(op),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => {
                        let _ = commit(&mut writer);
                        return;
                    }
                }
            }
            None if merges.pending => match rx.recv_timeout(IDLE) {
                Ok(op) => Some(op),
                Err(RecvTimeoutError::Timeout) => {
                    merges.on_idle(&mut writer, &reader);
                    None
                }
                Err(RecvTimeoutError::Disconnected) => return,
            },
            None => match rx.recv() {
                Ok(op) => Some(op),
                Err(_) => return,
            },
        };
        match op {
            Some(Op::Upsert(d)) => {
                merges.wrote();
                writer.delete_term(Term::from_field_text(f.id, &d.id));
                if let Err(e) = writer.add_document(to_doc(&d, f)) {
                    tracing::warn!(error = %e, id = %d.id, "cannot index a document");
                }
                dirty_since.get_or_insert_with(Instant::now);
            }
            Some(Op::Delete(id)) => {
                merges.wrote();
                writer.delete_term(Term::from_field_text(f.id, &id));
                dirty_since.get_or_insert_with(Instant::now);
            }
            Some(Op::Clear) => {
                if let Err(e) = writer.delete_all_documents() {
                    tracing::warn!(error = %e, "cannot clear the search index");
                }
                dirty_since.get_or_insert_with(Instant::now);
            }
            Some(Op::Flush(ack)) => {
                waiting.push(ack);
                dirty_since = Some(Instant::now() - COMMIT_EVERY);
            }
            None => {}
        }
        if dirty_since.is_some_and(|s| s.elapsed() >= COMMIT_EVERY) {
            let result = commit(&mut writer);
            if let Err(e) = &result {
                tracing::warn!(error = %e, "search commit failed");
            }
            for ack in waiting.drain(..) {
                let _ = ack.send(result.clone());
            }
            dirty_since = None;
        }
    }
}

fn term_query(field: tantivy::schema::Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn tokens_of(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    analyzer
        .token_stream(text)
        .process(&mut |t| out.push(t.text.clone()));
    out
}

/// A phrase (or a single term) over one field; `None` when the text has no tokens there.
fn phrase(field: tantivy::schema::Field, tokens: &[String]) -> Option<Box<dyn Query>> {
    match tokens {
        [] => None,
        [one] => Some(term_query(field, one)),
        many => Some(Box::new(PhraseQuery::new(
            many.iter()
                .map(|t| Term::from_field_text(field, t))
                .collect(),
        ))),
    }
}

fn day_start(tz: Tz, d: NaiveDate) -> i64 {
    let local = d.and_hms_opt(0, 0, 0).expect("midnight");
    tz.from_local_datetime(&local).earliest().map_or_else(
        || local.and_utc().timestamp_millis(),
        |t| t.timestamp_millis(),
    )
}

/// A boolean query, or its only clause when there is one: a flat query of terms lets
/// tantivy prune with block-max WAND.
fn boolean(mut clauses: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    if clauses.len() == 1
        && clauses[0].0 != Occur::MustNot
        && let Some((_, q)) = clauses.pop()
    {
        return q;
    }
    Box::new(BooleanQuery::new(clauses))
}

/// How widely a query matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Words as typed or stemmed, the last one also as a prefix while it is typed.
    Exact,
    /// When the exact pass does not fill the page: also words one typo away (the costliest
    /// clause).
    Wide,
}

/// The tantivy query for a parsed query, and what its snippets should highlight.
fn build(
    p: &Parsed,
    f: Fields,
    tz: Tz,
    en: &mut TextAnalyzer,
    plain: &mut TextAnalyzer,
    pass: Pass,
) -> (Box<dyn Query>, Matcher, Wanted) {
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut m = Matcher::default();
    let last = p.words.len().saturating_sub(1);
    for (i, word) in p.words.iter().enumerate() {
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let latin: String = word
            .chars()
            .map(|c| if is_cjk(c) { ' ' } else { c })
            .collect();
        let stems = tokens_of(en, &latin);
        let words = tokens_of(plain, &latin);
        let cjk: Vec<String> = bigrams(word).into_iter().map(|t| t.text).collect();
        if !stems.is_empty() {
            let mut all: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (j, stem) in stems.iter().enumerate() {
                let raw = words.get(j).cloned().unwrap_or_else(|| stem.clone());
                let typing = p.prefix_last && i == last && j + 1 == stems.len();
                // Words of five letters or more may have a typo: recorded in either pass,
                // it says whether the wide one could help.
                let typo = raw.chars().count() >= 5;
                if typo {
                    m.fuzzy.push(raw.clone());
                }
                if typing {
                    m.prefixes.push(raw.clone());
                }
                m.stems.push(stem.clone());
                let clause: Box<dyn Query> = if typing && !(typo && pass == Pass::Wide) {
                    Box::new(TypedWord {
                        title: Term::from_field_text(f.title, stem),
                        body: Term::from_field_text(f.body, stem),
                        prefix: Term::from_field_text(f.plain, &raw),
                    })
                } else {
                    let mut one: Vec<(Occur, Box<dyn Query>)> = vec![
                        (
                            Occur::Should,
                            Box::new(BoostQuery::new(term_query(f.title, stem), TITLE_BOOST)),
                        ),
                        (Occur::Should, term_query(f.body, stem)),
                    ];
                    if typo && pass == Pass::Wide {
                        let q = FuzzyTermQuery::new(Term::from_field_text(f.plain, &raw), 1, true);
                        one.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), 0.3))));
                    }
                    if typing {
                        let prefix = FuzzyTermQuery::new_prefix(
                            Term::from_field_text(f.plain, &raw),
                            0,
                            false,
                        );
                        one.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(Box::new(prefix), PREFIX_SCORE)),
                        ));
                    }
                    boolean(one)
                };
                all.push((Occur::Must, clause));
            }
            alternatives.push((Occur::Should, boolean(all)));
        }
        if let Some(q) = phrase(f.cjk, &cjk) {
            alternatives.push((Occur::Should, q));
            m.cjk.extend(
                word.split(|c: char| !is_cjk(c))
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
        if !alternatives.is_empty() {
            must.push((Occur::Must, boolean(alternatives)));
        }
    }
    // A phrase is the words as written (case aside), not their stems: `"code reviews"`
    // does not find "code review". The title boost goes to a title with the phrase's stems.
    for text in &p.phrases {
        let latin: String = text
            .chars()
            .map(|c| if is_cjk(c) { ' ' } else { c })
            .collect();
        let words = tokens_of(plain, &latin);
        let stems = tokens_of(en, &latin);
        let cjk: Vec<String> = bigrams(text).into_iter().map(|t| t.text).collect();
        let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(q) = phrase(f.plain, &words) {
            either.push((Occur::Should, q));
        }
        if let Some(q) = phrase(f.cjk, &cjk) {
            either.push((Occur::Should, q));
            m.cjk.extend(
                text.split(|c: char| !is_cjk(c))
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
        if either.is_empty() {
            continue;
        }
        let found = (Occur::Must, boolean(either));
        match phrase(f.title, &stems) {
            Some(title) => must.push((
                Occur::Must,
                Box::new(BooleanQuery::new(vec![
                    found,
                    (Occur::Should, Box::new(BoostQuery::new(title, TITLE_BOOST))),
                ])),
            )),
            None => must.push(found),
        }
        m.stems.extend(stems);
    }
    let any_of = |field, values: &[String]| -> Box<dyn Query> {
        boolean(
            values
                .iter()
                .map(|v| (Occur::Should, term_query(field, v)))
                .collect(),
        )
    };
    // With text, kind and dates are checked in the text query's pruned loop (see
    // `ranked`); alone, they are the query.
    let mut wanted = Wanted::default();
    if !p.kinds.is_empty() {
        if p.has_text() {
            wanted.kinds = Some(p.kinds.iter().fold(0, |mask, k| mask | kind_bit(k)));
        } else {
            must.push((Occur::Must, any_of(f.kind, &p.kinds)));
        }
    }
    if !p.statuses.is_empty() {
        must.push((Occur::Must, any_of(f.status, &p.statuses)));
    }
    for t in &p.tags {
        must.push((Occur::Must, term_query(f.tags, t)));
    }
    for a in &p.authors {
        must.push((Occur::Must, term_query(f.people, a)));
    }
    // `after:` a day means from the next day's start in the user's zone.
    let from = p.after.map(|d| day_start(tz, d.succ_opt().unwrap_or(d)));
    let until = p.before.map(|d| day_start(tz, d));
    if p.has_text() {
        (wanted.from, wanted.until) = (from, until);
    } else if from.is_some() || until.is_some() {
        let bound = |v: Option<i64>, from: bool| match v {
            None => Bound::Unbounded,
            Some(v) if from => Bound::Included(Term::from_field_i64(f.date, v)),
            Some(v) => Bound::Excluded(Term::from_field_i64(f.date, v)),
        };
        must.push((
            Occur::Must,
            Box::new(RangeQuery::new(bound(from, true), bound(until, false))),
        ));
    }
    if !p.has_text() {
        must.push((Occur::Must, Box::new(AllQuery)));
    }
    if must.is_empty() {
        // Only words without any searchable token (punctuation): match nothing.
        return (Box::new(BooleanQuery::new(Vec::new())), m, wanted);
    }
    // The word being typed, when it is a clause of its own, joins the rest as a
    // `TypedAnd` so the rest keeps its pruning.
    let typed = must
        .iter()
        .position(|(_, q)| q.is::<TypedWord>())
        .filter(|_| must.len() > 1);
    let q = match typed {
        Some(at) => {
            let (_, typed) = must.remove(at);
            let typed = *typed
                .downcast::<TypedWord>()
                .unwrap_or_else(|_| unreachable!("checked above"));
            Box::new(TypedAnd {
                rest: boolean(must),
                typed,
            })
        }
        None => boolean(must),
    };
    (q, m, wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_with_other_settings_is_replaced() {
        let dir = tempfile::tempdir().expect("tmp");
        // Our schema with tantivy's default settings, as an older version left it.
        Index::create_in_dir(dir.path(), schema().0).expect("create");
        let (index, opened) = SearchIndex::open(dir.path()).expect("open");
        assert!(
            matches!(&opened, Opened::Replaced { reason } if reason.contains("settings")),
            "{opened:?}"
        );
        drop(index);
        let (_, opened) = SearchIndex::open(dir.path()).expect("reopen");
        assert_eq!(opened, Opened::Existing);
    }

    #[test]
    fn an_index_of_text_extracted_the_old_way_is_replaced() {
        let dir = tempfile::tempdir().expect("tmp");
        drop(SearchIndex::open(dir.path()).expect("create"));
        // As a version that indexed Markdown source left it: no marker.
        std::fs::remove_file(dir.path().join(EXTRACTION_FILE)).expect("remove marker");
        let (index, opened) = SearchIndex::open(dir.path()).expect("open");
        assert!(
            matches!(&opened, Opened::Replaced { reason } if reason.contains("extracted")),
            "{opened:?}"
        );
        drop(index);
        let (_, opened) = SearchIndex::open(dir.path()).expect("reopen");
        assert_eq!(opened, Opened::Existing);
    }
}
