//! Admitting new devices (as an admin): join requests for invites this device created are
//! admitted as they arrive, or kept for a person to approve when manual approval is on.

use meridian_sync::{Invite, JoinRequest, admit, verify_join};
use serde::Serialize;

use crate::SyncError;
use crate::client::{Net, SyncParts, role_name, sync_err};
use crate::db::key;
use crate::docs::Documents;

use crate::client::rfc3339;

/// A join request waiting for approval.
#[derive(Debug, Clone, Serialize)]
pub struct PendingJoin {
    pub device: String,
    pub member: String,
    pub tz: String,
    pub role: String,
    pub invite_expires: String,
}

/// A request for one of this device's invites, with what opening it revealed.
struct Opened {
    req: JoinRequest,
    invite: Invite,
    name: String,
    tz: String,
}

fn open(parts: &SyncParts, bytes: &[u8]) -> Result<Option<Opened>, SyncError> {
    let Ok(req) = JoinRequest::decode(bytes) else {
        return Ok(None);
    };
    let Some(code) = parts
        .db
        .invite_code(&req.invite.to_string())
        .map_err(sync_err)?
    else {
        return Ok(None); // another admin's invite
    };
    let invite = Invite::decode(&code).map_err(sync_err)?;
    let Ok((name, tz)) = req.open_profile(&invite.secret) else {
        return Ok(None);
    };
    Ok(Some(Opened {
        req,
        invite,
        name,
        tz,
    }))
}

impl<D: Documents> Net<D> {
    /// Handles join requests the relay passed on. Returns whether the membership log
    /// changed (then it must be sent).
    pub(super) async fn on_join_requests(
        &self,
        parts: &mut SyncParts,
        requests: &[Vec<u8>],
    ) -> Result<bool, SyncError> {
        let manual = parts
            .db
            .get_str(key::MANUAL_APPROVAL)
            .map_err(sync_err)?
            .as_deref()
            == Some("1");
        let mut changed = false;
        for bytes in requests {
            let Some(opened) = open(parts, bytes)? else {
                continue;
            };
            let valid = parts.membership.as_ref().is_some_and(|l| {
                opened
                    .req
                    .check_public(l.state(), self.docs.now_ms())
                    .is_ok()
            });
            if manual && valid {
                parts
                    .db
                    .save_join_request(&opened.req.device.id.to_string(), bytes)
                    .map_err(sync_err)?;
            } else if !manual {
                changed |= self.admit_opened(parts, opened).await?;
            }
        }
        Ok(changed)
    }

    async fn admit_opened(&self, parts: &mut SyncParts, o: Opened) -> Result<bool, SyncError> {
        let now = self.docs.now_ms();
        let Some(log) = parts.membership.as_mut() else {
            return Ok(false);
        };
        let role = match verify_join(log.state(), &o.req, &o.invite.secret, now) {
            Ok(role) => role,
            Err(e) => {
                tracing::warn!(error = %e, device = %o.req.device.id, "join request refused");
                return Ok(false);
            }
        };
        let member = self.docs.member_for_join(&o.name, &o.tz, role).await?;
        let keys = log.state().epoch_keys_for(&parts.keys).map_err(sync_err)?;
        match admit(
            log,
            &parts.keys,
            &o.req,
            member.as_str(),
            &o.invite.secret,
            &keys,
            now,
            &mut rand::rng(),
        ) {
            Ok(_) => {
                tracing::info!(device = %o.req.device.id, member = %o.name, "admitted a new device");
                parts.db.save_membership(log).map_err(sync_err)?;
                parts
                    .db
                    .delete_join_request(&o.req.device.id.to_string())
                    .map_err(sync_err)?;
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(error = %e, "join request not admitted");
                Ok(false)
            }
        }
    }

    /// Whether join requests wait for [`Net::approve`] instead of being admitted as
    /// they arrive.
    pub async fn set_manual_approval(&self, manual: bool) -> Result<(), SyncError> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        parts
            .db
            .set(key::MANUAL_APPROVAL, if manual { b"1" } else { b"0" })
            .map_err(sync_err)
    }

    /// Join requests waiting for approval.
    pub async fn pending_joins(&self) -> Result<Vec<PendingJoin>, SyncError> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let mut out = Vec::new();
        let now = self.docs.now_ms();
        for bytes in parts.db.join_requests().map_err(sync_err)? {
            let Some(o) = open(parts, &bytes)? else {
                continue;
            };
            let still_valid = parts
                .membership
                .as_ref()
                .is_some_and(|l| o.req.check_public(l.state(), now).is_ok());
            if !still_valid {
                // Used, expired, or the device got in another way.
                let device = o.req.device.id.to_string();
                parts.db.delete_join_request(&device).map_err(sync_err)?;
                continue;
            }
            let role = parts
                .membership
                .as_ref()
                .and_then(|l| l.state().invite(&o.req.invite).map(|i| role_name(i.role)))
                .unwrap_or("editor");
            out.push(PendingJoin {
                device: o.req.device.id.to_string(),
                member: o.name,
                tz: o.tz,
                role: role.into(),
                invite_expires: rfc3339(o.invite.expires_ms),
            });
        }
        Ok(out)
    }

    /// Admits a device whose join request waits for approval. Send the change with a sync.
    pub async fn approve(&self, device: &str) -> Result<(), SyncError> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let device = device.trim();
        let bytes = parts
            .db
            .join_requests()
            .map_err(sync_err)?
            .into_iter()
            .find(|b| JoinRequest::decode(b).is_ok_and(|r| r.device.id.to_string() == device))
            .ok_or_else(|| {
                SyncError::Invalid(format!(
                    "no join request from device {device} waits for approval"
                ))
            })?;
        let opened = open(parts, &bytes)?
            .ok_or_else(|| SyncError::Invalid("that join request is unreadable".into()))?;
        if self.admit_opened(parts, opened).await? {
            drop(guard);
            self.nudge();
            Ok(())
        } else {
            Err(SyncError::Invalid(format!(
                "the join request of {device} is no longer valid (expired, used, or the device is already a member)"
            )))
        }
    }
}
