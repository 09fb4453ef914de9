//! The mirror's memory: which folder, and what it last wrote or applied per object.
//!
//! Durable so a restart neither re-imports nor deletes: without it every file would look
//! new and every missing file deleted. It is derived data all the same: losing it costs a
//! re-read of the folder (files carrying known ids are adopted), never an object.

use std::path::{Path, PathBuf};

use meridian_core::{DocId, Kind};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Entry, HeldDeletes};
use crate::Error;

/// A file the mirror would not use, and why (shown to people until it is fixed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: PathBuf,
    pub reason: String,
    pub at_ms: i64,
}

/// The mirror's memory, a SQLite file the caller places (the engine uses
/// `<data_dir>/mirror.db`). Every method blocks on SQLite; call it from the mirror's own
/// thread.
///
/// Each change is its own durable commit, unless a batch is open ([`begin`](Self::begin)
/// to [`commit`](Self::commit)): a first pass records thousands of files, and each commit
/// costs disk flushes.
#[derive(Debug)]
pub struct MirrorState {
    db: Connection,
    /// Changes made in the open batch, not yet committed.
    pending: usize,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL,
    base TEXT NOT NULL,
    heads TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refusals (
    path TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
";

impl MirrorState {
    /// Opens (or creates) the state file at `path`.
    pub fn open(path: &Path) -> Result<MirrorState, Error> {
        let db = Connection::open(path)?;
        // As the store: WAL with a sync at every commit, so a commit is durable (a record
        // lost to a power cut after the file it records changed again would make the
        // mirror apply its own write as an edit) at one flush, not a rollback journal's
        // three.
        db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
        db.execute_batch(SCHEMA)?;
        Ok(MirrorState { db, pending: 0 })
    }

    /// Opens a batch, unless one is open: the changes that follow (records, forgets,
    /// refusals) are committed together by [`commit`](Self::commit), with one disk flush
    /// for them all. Dropped uncommitted, the state rolls them back. The caller makes sure
    /// losing them is safe: a record must follow its file being durable, and a change to
    /// the workspace (an object made from a file, an edit applied) wants its record
    /// committed before the next one, or a crash would let the next pass repeat it.
    pub fn begin(&mut self) -> Result<(), Error> {
        if self.db.is_autocommit() {
            // Deferred: the write lock is taken by the first change, so a batch opened
            // around a long step that ends up recording nothing blocks no one.
            self.db.execute_batch("BEGIN")?;
            self.pending = 0;
        }
        Ok(())
    }

    /// Commits the open batch (durably: SQLite's `synchronous` is left at `FULL`); without
    /// one, does nothing.
    pub fn commit(&mut self) -> Result<(), Error> {
        if !self.db.is_autocommit() {
            self.db.execute_batch("COMMIT")?;
        }
        self.pending = 0;
        Ok(())
    }

    /// How many changes the open batch holds (0 without one).
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Counts a change made in an open batch.
    fn changed(&mut self) {
        if !self.db.is_autocommit() {
            self.pending += 1;
        }
    }

    /// The folder chosen, absolute; `None` before one is.
    pub fn root(&self) -> Result<Option<PathBuf>, Error> {
        Ok(self.meta("root")?.map(PathBuf::from))
    }

    /// Chooses the folder (made absolute). Choosing another folder forgets every entry
    /// and refusal: they describe the old one. Choosing the same folder keeps them.
    pub fn set_root(&mut self, root: &Path) -> Result<(), Error> {
        let root = std::path::absolute(root).map_err(|source| Error::ReadDir {
            path: root.to_owned(),
            source,
        })?;
        let text = utf8(&root)?;
        if self.meta("root")?.as_deref() == Some(text) {
            return Ok(());
        }
        let tx = self.db.savepoint()?;
        tx.execute("DELETE FROM entries", [])?;
        tx.execute("DELETE FROM refusals", [])?;
        tx.execute(
            "DELETE FROM meta WHERE key IN ('last_run', 'held_deletes')",
            [],
        )?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('root', ?1)",
            params![text],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every entry, sorted by path.
    pub fn entries(&self) -> Result<Vec<Entry>, Error> {
        let mut stmt = self
            .db
            .prepare("SELECT id, kind, path, hash, base, heads FROM entries ORDER BY path")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, path, hash, base, heads) = row?;
            out.push(Entry {
                id: id
                    .parse::<DocId>()
                    .map_err(|_| Error::StateCorrupt(format!("entry id {id:?}")))?,
                kind: kind
                    .parse::<Kind>()
                    .map_err(|_| Error::StateCorrupt(format!("entry kind {kind:?}")))?,
                path: PathBuf::from(path),
                hash,
                base,
                heads,
            });
        }
        Ok(out)
    }

    /// Inserts or replaces the entry with `entry.id`. An entry of another object at the
    /// same path is dropped: one file is one object.
    pub fn record(&mut self, entry: &Entry) -> Result<(), Error> {
        let path = utf8(&entry.path)?;
        // A savepoint, not a transaction: inside a batch it nests, outside it is one.
        let tx = self.db.savepoint()?;
        tx.execute(
            "DELETE FROM entries WHERE path = ?1 AND id <> ?2",
            params![path, entry.id.as_str()],
        )?;
        tx.execute(
            "INSERT OR REPLACE INTO entries (id, kind, path, hash, base, heads)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                entry.id.as_str(),
                entry.kind.as_str(),
                path,
                entry.hash,
                entry.base,
                entry.heads
            ],
        )?;
        tx.commit()?;
        self.changed();
        Ok(())
    }

    pub fn forget(&mut self, id: &DocId) -> Result<(), Error> {
        self.db
            .execute("DELETE FROM entries WHERE id = ?1", params![id.as_str()])?;
        self.changed();
        Ok(())
    }

    /// Notes that the file at `path` was refused (replacing an earlier reason).
    pub fn refuse(&mut self, path: &Path, reason: &str, now_ms: i64) -> Result<(), Error> {
        self.db.execute(
            "INSERT OR REPLACE INTO refusals (path, reason, at_ms) VALUES (?1, ?2, ?3)",
            params![path.to_string_lossy(), reason, now_ms],
        )?;
        self.changed();
        Ok(())
    }

    pub fn clear_refusal(&mut self, path: &Path) -> Result<(), Error> {
        self.db.execute(
            "DELETE FROM refusals WHERE path = ?1",
            params![path.to_string_lossy()],
        )?;
        self.changed();
        Ok(())
    }

    /// Every refusal, sorted by path.
    pub fn refusals(&self) -> Result<Vec<Refusal>, Error> {
        let mut stmt = self
            .db
            .prepare("SELECT path, reason, at_ms FROM refusals ORDER BY path")?;
        let rows = stmt.query_map([], |r| {
            Ok(Refusal {
                path: PathBuf::from(r.get::<_, String>(0)?),
                reason: r.get(1)?,
                at_ms: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_last_run(&mut self, ms: i64) -> Result<(), Error> {
        self.db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_run', ?1)",
            params![ms.to_string()],
        )?;
        self.changed();
        Ok(())
    }

    pub fn last_run(&self) -> Result<Option<i64>, Error> {
        self.meta("last_run")?
            .map(|v| {
                v.parse()
                    .map_err(|_| Error::StateCorrupt(format!("last run {v:?}")))
            })
            .transpose()
    }

    /// Remembers the deletions the mass-delete guard held back in the last pass (`None`
    /// once none are held), so the app and `--status` can ask about them later.
    pub fn set_held_deletes(&mut self, held: Option<HeldDeletes>) -> Result<(), Error> {
        match held {
            Some(h) => self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('held_deletes', ?1)",
                params![format!("{} {}", h.gone, h.known)],
            )?,
            None => self
                .db
                .execute("DELETE FROM meta WHERE key = 'held_deletes'", [])?,
        };
        Ok(())
    }

    pub fn held_deletes(&self) -> Result<Option<HeldDeletes>, Error> {
        let Some(v) = self.meta("held_deletes")? else {
            return Ok(None);
        };
        let parsed = v
            .split_once(' ')
            .and_then(|(g, k)| Some((g.parse().ok()?, k.parse().ok()?)));
        match parsed {
            Some((gone, known)) => Ok(Some(HeldDeletes { gone, known })),
            None => Err(Error::StateCorrupt(format!("held deletes {v:?}"))),
        }
    }

    fn meta(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .db
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }
}

fn utf8(p: &Path) -> Result<&str, Error> {
    p.to_str().ok_or_else(|| Error::PathNotUtf8(p.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8, path: &str) -> Entry {
        Entry {
            id: DocId::from_bytes([n; 16]),
            kind: Kind::Decision,
            path: path.into(),
            hash: format!("h{n}"),
            base: format!("text {n}"),
            heads: format!("heads {n}"),
        }
    }

    #[test]
    fn remembers_and_forgets() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("mirror.db");
        let mut s = MirrorState::open(&db).expect("open");
        assert_eq!(s.root().expect("root"), None);
        assert_eq!(s.last_run().expect("last run"), None);
        s.set_root(Path::new("/srv/notes")).expect("set root");
        s.record(&entry(1, "decisions/0001-a.md")).expect("record");
        s.record(&entry(2, "pages/b.md")).expect("record");
        // Replace by id: the path follows.
        s.record(&entry(1, "decisions/0001-a2.md")).expect("record");
        s.refuse(Path::new("pages/x.md"), "not UTF-8", 5)
            .expect("refuse");
        s.set_last_run(42).expect("last run");
        drop(s);

        let mut s = MirrorState::open(&db).expect("reopen");
        assert_eq!(s.root().expect("root"), Some(PathBuf::from("/srv/notes")));
        assert_eq!(
            s.entries().expect("entries"),
            vec![entry(1, "decisions/0001-a2.md"), entry(2, "pages/b.md")]
        );
        assert_eq!(s.last_run().expect("last run"), Some(42));
        assert_eq!(
            s.refusals().expect("refusals"),
            vec![Refusal {
                path: "pages/x.md".into(),
                reason: "not UTF-8".into(),
                at_ms: 5
            }]
        );
        // Another object at a taken path replaces the old entry.
        s.record(&entry(3, "pages/b.md")).expect("record");
        assert_eq!(s.entries().expect("entries").len(), 2);
        s.forget(&DocId::from_bytes([3; 16])).expect("forget");
        s.clear_refusal(Path::new("pages/x.md")).expect("clear");
        assert_eq!(
            s.entries().expect("entries"),
            vec![entry(1, "decisions/0001-a2.md")]
        );
        assert!(s.refusals().expect("refusals").is_empty());

        // The same folder again keeps everything; another forgets it all.
        s.set_root(Path::new("/srv/notes")).expect("same root");
        assert_eq!(s.entries().expect("entries").len(), 1);
        s.set_root(Path::new("/srv/other")).expect("other root");
        assert!(s.entries().expect("entries").is_empty());
        assert_eq!(s.last_run().expect("last run"), None);
    }

    #[test]
    fn a_batch_is_one_commit_and_is_lost_whole_when_not_committed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("mirror.db");
        let mut s = MirrorState::open(&db).expect("open");
        s.set_root(Path::new("/srv/notes")).expect("set root");
        s.record(&entry(1, "pages/a.md")).expect("record");
        assert_eq!(s.pending(), 0, "no batch: committed at once");

        s.begin().expect("begin");
        s.begin().expect("a second begin joins the open batch");
        s.record(&entry(2, "pages/b.md")).expect("record");
        s.record(&entry(3, "pages/c.md")).expect("record");
        s.forget(&DocId::from_bytes([1; 16])).expect("forget");
        s.refuse(Path::new("pages/x.md"), "not UTF-8", 5)
            .expect("refuse");
        assert_eq!(s.pending(), 4);
        // Seen by the batch itself, not by another reader until committed.
        assert_eq!(s.entries().expect("entries").len(), 2);
        let other = MirrorState::open(&db).expect("open again");
        assert_eq!(
            other.entries().expect("entries"),
            vec![entry(1, "pages/a.md")]
        );
        s.commit().expect("commit");
        assert_eq!(s.pending(), 0);
        assert_eq!(
            other.entries().expect("entries"),
            vec![entry(2, "pages/b.md"), entry(3, "pages/c.md")]
        );
        s.commit().expect("a commit without a batch does nothing");

        // Dropped uncommitted: rolled back whole.
        s.begin().expect("begin");
        s.record(&entry(4, "pages/d.md")).expect("record");
        s.clear_refusal(Path::new("pages/x.md")).expect("clear");
        drop(s);
        let s = MirrorState::open(&db).expect("reopen");
        assert_eq!(s.entries().expect("entries").len(), 2);
        assert_eq!(s.refusals().expect("refusals").len(), 1);
    }
}
