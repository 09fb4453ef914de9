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

impl MeetingState {
    /// Whether a person may move a meeting from `self` to `next` (staying put is allowed).
    /// Becoming an async thread is the engine's doing at the agenda deadline, never a
    /// person's; a summarised meeting can be reopened (back to held) to amend it.
    pub fn can_become(self, next: MeetingState) -> bool {
        use MeetingState::*;
        self == next
            || matches!(
                (self, next),
                (Scheduled, Held)
                    | (Scheduled, Summarised)
                    | (Scheduled, Cancelled)
                    | (Held, Scheduled)
                    | (Held, Summarised)
                    | (Held, Cancelled)
                    | (Summarised, Held)
                    | (Cancelled, Scheduled)
                    | (ConvertedToAsync, Cancelled)
            )
    }

    /// States reachable in one step, for menus.
    pub fn next_steps(self) -> Vec<MeetingState> {
        MeetingState::ALL
            .iter()
            .copied()
            .filter(|s| *s != self && self.can_become(*s))
            .collect()
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

impl Meeting {
    /// The title and context a decision recorded in this meeting starts from: about agenda
    /// item `item` (its id or title) when given, else the first decision the meeting sought,
    /// else the meeting itself. `None` when `item` names no item of the agenda.
    pub fn decision_draft(&self, item: Option<&str>) -> Option<(String, String)> {
        let item = match item.map(str::trim).filter(|i| !i.is_empty()) {
            Some(wanted) => Some(
                self.agenda
                    .iter()
                    .find(|a| a.id == wanted || a.title.trim().eq_ignore_ascii_case(wanted))?,
            ),
            None => None,
        };
        let title = item
            .map(|i| i.title.trim().to_owned())
            .or_else(|| self.decisions_sought.first().map(|d| d.trim().to_owned()))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| self.title.trim().to_owned());
        let mut context = format!(
            "Decided in the meeting \u{201c}{}\u{201d}.",
            self.title.trim()
        );
        if !self.purpose.trim().is_empty() {
            context.push_str(&format!("\n\n{}", self.purpose.trim()));
        }
        if let Some(i) = item {
            if !i.notes.trim().is_empty() {
                context.push_str(&format!("\n\n{}", i.notes.trim()));
            }
            if !i.pre_reads.is_empty() {
                context.push_str("\n\nPre-reads:");
                for p in &i.pre_reads {
                    context.push_str(&format!("\n- {p}"));
                }
            }
        }
        Some((title, context))
    }
}
