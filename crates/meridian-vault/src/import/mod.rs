//! Markdown → objects: `parse_markdown` for one text, `scan_dir` for a folder.

mod decision;
pub(crate) mod frontmatter;
pub(crate) mod outline;
mod page;
mod scan;

use std::path::PathBuf;

use meridian_core::{Decision, DocId, Page};

use crate::Error;
use outline::{Outline, norm_heading};

pub(crate) use decision::{
    DRIVERS_PREFACE, OPTIONS_PREFACE, OUTCOME_SECTION, PROS_CONS_PREFACE, SECTION,
};
pub use scan::scan_dir;

/// What one Markdown file became.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Page(Page),
    Decision(Decision),
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
