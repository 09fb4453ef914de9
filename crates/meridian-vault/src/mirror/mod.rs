//! The two-way Markdown mirror (issue 17): the workspace as a folder of plain Markdown
//! files that any editor, git or script may change, with changes flowing both ways.
//!
//! This module holds the parts that need no store, no Automerge and no async runtime:
//! - [`MirrorState`]: the mirror's memory (a SQLite file the caller places): the folder,
//!   and for each object what the mirror last wrote or applied ([`Entry`]).
//! - [`scan`]: every candidate `*.md` file under the folder, hashed ([`DiskFile`]).
//! - [`plan`]: a pure function from (entries, files, objects) to [`Action`]s.
//! - [`write_file`] / [`remove_file`]: atomic, confined to the folder, never through a
//!   symlink; [`FolderWriter`] writes many files with one sync per folder.
//! - [`Watcher`]: "look again" hints from the file system ([`Change`]).
//!
//! The engine (`meridian-app`) runs the loop: on a [`Change`] (or at start, or every
//! few minutes) it scans, renders its objects, calls [`plan`], carries out the actions
//! (applying text with Automerge against the entry's heads), and records new entries.
//!
//! Events are level triggers: a watcher event only says "look"; what to do is decided
//! from content. Echo suppression is by content hash, never by time: a file whose bytes
//! hash to what the mirror last wrote or applied is unchanged, whatever its mtime.

mod files;
mod plan;
mod scan;
mod state;
pub mod tree;
mod watch;

use std::path::PathBuf;

use meridian_core::{DocId, Kind};
use sha2::{Digest, Sha256};

pub use files::{FolderWriter, file_inside, remove_file, write_file};
pub use plan::plan;
pub use scan::{MAX_FILE_BYTES, scan};
pub use state::{MirrorState, Refusal};
pub use watch::{Change, Watcher};

/// What the mirror last wrote or applied for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: DocId,
    pub kind: Kind,
    /// Relative to the mirror folder, `/`-separated.
    pub path: PathBuf,
    /// sha256 hex of the file's bytes.
    pub hash: String,
    /// That text.
    pub base: String,
    /// Opaque to the mirror: the object's Automerge heads then, from the caller.
    pub heads: String,
}

/// An object as the workspace holds it now, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub id: DocId,
    pub kind: Kind,
    pub title: String,
    /// Where a new file goes, relative: `pages`, `pages/parent-slug`, `decisions`.
    pub folder: PathBuf,
    /// Where the object says its file is (the path it was imported or mirrored as,
    /// relative to the mirror folder, e.g. `pages/remote/index.md`): a new file goes there
    /// when that is a valid name no other file takes, else in `folder`.
    pub path: Option<PathBuf>,
    /// Decisions: the `NNNN` of `decisions/NNNN-slug.md`.
    pub number: Option<u32>,
    pub text: String,
    pub heads: String,
}

/// A Markdown file found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskFile {
    /// Relative to the mirror folder, `/`-separated.
    pub path: PathBuf,
    /// sha256 hex of the bytes; empty when they were not read.
    pub hash: String,
    /// The text, or why it cannot be used (not UTF-8, over 8 MiB, a symlink, invalid
    /// front matter, merge-conflict markers…).
    pub text: Result<String, String>,
    /// The front matter's `id:` (read leniently, even when `text` is an error, so a file
    /// that cannot be used still keeps its object from being trashed).
    pub id: Option<DocId>,
}

/// What to do, one object or file at a time. See [`plan`] for when each is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The object changed (or is new to the mirror) and its file did not: write `text`
    /// at `path`, then record an entry (hash of `text`, `text`, `heads`).
    Write {
        id: DocId,
        kind: Kind,
        path: PathBuf,
        text: String,
        heads: String,
    },
    /// The file changed since the mirror last wrote or applied it: apply `text` to the
    /// object against `base` (the entry: its text and heads), then record an entry at
    /// `path` with `hash`, `text` and the new heads.
    ///
    /// Also used to adopt a file that carries the id of an object the mirror has no
    /// entry for (the state was lost, or the folder holds an earlier export): `base` is
    /// then the object as rendered now, so only what the file changes is applied.
    Apply {
        id: DocId,
        path: PathBuf,
        base: Entry,
        text: String,
        hash: String,
    },
    /// A Markdown file the mirror does not know (no `id:`, or an id no object has): make
    /// an object of it and record its entry (the next pass writes its `id:` into it).
    Create {
        path: PathBuf,
        text: String,
        hash: String,
    },
    /// A known file now at another path (same `id:`), the old path gone: change the
    /// entry's path. Comes before any `Apply`/`Write` for the same object.
    Move {
        id: DocId,
        from: PathBuf,
        to: PathBuf,
    },
    /// A known file is gone (and its id is nowhere else): trash the object, forget the
    /// entry.
    Trash { id: DocId, path: PathBuf },
    /// The object is gone from the workspace (trashed or deleted there) and its file did
    /// not change since: remove the file (if its hash is still the entry's), forget the
    /// entry.
    Remove { id: DocId, path: PathBuf },
    /// Both the object and its file are gone, or the object is gone and its edited file
    /// becomes a new object (a `Create` follows): forget the entry.
    Forget { id: DocId },
    /// A file that cannot be used (unreadable, duplicate id, …), with the reason. It is
    /// left as is; its object, if any, is neither written nor trashed.
    Refuse { path: PathBuf, reason: String },
}

/// The mass-delete guard held `gone` trashings back (of `known` entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldDeletes {
    pub gone: usize,
    pub known: usize,
}

/// The result of [`plan`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// Set when the guard held `Trash` actions back (none of them is in `actions`).
    pub held_deletes: Option<HeldDeletes>,
}

/// sha256 of `bytes`, lowercase hex.
pub fn hash(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}
