//! History and restore for every object: the timeline, an old version, a diff between two
//! points, and restoring a version as a new edit.

use meridian_app::core::DocId;
use meridian_app::{ApiError, HistoryPage, ObjectSummary, Version, VersionDiff};

use super::State;

pub async fn history(
    state: State<'_>,
    id: DocId,
    offset: u32,
    limit: u32,
) -> Result<HistoryPage, ApiError> {
    Ok(state
        .workspace()?
        .history(&id, offset as usize, limit as usize)
        .await?)
}

pub async fn object_at(state: State<'_>, id: DocId, point: String) -> Result<Version, ApiError> {
    Ok(state.workspace()?.object_at(&id, &point).await?)
}

pub async fn diff_versions(
    state: State<'_>,
    id: DocId,
    from: String,
    to: String,
) -> Result<VersionDiff, ApiError> {
    Ok(state.workspace()?.diff_versions(&id, &from, &to).await?)
}

pub async fn restore_version(
    state: State<'_>,
    id: DocId,
    point: String,
) -> Result<ObjectSummary, ApiError> {
    Ok(state.workspace()?.restore_version(&id, &point).await?)
}
