//! Threads with reply-by clocks: the composer's preview, posting, replying, acknowledging
//! and resolving.

use meridian_app::core::{DocId, Thread};
use meridian_app::{ApiError, NewThread, Posting};

use super::State;

/// Each recipient's reply-by if the thread were sent now, for the composer.
pub async fn preview_thread(state: State<'_>, new: NewThread) -> Result<Posting, ApiError> {
    Ok(state.workspace()?.preview_thread(&new).await?)
}

pub async fn post_thread(state: State<'_>, new: NewThread) -> Result<Posting, ApiError> {
    Ok(state.workspace()?.post_thread(new).await?)
}

pub async fn reply_thread(state: State<'_>, id: DocId, body: String) -> Result<Thread, ApiError> {
    Ok(state.workspace()?.reply_thread(&id, &body, None).await?)
}

pub async fn ack_thread(state: State<'_>, id: DocId) -> Result<Thread, ApiError> {
    Ok(state.workspace()?.ack_thread(&id, None).await?)
}

pub async fn resolve_thread(state: State<'_>, id: DocId) -> Result<Thread, ApiError> {
    Ok(state.workspace()?.resolve_thread(&id).await?)
}
