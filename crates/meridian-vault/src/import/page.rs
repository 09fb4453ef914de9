//! Any Markdown file that is not a decision record.

use meridian_core::{DocId, Page, parse_date};

use super::frontmatter::Meta;
use super::outline::Outline;

pub(super) fn build(
    mut meta: Meta,
    outline: &Outline<'_>,
    fallback_title: &str,
    now_ms: i64,
) -> Page {
    let title = meta
        .take_if(&["title"], |s| !s.is_empty())
        .or_else(|| outline.title_heading().map(|h| h.text.clone()))
        .unwrap_or_else(|| fallback_title.to_owned());
    let tags = meta.take_list(&["tags"]).unwrap_or_default();
    let parent = meta.take_if(&["parent"], is_id);
    let owner = meta.take_if(&["owner"], is_id);
    let review_by = meta.take_if(&["review_by"], |s| parse_date("review_by", s).is_ok());
    Page {
        title: one_line(&title),
        body: outline.src.to_owned(),
        tags,
        parent,
        owner,
        review_by,
        // A `path:` key of the front matter is the author's own metadata and stays a
        // property: the page's path is where its file is (set by the folder scan).
        properties: meta.into_properties(),
        created_at_ms: now_ms,
        path: None,
    }
}

pub(super) fn is_id(s: &str) -> bool {
    s.parse::<DocId>().is_ok()
}

/// Titles are one line: runs of whitespace (newlines included) become one space.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
