//! Meridian's sync layer, sans IO: device keys, sealed envelopes, the membership log,
//! invites, version vectors and the session state machine that relay and LAN peers share.
//!
//! It does no networking, starts no tasks and reads no clock: callers pass `now_ms` and a
//! cryptographic random generator, move frames over their own transport, and store
//! envelopes behind [`EnvelopeLog`]. The only IO is [`keyfile`]'s encrypted key file. It
//! depends on no other Meridian crate; document ids travel as [`DocumentId`] bytes whose
//! text form equals `meridian_core::DocId`'s.
//!
//! # Protocol
//!
//! Each device numbers the envelopes it writes 1, 2, 3, … (its identity and replay guard),
//! and each `Changes` envelope also 1, 2, 3, … within its document (the coordinate
//! checkpoints cover). Every party keeps a log of the envelopes it holds at positions; two
//! parties read each other's logs from where they left off, skipping what a checkpoint
//! makes redundant ([`store`], [`protocol`]). A checkpoint is a saved document whose
//! signed header says which envelopes it covers ([`checkpoint`]): a new device gets the
//! newest checkpoint plus what it does not cover, and the relay deletes covered envelopes
//! once members verified the checkpoint, from headers and verdicts alone. Sync status
//! comes from what the peer acknowledged. Frames ([`wire`]) start with a protocol-version
//! byte and are size-checked before decoding.
//!
//! # Trust model
//!
//! - Envelope bodies are sealed with XChaCha20-Poly1305 under a per-document key derived
//!   (HKDF-SHA256) from the workspace's epoch key; the workspace and the header (document,
//!   epoch, author, sequence numbers, kind and coverage, time) are the associated data and
//!   are signed with the author's Ed25519 key.
//! - The relay sees headers, sizes, timing and the membership log (names, roles, public
//!   keys, wrapped keys), and which checkpoints devices verified. It never sees Automerge
//!   hashes or heads. It checks signatures and membership, stores and forwards; it
//!   never holds an epoch key, so it cannot read or forge content, nor change a header
//!   without breaking the signature.
//! - Membership is a hash-chained log signed by admin devices; every party verifies it.
//!   Epoch keys are wrapped to each device's X25519 key with HPKE. Removing a device
//!   rotates the epoch key in the same step, so it cannot read anything written after;
//!   it keeps what it had already synced.
//! - A member can write only envelopes under its own device id; a removed device's old
//!   envelopes stay valid history up to the epoch it was removed in.

pub mod checkpoint;
mod codec;
pub mod delivery;
pub mod envelope;
mod ids;
pub mod inflate;
pub mod invite;
pub mod keyfile;
pub mod keys;
pub mod membership;
pub mod protocol;
pub mod resume;
pub mod store;
pub mod vector;
pub mod wire;

pub use checkpoint::{CheckpointInfo, Coverage, Sweep};
pub use envelope::{CheckpointId, CheckpointPart, Envelope, EnvelopeError, Header, Kind};
pub use ids::{DeviceId, DocumentId, InviteId, ParseIdError, WorkspaceId};
pub use invite::{
    Invite, InviteCodeError, InviteSecret, JoinError, JoinRequest, admit, verify_join,
};
pub use keyfile::KeyFileError;
pub use keys::{
    DeviceKeys, DevicePublic, EpochKey, KeyError, WrappedKey, unwrap_epoch_key, wrap_epoch_key,
};
pub use membership::{MembershipError, MembershipLog, MembershipState, Op, Role, SignedOp};
pub use protocol::{Closed, Ctx, PeerKind, Session, Step};
pub use resume::{IssuedTicket, ResumeRefused, Ticket};
pub use store::{Batch, EnvelopeLog, Held, LogId, MemLog, Peer, Verdict};
pub use vector::VersionVector;
pub use wire::{ErrorCode, Frame, WireError};

/// Any error of this crate, for callers that want one type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A key could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The key file could not be used.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// An envelope was refused.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// A membership op or log was refused.
    #[error(transparent)]
    Membership(#[from] MembershipError),
    /// An invite code could not be read.
    #[error(transparent)]
    InviteCode(#[from] InviteCodeError),
    /// A join request was refused.
    #[error(transparent)]
    Join(#[from] JoinError),
    /// A frame could not be decoded.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// An id could not be parsed.
    #[error(transparent)]
    Id(#[from] ParseIdError),
}
