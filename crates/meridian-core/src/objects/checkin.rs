use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// A recurring asynchronous check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Checkin {
    pub title: String,
    pub questions: Vec<String>,
    /// 0 = Monday … 6 = Sunday.
    pub weekdays: Vec<u8>,
    /// Local `HH:MM` in each participant's zone.
    pub prompt_time: String,
    /// Member ids.
    pub participants: Vec<String>,
    pub entries: Vec<CheckinEntry>,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

/// One member's answers for one local date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct CheckinEntry {
    pub member: String,
    /// `YYYY-MM-DD` in the member's zone.
    pub date: String,
    pub answers: Vec<String>,
    #[ts(type = "number")]
    pub at_ms: i64,
}
