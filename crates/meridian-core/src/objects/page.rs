use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::Properties;

/// A knowledge-base page: Markdown prose plus a little metadata.
#[derive(
    Debug, Clone, PartialEq, Default, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS,
)]
pub struct Page {
    pub title: String,
    /// Markdown; Automerge text in the document.
    #[autosurgeon(with = "crate::prose")]
    pub body: String,
    pub tags: Vec<String>,
    /// Document id of the parent page.
    pub parent: Option<String>,
    /// Member id of the owner.
    pub owner: Option<String>,
    /// `YYYY-MM-DD`.
    pub review_by: Option<String>,
    /// Front matter kept from an import, `key` → JSON text.
    pub properties: Properties,
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// The file this page was imported or mirrored as, relative to the root of the
    /// folder's pages (`features/graph-view.md`; in a mirror folder, relative to
    /// `pages/`), `/`-separated. Links by file name and relative path resolve by it. Not
    /// written into the file's front matter: the file's location is its path.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub path: Option<String>,
}

impl Page {
    /// Targets of the links in the body (`[[Title]]` and `[text](target)`), in order,
    /// deduplicated. Backlinks are these, inverted across objects.
    pub fn links(&self) -> Vec<String> {
        crate::links::links(&self.body)
            .into_iter()
            .map(|l| l.target)
            .collect()
    }
}
