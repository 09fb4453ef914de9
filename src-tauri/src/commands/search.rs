//! Search: the palette's queries, and the index catching up with the workspace in the
//! background at startup (progress goes to the status bar).

use meridian_app::search::Hit;
use meridian_app::{ApiError, Workspace};
use tauri::AppHandle;

use super::State;
use crate::events;

/// Runs a query of the query language; the work happens off the UI and async threads.
pub async fn search(state: State<'_>, query: String, limit: usize) -> Result<Vec<Hit>, ApiError> {
    Ok(state.workspace()?.search(&query, limit.min(100)).await?)
}

/// Re-feeds the index whatever it lacks (a first start, a deleted or damaged index, edits
/// made by the CLI meanwhile), emitting `events::SEARCH_PROGRESS`.
pub fn catch_up(app: AppHandle, ws: Workspace) {
    tauri::async_runtime::spawn(async move {
        let emit = |done: usize, total: usize| {
            let _ = events::SEARCH_PROGRESS.emit(&app, &(done, total));
        };
        if let Err(error) = ws.catch_up_search(emit).await {
            tracing::warn!(%error, "the search index could not catch up");
        }
    });
}
