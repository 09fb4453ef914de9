use meridian_app::core::{DocId, Page, TextSplice};
use meridian_app::{
    ApiError, Links, NewPage, PageNode, PagePatch, PagePreview, ThreadKind, UnresolvedLink,
};

use super::State;

pub async fn create_page(state: State<'_>, new: NewPage) -> Result<(DocId, Page), ApiError> {
    Ok(state.workspace()?.create_page(new).await?)
}

pub async fn update_page(state: State<'_>, id: DocId, patch: PagePatch) -> Result<Page, ApiError> {
    Ok(state.workspace()?.update_page(&id, patch).await?)
}

/// Editor keystrokes, in the order they were typed; positions count UTF-16 code units.
pub async fn edit_page_body(
    state: State<'_>,
    id: DocId,
    splices: Vec<TextSplice>,
) -> Result<(), ApiError> {
    Ok(state.workspace()?.edit_page_body(&id, &splices).await?)
}

/// A page's cached text, if it is the stored one (see `Workspace::page_preview`).
pub async fn page_preview(
    state: State<'_>,
    id: DocId,
    max_chars: Option<usize>,
) -> Result<Option<PagePreview>, ApiError> {
    Ok(state.workspace()?.page_preview(&id, max_chars).await?)
}

/// Every page with its parent, for the tree.
pub async fn page_tree(state: State<'_>) -> Result<Vec<PageNode>, ApiError> {
    Ok(state.workspace()?.page_tree().await?)
}

/// What an object links to and what links to it.
pub async fn links(state: State<'_>, id: DocId) -> Result<Links, ApiError> {
    Ok(state.workspace()?.links(&id).await?)
}

/// Every link that names no object here (a file an import did not bring, a misspelt title).
pub async fn unresolved_links(state: State<'_>) -> Result<Vec<UnresolvedLink>, ApiError> {
    Ok(state.workspace()?.unresolved_links().await?)
}

/// Each thread's message kind, for the message board.
pub async fn thread_kinds(state: State<'_>) -> Result<Vec<ThreadKind>, ApiError> {
    Ok(state.workspace()?.thread_kinds().await?)
}
