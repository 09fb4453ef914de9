//! Search: the workspace's tantivy index (`<data dir>/search/`), kept as a cache of the
//! store. Every durable change queues its document; a background task indexes the queue
//! in batches. A document changed once is indexed 40 ms later; one being typed into
//! (changed again within a second) waits until typing pauses for [`TYPING_QUIET`] (at most
//! [`MAX_DEFER`]), so a keystroke never costs a re-read and re-analysis of the whole page.
//! The document is read from a copy taken under its lock, never under the lock itself. [`Workspace::catch_up_search`] compares the index's heads with the store's
//! and re-feeds whatever is missing or stale, so a deleted, damaged or half-committed
//! index loses nothing.

use std::collections::{BTreeMap, HashSet};
use std::sync::Weak;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use meridian_search::{Hit, SearchIndex, SearchOptions, search_doc};
use tokio::sync::mpsc;

use super::*;

/// The folder of the index, inside the data directory.
pub const SEARCH_DIR: &str = "search";

/// Opens the index, replacing it if unreadable; `None` (search unavailable, logged) only
/// when the folder itself cannot be used.
pub(super) fn open_index(data_dir: &Path) -> Option<SearchIndex> {
    match SearchIndex::open(&data_dir.join(SEARCH_DIR)) {
        Ok((index, opened)) => {
            tracing::debug!(?opened, "search index opened");
            Some(index)
        }
        Err(error) => {
            tracing::warn!(%error, "search is unavailable");
            None
        }
    }
}

/// How long a document changed once waits: what else changes in that moment is one batch.
const QUIET: Duration = Duration::from_millis(40);
/// A document changed again within this long is being typed into.
const HOT: Duration = Duration::from_secs(1);
/// How long typing must pause before a document being typed into is indexed.
pub const TYPING_QUIET: Duration = Duration::from_millis(750);
/// The longest a document being typed into waits (indexed every few seconds however long
/// the typing goes on).
pub const MAX_DEFER: Duration = Duration::from_secs(5);

/// What the indexer is asked.
#[derive(Debug)]
pub(super) enum IndexerMsg {
    /// A document changed durably.
    Changed(DocId),
    /// Index everything waiting now, then answer.
    Flush(oneshot::Sender<()>),
}

/// A document waiting to be indexed.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    first: Instant,
    last: Instant,
    typing: bool,
}

impl Waiting {
    fn due(&self) -> Instant {
        if self.typing {
            (self.last + TYPING_QUIET).min(self.first + MAX_DEFER)
        } else {
            self.last + QUIET
        }
    }
}

/// Starts the task that indexes queued documents, if there is a runtime to run it on.
pub(super) fn start_indexer(inner: &Arc<Inner>) -> Option<mpsc::UnboundedSender<IndexerMsg>> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    let (tx, mut rx) = mpsc::unbounded_channel::<IndexerMsg>();
    let weak: Weak<Inner> = Arc::downgrade(inner);
    handle.spawn(async move {
        let mut waiting: HashMap<DocId, Waiting> = HashMap::new();
        // When each document last changed, to tell typing from a single change.
        let mut changed: HashMap<DocId, Instant> = HashMap::new();
        let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
        loop {
            let next = waiting.values().map(Waiting::due).min();
            let msg = match next {
                Some(due) => tokio::select! {
                    msg = rx.recv() => msg.map(Some),
                    () = tokio::time::sleep_until(due) => Some(None),
                },
                None => rx.recv().await.map(Some),
            };
            let Some(msg) = msg else { break };
            let now = Instant::now();
            match msg {
                Some(IndexerMsg::Changed(id)) => {
                    let typing = changed.get(&id).is_some_and(|t| now - *t < HOT);
                    changed.insert(id.clone(), now);
                    waiting
                        .entry(id)
                        .and_modify(|w| {
                            w.last = now;
                            w.typing |= typing;
                        })
                        .or_insert(Waiting {
                            first: now,
                            last: now,
                            typing,
                        });
                    continue;
                }
                Some(IndexerMsg::Flush(done)) => flushes.push(done),
                None => {}
            }
            changed.retain(|_, t| now - *t < HOT);
            let all = !flushes.is_empty();
            let batch: Vec<DocId> = waiting
                .iter()
                .filter(|(_, w)| all || w.due() <= now)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &batch {
                waiting.remove(id);
            }
            if !batch.is_empty() {
                let Some(inner) = weak.upgrade() else { break };
                let ws = Workspace { inner };
                if let Err(error) = ws.index_docs(batch).await {
                    tracing::warn!(%error, "cannot index changed documents");
                }
            }
            for done in flushes.drain(..) {
                let _ = done.send(());
            }
        }
    });
    Some(tx)
}

/// Runs `f` on the index off the async runtime: reading the index's segments, committing
/// and writing its mark wait on the disk.
async fn blocking<T: Send + 'static>(
    index: &SearchIndex,
    f: impl FnOnce(&SearchIndex) -> Result<T, meridian_search::Error> + Send + 'static,
) -> Result<T, Error> {
    let index = index.clone();
    tokio::task::spawn_blocking(move || f(&index))
        .await
        .map_err(|_| Error::Stopped)?
        .map_err(Error::from)
}

/// The member names to index with each document, so `author:ada` works.
fn people_names(people: &[String], names: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = people.to_vec();
    for id in people {
        if let Some(name) = names.get(id) {
            let name = name.to_lowercase();
            out.extend(name.split_whitespace().map(str::to_owned));
            out.push(name);
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Workspace {
    /// The index, opened on first use (off the runtime): views that do not search or
    /// change anything never pay for opening it.
    async fn search_index(&self) -> Result<SearchIndex, Error> {
        let dir = self.inner.store.path().parent().map(Path::to_owned);
        self.inner
            .search
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || dir.as_deref().and_then(open_index))
                    .await
                    .ok()
                    .flatten()
            })
            .await
            .clone()
            .ok_or(Error::SearchUnavailable)
    }

    /// Queues a changed document for indexing (no-op without a running indexer).
    pub(super) fn queue_for_search(&self, id: &DocId) {
        if let Some(tx) = lock(&self.inner.search_queue).as_ref() {
            let _ = tx.send(IndexerMsg::Changed(id.clone()));
        }
    }

    async fn member_names(&self) -> Result<BTreeMap<String, String>, Error> {
        Ok(self
            .inner
            .store
            .read(|s| s.list_blocking(Some(Kind::Member), true))
            .await?
            .into_iter()
            .map(|e| (e.id.to_string(), e.title))
            .collect())
    }

    /// A copy of the document and its heads, for reading without its lock: the cached
    /// document is cloned under the lock (no reading under it), one not in the cache is
    /// loaded from the store and not kept (a catch-up must not fill the cache).
    async fn doc_for_reading(&self, id: &DocId) -> Result<(AutoCommit, Vec<ChangeHash>), Error> {
        let cached = lock(&self.inner.docs).get(id).cloned();
        if let Some(handle) = cached {
            let mut open = handle.lock().await;
            let heads = open.doc.get_heads();
            return Ok((open.doc.clone(), heads));
        }
        let id = id.clone();
        self.inner
            .store
            .read(move |s| -> Result<_, Error> {
                let mut doc = s.load_blocking(&id, TextEncoding::Utf16CodeUnit)?;
                let heads = doc.get_heads();
                Ok((doc, heads))
            })
            .await
    }

    /// Indexes the current state of `ids` (trashed or missing ones are removed), and keeps
    /// pages' texts for opening them at once (`previews`).
    async fn index_docs(&self, ids: Vec<DocId>) -> Result<usize, Error> {
        let index = self.search_index().await?;
        let names = self.member_names().await?;
        let dir = self.data_dir();
        let mut done = 0;
        for id in ids {
            let entry = self.catalog_entry(&id).await?;
            // The workspace document and the charter are never indexed (`search_doc` gives
            // them no entry), so they are not read: the workspace document lists every
            // object, and reading it after each object made cost O(n) each.
            let Some(entry) =
                entry.filter(|e| !e.trashed && !matches!(e.kind, Kind::Workspace | Kind::Charter))
            else {
                let (index, dir, id) = (index.clone(), dir.clone(), id.clone());
                tokio::task::spawn_blocking(move || {
                    previews::remove(&dir, &id);
                    index.delete(id.as_str())
                })
                .await
                .map_err(|_| Error::Stopped)??;
                continue;
            };
            let (doc, heads) = match self.doc_for_reading(&id).await {
                Ok(read) => read,
                // Deleted meanwhile: gone from the index too.
                Err(Error::NotFound(_) | Error::Store(meridian_store::Error::DocNotFound(_))) => {
                    index.delete(id.as_str())?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            // Reading the whole document and analysing its text is the O(document) part:
            // off the runtime, and without the document's lock.
            let (index2, names2, dir2) = (index.clone(), names.clone(), dir.clone());
            let (bytes, page) = tokio::task::spawn_blocking(move || -> Result<_, Error> {
                let heads = meridian_store::heads_key(&heads);
                let object = meridian_core::read_any(&doc)?;
                if let Object::Page(page) = &object
                    && let Err(error) = previews::write(&dir2, &id, &heads, &page.body)
                {
                    tracing::debug!(%error, %id, "cannot cache the page's text");
                }
                let page = matches!(object, Object::Page(_));
                match search_doc(id.as_str(), &object, entry.updated_at_ms, &heads) {
                    Some(mut doc) => {
                        doc.people = people_names(&doc.people, &names2);
                        let bytes = doc.title.len() + doc.body.len();
                        index2.upsert(doc)?;
                        Ok((bytes, page))
                    }
                    None => {
                        index2.delete(id.as_str())?;
                        Ok((0, page))
                    }
                }
            })
            .await
            .map_err(|_| Error::Stopped)??;
            self.counters().hydrated();
            self.counters().indexed(bytes);
            if page {
                self.counters().preview();
            }
            done += 1;
        }
        Ok(done)
    }

    /// Brings the index up to date with the store: documents it lacks, holds at other
    /// heads, or holds though they were trashed or deleted. The index keeps the store
    /// generation it last caught up with, so only documents changed since are compared
    /// (none when nothing changed); a new or rebuilt index compares them all. `progress(done, total)` is
    /// called as it goes. Returns how many documents were (re)indexed or removed.
    pub async fn catch_up_search(
        &self,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<usize, Error> {
        let index = self.search_index().await?;
        // Read before comparing: whatever is written meanwhile has a later generation, so
        // the next catch-up looks at it.
        let generation = self.inner.store.read(|s| s.generation_blocking()).await?;
        // The workspace document and the charter are never indexed: not stale either.
        let (_, charter) = self.workspace_head().await?;
        let never = |id: &DocId| *id == self.inner.workspace_doc || Some(id) == charter.as_ref();
        let mut stale = Vec::new();
        let mark = blocking(&index, |i| Ok(i.caught_up())).await?;
        match mark.and_then(|mark| generation.since(&mark)) {
            // Nothing changed since the index last caught up.
            Some(mark) if mark == generation.n => return Ok(0),
            // Only what changed since: each compared with what the index holds for it.
            Some(mark) => {
                let changed = self
                    .inner
                    .store
                    .read(move |s| s.heads_since_blocking(mark))
                    .await?;
                let ids: Vec<String> = changed.iter().map(|(id, _, _)| id.to_string()).collect();
                let indexed = blocking(&index, move |i| {
                    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                    i.indexed_heads(&ids)
                })
                .await?;
                for (id, heads, trashed) in changed {
                    if never(&id) {
                        continue;
                    }
                    let held = indexed.get(id.as_str());
                    if (trashed && held.is_some()) || (!trashed && held != Some(&heads)) {
                        stale.push(id);
                    }
                }
            }
            // Never caught up (new, cleared or replaced index), or a mark from another
            // store: compare every document.
            None => {
                let indexed = blocking(&index, |i| i.indexed()).await?;
                let current = self.inner.store.read(|s| s.heads_blocking()).await?;
                let mut live = HashSet::new();
                for (id, heads, trashed) in current {
                    if never(&id) {
                        continue;
                    }
                    if trashed {
                        if indexed.contains_key(id.as_str()) {
                            stale.push(id);
                        }
                        continue;
                    }
                    live.insert(id.to_string());
                    if indexed.get(id.as_str()) != Some(&heads) {
                        stale.push(id);
                    }
                }
                for gone in indexed.keys().filter(|k| !live.contains(*k)) {
                    index.delete(gone)?;
                }
                drop(indexed);
            }
        }
        let total = stale.len();
        progress(0, total);
        let mut done = 0;
        for chunk in stale.chunks(200) {
            done += self.index_docs(chunk.to_vec()).await?;
            progress(done.min(total), total);
        }
        let mark = generation.mark();
        blocking(&index, move |i| {
            i.flush()?;
            i.set_caught_up(&mark)
        })
        .await?;
        Ok(total)
    }

    /// Drops the index's content and indexes everything again.
    pub async fn reindex(&self, progress: impl FnMut(usize, usize)) -> Result<usize, Error> {
        let index = self.search_index().await?;
        blocking(&index, |i| {
            i.clear()?;
            i.flush()
        })
        .await?;
        self.catch_up_search(progress).await
    }

    /// Searches the workspace with the query language; dates are read in my zone.
    pub async fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, Error> {
        let index = self.search_index().await?;
        let tz = self
            .workspace_info()
            .me
            .tz
            .parse()
            .unwrap_or(chrono_tz::UTC);
        let opts = SearchOptions {
            limit,
            tz,
            now_ms: self.now_ms(),
        };
        let query = query.to_owned();
        tokio::task::spawn_blocking(move || index.search(&query, &opts))
            .await
            .map_err(|_| Error::Stopped)?
            .map_err(Error::from)
    }

    /// Waits until every queued change is searchable (tests, CLI before exit).
    pub async fn flush_search(&self) -> Result<(), Error> {
        let index = self.search_index().await?;
        // The indexer indexes whatever waits (typing pauses included), then answers.
        let (done, indexed) = oneshot::channel();
        let asked = lock(&self.inner.search_queue)
            .as_ref()
            .is_some_and(|tx| tx.send(IndexerMsg::Flush(done)).is_ok());
        if asked {
            let _ = indexed.await;
        }
        tokio::task::spawn_blocking(move || index.flush())
            .await
            .map_err(|_| Error::Stopped)??;
        Ok(())
    }
}
