//! Sync through a relay (DESIGN §6): this device's keys, the membership log, sealing local
//! changes into envelopes, applying remote ones, and sessions over WebSocket.
//!
//! Everything a session needs lives in [`SyncParts`] behind one async lock: `sync.db`
//! (envelopes, sealed heads, membership, invites), this device's keys and the membership
//! log. Sealing compares each document's stored heads with its sealed heads, so local
//! edits made offline or before a crash are sealed on the next pass.

mod db;
mod device;
mod session;

pub use db::{DbError, SyncDb};

use std::collections::BTreeMap;

use automerge::ChangeHash;
use meridian_core::{DocId, Kind};
use meridian_sync::{
    DeviceId, DeviceKeys, DocumentId, Envelope, EnvelopeLog, EpochKey, Header, Invite,
    MembershipLog, Role, WorkspaceId,
};
use serde::Serialize;

use crate::error::Error;
use crate::workspace::Workspace;

/// This device's sync state, loaded on first use.
#[derive(Debug)]
pub struct SyncParts {
    pub db: SyncDb,
    pub keys: DeviceKeys,
    /// `None` until the workspace is shared (an invite) or joined.
    pub membership: Option<MembershipLog>,
}

/// One device of the workspace, for `meridian devices`.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DeviceInfo {
    pub id: String,
    pub member: String,
    pub role: String,
    pub removed: bool,
    pub this_device: bool,
}

/// What sync has established, from acknowledged facts only.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    pub device: String,
    pub relay: Option<String>,
    /// Envelopes of this device the relay has not acknowledged.
    pub pending: u64,
    /// Local changes not yet sealed into envelopes (counted in documents).
    pub unsealed_documents: u64,
    pub last_contact: Option<String>,
    pub synced: bool,
    /// Why it is not synced, in words.
    pub reason: Option<String>,
}

fn sync_err(e: impl std::fmt::Display) -> Error {
    Error::Sync(e.to_string())
}

pub(crate) fn workspace_id(id: &DocId) -> Result<WorkspaceId, Error> {
    id.as_str().parse().map_err(sync_err)
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Editor => "editor",
        Role::Viewer => "viewer",
    }
}

/// Parses a role name given on the command line or in the app.
pub fn parse_role(s: &str) -> Result<Role, Error> {
    match s.trim().to_lowercase().as_str() {
        "admin" => Ok(Role::Admin),
        "editor" => Ok(Role::Editor),
        "viewer" => Ok(Role::Viewer),
        other => Err(Error::Sync(format!(
            "unknown role {other:?}: use admin, editor or viewer"
        ))),
    }
}

impl Workspace {
    /// The sync state, opening `sync.db` and the device key on first use.
    pub(crate) async fn sync_parts(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<SyncParts>>, Error> {
        let mut guard = self.inner.sync.lock().await;
        if guard.is_none() {
            let dir = self.data_dir();
            let now = self.now_ms();
            let parts = tokio::task::spawn_blocking(move || -> Result<SyncParts, Error> {
                let db = SyncDb::open(&dir.join("sync.db")).map_err(sync_err)?;
                let keys = device::load_or_create(&dir)?;
                let membership = db.membership(now).map_err(sync_err)?;
                Ok(SyncParts {
                    db,
                    keys,
                    membership,
                })
            })
            .await
            .map_err(|_| Error::Stopped)??;
            *guard = Some(parts);
        }
        Ok(guard)
    }

    /// Starts sharing this workspace: its membership log, with this device as the first
    /// admin, and the first epoch key. Does nothing if it is already shared.
    pub async fn share(&self) -> Result<(), Error> {
        let info = self.info();
        let ws = workspace_id(&info.id)?;
        let now = self.now_ms();
        let mut guard = self.sync_parts().await?;
        let parts = guard.as_mut().ok_or(Error::Stopped)?;
        if parts.membership.is_some() {
            return Ok(());
        }
        let mut rng = rand::rng();
        let key = EpochKey::generate(&mut rng);
        let log = MembershipLog::create(&parts.keys, ws, &info.name, &info.me.name, &key, now, &mut rng)
            .map_err(sync_err)?;
        parts.db.save_membership(&log).map_err(sync_err)?;
        parts.membership = Some(log);
        Ok(())
    }

    /// Creates a single-use invite to join through `relay_url`, valid for `valid_ms`.
    pub async fn create_invite(
        &self,
        relay_url: &str,
        role: Role,
        valid_ms: i64,
    ) -> Result<String, Error> {
        check_relay_url(relay_url)?;
        self.share().await?;
        let ws = workspace_id(&self.info().id)?;
        let now = self.now_ms();
        let mut guard = self.sync_parts().await?;
        let parts = guard.as_mut().ok_or(Error::Stopped)?;
        let me = parts.keys.id();
        let log = parts.membership.as_mut().ok_or(Error::Stopped)?;
        if log.state().role(&me) != Some(Role::Admin) {
            return Err(Error::Sync(
                "only an admin device can invite: ask an admin of this workspace".into(),
            ));
        }
        let mut rng = rand::rng();
        let invite = Invite::new(relay_url, None, ws, parts.keys.public(), now + valid_ms, &mut rng);
        log.append(&parts.keys, invite.created_op(role), now)
            .map_err(sync_err)?;
        let code = invite.encode();
        parts
            .db
            .save_invite(&invite.invite_id.to_string(), &code, now + valid_ms)
            .map_err(sync_err)?;
        parts.db.save_membership(log).map_err(sync_err)?;
        if parts.db.get_str(db::key::RELAY).map_err(sync_err)?.is_none() {
            parts
                .db
                .set(db::key::RELAY, relay_url.as_bytes())
                .map_err(sync_err)?;
        }
        Ok(code)
    }

    /// The devices of the workspace.
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, Error> {
        let guard = self.sync_parts().await?;
        let parts = guard.as_ref().ok_or(Error::Stopped)?;
        let me = parts.keys.id();
        let Some(log) = &parts.membership else {
            return Ok(vec![DeviceInfo {
                id: me.to_string(),
                member: self.info().me.name,
                role: "admin".into(),
                removed: false,
                this_device: true,
            }]);
        };
        Ok(log
            .state()
            .devices()
            .map(|(id, d)| DeviceInfo {
                id: id.to_string(),
                member: d.member.clone(),
                role: role_name(d.role).into(),
                removed: d.removed,
                this_device: *id == me,
            })
            .collect())
    }

    /// Removes a device and rotates the key in the same step. The removed device keeps what
    /// it already synced; it can read nothing written after this.
    pub async fn remove_device(&self, device: &str) -> Result<(), Error> {
        let target: DeviceId = device.trim().parse().map_err(sync_err)?;
        let now = self.now_ms();
        let mut guard = self.sync_parts().await?;
        let parts = guard.as_mut().ok_or(Error::Stopped)?;
        let log = parts
            .membership
            .as_mut()
            .ok_or_else(|| Error::Sync("this workspace is not shared: no devices to remove".into()))?;
        let mut rng = rand::rng();
        let key = EpochKey::generate(&mut rng);
        log.remove_device_and_rotate(&parts.keys, target, &key, now, &mut rng)
            .map_err(sync_err)?;
        parts.db.save_membership(log).map_err(sync_err)?;
        Ok(())
    }

    /// Seals every local change not yet in an envelope. Returns how many envelopes it made.
    pub async fn seal_pending(&self) -> Result<usize, Error> {
        let mut guard = self.sync_parts().await?;
        let parts = guard.as_mut().ok_or(Error::Stopped)?;
        self.seal_with(parts).await
    }

    pub(crate) async fn seal_with(&self, parts: &mut SyncParts) -> Result<usize, Error> {
        let Some(log) = &parts.membership else {
            return Ok(0);
        };
        let me = parts.keys.id();
        if !log.state().can_write(&me) {
            return Ok(0);
        }
        let ws = workspace_id(&self.info().id)?;
        let epoch = log.state().epoch();
        let key = log.state().current_key_for(&parts.keys).map_err(sync_err)?;
        let store = self.store().clone();
        let stored = tokio::task::spawn_blocking(move || store.heads_blocking())
            .await
            .map_err(|_| Error::Stopped)??;
        let mut made = 0;
        for (id, heads_key, _trashed) in stored {
            let sealed = parts.db.sealed(id.as_str()).map_err(sync_err)?;
            if meridian_store::heads_key(&sealed) == heads_key {
                continue;
            }
            let (bytes, heads, snapshot) = self.changes_since(&id, &sealed).await?;
            if bytes.is_empty() {
                continue;
            }
            let doc: DocumentId = id.as_str().parse().map_err(sync_err)?;
            let seq = parts.db.vector().get(&me) + 1;
            let kind = if snapshot {
                meridian_sync::Kind::Snapshot
            } else {
                meridian_sync::Kind::Changes
            };
            let header = Header::new(ws, doc, epoch, me, seq, kind, self.now_ms());
            let env = Envelope::seal(header, &bytes, &parts.keys, &key, &mut rand::rng())
                .map_err(sync_err)?;
            parts
                .db
                .append_sealed(&env, id.as_str(), &heads)
                .map_err(sync_err)?;
            made += 1;
        }
        Ok(made)
    }

    /// Applies a remote envelope accepted by a session: decrypts it, merges its changes
    /// into the document (creating it if new), persists and announces the result.
    pub(crate) async fn apply_envelope(
        &self,
        parts: &mut SyncParts,
        env: &Envelope,
        keys: &BTreeMap<u64, EpochKey>,
    ) -> Result<(), Error> {
        let header = env.header();
        if header.device == parts.keys.id() {
            // Our own, coming back (after a restore): already in the document.
            parts.db.mark_applied(env).map_err(sync_err)?;
            return Ok(());
        }
        let key = keys.get(&header.epoch).ok_or_else(|| {
            Error::Sync(format!(
                "no key for epoch {} (this device was added later or removed)",
                header.epoch
            ))
        })?;
        let bytes = env.decrypt(key).map_err(sync_err)?;
        let id: DocId = header.doc.to_string().parse()?;
        // Local changes of this document are sealed first, so that after the merge its
        // heads are all covered by envelopes.
        let sealed_before = parts.db.sealed(id.as_str()).map_err(sync_err)?;
        let (heads, complete, kind) = self.merge_remote(&id, &bytes, &sealed_before).await?;
        if complete {
            parts.db.set_sealed(id.as_str(), &heads).map_err(sync_err)?;
        }
        parts.db.mark_applied(env).map_err(sync_err)?;
        if matches!(kind, Kind::Workspace | Kind::Member | Kind::Charter) {
            let _ = self.refresh_after_sync().await;
        }
        Ok(())
    }

    /// Re-applies envelopes received but not applied (a crash between the two).
    pub(crate) async fn apply_unapplied(&self, parts: &mut SyncParts) -> Result<(), Error> {
        let Some(log) = &parts.membership else {
            return Ok(());
        };
        let keys = log.state().epoch_keys_for(&parts.keys).map_err(sync_err)?;
        for env in parts.db.unapplied().map_err(sync_err)? {
            if let Err(e) = self.apply_envelope(parts, &env, &keys).await {
                tracing::warn!(error = %e, "cannot apply a received envelope");
            }
        }
        Ok(())
    }

    /// What sync knows, from acknowledged facts.
    pub async fn sync_status(&self) -> Result<SyncStatus, Error> {
        let guard = self.sync_parts().await?;
        let parts = guard.as_ref().ok_or(Error::Stopped)?;
        let me = parts.keys.id();
        let relay = parts.db.get_str(db::key::RELAY).map_err(sync_err)?;
        let relay_vector: meridian_sync::VersionVector = parts
            .db
            .get(db::key::RELAY_VECTOR)
            .map_err(sync_err)?
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let pending = parts.db.vector().get(&me).saturating_sub(relay_vector.get(&me));
        let last_contact = parts
            .db
            .get_str(db::key::LAST_CONTACT)
            .map_err(sync_err)?;
        let last_error = parts.db.get_str(db::key::LAST_ERROR).map_err(sync_err)?;
        let store = self.store().clone();
        let stored = tokio::task::spawn_blocking(move || store.heads_blocking())
            .await
            .map_err(|_| Error::Stopped)??;
        let mut unsealed = 0;
        if parts.membership.is_some() {
            for (id, heads_key, _) in &stored {
                let sealed = parts.db.sealed(id.as_str()).map_err(sync_err)?;
                if meridian_store::heads_key(&sealed) != *heads_key {
                    unsealed += 1;
                }
            }
        }
        let removed = parts
            .membership
            .as_ref()
            .is_some_and(|l| l.state().is_removed(&me));
        let reason = if removed {
            Some("this device was removed from the workspace: it keeps what it already synced but can no longer sync".into())
        } else if parts.membership.is_none() {
            Some("this workspace is not shared yet: create an invite to start syncing".into())
        } else if relay.is_none() {
            Some("no relay is set: create an invite with --relay URL".into())
        } else if let Some(e) = last_error.filter(|e| !e.is_empty()) {
            Some(e)
        } else if pending > 0 || unsealed > 0 {
            Some(format!(
                "{pending} change batches not yet acknowledged by the relay, {unsealed} documents with unsent edits"
            ))
        } else if last_contact.is_none() {
            Some("never reached the relay".into())
        } else {
            None
        };
        Ok(SyncStatus {
            device: me.to_string(),
            relay,
            pending,
            unsealed_documents: unsealed,
            last_contact: last_contact.and_then(|ms| ms.parse::<i64>().ok()).map(crate::workspace::rfc3339_pub),
            synced: reason.is_none(),
            reason,
        })
    }
}

/// Refuses addresses that are not WebSocket URLs.
pub fn check_relay_url(url: &str) -> Result<(), Error> {
    if url.starts_with("ws://") || url.starts_with("wss://") {
        Ok(())
    } else {
        Err(Error::Sync(format!(
            "{url:?} is not a relay address: use ws://HOST:PORT/sync (or wss:// with TLS)"
        )))
    }
}

#[allow(dead_code)]
fn _assert_heads(_: &[ChangeHash]) {}
