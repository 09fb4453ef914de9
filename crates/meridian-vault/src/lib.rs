//! Meridian's Markdown mirror (ARCHITECTURE: The Markdown mirror): turns a folder of Markdown files into objects
//! (`meridian import DIR`: any file a page, MADR decision records decisions) and objects
//! back into files (`meridian export DIR`: `pages/<slug>.md`, `decisions/NNNN-<slug>.md`
//! with `id:` and metadata in YAML front matter), written atomically and never through a
//! symlink or outside the folder. The [`mirror`] module keeps such a folder in step with
//! the workspace both ways (scan, a pure plan, atomic writes, a file watcher, and the
//! mirror's own SQLite state).
//!
//! It depends on `meridian-core` only, for the object types. It must not depend on the
//! store, search, sync or app crates and does no Automerge work: `meridian-app` calls it
//! with plain objects and applies what it returns.
//!
//! Choices worth knowing:
//! - Only a `---` block at the very start is front matter. If it is not valid YAML the
//!   file is skipped with the reason (nothing guessed, the file left as is); a block that
//!   is valid YAML but not a mapping is Markdown (a thematic break and a setext heading).
//! - Titles: front matter `title:`, else the first ATX `# ` heading as written (inline
//!   Markdown kept), else the file stem; always one line (whitespace runs become a space).
//! - A file is a decision when a `## Considered Options` or `## Decision Outcome` heading
//!   (any case, outside code) appears; see the `import::decision` module for the mapping.
//!   `Neutral, because x` arguments become pros written `Neutral: x`.
//! - Empty files import as empty pages titled after the file.
//! - Meetings and threads are mirror files only (`meetings/YYYY-MM-DD-slug.md`,
//!   `threads/slug.md`, [`render_meeting`], [`render_thread`], read back by [`parse_as`]):
//!   their fields are fixed, so their parse is strict (a value it cannot read is an error
//!   naming the field), and `<!-- item: ID -->` / `<!-- reply: ID; … -->` markers tie a
//!   `###` section to its agenda item or reply. `meridian import` keeps making pages and
//!   decisions of every file.

mod confined;
mod error;
mod export;
mod import;
pub mod mirror;
mod slug;

pub use error::Error;
pub use export::{
    ExportItem, ExportObject, export_markdown, meeting_date, render_decision, render_meeting,
    render_page, render_thread,
};
pub use import::{
    MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_DEPTH, Parsed, ParsedFile, Scan, Skipped, mirror_kind,
    parse_as, parse_markdown, scan_dir,
};
pub use slug::slugify;
