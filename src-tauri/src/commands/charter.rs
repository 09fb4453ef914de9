//! The team's communication charter.

use meridian_app::ApiError;
use meridian_app::core::Charter;

use super::State;

pub async fn charter(state: State<'_>) -> Result<Charter, ApiError> {
    Ok(state.workspace()?.charter().await?)
}
