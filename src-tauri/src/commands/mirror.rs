//! The Markdown mirror (ADR 0008): where it is, what it refused and whether it runs;
//! choosing its folder; a pass now (the answer to the mass-delete question).

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
