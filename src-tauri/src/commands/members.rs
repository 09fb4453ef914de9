//! Members: the list, my profile, and each member's calendar (zone, hours, travel, focus
//! blocks, out-of-office ranges).

use meridian_app::core::DocId;
use meridian_app::{ApiError, MemberPatch, MemberView, NewFocus};

use super::State;

pub async fn members(state: State<'_>) -> Result<Vec<MemberView>, ApiError> {
    Ok(state.workspace()?.members().await?)
}

pub async fn my_profile(state: State<'_>) -> Result<MemberView, ApiError> {
    Ok(state.workspace()?.my_profile().await?)
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
