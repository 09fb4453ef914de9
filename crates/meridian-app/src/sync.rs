//! Sync, wired: the runtime lives in `meridian_net` (keys, `sync.db`, the relay and
//! local-network transports, sessions, admission) and reaches the workspace's documents
//! through [`meridian_net::Documents`], which `Workspace` implements in
//! `workspace/remote.rs`. This module gives the engine's callers (the CLI, the desktop
//! shell) the same `Workspace` methods as every other feature, with the engine's errors.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use meridian_sync::{Invite, Role};
use tokio::sync::watch;

pub use meridian_net::{
    DEFAULT_LAN_PORT, DeviceInfo, LanPeer, PartyOutcome, PendingJoin, Routes, SyncError,
    SyncOutcome, SyncReport, SyncStatus,
};

use crate::clock::{Clock, SystemClock};
use crate::core::DocId;
use crate::error::Error;
use crate::workspace::Workspace;

/// Parses a role name given on the command line or in the app.
pub fn parse_role(s: &str) -> Result<Role, Error> {
    Ok(meridian_net::parse_role(s)?)
}

/// The relay address to use for `url`: refuses what is not a WebSocket URL, and adds the
/// relay's `/sync` path when `url` has no path (`ws://host:7447`).
pub fn normalise_relay_url(url: &str) -> Result<String, Error> {
    Ok(meridian_net::normalise_relay_url(url)?)
}

impl Workspace {
    /// Starts sharing this workspace: its membership log, with this device as the first
    /// admin, and the first epoch key. Does nothing if it is already shared.
    pub async fn share(&self) -> Result<(), Error> {
        Ok(self.net().share().await?)
    }

    /// Whether this workspace syncs with a relay (it was shared or joined).
    pub async fn is_shared(&self) -> bool {
        self.net().is_shared().await
    }

    /// Points this device at another address of the same relay deployment; see
    /// [`meridian_net::Net::set_relay`]. Returns the address as it will be used.
    pub async fn set_relay(&self, relay_url: &str) -> Result<String, Error> {
        Ok(self.net().set_relay(relay_url).await?)
    }

    /// Creates a single-use invite to join through `relay_url`, valid for `valid_ms`.
    pub async fn create_invite(
        &self,
        relay_url: &str,
        role: Role,
        valid_ms: i64,
    ) -> Result<String, Error> {
        Ok(self.net().create_invite(relay_url, role, valid_ms).await?)
    }

    /// The devices of the workspace.
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, Error> {
        Ok(self.net().devices().await?)
    }

    /// Removes a device: it is refused at once and cannot read anything written after.
    pub async fn remove_device(&self, device: &str) -> Result<(), Error> {
        Ok(self.net().remove_device(device).await?)
    }

    /// Seals every local change not yet in an envelope. Returns how many envelopes it made.
    pub async fn seal_pending(&self) -> Result<usize, Error> {
        Ok(self.net().seal_pending().await?)
    }

    /// What sync knows, from acknowledged facts.
    pub async fn sync_status(&self) -> Result<SyncStatus, Error> {
        Ok(self.net().sync_status().await?)
    }

    /// The devices met on the local network, most recently seen first.
    pub async fn lan_peers(&self) -> Result<Vec<LanPeer>, Error> {
        Ok(self.net().lan_peers().await?)
    }

    /// Connects to the relay, exchanges everything, and returns once both sides hold the
    /// same, or fails after `timeout`.
    pub async fn sync_once(&self, timeout: Duration) -> Result<SyncReport, Error> {
        Ok(self.net().sync_once(timeout).await?)
    }

    /// Syncs once over the relay and the local-network routes in `routes`.
    pub async fn sync_once_with(
        &self,
        timeout: Duration,
        routes: &Routes,
    ) -> Result<SyncOutcome, Error> {
        Ok(self.net().sync_once_with(timeout, routes).await?)
    }

    /// Syncs with the relay until `stop` turns true. Returns early only if this device was
    /// removed or the workspace is not shared.
    pub async fn run_sync(&self, stop: watch::Receiver<bool>) -> Result<(), Error> {
        Ok(self.net().run_sync(stop).await?)
    }

    /// Syncs until `stop` over the relay and the local-network routes in `routes`.
    pub async fn run_sync_with(
        &self,
        stop: watch::Receiver<bool>,
        routes: &Routes,
    ) -> Result<(), Error> {
        Ok(self.net().run_sync_with(stop, routes).await?)
    }

    /// Whether join requests wait for [`Workspace::approve`] instead of being admitted as
    /// they arrive.
    pub async fn set_manual_approval(&self, manual: bool) -> Result<(), Error> {
        Ok(self.net().set_manual_approval(manual).await?)
    }

    /// Join requests waiting for approval.
    pub async fn pending_joins(&self) -> Result<Vec<PendingJoin>, Error> {
        Ok(self.net().pending_joins().await?)
    }

    /// Admits a device whose join request waits for approval.
    pub async fn approve(&self, device: &str) -> Result<(), Error> {
        Ok(self.net().approve(device).await?)
    }

    /// Joins the workspace of invite `code` into the empty `data_dir`, as member `me` in
    /// time zone `tz`. Waits up to `timeout` for an admin device to admit this one.
    pub async fn join(
        data_dir: &Path,
        code: &str,
        me: &str,
        tz: &str,
        timeout: Duration,
    ) -> Result<Workspace, Error> {
        Self::join_with_clock(data_dir, code, me, tz, timeout, Arc::new(SystemClock)).await
    }

    /// [`Workspace::join`] on the given clock.
    pub async fn join_with_clock(
        data_dir: &Path,
        code: &str,
        me: &str,
        tz: &str,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Workspace, Error> {
        let invite = Invite::decode(code).map_err(SyncError::from)?;
        if invite.expires_ms <= clock.now_ms() {
            return Err(Error::Sync(SyncError::Invalid(format!(
                "this invite expired at {}: ask an admin for a new one",
                crate::workspace::rfc3339(invite.expires_ms)
            ))));
        }
        meridian_core::ObjectSchema::validate(
            &meridian_core::Member::new(me.trim(), tz.trim(), meridian_core::Role::Editor),
            None,
            &Default::default(),
        )?;
        if Workspace::is_initialised(data_dir)? {
            return Err(Error::AlreadyInitialised(data_dir.to_owned()));
        }
        let ws_id: DocId = invite.workspace.to_string().parse()?;
        let ws = Workspace::begin_join(data_dir, ws_id, clock)?;
        let member = ws.net().join(&invite, me, tz, timeout).await?;
        ws.finish_join(member.parse()?).await?;
        Ok(ws)
    }
}
