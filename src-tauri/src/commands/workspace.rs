use meridian_app::core::{DocId, Kind};
use meridian_app::{ApiError, ObjectSummary, Shown, StorageStatus, WorkspaceInfo};

use super::State;

#[allow(
    clippy::unused_async,
    reason = "every command is async: the table's entry points await it, and Tauri runs async commands off the main thread"
)]
pub async fn workspace_info(state: State<'_>) -> Result<WorkspaceInfo, ApiError> {
    Ok(state.workspace()?.workspace_info())
}

#[allow(
    clippy::unused_async,
    reason = "every command is async: the table's entry points await it, and Tauri runs async commands off the main thread"
)]
pub async fn storage_status(state: State<'_>) -> Result<StorageStatus, ApiError> {
    Ok(state.workspace()?.storage_status())
}

pub async fn list_objects(
    state: State<'_>,
    kind: Option<Kind>,
    include_trashed: bool,
) -> Result<Vec<ObjectSummary>, ApiError> {
    Ok(state
        .workspace()?
        .list_objects(kind, include_trashed)
        .await?)
}

pub async fn show_object(state: State<'_>, id: DocId) -> Result<Shown, ApiError> {
    Ok(state.workspace()?.show_object(&id).await?)
}

pub async fn trash_object(state: State<'_>, id: DocId) -> Result<ObjectSummary, ApiError> {
    Ok(state.workspace()?.trash_object(&id).await?)
}

pub async fn restore_object(state: State<'_>, id: DocId) -> Result<ObjectSummary, ApiError> {
    Ok(state.workspace()?.restore_object(&id).await?)
}
