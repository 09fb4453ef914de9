//! Meridian's storage: one SQLite database per workspace holding every object's Automerge
//! document (a snapshot plus incremental change chunks), the heads each document is
//! expected to load to, a catalog for fast listing and a small key/value `meta` table.
//!
//! All writes go through one dedicated writer thread with group commit (one durable
//! `synchronous=FULL` COMMIT per batch, acknowledgements only after it); reads use a
//! separate connection (WAL). Every load compares the loaded heads with the stored heads,
//! because Automerge accepts empty and some truncated input without error: a damaged
//! document fails loudly, never loads partially.
//!
//! Among Meridian's crates this one depends on `meridian-core` only; it must never depend on
//! the engine, search, sync or vault crates (they depend on it, or on nothing of each other).

mod ack;
mod error;
mod heads;
mod schema;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use automerge::{AutoCommit, ChangeHash, LoadOptions, OnPartialLoad, TextEncoding};
use meridian_core::{DocId, Kind};
use rusqlite::{Connection, OptionalExtension, params};

pub use ack::Ack;
pub use error::Error;
pub use schema::SCHEMA_VERSION;

use heads::{decode_heads, same_heads};
use writer::Job;

/// One write to one document: new changes (possibly none) and its catalog row.
///
/// `chunk` is what `AutoCommit::save_incremental()` or `save_after(&last_saved_heads)`
/// returned; `heads` are the document's heads after these changes. Note that an
/// `AutoCommit` fresh from [`Store::load_blocking`] has no save cursor: its first
/// `save_incremental()` re-emits the whole history (correct, just large), so prefer
/// `save_after(&doc.get_heads())` bookkeeping after a load.
#[derive(Clone, Debug)]
pub struct DocWrite {
    pub id: DocId,
    pub kind: Kind,
    pub chunk: Vec<u8>,
    pub heads: Vec<ChangeHash>,
    pub catalog: CatalogUpdate,
}

/// The catalog row written with a [`DocWrite`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogUpdate {
    pub title: String,
    pub status: Option<String>,
    pub updated_at_ms: i64,
    pub trashed: bool,
}

/// One row of the catalog, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogEntry {
    pub id: DocId,
    pub kind: Kind,
    pub title: String,
    pub status: Option<String>,
    pub updated_at_ms: i64,
    pub trashed: bool,
}

/// Where a store stands: see [`Store::generation_blocking`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generation {
    /// The database file's id.
    pub store: String,
    /// Committed batches that changed documents, so far.
    pub n: i64,
}

impl Generation {
    /// `store:n`, for a cache to keep.
    pub fn mark(&self) -> String {
        format!("{}:{}", self.store, self.n)
    }

    /// How far behind this a cache with `mark` is: `Some(n)` when it caught up with
    /// generation `n` of this same store (`n` ≤ now), `None` when it never did.
    pub fn since(&self, mark: &str) -> Option<i64> {
        let (store, n) = mark.rsplit_once(':')?;
        let n: i64 = n.parse().ok()?;
        (store == self.store && n <= self.n).then_some(n)
    }
}

/// Whether every write handed to the store is on disk: `unsaved` writes whose batch failed
/// (disk full, I/O error) wait in memory, and `error` says why (for the person, as the
/// failed acknowledgement said it). Back to the default once a batch commits them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreHealth {
    pub unsaved: usize,
    pub error: Option<String>,
}

/// A handle to one workspace database. Cheap to clone; when the last clone is dropped the
/// writer thread finishes the queued work, and the drop waits for it.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: Option<Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    health: tokio::sync::watch::Receiver<StoreHealth>,
    /// Reads share one connection; WAL lets it read while the writer commits.
    reader: Mutex<Connection>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the writer loop once everything queued is committed.
        drop(self.jobs.take());
        if let Some(handle) = self.writer.take()
            && handle.join().is_err()
        {
            tracing::error!(path = %self.path.display(), "the store writer thread panicked");
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating it and its folder if needed) the database at `path`, checks it with
    /// `PRAGMA quick_check`, migrates it and starts the writer thread.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let path = path.to_owned();
        let open_err = |source: Box<dyn std::error::Error + Send + Sync>| Error::Open {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_err(Box::new(e)))?;
        }
        let mut conn = Connection::open(&path).map_err(|e| schema::open_error(&path, e))?;
        schema::configure(&conn).map_err(|e| schema::open_error(&path, e))?;
        schema::check(&conn, &path, "quick_check")?;
        schema::migrate(&mut conn, &path)?;

        let reader = Connection::open(&path).map_err(|e| schema::open_error(&path, e))?;
        reader
            .execute_batch(schema::CONNECTION_PRAGMAS)
            .map_err(|e| schema::open_error(&path, e))?;

        let (jobs, queue) = mpsc::channel();
        let (health_tx, health) = tokio::sync::watch::channel(StoreHealth::default());
        let thread_path = path.clone();
        let writer = std::thread::Builder::new()
            .name("meridian-store-writer".to_owned())
            .spawn(move || writer::run(conn, thread_path, queue, health_tx))
            .map_err(|e| open_err(Box::new(e)))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                jobs: Some(jobs),
                writer: Some(writer),
                health,
                reader: Mutex::new(reader),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Queues a write for the writer thread and returns at once. Writes are applied in
    /// submission order; the [`Ack`] resolves after the COMMIT that made it durable.
    ///
    /// If the Ack reports an error, the write is kept in memory and saved with the next
    /// batch that commits (so later chunks of the same document never land without it);
    /// the writer retries on its own until one does ([`Store::health`]).
    pub fn submit(&self, write: DocWrite) -> Ack {
        let (ack, done) = ack::pair(self.inner.path.clone());
        self.send(Job::Write(write, done));
        ack
    }

    /// Whether writes wait in memory after a failure (disk full, I/O error), watched: the
    /// writer retries them on its own and the value returns to the default once they are
    /// saved.
    pub fn health(&self) -> tokio::sync::watch::Receiver<StoreHealth> {
        self.inner.health.clone()
    }

    /// Submits and blocks until the write is durable.
    pub fn write_blocking(&self, write: DocWrite) -> Result<(), Error> {
        self.submit(write).wait_blocking()
    }

    /// Submits and waits (without blocking the runtime) until the write is durable.
    pub async fn write(&self, write: DocWrite) -> Result<(), Error> {
        self.submit(write).await
    }

    /// Runs `f` on a blocking thread (tokio's `spawn_blocking`) with this store, so async
    /// callers can use the `*_blocking` reads (and several in a row, e.g. an entry, its
    /// document and its chunk count) without stalling the runtime: a load decodes a whole
    /// Automerge history and a list walks the catalog.
    ///
    /// A panic in `f` is resumed in the caller; a read cancelled because the runtime is
    /// shutting down is [`Error::ReadCancelled`].
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Store) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let store = self.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::ReadCancelled {
                path: self.inner.path.clone(),
            }
            .into()),
        }
    }

    /// Loads a document and checks it against its stored heads.
    ///
    /// Errors: [`Error::DocNotFound`], [`Error::CorruptDoc`] when the bytes do not load,
    /// [`Error::HeadsMismatch`] when they load to something else than what was saved.
    pub fn load_blocking(&self, id: &DocId, encoding: TextEncoding) -> Result<AutoCommit, Error> {
        let (bytes, stored) = self.read_doc(id)?;
        let options = LoadOptions::new()
            .text_encoding(encoding)
            .on_partial_load(OnPartialLoad::Error);
        let mut doc =
            AutoCommit::load_with_options(&bytes, options).map_err(|source| Error::CorruptDoc {
                id: id.clone(),
                source: Box::new(source),
            })?;
        let loaded = doc.get_heads();
        if !same_heads(&loaded, &stored) {
            return Err(Error::HeadsMismatch {
                id: id.clone(),
                stored,
                loaded,
            });
        }
        Ok(doc)
    }

    /// Replaces the document's snapshot with `snapshot` (from `AutoCommit::save()`, whose
    /// heads are `heads`) and deletes the chunks it covers, in one transaction on the writer
    /// thread. Chunks the snapshot does not cover (written after it was taken) are kept.
    pub fn compact_blocking(
        &self,
        id: &DocId,
        snapshot: Vec<u8>,
        heads: Vec<ChangeHash>,
    ) -> Result<(), Error> {
        self.compact_ack(id, snapshot, heads).wait_blocking()
    }

    /// [`Store::compact_blocking`] for async callers: waits for the writer thread's
    /// `synchronous=FULL` commit without blocking the runtime.
    pub async fn compact(
        &self,
        id: &DocId,
        snapshot: Vec<u8>,
        heads: Vec<ChangeHash>,
    ) -> Result<(), Error> {
        self.compact_ack(id, snapshot, heads).await
    }

    fn compact_ack(&self, id: &DocId, snapshot: Vec<u8>, heads: Vec<ChangeHash>) -> Ack {
        let (ack, done) = ack::pair(self.inner.path.clone());
        self.send(Job::Compact {
            id: id.clone(),
            snapshot,
            heads,
            done,
        });
        ack
    }

    /// Catalog entries, newest first; `kind` filters, trashed entries only on request.
    pub fn list_blocking(
        &self,
        kind: Option<Kind>,
        include_trashed: bool,
    ) -> Result<Vec<CatalogEntry>, Error> {
        let path = &self.inner.path;
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, kind, title, status, updated_at_ms, trashed FROM catalog
                 WHERE (?1 IS NULL OR kind = ?1) AND (?2 OR trashed = 0)
                 ORDER BY updated_at_ms DESC, id",
            )
            .map_err(|e| Error::read(path, "the catalog", e))?;
        let rows = stmt
            .query_map(params![kind.map(Kind::as_str), include_trashed], raw_entry)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| Error::read(path, "the catalog", e))?;
        rows.into_iter().map(|r| r.parse(path)).collect()
    }

    /// Every document's current heads (hex, sorted, concatenated: [`heads_key`]) and
    /// whether it is trashed, for caches that must tell what they lack (the search index).
    pub fn heads_blocking(&self) -> Result<Vec<(DocId, String, bool)>, Error> {
        self.heads_since_blocking(-1)
    }

    /// The store's generation: it grows with every committed batch that changed documents
    /// (never goes back), so a cache that recorded it knows whether anything changed since.
    /// It comes with the id of this database file, since another file (a workspace
    /// rebuilt after a loss) counts from the start again.
    pub fn generation_blocking(&self) -> Result<Generation, Error> {
        let path = &self.inner.path;
        self.reader()
            .query_row(
                "SELECT (SELECT value FROM meta WHERE key = 'store_id'),
                        (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation')",
                [],
                |r| {
                    Ok(Generation {
                        store: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        n: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                    })
                },
            )
            .map_err(|e| Error::read(path, "the store's generation", e))
    }

    /// As [`Store::heads_blocking`], for the documents changed in a generation after
    /// `generation` only.
    pub fn heads_since_blocking(
        &self,
        generation: i64,
    ) -> Result<Vec<(DocId, String, bool)>, Error> {
        let path = &self.inner.path;
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT d.id,
                        COALESCE((SELECT c.heads FROM chunks c WHERE c.doc_id = d.id
                                  ORDER BY c.seq DESC LIMIT 1), d.heads),
                        COALESCE(cat.trashed, 0)
                 FROM docs d LEFT JOIN catalog cat ON cat.id = d.id
                 WHERE d.gen > ?1",
            )
            .map_err(|e| Error::read(path, "the documents' heads", e))?;
        let rows = stmt
            .query_map([generation], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| Error::read(path, "the documents' heads", e))?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, heads, trashed) in rows {
            let Ok(id) = id.parse::<DocId>() else {
                continue;
            };
            let heads = heads::decode_heads(&heads).unwrap_or_default();
            out.push((id, heads_key(&heads), trashed));
        }
        Ok(out)
    }

    /// One document's current heads ([`heads_key`]), as [`Store::heads_blocking`] gives
    /// them; `None` when the store does not hold it. For caches keyed by heads (the
    /// engine's cached page text).
    pub fn heads_of_blocking(&self, id: &DocId) -> Result<Option<String>, Error> {
        let raw: Option<Vec<u8>> = self
            .reader()
            .prepare_cached(
                "SELECT COALESCE((SELECT c.heads FROM chunks c WHERE c.doc_id = d.id
                                  ORDER BY c.seq DESC LIMIT 1), d.heads)
                 FROM docs d WHERE d.id = ?1",
            )
            .and_then(|mut s| s.query_row([id.as_str()], |r| r.get(0)).optional())
            .map_err(|e| Error::read(&self.inner.path, "the document's heads", e))?;
        Ok(raw.map(|h| heads_key(&heads::decode_heads(&h).unwrap_or_default())))
    }

    /// The catalog entry of one document, if it exists.
    pub fn entry_blocking(&self, id: &DocId) -> Result<Option<CatalogEntry>, Error> {
        let path = &self.inner.path;
        let raw = self
            .reader()
            .prepare_cached(
                "SELECT id, kind, title, status, updated_at_ms, trashed FROM catalog WHERE id = ?1",
            )
            .and_then(|mut s| s.query_row([id.as_str()], raw_entry).optional())
            .map_err(|e| Error::read(path, "the catalog", e))?;
        raw.map(|r| r.parse(path)).transpose()
    }

    /// How many change chunks follow the document's snapshot (to decide when to compact).
    pub fn chunk_count_blocking(&self, id: &DocId) -> Result<usize, Error> {
        let n: i64 = self
            .reader()
            .prepare_cached("SELECT count(*) FROM chunks WHERE doc_id = ?1")
            .and_then(|mut s| s.query_row([id.as_str()], |r| r.get(0)))
            .map_err(|e| Error::read(&self.inner.path, "the chunk count", e))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The stored bytes: snapshot followed by the chunks, loadable by `Automerge::load`
    /// (for `.automerge` export). Not checked against the heads: load it to check.
    pub fn stored_bytes_blocking(&self, id: &DocId) -> Result<Vec<u8>, Error> {
        self.read_doc(id).map(|(bytes, _)| bytes)
    }

    /// A value from the `meta` table (workspace id, this device's actor id, ...).
    pub fn get_meta_blocking(&self, key: &str) -> Result<Option<String>, Error> {
        self.reader()
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| Error::read(&self.inner.path, "the meta table", e))
    }

    /// Sets a `meta` value durably (through the writer thread).
    pub fn set_meta_blocking(&self, key: &str, value: &str) -> Result<(), Error> {
        self.set_meta_ack(key, value).wait_blocking()
    }

    /// [`Store::set_meta_blocking`] for async callers: waits for the commit without
    /// blocking the runtime.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), Error> {
        self.set_meta_ack(key, value).await
    }

    fn set_meta_ack(&self, key: &str, value: &str) -> Ack {
        let (ack, done) = ack::pair(self.inner.path.clone());
        self.send(Job::SetMeta {
            key: key.to_owned(),
            value: value.to_owned(),
            done,
        });
        ack
    }

    /// The derived cache: for each document that has a row, the heads key (as
    /// [`heads_key`] writes it) at which its `data` was derived. The engine owns what
    /// `data` means; a row whose heads are not the document's is stale.
    pub fn derived_blocking(&self) -> Result<Vec<(DocId, String, Vec<u8>)>, Error> {
        let path = &self.inner.path;
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT id, heads, data FROM derived")
            .map_err(|e| Error::read(path, "the derived cache", e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| Error::read(path, "the derived cache", e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, heads, data)| Some((id.parse().ok()?, heads, data)))
            .collect())
    }

    /// Stores rows of the derived cache through the writer thread, with the next batch.
    /// Queued at once (a store dropped later still writes them); the [`Ack`] says when
    /// they are committed. A row for a document that no longer exists is skipped.
    pub fn put_derived(&self, rows: Vec<(DocId, String, Vec<u8>)>) -> Ack {
        let (ack, done) = ack::pair(self.inner.path.clone());
        self.send(Job::PutDerived { rows, done });
        ack
    }

    /// Deletes document `id` for good: its snapshot, chunks, catalog row and derived row,
    /// in one transaction on the writer thread (a purge from the trash). Deleting a
    /// document that is not stored does nothing.
    pub async fn delete(&self, id: &DocId) -> Result<(), Error> {
        let (ack, done) = ack::pair(self.inner.path.clone());
        self.send(Job::Delete {
            id: id.clone(),
            done,
        });
        ack.await
    }

    /// Runs `PRAGMA integrity_check`; anything but "ok" is [`Error::Corrupt`].
    pub fn integrity_check_blocking(&self) -> Result<(), Error> {
        schema::check(&self.reader(), &self.inner.path, "integrity_check")
    }

    /// Writes a consistent copy of the database to `to` with `VACUUM INTO` (never a file
    /// copy, which could catch the WAL mid-write). `to` must not exist yet.
    pub fn backup_blocking(&self, to: &Path) -> Result<(), Error> {
        let backup_err = |source: Box<dyn std::error::Error + Send + Sync>| Error::Backup {
            to: to.to_owned(),
            source,
        };
        if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| backup_err(Box::new(e)))?;
        }
        let target = to.to_str().ok_or_else(|| {
            backup_err(Box::<dyn std::error::Error + Send + Sync>::from(
                "the backup path is not valid UTF-8",
            ))
        })?;
        self.reader()
            .execute("VACUUM INTO ?1", [target])
            .map(|_| ())
            .map_err(|e| backup_err(Box::new(e)))
    }

    /// Test hook: forbid (or allow again) the database file to grow, which makes the next
    /// write that needs a new page fail exactly like a full disk (`SQLITE_FULL`).
    #[doc(hidden)]
    pub fn limit_growth_for_tests_blocking(&self, limited: bool) -> Result<(), Error> {
        let (ack, done) = ack::pair(self.inner.path.clone());
        self.send(Job::LimitGrowth { limited, done });
        ack.wait_blocking()
    }

    fn send(&self, job: Job) {
        // If the writer thread is gone the job (and its Completer) is dropped here, which
        // resolves the Ack with `Error::WriterStopped`.
        if let Some(jobs) = &self.inner.jobs {
            let _ = jobs.send(job);
        }
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.inner
            .reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Snapshot + chunks concatenated, and the stored heads, read in one transaction so a
    /// commit in between cannot make them disagree.
    fn read_doc(&self, id: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), Error> {
        let path = &self.inner.path;
        let read_err = |e| Error::read(path, "a document", e);
        let mut conn = self.reader();
        let tx = conn.transaction().map_err(read_err)?;
        let row: Option<(Vec<u8>, Vec<u8>)> = tx
            .prepare_cached("SELECT snapshot, heads FROM docs WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(read_err)?;
        let Some((mut bytes, heads)) = row else {
            return Err(Error::DocNotFound(id.clone()));
        };
        {
            let mut stmt = tx
                .prepare_cached("SELECT data FROM chunks WHERE doc_id = ?1 ORDER BY seq")
                .map_err(read_err)?;
            let mut rows = stmt.query([id.as_str()]).map_err(read_err)?;
            while let Some(row) = rows.next().map_err(read_err)? {
                let data = row
                    .get_ref(0)
                    .and_then(|v| v.as_blob().map_err(rusqlite::Error::from))
                    .map_err(read_err)?;
                bytes.extend_from_slice(data);
            }
        }
        tx.commit().map_err(read_err)?;
        let heads = decode_heads(&heads).ok_or_else(|| Error::Corrupt {
            path: path.clone(),
            detail: format!("the stored heads of document {id} are malformed"),
        })?;
        Ok((bytes, heads))
    }
}

/// A catalog row before its id and kind are checked.
struct RawEntry {
    id: String,
    kind: String,
    title: String,
    status: Option<String>,
    updated_at_ms: i64,
    trashed: bool,
}

fn raw_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok(RawEntry {
        id: r.get(0)?,
        kind: r.get(1)?,
        title: r.get(2)?,
        status: r.get(3)?,
        updated_at_ms: r.get(4)?,
        trashed: r.get(5)?,
    })
}

impl RawEntry {
    fn parse(self, path: &Path) -> Result<CatalogEntry, Error> {
        let corrupt = |detail: String| Error::Corrupt {
            path: path.to_owned(),
            detail,
        };
        Ok(CatalogEntry {
            id: self
                .id
                .parse()
                .map_err(|e| corrupt(format!("catalog row: {e}")))?,
            kind: self
                .kind
                .parse()
                .map_err(|e| corrupt(format!("catalog row {}: {e}", self.id)))?,
            title: self.title,
            status: self.status,
            updated_at_ms: self.updated_at_ms,
            trashed: self.trashed,
        })
    }
}

/// Heads as one comparable string: the hashes sorted, in hex, concatenated.
pub fn heads_key(heads: &[automerge::ChangeHash]) -> String {
    let mut sorted = heads.to_vec();
    sorted.sort_unstable();
    sorted.iter().map(|h| h.to_string()).collect()
}
