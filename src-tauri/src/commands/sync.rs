//! First run (create or join) and sync: invites with a QR code, devices, removal, status,
//! devices met on the local network.

use std::time::Duration;

use meridian_app::sync::{DeviceInfo, LanPeer, SyncStatus, parse_role};
use meridian_app::{
    ApiError, Error, ErrorKind, RecoveryReport, Workspace, WorkspaceInfo, default_data_dir,
};
use serde::Serialize;
use tauri::AppHandle;

use super::State;
use crate::startup;

/// How long joining waits for an admin device to admit this one.
const JOIN_WAIT: Duration = Duration::from_secs(300);
/// How long a recovery waits for the relay.
const RECOVER_WAIT: Duration = Duration::from_secs(300);

/// What the first-run screen proposes.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FirstRun {
    pub name: String,
    pub me: String,
    pub tz: String,
    pub data_dir: String,
}

#[allow(
    clippy::unused_async,
    reason = "every command is async: the table's entry points await it, and Tauri runs async commands off the main thread"
)]
pub async fn first_run(state: State<'_>) -> Result<Option<FirstRun>, ApiError> {
    Ok(state.is_first_run().then(|| FirstRun {
        name: startup::DEFAULT_NAME.to_owned(),
        me: startup::my_name(),
        tz: startup::my_time_zone(),
        data_dir: default_data_dir().display().to_string(),
    }))
}

fn not_first_run() -> ApiError {
    Error::AlreadyInitialised(default_data_dir()).into()
}

/// Creates the workspace and, with `sample`, adds the sample pages and decisions. The
/// workspace is open even when the sample fails: the error says so, and the first-run
/// screen then offers to continue without it.
pub async fn create_workspace(
    app: AppHandle,
    state: State<'_>,
    name: String,
    me: String,
    tz: String,
    sample: bool,
) -> Result<WorkspaceInfo, ApiError> {
    if !state.is_first_run() {
        return Err(not_first_run());
    }
    let ws = Workspace::create(&default_data_dir(), &name, &me, &tz).await?;
    // Imported before the background tasks start, so the search catch-up indexes it.
    let sample = if sample {
        ws.import_sample().await.map(drop)
    } else {
        Ok(())
    };
    startup::start_background(&app, &ws);
    state.set_ready(ws.clone());
    if let Err(error) = sample {
        tracing::error!(%error, "the sample content was not added");
        return Err(ApiError {
            kind: error.kind(),
            detail: format!(
                "Your workspace was created, but the sample content could not be added: {error}"
            ),
        });
    }
    Ok(ws.workspace_info())
}

pub async fn join_workspace(
    app: AppHandle,
    state: State<'_>,
    code: String,
    me: String,
    tz: String,
) -> Result<WorkspaceInfo, ApiError> {
    if !state.is_first_run() {
        return Err(not_first_run());
    }
    let ws = Workspace::join(&default_data_dir(), &code, &me, &tz, JOIN_WAIT).await?;
    startup::start_background(&app, &ws);
    state.set_ready(ws.clone());
    Ok(ws.workspace_info())
}

/// Rebuilds this device's damaged or lost database (`Workspace::recover`) and opens the
/// workspace; only while opening it failed.
pub async fn recover_workspace(
    app: AppHandle,
    state: State<'_>,
    relay: Option<String>,
) -> Result<RecoveryReport, ApiError> {
    if state.workspace().is_ok() {
        return Err(ApiError {
            kind: ErrorKind::Invalid,
            detail: "the workspace is open: there is nothing to recover".into(),
        });
    }
    let relay = relay.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let (ws, report) = Workspace::recover(&default_data_dir(), relay, RECOVER_WAIT).await?;
    startup::start_background(&app, &ws);
    state.set_ready(ws);
    Ok(report)
}

pub async fn sync_status(state: State<'_>) -> Result<SyncStatus, ApiError> {
    Ok(state.workspace()?.sync_status().await?)
}

pub async fn devices(state: State<'_>) -> Result<Vec<DeviceInfo>, ApiError> {
    Ok(state.workspace()?.devices().await?)
}

pub async fn lan_peers(state: State<'_>) -> Result<Vec<LanPeer>, ApiError> {
    Ok(state.workspace()?.lan_peers().await?)
}

/// An invite: the code to send, and the same code as a QR code (SVG) to scan.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Invitation {
    pub code: String,
    pub qr_svg: String,
}

pub async fn create_invite(
    app: AppHandle,
    state: State<'_>,
    relay: String,
    role: String,
    expires_hours: u32,
) -> Result<Invitation, ApiError> {
    let ws = state.workspace()?;
    let role = parse_role(&role)?;
    let valid_ms = i64::from(expires_hours.clamp(1, 24 * 30)) * 3_600_000;
    let code = ws.create_invite(relay.trim(), role, valid_ms).await?;
    // The admin device must sync to admit the new one.
    startup::start_sync(&app, &ws);
    let qr = qrcode::QrCode::new(code.as_bytes())
        .map_err(|e| Error::Sync(meridian_app::sync::SyncError::Invalid(e.to_string())))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .build();
    Ok(Invitation { code, qr_svg })
}

pub async fn remove_device(state: State<'_>, device: String) -> Result<(), ApiError> {
    Ok(state.workspace()?.remove_device(&device).await?)
}

pub async fn set_relay(
    app: AppHandle,
    state: State<'_>,
    relay: String,
) -> Result<String, ApiError> {
    let ws = state.workspace()?;
    let url = ws.set_relay(relay.trim()).await?;
    // The running session stays with the old address until it ends: end it now.
    state.stop_sync();
    startup::start_sync(&app, &ws);
    Ok(url)
}
