//! The ordered list of signed ops, with the state derived from it and helpers that
//! author valid ops.

use std::collections::BTreeMap;

use rand::{CryptoRng, RngCore};

use crate::codec;
use crate::ids::{DeviceId, WorkspaceId};
use crate::keys::{DeviceKeys, DevicePublic, EpochKey, wrap_epoch_key};

use super::MembershipError;
use super::op::{EpochGrant, Op, OpHash, Role, SignedOp};
use super::state::MembershipState;

/// The largest encoded log [`MembershipLog::decode`] accepts.
pub const MAX_LOG_BYTES: usize = 16 * 1024 * 1024;

/// A verified membership log and the state derived from it.
#[derive(Debug, Clone, Default)]
pub struct MembershipLog {
    ops: Vec<SignedOp>,
    state: MembershipState,
}

impl MembershipLog {
    /// An empty log (a device that has not joined anything yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates a workspace: `creator` becomes its first admin and receives the key of
    /// epoch 1, `epoch_key`.
    #[allow(clippy::too_many_arguments)]
    pub fn create<R: CryptoRng + RngCore>(
        creator: &DeviceKeys,
        workspace: WorkspaceId,
        name: &str,
        member: &str,
        epoch_key: &EpochKey,
        at_ms: i64,
        rng: &mut R,
    ) -> Result<Self, MembershipError> {
        let public = creator.public();
        let key = wrap_epoch_key(epoch_key, &workspace, 1, &public, rng)?;
        let op = Op::CreateWorkspace {
            workspace,
            name: name.to_owned(),
            creator: public,
            member: member.to_owned(),
            key,
        };
        let mut log = Self::new();
        log.append(creator, op, at_ms)?;
        Ok(log)
    }

    /// Replays and verifies a whole log.
    pub fn from_ops(ops: Vec<SignedOp>, now_ms: i64) -> Result<Self, MembershipError> {
        let mut log = Self::new();
        for op in ops {
            log.verify_and_apply(op, now_ms)?;
        }
        Ok(log)
    }

    /// Verifies one op received from elsewhere against the current head and appends it.
    pub fn verify_and_apply(&mut self, op: SignedOp, now_ms: i64) -> Result<(), MembershipError> {
        self.state.apply(&op, now_ms)?;
        self.ops.push(op);
        Ok(())
    }

    /// Signs `op` as `author` on the current head and applies it; returns the signed op to
    /// send to others. `at_ms` is the author's clock and also the verifier's here.
    pub fn append(
        &mut self,
        author: &DeviceKeys,
        op: Op,
        at_ms: i64,
    ) -> Result<SignedOp, MembershipError> {
        let signed = SignedOp::sign(self.head(), author, at_ms, op);
        self.verify_and_apply(signed.clone(), at_ms)?;
        Ok(signed)
    }

    /// Adds a device with `role`, wrapping every epoch key in `epoch_keys` (which must
    /// hold epochs 1..=current, as [`MembershipState::epoch_keys_for`] returns them) for it.
    #[allow(clippy::too_many_arguments)]
    pub fn add_device<R: CryptoRng + RngCore>(
        &mut self,
        admin: &DeviceKeys,
        device: DevicePublic,
        member: &str,
        role: Role,
        epoch_keys: &BTreeMap<u64, EpochKey>,
        at_ms: i64,
        rng: &mut R,
    ) -> Result<SignedOp, MembershipError> {
        let workspace = self.state.workspace().ok_or(MembershipError::NotCreated)?;
        let keys = epoch_keys
            .iter()
            .map(|(epoch, key)| {
                Ok(EpochGrant {
                    epoch: *epoch,
                    key: wrap_epoch_key(key, &workspace, *epoch, &device, rng)?,
                })
            })
            .collect::<Result<Vec<_>, MembershipError>>()?;
        let op = Op::AddDevice {
            device,
            member: member.to_owned(),
            role,
            keys,
        };
        self.append(admin, op, at_ms)
    }

    /// Removes `device` and, in the same step, rotates to a new epoch whose key
    /// (`new_key`) is wrapped for every remaining device. Returns both ops; applies
    /// neither if either is invalid.
    pub fn remove_device_and_rotate<R: CryptoRng + RngCore>(
        &mut self,
        admin: &DeviceKeys,
        device: DeviceId,
        new_key: &EpochKey,
        at_ms: i64,
        rng: &mut R,
    ) -> Result<[SignedOp; 2], MembershipError> {
        let mut next = self.clone();
        let remove = next.append(admin, Op::RemoveDevice { device }, at_ms)?;
        let rotate = next.rotation_op(new_key, rng)?;
        let rotate = next.append(admin, rotate, at_ms)?;
        *self = next;
        Ok([remove, rotate])
    }

    /// Rotates the key without removing anyone (for example on a schedule).
    pub fn rotate_key<R: CryptoRng + RngCore>(
        &mut self,
        admin: &DeviceKeys,
        new_key: &EpochKey,
        at_ms: i64,
        rng: &mut R,
    ) -> Result<SignedOp, MembershipError> {
        let op = self.rotation_op(new_key, rng)?;
        self.append(admin, op, at_ms)
    }

    fn rotation_op<R: CryptoRng + RngCore>(
        &self,
        new_key: &EpochKey,
        rng: &mut R,
    ) -> Result<Op, MembershipError> {
        let workspace = self.state.workspace().ok_or(MembershipError::NotCreated)?;
        let epoch = self.state.epoch() + 1;
        let keys = self
            .state
            .active_devices()
            .map(|d| {
                Ok((
                    d.public.id,
                    wrap_epoch_key(new_key, &workspace, epoch, &d.public, rng)?,
                ))
            })
            .collect::<Result<Vec<_>, MembershipError>>()?;
        Ok(Op::RotateKey { epoch, keys })
    }

    /// The derived state.
    pub fn state(&self) -> &MembershipState {
        &self.state
    }

    /// All ops, oldest first.
    pub fn ops(&self) -> &[SignedOp] {
        &self.ops
    }

    /// The ops from position `start` on (empty if `start` is past the end).
    pub fn ops_from(&self, start: u64) -> &[SignedOp] {
        let start = usize::try_from(start)
            .unwrap_or(usize::MAX)
            .min(self.ops.len());
        &self.ops[start..]
    }

    /// How many ops the log holds.
    pub fn len(&self) -> u64 {
        self.state.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The hash of the last op.
    pub fn head(&self) -> OpHash {
        self.state.head()
    }

    /// The encoding used to store or send the whole log.
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(&self.ops)
    }

    /// Decodes and verifies a whole log, refusing oversized input before parsing.
    pub fn decode(bytes: &[u8], now_ms: i64) -> Result<Self, MembershipError> {
        if bytes.len() > MAX_LOG_BYTES {
            return Err(MembershipError::TooLarge { size: bytes.len() });
        }
        let ops: Vec<SignedOp> =
            codec::decode_exact(bytes).map_err(|e| MembershipError::Malformed(e.to_string()))?;
        Self::from_ops(ops, now_ms)
    }
}
