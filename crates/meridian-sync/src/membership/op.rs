//! Membership operations and their signed, hash-linked form.

use std::fmt;

use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::ids::{DeviceId, InviteId, WorkspaceId};
use crate::keys::{DeviceKeys, DevicePublic, WrappedKey, verify_signature};

/// The longest workspace or member name, in bytes.
pub const MAX_NAME_BYTES: usize = 200;

const SIGNATURE_DOMAIN: &[u8] = b"meridian/membership/v1";

/// What a device may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Reads, writes and changes membership.
    Admin,
    /// Reads and writes.
    Editor,
    /// Reads only.
    Viewer,
}

impl Role {
    /// Whether envelopes by this role are accepted.
    pub fn can_write(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }
}

/// An epoch key wrapped for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochGrant {
    /// The epoch.
    pub epoch: u64,
    /// Its key, wrapped for the device.
    pub key: WrappedKey,
}

/// One membership change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// The first op: the workspace, its creator (an admin) and the key of epoch 1.
    CreateWorkspace {
        /// The new workspace.
        workspace: WorkspaceId,
        /// Its display name.
        name: String,
        /// The creating device.
        creator: DevicePublic,
        /// The creator's member name.
        member: String,
        /// Epoch 1's key, wrapped for the creator.
        key: WrappedKey,
    },
    /// Adds a device with the keys of every epoch so far, so it can read all history.
    AddDevice {
        /// The device.
        device: DevicePublic,
        /// The member (person) it belongs to.
        member: String,
        /// Its role.
        role: Role,
        /// Epochs 1..=current, each wrapped for the device.
        keys: Vec<EpochGrant>,
    },
    /// Removes a device; must be followed at once by [`Op::RotateKey`].
    RemoveDevice {
        /// The device.
        device: DeviceId,
    },
    /// Changes a device's role.
    ChangeRole {
        /// The device.
        device: DeviceId,
        /// The new role.
        role: Role,
    },
    /// Starts the next epoch, its key wrapped for every remaining device.
    RotateKey {
        /// current + 1.
        epoch: u64,
        /// One key per active device.
        keys: Vec<(DeviceId, WrappedKey)>,
    },
    /// Records an invite; the secret itself stays with the admin and the invitee.
    InviteCreated {
        /// The invite.
        invite: InviteId,
        /// blake3 of the invite secret.
        secret_hash: [u8; 32],
        /// The role the joining device gets.
        role: Role,
        /// When the invite stops working.
        expires_ms: i64,
    },
    /// Marks an invite used by one device (followed by its [`Op::AddDevice`]).
    InviteUsed {
        /// The invite.
        invite: InviteId,
        /// The joining device.
        device: DevicePublic,
        /// The member name it gave.
        member: String,
    },
}

/// The blake3 hash of an encoded [`SignedOp`]; the next op's `prev`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct OpHash(pub [u8; 32]);

impl fmt::Display for OpHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for OpHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpHash({self})")
    }
}

/// An op as it travels and is stored: linked to the previous op and signed by its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOp {
    /// Hash of the previous op; zero for the first.
    pub prev: OpHash,
    /// The signing device.
    pub author: DeviceId,
    /// The author's clock. Invite expiry is judged by it.
    pub at_ms: i64,
    /// The change.
    pub op: Op,
    /// Ed25519 signature over the fields above.
    pub signature: Signature,
}

fn signed_bytes(prev: &OpHash, author: &DeviceId, at_ms: i64, op: &Op) -> Vec<u8> {
    let mut msg = SIGNATURE_DOMAIN.to_vec();
    msg.extend_from_slice(&codec::encode(&(prev, author, at_ms, op)));
    msg
}

impl SignedOp {
    /// Signs `op` as the successor of `prev`.
    pub fn sign(prev: OpHash, author: &DeviceKeys, at_ms: i64, op: Op) -> SignedOp {
        let id = author.id();
        let signature = author.sign(&signed_bytes(&prev, &id, at_ms, &op));
        SignedOp {
            prev,
            author: id,
            at_ms,
            op,
            signature,
        }
    }

    /// This op's hash, which the next op links to.
    pub fn hash(&self) -> OpHash {
        OpHash(*blake3::hash(&codec::encode(self)).as_bytes())
    }

    /// Whether the author's signature verifies.
    pub fn signature_ok(&self) -> bool {
        verify_signature(
            &self.author,
            &signed_bytes(&self.prev, &self.author, self.at_ms, &self.op),
            &self.signature,
        )
    }
}
