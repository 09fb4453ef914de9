//! Catch-up: what others changed since this device last looked, marking it seen, and
//! following objects.

use meridian_app::core::DocId;
use meridian_app::{ApiError, CatchUpView, Following};

use super::State;

pub async fn catch_up(state: State<'_>) -> Result<CatchUpView, ApiError> {
    Ok(state.workspace()?.catch_up(None).await?)
}

pub async fn mark_seen(state: State<'_>, id: DocId, heads: Option<String>) -> Result<(), ApiError> {
    Ok(state.workspace()?.mark_seen(&id, heads.as_deref()).await?)
}

pub async fn mark_all_seen(state: State<'_>) -> Result<(), ApiError> {
    Ok(state.workspace()?.mark_all_seen().await?)
}

pub async fn follow(state: State<'_>, id: DocId, on: bool) -> Result<Following, ApiError> {
    Ok(state.workspace()?.follow(&id, on).await?)
}

pub async fn following(state: State<'_>, id: DocId) -> Result<Following, ApiError> {
    Ok(state.workspace()?.following(&id).await?)
}
