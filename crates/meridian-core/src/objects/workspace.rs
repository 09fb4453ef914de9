use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// The workspace document: its name, its charter and the index of every object in it.
#[derive(
    Debug, Clone, PartialEq, Default, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS,
)]
pub struct WorkspaceDoc {
    pub name: String,
    /// Document id of the charter.
    pub charter: Option<String>,
    /// Object id → kind, for every object created in the workspace (trashed ones included).
    pub index: BTreeMap<String, String>,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}
