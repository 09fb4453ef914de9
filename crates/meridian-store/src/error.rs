//! The store's one error type. Messages say what the user (or the caller) should do next.

use std::path::PathBuf;

use automerge::ChangeHash;
use meridian_core::DocId;
use rusqlite::ErrorCode;

/// Everything that can go wrong while storing or loading documents.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot open the workspace database at {}: {source}; choose another --data-dir \
         (or MERIDIAN_DATA_DIR) or fix the folder's permissions",
        path.display()
    )]
    Open {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error(
        "cannot open the workspace database at {}: the disk holding it is full; free some \
         space there, then try again (nothing was changed)",
        path.display()
    )]
    OpenDiskFull { path: PathBuf },

    #[error(
        "the workspace database at {} is damaged ({detail}); restore it from a backup, or move \
         the file aside and re-sync this workspace from another device or the relay",
        path.display()
    )]
    Corrupt { path: PathBuf, detail: String },

    #[error(
        "the workspace database at {} was written by a newer Meridian (schema {found}, this build \
         knows up to {supported}); update Meridian before opening it",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error(
        "upgrading the workspace database at {} to schema {version} failed: {source}; the file \
         was left unchanged, please report this bug",
        path.display()
    )]
    Migrate {
        path: PathBuf,
        version: i64,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "the disk holding {} is full, so the latest edits were not saved; free some space: the \
         unsaved edits stay in memory and are saved with the next write",
        path.display()
    )]
    DiskFull { path: PathBuf },

    #[error(
        "writing to {} failed with an I/O error ({detail}); check the disk, then keep working: \
         the unsaved edits stay in memory and are retried with the next write",
        path.display()
    )]
    Io { path: PathBuf, detail: String },

    #[error(
        "committing edits to {} failed ({detail}); the unsaved edits stay in memory and are \
         retried with the next write; if this persists, restart Meridian",
        path.display()
    )]
    Commit { path: PathBuf, detail: String },

    #[error("reading {what} from {} failed: {source}; retry, or restart Meridian if it persists", path.display())]
    Read {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    #[error("there is no document {0} in this workspace; `meridian list` shows the ids it has")]
    DocNotFound(DocId),

    #[error(
        "document {id} did not load completely (stored heads {}, loaded heads {}); restore \
         the workspace from a backup or re-sync this document from another device",
        short_heads(stored),
        short_heads(loaded)
    )]
    HeadsMismatch {
        id: DocId,
        stored: Vec<ChangeHash>,
        loaded: Vec<ChangeHash>,
    },

    #[error(
        "the stored bytes of document {id} are damaged ({source}); restore the workspace from a \
         backup or re-sync this document from another device"
    )]
    CorruptDoc {
        id: DocId,
        #[source]
        source: Box<automerge::AutomergeError>,
    },

    #[error(
        "the snapshot given to compact document {id} was refused ({detail}); nothing was \
         changed: compact again from a freshly saved document"
    )]
    BadSnapshot { id: DocId, detail: String },

    #[error(
        "the store's writer thread for {} has stopped, so edits cannot be saved; restart Meridian",
        path.display()
    )]
    WriterStopped { path: PathBuf },

    #[error(
        "a read from {} was cancelled because Meridian is shutting down; retry after it restarts",
        path.display()
    )]
    ReadCancelled { path: PathBuf },

    #[error(
        "backing up to {} failed: {source}; choose a path that does not exist yet, on a disk \
         with enough free space",
        to.display()
    )]
    Backup {
        to: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn short_heads(heads: &[ChangeHash]) -> String {
    let parts: Vec<String> = heads
        .iter()
        .map(|h| h.to_string().chars().take(12).collect())
        .collect();
    format!("[{}]", parts.join(", "))
}

/// True when the disk holding `path` has no room left: SQLite said so, or (SQLite reports a
/// full disk while it maps its shared-memory file as a plain I/O error) a small probe file
/// next to it cannot be written.
pub(crate) fn is_disk_full(path: &std::path::Path, e: &rusqlite::Error) -> bool {
    match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => true,
        Some(ErrorCode::SystemIoFailure) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| std::path::Path::new("."));
            let probe = dir.join(format!(".meridian-space-probe-{}", std::process::id()));
            let full = std::fs::write(&probe, [0u8; 64 * 1024])
                .is_err_and(|e| e.kind() == std::io::ErrorKind::StorageFull);
            let _ = std::fs::remove_file(&probe);
            full
        }
        _ => false,
    }
}

/// True when SQLite says the file is not (or no longer) a well-formed database.
pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

impl Error {
    /// Maps a failed read to the right variant: corruption is reported as such.
    pub(crate) fn read(path: &std::path::Path, what: &'static str, e: rusqlite::Error) -> Error {
        if is_corruption(&e) {
            Error::Corrupt {
                path: path.to_owned(),
                detail: e.to_string(),
            }
        } else {
            Error::Read {
                path: path.to_owned(),
                what,
                source: e,
            }
        }
    }

    /// The error each acknowledgement of a failed write batch receives. Built once per
    /// acknowledgement because `rusqlite::Error` cannot be cloned.
    pub(crate) fn batch(path: &std::path::Path, e: &rusqlite::Error) -> Error {
        let path = path.to_owned();
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Error::DiskFull { path },
            Some(ErrorCode::SystemIoFailure) => Error::Io {
                path,
                detail: e.to_string(),
            },
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Error::Corrupt {
                path,
                detail: e.to_string(),
            },
            _ => Error::Commit {
                path,
                detail: e.to_string(),
            },
        }
    }
}
