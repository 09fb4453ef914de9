//! This device's sync state, in `sync.db` beside the workspace database: its log of
//! envelopes (its own and others', each at a position, with where it came from), the heads
//! of each document already sealed into an envelope, the checkpoints it verified and the
//! verdicts to report, its cursor into the relay's log, the membership log, the invites it
//! created, and what the relay acknowledged.
//!
//! The outbox is not a separate queue: a document's stored heads that its sealed heads do
//! not cover are changes still to seal, so a crash between the document's commit and the
//! sealing loses nothing; the next sealing pass picks them up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use automerge::ChangeHash;
use meridian_sync::{
    Batch, CheckpointId, Coverage, DeviceId, DocumentId, Envelope, EnvelopeLog, Held, LogId,
    MembershipLog, Peer, Ticket, Verdict, VersionVector,
};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};

/// The schema version this build writes (`PRAGMA user_version`): 1 numbered envelopes per
/// device only (protocol 1); 2 keeps a log by position with checkpoints (protocol 2); 3
/// sets aside envelopes past the limit of those waiting for a dependency (`applied = 2`).
const SCHEMA_VERSION: i64 = 3;

/// How much may wait for a missing dependency in one document before more is set aside
/// (`docs/limits.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingLimit {
    /// Envelopes waiting.
    pub envelopes: u64,
    /// Their bytes, as received.
    pub bytes: u64,
}

impl Default for WaitingLimit {
    fn default() -> Self {
        WaitingLimit {
            envelopes: 1024,
            bytes: 64 * 1024 * 1024,
        }
    }
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS envelopes (
        pos     INTEGER PRIMARY KEY AUTOINCREMENT,
        device  BLOB NOT NULL,
        seq     INTEGER NOT NULL,
        doc     TEXT NOT NULL,
        -- NULL for checkpoint parts.
        doc_seq INTEGER,
        -- For checkpoint parts: the checkpoint's first sequence number.
        ck_seq  INTEGER,
        -- 'self', 'relay', or the hex id of the device that sent it.
        source  TEXT NOT NULL,
        size    INTEGER NOT NULL,
        bytes   BLOB NOT NULL,
        applied INTEGER NOT NULL DEFAULT 0,
        UNIQUE (device, seq)
    ) STRICT;
    CREATE INDEX IF NOT EXISTS envelopes_doc ON envelopes (doc, device, doc_seq);
    CREATE INDEX IF NOT EXISTS envelopes_unapplied ON envelopes (applied) WHERE applied = 0;
    CREATE INDEX IF NOT EXISTS envelopes_set_aside ON envelopes (doc, pos) WHERE applied = 2;
    CREATE TABLE IF NOT EXISTS sealed (
        doc   TEXT PRIMARY KEY,
        heads BLOB NOT NULL
    ) STRICT;
    -- This device's own numbering per document.
    CREATE TABLE IF NOT EXISTS doc_seqs (
        doc     TEXT PRIMARY KEY,
        doc_seq INTEGER NOT NULL
    ) STRICT;
    -- Checkpoints this device loaded and checked: ok = 1, or 0 when it lacked a change it
    -- claims to cover; reported once the relay stored the verdict.
    CREATE TABLE IF NOT EXISTS verdicts (
        device   BLOB NOT NULL,
        seq      INTEGER NOT NULL,
        doc      TEXT NOT NULL,
        ok       INTEGER NOT NULL,
        reported INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (device, seq)
    ) STRICT;
    CREATE TABLE IF NOT EXISTS cursors (
        peer TEXT NOT NULL,
        log  BLOB NOT NULL,
        pos  INTEGER NOT NULL,
        PRIMARY KEY (peer, log)
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
    ) STRICT;
    -- Devices met on the local network: how they were found, where, when this device last
    -- heard from them and last held the same as they (both acknowledged), and why a
    -- session was refused (by either side).
    CREATE TABLE IF NOT EXISTS lan_peers (
        device     BLOB PRIMARY KEY,
        how        TEXT NOT NULL,
        addr       TEXT NOT NULL,
        seen_ms    INTEGER NOT NULL,
        synced_ms  INTEGER,
        has_mine   INTEGER NOT NULL DEFAULT 0,
        refused    TEXT
    ) STRICT;";

/// A failure of `sync.db`.
#[derive(Debug, thiserror::Error)]
#[error("the sync database {path} failed: {source}")]
pub struct DbError {
    path: PathBuf,
    source: Box<dyn std::error::Error + Send + Sync>,
}

/// A device met on the local network, as `sync.db` remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanPeerRow {
    pub device: DeviceId,
    /// `mdns`, `address` (given with `--peer`) or `inbound`.
    pub how: String,
    pub addr: String,
    pub seen_ms: i64,
    pub synced_ms: Option<i64>,
    /// How far into this device's log the peer acknowledged holding.
    pub has_mine: u64,
    pub refused: Option<String>,
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
    /// This log's identity (16 random bytes).
    pub const LOG_ID: &str = "log_id";
    /// The last sequence number this device gave an envelope.
    pub const LAST_SEQ: &str = "last_seq";
    /// Set while this device rebuilds from the relay after its local data was lost or
    /// damaged (`store`: the workspace database was rebuilt; `sync`: this database was):
    /// nothing is sealed until the relay has returned this device's own envelopes, so no
    /// sequence number is used twice ([`crate::Net::restore`]).
    pub const RESTORING: &str = "restoring";
    /// The relay's session ticket: the ticket's bytes, the last counter used (8 bytes,
    /// little-endian), then the relay URL it is for.
    pub const RELAY_TICKET: &str = "relay_ticket";
    /// The store's generation mark when a seal pass last found nothing left to seal
    /// (`Documents::stored_heads_since`): later passes look only at documents written
    /// since. Removed whenever sealed heads are forgotten.
    pub const SEALED_THROUGH: &str = "sealed_through";
}

/// Where an envelope in the log came from.
fn source_name(peer: &Peer) -> String {
    match peer {
        Peer::Relay => "relay".into(),
        Peer::Device(d) => d.to_string(),
    }
}

const SELF: &str = "self";

/// `sync.db`, opened by one owner at a time (the sync engine holds it behind a lock).
#[derive(Debug)]
pub struct SyncDb {
    path: PathBuf,
    conn: Connection,
    log_id: LogId,
    head: u64,
    last_seq: u64,
    /// The checkpoints held, from their headers.
    coverage: Coverage,
    /// Checkpoints applied here after they checked out: what they cover is held.
    verified: std::collections::HashSet<CheckpointId>,
    /// This device, once its keys are loaded: its own envelopes coming back (a restore)
    /// raise its numbering so nothing it seals next reuses a number ([`SyncDb::set_me`]).
    me: Option<DeviceId>,
}

/// A document's `Changes` envelopes not covered by its newest checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tail {
    /// What the checkpoint policy weighs.
    pub stats: meridian_sync::checkpoint::Tail,
    /// Some of them are this device's.
    pub mine: bool,
}

/// Turns SQLite errors into [`DbError`]s naming `path`.
fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> DbError + Copy + '_ {
    move |e| DbError {
        path: path.to_owned(),
        source: Box::new(e),
    }
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
        let err = sql_err(path);
        let mut conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
        )
        .map_err(err)?;
        migrate(&mut conn).map_err(err)?;
        let mut db = SyncDb {
            path: path.to_owned(),
            conn,
            log_id: [0; 16],
            head: 0,
            last_seq: 0,
            coverage: Coverage::new(),
            verified: std::collections::HashSet::new(),
            me: None,
        };
        db.log_id = match db.get(key::LOG_ID)? {
            Some(v) if v.len() == 16 => <[u8; 16]>::try_from(v.as_slice()).expect("16 bytes"),
            _ => {
                let mut id = [0u8; 16];
                rand::rng().fill_bytes(&mut id);
                db.set(key::LOG_ID, &id)?;
                id
            }
        };
        db.head = db.max_pos()?;
        db.last_seq = db
            .get_str(key::LAST_SEQ)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let parts = {
            let mut stmt = db
                .conn
                .prepare("SELECT bytes FROM envelopes WHERE ck_seq IS NOT NULL ORDER BY pos")
                .map_err(|e| db.err(e))?;
            let rows = stmt
                .query_map([], |r| r.get::<_, Vec<u8>>(0))
                .map_err(|e| db.err(e))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(|e| db.err(e))?
        };
        for bytes in parts {
            let env = Envelope::decode(&bytes).map_err(|e| db.err(e))?;
            db.coverage.note(env.header().doc, env.header());
        }
        let verdicts: Vec<(Vec<u8>, i64, String, bool)> = {
            let mut stmt = db
                .conn
                .prepare("SELECT device, seq, doc, ok FROM verdicts")
                .map_err(|e| db.err(e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .map_err(|e| db.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| db.err(e))?
        };
        for (device, seq, doc, ok) in verdicts {
            if let (Ok(d), Ok(doc)) = (<[u8; 32]>::try_from(device.as_slice()), doc.parse()) {
                let id = CheckpointId {
                    author: DeviceId(d),
                    seq: seq as u64,
                };
                db.note_verdict_in_memory(&doc, &id, ok);
            }
        }
        Ok(db)
    }

    fn note_verdict_in_memory(&mut self, doc: &DocumentId, id: &CheckpointId, ok: bool) {
        if ok {
            self.verified.insert(*id);
        } else if let Some(info) = self.coverage.get_mut(doc, id) {
            info.rejected = true;
        }
    }

    /// Records that `device` was seen on the local network (found, dialled or connecting).
    pub fn peer_seen(
        &self,
        device: &DeviceId,
        how: &str,
        addr: &str,
        now_ms: i64,
    ) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO lan_peers (device, how, addr, seen_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(device) DO UPDATE SET how = excluded.how, addr = excluded.addr,
                     seen_ms = excluded.seen_ms",
                params![device.0.as_slice(), how, addr, now_ms],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records how far into this device's log `device` acknowledged holding, and whether
    /// both sides now hold the same (`synced`); clears a refusal.
    pub fn peer_acked(
        &self,
        device: &DeviceId,
        has_mine: u64,
        synced: bool,
        now_ms: i64,
    ) -> Result<(), DbError> {
        self.conn
            .execute(
                "UPDATE lan_peers SET has_mine = MAX(has_mine, ?2), refused = NULL, seen_ms = ?3,
                     synced_ms = CASE WHEN ?4 THEN ?3 ELSE synced_ms END
                 WHERE device = ?1",
                params![device.0.as_slice(), has_mine as i64, now_ms, synced],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records why a session with `device` was refused (`None` clears it).
    pub fn peer_refused(&self, device: &DeviceId, reason: Option<&str>) -> Result<(), DbError> {
        self.conn
            .execute(
                "UPDATE lan_peers SET refused = ?2 WHERE device = ?1",
                params![device.0.as_slice(), reason],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Every device met on the local network, most recently seen first.
    pub fn lan_peers(&self) -> Result<Vec<LanPeerRow>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT device, how, addr, seen_ms, synced_ms, has_mine, refused FROM lan_peers
                 ORDER BY seen_ms DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let id: Vec<u8> = r.get(0)?;
                Ok((
                    id,
                    LanPeerRow {
                        device: DeviceId([0; 32]),
                        how: r.get(1)?,
                        addr: r.get(2)?,
                        seen_ms: r.get(3)?,
                        synced_ms: r.get(4)?,
                        has_mine: r.get::<_, i64>(5)? as u64,
                        refused: r.get(6)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, mut peer) = row.map_err(|e| self.err(e))?;
            let Ok(id) = <[u8; 32]>::try_from(id.as_slice()) else {
                continue;
            };
            peer.device = DeviceId(id);
            out.push(peer);
        }
        Ok(out)
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

    /// The session ticket the relay at `relay_url` gave this device, with a counter above
    /// every one used before (recorded before it is returned), or `None` when there is no
    /// ticket for that relay.
    pub fn use_ticket(&self, relay_url: &str) -> Result<Option<(Ticket, u64)>, DbError> {
        let Some(value) = self.get(key::RELAY_TICKET)? else {
            return Ok(None);
        };
        let parsed = (value.len() >= 56 && &value[56..] == relay_url.as_bytes())
            .then(|| Ticket::from_bytes(&value[..48]))
            .flatten()
            .zip(value[48..56].try_into().ok().map(u64::from_le_bytes));
        let Some((ticket, last)) = parsed else {
            return Ok(None);
        };
        let counter = last + 1;
        self.put_ticket(relay_url, &ticket, counter)?;
        Ok(Some((ticket, counter)))
    }

    /// Keeps a session ticket the relay at `relay_url` just issued.
    pub fn set_ticket(&self, relay_url: &str, ticket: &Ticket) -> Result<(), DbError> {
        self.put_ticket(relay_url, ticket, 0)
    }

    fn put_ticket(&self, relay_url: &str, ticket: &Ticket, counter: u64) -> Result<(), DbError> {
        let value = [
            &ticket.to_bytes()[..],
            &counter.to_le_bytes(),
            relay_url.as_bytes(),
        ]
        .concat();
        self.set(key::RELAY_TICKET, &value)
    }

    /// Forgets the session ticket (the relay refused it).
    pub fn forget_ticket(&self) -> Result<(), DbError> {
        self.delete(key::RELAY_TICKET)
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

    /// The next sequence number and per-document sequence number for this device's next
    /// `Changes` envelope of `doc`.
    pub fn next_numbers(&self, doc: &str) -> Result<(u64, u64), DbError> {
        let doc_seq: i64 = self
            .conn
            .query_row("SELECT doc_seq FROM doc_seqs WHERE doc = ?1", [doc], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or(0);
        Ok((self.last_seq + 1, doc_seq as u64 + 1))
    }

    /// The next sequence number this device gives an envelope.
    pub fn next_seq(&self) -> u64 {
        self.last_seq + 1
    }

    /// Appends this device's own new envelopes (one batch of changes, or the parts of a
    /// checkpoint it verified) and records the heads they seal, in one transaction.
    pub fn append_own(
        &mut self,
        envs: &[Envelope],
        doc: &str,
        heads: Option<&[ChangeHash]>,
    ) -> Result<(), DbError> {
        let err = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let mut last = self.last_seq;
        for env in envs {
            let h = env.header();
            let bytes = env.encode();
            let ck = h.checkpoint().map(|(id, _)| id.seq as i64);
            tx.execute(
                "INSERT INTO envelopes (device, seq, doc, doc_seq, ck_seq, source, size, bytes, applied)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)",
                params![
                    h.device.0.as_slice(),
                    h.seq as i64,
                    doc,
                    h.doc_seq().map(|s| s as i64),
                    ck,
                    SELF,
                    bytes.len() as i64,
                    bytes
                ],
            )
            .map_err(err)?;
            if let Some(doc_seq) = h.doc_seq() {
                tx.execute(
                    "INSERT INTO doc_seqs (doc, doc_seq) VALUES (?1, ?2)
                     ON CONFLICT(doc) DO UPDATE SET doc_seq = excluded.doc_seq",
                    params![doc, doc_seq as i64],
                )
                .map_err(err)?;
            }
            if let Some((id, _)) = h.checkpoint() {
                tx.execute(
                    "INSERT OR IGNORE INTO verdicts (device, seq, doc, ok, reported) VALUES (?1, ?2, ?3, 1, 1)",
                    params![id.author.0.as_slice(), id.seq as i64, doc],
                )
                .map_err(err)?;
            }
            last = last.max(h.seq);
        }
        if let Some(heads) = heads {
            tx.execute(
                "INSERT INTO sealed (doc, heads) VALUES (?1, ?2)
                 ON CONFLICT(doc) DO UPDATE SET heads = excluded.heads",
                params![doc, heads_bytes(heads)],
            )
            .map_err(err)?;
        }
        tx.execute(
            "INSERT INTO kv (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key::LAST_SEQ, last.to_string().as_bytes()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        self.last_seq = last;
        for env in envs {
            let h = env.header();
            self.coverage.note(h.doc, h);
            if let Some((id, _)) = h.checkpoint() {
                self.verified.insert(id);
            }
        }
        // Positions come from AUTOINCREMENT: read the head back.
        self.head = self.max_pos()?;
        Ok(())
    }

    fn max_pos(&self) -> Result<u64, DbError> {
        self.conn
            .query_row(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'envelopes'), 0)",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|v| v as u64)
            .map_err(|e| self.err(e))
    }

    /// Whether any envelope waits unapplied or is set aside.
    pub fn has_unapplied(&self) -> Result<bool, DbError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM envelopes WHERE applied = 0)
                     OR EXISTS (SELECT 1 FROM envelopes WHERE applied = 2)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Envelopes received but not yet applied to the workspace, oldest first.
    pub fn unapplied(&self) -> Result<Vec<Envelope>, DbError> {
        self.envelopes_where("applied = 0 ORDER BY pos", params![])
    }

    /// At most `limit` envelopes received but not yet applied (of `doc` when given), after
    /// position `after`, oldest first, with their positions: a pass over envelopes waiting
    /// for a missing dependency holds one page in memory, however many wait.
    pub fn unapplied_page(
        &self,
        doc: Option<&str>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Envelope)>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT pos, bytes FROM envelopes
                 WHERE applied = 0 AND (?1 IS NULL OR doc = ?1) AND pos > ?2
                 ORDER BY pos LIMIT ?3",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![
                    doc,
                    i64::try_from(after).unwrap_or(i64::MAX),
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (pos, bytes) = row.map_err(|e| self.err(e))?;
            let env = Envelope::decode(&bytes).map_err(|e| self.err(e))?;
            out.push((u64::try_from(pos).unwrap_or(0), env));
        }
        Ok(out)
    }

    /// Whether an envelope of `doc` waits unapplied or is set aside.
    pub fn has_unapplied_in(&self, doc: &str) -> Result<bool, DbError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM envelopes WHERE applied = 0 AND doc = ?1)
                     OR EXISTS (SELECT 1 FROM envelopes WHERE applied = 2 AND doc = ?1)",
                [doc],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// How many envelopes of `env`'s document other than `env` wait for a missing
    /// dependency, and their bytes (those set aside not counted).
    pub fn waiting_beside(&self, env: &Envelope) -> Result<(u64, u64), DbError> {
        let (device, seq) = env.key();
        self.conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM envelopes
                 WHERE applied = 0 AND doc = ?1 AND NOT (device = ?2 AND seq = ?3)",
                params![
                    env.header().doc.to_string(),
                    device.0.as_slice(),
                    seq as i64
                ],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .map(|(n, b)| (n.max(0) as u64, b.max(0) as u64))
            .map_err(|e| self.err(e))
    }

    /// Sets a received envelope aside: kept, not applied and not retried, until
    /// [`SyncDb::release_set_aside`] makes room for it.
    pub fn set_aside(&self, env: &Envelope) -> Result<(), DbError> {
        let (device, seq) = env.key();
        self.conn
            .execute(
                "UPDATE envelopes SET applied = 2 WHERE device = ?1 AND seq = ?2 AND applied = 0",
                params![device.0.as_slice(), seq as i64],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Moves envelopes set aside (of `doc`, or of every document) back among those waiting,
    /// oldest first, as far as `limit` allows each document; the first one always goes
    /// when none waits, however large. Returns how many moved.
    pub fn release_set_aside(
        &self,
        doc: Option<&str>,
        limit: WaitingLimit,
    ) -> Result<u64, DbError> {
        self.conn
            .execute(
                "WITH waiting AS (
                     SELECT doc, COUNT(*) AS n, SUM(size) AS b FROM envelopes
                     WHERE applied = 0 GROUP BY doc),
                 aside AS (
                     SELECT pos, doc,
                            ROW_NUMBER() OVER (PARTITION BY doc ORDER BY pos) AS rn,
                            SUM(size) OVER (PARTITION BY doc ORDER BY pos) AS cum
                     FROM envelopes WHERE applied = 2 AND (?1 IS NULL OR doc = ?1))
                 UPDATE envelopes SET applied = 0 WHERE pos IN (
                     SELECT a.pos FROM aside a LEFT JOIN waiting w ON w.doc = a.doc
                     WHERE (COALESCE(w.n, 0) + a.rn <= ?2 AND COALESCE(w.b, 0) + a.cum <= ?3)
                        OR (COALESCE(w.n, 0) = 0 AND a.rn = 1))",
                params![
                    doc,
                    i64::try_from(limit.envelopes).unwrap_or(i64::MAX),
                    i64::try_from(limit.bytes).unwrap_or(i64::MAX)
                ],
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Envelopes set aside, per document: `(doc, count)`, most first.
    pub fn set_aside_counts(&self) -> Result<Vec<(String, u64)>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT doc, COUNT(*) AS n FROM envelopes WHERE applied = 2
                 GROUP BY doc ORDER BY n DESC, doc",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| self.err(e))?;
        rows.map(|r| {
            r.map(|(d, n)| (d, n.max(0) as u64))
                .map_err(|e| self.err(e))
        })
        .collect()
    }

    fn envelopes_where(
        &self,
        filter: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Envelope>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT bytes FROM envelopes WHERE {filter}"))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(args, |r| r.get::<_, Vec<u8>>(0))
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

    /// The parts of checkpoint `id`, in order, once all are held.
    pub fn checkpoint_parts(
        &self,
        doc: &DocumentId,
        id: &CheckpointId,
    ) -> Result<Option<Vec<Envelope>>, DbError> {
        if !self.coverage.get(doc, id).is_some_and(|c| c.is_complete()) {
            return Ok(None);
        }
        let parts = self.envelopes_where(
            "device = ?1 AND ck_seq = ?2 ORDER BY seq",
            params![id.author.0.as_slice(), id.seq as i64],
        )?;
        Ok(Some(parts))
    }

    /// The checkpoints held of `doc`, from their headers.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// Whether this device already gave a verdict on checkpoint `id`.
    pub fn has_verdict(&self, id: &CheckpointId) -> Result<bool, DbError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM verdicts WHERE device = ?1 AND seq = ?2)",
                params![id.author.0.as_slice(), id.seq as i64],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Records this device's verdict on checkpoint `id` (to report to the relay unless it
    /// is this device's own) and marks its parts applied.
    pub fn record_verdict(
        &mut self,
        doc: &DocumentId,
        id: &CheckpointId,
        ok: bool,
        mine: bool,
    ) -> Result<(), DbError> {
        let err = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO verdicts (device, seq, doc, ok, reported) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.author.0.as_slice(), id.seq as i64, doc.to_string(), ok, mine],
        )
        .map_err(err)?;
        tx.execute(
            "UPDATE envelopes SET applied = 1 WHERE device = ?1 AND ck_seq = ?2",
            params![id.author.0.as_slice(), id.seq as i64],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        self.note_verdict_in_memory(doc, id, ok);
        Ok(())
    }

    /// Verdicts not yet stored by the relay, oldest first (at most `limit`).
    pub fn unreported_verdicts(&self, limit: usize) -> Result<Vec<Verdict>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT device, seq, doc, ok FROM verdicts WHERE reported = 0 ORDER BY rowid LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (device, seq, doc, ok) = row.map_err(|e| self.err(e))?;
            let (Ok(d), Ok(doc)) = (<[u8; 32]>::try_from(device.as_slice()), doc.parse()) else {
                continue;
            };
            out.push(Verdict {
                doc,
                checkpoint: CheckpointId {
                    author: DeviceId(d),
                    seq: seq as u64,
                },
                ok,
            });
        }
        Ok(out)
    }

    pub fn mark_reported(&self, verdicts: &[Verdict]) -> Result<(), DbError> {
        for v in verdicts {
            self.conn
                .execute(
                    "UPDATE verdicts SET reported = 1 WHERE device = ?1 AND seq = ?2",
                    params![v.checkpoint.author.0.as_slice(), v.checkpoint.seq as i64],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// The `Changes` envelopes held of `doc` that checkpoint `covers` covers.
    pub fn covered_changes(
        &self,
        doc: &DocumentId,
        covers: &VersionVector,
    ) -> Result<Vec<Envelope>, DbError> {
        let mut out = Vec::new();
        for (device, doc_seq) in covers.iter() {
            out.extend(self.envelopes_where(
                "doc = ?1 AND device = ?2 AND doc_seq IS NOT NULL AND doc_seq <= ?3",
                params![doc.to_string(), device.0.as_slice(), *doc_seq as i64],
            )?);
        }
        Ok(out)
    }

    /// For a checkpoint of `doc` sealed now: per author, the highest `doc_seq` up to which
    /// every `Changes` envelope is applied here or covered by a checkpoint applied here.
    pub fn applied_frontier(&self, doc: &DocumentId) -> Result<VersionVector, DbError> {
        let mut seqs: BTreeMap<DeviceId, Vec<u64>> = BTreeMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT device, doc_seq FROM envelopes
                     WHERE doc = ?1 AND doc_seq IS NOT NULL AND applied = 1",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([doc.to_string()], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (device, doc_seq) = row.map_err(|e| self.err(e))?;
                if let Ok(d) = <[u8; 32]>::try_from(device.as_slice()) {
                    seqs.entry(DeviceId(d)).or_default().push(doc_seq as u64);
                }
            }
        }
        let mut frontier = VersionVector::new();
        for c in self.coverage.checkpoints(doc) {
            if self.verified.contains(&c.id) {
                frontier.merge(&c.covers);
            }
        }
        for (device, mut list) in seqs {
            list.sort_unstable();
            let mut top = frontier.get(&device);
            for s in list {
                if s == top + 1 {
                    top = s;
                } else if s > top + 1 {
                    break;
                }
            }
            frontier.set(device, top);
        }
        Ok(frontier)
    }

    /// The newest checkpoint of `doc` applied here (the one covering the most), if any.
    pub fn newest_checkpoint(&self, doc: &DocumentId) -> Option<(CheckpointId, VersionVector)> {
        self.coverage
            .checkpoints(doc)
            .iter()
            .filter(|c| c.is_usable() && self.verified.contains(&c.id))
            .max_by_key(|c| (c.covers.total(), c.id))
            .map(|c| (c.id, c.covers.clone()))
    }

    /// The `Changes` envelopes of `doc` its newest checkpoint does not cover.
    pub fn tail(&self, doc: &DocumentId, me: &DeviceId) -> Result<Tail, DbError> {
        let newest = self.newest_checkpoint(doc);
        let covers = newest.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
        let mut tail = Tail::default();
        if let Some((id, _)) = &newest {
            tail.stats.base_bytes = self
                .conn
                .query_row(
                    "SELECT COALESCE(SUM(size), 0) FROM envelopes WHERE device = ?1 AND ck_seq = ?2",
                    params![id.author.0.as_slice(), id.seq as i64],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(|e| self.err(e))? as u64;
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT device, doc_seq, size FROM envelopes WHERE doc = ?1 AND doc_seq IS NOT NULL",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([doc.to_string()], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut last_mine = 0;
        for row in rows {
            let (device, doc_seq, size) = row.map_err(|e| self.err(e))?;
            let Ok(d) = <[u8; 32]>::try_from(device.as_slice()) else {
                continue;
            };
            let d = DeviceId(d);
            if doc_seq as u64 > covers.get(&d) {
                tail.stats.envelopes += 1;
                tail.stats.bytes += size as u64;
                if d == *me {
                    tail.mine = true;
                    if doc_seq as u64 > last_mine {
                        last_mine = doc_seq as u64;
                        tail.stats.last_bytes = size as u64;
                    }
                }
            }
        }
        Ok(tail)
    }

    /// Deletes what checkpoints applied here make redundant in this device's log: `Changes`
    /// envelopes they cover and checkpoints another one dominates, once the relay holds
    /// them (they came from it, or it acknowledged them: `relay_acked`). Returns how many.
    pub fn collect_garbage(
        &mut self,
        doc: &DocumentId,
        relay_acked: u64,
    ) -> Result<usize, DbError> {
        let mut covers = VersionVector::new();
        let mut dominated = Vec::new();
        let list = self.coverage.checkpoints(doc).to_vec();
        for c in &list {
            if c.is_usable() && self.verified.contains(&c.id) {
                covers.merge(&c.covers);
            }
        }
        for c in &list {
            if list
                .iter()
                .any(|d| d.is_usable() && self.verified.contains(&d.id) && d.dominates(c))
            {
                dominated.push(c.id);
            }
        }
        let mut gone = 0;
        for (device, doc_seq) in covers.iter() {
            gone += self
                .conn
                .execute(
                    "DELETE FROM envelopes WHERE doc = ?1 AND device = ?2 AND doc_seq IS NOT NULL
                     AND doc_seq <= ?3 AND applied = 1 AND (source != 'self' OR pos <= ?4)",
                    params![
                        doc.to_string(),
                        device.0.as_slice(),
                        *doc_seq as i64,
                        relay_acked as i64
                    ],
                )
                .map_err(|e| self.err(e))?;
        }
        for id in dominated {
            let n = self
                .conn
                .execute(
                    "DELETE FROM envelopes WHERE device = ?1 AND ck_seq = ?2 AND (source != 'self' OR pos <= ?3)",
                    params![id.author.0.as_slice(), id.seq as i64, relay_acked as i64],
                )
                .map_err(|e| self.err(e))?;
            if n > 0 {
                gone += n;
                self.coverage.remove(doc, &id);
            }
        }
        Ok(gone)
    }

    /// Documents with `Changes` envelopes held above a hole no checkpoint covers: an
    /// envelope the relay withheld (or one still on its way). Per (document, author), the
    /// first missing `doc_seq`.
    pub fn gaps(&self) -> Result<Vec<(DocumentId, DeviceId, u64)>, DbError> {
        let groups: Vec<(String, Vec<u8>, i64)> = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT doc, device, MAX(doc_seq) FROM envelopes
                     WHERE doc_seq IS NOT NULL GROUP BY doc, device",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        let mut out = Vec::new();
        for (doc, device, max) in groups {
            let (Ok(doc), Ok(d)) = (
                doc.parse::<DocumentId>(),
                <[u8; 32]>::try_from(device.as_slice()),
            ) else {
                continue;
            };
            let device = DeviceId(d);
            let covered = self
                .coverage
                .checkpoints(&doc)
                .iter()
                .filter(|c| c.is_usable() && self.verified.contains(&c.id))
                .map(|c| c.covers.get(&device))
                .max()
                .unwrap_or(0);
            let max = max as u64;
            if max <= covered {
                continue;
            }
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT doc_seq FROM envelopes WHERE doc = ?1 AND device = ?2 AND doc_seq > ?3
                     ORDER BY doc_seq",
                )
                .map_err(|e| self.err(e))?;
            let seqs = stmt
                .query_map(
                    params![doc.to_string(), device.0.as_slice(), covered as i64],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(|e| self.err(e))?;
            for (next, s) in (covered + 1..).zip(seqs) {
                if s.map_err(|e| self.err(e))? as u64 != next {
                    out.push((doc, device, next));
                    break;
                }
            }
        }
        Ok(out)
    }

    /// How many of this device's own envelopes are past `acked` (not yet held by the relay).
    pub fn own_after(&self, acked: u64) -> Result<u64, DbError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM envelopes WHERE source = 'self' AND pos > ?1",
                [acked as i64],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
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
    pub fn count(&self) -> Result<u64, DbError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM envelopes", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }
}

/// Brings `sync.db` to [`SCHEMA_VERSION`]. A version-1 log cannot be carried over (its
/// envelopes are signed in the old format), so it is kept, untouched, as `envelopes_v1`,
/// and every document is sealed again from the store: nothing is lost, and the relay (which
/// archives its version-1 envelopes the same way) receives it all in the new format.
fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let v1: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('envelopes') WHERE name = 'applied')
         AND NOT EXISTS (SELECT 1 FROM pragma_table_info('envelopes') WHERE name = 'pos')",
        [],
        |r| r.get(0),
    )?;
    if v1 {
        tx.execute_batch(
            "ALTER TABLE envelopes RENAME TO envelopes_v1;
             DELETE FROM sealed;
             DELETE FROM kv WHERE key IN ('relay_has_mine', 'sealed_through');",
        )?;
    }
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    tx.commit()
}

impl SyncDb {
    /// Whether `to` need not get `env`: it wrote it, or a checkpoint this device applied
    /// after checking it makes it redundant. Only checked checkpoints count here: one that
    /// claims our own envelopes without holding them must not keep them from the relay.
    fn redundant_for(&self, env: &Envelope, to: &Peer) -> bool {
        let h = env.header();
        if matches!(to, Peer::Device(d) if *d == h.device) {
            return true;
        }
        let checked =
            |c: &&meridian_sync::CheckpointInfo| c.is_usable() && self.verified.contains(&c.id);
        let list = self.coverage.checkpoints(&h.doc);
        match h.checkpoint() {
            None => {
                let doc_seq = h.doc_seq().unwrap_or(u64::MAX);
                list.iter()
                    .filter(checked)
                    .any(|c| c.covers.get(&h.device) >= doc_seq)
            }
            Some((id, _)) => {
                let Some(me) = list.iter().find(|c| c.id == id) else {
                    return false;
                };
                me.rejected || list.iter().filter(checked).any(|c| c.dominates(me))
            }
        }
    }
}

impl EnvelopeLog for SyncDb {
    type Error = DbError;

    fn id(&self) -> LogId {
        self.log_id
    }

    fn head(&self) -> u64 {
        self.head
    }

    fn cursor(&self, peer: &Peer, log: &LogId) -> u64 {
        self.conn
            .query_row(
                "SELECT pos FROM cursors WHERE peer = ?1 AND log = ?2",
                params![source_name(peer), log.as_slice()],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .ok()
            .flatten()
            .map_or(0, |p| p as u64)
    }

    fn set_cursor(&mut self, peer: &Peer, log: &LogId, pos: u64) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO cursors (peer, log, pos) VALUES (?1, ?2, ?3)
                 ON CONFLICT(peer, log) DO UPDATE SET pos = excluded.pos",
                params![source_name(peer), log.as_slice(), pos as i64],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    fn held(&self, env: &Envelope) -> Held {
        let (device, seq) = env.key();
        let stored = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM envelopes WHERE device = ?1 AND seq = ?2)",
            )
            .and_then(|mut s| s.query_row(params![device.0.as_slice(), seq as i64], |r| r.get(0)))
            .unwrap_or(false);
        if stored {
            return Held::Stored;
        }
        let h = env.header();
        if let Some(doc_seq) = h.doc_seq() {
            let covered = self.coverage.checkpoints(&h.doc).iter().any(|c| {
                c.is_usable() && self.verified.contains(&c.id) && c.covers.get(&h.device) >= doc_seq
            });
            if covered {
                return Held::Covered;
            }
        }
        Held::No
    }

    fn append(&mut self, env: &Envelope, from: &Peer) -> Result<u64, DbError> {
        let h = env.header();
        let bytes = env.encode();
        self.conn
            .execute(
                "INSERT INTO envelopes (device, seq, doc, doc_seq, ck_seq, source, size, bytes, applied)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
                params![
                    h.device.0.as_slice(),
                    h.seq as i64,
                    h.doc.to_string(),
                    h.doc_seq().map(|s| s as i64),
                    h.checkpoint().map(|(id, _)| id.seq as i64),
                    source_name(from),
                    bytes.len() as i64,
                    bytes
                ],
            )
            .map_err(|e| self.err(e))?;
        self.head = self.conn.last_insert_rowid() as u64;
        self.coverage.note(h.doc, h);
        self.learn_numbers(env)?;
        Ok(self.head)
    }

    fn read_after(&self, after: u64, to: &Peer, max_bytes: usize) -> Result<Batch, DbError> {
        let mut batch = Batch {
            entries: Vec::new(),
            upto: self.head.max(after),
        };
        let to_name = source_name(to);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT pos, source, bytes FROM envelopes WHERE pos > ?1 ORDER BY pos")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([after as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut bytes = 0;
        for row in rows {
            let (pos, source, raw) = row.map_err(|e| self.err(e))?;
            if source == to_name {
                continue;
            }
            let env = Envelope::decode(&raw).map_err(|e| self.err(e))?;
            if self.redundant_for(&env, to) {
                continue;
            }
            if !batch.entries.is_empty() && bytes + raw.len() > max_bytes {
                batch.upto = pos as u64 - 1;
                break;
            }
            bytes += raw.len();
            batch.entries.push((pos as u64, env));
        }
        Ok(batch)
    }
}

/// Restoring after local data was lost or damaged ([`crate::Net::restore`]).
impl SyncDb {
    /// Tells the log which device it belongs to (once the keys are loaded).
    pub fn set_me(&mut self, me: DeviceId) {
        self.me = Some(me);
    }

    /// After an envelope arrived: when it is this device's own (returned by the relay
    /// during a restore) or a checkpoint that covers some of its envelopes, raises this
    /// device's numbering past it, so the next envelope sealed here reuses no `seq` or
    /// `doc_seq` that another device or the relay already holds.
    fn learn_numbers(&mut self, env: &Envelope) -> Result<(), DbError> {
        let Some(me) = self.me else {
            return Ok(());
        };
        let h = env.header();
        let doc_seq = match (h.doc_seq(), h.checkpoint()) {
            (Some(s), _) if h.device == me => Some(s),
            (_, Some((_, part))) => Some(part.covers.get(&me)).filter(|s| *s > 0),
            _ => None,
        };
        if let Some(doc_seq) = doc_seq {
            self.conn
                .execute(
                    "INSERT INTO doc_seqs (doc, doc_seq) VALUES (?1, ?2)
                     ON CONFLICT(doc) DO UPDATE SET doc_seq = MAX(doc_seq, excluded.doc_seq)",
                    params![h.doc.to_string(), doc_seq as i64],
                )
                .map_err(|e| self.err(e))?;
        }
        if h.device == me && h.seq > self.last_seq {
            self.raise_seq(h.seq)?;
        }
        Ok(())
    }

    /// Makes `seq` the last sequence number used (never lowers it).
    pub fn raise_seq(&mut self, seq: u64) -> Result<(), DbError> {
        if seq <= self.last_seq {
            return Ok(());
        }
        self.set(key::LAST_SEQ, seq.to_string().as_bytes())?;
        self.last_seq = seq;
        Ok(())
    }

    /// The last sequence number this device gave an envelope.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// This device's highest `doc_seq` per document.
    pub fn doc_seqs(&self) -> Result<BTreeMap<String, u64>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc, doc_seq FROM doc_seqs")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (doc, seq) = row.map_err(|e| self.err(e))?;
            out.insert(doc, seq as u64);
        }
        Ok(out)
    }

    /// What is being restored, while a restore is under way: `store` or `sync`.
    pub fn restoring(&self) -> Result<Option<String>, DbError> {
        self.get_str(key::RESTORING)
    }

    /// Prepares a healthy `sync.db` for rebuilding the workspace database it belongs to
    /// (which was lost or damaged): every envelope held is applied again, checkpoints are
    /// judged again, the relay's log is read again from its start, and this log takes a
    /// new identity, so the relay sends this device's own envelopes back too. The
    /// numbering, membership, keys record and relay address stay.
    pub fn reset_for_store_rebuild(&mut self) -> Result<(), DbError> {
        let err = sql_err(&self.path);
        let mut id = [0u8; 16];
        rand::rng().fill_bytes(&mut id);
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute_batch(
            "UPDATE envelopes SET applied = 0;
             DELETE FROM sealed;
             DELETE FROM verdicts;
             DELETE FROM cursors;
             UPDATE lan_peers SET has_mine = 0, synced_ms = NULL;",
        )
        .map_err(err)?;
        for k in [key::RELAY_HAS_MINE, "relay_ticket", key::SEALED_THROUGH] {
            tx.execute("DELETE FROM kv WHERE key = ?1", [k])
                .map_err(err)?;
        }
        for (k, v) in [(key::LOG_ID, &id[..]), (key::RESTORING, b"store")] {
            tx.execute(
                "INSERT INTO kv (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        self.log_id = id;
        self.verified.clear();
        Ok(())
    }

    /// Marks a new, empty `sync.db` (the old one was lost or damaged) as being restored
    /// from the relay at `relay` (pinned to `pin`), where this device's keys are kept in
    /// `key_store`. Sequence numbers start above `seq_floor`: the relay may have collected
    /// this device's newest envelopes under a checkpoint, so what it returns is not
    /// proof of the highest number used; the caller passes a floor no earlier envelope can
    /// have reached (from the clock).
    pub fn prepare_rebuilt(
        &mut self,
        relay: &str,
        pin: Option<[u8; 32]>,
        key_store: Option<&str>,
        seq_floor: u64,
    ) -> Result<(), DbError> {
        self.set(key::RELAY, relay.as_bytes())?;
        if let Some(pin) = pin {
            self.set_relay_pin(&pin)?;
        }
        if let Some(store) = key_store {
            self.set(key::DEVICE_KEY_STORE, store.as_bytes())?;
        }
        // The workspace was registered at the relay long ago.
        self.set(key::REGISTERED, b"1")?;
        self.raise_seq(seq_floor)?;
        self.set(key::RESTORING, b"sync")
    }

    /// How many envelopes of `device` this log holds that arrived from elsewhere (this
    /// device's own, returned by a restore, when `device` is this device).
    pub fn received_from_author(&self, device: &DeviceId) -> Result<u64, DbError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM envelopes WHERE device = ?1 AND source != 'self'",
                [device.0.as_slice()],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Ends a restore: sealing may go on.
    pub fn finish_restore(&self) -> Result<(), DbError> {
        self.delete(key::RESTORING)
    }
}

/// Checks the `sync.db` at `path` without loading it: it opens, passes
/// `PRAGMA quick_check`, and its membership log (if any) decodes and verifies. Read-only.
/// Returns what a restore under way rebuilds (`key::RESTORING`), if one is.
pub fn check_file(path: &Path) -> Result<Option<String>, DbError> {
    let err = sql_err(path);
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(err)?;
    let findings: Vec<String> = {
        let mut stmt = conn.prepare("PRAGMA quick_check").map_err(err)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
        rows.take(10).collect::<Result<_, _>>().map_err(err)?
    };
    if findings.len() != 1 || findings[0] != "ok" {
        return Err(DbError {
            path: path.to_owned(),
            source: format!("quick_check found: {}", findings.join("; ")).into(),
        });
    }
    let membership: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM kv WHERE key = ?1",
            [key::MEMBERSHIP],
            |r| r.get(0),
        )
        .optional()
        .map_err(err)?;
    if let Some(bytes) = membership {
        MembershipLog::decode(&bytes, i64::MAX).map_err(|e| DbError {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
    }
    conn.query_row(
        "SELECT value FROM kv WHERE key = ?1",
        [key::RESTORING],
        |r| r.get::<_, Vec<u8>>(0),
    )
    .optional()
    .map(|v| v.map(|v| String::from_utf8_lossy(&v).into_owned()))
    .map_err(err)
}

/// What can still be read from a damaged `sync.db` that was moved aside: the relay, its
/// pin and where the device key lives. Opened read-only; every
/// failure is an absent value.
#[derive(Debug, Default, Clone)]
pub struct Salvaged {
    pub relay: Option<String>,
    pub pin: Option<[u8; 32]>,
    pub key_store: Option<String>,
}

impl Salvaged {
    pub fn read(path: &Path) -> Salvaged {
        let Ok(conn) =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        else {
            return Salvaged::default();
        };
        let get = |k: &str| -> Option<Vec<u8>> {
            conn.query_row("SELECT value FROM kv WHERE key = ?1", [k], |r| r.get(0))
                .ok()
        };
        let text = |k: &str| get(k).and_then(|v| String::from_utf8(v).ok());
        Salvaged {
            relay: text(key::RELAY),
            pin: get(key::RELAY_PIN).and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok()),
            key_store: text(key::DEVICE_KEY_STORE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_sync::{DeviceKeys, EpochKey, Header, WorkspaceId};
    use rand::SeedableRng;

    #[test]
    fn a_version_1_sync_db_is_kept_as_an_archive_and_every_document_is_sealed_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sync.db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(
                "CREATE TABLE envelopes (device BLOB NOT NULL, seq INTEGER NOT NULL,
                     doc TEXT NOT NULL, bytes BLOB NOT NULL, applied INTEGER NOT NULL DEFAULT 0,
                     PRIMARY KEY (device, seq)) STRICT;
                 CREATE TABLE sealed (doc TEXT PRIMARY KEY, heads BLOB NOT NULL) STRICT;
                 CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
                 INSERT INTO envelopes VALUES (x'01', 1, 'doc', x'deadbeef', 1);
                 INSERT INTO sealed VALUES ('doc', x'00');
                 INSERT INTO kv VALUES ('relay_url', CAST('ws://relay' AS BLOB)), ('relay_has_mine', CAST('1' AS BLOB));",
            )
            .expect("a version-1 database");
        }
        let db = SyncDb::open(&path).expect("migrates");
        assert_eq!(db.head(), 0, "the new log starts empty");
        assert_eq!(db.sealed("doc").expect("read"), Vec::new(), "sealed again");
        assert_eq!(
            db.get_str(key::RELAY).expect("read").as_deref(),
            Some("ws://relay")
        );
        assert_eq!(db.get(key::RELAY_HAS_MINE).expect("read"), None);
        let archived: Vec<u8> = db
            .conn
            .query_row("SELECT bytes FROM envelopes_v1", [], |r| r.get(0))
            .expect("the old envelopes are kept");
        assert_eq!(archived, vec![0xde, 0xad, 0xbe, 0xef]);
        let version: i64 = db
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("read");
        assert_eq!(version, SCHEMA_VERSION);
        drop(db);
        SyncDb::open(&path).expect("opens again without migrating twice");
    }

    #[test]
    fn own_envelopes_and_checkpoints_returned_by_a_restore_raise_the_numbering() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut db = SyncDb::open(&dir.path().join("sync.db")).expect("open");
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let me = DeviceKeys::generate(&mut rng);
        let other = DeviceKeys::generate(&mut rng);
        db.set_me(me.id());
        let key = EpochKey::generate(&mut rng);
        let ws = WorkspaceId([1; 16]);
        let (doc, doc2) = (DocumentId([2; 16]), DocumentId([3; 16]));
        // Another device's envelope teaches nothing about ours.
        let theirs = Header::changes(doc, 1, other.id(), 40, 9, 0);
        let env = Envelope::seal(&ws, theirs, b"x", &other, &key, &mut rng).expect("seal");
        db.append(&env, &Peer::Relay).expect("append");
        assert_eq!(db.next_numbers(&doc.to_string()).expect("numbers"), (1, 1));
        // Our own, returned: seq 7, doc_seq 3 of `doc`.
        let mine = Header::changes(doc, 1, me.id(), 7, 3, 0);
        let env = Envelope::seal(&ws, mine, b"x", &me, &key, &mut rng).expect("seal");
        db.append(&env, &Peer::Relay).expect("append");
        assert_eq!(db.next_numbers(&doc.to_string()).expect("numbers"), (8, 4));
        // A checkpoint of `doc2` by the other device covers our doc_seq 1..=5 there (the
        // relay collected those envelopes): our next one of `doc2` is 6.
        let mut covers = VersionVector::new();
        covers.set(me.id(), 5);
        covers.set(other.id(), 2);
        let part = meridian_sync::CheckpointPart {
            covers,
            part: 0,
            parts: 1,
        };
        let ck = Header::new(
            doc2,
            1,
            other.id(),
            41,
            meridian_sync::Kind::Checkpoint(part),
            0,
        );
        let env = Envelope::seal(&ws, ck, b"x", &other, &key, &mut rng).expect("seal");
        db.append(&env, &Peer::Relay).expect("append");
        assert_eq!(db.next_numbers(&doc2.to_string()).expect("numbers"), (8, 6));
        // Learnt numbers persist.
        drop(db);
        let db = SyncDb::open(&dir.path().join("sync.db")).expect("reopen");
        assert_eq!(db.next_numbers(&doc.to_string()).expect("numbers"), (8, 4));
        assert_eq!(db.next_numbers(&doc2.to_string()).expect("numbers"), (8, 6));
    }

    #[test]
    fn a_withheld_envelope_shows_as_a_gap_in_its_document() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut db = SyncDb::open(&dir.path().join("sync.db")).expect("open");
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let author = DeviceKeys::generate(&mut rng);
        let key = EpochKey::generate(&mut rng);
        let ws = WorkspaceId([1; 16]);
        let doc = DocumentId([2; 16]);
        let other = DocumentId([3; 16]);
        let mut seal = |seq, doc, doc_seq| {
            let header = Header::changes(doc, 1, author.id(), seq, doc_seq, 0);
            Envelope::seal(&ws, header, b"x", &author, &key, &mut rng).expect("seal")
        };
        // Doc 2: 1, 2, then 4 (3 withheld); doc 3: 1, 2 (nothing missing).
        for (seq, d, doc_seq) in [
            (1, doc, 1),
            (2, other, 1),
            (3, doc, 2),
            (4, other, 2),
            (6, doc, 4),
        ] {
            let env = seal(seq, d, doc_seq);
            assert_eq!(db.held(&env), Held::No);
            db.append(&env, &Peer::Relay).expect("append");
            assert_eq!(db.held(&env), Held::Stored);
        }
        assert_eq!(db.gaps().expect("gaps"), vec![(doc, author.id(), 3)]);
        let env = seal(5, doc, 3);
        db.append(&env, &Peer::Relay).expect("append");
        assert_eq!(db.gaps().expect("gaps"), Vec::new());
        // What came from the relay is never sent back to it.
        let batch = db.read_after(0, &Peer::Relay, 1 << 20).expect("read");
        assert!(batch.entries.is_empty());
        assert_eq!(batch.upto, db.head());
    }

    #[test]
    fn set_aside_envelopes_come_back_oldest_first_as_room_frees() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut db = SyncDb::open(&dir.path().join("sync.db")).expect("open");
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let author = DeviceKeys::generate(&mut rng);
        let key = EpochKey::generate(&mut rng);
        let ws = WorkspaceId([1; 16]);
        let (a, b) = (DocumentId([2; 16]), DocumentId([3; 16]));
        let mut envs = Vec::new();
        for seq in 1..=6u64 {
            let doc = if seq == 6 { b } else { a };
            let header = Header::changes(doc, 1, author.id(), seq, seq, 0);
            let env = Envelope::seal(&ws, header, b"x", &author, &key, &mut rng).expect("seal");
            db.append(&env, &Peer::Relay).expect("append");
            envs.push(env);
        }
        let size = envs[0].encode().len() as u64;
        assert_eq!(db.waiting_beside(&envs[0]).expect("count"), (4, 4 * size));
        // Three of a's five are set aside, and b's one.
        for env in [&envs[2], &envs[3], &envs[4], &envs[5]] {
            db.set_aside(env).expect("set aside");
        }
        assert_eq!(db.waiting_beside(&envs[0]).expect("count"), (1, size));
        assert_eq!(
            db.set_aside_counts().expect("counts"),
            vec![(a.to_string(), 3), (b.to_string(), 1)]
        );
        assert!(
            db.has_unapplied_in(&b.to_string()).expect("read"),
            "set aside counts"
        );
        // No room in a (limit 2, two wait): nothing moves; b has none waiting, so its
        // oldest moves whatever the limit.
        let tight = WaitingLimit {
            envelopes: 2,
            bytes: u64::MAX,
        };
        assert_eq!(db.release_set_aside(None, tight).expect("release"), 1);
        assert_eq!(
            db.set_aside_counts().expect("counts"),
            vec![(a.to_string(), 3)]
        );
        // Two of a's waiting are applied: the two oldest set aside come back, in order.
        db.mark_applied(&envs[0]).expect("mark");
        db.mark_applied(&envs[1]).expect("mark");
        assert_eq!(
            db.release_set_aside(Some(&a.to_string()), tight)
                .expect("release"),
            2
        );
        let back: Vec<u64> = db
            .unapplied_page(Some(&a.to_string()), 0, 10)
            .expect("page")
            .into_iter()
            .map(|(_, e)| e.key().1)
            .collect();
        assert_eq!(back, vec![3, 4]);
        // The byte limit counts too.
        db.mark_applied(&envs[2]).expect("mark");
        let bytes = WaitingLimit {
            envelopes: 100,
            bytes: size,
        };
        assert_eq!(db.release_set_aside(None, bytes).expect("release"), 0);
        db.mark_applied(&envs[3]).expect("mark");
        assert_eq!(db.release_set_aside(None, bytes).expect("release"), 1);
        assert!(db.set_aside_counts().expect("counts").is_empty());
    }

    #[test]
    fn envelopes_waiting_for_a_dependency_are_read_a_page_at_a_time_per_document() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut db = SyncDb::open(&dir.path().join("sync.db")).expect("open");
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let author = DeviceKeys::generate(&mut rng);
        let key = EpochKey::generate(&mut rng);
        let ws = WorkspaceId([1; 16]);
        let (a, b) = (DocumentId([2; 16]), DocumentId([3; 16]));
        // 700 waiting envelopes in document a, 5 in b, interleaved as they arrive.
        let mut seq = 0;
        for i in 0..705u64 {
            seq += 1;
            let doc = if i % 141 == 0 { b } else { a };
            let header = Header::changes(doc, 1, author.id(), seq, seq, 0);
            let env = Envelope::seal(&ws, header, b"x", &author, &key, &mut rng).expect("seal");
            db.append(&env, &Peer::Relay).expect("append");
        }
        let read = |doc: Option<&str>| {
            let (mut after, mut pages, mut seen) = (0, 0, 0);
            loop {
                let page = db.unapplied_page(doc, after, 256).expect("page");
                let Some((last, _)) = page.last() else { break };
                assert!(page.len() <= 256);
                assert!(
                    page.iter().all(|(pos, _)| *pos > after),
                    "in order, none twice"
                );
                after = *last;
                pages += 1;
                seen += page.len();
            }
            (pages, seen)
        };
        assert_eq!(read(Some(&a.to_string())), (3, 700));
        assert_eq!(read(Some(&b.to_string())), (1, 5));
        assert_eq!(read(None), (3, 705));
        assert!(db.has_unapplied_in(&a.to_string()).expect("read"));
        assert!(
            !db.has_unapplied_in(&DocumentId([9; 16]).to_string())
                .expect("read")
        );
        // Applied envelopes leave the pages.
        for (_, env) in db
            .unapplied_page(Some(&b.to_string()), 0, 256)
            .expect("page")
        {
            db.mark_applied(&env).expect("mark");
        }
        assert_eq!(read(Some(&b.to_string())), (0, 0));
        assert!(!db.has_unapplied_in(&b.to_string()).expect("read"));
    }
}
