//! The Markdown mirror (ADR 0008): where it is, what it refused and whether it runs;
//! choosing its folder; a pass now (the answer to the mass-delete question); opening a
//! refused file in the person's own editor.

use std::path::PathBuf;

use meridian_app::mirror::{MirrorReport, MirrorStatus};
use meridian_app::{ApiError, Error};
use serde::Serialize;

use super::State;

/// The mirror's state, and whether the app's background mirror runs (and why it stopped).
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MirrorView {
    pub status: MirrorStatus,
    pub running: bool,
    pub error: Option<String>,
}

pub async fn mirror_status(state: State<'_>) -> Result<MirrorView, ApiError> {
    let status = state.workspace()?.mirror_status().await?;
    let health = state.mirror_health();
    Ok(MirrorView {
        status,
        running: health.running,
        error: health.error,
    })
}

pub async fn choose_mirror_folder(
    state: State<'_>,
    path: String,
) -> Result<MirrorReport, ApiError> {
    let ws = state.workspace()?;
    let dir = PathBuf::from(path.trim());
    // The app's working folder means nothing to the person typing: a relative path would
    // land somewhere they did not choose.
    if !dir.is_absolute() {
        return Err(Error::Mirror(format!(
            "{:?} is not a whole path: type it from the root, e.g. /home/you/Notes",
            path.trim()
        ))
        .into());
    }
    Ok(state
        .with_mirror_paused(&ws, ws.mirror_once(Some(&dir), false))
        .await?)
}

pub async fn mirror_now(
    state: State<'_>,
    allow_mass_delete: bool,
) -> Result<MirrorReport, ApiError> {
    let ws = state.workspace()?;
    Ok(state
        .with_mirror_paused(&ws, ws.mirror_once(None, allow_mass_delete))
        .await?)
}

/// Opens the mirror file at `path` (as the mirror reports it) with the system's opener
/// (`xdg-open`, `open`, `explorer`; `MERIDIAN_OPENER` names another program), so a refused
/// file can be fixed where it is.
#[allow(
    clippy::unused_async,
    reason = "every command is async: the table's entry points await it, and Tauri runs async commands off the main thread"
)]
pub async fn open_mirror_file(state: State<'_>, path: String) -> Result<(), ApiError> {
    let file = state.workspace()?.mirror_file(&path)?;
    let program = std::env::var_os("MERIDIAN_OPENER").unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else if cfg!(windows) {
            "explorer".into()
        } else {
            "xdg-open".into()
        }
    });
    let mut child = std::process::Command::new(&program)
        .arg(&file)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            Error::Mirror(format!(
                "cannot open {} with {}: {e}",
                file.display(),
                program.to_string_lossy()
            ))
        })?;
    // The opener hands the file to the editor and exits; reap it off the runtime.
    std::thread::spawn(move || child.wait());
    Ok(())
}
