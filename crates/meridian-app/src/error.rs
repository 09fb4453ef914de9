use std::path::PathBuf;

use meridian_core::{DocId, Kind};

use crate::sync::SyncError;
use serde::{Deserialize, Serialize};

/// Why a command of the engine failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Rule(#[from] meridian_core::Error),
    #[error(transparent)]
    Store(#[from] meridian_store::Error),
    #[error(transparent)]
    Vault(#[from] meridian_vault::Error),
    #[error("no object with id {0} in this workspace (`meridian list` shows what exists)")]
    NotFound(DocId),
    #[error("no member called `{name}`; members are: {known}")]
    NoSuchMember { name: String, known: String },
    #[error("{id} is a {found}, not a {expected}")]
    WrongKind {
        id: DocId,
        expected: Kind,
        found: Kind,
    },
    #[error("{id} is a {kind}: the workspace and its charter cannot be moved to the trash")]
    NotTrashable { id: DocId, kind: Kind },
    /// Catch-up: only objects people work on can be followed.
    #[error(
        "{id} is a {kind}: only pages, decisions, meetings, threads, check-ins and tasks can be followed"
    )]
    NotFollowable { id: DocId, kind: Kind },
    /// Catch-up: a point to mark seen that is not a document's heads.
    #[error(
        "{0:?} is not a version of a document (change hashes of 64 hex digits, comma-separated, as `meridian catch-up --json` prints them)"
    )]
    BadHeads(String),
    #[error(
        "no workspace in {0}: run `meridian init --name NAME --me NAME --tz ZONE` first, or pass the right --data-dir"
    )]
    NotInitialised(PathBuf),
    #[error(
        "creating the workspace in {0} was interrupted before it finished; it holds nothing of yours yet: delete that file and run `meridian init` again"
    )]
    UnfinishedCreate(PathBuf),
    #[error("{0} already holds a workspace: pick an empty --data-dir to create another")]
    AlreadyInitialised(PathBuf),
    #[error(
        "the data directory {path} cannot be used: {source}; pick another --data-dir or fix its permissions"
    )]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the workspace metadata is damaged: {0}; restore a backup")]
    Metadata(String),
    /// A database of this device is damaged (found at open); [`crate::Workspace::recover`]
    /// rebuilds it.
    #[error(
        "{} is damaged or lost ({detail}): run `meridian recover` (in the app: Recover) to rebuild it from the relay and this device's other database; it keeps this device's identity, and the damaged file is kept beside it as {}.corrupt-<time>",
        file.display(),
        file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    )]
    Damaged { file: PathBuf, detail: String },
    #[error("the engine stopped while the command ran")]
    Stopped,
    #[error("{0} has no report in the what-merged list (`meridian merged` lists them)")]
    NoMergeReport(DocId),
    #[error("the what-merged report of {id} has {entries} entries (0 to {}): there is no entry {entry}", entries.saturating_sub(1))]
    NoMergeEntry {
        id: DocId,
        entry: usize,
        entries: usize,
    },
    #[error(
        "{0} is not in the trash: only an object in the trash can be deleted for good (`meridian trash ID` first)"
    )]
    NotInTrash(DocId),
    #[error(
        "{id} is a {kind}: only pages, decisions, meetings, threads, check-ins and tasks can be deleted for good (other objects refer to members, the workspace and its charter)"
    )]
    NotPurgeable { id: DocId, kind: Kind },
    #[error(
        "this would move {count} objects to the trash at once (more than {limit}): confirm it (`--yes`, or the app's dialog) if that is what you want"
    )]
    TrashMany { count: usize, limit: usize },
    #[error(transparent)]
    Search(#[from] meridian_search::Error),
    #[error(
        "search is unavailable: its index folder cannot be used (see the log); everything else works"
    )]
    SearchUnavailable,
    /// Sync could not do what was asked.
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    /// A file of the Markdown mirror folder cannot be applied, or the mirror cannot run;
    /// the text says which and what to do.
    #[error("{0}")]
    Mirror(String),
    /// A point in an object's history that names no version of it.
    #[error(transparent)]
    History(#[from] meridian_core::history::PointError),
    /// A file of the sample workspace bundled with this build does not import: a defect of
    /// the build, never of the user's data.
    #[error(
        "the sample content bundled with this build of Meridian is broken ({file}: {reason}); please report it"
    )]
    SampleContent { file: &'static str, reason: String },
}

/// What kind of failure the UI is looking at, so it can react without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    NotFound,
    Invalid,
    Storage,
    Corrupt,
    NotInitialised,
    /// The change was made and is kept in memory, but the disk refused to save it (full,
    /// I/O error): it is saved on its own once the disk accepts writes again, so the UI
    /// must not send it again. `detail` says what to do (free some space).
    Unsaved,
    Io,
    Internal,
    Sync,
}

/// The serialisable error the UI switches on: a kind, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, thiserror::Error)]
#[error("{detail}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub detail: String,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        use meridian_store::Error as S;
        match self {
            Error::NotFound(_) | Error::NoSuchMember { .. } | Error::NoMergeReport(_) => {
                ErrorKind::NotFound
            }
            Error::Store(S::DocNotFound(_)) => ErrorKind::NotFound,
            Error::Store(S::HeadsMismatch { .. } | S::CorruptDoc { .. } | S::Corrupt { .. }) => {
                ErrorKind::Corrupt
            }
            Error::Store(S::DiskFull { .. } | S::Io { .. } | S::Commit { .. }) => {
                ErrorKind::Unsaved
            }
            Error::Store(_) => ErrorKind::Storage,
            Error::Metadata(_) | Error::Damaged { .. } => ErrorKind::Corrupt,
            Error::Rule(meridian_core::Error::Automerge(_)) => ErrorKind::Internal,
            Error::Rule(meridian_core::Error::DocumentShape { .. }) => ErrorKind::Corrupt,
            Error::Rule(_)
            | Error::WrongKind { .. }
            | Error::NotTrashable { .. }
            | Error::NoMergeEntry { .. }
            | Error::NotInTrash(_)
            | Error::NotPurgeable { .. }
            | Error::TrashMany { .. }
            | Error::NotFollowable { .. }
            | Error::BadHeads(_)
            | Error::AlreadyInitialised(_) => ErrorKind::Invalid,
            Error::Vault(_) => ErrorKind::Invalid,
            Error::NotInitialised(_) | Error::UnfinishedCreate(_) => ErrorKind::NotInitialised,
            Error::DataDir { .. } | Error::Write { .. } => ErrorKind::Io,
            Error::Stopped | Error::SampleContent { .. } => ErrorKind::Internal,
            Error::Search(meridian_search::Error::Query(_)) => ErrorKind::Invalid,
            Error::History(meridian_core::history::PointError::Unknown(_)) => ErrorKind::NotFound,
            Error::History(_) => ErrorKind::Invalid,
            Error::Search(_) | Error::SearchUnavailable => ErrorKind::Storage,
            Error::Sync(SyncError::Storage(_)) => ErrorKind::Storage,
            Error::Sync(SyncError::Invalid(_)) | Error::Mirror(_) => ErrorKind::Invalid,
            Error::Sync(_) => ErrorKind::Sync,
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let kind = e.kind();
        if kind == ErrorKind::Internal {
            tracing::error!(error = %e, "internal error");
        }
        ApiError {
            kind,
            detail: e.to_string(),
        }
    }
}
