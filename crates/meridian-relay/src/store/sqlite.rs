//! The embedded store: one SQLite file (`relay.sqlite3`) for every workspace, WAL with
//! `synchronous=FULL`, one connection that is also the only writer. Writes open a
//! transaction lazily; [`RelayStore::commit`] ends it, so a whole batch of frames costs
//! one fsync.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meridian_sync::vector::SeqRange;
use meridian_sync::{DeviceId, Envelope, InviteId, SignedOp, VersionVector, WorkspaceId};
use rusqlite::{Connection, params};

use super::{PendingJoin, RelayStore, StoredWorkspace};

/// The schema version this build writes (`PRAGMA user_version`); migrations only append.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
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
    ) STRICT;";

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
}

impl SqliteStore {
    /// The file name inside the relay's data directory.
    pub const FILE_NAME: &'static str = "relay.sqlite3";

    /// Opens (or creates) the database at `path`. Blocks on disk.
    pub fn open_blocking(path: &Path) -> Result<SqliteStore, StoreError> {
        let path = path.to_path_buf();
        let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut store = SqliteStore {
            conn,
            path,
            in_tx: false,
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

    fn corrupt(&self, what: &'static str, detail: impl ToString) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what,
            detail: detail.to_string(),
        }
    }

    fn init(&mut self) -> Result<(), StoreError> {
        let e = self.sql();
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
        self.conn
            .execute_batch(&format!(
                "BEGIN; {SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(&e)?;
        Ok(())
    }

    /// Starts the batch's transaction on its first write.
    fn write(&mut self) -> Result<(), StoreError> {
        if !self.in_tx {
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
            let id = self.workspace_id(&id.map_err(&e)?)?;
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
            let ws = self.workspace_id(&ws)?;
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

    fn workspace_id(&self, bytes: &[u8]) -> Result<WorkspaceId, StoreError> {
        bytes
            .try_into()
            .map(WorkspaceId)
            .map_err(|_| self.corrupt("workspace id", format!("{} bytes", bytes.len())))
    }
}

fn seq_to_sql(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

impl RelayStore for SqliteStore {
    type Error = StoreError;

    fn load(&mut self) -> Result<Vec<StoredWorkspace>, StoreError> {
        let e = self.sql();
        let ops = self.load_ops()?;
        let mut vectors: BTreeMap<WorkspaceId, VersionVector> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT workspace, device, MAX(seq), COUNT(*) FROM envelopes GROUP BY workspace, device",
            )
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (ws, device, max, count) = row.map_err(&e)?;
            let ws = self.workspace_id(&ws)?;
            let device: [u8; 32] = device
                .as_slice()
                .try_into()
                .map_err(|_| self.corrupt("device id", format!("{} bytes", device.len())))?;
            if max != count {
                // Appends are always the next sequence number, so a run is contiguous.
                return Err(self.corrupt(
                    "envelope run",
                    format!("device holds {count} envelopes but the highest is {max}"),
                ));
            }
            let seq = u64::try_from(max).map_err(|err| self.corrupt("sequence number", err))?;
            vectors.entry(ws).or_default().set(DeviceId(device), seq);
        }
        let mut used: BTreeMap<WorkspaceId, u64> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT id, bytes_used FROM workspaces")
            .map_err(&e)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))
            .map_err(&e)?;
        for row in rows {
            let (ws, bytes) = row.map_err(&e)?;
            used.insert(self.workspace_id(&ws)?, u64::try_from(bytes).unwrap_or(0));
        }
        Ok(ops
            .into_iter()
            .map(|(id, ops)| StoredWorkspace {
                id,
                ops,
                vector: vectors.remove(&id).unwrap_or_default(),
                bytes_used: used.get(&id).copied().unwrap_or(0),
            })
            .collect())
    }

    fn create_workspace(&mut self, ws: &WorkspaceId, ops: &[SignedOp]) -> Result<(), StoreError> {
        self.write()?;
        self.conn
            .prepare_cached("INSERT INTO workspaces (id) VALUES (?1)")
            .and_then(|mut s| s.execute([&ws.0[..]]))
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
            stmt.execute(params![&ws.0[..], seq_to_sql(idx), bytes])
                .map_err(&e)?;
        }
        Ok(())
    }

    fn append_envelope(
        &mut self,
        ws: &WorkspaceId,
        envelope: &Envelope,
    ) -> Result<u64, StoreError> {
        self.write()?;
        let e = self.sql();
        let bytes = envelope.encode();
        let (device, seq) = envelope.key();
        let size = bytes.len() as u64;
        self.conn
            .prepare_cached(
                "INSERT INTO envelopes (workspace, device, seq, bytes) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![&ws.0[..], &device.0[..], seq_to_sql(seq), bytes]))
            .map_err(&e)?;
        self.conn
            .prepare_cached("UPDATE workspaces SET bytes_used = bytes_used + ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![&ws.0[..], seq_to_sql(size)]))
            .map_err(&e)?;
        Ok(size)
    }

    fn read_envelopes(
        &self,
        ws: &WorkspaceId,
        range: &SeqRange,
        max_bytes: usize,
    ) -> Result<Vec<Envelope>, StoreError> {
        let e = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT bytes FROM envelopes WHERE workspace = ?1 AND device = ?2 AND seq BETWEEN ?3 AND ?4 ORDER BY seq",
            )
            .map_err(&e)?;
        let mut rows = stmt
            .query(params![
                &ws.0[..],
                &range.device.0[..],
                seq_to_sql(range.first),
                seq_to_sql(range.last)
            ])
            .map_err(&e)?;
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(row) = rows.next().map_err(&e)? {
            let blob = row.get_ref(0).and_then(|v| Ok(v.as_blob()?)).map_err(&e)?;
            let env = Envelope::decode(blob).map_err(|err| self.corrupt("envelope", err))?;
            let size = env.encoded_len_bound();
            if !out.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            out.push(env);
        }
        Ok(out)
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
            let invite = invite
                .as_slice()
                .try_into()
                .map_err(|_| self.corrupt("invite id", "wrong length"))?;
            let device = device
                .as_slice()
                .try_into()
                .map_err(|_| self.corrupt("device id", "wrong length"))?;
            out.push(PendingJoin {
                invite: InviteId(invite),
                device: DeviceId(device),
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
        let any: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM join_requests WHERE expires_ms < ?1)",
                [now_ms],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        if any {
            self.write()?;
            self.conn
                .execute("DELETE FROM join_requests WHERE expires_ms < ?1", [now_ms])
                .map_err(self.sql())?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        if self.in_tx {
            self.conn.execute_batch("COMMIT").map_err(self.sql())?;
            self.in_tx = false;
        }
        Ok(())
    }

    fn rollback(&mut self) {
        if self.in_tx {
            if let Err(err) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(%err, "rollback failed (SQLite may have rolled back already)");
            }
            self.in_tx = false;
        }
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
    use meridian_sync::{DeviceKeys, DocumentId, EpochKey, Header, Kind, MembershipLog};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

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
        let header = Header::new(
            f.ws,
            DocumentId([1; 16]),
            1,
            f.keys.id(),
            seq,
            Kind::Changes,
            0,
        );
        Envelope::seal(header, body, &f.keys, &f.key, &mut f.rng).expect("seal")
    }

    #[test]
    fn only_committed_writes_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(SqliteStore::FILE_NAME);
        let mut f = fixture();
        let (e1, e2) = (envelope(&mut f, 1, b"one"), envelope(&mut f, 2, b"two"));
        let mut store = SqliteStore::open_blocking(&path).expect("open");
        store.create_workspace(&f.ws, f.log.ops()).expect("create");
        let used = store.append_envelope(&f.ws, &e1).expect("append");
        store.commit().expect("commit");
        store.append_envelope(&f.ws, &e2).expect("append");
        store.rollback();
        drop(store);

        let mut store = SqliteStore::open_blocking(&path).expect("reopen");
        let loaded = store.load().expect("load");
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].id, f.ws);
        assert_eq!(loaded[0].ops, f.log.ops());
        assert_eq!(loaded[0].vector.get(&f.keys.id()), 1);
        assert_eq!(loaded[0].bytes_used, used);
        let range = SeqRange {
            device: f.keys.id(),
            first: 1,
            last: 2,
        };
        assert_eq!(
            store.read_envelopes(&f.ws, &range, 1 << 20).expect("read"),
            vec![e1]
        );
    }

    #[test]
    fn reads_stop_at_the_byte_budget_but_return_at_least_one() {
        let dir = tempfile::tempdir().expect("dir");
        let mut f = fixture();
        let mut store =
            SqliteStore::open_blocking(&dir.path().join(SqliteStore::FILE_NAME)).expect("open");
        store.create_workspace(&f.ws, f.log.ops()).expect("create");
        for seq in 1..=5 {
            let env = envelope(&mut f, seq, &[0u8; 1000]);
            store.append_envelope(&f.ws, &env).expect("append");
        }
        let range = SeqRange {
            device: f.keys.id(),
            first: 2,
            last: 5,
        };
        let one = store.read_envelopes(&f.ws, &range, 1).expect("read");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].header().seq, 2);
        let some = store.read_envelopes(&f.ws, &range, 3000).expect("read");
        assert_eq!(some.len(), 2);
        assert_eq!(
            store
                .read_envelopes(&f.ws, &range, 1 << 20)
                .expect("read")
                .len(),
            4
        );
    }

    #[test]
    fn join_requests_are_kept_replaced_and_dropped() {
        let dir = tempfile::tempdir().expect("dir");
        let f = fixture();
        let mut store =
            SqliteStore::open_blocking(&dir.path().join(SqliteStore::FILE_NAME)).expect("open");
        store.create_workspace(&f.ws, f.log.ops()).expect("create");
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
}
