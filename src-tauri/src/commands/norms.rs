//! Time and norms: the inbox, the team clock, my settings, threads with reply-by clocks,
//! meetings with deadlines and slot suggestions.

use meridian_app::core::norms::Slot;
use meridian_app::core::{Charter, DocId, Thread};
use meridian_app::{
    ApiError, InboxView, MeetingTimes, MemberPatch, MemberView, NewFocus, NewMeeting, NewThread,
    NotificationBatch, Posting, SlotQuery, TeamView,
};

use super::State;

pub async fn inbox(state: State<'_>) -> Result<InboxView, ApiError> {
    Ok(state.workspace()?.inbox(None, None).await?)
}

pub async fn team(state: State<'_>) -> Result<TeamView, ApiError> {
    Ok(state.workspace()?.team(None).await?)
}

pub async fn members(state: State<'_>) -> Result<Vec<MemberView>, ApiError> {
    Ok(state.workspace()?.members().await?)
}

pub async fn my_profile(state: State<'_>) -> Result<MemberView, ApiError> {
    let ws = state.workspace()?;
    Ok(ws.member(&ws.info().me.id).await?)
}

pub async fn update_member(
    state: State<'_>,
    id: DocId,
    patch: MemberPatch,
) -> Result<MemberView, ApiError> {
    Ok(state.workspace()?.update_member(&id, patch).await?)
}

pub async fn add_focus_block(
    state: State<'_>,
    id: DocId,
    block: NewFocus,
) -> Result<MemberView, ApiError> {
    Ok(state.workspace()?.add_focus_block(&id, block).await?)
}

pub async fn add_out_of_office(
    state: State<'_>,
    id: DocId,
    from: String,
    to: String,
    note: String,
) -> Result<MemberView, ApiError> {
    Ok(state
        .workspace()?
        .add_out_of_office(&id, &from, &to, &note)
        .await?)
}

/// Removes the focus block with id `entry` of a member.
pub async fn remove_focus_block(
    state: State<'_>,
    id: DocId,
    entry: String,
) -> Result<MemberView, ApiError> {
    Ok(state.workspace()?.remove_focus_block(&id, &entry).await?)
}

/// Removes the out-of-office range with id `entry` of a member.
pub async fn remove_out_of_office(
    state: State<'_>,
    id: DocId,
    entry: String,
) -> Result<MemberView, ApiError> {
    Ok(state.workspace()?.remove_out_of_office(&id, &entry).await?)
}

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

pub async fn create_meeting(
    state: State<'_>,
    new: NewMeeting,
) -> Result<(DocId, MeetingTimes), ApiError> {
    Ok(state.workspace()?.create_meeting(new).await?)
}

pub async fn meeting_times(state: State<'_>, id: DocId) -> Result<MeetingTimes, ApiError> {
    Ok(state.workspace()?.meeting_times(&id).await?)
}

pub async fn suggest_slots(state: State<'_>, query: SlotQuery) -> Result<Vec<Slot>, ApiError> {
    Ok(state.workspace()?.suggest_slots(query).await?)
}

pub async fn charter(state: State<'_>) -> Result<Charter, ApiError> {
    Ok(state.workspace()?.show_charter().await?)
}

/// Notifications that arrived for me during the last day and are still held by a focus
/// block or quiet hours, with when they will be released.
pub async fn pending_notifications(state: State<'_>) -> Result<NotificationBatch, ApiError> {
    Ok(state.workspace()?.held_notifications(None).await?)
}
