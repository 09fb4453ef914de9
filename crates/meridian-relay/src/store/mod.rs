//! Where the relay keeps what it receives: per workspace, the membership log, the log of
//! sealed envelopes (exactly the bytes a device sent: clear header, ciphertext, signature)
//! at positions, how far it holds each device's own log (cursors), the checkpoint
//! verdicts devices reported, and the join requests waiting for an admin. Nothing else: no
//! keys, no plaintext, no names beyond what the membership log itself carries.
//!
//! Envelopes are stored with the clear header fields the relay decides on (author,
//! sequence numbers, document, checkpoint coverage, who pushed it) in columns of their
//! own, so choosing what to send, what a checkpoint makes redundant and what the sweep may
//! delete never decodes an envelope.
//!
//! [`RelayStore`] is the seam for other backends (a shared PostgreSQL store for several
//! relay instances, ARCHITECTURE: Sync and security); [`SqliteStore`] is the embedded default,
//! [`PgStore`] the PostgreSQL store several relay processes share (ADR 0009).

mod postgres;
mod reserve;
mod sqlite;

pub use postgres::{PgError, PgStore};
pub use sqlite::{SqliteStore, StoreError};

use meridian_sync::{
    DeviceId, DocumentId, Envelope, Header, InviteId, IssuedTicket, LogId, Peer, SignedOp, Sweep,
    Verdict, VersionVector, WorkspaceId,
};

/// One workspace as loaded at startup.
#[derive(Debug, Clone)]
pub struct StoredWorkspace {
    /// The workspace.
    pub id: WorkspaceId,
    /// Its membership log, oldest op first (verified again by the relay after loading).
    pub ops: Vec<SignedOp>,
    /// The identity of its envelope log (random, fixed when the workspace was created or
    /// migrated).
    pub log_id: LogId,
    /// The last position given to an envelope (positions are never reused).
    pub head: u64,
    /// Bytes of envelopes retained, counted against the quota.
    pub bytes_used: u64,
    /// The header of every checkpoint part stored.
    pub checkpoint_parts: Vec<Header>,
    /// Every verdict kept, by the device that reported it.
    pub verdicts: Vec<(DeviceId, Verdict)>,
}

/// An envelope's stored metadata: enough to decide whether a peer needs it.
#[derive(Debug, Clone)]
pub struct EntryMeta {
    /// Its position in the workspace's log.
    pub pos: u64,
    /// Its header as far as the relay decides on it (author, sequence numbers, document,
    /// kind and coverage; epoch and time are not kept apart and read as 0).
    pub header: Header,
    /// Who sent it to the relay.
    pub source: Peer,
    /// Its encoded size.
    pub size: u64,
}

/// What [`RelayStore::read_after`] found.
#[derive(Debug, Clone, Default)]
pub struct ReadBatch {
    /// The envelopes taken, with their positions, in order.
    pub entries: Vec<(u64, Envelope)>,
    /// Set when the byte budget stopped the read before this position.
    pub stopped_at: Option<u64>,
}

/// A join request waiting for an admin device of its workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJoin {
    /// The invite it uses.
    pub invite: InviteId,
    /// The device asking to join.
    pub device: DeviceId,
    /// When the invite expires (then the request is dropped).
    pub expires_ms: i64,
    /// `JoinRequest::encode()`, as received.
    pub request: Vec<u8>,
}

/// Durable storage for the relay. Every method blocks on disk: the relay calls them only
/// from its one store thread, never from the async runtime.
///
/// Writes are grouped: everything written since the last [`RelayStore::commit`] becomes
/// durable together when it returns, and the relay sends no `Ack`, `Registered` or
/// `JoinQueued` for a write before that. Reads see writes not yet committed.
pub trait RelayStore: Send + 'static {
    /// What can go wrong in the backend.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Everything the relay keeps in memory: every workspace's membership log, log head,
    /// usage, checkpoints and verdicts.
    fn load(&mut self) -> Result<Vec<StoredWorkspace>, Self::Error>;

    /// Records a new workspace with the start of its membership log and its log's id.
    fn create_workspace(
        &mut self,
        ws: &WorkspaceId,
        log_id: &LogId,
        ops: &[SignedOp],
    ) -> Result<(), Self::Error>;

    /// Appends membership ops at positions `start`, `start + 1`, ….
    fn append_ops(
        &mut self,
        ws: &WorkspaceId,
        start: u64,
        ops: &[SignedOp],
    ) -> Result<(), Self::Error>;

    /// Stores the envelope at position `pos` (above every position used so far), received
    /// from `source`; returns the bytes it takes, which the store adds to the workspace's
    /// usage. Also records `pos` as the workspace's head.
    fn append_envelope(
        &mut self,
        ws: &WorkspaceId,
        pos: u64,
        envelope: &Envelope,
        source: &Peer,
    ) -> Result<u64, Self::Error>;

    /// Whether the envelope `(device, seq)` is stored.
    fn contains(&self, ws: &WorkspaceId, device: &DeviceId, seq: u64) -> Result<bool, Self::Error>;

    /// Reads the envelopes after position `after` that `skip` does not drop, in order,
    /// stopping once their encoded size passes `max_bytes` (at least one is taken).
    fn read_after(
        &self,
        ws: &WorkspaceId,
        after: u64,
        max_bytes: usize,
        skip: &mut dyn FnMut(&EntryMeta) -> bool,
    ) -> Result<ReadBatch, Self::Error>;

    /// What is known of every envelope after position `after`, in order (no bodies).
    fn metas_after(&self, ws: &WorkspaceId, after: u64) -> Result<Vec<EntryMeta>, Self::Error>;

    /// Every `Changes` envelope of `doc` kept, as (author, `doc_seq`, encoded size).
    fn doc_changes(
        &self,
        ws: &WorkspaceId,
        doc: &DocumentId,
    ) -> Result<Vec<(DeviceId, u64, u64)>, Self::Error>;

    /// Moves the `Changes` envelopes of `doc` that `covers` names (per author, `doc_seq`
    /// up to its entry) to new positions after `head`, in their order; returns the new
    /// head. A checkpoint claiming them was rejected: every peer must get them again.
    fn reannounce(
        &mut self,
        ws: &WorkspaceId,
        doc: &DocumentId,
        covers: &VersionVector,
        head: u64,
    ) -> Result<u64, Self::Error>;

    /// Deletes what a sweep of `doc` allows (the `Changes` envelopes it names and every
    /// part and verdict of its checkpoints); returns the bytes freed, which the store also
    /// takes off the workspace's usage.
    fn delete_swept(
        &mut self,
        ws: &WorkspaceId,
        doc: &DocumentId,
        sweep: &Sweep,
    ) -> Result<u64, Self::Error>;

    /// Keeps a verdict `from` reported.
    fn put_verdict(
        &mut self,
        ws: &WorkspaceId,
        from: &DeviceId,
        verdict: &Verdict,
    ) -> Result<(), Self::Error>;

    /// How far into `device`'s log `log` the relay holds (0 if never, or another log).
    fn cursor(&self, ws: &WorkspaceId, device: &DeviceId, log: &LogId) -> Result<u64, Self::Error>;

    /// Records how far into `device`'s log `log` the relay holds.
    fn set_cursor(
        &mut self,
        ws: &WorkspaceId,
        device: &DeviceId,
        log: &LogId,
        pos: u64,
    ) -> Result<(), Self::Error>;

    /// Keeps a join request (replacing an earlier one from the same device for the same
    /// invite).
    fn put_join(&mut self, ws: &WorkspaceId, join: &PendingJoin) -> Result<(), Self::Error>;

    /// The join requests kept for a workspace, oldest first.
    fn joins(&self, ws: &WorkspaceId) -> Result<Vec<PendingJoin>, Self::Error>;

    /// Drops the join requests that use `invite` (it was used or is gone).
    fn delete_joins(&mut self, ws: &WorkspaceId, invite: &InviteId) -> Result<(), Self::Error>;

    /// Drops every join request whose invite expired before `now_ms`.
    fn delete_expired_joins(&mut self, now_ms: i64) -> Result<(), Self::Error>;

    /// Keeps a session ticket, replacing any earlier ticket of the same device in the same
    /// workspace.
    fn put_ticket(&mut self, ticket: &IssuedTicket) -> Result<(), Self::Error>;

    /// The ticket with this id, if kept.
    fn ticket(&self, id: &[u8; 16]) -> Result<Option<IssuedTicket>, Self::Error>;

    /// Records the last counter accepted with a ticket.
    fn set_ticket_counter(&mut self, id: &[u8; 16], counter: u64) -> Result<(), Self::Error>;

    /// Drops every ticket that expired before `now_ms`.
    fn delete_expired_tickets(&mut self, now_ms: i64) -> Result<(), Self::Error>;

    /// Makes every write since the last commit durable.
    fn commit(&mut self) -> Result<(), Self::Error>;

    /// Forgets every write since the last commit.
    fn rollback(&mut self);

    /// Gives the space of deleted envelopes back to the file system, after a sweep was
    /// committed. Backends that manage space themselves do nothing.
    fn reclaim_space(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }

    /// Flushes and closes the store at shutdown.
    fn close(self) -> Result<(), Self::Error>;

    /// True while the disk holding the store is nearly full: pushes are refused with
    /// `StorageFull` before anything is written, so what space is left serves logins and
    /// reads. A backend without a local disk never is.
    fn disk_low(&mut self) -> bool {
        false
    }

    // Several relays on one store (ADR 0009). The defaults are those of a store only one
    // relay uses: nothing changes behind its back.

    /// Whether other relay processes may write to this store at the same time.
    fn shared(&self) -> bool {
        false
    }

    /// Locks the workspaces `held` names (with how many membership ops the relay holds of
    /// each) until the transaction ends, in workspace id order, and returns what other
    /// relays changed in each since this store last saw it. The relay decides on a
    /// workspace only after locking it, so positions, quota and membership are decided on
    /// the current rows.
    fn lock_workspaces(
        &mut self,
        held: &[(WorkspaceId, u64)],
    ) -> Result<Vec<(WorkspaceId, Refresh)>, Self::Error> {
        let _ = held;
        Ok(Vec::new())
    }

    /// Loads (and locks) one workspace the relay does not hold in memory: another relay
    /// registered it. `None` if the store does not hold it either.
    fn load_workspace(&mut self, ws: &WorkspaceId) -> Result<Option<StoredWorkspace>, Self::Error> {
        let _ = ws;
        Ok(None)
    }

    /// Starts watching for other relays' writes: `sink` gets a [`Remote`] for each hint
    /// (and [`Remote::All`] whenever hints may have been lost); it returns `false` once
    /// nobody listens any more.
    fn watch(&mut self, sink: Box<dyn FnMut(Remote) -> bool + Send>) -> Result<(), Self::Error> {
        drop(sink);
        Ok(())
    }

    /// Whether the store is reachable and its schema is the one this build writes (for
    /// `/healthz`). Called between transactions.
    fn health(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// What other relays changed in a workspace ([`RelayStore::lock_workspaces`]).
#[derive(Debug, Clone, Default)]
pub struct Refresh {
    /// The log's head now.
    pub head: u64,
    /// Bytes retained now.
    pub bytes_used: u64,
    /// Membership ops stored after those the relay holds, in order.
    pub ops: Vec<SignedOp>,
    /// When checkpoints or verdicts changed: every checkpoint part's header and every
    /// verdict, as [`StoredWorkspace`] has them.
    pub coverage: Option<CoverageRows>,
    /// A join request arrived through another relay: admins connected here should see it.
    pub joins: bool,
}

/// A workspace's checkpoint parts (their headers) and verdicts (with who reported each).
pub type CoverageRows = (Vec<Header>, Vec<(DeviceId, Verdict)>);

/// A hint that another relay wrote ([`RelayStore::watch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// To this workspace.
    Workspace(WorkspaceId),
    /// To any workspace: hints may have been lost.
    All,
}
