//! The page tree as folders: a page's sub-pages live in the folder named after it.
//!
//! The convention is the one vaults use for "folder notes": the page `pages/hiring.md`
//! has its sub-pages in `pages/hiring/`; a page written as `index.md` stands for the
//! folder it is in (`pages/remote/index.md` has its sub-pages beside it, in
//! `pages/remote/`), as in the handbook and most Git-hosted docs. Both directions use it:
//! a new sub-page is written in its parent's folder ([`page_folders`]), and a file moved
//! into a folder gets the folder's page as its parent ([`parent_candidates`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use meridian_core::DocId;

use crate::slug::slugify;

/// The folder of the mirror that holds pages.
pub const PAGES: &str = "pages";

/// How deep a tree is followed before a page is put at the top (a cycle, or a tree no
/// person would make).
const MAX_DEPTH: usize = 32;

/// One page, as the tree sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreePage {
    pub id: DocId,
    pub parent: Option<DocId>,
    pub title: String,
}

/// The folder a sub-page of the page at `path` goes in: `pages/a/b.md` → `pages/a/b`,
/// `pages/a/index.md` → `pages/a`.
pub fn child_folder(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new(""));
    match path.file_stem().and_then(|s| s.to_str()) {
        Some(stem) if stem.eq_ignore_ascii_case("index") => dir.to_owned(),
        Some(stem) => dir.join(stem),
        None => dir.to_owned(),
    }
}

/// Where the page whose file is at `path` finds its parent: the page of the folder the
/// file is in, written as the folder's name (`pages/a.md` for `pages/a/b.md`) or as its
/// `index.md` (`pages/a/index.md`). An `index.md` is its folder's page, so its parent is
/// the folder above. Empty for a page at the top of `pages/`.
pub fn parent_candidates(path: &Path) -> Vec<PathBuf> {
    let mut dir = path.parent().unwrap_or(Path::new("")).to_owned();
    if path
        .file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.eq_ignore_ascii_case("index"))
    {
        dir = dir.parent().unwrap_or(Path::new("")).to_owned();
    }
    if dir == Path::new(PAGES) || !dir.starts_with(PAGES) {
        return Vec::new();
    }
    let mut named = dir.clone().into_os_string();
    named.push(".md");
    vec![PathBuf::from(named), dir.join("index.md")]
        .into_iter()
        .filter(|c| c != path)
        .collect()
}

/// The folder each page's file goes in when it has none yet: its parent's child folder
/// ([`child_folder`]) when the parent has a file (`placed`, relative to the mirror
/// folder), else the folder its parent's own file will get, named after the parent's
/// title; `pages` for a page with no parent (or a parent not in `pages`).
pub fn page_folders(
    pages: &[TreePage],
    placed: &HashMap<DocId, PathBuf>,
) -> HashMap<DocId, PathBuf> {
    let by_id: HashMap<&DocId, &TreePage> = pages.iter().map(|p| (&p.id, p)).collect();
    let mut out = HashMap::with_capacity(pages.len());
    for page in pages {
        out.insert(page.id.clone(), folder_of(page, &by_id, placed, 0));
    }
    out
}

fn folder_of(
    page: &TreePage,
    by_id: &HashMap<&DocId, &TreePage>,
    placed: &HashMap<DocId, PathBuf>,
    depth: usize,
) -> PathBuf {
    let top = PathBuf::from(PAGES);
    let Some(parent) = page.parent.as_ref().and_then(|p| by_id.get(p)) else {
        return top;
    };
    if depth >= MAX_DEPTH || parent.id == page.id {
        return top;
    }
    match placed.get(&parent.id) {
        Some(path) if path.starts_with(PAGES) => child_folder(path),
        Some(_) => top,
        None => {
            folder_of(parent, by_id, placed, depth + 1).join(slugify(&parent.title, "untitled"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> DocId {
        DocId::from_bytes([n; 16])
    }

    fn page(n: u8, parent: Option<u8>, title: &str) -> TreePage {
        TreePage {
            id: id(n),
            parent: parent.map(id),
            title: title.into(),
        }
    }

    #[test]
    fn child_folders_follow_the_folder_note_convention() {
        assert_eq!(
            child_folder(Path::new("pages/a/b.md")),
            Path::new("pages/a/b")
        );
        assert_eq!(
            child_folder(Path::new("pages/a/index.md")),
            Path::new("pages/a")
        );
        assert_eq!(
            child_folder(Path::new("pages/a/INDEX.md")),
            Path::new("pages/a")
        );
    }

    #[test]
    fn parents_are_found_by_the_folder_a_file_is_in() {
        assert!(parent_candidates(Path::new("pages/a.md")).is_empty());
        assert!(parent_candidates(Path::new("pages/index.md")).is_empty());
        assert!(parent_candidates(Path::new("decisions/0001-x.md")).is_empty());
        assert_eq!(
            parent_candidates(Path::new("pages/a/b.md")),
            vec![
                PathBuf::from("pages/a.md"),
                PathBuf::from("pages/a/index.md")
            ]
        );
        assert_eq!(
            parent_candidates(Path::new("pages/a/b/index.md")),
            vec![
                PathBuf::from("pages/a.md"),
                PathBuf::from("pages/a/index.md")
            ]
        );
        assert!(parent_candidates(Path::new("pages/a/index.md")).is_empty());
    }

    #[test]
    fn new_sub_pages_go_in_their_parents_folder() {
        let pages = [
            page(1, None, "Remote"),
            page(2, Some(1), "Async"),
            page(3, Some(2), "Writing"),
            page(4, Some(5), "Hiring plan"),
            page(5, None, "People"),
            page(6, Some(9), "Orphan"),
            page(7, Some(7), "Itself"),
        ];
        let placed = HashMap::from([
            (id(1), PathBuf::from("pages/remote/index.md")),
            (id(5), PathBuf::from("pages/people.md")),
        ]);
        let folders = page_folders(&pages, &placed);
        assert_eq!(folders[&id(1)], Path::new("pages"));
        assert_eq!(folders[&id(2)], Path::new("pages/remote"));
        assert_eq!(folders[&id(3)], Path::new("pages/remote/async"));
        assert_eq!(folders[&id(4)], Path::new("pages/people"));
        assert_eq!(folders[&id(6)], Path::new("pages"));
        assert_eq!(folders[&id(7)], Path::new("pages"));
    }

    #[test]
    fn a_cycle_ends_at_the_top() {
        let pages = [page(1, Some(2), "A"), page(2, Some(1), "B")];
        let folders = page_folders(&pages, &HashMap::new());
        assert!(folders[&id(1)].starts_with(PAGES));
        assert!(folders[&id(1)].components().count() <= MAX_DEPTH + 1);
    }
}
