//! A damaged or lost local database, found at open and rebuilt from the relay (issue 21).
//!
//! A device's folder holds two databases: `workspace.db` (the documents) and `sync.db`
//! (the envelopes, cursors, membership log and numbering). [`Workspace::open`] checks both
//! and names the damaged one ([`Error::Damaged`]). [`Workspace::recover`] then moves what is
//! damaged aside (`<file>.corrupt-<time>`, with its `-wal` and `-shm`; nothing is deleted)
//! and rebuilds it from what survived and from the relay, keeping this device's identity
//! (its key, device id and membership): a damaged `workspace.db` is rebuilt from the
//! envelopes `sync.db` holds plus the relay's whole log; a damaged or lost `sync.db` gets a
//! new log, learns from the relay how far this device's numbering went, and then seals the
//! documents' changes again (`meridian_net::recover`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use meridian_core::DocId;
use meridian_net::recover as net;
use serde::{Deserialize, Serialize};

use super::{DB_FILE, Workspace, meta, open_store, read_id};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::sync::SyncError;

const SYNC_DB: &str = "sync.db";
const KEY_FILE: &str = "device.key";

/// What a recovery did, for the CLI and the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RecoveryReport {
    /// The damaged files moved aside (their new paths).
    pub moved_aside: Vec<String>,
    /// What was rebuilt: `workspace.db`, `sync.db`, or both.
    pub rebuilt: Vec<String>,
    /// Why, per rebuilt file.
    pub reasons: Vec<String>,
    /// This device, unchanged.
    pub device: String,
    /// Objects in the workspace after the recovery.
    #[ts(type = "number")]
    pub objects: u64,
    /// Envelopes received from the relay.
    #[ts(type = "number")]
    pub received: u64,
    /// This device's own envelopes the relay returned.
    #[ts(type = "number")]
    pub own_returned: u64,
    /// Documents whose changes were sealed again and sent.
    #[ts(type = "number")]
    pub resealed: u64,
}

/// The state of one database file.
#[derive(Debug)]
enum Health {
    Missing,
    Healthy,
    /// Healthy, but a recovery that rebuilt this (`sync`) or the other database
    /// (`store`) did not finish.
    Unfinished(String),
    Damaged(String),
}

/// Checks `workspace.db`: it opens, passes `quick_check`, names its workspace and member,
/// and every stored document loads with the heads stored for it.
fn check_store(dir: &Path) -> Health {
    if !dir.join(DB_FILE).exists() {
        return Health::Missing;
    }
    let result = (|| -> Result<(), Error> {
        let store = open_store(dir)?;
        if read_id(&store, meta::WORKSPACE)?.is_none() || read_id(&store, meta::ME)?.is_none() {
            return Err(Error::Metadata(
                "it names no workspace or member (its creation or rebuild was interrupted)".into(),
            ));
        }
        for (id, _, _) in store.heads_blocking()? {
            store.load_blocking(&id, automerge::TextEncoding::Utf16CodeUnit)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Health::Healthy,
        Err(Error::Store(e)) => Health::Damaged(store_detail(&e)),
        Err(e) => Health::Damaged(e.to_string()),
    }
}

fn check_sync(dir: &Path) -> Health {
    match net::check_sync_db(dir) {
        Ok(net::SyncDbState::Missing) => Health::Missing,
        Ok(net::SyncDbState::Healthy) => Health::Healthy,
        Ok(net::SyncDbState::Restoring(what)) => Health::Unfinished(what),
        Err(e) => Health::Damaged(e.to_string()),
    }
}

/// An error opening the workspace database: damage becomes [`Error::Damaged`], which says
/// how to recover.
pub(super) fn damaged(dir: &Path, e: Error) -> Error {
    match e {
        Error::Store(
            s @ (meridian_store::Error::Corrupt { .. }
            | meridian_store::Error::CorruptDoc { .. }
            | meridian_store::Error::HeadsMismatch { .. }),
        ) => Error::Damaged {
            file: dir.join(DB_FILE),
            detail: store_detail(&s),
        },
        Error::Metadata(detail) => Error::Damaged {
            file: dir.join(DB_FILE),
            detail,
        },
        other => other,
    }
}

/// What the store says about the damage, without its own advice (the recovery's replaces
/// it).
fn store_detail(e: &meridian_store::Error) -> String {
    match e {
        meridian_store::Error::Corrupt { detail, .. } => detail.clone(),
        other => other.to_string(),
    }
}

/// Checks `sync.db` at open (when it exists): damage becomes [`Error::Damaged`].
pub(super) async fn check_sync_at_open(dir: &Path) -> Result<(), Error> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || match check_sync(&dir) {
        Health::Damaged(detail) => Err(Error::Damaged {
            file: dir.join(SYNC_DB),
            detail,
        }),
        Health::Unfinished(_) => Err(Error::Damaged {
            file: dir.join(SYNC_DB),
            detail: "an earlier recovery did not finish; nothing is sealed until it does".into(),
        }),
        // The key file is written right after `sync.db` is first made: one without the
        // other means `sync.db` was lost.
        Health::Missing if dir.join(KEY_FILE).exists() => Err(Error::Damaged {
            file: dir.join(SYNC_DB),
            detail: format!("it is missing, while this device's key file {KEY_FILE} is there"),
        }),
        Health::Missing | Health::Healthy => Ok(()),
    })
    .await
    .map_err(|_| Error::Stopped)?
}

/// Moves `file` (and its `-wal` and `-shm`) to `<file>.corrupt-<stamp>`; returns the new
/// path of the main file.
fn move_aside(file: &Path, stamp: &str) -> Result<PathBuf, Error> {
    let aside = PathBuf::from(format!("{}.corrupt-{stamp}", file.display()));
    for suffix in ["-wal", "-shm", ""] {
        let from = PathBuf::from(format!("{}{suffix}", file.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", aside.display()));
            std::fs::rename(&from, &to).map_err(|source| Error::Write {
                path: to.clone(),
                source,
            })?;
        }
    }
    Ok(aside)
}

impl Workspace {
    /// Rebuilds this device's damaged or lost `workspace.db` or `sync.db` in `data_dir` from
    /// the other one and the relay (`relay` overrides the relay address `sync.db` knew;
    /// it is needed when `sync.db` is gone). Keeps this device's identity. Waits up to
    /// `timeout` for the relay.
    pub async fn recover(
        data_dir: &Path,
        relay: Option<&str>,
        timeout: Duration,
    ) -> Result<(Workspace, RecoveryReport), Error> {
        Self::recover_with_clock(data_dir, relay, timeout, Arc::new(SystemClock)).await
    }

    pub async fn recover_with_clock(
        data_dir: &Path,
        relay: Option<&str>,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<(Workspace, RecoveryReport), Error> {
        let dir = data_dir.to_owned();
        let (store, sync) =
            tokio::task::spawn_blocking(move || (check_store(&dir), check_sync(&dir)))
                .await
                .map_err(|_| Error::Stopped)?;
        tracing::info!(?store, ?sync, "recovery: what the databases hold");
        let mut report = RecoveryReport {
            moved_aside: Vec::new(),
            rebuilt: Vec::new(),
            reasons: Vec::new(),
            device: String::new(),
            objects: 0,
            received: 0,
            own_returned: 0,
            resealed: 0,
        };
        let stamp = chrono::DateTime::from_timestamp_millis(clock.now_ms())
            .unwrap_or_default()
            .format("%Y%m%dT%H%M%SZ")
            .to_string();
        let ws_file = data_dir.join(DB_FILE);
        let sync_file = data_dir.join(SYNC_DB);
        let ws = match (&store, &sync) {
            (Health::Healthy, Health::Missing)
                if relay.is_none() && !data_dir.join(KEY_FILE).exists() =>
            {
                return Err(Error::Sync(SyncError::Invalid(format!(
                    "nothing to recover: {} is healthy and this folder never synced (it has no sync.db nor device key); if its sync.db was lost and the device key is in the OS keychain, run the recovery with --relay URL",
                    ws_file.display()
                ))));
            }
            (Health::Healthy, Health::Healthy) => {
                return Err(Error::Sync(SyncError::Invalid(format!(
                    "nothing to recover: {} and {} are both healthy",
                    ws_file.display(),
                    sync_file.display()
                ))));
            }
            (Health::Healthy, Health::Unfinished(what)) => {
                // An interrupted recovery: go on where it stopped.
                report.rebuilt.push(SYNC_DB.into());
                report.reasons.push(format!(
                    "an earlier recovery (of {}) did not finish",
                    if what == "store" { DB_FILE } else { SYNC_DB }
                ));
                if let Some(url) = relay {
                    let (dir, url) = (data_dir.to_owned(), url.to_owned());
                    tokio::task::spawn_blocking(move || net::set_relay(&dir, &url))
                        .await
                        .map_err(|_| Error::Stopped)??;
                }
                Workspace::open_inner(data_dir, clock.clone(), false).await?
            }
            (Health::Missing | Health::Damaged(_), Health::Healthy | Health::Unfinished(_)) => {
                let dir = data_dir.to_owned();
                let ids = tokio::task::spawn_blocking(move || net::identity_from_sync_db(&dir))
                    .await
                    .map_err(|_| Error::Stopped)??;
                let Some((ws_id, Some(member))) = ids else {
                    return Err(Error::Sync(SyncError::Invalid(format!(
                        "{} cannot be rebuilt: {} holds no membership of a shared workspace for this device, so no other device or relay holds its data; restore a backup",
                        ws_file.display(),
                        sync_file.display()
                    ))));
                };
                if let Health::Damaged(why) = &store {
                    report
                        .moved_aside
                        .push(move_aside(&ws_file, &stamp)?.display().to_string());
                    report
                        .reasons
                        .push(format!("workspace.db was damaged: {why}"));
                } else {
                    report.reasons.push("workspace.db was missing".into());
                }
                report.rebuilt.push(DB_FILE.into());
                let dir = data_dir.to_owned();
                tokio::task::spawn_blocking(move || net::prepare_store_rebuild(&dir))
                    .await
                    .map_err(|_| Error::Stopped)??;
                let ws_id: DocId = ws_id.parse()?;
                let member: DocId = member.parse()?;
                let ws = Workspace::begin_join(data_dir, ws_id, clock.clone())?;
                let restored = ws.net().restore(timeout).await?;
                ws.finish_join(member).await?;
                report.received = restored.received;
                report.own_returned = restored.own_returned;
                report.resealed = restored.resealed;
                ws
            }
            (Health::Healthy, Health::Missing | Health::Damaged(_)) => {
                let mut info = net::RelayInfo::default();
                if let Health::Damaged(why) = &sync {
                    let aside = move_aside(&sync_file, &stamp)?;
                    let salvaged = net::salvage(&aside);
                    info = salvaged;
                    report.moved_aside.push(aside.display().to_string());
                    report.reasons.push(format!("sync.db was damaged: {why}"));
                } else {
                    report.reasons.push("sync.db was missing".into());
                }
                if let Some(url) = relay {
                    info.url = Some(url.to_owned());
                }
                if info.url.is_none() {
                    return Err(Error::Sync(SyncError::Invalid(format!(
                        "{} is gone, and with it the relay's address: run the recovery again with --relay URL (the relay this workspace syncs with)",
                        sync_file.display()
                    ))));
                }
                report.rebuilt.push(SYNC_DB.into());
                let dir = data_dir.to_owned();
                let now = clock.now_ms();
                tokio::task::spawn_blocking(move || net::prepare_sync_rebuild(&dir, &info, now))
                    .await
                    .map_err(|_| Error::Stopped)??;
                Workspace::open_inner(data_dir, clock.clone(), false).await?
            }
            _ => {
                return Err(Error::Sync(SyncError::Invalid(format!(
                    "both {} and {} are damaged or missing: nothing on this device names the workspace any more; join it again with an invite from another device (`meridian join`), into an empty folder",
                    ws_file.display(),
                    sync_file.display()
                ))));
            }
        };
        if report.rebuilt.iter().any(|f| f == SYNC_DB) {
            let restored = ws.net().restore(timeout).await?;
            report.received = restored.received;
            report.own_returned = restored.own_returned;
            report.resealed = restored.resealed;
        }
        report.device = ws.sync_status().await?.device;
        report.objects = ws
            .inner
            .store
            .read(|s| s.list_blocking(None, true))
            .await?
            .len() as u64;
        Ok((ws, report))
    }
}
