use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::labels::label_enum;

label_enum! {
    /// When a thread reaches its recipients.
    Delivery { Now = "now", Morning = "morning" }
}

label_enum! {
    ThreadState { Open = "open", Answered = "answered", Resolved = "resolved" }
}

/// A written conversation with a kind from the charter and a reply expectation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Thread {
    pub title: String,
    /// A message kind name from the charter (not `kind`, which names the object kind).
    pub message_kind: String,
    #[autosurgeon(with = "crate::prose")]
    pub body: String,
    /// Member id.
    pub author: String,
    /// Member ids.
    pub recipients: Vec<String>,
    pub delivery: Delivery,
    pub urgent_reason: Option<String>,
    pub messages: Vec<Message>,
    /// Member ids.
    pub acknowledgements: Vec<String>,
    pub state: ThreadState,
    pub linked_decision: Option<String>,
    /// The meeting this thread replaced when its agenda was not ready.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub source_meeting: Option<String>,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Message {
    #[key]
    pub id: String,
    pub author: String,
    pub body: String,
    #[ts(type = "number")]
    pub at_ms: i64,
}
