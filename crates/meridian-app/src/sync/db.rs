//! This device's sync state, in `sync.db` beside the workspace database: every envelope
//! it holds (its own and others'), the heads of each document already sealed into an
//! envelope, the membership log, the invites it created, and what the relay acknowledged.
//!
//! The outbox is not a separate queue: a document's stored heads that its sealed heads do
//! not cover are changes still to seal, so a crash between the document's commit and the
//! sealing loses nothing; the next sealing pass picks them up.

use std::path::{Path, PathBuf};

use automerge::ChangeHash;
use meridian_sync::vector::SeqRange;
use meridian_sync::{DeviceId, Envelope, EnvelopeLog, MembershipLog, VersionVector};
use rusqlite::{Connection, OptionalExtension, params};

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS envelopes (
        device  BLOB NOT NULL,
        seq     INTEGER NOT NULL,
        doc     TEXT NOT NULL,
        bytes   BLOB NOT NULL,
        applied INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (device, seq)
    ) STRICT;
    CREATE TABLE IF NOT EXISTS sealed (
        doc   TEXT PRIMARY KEY,
        heads BLOB NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS invites (
        id         TEXT PRIMARY KEY,
        code       TEXT NOT NULL,
        expires_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS join_requests (
        device TEXT PRIMARY KEY,
        bytes  BLOB NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS kv (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;";

/// A failure of `sync.db`.
#[derive(Debug, thiserror::Error)]
#[error("the sync database {path} failed: {source}")]
pub struct DbError {
    path: PathBuf,
    source: Box<dyn std::error::Error + Send + Sync>,
}

/// Keys of the `kv` table.
pub mod key {
    pub const MEMBERSHIP: &str = "membership";
    pub const RELAY: &str = "relay_url";
    /// SHA-256 of the relay's TLS certificate (`wss://` relays).
    pub const RELAY_PIN: &str = "relay_cert_pin";
    /// The invite this device is joining with, until the join finished.
    pub const JOINING: &str = "joining";
    /// Set once the relay queued this device's join request.
    pub const JOIN_SENT: &str = "join_sent";
    pub const REGISTERED: &str = "registered";
    /// How many of this device's envelopes the relay acknowledged, for status offline.
    pub const RELAY_HAS_MINE: &str = "relay_has_mine";
    pub const LAST_CONTACT: &str = "last_contact_ms";
    pub const LAST_ERROR: &str = "last_error";
    pub const MANUAL_APPROVAL: &str = "manual_approval";
    /// Where this device keeps its secret keys: `keychain` or `file`.
    pub const DEVICE_KEY_STORE: &str = "device_key_store";
}

/// `sync.db`, opened by one owner at a time (the sync engine holds it behind a lock).
#[derive(Debug)]
pub struct SyncDb {
    path: PathBuf,
    conn: Connection,
    vector: VersionVector,
}

fn heads_bytes(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn heads_of(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| <[u8; 32]>::try_from(c).ok().map(ChangeHash))
        .collect()
}

impl SyncDb {
    pub fn open(path: &Path) -> Result<SyncDb, DbError> {
        let err = |e: rusqlite::Error| DbError {
            path: path.to_owned(),
            source: Box::new(e),
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
        )
        .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        let mut vector = VersionVector::new();
        {
            let mut stmt = conn
                .prepare("SELECT device, MAX(seq) FROM envelopes GROUP BY device")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))
                .map_err(err)?;
            for row in rows {
                let (device, seq) = row.map_err(err)?;
                if let Ok(d) = <[u8; 32]>::try_from(device.as_slice()) {
                    vector.set(DeviceId(d), u64::try_from(seq).unwrap_or(0));
                }
            }
        }
        Ok(SyncDb {
            path: path.to_owned(),
            conn,
            vector,
        })
    }

    fn err(&self, e: impl std::error::Error + Send + Sync + 'static) -> DbError {
        DbError {
            path: self.path.clone(),
            source: Box::new(e),
        }
    }

    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, DbError> {
        self.conn
            .query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn get_str(&self, key: &str) -> Result<Option<String>, DbError> {
        Ok(self
            .get(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO kv (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The pinned certificate of the relay, if it uses TLS.
    pub fn relay_pin(&self) -> Result<Option<[u8; 32]>, DbError> {
        Ok(self
            .get(key::RELAY_PIN)?
            .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok()))
    }

    pub fn set_relay_pin(&self, pin: &[u8; 32]) -> Result<(), DbError> {
        self.set(key::RELAY_PIN, pin)
    }

    pub fn delete(&self, key: &str) -> Result<(), DbError> {
        self.conn
            .execute("DELETE FROM kv WHERE key = ?1", [key])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The membership log, verified as it is read.
    pub fn membership(&self, now_ms: i64) -> Result<Option<MembershipLog>, DbError> {
        match self.get(key::MEMBERSHIP)? {
            None => Ok(None),
            Some(bytes) => MembershipLog::decode(&bytes, now_ms)
                .map(Some)
                .map_err(|e| self.err(e)),
        }
    }

    pub fn save_membership(&self, log: &MembershipLog) -> Result<(), DbError> {
        self.set(key::MEMBERSHIP, &log.encode())
    }

    /// The heads of `doc` already sealed into envelopes (empty: nothing yet).
    pub fn sealed(&self, doc: &str) -> Result<Vec<ChangeHash>, DbError> {
        Ok(self
            .conn
            .query_row("SELECT heads FROM sealed WHERE doc = ?1", [doc], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .optional()
            .map_err(|e| self.err(e))?
            .map(|b| heads_of(&b))
            .unwrap_or_default())
    }

    pub fn set_sealed(&self, doc: &str, heads: &[ChangeHash]) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO sealed (doc, heads) VALUES (?1, ?2)
                 ON CONFLICT(doc) DO UPDATE SET heads = excluded.heads",
                params![doc, heads_bytes(heads)],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Appends this device's own new envelope and records the heads it seals, in one
    /// transaction.
    pub fn append_sealed(
        &mut self,
        env: &Envelope,
        doc: &str,
        heads: &[ChangeHash],
    ) -> Result<(), DbError> {
        let tx = self.conn.transaction().map_err(|e| DbError {
            path: self.path.clone(),
            source: Box::new(e),
        })?;
        let (device, seq) = env.key();
        tx.execute(
            "INSERT INTO envelopes (device, seq, doc, bytes, applied) VALUES (?1, ?2, ?3, ?4, 1)",
            params![device.0.as_slice(), seq as i64, doc, env.encode()],
        )
        .and_then(|_| {
            tx.execute(
                "INSERT INTO sealed (doc, heads) VALUES (?1, ?2)
                 ON CONFLICT(doc) DO UPDATE SET heads = excluded.heads",
                params![doc, heads_bytes(heads)],
            )
        })
        .and_then(|_| tx.commit())
        .map_err(|e| DbError {
            path: self.path.clone(),
            source: Box::new(e),
        })?;
        self.vector.set(device, seq);
        Ok(())
    }

    pub fn has_unapplied(&self) -> Result<bool, DbError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM envelopes WHERE applied = 0)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Envelopes received but not yet applied to the workspace, oldest first.
    pub fn unapplied(&self) -> Result<Vec<Envelope>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT bytes FROM envelopes WHERE applied = 0 ORDER BY rowid")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let bytes = row.map_err(|e| self.err(e))?;
            out.push(Envelope::decode(&bytes).map_err(|e| self.err(e))?);
        }
        Ok(out)
    }

    pub fn mark_applied(&self, env: &Envelope) -> Result<(), DbError> {
        let (device, seq) = env.key();
        self.conn
            .execute(
                "UPDATE envelopes SET applied = 1 WHERE device = ?1 AND seq = ?2",
                params![device.0.as_slice(), seq as i64],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn save_invite(&self, id: &str, code: &str, expires_ms: i64) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO invites (id, code, expires_ms) VALUES (?1, ?2, ?3)",
                params![id, code, expires_ms],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn invite_code(&self, id: &str) -> Result<Option<String>, DbError> {
        self.conn
            .query_row("SELECT code FROM invites WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Keeps a join request for manual approval.
    pub fn save_join_request(&self, device: &str, bytes: &[u8]) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO join_requests (device, bytes) VALUES (?1, ?2)",
                params![device, bytes],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn join_requests(&self) -> Result<Vec<Vec<u8>>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT bytes FROM join_requests ORDER BY device")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn delete_join_request(&self, device: &str) -> Result<(), DbError> {
        self.conn
            .execute("DELETE FROM join_requests WHERE device = ?1", [device])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// How many envelopes this device holds.
    pub fn count(&self) -> u64 {
        self.vector.total()
    }
}

impl EnvelopeLog for SyncDb {
    type Error = DbError;

    fn vector(&self) -> &VersionVector {
        &self.vector
    }

    fn append(&mut self, env: &Envelope) -> Result<(), DbError> {
        let (device, seq) = env.key();
        let held = self.vector.get(&device);
        if seq != held + 1 {
            return Err(self.err(meridian_sync::store::NotContiguous { device, seq, held }));
        }
        let doc = env.header().doc.to_string();
        self.conn
            .execute(
                "INSERT INTO envelopes (device, seq, doc, bytes, applied) VALUES (?1, ?2, ?3, ?4, 0)",
                params![device.0.as_slice(), seq as i64, doc, env.encode()],
            )
            .map_err(|e| self.err(e))?;
        self.vector.set(device, seq);
        Ok(())
    }

    fn read(&self, range: &SeqRange, max_bytes: usize) -> Result<Vec<Envelope>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT bytes FROM envelopes WHERE device = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![
                    range.device.0.as_slice(),
                    range.first as i64,
                    range.last as i64
                ],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        let mut bytes = 0;
        for row in rows {
            let raw = row.map_err(|e| self.err(e))?;
            if !out.is_empty() && bytes + raw.len() > max_bytes {
                break;
            }
            bytes += raw.len();
            out.push(Envelope::decode(&raw).map_err(|e| self.err(e))?);
        }
        Ok(out)
    }
}
