//! Tasks: mine and the team's, grouped by due date on each owner's calendar.

use meridian_app::core::{DocId, Task};
use meridian_app::{ApiError, NewTask, TaskList, TaskPatch};

use super::State;

pub async fn task_list(state: State<'_>, mine: bool) -> Result<TaskList, ApiError> {
    Ok(state.workspace()?.task_list(mine, None).await?)
}

pub async fn create_task(state: State<'_>, new: NewTask) -> Result<(DocId, Task), ApiError> {
    Ok(state.workspace()?.create_task(new).await?)
}

pub async fn update_task(state: State<'_>, id: DocId, patch: TaskPatch) -> Result<Task, ApiError> {
    Ok(state.workspace()?.update_task(&id, patch).await?)
}
