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

/// A page in the tree: what the page list shows without opening each page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PageNode {
    pub id: DocId,
    pub title: String,
    /// Absent for top-level pages (and when the parent is in the trash).
    pub parent: Option<DocId>,
    pub tags: Vec<String>,
    /// Member id.
    pub owner: Option<String>,
    /// `YYYY-MM-DD`.
    pub review_by: Option<String>,
    /// The review date has passed (judged in my zone).
    pub stale: bool,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

/// A thread's message kind (from the charter), for the message board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ThreadKind {
    pub id: DocId,
    pub kind: String,
}

/// An object's links both ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Links {
    /// What its prose links to, in order.
    pub outgoing: Vec<LinkView>,
    /// Objects whose prose links to it, most recently updated first.
    pub backlinks: Vec<ObjectSummary>,
}

/// One link as written, and the object it names when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LinkView {
    pub target: String,
    pub object: Option<ObjectSummary>,
}

/// A link that names no object here: a file an import did not bring, a misspelt title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UnresolvedLink {
    /// The object whose prose holds the link.
    pub from: ObjectSummary,
    /// What the link names as written, without its `#heading` or shown text.
    pub target: String,
    /// Written `[[target]]` (else `[text](target)`).
    pub wiki: bool,
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
    /// `null` clears the parent.
    #[ts(optional)]
    #[serde(deserialize_with = "present")]
    pub parent: Option<Option<DocId>>,
    /// `YYYY-MM-DD`; `null` clears it.
    #[ts(optional)]
    #[serde(deserialize_with = "present")]
    pub review_by: Option<Option<String>>,
    /// Member name or id; `null` clears it.
    #[ts(optional)]
    #[serde(deserialize_with = "present")]
    pub owner: Option<Option<String>>,
}

/// For `Option<Option<T>>` patch fields: an absent field stays `None` (unchanged, through
/// `#[serde(default)]`), a present `null` becomes `Some(None)` (cleared).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
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
    /// `null` clears the choice.
    #[ts(optional)]
    #[serde(deserialize_with = "present")]
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
    #[serde(deserialize_with = "present")]
    pub review_by: Option<Option<String>>,
    /// Decide-by instant, UTC milliseconds; `null` clears it.
    #[ts(optional, type = "number | null")]
    #[serde(deserialize_with = "present")]
    pub decide_by_ms: Option<Option<i64>>,
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

/// Something that happened to the workspace, announced after it is durable. Trashed and
/// restored are announced whether this device or another one (through sync) did it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    ObjectCreated {
        summary: ObjectSummary,
    },
    ObjectChanged {
        summary: ObjectSummary,
    },
    ObjectTrashed {
        summary: ObjectSummary,
    },
    ObjectRestored {
        summary: ObjectSummary,
    },
    /// Deleted for good (purged from the trash) here or on another device: it is gone.
    ObjectPurged {
        summary: ObjectSummary,
    },
}

impl Event {
    pub fn summary(&self) -> &ObjectSummary {
        match self {
            Event::ObjectCreated { summary }
            | Event::ObjectChanged { summary }
            | Event::ObjectTrashed { summary }
            | Event::ObjectRestored { summary }
            | Event::ObjectPurged { summary } => summary,
        }
    }
}

/// Whether every change made on this device is saved on its disk. `unsaved` changes wait in
/// memory after a write failed (`error` says why, e.g. the disk is full); they are saved on
/// their own once the disk accepts writes again, and the status returns to `unsaved: 0`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StorageStatus {
    pub unsaved: u32,
    pub error: Option<String>,
}

impl From<&meridian_store::StoreHealth> for StorageStatus {
    fn from(h: &meridian_store::StoreHealth) -> Self {
        StorageStatus {
            unsaved: u32::try_from(h.unsaved).unwrap_or(u32::MAX),
            error: h.error.clone(),
        }
    }
}

/// A partial update of a member: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct MemberPatch {
    #[ts(optional)]
    pub name: Option<String>,
    #[ts(optional)]
    pub tz: Option<String>,
    #[ts(optional)]
    pub role: Option<meridian_core::Role>,
    /// Working hours in the grammar `mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00`.
    #[ts(optional)]
    pub hours: Option<String>,
    /// `Some(None)` ends the travel override.
    #[ts(optional)]
    pub travel: Option<Option<meridian_core::Travel>>,
}

/// A focus block to add: weekly on `days` (e.g. `mon-fri`), or once on `date`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewFocus {
    #[ts(optional)]
    pub days: Option<String>,
    #[ts(optional)]
    pub date: Option<String>,
    pub start: String,
    pub end: String,
}

/// A member with their working hours in the grammar, for forms and `member list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MemberView {
    pub id: DocId,
    #[serde(flatten)]
    pub member: meridian_core::Member,
    pub hours: String,
}

/// A thread to post. `to` holds member ids or names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewThread {
    pub kind: String,
    pub to: Vec<String>,
    pub title: String,
    pub body: String,
    /// `now` unless given.
    #[ts(optional)]
    pub delivery: Option<meridian_core::Delivery>,
    #[ts(optional)]
    pub reason: Option<String>,
}

/// What posting (or previewing) a thread gives: each recipient's reply-by, and for urgent
/// ones, who is notified and how much of the sender's budget is left.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Posting {
    pub id: Option<DocId>,
    pub reply_by: Vec<meridian_core::norms::ReplyBy>,
    pub urgent: bool,
    pub escalation: Option<meridian_core::norms::Escalation>,
    pub budget: Option<meridian_core::norms::UrgentBudget>,
}

/// A meeting to schedule. `attendees` holds member ids or names; the organiser (me) is
/// always one of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewMeeting {
    pub title: String,
    pub purpose: String,
    /// RFC 3339.
    pub start: String,
    pub duration_min: u32,
    pub attendees: Vec<String>,
    pub items: Vec<String>,
    pub decisions_sought: Vec<String>,
}

/// A meeting's deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MeetingTimes {
    pub id: DocId,
    pub title: String,
    pub state: meridian_core::MeetingState,
    pub start: String,
    /// The agenda deadline (RFC 3339 UTC) and how it reads on each attendee's clock.
    pub agenda_due: Option<String>,
    pub agenda_due_local: Vec<LocalTime>,
    pub summary_due: Option<String>,
    /// Why a deadline could not be computed (e.g. an attendee has no working hours).
    pub problem: Option<String>,
    pub async_thread: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LocalTime {
    pub member: String,
    pub name: String,
    pub local: String,
}

/// Slot suggestions for a meeting. `with` holds member ids or names; I am included.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SlotQuery {
    pub with: Vec<String>,
    pub duration_min: u32,
    /// RFC 3339; now when absent.
    #[ts(optional)]
    pub from: Option<String>,
    pub within_days: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct InboxView {
    pub me: MemberRef,
    pub at: String,
    pub items: Vec<meridian_core::views::InboxItem>,
    pub waiting: Vec<meridian_core::views::Waiting>,
    /// Meetings turned into async threads while computing this view.
    pub converted: Vec<DocId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TeamView {
    pub at: String,
    pub rows: Vec<meridian_core::views::ClockRow>,
}

/// Notifications to show now, and those held for later.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct NotificationBatch {
    pub at: String,
    pub direct: Vec<meridian_core::views::Notification>,
    pub digests: Vec<meridian_core::views::Digest>,
}

/// A patch field that can be left alone (absent: `None`) or cleared (`null`: `Some(None)`).
/// Plain serde reads `null` as `None`, which would make clearing impossible from the UI.
fn clearable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An agenda item to add. `owner` is a member name or id; each pre-read is an object id or
/// an `http(s)://` link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewAgendaItem {
    pub title: String,
    #[ts(optional)]
    pub owner: Option<String>,
    /// Minutes on the agenda; 10 when 0.
    pub minutes: u32,
    pub pre_reads: Vec<String>,
    pub notes: String,
}

/// A partial update of an agenda item: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct AgendaItemPatch {
    #[ts(optional)]
    pub title: Option<String>,
    /// A member name or id; `null` (`Some(None)`) clears the owner.
    #[ts(optional)]
    #[serde(deserialize_with = "clearable")]
    pub owner: Option<Option<String>>,
    #[ts(optional)]
    pub minutes: Option<u32>,
    #[ts(optional)]
    pub notes: Option<String>,
    /// The whole list of pre-reads.
    #[ts(optional)]
    pub pre_reads: Option<Vec<String>>,
    /// Settled in writing before the meeting: no time needed for it.
    #[ts(optional)]
    pub resolved_async: Option<bool>,
}

/// The prose fields of a meeting the editor writes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MeetingText {
    Notes,
    Summary,
}

impl MeetingText {
    pub fn field(self) -> &'static str {
        match self {
            MeetingText::Notes => "notes",
            MeetingText::Summary => "summary",
        }
    }
}

/// A task to create. `owner` is a member name or id; `due` is `YYYY-MM-DD` on the owner's
/// calendar. A task from a meeting is listed in the meeting's `tasks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewTask {
    pub title: String,
    #[ts(optional)]
    pub owner: Option<String>,
    #[ts(optional)]
    pub due: Option<String>,
    #[ts(optional)]
    pub source: Option<meridian_core::TaskSource>,
}

/// A partial update of a task: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct TaskPatch {
    #[ts(optional)]
    pub title: Option<String>,
    /// A member name or id; `null` (`Some(None)`) unassigns the task.
    #[ts(optional)]
    #[serde(deserialize_with = "clearable")]
    pub owner: Option<Option<String>>,
    /// `YYYY-MM-DD`; `null` (`Some(None)`) clears the date.
    #[ts(optional)]
    #[serde(deserialize_with = "clearable")]
    pub due: Option<Option<String>>,
    #[ts(optional)]
    pub state: Option<meridian_core::TaskState>,
}

/// The task list, grouped by due date on each owner's calendar.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TaskList {
    pub me: MemberRef,
    pub at: String,
    pub rows: Vec<meridian_core::views::tasks::TaskRow>,
}

/// A check-in to create. `participants` holds member names or ids (me when empty);
/// `weekdays` are 0 = Monday … 6 = Sunday; `prompt_time` is `HH:MM` on each
/// participant's clock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewCheckin {
    pub title: String,
    pub questions: Vec<String>,
    pub weekdays: Vec<u8>,
    pub prompt_time: String,
    pub participants: Vec<String>,
}

/// Every check-in as I see it today.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CheckinsView {
    pub me: MemberRef,
    pub at: String,
    /// My local date.
    pub today: String,
    pub cards: Vec<meridian_core::views::checkins::CheckinCard>,
}

/// What a meeting resolved: a decision (recorded with the meeting as its source, about
/// one agenda item if given) and tasks; with `summary`, the summary is set first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct MeetingOutcome {
    #[ts(optional)]
    pub summary: Option<String>,
    #[ts(optional)]
    pub decision: Option<NewDecision>,
    /// The agenda item the decision is about (its id or title).
    #[ts(optional)]
    pub agenda_item: Option<String>,
    pub tasks: Vec<NewTask>,
}

/// What recording a meeting's outcome created.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Summarised {
    pub meeting: meridian_core::Meeting,
    pub decision: Option<DocId>,
    pub tasks: Vec<DocId>,
}
