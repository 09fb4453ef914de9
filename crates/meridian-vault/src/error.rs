use std::path::PathBuf;

/// What can go wrong when reading or writing the Markdown mirror.
///
/// `scan_dir` only returns errors about the folder itself; a bad file inside it becomes a
/// [`crate::Skipped`] entry with the message of one of the parse variants below.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("folder {0} does not exist: check the path, or create it first")]
    DirNotFound(PathBuf),
    #[error("{0} is not a folder: pass the folder that holds the Markdown files")]
    NotADirectory(PathBuf),
    #[error("cannot read folder {path}: {source}; check its permissions")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "front matter is not valid YAML: {detail}; fix the block between the leading `---` lines or remove it"
    )]
    FrontMatterYaml { detail: String },
    /// Front matter over [`crate::MAX_FRONT_MATTER_BYTES`], refused before parsing.
    #[error(
        "front matter is {size} bytes; at most {max} are read: move long text into the body below the closing `---`"
    )]
    FrontMatterTooLarge { size: usize, max: usize },
    /// Front matter whose `[` `{` nest deeper than [`crate::MAX_FRONT_MATTER_DEPTH`],
    /// refused before parsing (the YAML scanner's time grows with the square of the depth).
    #[error(
        "front matter nests `[` or `{{` more than {max} levels deep; flatten it, or quote text full of brackets"
    )]
    FrontMatterTooDeep { max: usize },
    /// A meeting or thread file (the mirror's `meetings/`, `threads/`) whose field is
    /// missing or cannot be read; `detail` says what to write instead.
    #[error("{field}: {detail}")]
    InvalidField { field: String, detail: String },
    #[error("cannot create folder {path}: {source}; check that the export folder is writable")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}; check free space and permissions")]
    WriteFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "refusing to write through the symlink {0}: replace it with a real folder or file, or export elsewhere"
    )]
    SymlinkInTheWay(PathBuf),
    #[error("refusing to write {0}: it would land outside the export folder")]
    OutsideFolder(PathBuf),
    #[error("cannot remove {path}: {source}; check its permissions")]
    RemoveFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is a folder, not a file: the mirror only removes files it wrote")]
    NotAFile(PathBuf),
    #[error("the path {0:?} is not valid UTF-8: rename it, or choose a folder whose path is")]
    PathNotUtf8(PathBuf),
    #[error(
        "the mirror state database failed: {0}; if this repeats, remove mirror.db (the mirror rebuilds it from the folder)"
    )]
    State(#[from] rusqlite::Error),
    #[error(
        "the mirror state database holds an unreadable value ({0}); remove mirror.db (the mirror rebuilds it from the folder)"
    )]
    StateCorrupt(String),
    #[error(
        "cannot watch {path}: {source}; the folder may be gone or on a file system without change events"
    )]
    Watch {
        path: PathBuf,
        source: notify::Error,
    },
}
