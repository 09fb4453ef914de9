//! The trash: who moved what there and when, moving many objects at once (behind the
//! guard), and deleting for good.

use meridian_app::core::DocId;
use meridian_app::{ApiError, ObjectSummary, TrashedObject};

use super::State;

/// Everything in the trash, with who moved it there and when.
pub async fn trash_list(state: State<'_>) -> Result<Vec<TrashedObject>, ApiError> {
    Ok(state.workspace()?.trash_list().await?)
}

/// How many objects `trash_objects` would move, to ask first past the guard.
pub async fn trash_count(
    state: State<'_>,
    ids: Vec<DocId>,
    with_subpages: bool,
) -> Result<usize, ApiError> {
    Ok(state.workspace()?.trash_count(&ids, with_subpages).await?)
}

/// Moves objects to the trash in one action; past the guard it fails (`invalid`) unless
/// `confirmed`.
pub async fn trash_objects(
    state: State<'_>,
    ids: Vec<DocId>,
    with_subpages: bool,
    confirmed: bool,
) -> Result<Vec<ObjectSummary>, ApiError> {
    Ok(state
        .workspace()?
        .trash_objects(&ids, with_subpages, confirmed)
        .await?)
}

/// Deletes an object in the trash for good, on every device.
pub async fn purge_object(state: State<'_>, id: DocId) -> Result<(), ApiError> {
    Ok(state.workspace()?.purge_object(&id).await?)
}
