use meridian_app::core::{Decision, DecisionStatus, DocId, Stance};
use meridian_app::{ApiError, DecisionPatch, NewDecision};

use super::State;

pub async fn create_decision(
    state: State<'_>,
    new: NewDecision,
) -> Result<(DocId, Decision), ApiError> {
    Ok(state.workspace()?.create_decision(new).await?)
}

pub async fn update_decision(
    state: State<'_>,
    id: DocId,
    patch: DecisionPatch,
) -> Result<Decision, ApiError> {
    Ok(state.workspace()?.update_decision(&id, patch).await?)
}

pub async fn set_decision_status(
    state: State<'_>,
    id: DocId,
    status: DecisionStatus,
) -> Result<Decision, ApiError> {
    Ok(state.workspace()?.set_decision_status(&id, status).await?)
}

/// `option` is an option id or title.
pub async fn choose_option(
    state: State<'_>,
    id: DocId,
    option: String,
    rationale: Option<String>,
) -> Result<Decision, ApiError> {
    Ok(state
        .workspace()?
        .choose_option(&id, &option, rationale)
        .await?)
}

/// My feedback on a decision.
pub async fn give_feedback(
    state: State<'_>,
    id: DocId,
    stance: Stance,
    text: String,
) -> Result<Decision, ApiError> {
    Ok(state.workspace()?.give_feedback(&id, stance, &text).await?)
}

/// I have read the outcome.
pub async fn acknowledge_decision(state: State<'_>, id: DocId) -> Result<Decision, ApiError> {
    Ok(state.workspace()?.acknowledge_decision(&id).await?)
}

/// `old` is superseded by `new`; returns `old`.
pub async fn supersede_decision(
    state: State<'_>,
    old: DocId,
    new: DocId,
) -> Result<Decision, ApiError> {
    Ok(state.workspace()?.supersede_decision(&old, &new).await?)
}

/// A draft decision pre-filled from a thread, linked both ways.
pub async fn promote_thread(state: State<'_>, id: DocId) -> Result<(DocId, Decision), ApiError> {
    Ok(state.workspace()?.promote_thread(&id).await?)
}

/// The statuses a decision may move to next, so the UI offers only legal transitions.
#[allow(
    clippy::unused_async,
    reason = "every command is async: the table's entry points await it, and Tauri runs async commands off the main thread"
)]
pub async fn decision_next_steps(status: DecisionStatus) -> Result<Vec<DecisionStatus>, ApiError> {
    Ok(status.next_steps())
}
