//! Pages' cached text, so opening a page shows its text at once (issue 18, part 3): loading
//! a long page's Automerge document takes time in proportion to its history, reading a
//! file does not. Each page's text is kept in `<data dir>/previews/<id>`, its first line
//! the document heads it was read at ([`meridian_store::heads_key`]). It is written by the
//! search indexer, which reads the page anyway once typing pauses, and it is shown only
//! while the store holds the page at exactly those heads: a stale text is never shown, a
//! missing or damaged one only costs the wait. A cache: deleting the folder loses nothing.

use std::io::Write;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::*;

/// The folder of the cached texts, inside the data directory.
pub const PREVIEWS_DIR: &str = "previews";

/// A page's text as of the heads the store holds, from the cache: what the editor shows,
/// read-only, until the live document is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PagePreview {
    pub id: DocId,
    pub title: String,
    /// The text, or its beginning when `truncated`.
    pub body: String,
    /// Whether `body` is only the beginning of the text (see `max_chars`).
    pub truncated: bool,
}

fn file(dir: &Path, id: &DocId) -> PathBuf {
    dir.join(PREVIEWS_DIR).join(id.as_str())
}

/// Writes `body` as `id`'s text at `heads` (a temporary file renamed over the old one, so
/// a reader never sees half a text).
pub(super) fn write(dir: &Path, id: &DocId, heads: &str, body: &str) -> std::io::Result<()> {
    let folder = dir.join(PREVIEWS_DIR);
    std::fs::create_dir_all(&folder)?;
    let tmp = folder.join(format!("{}.tmp", id.as_str()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(heads.as_bytes())?;
        f.write_all(b"\n")?;
        f.write_all(body.as_bytes())?;
    }
    std::fs::rename(&tmp, file(dir, id))
}

/// Forgets `id`'s text (trashed or deleted).
pub(super) fn remove(dir: &Path, id: &DocId) {
    match std::fs::remove_file(file(dir, id)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            tracing::debug!(error = %e, %id, "cannot remove a cached page text");
        }
        _ => {}
    }
}

/// The text stored for `id` if it was read at `heads`.
fn read(dir: &Path, id: &DocId, heads: &str) -> Option<String> {
    let text = std::fs::read_to_string(file(dir, id)).ok()?;
    let (stored, body) = text.split_once('\n')?;
    (stored == heads).then(|| body.to_owned())
}

impl Workspace {
    /// The page's text from the cache, if the cache holds it at the heads the store holds
    /// (never an older text); `None` otherwise (not a page, trashed, not cached yet, or
    /// changed since): then the caller waits for [`Workspace::show_object`]. With
    /// `max_chars`, only the text's beginning (what fits on a screen) is returned.
    /// Does not load the document.
    pub async fn page_preview(
        &self,
        id: &DocId,
        max_chars: Option<usize>,
    ) -> Result<Option<PagePreview>, Error> {
        let dir = self.data_dir();
        let id = id.clone();
        self.inner
            .store
            .read(move |s| -> Result<_, Error> {
                let Some(entry) = s.entry_blocking(&id)? else {
                    return Err(Error::NotFound(id));
                };
                if entry.kind != Kind::Page || entry.trashed {
                    return Ok(None);
                }
                let Some(heads) = s.heads_of_blocking(&id)? else {
                    return Ok(None);
                };
                let Some(mut body) = read(&dir, &id, &heads) else {
                    return Ok(None);
                };
                let mut truncated = false;
                if let Some(max) = max_chars
                    && let Some((cut, _)) = body.char_indices().nth(max)
                {
                    body.truncate(cut);
                    truncated = true;
                }
                Ok(Some(PagePreview {
                    id,
                    title: entry.title,
                    body,
                    truncated,
                }))
            })
            .await
    }
}
