use crate::ids::Kind;

/// What can go wrong in the domain: bad input, or a rule the change would break.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{0}` is not an object id (expected 32 hex digits, as printed by `meridian list`)")]
    InvalidId(String),
    #[error(
        "unknown kind `{0}`; kinds are workspace, member, charter, page, decision, meeting, thread, checkin, task"
    )]
    UnknownKind(String),
    #[error("unknown {what} `{value}`; use one of: {allowed}")]
    UnknownLabel {
        what: &'static str,
        value: String,
        allowed: String,
    },
    #[error("a {0} needs a non-empty title")]
    EmptyTitle(Kind),
    #[error(
        "a decision cannot be accepted without a chosen option: choose one of its options first"
    )]
    AcceptedWithoutChosenOption,
    #[error("the chosen option `{0}` is not one of this decision's options")]
    ChosenOptionUnknown(String),
    #[error("option id `{0}` is used twice in this decision")]
    DuplicateOptionId(String),
    #[error("a decision cannot go from {from} to {to}; from {from} it can become: {allowed}")]
    StatusTransition {
        from: crate::DecisionStatus,
        to: crate::DecisionStatus,
        allowed: String,
    },
    #[error("a meeting needs a duration between 1 and 1440 minutes (got {0})")]
    MeetingDuration(u32),
    #[error("unknown member `{0}`: add the member first (`meridian member list` shows who exists)")]
    UnknownMember(String),
    #[error("unknown time zone `{0}`: use an IANA name such as Europe/Berlin or America/New_York")]
    UnknownTimeZone(String),
    #[error("{field}: `{value}` is not a date; write it as YYYY-MM-DD")]
    InvalidDate { field: &'static str, value: String },
    #[error("{field}: `{value}` is not a time of day; write it as HH:MM (24-hour)")]
    InvalidTime { field: &'static str, value: String },
    #[error("{field}: {detail}")]
    InvalidRange { field: &'static str, detail: String },
    #[error("weekday {0} does not exist: use 0 (Monday) to 6 (Sunday)")]
    InvalidWeekday(u8),
    #[error("unknown message kind `{kind}`; the charter defines: {allowed}")]
    UnknownMessageKind { kind: String, allowed: String },
    #[error(
        "{0} has no working hours, so no reply-by or working time can be computed: set them with `meridian member edit {0} --hours \"mon-fri 09:00-17:00\"`"
    )]
    NoWorkingHours(String),
    #[error("{member} has no working time in the next {days} days (out of office throughout?)")]
    NoWorkingTime { member: String, days: i64 },
    #[error("an urgent message needs a stated reason: say why it cannot wait (--reason)")]
    UrgentNeedsReason,
    #[error(
        "your urgent budget is spent: {used} of {allowed} urgent messages in the last 7 days; the next frees up at {frees_at}. Send it as blocking, or ask someone on the escalation ladder"
    )]
    UrgentBudgetSpent {
        used: u32,
        allowed: u32,
        frees_at: String,
    },
    #[error("the document is a {found}, not a {expected}")]
    WrongKind { expected: Kind, found: Kind },
    #[error("the document has no recognisable kind; it was not written by Meridian")]
    MissingKind,
    #[error("the {kind} document does not have the expected shape: {detail}")]
    DocumentShape { kind: Kind, detail: String },
    #[error("`{0}` is not a text field of this object")]
    NotProse(String),
    #[error("edit of `{field}` at {pos}+{delete} is outside the text (length {len})")]
    SpliceOutOfRange {
        field: String,
        pos: usize,
        delete: usize,
        len: usize,
    },
    #[error("automerge rejected the edit: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("`{0}` is not a point of this object's history (a change hash: 64 hex digits)")]
    BadMergePoint(String),
    #[error("nothing of that side was lost in this merge: there is nothing to restore")]
    NothingToRestore,
    #[error(
        "`{0}` changed since the merge and the merged text is no longer there: restore it by hand from the what-merged list or the object's history"
    )]
    RestoreStale(String),
}
