//! The state every party derives by replaying the membership log.

use std::collections::{BTreeMap, BTreeSet};

use crate::envelope::Header;
use crate::ids::{DeviceId, InviteId, WorkspaceId};
use crate::keys::{DeviceKeys, DevicePublic, EpochKey, KeyError, WrappedKey, unwrap_epoch_key};

use super::op::{EpochGrant, MAX_NAME_BYTES, Op, OpHash, Role, SignedOp};
use super::{MAX_CLOCK_SKEW_MS, MembershipError as E};

/// One device as the log describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Its public keys.
    pub public: DevicePublic,
    /// The member (person) it belongs to.
    pub member: String,
    /// Its role (its last role, if removed).
    pub role: Role,
    /// Whether it was removed.
    pub removed: bool,
    /// The last epoch in which it could write, once it cannot any more (removed or made a
    /// viewer). Envelopes it sealed up to that epoch stay valid history.
    pub last_write_epoch: Option<u64>,
}

impl DeviceRecord {
    fn is_active_admin(&self) -> bool {
        !self.removed && self.role == Role::Admin
    }
}

/// One invite as the log describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRecord {
    /// blake3 of the secret.
    pub secret_hash: [u8; 32],
    /// The role it grants.
    pub role: Role,
    /// When it stops working.
    pub expires_ms: i64,
    /// The admin that created it.
    pub created_by: DeviceId,
    /// The device that used it, once used.
    pub used_by: Option<DeviceId>,
}

/// Why an envelope's author may not have written it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The author is not in the membership log (perhaps not yet known here).
    #[error("device {0} is not a member of this workspace")]
    UnknownDevice(DeviceId),
    /// The author was removed before the envelope's epoch.
    #[error("device {0} was removed from this workspace")]
    Removed(DeviceId),
    /// The author may only read.
    #[error("device {0} is a viewer and cannot write")]
    ReadOnly(DeviceId),
    /// The envelope names an epoch the log has not reached.
    #[error("envelope names epoch {got}, but the workspace is at epoch {current}")]
    UnknownEpoch {
        /// The envelope's epoch.
        got: u64,
        /// The log's epoch.
        current: u64,
    },
}

/// Who belongs to a workspace, and with which keys: derived from the log, never edited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipState {
    workspace: Option<(WorkspaceId, String)>,
    devices: BTreeMap<DeviceId, DeviceRecord>,
    invites: BTreeMap<InviteId, InviteRecord>,
    wrapped: BTreeMap<(DeviceId, u64), WrappedKey>,
    epoch: u64,
    rotation_due: bool,
    head: OpHash,
    len: u64,
}

fn check_name(name: &str) -> Result<(), E> {
    if name.len() > MAX_NAME_BYTES {
        Err(E::NameTooLong)
    } else {
        Ok(())
    }
}

impl MembershipState {
    /// The workspace id, once created.
    pub fn workspace(&self) -> Option<WorkspaceId> {
        self.workspace.as_ref().map(|(id, _)| *id)
    }

    /// The workspace name, once created.
    pub fn workspace_name(&self) -> Option<&str> {
        self.workspace.as_ref().map(|(_, name)| name.as_str())
    }

    /// The current epoch (1 after creation; 0 before).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The hash of the last op (zero for an empty log).
    pub fn head(&self) -> OpHash {
        self.head
    }

    /// How many ops were applied.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no op was applied yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the last op removed a device, so the next must rotate the key.
    pub fn rotation_due(&self) -> bool {
        self.rotation_due
    }

    /// A device's record, removed devices included.
    pub fn device(&self, device: &DeviceId) -> Option<&DeviceRecord> {
        self.devices.get(device)
    }

    /// Every device ever added, removed ones included.
    pub fn devices(&self) -> impl Iterator<Item = (&DeviceId, &DeviceRecord)> {
        self.devices.iter()
    }

    /// Devices that are members now.
    pub fn active_devices(&self) -> impl Iterator<Item = &DeviceRecord> {
        self.devices.values().filter(|d| !d.removed)
    }

    /// Active admin devices.
    pub fn admins(&self) -> impl Iterator<Item = &DeviceId> {
        self.devices
            .iter()
            .filter(|(_, d)| d.is_active_admin())
            .map(|(id, _)| id)
    }

    /// The role of an active device; `None` if unknown or removed.
    pub fn role(&self, device: &DeviceId) -> Option<Role> {
        self.devices
            .get(device)
            .filter(|d| !d.removed)
            .map(|d| d.role)
    }

    /// Whether the device was removed.
    pub fn is_removed(&self, device: &DeviceId) -> bool {
        self.devices.get(device).is_some_and(|d| d.removed)
    }

    /// Whether the device may read (any active member).
    pub fn can_read(&self, device: &DeviceId) -> bool {
        self.role(device).is_some()
    }

    /// Whether the device may write now.
    pub fn can_write(&self, device: &DeviceId) -> bool {
        self.role(device).is_some_and(Role::can_write)
    }

    /// An invite, used or not.
    pub fn invite(&self, invite: &InviteId) -> Option<&InviteRecord> {
        self.invites.get(invite)
    }

    /// Invites not used and not expired at `now_ms`.
    pub fn open_invites(&self, now_ms: i64) -> impl Iterator<Item = (&InviteId, &InviteRecord)> {
        self.invites
            .iter()
            .filter(move |(_, i)| i.used_by.is_none() && now_ms <= i.expires_ms)
    }

    /// The key of `epoch` as wrapped for `device`.
    pub fn wrapped_key_for(&self, device: &DeviceId, epoch: u64) -> Option<&WrappedKey> {
        self.wrapped.get(&(*device, epoch))
    }

    /// Unwraps every epoch key this device was given (all epochs since it was added, and
    /// the ones before, which it received when added).
    pub fn epoch_keys_for(&self, keys: &DeviceKeys) -> Result<BTreeMap<u64, EpochKey>, KeyError> {
        let id = keys.id();
        let workspace = self.workspace().ok_or(KeyError::NoKeyForEpoch {
            epoch: 1,
            device: id,
        })?;
        self.wrapped
            .range((id, 0)..=(id, u64::MAX))
            .map(|((_, epoch), w)| Ok((*epoch, unwrap_epoch_key(w, &workspace, *epoch, keys)?)))
            .collect()
    }

    /// Unwraps this device's key for the current epoch.
    pub fn current_key_for(&self, keys: &DeviceKeys) -> Result<EpochKey, KeyError> {
        let id = keys.id();
        let missing = KeyError::NoKeyForEpoch {
            epoch: self.epoch,
            device: id,
        };
        let workspace = self.workspace().ok_or(missing.clone())?;
        let wrapped = self.wrapped_key_for(&id, self.epoch).ok_or(missing)?;
        unwrap_epoch_key(wrapped, &workspace, self.epoch, keys)
    }

    /// Whether the envelope's author could write in the envelope's epoch. The signature
    /// is [`crate::Envelope::verify`]'s job.
    pub fn authorize_envelope(&self, header: &Header) -> Result<(), Denied> {
        let device = header.device;
        let record = self
            .devices
            .get(&device)
            .ok_or(Denied::UnknownDevice(device))?;
        if header.epoch == 0 || header.epoch > self.epoch {
            return Err(Denied::UnknownEpoch {
                got: header.epoch,
                current: self.epoch,
            });
        }
        if !record.removed && record.role.can_write() {
            return Ok(());
        }
        match record.last_write_epoch {
            Some(last) if header.epoch <= last => Ok(()),
            _ if record.removed => Err(Denied::Removed(device)),
            _ => Err(Denied::ReadOnly(device)),
        }
    }

    /// Checks `op` against this state and, if it is valid, applies it. Leaves the state
    /// unchanged on error.
    pub(crate) fn apply(&mut self, op: &SignedOp, now_ms: i64) -> Result<(), E> {
        let mut next = self.clone();
        next.apply_in_place(op, now_ms)?;
        *self = next;
        Ok(())
    }

    fn apply_in_place(&mut self, signed: &SignedOp, now_ms: i64) -> Result<(), E> {
        let index = self.len;
        if signed.prev != self.head {
            return Err(E::BrokenChain {
                index,
                expected: self.head,
                got: signed.prev,
            });
        }
        if signed.at_ms > now_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
            return Err(E::FromTheFuture {
                at_ms: signed.at_ms,
                now_ms,
            });
        }
        if !signed.signature_ok() {
            return Err(E::BadSignature {
                index,
                author: signed.author,
            });
        }
        if index == 0 {
            self.create(signed)?;
        } else {
            self.check_author(signed)?;
            self.apply_op(signed)?;
        }
        self.head = signed.hash();
        self.len += 1;
        Ok(())
    }

    fn create(&mut self, signed: &SignedOp) -> Result<(), E> {
        let Op::CreateWorkspace {
            workspace,
            name,
            creator,
            member,
            key,
        } = &signed.op
        else {
            return Err(E::NotCreated);
        };
        if creator.id != signed.author {
            return Err(E::CreatorMismatch);
        }
        check_name(name)?;
        check_name(member)?;
        self.workspace = Some((*workspace, name.clone()));
        self.epoch = 1;
        self.wrapped.insert((creator.id, 1), key.clone());
        let record = DeviceRecord {
            public: *creator,
            member: member.clone(),
            role: Role::Admin,
            removed: false,
            last_write_epoch: None,
        };
        self.devices.insert(creator.id, record);
        Ok(())
    }

    fn check_author(&self, signed: &SignedOp) -> Result<(), E> {
        let author = self
            .devices
            .get(&signed.author)
            .ok_or(E::UnknownDevice(signed.author))?;
        if author.removed {
            return Err(E::AuthorRemoved(signed.author));
        }
        if author.role != Role::Admin {
            return Err(E::NotAdmin {
                author: signed.author,
                role: author.role,
            });
        }
        if self.rotation_due && !matches!(signed.op, Op::RotateKey { .. }) {
            return Err(E::RotationRequired);
        }
        Ok(())
    }

    fn active(&mut self, device: &DeviceId) -> Result<&mut DeviceRecord, E> {
        match self.devices.get_mut(device) {
            None => Err(E::UnknownDevice(*device)),
            Some(d) if d.removed => Err(E::AlreadyRemoved(*device)),
            Some(d) => Ok(d),
        }
    }

    fn is_last_admin(&self, device: &DeviceId) -> bool {
        self.devices
            .get(device)
            .is_some_and(DeviceRecord::is_active_admin)
            && self.admins().count() == 1
    }

    fn apply_op(&mut self, signed: &SignedOp) -> Result<(), E> {
        let epoch = self.epoch;
        match &signed.op {
            Op::CreateWorkspace { .. } => return Err(E::AlreadyCreated),
            Op::AddDevice {
                device,
                member,
                role,
                keys,
            } => self.add_device(device, member, *role, keys)?,
            Op::RemoveDevice { device } => {
                if *device == signed.author {
                    return Err(E::SelfRemoval);
                }
                if self.is_last_admin(device) {
                    return Err(E::LastAdmin(*device));
                }
                let record = self.active(device)?;
                if record.role.can_write() {
                    record.last_write_epoch = Some(epoch);
                }
                record.removed = true;
                self.rotation_due = true;
            }
            Op::ChangeRole { device, role } => {
                if *role != Role::Admin && self.is_last_admin(device) {
                    return Err(E::LastAdmin(*device));
                }
                let record = self.active(device)?;
                if record.role.can_write() && !role.can_write() {
                    record.last_write_epoch = Some(epoch);
                }
                record.role = *role;
            }
            Op::RotateKey {
                epoch: new_epoch,
                keys,
            } => self.rotate(*new_epoch, keys)?,
            Op::InviteCreated {
                invite,
                secret_hash,
                role,
                expires_ms,
            } => {
                if self.invites.contains_key(invite) {
                    return Err(E::DuplicateInvite(*invite));
                }
                let record = InviteRecord {
                    secret_hash: *secret_hash,
                    role: *role,
                    expires_ms: *expires_ms,
                    created_by: signed.author,
                    used_by: None,
                };
                self.invites.insert(*invite, record);
            }
            Op::InviteUsed {
                invite,
                device,
                member,
            } => {
                check_name(member)?;
                if self.can_read(&device.id) {
                    return Err(E::AlreadyMember(device.id));
                }
                let record = self
                    .invites
                    .get_mut(invite)
                    .ok_or(E::UnknownInvite(*invite))?;
                if let Some(by) = record.used_by {
                    return Err(E::InviteAlreadyUsed {
                        invite: *invite,
                        by,
                    });
                }
                if signed.at_ms > record.expires_ms {
                    let expires_ms = record.expires_ms;
                    return Err(E::InviteExpired {
                        invite: *invite,
                        expires_ms,
                        at_ms: signed.at_ms,
                    });
                }
                record.used_by = Some(device.id);
            }
        }
        Ok(())
    }

    fn add_device(
        &mut self,
        device: &DevicePublic,
        member: &str,
        role: Role,
        keys: &[EpochGrant],
    ) -> Result<(), E> {
        check_name(member)?;
        if self.can_read(&device.id) {
            return Err(E::AlreadyMember(device.id));
        }
        let epochs: Vec<u64> = keys.iter().map(|g| g.epoch).collect();
        if epochs != (1..=self.epoch).collect::<Vec<_>>() {
            return Err(E::MissingEpochKeys {
                device: device.id,
                epoch: self.epoch,
            });
        }
        for grant in keys {
            self.wrapped
                .insert((device.id, grant.epoch), grant.key.clone());
        }
        let last_write_epoch = self
            .devices
            .get(&device.id)
            .and_then(|d| d.last_write_epoch);
        let record = DeviceRecord {
            public: *device,
            member: member.to_owned(),
            role,
            removed: false,
            last_write_epoch,
        };
        self.devices.insert(device.id, record);
        Ok(())
    }

    fn rotate(&mut self, new_epoch: u64, keys: &[(DeviceId, WrappedKey)]) -> Result<(), E> {
        if new_epoch != self.epoch + 1 {
            return Err(E::EpochNotNext {
                got: new_epoch,
                expected: self.epoch + 1,
            });
        }
        let active: BTreeSet<DeviceId> = self.active_devices().map(|d| d.public.id).collect();
        let given: BTreeSet<DeviceId> = keys.iter().map(|(id, _)| *id).collect();
        let missing = active.difference(&given).count();
        let unexpected = given.difference(&active).count() + (keys.len() - given.len());
        if missing > 0 || unexpected > 0 {
            return Err(E::RotationRecipients {
                missing,
                unexpected,
            });
        }
        for (id, key) in keys {
            self.wrapped.insert((*id, new_epoch), key.clone());
        }
        self.epoch = new_epoch;
        self.rotation_due = false;
        Ok(())
    }
}
