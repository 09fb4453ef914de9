use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::labels::label_enum;

label_enum! {
    TaskState { Open = "open", Doing = "doing", Done = "done", Dropped = "dropped" }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Task {
    pub title: String,
    /// Member id.
    pub owner: Option<String>,
    /// `YYYY-MM-DD` in the owner's zone.
    pub due: Option<String>,
    pub state: TaskState,
    pub source: Option<TaskSource>,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

/// Where a task came from: a meeting, a decision or a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct TaskSource {
    pub kind: String,
    pub id: String,
}
