//! The membership log: a hash-chained list of operations signed by admin devices.
//!
//! Every party (devices and the relay) replays the log and derives the same
//! [`MembershipState`]: who belongs, with which role, the current epoch, the epoch keys
//! wrapped for each device, and the invites. An op is accepted only if it links to the
//! previous op's hash, its signature verifies, its author is an active admin (the first
//! op, which creates the workspace, is signed by its creator) and the rules for its kind
//! hold. Concurrent admin edits fork the chain; the relay accepts the first and refuses
//! the other with a conflict, and its author re-creates it on the new head.

mod log;
mod op;
mod state;

pub use log::{MAX_LOG_BYTES, MembershipLog};
pub use op::{EpochGrant, MAX_NAME_BYTES, Op, OpHash, Role, SignedOp};
pub use state::{Denied, DeviceRecord, InviteRecord, MembershipState};

use crate::ids::{DeviceId, InviteId};
use crate::keys::KeyError;

/// How far in the future (by the verifier's clock) an op's timestamp may be.
pub const MAX_CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// Why a membership op (or a whole log) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    /// The op does not link to the current head.
    #[error(
        "membership op #{index} does not follow the current log (expected previous {expected}, got {got}): someone changed membership at the same time; re-create the change on the current log"
    )]
    BrokenChain {
        /// The position the op was offered at.
        index: u64,
        /// The head it should link to.
        expected: OpHash,
        /// The head it links to.
        got: OpHash,
    },
    /// The signature does not verify.
    #[error(
        "membership op #{index} claiming to be by device {author} has a bad signature: it was forged or altered"
    )]
    BadSignature {
        /// The position of the op.
        index: u64,
        /// The claimed author.
        author: DeviceId,
    },
    /// The op is dated too far after the verifier's clock.
    #[error(
        "membership op is dated {at_ms} ms, more than 10 minutes after this device's clock ({now_ms} ms): check the author's clock"
    )]
    FromTheFuture {
        /// The op's timestamp.
        at_ms: i64,
        /// The verifier's clock.
        now_ms: i64,
    },
    /// A log must start by creating the workspace.
    #[error("the first membership op must create the workspace")]
    NotCreated,
    /// Only the first op creates the workspace.
    #[error("the workspace already exists; it cannot be created twice")]
    AlreadyCreated,
    /// The first op must be signed by the device it names as creator.
    #[error("the workspace must be created by the device named as its creator")]
    CreatorMismatch,
    /// The device is not in the log.
    #[error("device {0} is not a member of this workspace")]
    UnknownDevice(DeviceId),
    /// A removed device tried to author an op.
    #[error("device {0} was removed from this workspace and can no longer change it")]
    AuthorRemoved(DeviceId),
    /// A non-admin device tried to author an op.
    #[error("device {author} is {role:?}; only admins can change membership")]
    NotAdmin {
        /// The author.
        author: DeviceId,
        /// Its role.
        role: Role,
    },
    /// A device was removed and the next op is not the key rotation.
    #[error("a device was just removed: the next membership op must rotate the workspace key")]
    RotationRequired,
    /// The device is already an active member.
    #[error("device {0} is already a member")]
    AlreadyMember(DeviceId),
    /// The device was already removed.
    #[error("device {0} was already removed")]
    AlreadyRemoved(DeviceId),
    /// Admins cannot remove themselves (another admin must, and then rotate the key).
    #[error("a device cannot remove itself; another admin must remove it")]
    SelfRemoval,
    /// The op would leave the workspace without an admin.
    #[error("device {0} is the last admin; make another device admin first")]
    LastAdmin(DeviceId),
    /// An added device must receive the key of every epoch so far.
    #[error("device {device} must receive the keys of epochs 1 to {epoch}, exactly once each")]
    MissingEpochKeys {
        /// The device being added.
        device: DeviceId,
        /// The current epoch.
        epoch: u64,
    },
    /// A rotation must move to exactly the next epoch.
    #[error("key rotation must move to epoch {expected}, not {got}")]
    EpochNotNext {
        /// The epoch offered.
        got: u64,
        /// current + 1.
        expected: u64,
    },
    /// A rotation must wrap the new key for exactly the active devices.
    #[error(
        "key rotation must wrap the new key for every active device and no other ({missing} missing, {unexpected} unexpected)"
    )]
    RotationRecipients {
        /// Active devices without a key.
        missing: usize,
        /// Keys for removed, unknown or repeated devices.
        unexpected: usize,
    },
    /// Invite ids are single-use and unique.
    #[error("invite {0} already exists")]
    DuplicateInvite(InviteId),
    /// No such invite in the log.
    #[error("invite {0} is unknown to this workspace")]
    UnknownInvite(InviteId),
    /// The invite was used already.
    #[error("invite {invite} was already used by device {by}")]
    InviteAlreadyUsed {
        /// The invite.
        invite: InviteId,
        /// The device that used it.
        by: DeviceId,
    },
    /// The invite had expired when it was used.
    #[error("invite {invite} expired at {expires_ms} ms, before it was used at {at_ms} ms")]
    InviteExpired {
        /// The invite.
        invite: InviteId,
        /// When it expired.
        expires_ms: i64,
        /// When it was used.
        at_ms: i64,
    },
    /// A name longer than [`MAX_NAME_BYTES`].
    #[error("names are limited to {MAX_NAME_BYTES} bytes")]
    NameTooLong,
    /// Wrapping a key for a device failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The encoded log is too large.
    #[error("membership log is {size} bytes; the limit is {MAX_LOG_BYTES}")]
    TooLarge {
        /// The size offered.
        size: usize,
    },
    /// The encoded log is not valid.
    #[error("membership log is malformed: {0}")]
    Malformed(String),
}
