use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::labels::label_enum;

label_enum! {
    MeetingState {
        Scheduled = "scheduled",
        ConvertedToAsync = "converted-to-async",
        Held = "held",
        Summarised = "summarised",
        Cancelled = "cancelled",
    }
}

/// A meeting, prepared and summarised in writing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Meeting {
    pub title: String,
    #[autosurgeon(with = "crate::prose")]
    pub purpose: String,
    pub decisions_sought: Vec<String>,
    /// Start instant, UTC milliseconds.
    #[ts(type = "number")]
    pub start_ms: i64,
    pub duration_min: u32,
    /// IANA zone of the organiser.
    pub organiser_tz: String,
    /// Member id of the organiser.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub organiser: Option<String>,
    pub weekly: bool,
    /// Member ids.
    pub attendees: Vec<String>,
    pub agenda: Vec<AgendaItem>,
    #[autosurgeon(with = "crate::prose")]
    pub notes: String,
    #[autosurgeon(with = "crate::prose")]
    pub summary: String,
    /// Ids of resulting decisions and tasks.
    pub decisions: Vec<String>,
    pub tasks: Vec<String>,
    pub state: MeetingState,
    /// The thread this meeting became when its agenda was empty at the deadline.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub async_thread: Option<String>,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct AgendaItem {
    #[key]
    pub id: String,
    pub title: String,
    /// Member id.
    pub owner: Option<String>,
    pub minutes: u32,
    pub notes: String,
    /// Ids of objects or URLs to read before.
    pub pre_reads: Vec<String>,
    pub resolved_async: bool,
}
