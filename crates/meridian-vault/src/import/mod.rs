//! Markdown → objects: `parse_markdown` for one text, `scan_dir` for a folder.

mod decision;
pub(crate) mod frontmatter;
mod meeting;
pub(crate) mod outline;
mod page;
mod scan;
pub(crate) mod sections;
mod thread;

use std::path::{Component, Path, PathBuf};

use meridian_core::{Decision, DocId, Kind, Meeting, Page, Thread};

use crate::Error;
use outline::{Outline, norm_heading};

pub(crate) use decision::{
    DRIVERS_PREFACE, OPTIONS_PREFACE, OUTCOME_SECTION, PROS_CONS_PREFACE, SECTION,
};
pub use frontmatter::{MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_DEPTH};
pub use scan::scan_dir;

/// What one Markdown file became. Meetings and threads come only from [`parse_as`] (the
/// mirror's `meetings/` and `threads/` files); [`parse_markdown`] makes pages and decisions.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Page(Page),
    Decision(Decision),
    Meeting(Meeting),
    Thread(Thread),
}

/// One imported file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    /// Relative to the scanned folder.
    pub rel_path: PathBuf,
    /// From the front matter's `id:`, when it is a valid object id.
    pub id: Option<DocId>,
    pub object: Parsed,
}

/// A file that was not imported, and why (for people: show it as is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub rel_path: PathBuf,
    pub reason: String,
}

/// The result of reading a folder: files imported and files skipped, both sorted by path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    pub files: Vec<ParsedFile>,
    pub skipped: Vec<Skipped>,
}

/// Parses one Markdown text into a page or, when it has MADR structure (a `## Considered
/// Options` or `## Decision Outcome` heading outside code), a decision.
///
/// `file_stem` is the title of last resort; `now_ms` becomes `created_at_ms`. Fails only
/// when the leading front matter is not valid YAML.
pub fn parse_markdown(
    text: &str,
    file_stem: &str,
    now_ms: i64,
) -> Result<(Option<DocId>, Parsed), Error> {
    let (mut meta, body) = frontmatter::split(text)?;
    let id = meta
        .take_if(&["id"], |s| s.parse::<DocId>().is_ok())
        .and_then(|s| s.parse().ok());
    let outline = Outline::new(body);
    let fallback_title = match file_stem.trim() {
        "" => "Untitled",
        s => s,
    };
    let parsed = if is_madr(&outline) {
        Parsed::Decision(decision::build(meta, &outline, fallback_title, now_ms))
    } else {
        Parsed::Page(page::build(meta, &outline, fallback_title, now_ms))
    };
    Ok((id, parsed))
}

/// Parses a mirror file as an object of `kind`: a meeting or thread in the format
/// [`crate::render_meeting`] and [`crate::render_thread`] write (strictly: a missing
/// required field, a value that cannot be read or a key the kind does not have is an
/// [`Error::InvalidField`] naming it), any other kind as [`parse_markdown`] does.
pub fn parse_as(
    kind: Kind,
    text: &str,
    file_stem: &str,
    now_ms: i64,
) -> Result<(Option<DocId>, Parsed), Error> {
    if !matches!(kind, Kind::Meeting | Kind::Thread) {
        return parse_markdown(text, file_stem, now_ms);
    }
    let (mut meta, body) = frontmatter::split(text)?;
    let id = meta
        .take_if(&["id"], |s| s.parse::<DocId>().is_ok())
        .and_then(|s| s.parse().ok());
    if let Some(said) = sections::take_text(&mut meta, "kind")?
        && !said.eq_ignore_ascii_case(kind.as_str())
    {
        return Err(sections::invalid(
            "kind",
            format!(
                "this file is a {kind} and `kind: {}` cannot change that: make a new file for a new object",
                sections::shown(&said)
            ),
        ));
    }
    let parsed = match kind {
        Kind::Meeting => Parsed::Meeting(meeting::build(meta, body, now_ms)?),
        _ => Parsed::Thread(thread::build(meta, body, now_ms)?),
    };
    Ok((id, parsed))
}

/// The kind of a mirror file that is neither a page nor a decision: a file under
/// `meetings/` or `threads/` (the first folder of `rel_path`), or one whose front matter
/// says `kind: meeting` or `kind: thread`. `None` for every other file.
pub fn mirror_kind(rel_path: &Path, text: &str) -> Option<Kind> {
    let by_folder = match rel_path.components().next() {
        Some(Component::Normal(first)) if rel_path.components().count() > 1 => {
            match first.to_str() {
                Some("meetings") => Some(Kind::Meeting),
                Some("threads") => Some(Kind::Thread),
                _ => None,
            }
        }
        _ => None,
    };
    by_folder.or_else(|| {
        let (mut meta, _) = frontmatter::split(text).ok()?;
        match meta
            .take_string(&["kind"])?
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "meeting" => Some(Kind::Meeting),
            "thread" => Some(Kind::Thread),
            _ => None,
        }
    })
}

/// The `id:` of a text's front matter, when it is a valid object id; an error when the
/// front matter is not valid YAML.
pub(crate) fn front_matter_id(text: &str) -> Result<Option<DocId>, Error> {
    let (mut meta, _) = frontmatter::split(text)?;
    Ok(meta
        .take_if(&["id"], |s| s.parse::<DocId>().is_ok())
        .and_then(|s| s.parse().ok()))
}

fn is_madr(outline: &Outline<'_>) -> bool {
    outline.headings.iter().any(|h| {
        h.level == 2
            && matches!(
                norm_heading(&h.text).as_str(),
                "considered options" | "decision outcome"
            )
    })
}
