//! Where the relay keeps what it receives: per workspace, the membership log, the sealed
//! envelopes (exactly the bytes a device sent: clear header, ciphertext, signature) and the
//! join requests waiting for an admin. Nothing else: no keys, no plaintext, no names beyond
//! what the membership log itself carries.
//!
//! [`RelayStore`] is the seam for other backends (a shared PostgreSQL store for several
//! relay instances, DESIGN §6); [`SqliteStore`] is the embedded default.

mod sqlite;

pub use sqlite::{SqliteStore, StoreError};

use meridian_sync::vector::SeqRange;
use meridian_sync::{
    DeviceId, Envelope, EnvelopeLog, InviteId, SignedOp, VersionVector, WorkspaceId,
};

/// One workspace as loaded at startup.
#[derive(Debug, Clone)]
pub struct StoredWorkspace {
    /// The workspace.
    pub id: WorkspaceId,
    /// Its membership log, oldest op first (verified again by the relay after loading).
    pub ops: Vec<SignedOp>,
    /// Device → highest sequence number held.
    pub vector: VersionVector,
    /// Bytes of envelopes stored, counted against the quota.
    pub bytes_used: u64,
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

    /// Everything the relay keeps in memory: every workspace's log, vector and usage.
    fn load(&mut self) -> Result<Vec<StoredWorkspace>, Self::Error>;

    /// Records a new workspace with the start of its membership log.
    fn create_workspace(&mut self, ws: &WorkspaceId, ops: &[SignedOp]) -> Result<(), Self::Error>;

    /// Appends membership ops at positions `start`, `start + 1`, ….
    fn append_ops(
        &mut self,
        ws: &WorkspaceId,
        start: u64,
        ops: &[SignedOp],
    ) -> Result<(), Self::Error>;

    /// Stores the envelope (the next of its device); returns the bytes it takes, which the
    /// store also adds to the workspace's usage.
    fn append_envelope(
        &mut self,
        ws: &WorkspaceId,
        envelope: &Envelope,
    ) -> Result<u64, Self::Error>;

    /// Reads envelopes in `range`, in order, stopping once their encoded size passes
    /// `max_bytes` (at least one when the range is held).
    fn read_envelopes(
        &self,
        ws: &WorkspaceId,
        range: &SeqRange,
        max_bytes: usize,
    ) -> Result<Vec<Envelope>, Self::Error>;

    /// Keeps a join request (replacing an earlier one from the same device for the same
    /// invite).
    fn put_join(&mut self, ws: &WorkspaceId, join: &PendingJoin) -> Result<(), Self::Error>;

    /// The join requests kept for a workspace, oldest first.
    fn joins(&self, ws: &WorkspaceId) -> Result<Vec<PendingJoin>, Self::Error>;

    /// Drops the join requests that use `invite` (it was used or is gone).
    fn delete_joins(&mut self, ws: &WorkspaceId, invite: &InviteId) -> Result<(), Self::Error>;

    /// Drops every join request whose invite expired before `now_ms`.
    fn delete_expired_joins(&mut self, now_ms: i64) -> Result<(), Self::Error>;

    /// Makes every write since the last commit durable.
    fn commit(&mut self) -> Result<(), Self::Error>;

    /// Forgets every write since the last commit.
    fn rollback(&mut self);

    /// Flushes and closes the store at shutdown.
    fn close(self) -> Result<(), Self::Error>;
}

/// A workspace's storage quota is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "workspace {workspace} has used its storage quota on this relay ({used} of {quota} bytes): remove old documents or ask the relay's operator to raise --quota-mb"
)]
pub struct QuotaExceeded {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// Bytes stored.
    pub used: u64,
    /// The quota.
    pub quota: u64,
}

/// Why [`WorkspaceLog`] could not store an envelope.
#[derive(Debug, thiserror::Error)]
pub enum LogError<E: std::error::Error + 'static> {
    /// The workspace is over its quota; nothing was written.
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    /// The backend failed.
    #[error("relay storage failed: {0}")]
    Store(#[source] E),
}

/// One workspace's envelopes seen through [`EnvelopeLog`], for a [`meridian_sync::Session`]:
/// the vector and usage live in the relay's memory, the envelopes in the store.
#[derive(Debug)]
pub struct WorkspaceLog<'a, S> {
    store: &'a mut S,
    workspace: WorkspaceId,
    vector: &'a mut VersionVector,
    bytes_used: &'a mut u64,
    quota: u64,
}

impl<'a, S: RelayStore> WorkspaceLog<'a, S> {
    /// A view of `workspace` in `store`, whose held `vector` and `bytes_used` the caller
    /// keeps (both are updated on append).
    pub fn new(
        store: &'a mut S,
        workspace: WorkspaceId,
        vector: &'a mut VersionVector,
        bytes_used: &'a mut u64,
        quota: u64,
    ) -> Self {
        WorkspaceLog {
            store,
            workspace,
            vector,
            bytes_used,
            quota,
        }
    }
}

impl<S: RelayStore> EnvelopeLog for WorkspaceLog<'_, S> {
    type Error = LogError<S::Error>;

    fn vector(&self) -> &VersionVector {
        self.vector
    }

    fn append(&mut self, envelope: &Envelope) -> Result<(), Self::Error> {
        let size = envelope.encoded_len_bound() as u64;
        if self.bytes_used.saturating_add(size) > self.quota {
            return Err(LogError::Quota(QuotaExceeded {
                workspace: self.workspace,
                used: *self.bytes_used,
                quota: self.quota,
            }));
        }
        let stored = self
            .store
            .append_envelope(&self.workspace, envelope)
            .map_err(LogError::Store)?;
        *self.bytes_used += stored;
        let (device, seq) = envelope.key();
        self.vector.set(device, seq);
        Ok(())
    }

    fn read(&self, range: &SeqRange, max_bytes: usize) -> Result<Vec<Envelope>, Self::Error> {
        self.store
            .read_envelopes(&self.workspace, range, max_bytes)
            .map_err(LogError::Store)
    }
}
