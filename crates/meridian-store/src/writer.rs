//! The writer thread: the only code that writes to the database.
//!
//! One thread owns the one writer connection, so writes never contend for SQLite's write
//! lock and the WAL is only ever appended to by one connection. It drains every job already
//! queued and commits them in ONE transaction (group commit): one fsync per batch rather
//! than one per keystroke. Acknowledgements resolve only after COMMIT returns.
//!
//! Writes that fail with the batch (disk full, I/O error) are kept in memory and replayed at
//! the start of every later batch until one commits: their acknowledgements have already
//! reported the failure, but the edits are not lost, and the next chunk of the same
//! document (which depends on them) never lands in the store without them. While any are
//! kept, the thread also retries on its own (after 100 ms, doubling up to 5 s), so they are
//! saved once space returns even if nothing else is written; [`StoreHealth`] tells the
//! engine (and through it the person) how many are waiting and why.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use automerge::{Automerge, ChangeHash, ReadDoc};
use meridian_core::{DocId, Kind};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::ack::Completer;
use crate::heads::{decode_heads, encode_heads, same_heads};
use crate::{CatalogUpdate, DocWrite, Error, StoreHealth};

/// Upper bound on jobs per transaction, so one huge backlog still commits in pieces.
const MAX_BATCH: usize = 8192;
/// First wait before the writer retries kept writes on its own; doubled after each failed
/// retry up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Writes (and `meta` values) whose batch failed, kept in memory until a batch commits.
#[derive(Default)]
struct Retained {
    writes: Vec<DocWrite>,
    meta: Vec<(String, String)>,
}

impl Retained {
    fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.meta.is_empty()
    }

    fn len(&self) -> usize {
        self.writes.len() + self.meta.len()
    }

    fn clear(&mut self) {
        self.writes.clear();
        self.meta.clear();
    }
}

/// Publishes what the engine shows: how many writes wait in memory, and the last error.
pub(crate) type Health = tokio::sync::watch::Sender<StoreHealth>;

/// Work for the writer thread.
pub(crate) enum Job {
    Write(DocWrite, Completer),
    Compact {
        id: DocId,
        snapshot: Vec<u8>,
        heads: Vec<ChangeHash>,
        done: Completer,
    },
    SetMeta {
        key: String,
        value: String,
        done: Completer,
    },
    /// Rows of the derived cache: (document, heads key, data).
    PutDerived {
        rows: Vec<(DocId, String, Vec<u8>)>,
        done: Completer,
    },
    /// Deletes a document with its chunks, catalog row and derived row (a purge).
    Delete {
        id: DocId,
        done: Completer,
    },
    /// Test hook: simulate a full disk by forbidding the file to grow.
    LimitGrowth {
        limited: bool,
        done: Completer,
    },
}

/// Every write to one document within a batch, merged: the chunks concatenated (still
/// loadable as one sequence of changes), the last heads and the last catalog row.
struct Merged<'a> {
    kind: Kind,
    data: Vec<u8>,
    heads: &'a [ChangeHash],
    catalog: &'a CatalogUpdate,
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "the writer thread's body: it owns its connection and queue until they close"
)]
pub(crate) fn run(mut conn: Connection, path: PathBuf, jobs: Receiver<Job>, health: Health) {
    let mut retained = Retained::default();
    let mut wait = RETRY_FIRST;
    loop {
        let first = if retained.is_empty() {
            match jobs.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            }
        } else {
            match jobs.recv_timeout(wait) {
                Ok(job) => Some(job),
                // Nothing new to write: retry what is kept on its own.
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        };
        let retry_only = first.is_none();
        let mut batch: Vec<Job> = first.into_iter().collect();
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, &path, &mut retained, batch, &health);
        wait = if retained.is_empty() {
            RETRY_FIRST
        } else if retry_only {
            (wait * 2).min(RETRY_MAX)
        } else {
            wait
        };
    }
    if !retained.is_empty() {
        // Closing (the app quits): one last try, or the kept edits are gone with the process.
        run_batch(&mut conn, &path, &mut retained, Vec::new(), &health);
    }
    if !retained.is_empty() {
        tracing::error!(
            writes = retained.len(),
            path = %path.display(),
            "store closed with unsaved writes after earlier failures"
        );
    }
}

fn run_batch(
    conn: &mut Connection,
    path: &Path,
    retained: &mut Retained,
    batch: Vec<Job>,
    health: &Health,
) {
    let mut refused: Vec<Option<Error>> = Vec::with_capacity(batch.len());
    let outcome = apply_batch(conn, path, retained, &batch, &mut refused);
    match outcome {
        Ok(()) => {
            if !retained.is_empty() {
                tracing::info!(
                    writes = retained.len(),
                    "saved writes kept from a failed batch"
                );
                retained.clear();
                health.send_replace(StoreHealth::default());
            }
            for (job, refusal) in batch.into_iter().zip(refused) {
                let result = refusal.map_or(Ok(()), Err);
                completer(job).complete(result);
            }
        }
        Err(e) => {
            let was_failing = !retained.is_empty();
            for job in batch {
                let err = Error::batch(path, &e);
                match job {
                    Job::Write(write, done) => {
                        retained.writes.push(write);
                        done.complete(Err(err));
                    }
                    Job::SetMeta { key, value, done } => {
                        retained.meta.push((key, value));
                        done.complete(Err(err));
                    }
                    other => completer(other).complete(Err(err)),
                }
            }
            // A retry that fails again is logged once, not every few seconds.
            if was_failing {
                tracing::debug!(error = %e, path = %path.display(), "write batch rolled back again");
            } else {
                tracing::error!(error = %e, path = %path.display(), "write batch rolled back");
            }
            let unsaved = retained.len();
            let error = Error::batch(path, &e).to_string();
            health.send_if_modified(|h| {
                let changed = h.unsaved != unsaved || h.error.as_deref() != Some(error.as_str());
                h.unsaved = unsaved;
                h.error = Some(error);
                changed
            });
        }
    }
}

fn completer(job: Job) -> Completer {
    match job {
        Job::Write(_, done)
        | Job::Compact { done, .. }
        | Job::SetMeta { done, .. }
        | Job::PutDerived { done, .. }
        | Job::Delete { done, .. }
        | Job::LimitGrowth { done, .. } => done,
    }
}

/// Applies the batch in one transaction. `Err` is a database failure that rolls back the
/// whole batch; a job the store refuses (e.g. a bad snapshot) is recorded in `refused`.
fn apply_batch(
    conn: &mut Connection,
    path: &Path,
    retained: &Retained,
    batch: &[Job],
    refused: &mut Vec<Option<Error>>,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut merged: HashMap<&DocId, Merged<'_>> = HashMap::new();
    for write in &retained.writes {
        merge(&mut merged, write);
    }
    for (key, value) in &retained.meta {
        set_meta(&tx, key, value)?;
    }
    for job in batch {
        let mut refusal = None;
        match job {
            Job::Write(write, _) => merge(&mut merged, write),
            Job::Compact {
                id,
                snapshot,
                heads,
                ..
            } => {
                // Writes queued before the compaction must be in the table first, so the
                // compaction can tell which chunks its snapshot covers.
                flush(&tx, &mut merged)?;
                refusal = compact(&tx, path, id, snapshot, heads)?.err();
            }
            Job::SetMeta { key, value, .. } => set_meta(&tx, key, value)?,
            Job::PutDerived { rows, .. } => {
                // A document deleted meanwhile has no row to refer to: skipped.
                let mut put = tx.prepare_cached(
                    "INSERT INTO derived (id, heads, data)
                     SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM docs WHERE id = ?1)
                     ON CONFLICT(id) DO UPDATE SET heads = excluded.heads, data = excluded.data",
                )?;
                for (id, heads, data) in rows {
                    put.execute(params![id.to_string(), heads, data])?;
                }
            }
            Job::Delete { id, .. } => {
                // Writes of this document queued before the delete must not land after it.
                flush(&tx, &mut merged)?;
                tx.prepare_cached("DELETE FROM docs WHERE id = ?1")?
                    .execute([id.as_str()])?;
                // Caches keyed by the generation must see the catalog changed.
                next_generation(&tx)?;
            }
            Job::LimitGrowth { limited, .. } => {
                let pages: i64 = if *limited {
                    tx.query_row("PRAGMA page_count", [], |r| r.get(0))?
                } else {
                    4_294_967_294
                };
                tx.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
            }
        }
        refused.push(refusal);
    }
    flush(&tx, &mut merged)?;
    tx.commit()
}

fn set_meta(tx: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

fn merge<'a>(merged: &mut HashMap<&'a DocId, Merged<'a>>, write: &'a DocWrite) {
    let entry = merged.entry(&write.id).or_insert_with(|| Merged {
        kind: write.kind,
        data: Vec::new(),
        heads: &write.heads,
        catalog: &write.catalog,
    });
    entry.data.extend_from_slice(&write.chunk);
    entry.heads = &write.heads;
    entry.catalog = &write.catalog;
}

/// The store's next generation, recorded (see migration 3).
fn next_generation(tx: &Connection) -> rusqlite::Result<i64> {
    let now: i64 = tx
        .query_row(
            "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    set_meta(tx, "generation", &(now + 1).to_string())?;
    Ok(now + 1)
}

fn flush(tx: &Connection, merged: &mut HashMap<&DocId, Merged<'_>>) -> rusqlite::Result<()> {
    if merged.is_empty() {
        return Ok(());
    }
    let generation = next_generation(tx)?;
    for (id, m) in merged.drain() {
        let heads = encode_heads(m.heads);
        tx.prepare_cached(
            "INSERT INTO docs (id, kind, snapshot, heads, gen) VALUES (?1, ?2, x'', ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET heads = excluded.heads, gen = excluded.gen",
        )?
        .execute(params![id.as_str(), m.kind.as_str(), heads, generation])?;
        if !m.data.is_empty() {
            tx.prepare_cached("INSERT INTO chunks (doc_id, data, heads) VALUES (?1, ?2, ?3)")?
                .execute(params![id.as_str(), m.data, heads])?;
        }
        let c = m.catalog;
        tx.prepare_cached(
            "INSERT INTO catalog (id, kind, title, status, updated_at_ms, trashed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(id) DO UPDATE SET title = excluded.title, status = excluded.status,
                 updated_at_ms = excluded.updated_at_ms, trashed = excluded.trashed",
        )?
        .execute(params![
            id.as_str(),
            m.kind.as_str(),
            c.title,
            c.status,
            c.updated_at_ms,
            c.trashed
        ])?;
    }
    Ok(())
}

/// Replaces the document's snapshot and deletes exactly the chunks the snapshot covers: a
/// chunk is covered when every head recorded after it is a change in the snapshot (so all
/// of its changes are too). Chunks written after the caller took the snapshot are kept, so
/// the compaction is safe whatever was queued around it.
fn compact(
    tx: &Connection,
    path: &Path,
    id: &DocId,
    snapshot: &[u8],
    heads: &[ChangeHash],
) -> rusqlite::Result<Result<(), Error>> {
    let refuse = |detail: String| {
        Ok(Err(Error::BadSnapshot {
            id: id.clone(),
            detail,
        }))
    };
    let stored: Option<Vec<u8>> = tx
        .query_row("SELECT heads FROM docs WHERE id = ?1", [id.as_str()], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(stored) = stored else {
        return Ok(Err(Error::DocNotFound(id.clone())));
    };
    let Some(stored) = decode_heads(&stored) else {
        return Ok(Err(Error::Corrupt {
            path: path.to_owned(),
            detail: format!("the stored heads of document {id} are malformed"),
        }));
    };
    let mut doc = match Automerge::load(snapshot) {
        Ok(doc) => doc,
        Err(e) => return refuse(format!("it does not load: {e}")),
    };
    if !same_heads(&doc.get_heads(), heads) {
        return refuse("its heads differ from the heads given with it".to_owned());
    }

    let mut covered = Vec::new();
    let mut kept = Vec::new();
    {
        let mut stmt = tx
            .prepare_cached("SELECT seq, heads, data FROM chunks WHERE doc_id = ?1 ORDER BY seq")?;
        let mut rows = stmt.query([id.as_str()])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let chunk_heads = decode_heads(row.get_ref(1)?.as_blob()?);
            // `get_missing_deps` on heads is a hash lookup; `get_change_by_hash` would
            // rebuild each change.
            let is_covered = chunk_heads.is_some_and(|hs| doc.get_missing_deps(&hs).is_empty());
            if is_covered {
                covered.push(seq);
            } else {
                kept.push(row.get::<_, Vec<u8>>(2)?);
            }
        }
    }
    for data in &kept {
        if let Err(e) = doc.load_incremental(data) {
            return refuse(format!(
                "a newer stored chunk does not apply on top of it: {e}"
            ));
        }
    }
    if !doc.get_missing_deps(&stored).is_empty() {
        return refuse("it lacks changes that were already saved".to_owned());
    }
    let new_heads = if kept.is_empty() {
        heads.to_vec()
    } else {
        doc.get_heads()
    };
    tx.prepare_cached("UPDATE docs SET snapshot = ?2, heads = ?3 WHERE id = ?1")?
        .execute(params![id.as_str(), snapshot, encode_heads(&new_heads)])?;
    let mut delete = tx.prepare_cached("DELETE FROM chunks WHERE seq = ?1")?;
    for seq in covered {
        delete.execute([seq])?;
    }
    Ok(Ok(()))
}
