//! Check-ins: what asks me today, answering (and changing today's answer), the digest per
//! local date, and creating a check-in.

use meridian_app::core::norms::CheckinDigest;
use meridian_app::core::{Checkin, DocId};
use meridian_app::{ApiError, CheckinsView, NewCheckin};

use super::State;

pub async fn checkins(state: State<'_>) -> Result<CheckinsView, ApiError> {
    Ok(state.workspace()?.checkins(None).await?)
}

pub async fn create_checkin(
    state: State<'_>,
    new: NewCheckin,
) -> Result<(DocId, Checkin), ApiError> {
    Ok(state.workspace()?.create_checkin(new).await?)
}

/// My answers for my current local date, one per question; replaces earlier ones that day.
pub async fn answer_checkin(
    state: State<'_>,
    id: DocId,
    answers: Vec<String>,
) -> Result<Checkin, ApiError> {
    Ok(state
        .workspace()?
        .answer_checkin(&id, answers, None)
        .await?)
}

/// Everyone's answers for local date `date` (`YYYY-MM-DD`; today in my zone when absent).
pub async fn checkin_digest(
    state: State<'_>,
    id: DocId,
    date: Option<String>,
) -> Result<CheckinDigest, ApiError> {
    Ok(state
        .workspace()?
        .checkin_digest(&id, date.as_deref())
        .await?)
}
