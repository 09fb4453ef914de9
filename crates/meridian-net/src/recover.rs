//! Restoring this device from the relay after its local data was lost or damaged
//! (issue 21): the engine moves the damaged database aside and prepares the one that
//! survived (or a new, empty one); [`Net::restore`] then reads the relay's log from its
//! start and brings the workspace back.
//!
//! The hard part is numbering. Every envelope this device sealed carries a `seq` (its
//! identity at the relay and at every device) and a `doc_seq` (what checkpoints cover). A
//! rebuilt `sync.db` starts from nothing, and sealing with a number used before would make
//! the relay and the other devices drop the new envelope as already held, or count it as
//! covered by a checkpoint that never saw it. So while a restore is under way nothing is
//! sealed (`key::RESTORING`); this log takes a new identity, which tells the relay that
//! this device no longer holds its own envelopes, so the relay returns them too (ADR 0006,
//! "restore"). Each of them, and each checkpoint covering some of them, raises the
//! numbering past what it shows ([`SyncDb`]'s `learn_numbers`). Sequence numbers also
//! start above a floor taken from the clock, since the relay may have collected this
//! device's newest envelopes under a checkpoint; `doc_seq`s cannot jump (checkpoints count
//! them contiguously) and need not: the relay only collects envelopes a retained
//! checkpoint covers, and that checkpoint's coverage comes back.

use std::path::Path;
use std::time::Duration;

use meridian_sync::MembershipLog;
use serde::Serialize;
use tokio::time::Instant;

use crate::SyncError;
use crate::client::{Net, sync_err};
use crate::db::{Salvaged, SyncDb, key};
use crate::docs::Documents;
use crate::session::{Ended, Until};

const SYNC_DB: &str = "sync.db";

/// What a restore brought back.
#[derive(Debug, Clone, Copy, Default, Serialize, ts_rs::TS)]
pub struct RestoreReport {
    /// Envelopes received from the relay.
    pub received: u64,
    /// Of the envelopes this device holds now, how many are its own that came back.
    pub own_returned: u64,
    /// The last sequence number this device used, as learned.
    pub last_seq: u64,
    /// Documents whose changes were sealed again afterwards (local edits that had not
    /// reached the relay, or, after `sync.db` was rebuilt, every document changed here).
    pub resealed: u64,
}

/// What the old `sync.db` told about the relay, for one that is rebuilt.
#[derive(Debug, Clone, Default)]
pub struct RelayInfo {
    pub url: Option<String>,
    pub pin: Option<[u8; 32]>,
    pub key_store: Option<String>,
}

/// Reads what a damaged `sync.db` (moved aside to `path`) still holds about the relay.
pub fn salvage(path: &Path) -> RelayInfo {
    let s = Salvaged::read(path);
    RelayInfo {
        url: s.relay,
        pin: s.pin,
        key_store: s.key_store,
    }
}

/// What [`check_sync_db`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncDbState {
    Missing,
    Healthy,
    /// Healthy, with a restore under way that did not finish (`store` or `sync`).
    Restoring(String),
}

/// Checks `sync.db` in `dir` without loading it: absent, healthy (it opens, passes
/// `PRAGMA quick_check` and its membership log verifies), or `Err` naming the file.
pub fn check_sync_db(dir: &Path) -> Result<SyncDbState, SyncError> {
    let path = dir.join(SYNC_DB);
    if !path.exists() {
        return Ok(SyncDbState::Missing);
    }
    Ok(match crate::db::check_file(&path).map_err(sync_err)? {
        Some(what) => SyncDbState::Restoring(what),
        None => SyncDbState::Healthy,
    })
}

/// The workspace id this device's healthy `sync.db` in `dir` belongs to, and the member this
/// device acts for there (from the membership log and the device key).
pub fn identity_from_sync_db(dir: &Path) -> Result<Option<(String, Option<String>)>, SyncError> {
    let db = SyncDb::open(&dir.join(SYNC_DB)).map_err(sync_err)?;
    let Some(log) = db.membership(i64::MAX).map_err(sync_err)? else {
        return Ok(None);
    };
    let Some(ws) = log.state().workspace() else {
        return Ok(None);
    };
    let keys = crate::device::load_or_create(dir, &db)?;
    let member = log.state().device(&keys.id()).map(|d| d.member.clone());
    Ok(Some((ws.to_string(), member)))
}

/// Points `sync.db` in `dir` at the relay `url` (a recovery given `--relay`).
pub fn set_relay(dir: &Path, url: &str) -> Result<(), SyncError> {
    let url = crate::normalise_relay_url(url)?;
    let db = SyncDb::open(&dir.join(SYNC_DB)).map_err(sync_err)?;
    if db.get_str(key::RELAY).map_err(sync_err)?.as_deref() != Some(url.as_str()) {
        db.set(key::RELAY, url.as_bytes()).map_err(sync_err)?;
        db.delete(key::RELAY_PIN).map_err(sync_err)?;
    }
    Ok(())
}

/// Prepares a healthy `sync.db` for rebuilding the lost or damaged workspace database.
pub fn prepare_store_rebuild(dir: &Path) -> Result<(), SyncError> {
    let mut db = SyncDb::open(&dir.join(SYNC_DB)).map_err(sync_err)?;
    db.reset_for_store_rebuild().map_err(sync_err)
}

/// Makes a new `sync.db` in `dir` (the old one is gone or was moved aside) that restores
/// from the relay at `relay`. `now_ms` sets the floor of new sequence numbers.
pub fn prepare_sync_rebuild(dir: &Path, relay: &RelayInfo, now_ms: i64) -> Result<(), SyncError> {
    let url = relay.url.as_deref().ok_or(SyncError::NoRelay)?;
    let url = crate::normalise_relay_url(url)?;
    let mut db = SyncDb::open(&dir.join(SYNC_DB)).map_err(sync_err)?;
    // One envelope per millisecond since 1970 at most, ×1024: no device sealed that many.
    let floor = u64::try_from(now_ms).unwrap_or(0).saturating_mul(1024);
    db.prepare_rebuilt(&url, relay.pin, relay.key_store.as_deref(), floor)
        .map_err(sync_err)
}

impl<D: Documents> Net<D> {
    /// Brings this device back from the relay after its `sync.db` or workspace database
    /// was prepared for a rebuild: reads the relay's whole log (this device's own
    /// envelopes included), applies it, learns how far this device's numbering went, and
    /// only then seals what the documents hold that no envelope does, and sends it.
    pub async fn restore(&self, timeout: Duration) -> Result<RestoreReport, SyncError> {
        let deadline = Instant::now() + timeout;
        {
            let mut guard = self.parts().await?;
            let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
            if parts.db.restoring().map_err(sync_err)?.is_none() {
                return Err(SyncError::Invalid(
                    "nothing to restore: this device's data is not being rebuilt".into(),
                ));
            }
            if parts.membership.is_none() {
                // Like a join: the relay sends the membership log after `Welcome`.
                parts.membership = Some(MembershipLog::new());
            }
        }
        let until = Until::Synced {
            deadline,
            admitted: false,
        };
        let result = self.session(until).await;
        self.record_outcome(&result).await;
        let session = result.map_err(|e| match e {
            Ended::Lost(m) => SyncError::Transport(format!(
                "{m}; nothing was lost: run the recovery again once the relay is reachable"
            )),
            e => e.into_error(),
        })?;
        let mut report = RestoreReport {
            received: session.received,
            ..RestoreReport::default()
        };
        {
            let mut guard = self.parts().await?;
            let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
            self.apply_unapplied(parts).await?;
            let me = parts.keys.id();
            report.own_returned = parts.db.received_from_author(&me).map_err(sync_err)?;
            report.last_seq = parts.db.last_seq();
            if let Some(log) = &parts.membership {
                parts.db.save_membership(log).map_err(sync_err)?;
            }
            parts.db.finish_restore().map_err(sync_err)?;
            report.resealed = self.seal_with(parts, true).await? as u64;
            let _ = parts.db.set(key::LAST_ERROR, b"");
        }
        if report.resealed > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            self.sync_once(left.max(Duration::from_secs(5))).await?;
        }
        Ok(report)
    }
}
