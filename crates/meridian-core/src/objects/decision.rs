use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::Properties;
use crate::labels::label_enum;

label_enum! {
    /// Lifecycle of a decision record: draft → proposed → accepted / rejected; an accepted
    /// decision may later be deprecated or superseded.
    DecisionStatus {
        Draft = "draft",
        Proposed = "proposed",
        Accepted = "accepted",
        Rejected = "rejected",
        Deprecated = "deprecated",
        Superseded = "superseded",
    }
}

label_enum! {
    /// Where a piece of feedback stands on the proposal.
    Stance { Support = "support", Concern = "concern", Object = "object" }
}

impl DecisionStatus {
    /// Whether a decision may move from `self` to `next`. Staying put is always allowed.
    pub fn can_become(self, next: DecisionStatus) -> bool {
        use DecisionStatus::*;
        self == next
            || matches!(
                (self, next),
                (Draft, Proposed)
                    | (Proposed, Draft)
                    | (Proposed, Accepted)
                    | (Proposed, Rejected)
                    | (Draft, Rejected)
                    | (Rejected, Proposed)
                    | (Accepted, Deprecated)
                    | (Accepted, Superseded)
            )
    }

    /// Statuses reachable in one step, for menus.
    pub fn next_steps(self) -> Vec<DecisionStatus> {
        DecisionStatus::ALL
            .iter()
            .copied()
            .filter(|s| *s != self && self.can_become(*s))
            .collect()
    }
}

/// A decision record; maps one-to-one onto MADR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Decision {
    pub title: String,
    pub status: DecisionStatus,
    #[autosurgeon(with = "crate::prose")]
    pub context: String,
    pub drivers: Vec<String>,
    pub options: Vec<DecisionOption>,
    /// Id of the chosen option.
    pub chosen_option: Option<String>,
    #[autosurgeon(with = "crate::prose")]
    pub rationale: String,
    #[autosurgeon(with = "crate::prose")]
    pub consequences: String,
    /// People, as written (imported records name people who are not members).
    pub deciders: Vec<String>,
    pub consulted: Vec<String>,
    pub informed: Vec<String>,
    #[ts(type = "number | null")]
    pub decide_by_ms: Option<i64>,
    pub feedback: Vec<Feedback>,
    /// Member ids who acknowledged the outcome.
    pub acknowledgements: Vec<String>,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    pub source_thread: Option<String>,
    /// The meeting this decision was recorded in.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub source_meeting: Option<String>,
    /// `YYYY-MM-DD`.
    pub review_by: Option<String>,
    pub properties: Properties,
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// The file this record was imported or mirrored as, relative to the root of the
    /// folder's decisions (in a mirror folder, relative to `decisions/`), `/`-separated.
    /// Links by file name and relative path resolve by it; not written into the file.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub path: Option<String>,
}

/// One considered option. Keyed by `id` so concurrent edits of different options merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct DecisionOption {
    #[key]
    pub id: String,
    pub title: String,
    pub description: String,
    pub pros: Vec<String>,
    pub cons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Feedback {
    /// Unique within the decision, so feedback given concurrently on two devices merges.
    #[key]
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub id: String,
    /// Member id.
    pub author: String,
    pub stance: Stance,
    pub text: String,
    #[ts(type = "number")]
    pub at_ms: i64,
}

impl Decision {
    pub fn new(title: impl Into<String>, created_at_ms: i64) -> Decision {
        Decision {
            title: title.into(),
            status: DecisionStatus::Draft,
            context: String::new(),
            drivers: Vec::new(),
            options: Vec::new(),
            chosen_option: None,
            rationale: String::new(),
            consequences: String::new(),
            deciders: Vec::new(),
            consulted: Vec::new(),
            informed: Vec::new(),
            decide_by_ms: None,
            feedback: Vec::new(),
            acknowledgements: Vec::new(),
            supersedes: None,
            superseded_by: None,
            source_thread: None,
            source_meeting: None,
            review_by: None,
            properties: Properties::new(),
            created_at_ms,
            path: None,
        }
    }

    pub fn chosen(&self) -> Option<&DecisionOption> {
        let id = self.chosen_option.as_deref()?;
        self.options.iter().find(|o| o.id == id)
    }
}
