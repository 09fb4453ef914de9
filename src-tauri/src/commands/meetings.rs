//! Meetings: scheduling (creation, deadlines, slot suggestions), the agenda builder, notes
//! and summary typed in the editor, state changes, and what a meeting resolves (decisions
//! and action items).

use meridian_app::core::norms::Slot;
use meridian_app::core::{Decision, DocId, Meeting, MeetingState, TextSplice};
use meridian_app::{
    AgendaItemPatch, ApiError, MeetingOutcome, MeetingText, MeetingTimes, NewAgendaItem,
    NewDecision, NewMeeting, NewTask, SlotQuery, Summarised,
};

use super::State;

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

pub async fn add_agenda_item(
    state: State<'_>,
    id: DocId,
    item: NewAgendaItem,
) -> Result<Meeting, ApiError> {
    Ok(state.workspace()?.add_agenda_item(&id, item).await?)
}

pub async fn update_agenda_item(
    state: State<'_>,
    id: DocId,
    item: String,
    patch: AgendaItemPatch,
) -> Result<Meeting, ApiError> {
    Ok(state
        .workspace()?
        .update_agenda_item(&id, &item, patch)
        .await?)
}

pub async fn remove_agenda_item(
    state: State<'_>,
    id: DocId,
    item: String,
) -> Result<Meeting, ApiError> {
    Ok(state.workspace()?.remove_agenda_item(&id, &item).await?)
}

/// Moves agenda item `item` to position `to` (0 is first).
pub async fn move_agenda_item(
    state: State<'_>,
    id: DocId,
    item: String,
    to: usize,
) -> Result<Meeting, ApiError> {
    Ok(state.workspace()?.move_agenda_item(&id, &item, to).await?)
}

/// Editor keystrokes in a meeting's notes or summary, in typing order (UTF-16 positions).
pub async fn edit_meeting_text(
    state: State<'_>,
    id: DocId,
    which: MeetingText,
    splices: Vec<TextSplice>,
) -> Result<(), ApiError> {
    Ok(state
        .workspace()?
        .edit_meeting_text(&id, which, &splices)
        .await?)
}

pub async fn set_meeting_state(
    state: State<'_>,
    id: DocId,
    to: MeetingState,
) -> Result<Meeting, ApiError> {
    Ok(state.workspace()?.set_meeting_state(&id, to).await?)
}

/// The states a meeting may move to by hand from `from`, so the UI offers only those.
#[allow(
    clippy::unused_async,
    reason = "every command is async: the table's entry points await it, and Tauri runs async commands off the main thread"
)]
pub async fn meeting_next_steps(from: MeetingState) -> Result<Vec<MeetingState>, ApiError> {
    Ok(from
        .next_steps()
        .into_iter()
        .filter(|s| *s != MeetingState::ConvertedToAsync)
        .collect())
}

/// A decision form pre-filled from the meeting, or from one of its agenda items.
pub async fn draft_meeting_decision(
    state: State<'_>,
    id: DocId,
    item: Option<String>,
) -> Result<NewDecision, ApiError> {
    Ok(state
        .workspace()?
        .draft_meeting_decision(&id, item.as_deref())
        .await?)
}

pub async fn record_meeting_decision(
    state: State<'_>,
    id: DocId,
    decision: NewDecision,
) -> Result<(DocId, Decision), ApiError> {
    Ok(state
        .workspace()?
        .record_meeting_decision(&id, decision)
        .await?)
}

pub async fn add_action_item(
    state: State<'_>,
    id: DocId,
    task: NewTask,
) -> Result<DocId, ApiError> {
    Ok(state.workspace()?.add_action_item(&id, task).await?)
}

pub async fn summarise_meeting(
    state: State<'_>,
    id: DocId,
    outcome: MeetingOutcome,
) -> Result<Summarised, ApiError> {
    Ok(state.workspace()?.summarise_meeting(&id, outcome).await?)
}
