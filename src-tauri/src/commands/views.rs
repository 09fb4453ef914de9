//! The derived views: the inbox, the team clock, and the notifications held right now.

use meridian_app::{ApiError, InboxView, NotificationBatch, TeamView};

use super::State;

pub async fn inbox(state: State<'_>) -> Result<InboxView, ApiError> {
    Ok(state.workspace()?.inbox(None, None).await?)
}

pub async fn team(state: State<'_>) -> Result<TeamView, ApiError> {
    Ok(state.workspace()?.team(None).await?)
}

/// Notifications that arrived for me during the last day and are still held by a focus
/// block or quiet hours, with when they will be released.
pub async fn pending_notifications(state: State<'_>) -> Result<NotificationBatch, ApiError> {
    Ok(state.workspace()?.pending_notifications(None).await?)
}
