//! The values the engine's commands take and return. They are serialisable and exported
//! to TypeScript (see [`crate::bindings`]) so the desktop UI and the CLI's `--json` output
//! share one shape.

use meridian_core::{DecisionStatus, DocId, Kind, Object};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Who and where this workspace is, as this device sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkspaceInfo {
    pub id: DocId,
    pub name: String,
    pub data_dir: String,
    pub me: MemberRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MemberRef {
    pub id: DocId,
    pub name: String,
    pub tz: String,
}

/// One row of a list: what the catalog knows without opening the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ObjectSummary {
    pub id: DocId,
    pub kind: Kind,
    pub title: String,
    /// Decision status, thread/meeting/task state, member role; absent for pages.
    pub status: Option<String>,
    /// RFC 3339, UTC.
    pub updated_at: String,
    pub trashed: bool,
}

/// A whole object with its id: the object's fields plus `id` and `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Shown {
    pub id: DocId,
    #[serde(flatten)]
    pub object: Object,
}

/// Input of `create_page`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewPage {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub parent: Option<DocId>,
}

/// A partial update of a page: absent fields stay as they are. A new `body` is applied as
/// a diff against the stored text, so concurrent edits elsewhere survive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct PagePatch {
    #[ts(optional)]
    pub title: Option<String>,
    #[ts(optional)]
    pub body: Option<String>,
    #[ts(optional)]
    pub tags: Option<Vec<String>>,
    /// `Some(None)` clears the parent.
    #[ts(optional)]
    pub parent: Option<Option<DocId>>,
    #[ts(optional)]
    pub review_by: Option<Option<String>>,
}

/// One option as entered by a user; the engine gives it an id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewOption {
    pub title: String,
    pub description: String,
    pub pros: Vec<String>,
    pub cons: Vec<String>,
}

/// Input of `create_decision`. A new decision starts as a draft unless `status` says
/// otherwise (and the rules allow it: accepted needs `chosen` to name one of `options`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewDecision {
    pub title: String,
    pub context: String,
    pub drivers: Vec<String>,
    pub options: Vec<NewOption>,
    /// Title of the chosen option, if already chosen.
    #[ts(optional)]
    pub chosen: Option<String>,
    pub rationale: String,
    pub consequences: String,
    pub deciders: Vec<String>,
    #[ts(optional)]
    pub status: Option<DecisionStatus>,
}

/// A partial update of a decision: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct DecisionPatch {
    #[ts(optional)]
    pub title: Option<String>,
    #[ts(optional)]
    pub context: Option<String>,
    #[ts(optional)]
    pub drivers: Option<Vec<String>>,
    /// The whole list of options; existing ones keep their `id`, new ones come with an
    /// empty `id` and get one.
    #[ts(optional)]
    pub options: Option<Vec<meridian_core::DecisionOption>>,
    /// `Some(None)` clears the choice.
    #[ts(optional)]
    pub chosen_option: Option<Option<String>>,
    #[ts(optional)]
    pub rationale: Option<String>,
    #[ts(optional)]
    pub consequences: Option<String>,
    #[ts(optional)]
    pub deciders: Option<Vec<String>>,
    #[ts(optional)]
    pub consulted: Option<Vec<String>>,
    #[ts(optional)]
    pub informed: Option<Vec<String>>,
    #[ts(optional)]
    pub review_by: Option<Option<String>>,
}

/// What `import` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportReport {
    pub pages: u32,
    pub decisions: u32,
    pub skipped: Vec<SkippedFile>,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// What `export` wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ExportReport {
    pub files: Vec<String>,
}

/// Something that happened to the workspace, announced after it is durable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    ObjectCreated { summary: ObjectSummary },
    ObjectChanged { summary: ObjectSummary },
    ObjectTrashed { summary: ObjectSummary },
}

impl Event {
    pub fn summary(&self) -> &ObjectSummary {
        match self {
            Event::ObjectCreated { summary }
            | Event::ObjectChanged { summary }
            | Event::ObjectTrashed { summary } => summary,
        }
    }
}
