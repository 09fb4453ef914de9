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
}

impl Page {
    /// Targets of the Markdown links in the body (`[text](target)`), in order, deduplicated.
    /// Backlinks are these, inverted across pages.
    pub fn links(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let body = self.body.as_str();
        let mut rest = body;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            if !target.is_empty() && !out.iter().any(|t| t == target) {
                out.push(target.to_owned());
            }
            rest = &after[end..];
        }
        out
    }
}
