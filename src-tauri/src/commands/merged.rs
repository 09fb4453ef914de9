//! The what-merged list: objects a sync merged with this device's concurrent edits.

use meridian_app::core::DocId;
use meridian_app::core::merged::Side;
use meridian_app::{ApiError, MergeReport};

use super::State;

/// Objects a sync merged with this device's own offline edits, newest first.
pub async fn merge_reports(state: State<'_>) -> Result<Vec<MergeReport>, ApiError> {
    Ok(state.workspace()?.merge_reports().await?)
}

/// Removes an object's report from the what-merged list.
pub async fn dismiss_merge(state: State<'_>, id: DocId) -> Result<(), ApiError> {
    Ok(state.workspace()?.dismiss_merge(&id).await?)
}

/// Brings back what `side` lost in entry `entry` of the report, as a new edit that syncs.
pub async fn restore_merged(
    state: State<'_>,
    id: DocId,
    entry: Option<usize>,
    side: Option<Side>,
) -> Result<MergeReport, ApiError> {
    Ok(state.workspace()?.restore_merged(&id, entry, side).await?)
}
