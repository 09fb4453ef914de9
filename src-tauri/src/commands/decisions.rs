use meridian_app::core::{Decision, DecisionStatus, DocId};
use meridian_app::{ApiError, DecisionPatch, NewDecision};

use super::State;

#[tauri::command]
pub async fn create_decision(
    state: State<'_>,
    new: NewDecision,
) -> Result<(DocId, Decision), ApiError> {
    Ok(state.workspace()?.create_decision(new).await?)
}

#[tauri::command]
pub async fn update_decision(
    state: State<'_>,
    id: DocId,
    patch: DecisionPatch,
) -> Result<Decision, ApiError> {
    Ok(state.workspace()?.update_decision(&id, patch).await?)
}

#[tauri::command]
pub async fn set_decision_status(
    state: State<'_>,
    id: DocId,
    status: DecisionStatus,
) -> Result<Decision, ApiError> {
    Ok(state.workspace()?.set_decision_status(&id, status).await?)
}

/// `option` is an option id or title.
#[tauri::command]
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

/// The statuses a decision may move to next, so the UI offers only legal transitions.
#[tauri::command]
pub async fn decision_next_steps(status: DecisionStatus) -> Result<Vec<DecisionStatus>, ApiError> {
    Ok(status.next_steps())
}
