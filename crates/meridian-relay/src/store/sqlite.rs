//! The embedded store: one SQLite file (`relay.sqlite3`) for every workspace, WAL with
//! `synchronous=FULL`, one connection that is also the only writer. Writes open a
//! transaction lazily; [`RelayStore::commit`] ends it, so a whole batch of frames costs
//! one fsync.
//!
//! # Schema and migrations
//!
//! `PRAGMA user_version` is the schema version; [`MIGRATIONS`] only ever grows, and a
//! start runs the missing ones in one transaction, so a file is either migrated or
//! untouched.
//!
//! Version 2 (sync protocol 2) cannot convert version-1 envelopes: their header format and
//! signature changed, so no v2 device could verify them. The migration keeps workspaces,
//! membership logs and join requests, moves the v1 envelope rows into `envelopes_v1` (an
//! archive nothing reads: the data stays in the file, nothing is lost, and an operator can
//! drop it once the devices re-uploaded), and starts every workspace with a new, empty
//! log under a new log id. Devices updated to protocol 2 re-seal what they hold and upload
//! it again; devices that were not updated cannot sync with a v2 relay anyway. The quota
//! counts only what is served, so the re-upload fits.
//!
//! The file uses `auto_vacuum = INCREMENTAL` (set at creation; a migrated file is
//! vacuumed once to switch it on), so pages freed by the garbage collector can be given
//! back to the file system ([`RelayStore::reclaim_space`]) and the data folder shrinks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meridian_sync::{
    CheckpointId, CheckpointPart, DeviceId, DocumentId, Envelope, Header, InviteId, IssuedTicket,
    Kind, LogId, Peer, SignedOp, Sweep, Ticket, Verdict, VersionVector, WorkspaceId,
};
use rusqlite::{Connection, OptionalExtension, params};

use super::{EntryMeta, PendingJoin, ReadBatch, RelayStore, StoredWorkspace};

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Migration `i` takes a file from version `i` to `i + 1`. Append only: never edit one
/// that shipped.
const MIGRATIONS: [&str; 3] = [
    // 1: sync protocol 1.
    "
    CREATE TABLE IF NOT EXISTS workspaces (
        id         BLOB PRIMARY KEY,
        bytes_used INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE IF NOT EXISTS membership (
        workspace BLOB NOT NULL,
        idx       INTEGER NOT NULL,
        op        BLOB NOT NULL,
        PRIMARY KEY (workspace, idx)
    ) STRICT;
    CREATE TABLE IF NOT EXISTS envelopes (
        workspace BLOB NOT NULL,
        device    BLOB NOT NULL,
        seq       INTEGER NOT NULL,
        bytes     BLOB NOT NULL,
        PRIMARY KEY (workspace, device, seq)
    ) STRICT;
    CREATE TABLE IF NOT EXISTS join_requests (
        workspace  BLOB NOT NULL,
        invite     BLOB NOT NULL,
        device     BLOB NOT NULL,
        expires_ms INTEGER NOT NULL,
        request    BLOB NOT NULL,
        PRIMARY KEY (workspace, invite, device)
    ) STRICT;",
    // 2: sync protocol 2. Version-1 envelopes are archived (see the module docs); every
    // workspace gets a new log.
    "
    ALTER TABLE envelopes RENAME TO envelopes_v1;
    ALTER TABLE workspaces ADD COLUMN log_id BLOB;
    ALTER TABLE workspaces ADD COLUMN head INTEGER NOT NULL DEFAULT 0;
    UPDATE workspaces SET log_id = randomblob(16), bytes_used = 0, head = 0;
    -- One row per envelope at its position in its workspace's log. The header fields the
    -- relay decides on have columns of their own: doc_seq for `Changes` envelopes, the
    -- cp_* columns for checkpoint parts (cp_seq is the checkpoint's id with the author).
    -- source is the device that pushed it. bytes comes last: reading the other columns
    -- never touches its overflow pages.
    CREATE TABLE entries (
        workspace BLOB NOT NULL,
        pos       INTEGER NOT NULL,
        device    BLOB NOT NULL,
        seq       INTEGER NOT NULL,
        doc       BLOB NOT NULL,
        doc_seq   INTEGER,
        cp_seq    INTEGER,
        cp_part   INTEGER,
        cp_parts  INTEGER,
        cp_covers BLOB,
        source    BLOB,
        size      INTEGER NOT NULL,
        bytes     BLOB NOT NULL,
        UNIQUE (workspace, pos),
        UNIQUE (workspace, device, seq)
    ) STRICT;
    CREATE INDEX entries_by_doc ON entries (workspace, doc, device, doc_seq);
    CREATE INDEX entries_checkpoints ON entries (workspace, device, cp_seq)
        WHERE cp_seq IS NOT NULL;
    CREATE TABLE cursors (
        workspace BLOB NOT NULL,
        device    BLOB NOT NULL,
        log_id    BLOB NOT NULL,
        pos       INTEGER NOT NULL,
        PRIMARY KEY (workspace, device, log_id)
    ) STRICT;
    CREATE TABLE verdicts (
        workspace BLOB NOT NULL,
        doc       BLOB NOT NULL,
        author    BLOB NOT NULL,
        cp_seq    INTEGER NOT NULL,
        verifier  BLOB NOT NULL,
        ok        INTEGER NOT NULL,
        PRIMARY KEY (workspace, author, cp_seq, verifier, ok)
    ) STRICT;",
    // 3: session tickets, one per device and workspace.
    "
    CREATE TABLE tickets (
        id         BLOB PRIMARY KEY,
        workspace  BLOB NOT NULL,
        device     BLOB NOT NULL,
        log_id     BLOB NOT NULL,
        secret     BLOB NOT NULL,
        counter    INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        UNIQUE (workspace, device)
    ) STRICT;",
];

/// A failure of the relay's SQLite file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("relay database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored row could not be read back.
    #[error(
        "relay database {path} holds an unreadable {what}: {detail}; restore it from a backup or let devices upload again into a fresh data directory"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What was being read.
        what: &'static str,
        /// Why it failed.
        detail: String,
    },
    /// The file was written by a newer relay.
    #[error(
        "relay database {path} has schema version {found}; this relay reads up to {SCHEMA_VERSION}: run a newer meridian-relay"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The version found.
        found: i64,
    },
}

/// The SQLite [`RelayStore`].
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    in_tx: bool,
    /// Space kept aside so a full disk stops pushes, not reads.
    reserve: super::reserve::Reserve,
}

fn to_sql(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn source_blob(peer: &Peer) -> Option<&[u8]> {
    match peer {
        Peer::Device(d) => Some(&d.0[..]),
        Peer::Relay => None,
    }
}

/// The columns of `entries` that make an [`EntryMeta`], in this order.
const META_COLUMNS: &str =
    "pos, device, seq, doc, doc_seq, cp_part, cp_parts, cp_covers, source, size";

type MetaRow = (
    i64,
    Vec<u8>,
    i64,
    Vec<u8>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    i64,
);

fn meta_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MetaRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

impl SqliteStore {
    /// The file name inside the relay's data directory.
    pub const FILE_NAME: &'static str = "relay.sqlite3";

    /// Opens (or creates, or migrates) the database at `path`. Blocks on disk; a
    /// migration that must switch on incremental vacuum rewrites the file once.
    pub fn open_blocking(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, super::reserve::Reserve::open(path))
    }

    /// [`SqliteStore::open_blocking`] without the disk reserve (see `reserve`), for a
    /// harness that opens a fresh store per input.
    pub fn open_blocking_without_reserve(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, super::reserve::Reserve::disabled())
    }

    fn open_with(path: &Path, reserve: super::reserve::Reserve) -> Result<SqliteStore, StoreError> {
        let path = path.to_path_buf();
        let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut store = SqliteStore {
            conn,
            path,
            in_tx: false,
            reserve,
        };
        store.init()?;
        Ok(store)
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    #[allow(
        clippy::needless_pass_by_value,
        reason = "called as `map_err(|e| self.corrupt(.., e))`"
    )]
    fn corrupt(&self, what: &'static str, detail: impl ToString) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what,
            detail: detail.to_string(),
        }
    }

    fn init(&mut self) -> Result<(), StoreError> {
        let e = self.sql();
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&e)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: version,
            });
        }
        if version == 0 {
            // Only possible before the first table exists.
            self.conn
                .execute_batch("PRAGMA auto_vacuum=INCREMENTAL")
                .map_err(&e)?;
        }
        // WAL with FULL sync: a commit that returned survives power loss, which is what an
        // `Ack` promises. No mmap: an I/O error must surface as an error, not a signal.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(&e)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(self.corrupt("journal mode", format!("WAL refused ({mode})")));
        }
        self.conn
            .execute_batch("PRAGMA synchronous=FULL; PRAGMA mmap_size=0; PRAGMA busy_timeout=5000;")
            .map_err(&e)?;
        if version < SCHEMA_VERSION {
            self.migrate(version)?;
        }
        let auto_vacuum: i64 = self
            .conn
            .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
            .map_err(self.sql())?;
        if auto_vacuum != 2 {
            tracing::info!(path = %self.path.display(), "switching the relay database to incremental vacuum (rewrites the file once)");
            self.conn
                .execute_batch("PRAGMA auto_vacuum=INCREMENTAL; VACUUM;")
                .map_err(self.sql())?;
        }
        Ok(())
    }

    /// Runs the migrations after `from`, all in one transaction.
    fn migrate(&self, from: i64) -> Result<(), StoreError> {
        let e = self.sql();
        let tx = self.conn.unchecked_transaction().map_err(&e)?;
        for (to, sql) in (from + 1..).zip(&MIGRATIONS[usize::try_from(from).unwrap_or(0)..]) {
            tx.execute_batch(sql).map_err(&e)?;
            if to == 2 {
                let archived: i64 = tx
                    .query_row("SELECT COUNT(*) FROM envelopes_v1", [], |r| r.get(0))
                    .map_err(&e)?;
                if archived == 0 {
                    tx.execute_batch("DROP TABLE envelopes_v1").map_err(&e)?;
                } else {
                    tracing::warn!(
                        archived,
                        "sync protocol 1 envelopes archived in table envelopes_v1 and no longer served: updated devices upload what they hold again"
                    );
                }
            }
        }
        tx.execute_batch(&format!("PRAGMA user_version={SCHEMA_VERSION}"))
            .map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(())
    }

    /// Deletes the rows of `table` (which has an `expires_ms` column) that expired before
    /// `now_ms`; opens the batch's transaction only when there is one.
    fn delete_expired(&mut self, table: &'static str, now_ms: i64) -> Result<(), StoreError> {
        let any: bool = self
            .conn
            .query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE expires_ms < ?1)"),
                [now_ms],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        if any {
            self.write()?;
            self.conn
                .execute(
                    &format!("DELETE FROM {table} WHERE expires_ms < ?1"),
                    [now_ms],
                )
                .map_err(self.sql())?;
        }
        Ok(())
    }

    /// Starts the batch's transaction on its first write.
    fn write(&mut self) -> Result<(), StoreError> {
        if !self.in_tx {
            // Releases the reserve before this batch writes if the disk is nearly full.
            self.reserve.low();
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(self.sql())?;
            self.in_tx = true;
        }
        Ok(())
    }

    fn load_ops(&self) -> Result<BTreeMap<WorkspaceId, Vec<SignedOp>>, StoreError> {
        let e = self.sql();
        let mut out: BTreeMap<WorkspaceId, Vec<SignedOp>> = BTreeMap::new();
        let mut ids = self.conn.prepare("SELECT id FROM workspaces").map_err(&e)?;
        for id in ids.query_map([], |r| r.get::<_, Vec<u8>>(0)).map_err(&e)? {
            let id = WorkspaceId(self.array(&id.map_err(&e)?, "workspace id")?);
            out.insert(id, Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT workspace, idx, op FROM membership ORDER BY workspace, idx")
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (ws, idx, bytes) = row.map_err(&e)?;
            let ws = WorkspaceId(self.array(&ws, "workspace id")?);
            let ops = out
                .get_mut(&ws)
                .ok_or_else(|| self.corrupt("membership op", "of an unknown workspace"))?;
            if usize::try_from(idx).ok() != Some(ops.len()) {
                return Err(self.corrupt("membership log", format!("gap before op #{idx}")));
            }
            let op: SignedOp =
                postcard::from_bytes(&bytes).map_err(|err| self.corrupt("membership op", err))?;
            ops.push(op);
        }
        Ok(out)
    }

    fn array<const N: usize>(
        &self,
        bytes: &[u8],
        what: &'static str,
    ) -> Result<[u8; N], StoreError> {
        bytes
            .try_into()
            .map_err(|_| self.corrupt(what, format!("{} bytes", bytes.len())))
    }

    fn unsigned(&self, n: i64, what: &'static str) -> Result<u64, StoreError> {
        u64::try_from(n).map_err(|err| self.corrupt(what, err))
    }

    fn meta(&self, row: MetaRow) -> Result<EntryMeta, StoreError> {
        let (pos, device, seq, doc, doc_seq, cp_part, cp_parts, cp_covers, source, size) = row;
        let kind = match (doc_seq, cp_part, cp_parts, cp_covers) {
            (Some(doc_seq), ..) => Kind::Changes {
                doc_seq: self.unsigned(doc_seq, "doc_seq")?,
            },
            (None, Some(part), Some(parts), Some(covers)) => Kind::Checkpoint(CheckpointPart {
                covers: postcard::from_bytes(&covers)
                    .map_err(|err| self.corrupt("checkpoint coverage", err))?,
                part: u32::try_from(part).map_err(|err| self.corrupt("checkpoint part", err))?,
                parts: u32::try_from(parts).map_err(|err| self.corrupt("checkpoint part", err))?,
            }),
            _ => return Err(self.corrupt("envelope row", "neither changes nor checkpoint")),
        };
        let header = Header::new(
            DocumentId(self.array(&doc, "document id")?),
            0,
            DeviceId(self.array(&device, "device id")?),
            self.unsigned(seq, "sequence number")?,
            kind,
            0,
        );
        let source = match source {
            Some(d) => Peer::Device(DeviceId(self.array(&d, "device id")?)),
            None => Peer::Relay,
        };
        Ok(EntryMeta {
            pos: self.unsigned(pos, "position")?,
            header,
            source,
            size: self.unsigned(size, "size")?,
        })
    }

    fn add_usage(&self, ws: &WorkspaceId, delta: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE workspaces SET bytes_used = MAX(0, bytes_used + ?2) WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![&ws.0[..], delta]))
            .map_err(self.sql())?;
        Ok(())
    }

    fn set_head(&self, ws: &WorkspaceId, head: u64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE workspaces SET head = MAX(head, ?2) WHERE id = ?1")
            .and_then(|mut s| s.execute(params![&ws.0[..], to_sql(head)]))
            .map_err(self.sql())?;
        Ok(())
    }

    /// Deletes with `sql` (a `DELETE … RETURNING size`) and sums the sizes.
    fn delete_sizes(&self, sql: &str, args: impl rusqlite::Params) -> Result<u64, StoreError> {
        let e = self.sql();
        let mut stmt = self.conn.prepare_cached(sql).map_err(&e)?;
        let mut rows = stmt.query(args).map_err(&e)?;
        let mut freed = 0u64;
        while let Some(row) = rows.next().map_err(&e)? {
            freed += u64::try_from(row.get::<_, i64>(0).map_err(&e)?).unwrap_or(0);
        }
        Ok(freed)
    }
}

impl RelayStore for SqliteStore {
    type Error = StoreError;

    fn load(&mut self) -> Result<Vec<StoredWorkspace>, StoreError> {
        let e = self.sql();
        let ops = self.load_ops()?;
        let mut out: BTreeMap<WorkspaceId, StoredWorkspace> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, bytes_used, log_id, MAX(head, COALESCE((SELECT MAX(pos) FROM entries WHERE workspace = id), 0)) FROM workspaces",
            )
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (ws, bytes_used, log_id, head) = row.map_err(&e)?;
            let id = WorkspaceId(self.array(&ws, "workspace id")?);
            let log_id = log_id.ok_or_else(|| self.corrupt("log id", "missing"))?;
            out.insert(
                id,
                StoredWorkspace {
                    id,
                    ops: ops.get(&id).cloned().unwrap_or_default(),
                    log_id: self.array(&log_id, "log id")?,
                    head: self.unsigned(head, "head")?,
                    bytes_used: u64::try_from(bytes_used).unwrap_or(0),
                    checkpoint_parts: Vec::new(),
                    verdicts: Vec::new(),
                },
            );
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT workspace, {META_COLUMNS} FROM entries WHERE cp_seq IS NOT NULL ORDER BY workspace, pos"
            ))
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| {
                let ws: Vec<u8> = r.get(0)?;
                let meta: MetaRow = (
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                );
                Ok((ws, meta))
            })
            .map_err(&e)?;
        for row in rows {
            let (ws, meta) = row.map_err(&e)?;
            let ws = WorkspaceId(self.array(&ws, "workspace id")?);
            let meta = self.meta(meta)?;
            if let Some(w) = out.get_mut(&ws) {
                w.checkpoint_parts.push(meta.header);
            }
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT workspace, doc, author, cp_seq, verifier, ok FROM verdicts ORDER BY rowid",
            )
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (ws, doc, author, cp_seq, verifier, ok) = row.map_err(&e)?;
            let ws = WorkspaceId(self.array(&ws, "workspace id")?);
            let verdict = Verdict {
                doc: DocumentId(self.array(&doc, "document id")?),
                checkpoint: CheckpointId {
                    author: DeviceId(self.array(&author, "device id")?),
                    seq: self.unsigned(cp_seq, "checkpoint id")?,
                },
                ok,
            };
            let from = DeviceId(self.array(&verifier, "device id")?);
            if let Some(w) = out.get_mut(&ws) {
                w.verdicts.push((from, verdict));
            }
        }
        Ok(out.into_values().collect())
    }

    fn create_workspace(
        &mut self,
        ws: &WorkspaceId,
        log_id: &LogId,
        ops: &[SignedOp],
    ) -> Result<(), StoreError> {
        self.write()?;
        self.conn
            .prepare_cached("INSERT INTO workspaces (id, log_id) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![&ws.0[..], &log_id[..]]))
            .map_err(self.sql())?;
        self.append_ops(ws, 0, ops)
    }

    fn append_ops(
        &mut self,
        ws: &WorkspaceId,
        start: u64,
        ops: &[SignedOp],
    ) -> Result<(), StoreError> {
        self.write()?;
        let e = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached("INSERT INTO membership (workspace, idx, op) VALUES (?1, ?2, ?3)")
            .map_err(&e)?;
        for (idx, op) in (start..).zip(ops) {
            let bytes = postcard::to_allocvec(op).map_err(|err| StoreError::Corrupt {
                path: self.path.clone(),
                what: "membership op",
                detail: err.to_string(),
            })?;
            stmt.execute(params![&ws.0[..], to_sql(idx), bytes])
                .map_err(&e)?;
        }
        Ok(())
    }

    fn append_envelope(
        &mut self,
        ws: &WorkspaceId,
        pos: u64,
        envelope: &Envelope,
        source: &Peer,
    ) -> Result<u64, StoreError> {
        self.write()?;
        let bytes = envelope.encode();
        let size = bytes.len() as u64;
        let h = envelope.header();
        let (cp_seq, cp_part, cp_parts, cp_covers) = match h.checkpoint() {
            Some((id, part)) => (
                Some(to_sql(id.seq)),
                Some(i64::from(part.part)),
                Some(i64::from(part.parts)),
                Some(
                    postcard::to_allocvec(&part.covers)
                        .map_err(|err| self.corrupt("checkpoint coverage", err))?,
                ),
            ),
            None => (None, None, None, None),
        };
        self.conn
            .prepare_cached(
                "INSERT INTO entries (workspace, pos, device, seq, doc, doc_seq, cp_seq, cp_part, cp_parts, cp_covers, source, size, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &ws.0[..],
                    to_sql(pos),
                    &h.device.0[..],
                    to_sql(h.seq),
                    &h.doc.0[..],
                    h.doc_seq().map(to_sql),
                    cp_seq,
                    cp_part,
                    cp_parts,
                    cp_covers,
                    source_blob(source),
                    to_sql(size),
                    bytes
                ])
            })
            .map_err(self.sql())?;
        self.conn
            .prepare_cached(
                "UPDATE workspaces SET bytes_used = bytes_used + ?2, head = MAX(head, ?3) WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![&ws.0[..], to_sql(size), to_sql(pos)]))
            .map_err(self.sql())?;
        Ok(size)
    }

    fn contains(&self, ws: &WorkspaceId, device: &DeviceId, seq: u64) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM entries WHERE workspace = ?1 AND device = ?2 AND seq = ?3)",
            )
            .and_then(|mut s| {
                s.query_row(params![&ws.0[..], &device.0[..], to_sql(seq)], |r| r.get(0))
            })
            .map_err(self.sql())
    }

    fn read_after(
        &self,
        ws: &WorkspaceId,
        after: u64,
        max_bytes: usize,
        skip: &mut dyn FnMut(&EntryMeta) -> bool,
    ) -> Result<ReadBatch, StoreError> {
        let e = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {META_COLUMNS} FROM entries WHERE workspace = ?1 AND pos > ?2 ORDER BY pos"
            ))
            .map_err(&e)?;
        let mut bytes_stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM entries WHERE workspace = ?1 AND pos = ?2")
            .map_err(&e)?;
        let rows = stmt
            .query_map(params![&ws.0[..], to_sql(after)], meta_row)
            .map_err(&e)?;
        let mut batch = ReadBatch::default();
        let mut bytes = 0u64;
        for row in rows {
            let meta = self.meta(row.map_err(&e)?)?;
            if skip(&meta) {
                continue;
            }
            if !batch.entries.is_empty() && bytes + meta.size > max_bytes as u64 {
                batch.stopped_at = Some(meta.pos);
                break;
            }
            bytes += meta.size;
            let blob: Vec<u8> = bytes_stmt
                .query_row(params![&ws.0[..], to_sql(meta.pos)], |r| r.get(0))
                .map_err(&e)?;
            let env = Envelope::decode(&blob).map_err(|err| self.corrupt("envelope", err))?;
            batch.entries.push((meta.pos, env));
        }
        Ok(batch)
    }

    fn metas_after(&self, ws: &WorkspaceId, after: u64) -> Result<Vec<EntryMeta>, StoreError> {
        let e = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {META_COLUMNS} FROM entries WHERE workspace = ?1 AND pos > ?2 ORDER BY pos"
            ))
            .map_err(&e)?;
        let rows = stmt
            .query_map(params![&ws.0[..], to_sql(after)], meta_row)
            .map_err(&e)?;
        rows.map(|row| self.meta(row.map_err(&e)?)).collect()
    }

    fn doc_changes(
        &self,
        ws: &WorkspaceId,
        doc: &DocumentId,
    ) -> Result<Vec<(DeviceId, u64, u64)>, StoreError> {
        let e = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT device, doc_seq, size FROM entries WHERE workspace = ?1 AND doc = ?2 AND doc_seq IS NOT NULL",
            )
            .map_err(&e)?;
        let rows = stmt
            .query_map(params![&ws.0[..], &doc.0[..]], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(&e)?;
        rows.map(|row| {
            let (device, doc_seq, size) = row.map_err(&e)?;
            Ok((
                DeviceId(self.array(&device, "device id")?),
                self.unsigned(doc_seq, "doc_seq")?,
                self.unsigned(size, "size")?,
            ))
        })
        .collect()
    }

    fn reannounce(
        &mut self,
        ws: &WorkspaceId,
        doc: &DocumentId,
        covers: &VersionVector,
        head: u64,
    ) -> Result<u64, StoreError> {
        self.write()?;
        let e = self.sql();
        let mut positions = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT pos FROM entries WHERE workspace = ?1 AND doc = ?2 AND device = ?3 AND doc_seq <= ?4",
                )
                .map_err(&e)?;
            for (author, doc_seq) in covers.iter() {
                let rows = stmt
                    .query_map(
                        params![&ws.0[..], &doc.0[..], &author.0[..], to_sql(*doc_seq)],
                        |r| r.get::<_, i64>(0),
                    )
                    .map_err(&e)?;
                for pos in rows {
                    positions.push(pos.map_err(&e)?);
                }
            }
        }
        positions.sort_unstable();
        let mut head = head;
        {
            let mut stmt = self
                .conn
                .prepare_cached("UPDATE entries SET pos = ?3 WHERE workspace = ?1 AND pos = ?2")
                .map_err(&e)?;
            for old in positions {
                head += 1;
                stmt.execute(params![&ws.0[..], old, to_sql(head)])
                    .map_err(&e)?;
            }
        }
        self.set_head(ws, head)?;
        Ok(head)
    }

    fn delete_swept(
        &mut self,
        ws: &WorkspaceId,
        doc: &DocumentId,
        sweep: &Sweep,
    ) -> Result<u64, StoreError> {
        self.write()?;
        let mut freed = 0;
        for (author, doc_seq) in sweep.envelopes.iter() {
            freed += self.delete_sizes(
                "DELETE FROM entries WHERE workspace = ?1 AND doc = ?2 AND device = ?3 AND doc_seq <= ?4 RETURNING size",
                params![&ws.0[..], &doc.0[..], &author.0[..], to_sql(*doc_seq)],
            )?;
        }
        for id in &sweep.checkpoints {
            freed += self.delete_sizes(
                "DELETE FROM entries WHERE workspace = ?1 AND device = ?2 AND cp_seq = ?3 RETURNING size",
                params![&ws.0[..], &id.author.0[..], to_sql(id.seq)],
            )?;
            self.conn
                .prepare_cached(
                    "DELETE FROM verdicts WHERE workspace = ?1 AND author = ?2 AND cp_seq = ?3",
                )
                .and_then(|mut s| s.execute(params![&ws.0[..], &id.author.0[..], to_sql(id.seq)]))
                .map_err(self.sql())?;
        }
        if freed > 0 {
            self.add_usage(ws, -to_sql(freed))?;
        }
        Ok(freed)
    }

    fn put_verdict(
        &mut self,
        ws: &WorkspaceId,
        from: &DeviceId,
        verdict: &Verdict,
    ) -> Result<(), StoreError> {
        self.write()?;
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO verdicts (workspace, doc, author, cp_seq, verifier, ok) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &ws.0[..],
                    &verdict.doc.0[..],
                    &verdict.checkpoint.author.0[..],
                    to_sql(verdict.checkpoint.seq),
                    &from.0[..],
                    verdict.ok
                ])
            })
            .map_err(self.sql())?;
        Ok(())
    }

    fn cursor(&self, ws: &WorkspaceId, device: &DeviceId, log: &LogId) -> Result<u64, StoreError> {
        let pos: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT pos FROM cursors WHERE workspace = ?1 AND device = ?2 AND log_id = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![&ws.0[..], &device.0[..], &log[..]], |r| r.get(0))
                    .optional()
            })
            .map_err(self.sql())?;
        Ok(pos.map_or(0, |p| u64::try_from(p).unwrap_or(0)))
    }

    fn set_cursor(
        &mut self,
        ws: &WorkspaceId,
        device: &DeviceId,
        log: &LogId,
        pos: u64,
    ) -> Result<(), StoreError> {
        self.write()?;
        self.conn
            .prepare_cached(
                "INSERT INTO cursors (workspace, device, log_id, pos) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (workspace, device, log_id) DO UPDATE SET pos = excluded.pos",
            )
            .and_then(|mut s| s.execute(params![&ws.0[..], &device.0[..], &log[..], to_sql(pos)]))
            .map_err(self.sql())?;
        Ok(())
    }

    fn put_join(&mut self, ws: &WorkspaceId, join: &PendingJoin) -> Result<(), StoreError> {
        self.write()?;
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO join_requests (workspace, invite, device, expires_ms, request) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &ws.0[..],
                    &join.invite.0[..],
                    &join.device.0[..],
                    join.expires_ms,
                    join.request
                ])
            })
            .map_err(self.sql())?;
        Ok(())
    }

    fn joins(&self, ws: &WorkspaceId) -> Result<Vec<PendingJoin>, StoreError> {
        let e = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT invite, device, expires_ms, request FROM join_requests WHERE workspace = ?1 ORDER BY rowid",
            )
            .map_err(&e)?;
        let rows = stmt
            .query_map([&ws.0[..]], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .map_err(&e)?;
        let mut out = Vec::new();
        for row in rows {
            let (invite, device, expires_ms, request) = row.map_err(&e)?;
            out.push(PendingJoin {
                invite: InviteId(self.array(&invite, "invite id")?),
                device: DeviceId(self.array(&device, "device id")?),
                expires_ms,
                request,
            });
        }
        Ok(out)
    }

    fn delete_joins(&mut self, ws: &WorkspaceId, invite: &InviteId) -> Result<(), StoreError> {
        self.write()?;
        self.conn
            .prepare_cached("DELETE FROM join_requests WHERE workspace = ?1 AND invite = ?2")
            .and_then(|mut s| s.execute(params![&ws.0[..], &invite.0[..]]))
            .map_err(self.sql())?;
        Ok(())
    }

    fn delete_expired_joins(&mut self, now_ms: i64) -> Result<(), StoreError> {
        self.delete_expired("join_requests", now_ms)
    }

    fn put_ticket(&mut self, t: &IssuedTicket) -> Result<(), StoreError> {
        self.write()?;
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO tickets (id, workspace, device, log_id, secret, counter, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &t.ticket.id[..],
                    &t.workspace.0[..],
                    &t.device.0[..],
                    &t.log[..],
                    &t.ticket.secret[..],
                    to_sql(t.counter),
                    t.expires_ms
                ])
            })
            .map_err(self.sql())?;
        Ok(())
    }

    fn ticket(&self, id: &[u8; 16]) -> Result<Option<IssuedTicket>, StoreError> {
        let e = self.sql();
        let row = self
            .conn
            .prepare_cached(
                "SELECT workspace, device, log_id, secret, counter, expires_ms FROM tickets WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([&id[..]], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })
                .optional()
            })
            .map_err(&e)?;
        let Some((ws, device, log, secret, counter, expires_ms)) = row else {
            return Ok(None);
        };
        Ok(Some(IssuedTicket {
            ticket: Ticket {
                id: *id,
                secret: self.array(&secret, "ticket secret")?,
            },
            workspace: WorkspaceId(self.array(&ws, "workspace id")?),
            device: DeviceId(self.array(&device, "device id")?),
            log: self.array(&log, "log id")?,
            counter: self.unsigned(counter, "ticket counter")?,
            expires_ms,
        }))
    }

    fn set_ticket_counter(&mut self, id: &[u8; 16], counter: u64) -> Result<(), StoreError> {
        self.write()?;
        self.conn
            .prepare_cached("UPDATE tickets SET counter = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![&id[..], to_sql(counter)]))
            .map_err(self.sql())?;
        Ok(())
    }

    fn delete_expired_tickets(&mut self, now_ms: i64) -> Result<(), StoreError> {
        self.delete_expired("tickets", now_ms)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        if self.in_tx {
            if let Err(source) = self.conn.execute_batch("COMMIT") {
                if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
                    self.reserve.release();
                }
                return Err(self.sql()(source));
            }
            self.in_tx = false;
        }
        Ok(())
    }

    fn disk_low(&mut self) -> bool {
        self.reserve.low()
    }

    fn rollback(&mut self) {
        // A COMMIT that failed on a full disk or an I/O error was already rolled back by
        // SQLite: nothing is left to roll back.
        if self.in_tx
            && !self.conn.is_autocommit()
            && let Err(err) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(%err, "rollback failed (SQLite may have rolled back already)");
        }
        self.in_tx = false;
    }

    fn reclaim_space(&mut self) -> Result<(), StoreError> {
        self.commit()?;
        // Free pages move to the end of the file and are cut off; the checkpoint then
        // folds the WAL (which just received those pages) into the file and empties it,
        // so the data folder shrinks now rather than at some later checkpoint.
        let e = self.sql();
        // Each step of this pragma frees one page: step it to the end.
        let mut stmt = self.conn.prepare("PRAGMA incremental_vacuum").map_err(&e)?;
        let mut rows = stmt.query([]).map_err(&e)?;
        while rows.next().map_err(&e)?.is_some() {}
        drop(rows);
        drop(stmt);
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(&e)
    }

    fn close(mut self) -> Result<(), StoreError> {
        self.commit()?;
        // Fold the WAL into the main file so a stopped relay leaves one file behind.
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(self.sql())?;
        let path = self.path.clone();
        self.conn
            .close()
            .map_err(|(_, source)| StoreError::Sqlite { path, source })
    }
}

#[cfg(test)]
mod tests {
    use meridian_sync::{DeviceKeys, EpochKey, MembershipLog};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const DOC: DocumentId = DocumentId([1; 16]);

    struct Fixture {
        ws: WorkspaceId,
        keys: DeviceKeys,
        key: EpochKey,
        log: MembershipLog,
        rng: StdRng,
    }

    fn fixture() -> Fixture {
        let mut rng = StdRng::seed_from_u64(7);
        let ws = WorkspaceId([3; 16]);
        let keys = DeviceKeys::generate(&mut rng);
        let key = EpochKey::generate(&mut rng);
        let log = MembershipLog::create(&keys, ws, "W", "Ada", &key, 0, &mut rng).expect("log");
        Fixture {
            ws,
            keys,
            key,
            log,
            rng,
        }
    }

    fn envelope(f: &mut Fixture, seq: u64, body: &[u8]) -> Envelope {
        let header = Header::changes(DOC, 1, f.keys.id(), seq, seq, 0);
        Envelope::seal(&f.ws, header, body, &f.keys, &f.key, &mut f.rng).expect("seal")
    }

    fn checkpoint(f: &mut Fixture, seq: u64, covers: u64) -> Envelope {
        let mut v = VersionVector::new();
        v.set(f.keys.id(), covers);
        let kind = Kind::Checkpoint(CheckpointPart {
            covers: v,
            part: 0,
            parts: 1,
        });
        let header = Header::new(DOC, 1, f.keys.id(), seq, kind, 0);
        Envelope::seal(&f.ws, header, b"saved", &f.keys, &f.key, &mut f.rng).expect("seal")
    }

    fn open(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open_blocking(&dir.path().join(SqliteStore::FILE_NAME)).expect("open")
    }

    fn all(store: &SqliteStore, ws: &WorkspaceId) -> Vec<(u64, Envelope)> {
        store
            .read_after(ws, 0, usize::MAX, &mut |_| false)
            .expect("read")
            .entries
    }

    const ME: Peer = Peer::Relay;

    #[test]
    fn only_committed_writes_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("dir");
        let mut f = fixture();
        let (e1, e2, cp) = (
            envelope(&mut f, 1, b"one"),
            envelope(&mut f, 2, b"two"),
            checkpoint(&mut f, 3, 1),
        );
        let mut store = open(&dir);
        store
            .create_workspace(&f.ws, &[9; 16], f.log.ops())
            .expect("create");
        let mut used = store.append_envelope(&f.ws, 1, &e1, &ME).expect("append");
        used += store.append_envelope(&f.ws, 2, &cp, &ME).expect("append");
        store
            .set_cursor(&f.ws, &f.keys.id(), &[5; 16], 7)
            .expect("cursor");
        let verdict = Verdict {
            doc: DOC,
            checkpoint: CheckpointId {
                author: f.keys.id(),
                seq: 3,
            },
            ok: true,
        };
        store
            .put_verdict(&f.ws, &f.keys.id(), &verdict)
            .expect("verdict");
        store.commit().expect("commit");
        store.append_envelope(&f.ws, 3, &e2, &ME).expect("append");
        store.rollback();
        drop(store);

        let mut store = open(&dir);
        let loaded = store.load().expect("load");
        assert_eq!(loaded.len(), 1);
        let w = &loaded[0];
        assert_eq!((w.id, w.log_id, w.head), (f.ws, [9; 16], 2));
        assert_eq!(w.ops, f.log.ops());
        assert_eq!(w.bytes_used, used);
        assert_eq!(w.checkpoint_parts.len(), 1);
        assert_eq!(w.checkpoint_parts[0].checkpoint().expect("part").0.seq, 3);
        assert_eq!(w.verdicts, vec![(f.keys.id(), verdict)]);
        assert_eq!(all(&store, &f.ws), vec![(1, e1), (2, cp)]);
        assert_eq!(store.cursor(&f.ws, &f.keys.id(), &[5; 16]).expect("c"), 7);
        assert_eq!(store.cursor(&f.ws, &f.keys.id(), &[6; 16]).expect("c"), 0);
        assert!(store.contains(&f.ws, &f.keys.id(), 1).expect("contains"));
        assert!(!store.contains(&f.ws, &f.keys.id(), 2).expect("contains"));
    }

    #[test]
    fn reads_skip_and_stop_at_the_byte_budget_but_return_at_least_one() {
        let dir = tempfile::tempdir().expect("dir");
        let mut f = fixture();
        let mut store = open(&dir);
        store
            .create_workspace(&f.ws, &[1; 16], f.log.ops())
            .expect("create");
        for seq in 1..=5 {
            let env = envelope(&mut f, seq, &[0u8; 1000]);
            store
                .append_envelope(&f.ws, seq, &env, &ME)
                .expect("append");
        }
        let mut odd = |m: &EntryMeta| m.pos % 2 == 1;
        let one = store.read_after(&f.ws, 1, 1, &mut odd).expect("read");
        assert_eq!(one.entries.len(), 1);
        assert_eq!(one.entries[0].0, 2);
        assert_eq!(one.stopped_at, Some(4));
        let rest = store.read_after(&f.ws, 1, 1 << 20, &mut odd).expect("read");
        let positions: Vec<u64> = rest.entries.iter().map(|(p, _)| *p).collect();
        assert_eq!((positions, rest.stopped_at), (vec![2, 4], None));
    }

    #[test]
    fn reannounce_moves_and_sweep_deletes_and_frees() {
        let dir = tempfile::tempdir().expect("dir");
        let mut f = fixture();
        let mut store = open(&dir);
        store
            .create_workspace(&f.ws, &[1; 16], f.log.ops())
            .expect("create");
        let mut total = 0;
        for seq in 1..=4 {
            let env = envelope(&mut f, seq, &[0u8; 100]);
            total += store
                .append_envelope(&f.ws, seq, &env, &ME)
                .expect("append");
        }
        let mut covers = VersionVector::new();
        covers.set(f.keys.id(), 2);
        assert_eq!(store.reannounce(&f.ws, &DOC, &covers, 4).expect("move"), 6);
        let order: Vec<(u64, u64)> = all(&store, &f.ws)
            .iter()
            .map(|(p, e)| (*p, e.header().seq))
            .collect();
        assert_eq!(order, vec![(3, 3), (4, 4), (5, 1), (6, 2)]);
        let sweep = Sweep {
            envelopes: covers,
            checkpoints: Vec::new(),
        };
        let freed = store.delete_swept(&f.ws, &DOC, &sweep).expect("sweep");
        assert!(freed > 0 && freed < total);
        assert_eq!(store.delete_swept(&f.ws, &DOC, &sweep).expect("again"), 0);
        store.commit().expect("commit");
        store.reclaim_space().expect("reclaim");
        let free: i64 = store
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .expect("freelist");
        assert_eq!(free, 0, "the freed pages were given back");
        let w = store.load().expect("load").remove(0);
        assert_eq!((w.head, w.bytes_used), (6, total - freed));
        assert_eq!(all(&store, &f.ws).len(), 2);
    }

    #[test]
    fn join_requests_are_kept_replaced_and_dropped() {
        let dir = tempfile::tempdir().expect("dir");
        let f = fixture();
        let mut store = open(&dir);
        store
            .create_workspace(&f.ws, &[1; 16], f.log.ops())
            .expect("create");
        let join = |invite: u8, expires_ms, request: &[u8]| PendingJoin {
            invite: InviteId([invite; 16]),
            device: f.keys.id(),
            expires_ms,
            request: request.to_vec(),
        };
        store.put_join(&f.ws, &join(1, 100, b"a")).expect("put");
        store.put_join(&f.ws, &join(1, 100, b"b")).expect("replace");
        store.put_join(&f.ws, &join(2, 10, b"c")).expect("put");
        assert_eq!(store.joins(&f.ws).expect("joins").len(), 2);
        store.delete_expired_joins(50).expect("expire");
        assert_eq!(store.joins(&f.ws).expect("joins"), vec![join(1, 100, b"b")]);
        store
            .delete_joins(&f.ws, &InviteId([1; 16]))
            .expect("delete");
        assert!(store.joins(&f.ws).expect("joins").is_empty());
    }

    #[test]
    fn a_new_file_uses_incremental_vacuum_and_the_current_schema() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(&dir);
        let (vacuum, version): (i64, i64) = store
            .conn
            .query_row(
                "SELECT (SELECT auto_vacuum FROM pragma_auto_vacuum), (SELECT user_version FROM pragma_user_version)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("pragmas");
        assert_eq!((vacuum, version), (2, SCHEMA_VERSION));
        let archive: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'envelopes_v1'",
                [],
                |r| r.get(0),
            )
            .expect("schema");
        assert_eq!(archive, 0, "an empty archive is not kept");
    }
}
