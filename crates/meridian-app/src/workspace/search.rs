//! Search: the workspace's tantivy index (`<data dir>/search/`), kept as a cache of the
//! store. Every durable change queues its document; a background task indexes the queue
//! in batches. [`Workspace::catch_up_search`] compares the index's heads with the store's
//! and re-feeds whatever is missing or stale, so a deleted, damaged or half-committed
//! index loses nothing.

use std::collections::{BTreeMap, HashSet};
use std::sync::Weak;
use std::time::Duration;

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

/// Starts the task that indexes queued documents, if there is a runtime to run it on.
pub(super) fn start_indexer(inner: &Arc<Inner>) -> Option<mpsc::UnboundedSender<DocId>> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    let (tx, mut rx) = mpsc::unbounded_channel::<DocId>();
    let weak: Weak<Inner> = Arc::downgrade(inner);
    handle.spawn(async move {
        while let Some(first) = rx.recv().await {
            // Gather what else arrives in the next moment: a burst of keystrokes is one batch.
            tokio::time::sleep(Duration::from_millis(40)).await;
            let mut batch = HashSet::from([first]);
            while let Ok(id) = rx.try_recv() {
                batch.insert(id);
            }
            let Some(inner) = weak.upgrade() else { break };
            let ws = Workspace { inner };
            if let Err(error) = ws.index_docs(batch.into_iter().collect()).await {
                tracing::warn!(%error, "cannot index changed documents");
            }
        }
    });
    Some(tx)
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
            let _ = tx.send(id.clone());
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

    /// Indexes the current state of `ids` (trashed or missing ones are removed).
    async fn index_docs(&self, ids: Vec<DocId>) -> Result<usize, Error> {
        let index = self.search_index().await?;
        let names = self.member_names().await?;
        let mut done = 0;
        for id in ids {
            let entry = self.catalog_entry(&id).await?;
            // The workspace document and the charter are never indexed (`search_doc` gives
            // them no entry), so they are not read: the workspace document lists every
            // object, and reading it after each object made cost O(n) each.
            let Some(entry) =
                entry.filter(|e| !e.trashed && !matches!(e.kind, Kind::Workspace | Kind::Charter))
            else {
                index.delete(id.as_str())?;
                continue;
            };
            let (object, heads) = {
                let handle = self.open_doc(&id).await?;
                let mut open = handle.lock().await;
                let heads = meridian_store::heads_key(&open.doc.get_heads());
                (meridian_core::read_any(&open.doc)?, heads)
            };
            match search_doc(id.as_str(), &object, entry.updated_at_ms, &heads) {
                Some(mut doc) => {
                    doc.people = people_names(&doc.people, &names);
                    index.upsert(doc)?;
                }
                None => index.delete(id.as_str())?,
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
        match index.caught_up().and_then(|mark| generation.since(&mark)) {
            // Nothing changed since the index last caught up.
            Some(mark) if mark == generation.n => return Ok(0),
            // Only what changed since: each compared with what the index holds for it.
            Some(mark) => {
                let changed = self
                    .inner
                    .store
                    .read(move |s| s.heads_since_blocking(mark))
                    .await?;
                let ids: Vec<&str> = changed.iter().map(|(id, _, _)| id.as_str()).collect();
                let indexed = index.indexed_heads(&ids)?;
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
                let indexed = index.indexed()?;
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
            }
        }
        let total = stale.len();
        progress(0, total);
        let mut done = 0;
        for chunk in stale.chunks(200) {
            done += self.index_docs(chunk.to_vec()).await?;
            progress(done.min(total), total);
        }
        index.flush()?;
        index.set_caught_up(&generation.mark())?;
        Ok(total)
    }

    /// Drops the index's content and indexes everything again.
    pub async fn reindex(&self, progress: impl FnMut(usize, usize)) -> Result<usize, Error> {
        let index = self.search_index().await?;
        index.clear()?;
        index.flush()?;
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
        tokio::time::sleep(Duration::from_millis(60)).await;
        tokio::task::spawn_blocking(move || index.flush())
            .await
            .map_err(|_| Error::Stopped)??;
        Ok(())
    }
}
