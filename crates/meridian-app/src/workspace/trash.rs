//! The trash: moving an object there and back, who put it there and when, the guard
//! that asks before one action trashes many objects, and deletion for good (a purge,
//! ADR 0010).
//!
//! Being in the trash is a flag in the object's own Automerge document (see
//! [`meridian_core::trashed`]), set by an ordinary change through the one write path, so
//! it is persisted, sealed for other devices and merged like any edit, and the object's
//! history is kept: nothing is deleted. The catalog's `trashed` column follows the
//! document at every write (`persist_as`), which is what lists and the search indexer read.

use automerge::ReadDoc;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::*;

/// Past this many objects, one action that moves them to the trash asks first (the
/// Markdown mirror's own guard is max(5, 10%) of a pass).
pub const TRASH_GUARD: usize = 5;

/// An object in the trash, with who put it there and when (from the change of its
/// document that set the trash flag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TrashedObject {
    #[serde(flatten)]
    pub summary: ObjectSummary,
    /// Member id of who trashed it, when the change says (changes of older versions carry
    /// no author; this device's own are known anyway).
    pub trashed_by: Option<String>,
    /// That member's name.
    pub trashed_by_name: Option<String>,
    /// RFC 3339 UTC, by the clock of the device that trashed it.
    pub trashed_at: Option<String>,
}

/// Who set the document's trash flag and when: the author (member id) recorded for the
/// change's actor, whether that actor is `me`, and the change's time in ms.
fn who_trashed(
    doc: &mut AutoCommit,
    me: &automerge::ActorId,
) -> Option<(Option<String>, bool, i64)> {
    let values = doc.get_all(automerge::ROOT, "trashed").ok()?;
    let (_, op) = values.into_iter().find(|(v, _)| {
        matches!(v, automerge::Value::Scalar(s)
            if matches!(s.as_ref(), automerge::ScalarValue::Boolean(true)))
    })?;
    let automerge::ObjId::Id(counter, actor, _) = op else {
        return None;
    };
    let metas = doc.get_changes_meta(&[]);
    let mut author = None;
    let mut at = None;
    for m in metas.iter().filter(|m| m.actor.as_ref() == &actor) {
        if author.is_none()
            && let Some(a) = &m.author
        {
            author = std::str::from_utf8(a.as_bytes()).ok().map(str::to_owned);
        }
        if (m.start_op..=m.max_op).contains(&counter) {
            at = Some(m.timestamp.saturating_mul(1000));
        }
    }
    Some((author, &actor == me, at?))
}

impl Workspace {
    /// Moves an object to the trash (it stays stored, with its history, and can come back).
    pub async fn trash_object(&self, id: &DocId) -> Result<ObjectSummary, Error> {
        self.set_trash(id, true).await
    }

    /// Brings an object back from the trash. Restoring an object that is not in the trash
    /// changes nothing.
    pub async fn restore_object(&self, id: &DocId) -> Result<ObjectSummary, Error> {
        self.set_trash(id, false).await
    }

    /// Moves several objects to the trash in one action (a multi-select, or a page with
    /// its sub-pages when `with_subpages`). Past [`TRASH_GUARD`] objects it refuses with
    /// [`Error::TrashMany`] unless `confirmed`, so the UI and the CLI ask first.
    pub async fn trash_objects(
        &self,
        ids: &[DocId],
        with_subpages: bool,
        confirmed: bool,
    ) -> Result<Vec<ObjectSummary>, Error> {
        let mut all: Vec<DocId> = Vec::new();
        for id in ids {
            if !all.contains(id) {
                all.push(id.clone());
            }
        }
        if with_subpages {
            let tree = self.page_tree().await?;
            let mut i = 0;
            while i < all.len() {
                let parent = all[i].clone();
                for node in tree.iter().filter(|n| n.parent.as_ref() == Some(&parent)) {
                    if !all.contains(&node.id) {
                        all.push(node.id.clone());
                    }
                }
                i += 1;
            }
        }
        if all.len() > TRASH_GUARD && !confirmed {
            return Err(Error::TrashMany {
                count: all.len(),
                limit: TRASH_GUARD,
            });
        }
        let mut out = Vec::with_capacity(all.len());
        for id in &all {
            out.push(self.trash_object(id).await?);
        }
        Ok(out)
    }

    /// How many objects [`Workspace::trash_objects`] would move (to ask before it does).
    pub async fn trash_count(&self, ids: &[DocId], with_subpages: bool) -> Result<usize, Error> {
        let mut all: BTreeSet<DocId> = ids.iter().cloned().collect();
        if with_subpages {
            let tree = self.page_tree().await?;
            let mut grew = true;
            while grew {
                grew = false;
                for node in &tree {
                    if node.parent.as_ref().is_some_and(|p| all.contains(p))
                        && all.insert(node.id.clone())
                    {
                        grew = true;
                    }
                }
            }
        }
        Ok(all.len())
    }

    /// The trash: every trashed object, most recently changed first, with who trashed it
    /// and when. Documents are read from the store, not cached.
    pub async fn trash_list(&self) -> Result<Vec<TrashedObject>, Error> {
        let entries: Vec<CatalogEntry> = self
            .inner
            .store
            .read(|s| s.list_blocking(None, true))
            .await?
            .into_iter()
            .filter(|e| e.trashed)
            .collect();
        let names: HashMap<String, String> = self
            .inner
            .store
            .read(|s| s.list_blocking(Some(Kind::Member), true))
            .await?
            .into_iter()
            .map(|e| (e.id.to_string(), e.title))
            .collect();
        let me = self.workspace_info().me.id.to_string();
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let cached = lock(&self.inner.docs).get(&entry.id).cloned();
            let actor = self.inner.actor.clone();
            let found = match cached {
                Some(handle) => who_trashed(&mut handle.lock().await.doc, &actor),
                None => {
                    let store = self.inner.store.clone();
                    let id = entry.id.clone();
                    tokio::task::spawn_blocking(move || {
                        store
                            .load_blocking(&id, TextEncoding::Utf16CodeUnit)
                            .ok()
                            .and_then(|mut doc| who_trashed(&mut doc, &actor))
                    })
                    .await
                    .map_err(|_| Error::Stopped)?
                }
            };
            let (by, at) = match found {
                Some((author, mine, at_ms)) => {
                    let by = author.or_else(|| mine.then(|| me.clone()));
                    (by, Some(rfc3339(at_ms)))
                }
                None => (None, None),
            };
            out.push(TrashedObject {
                trashed_by_name: by.as_ref().and_then(|b| names.get(b).cloned()),
                trashed_by: by,
                trashed_at: at,
                summary: summary(entry),
            });
        }
        Ok(out)
    }

    /// Deletes an object in the trash for good, on every device: a purge marker goes into
    /// the workspace document (synced like any change), then this device deletes the
    /// object's data, and every device that learns the marker does the same and ignores
    /// any later change to it (ADR 0010). The relay keeps only sealed envelopes it cannot
    /// read, which no device applies any more.
    pub async fn purge_object(&self, id: &DocId) -> Result<(), Error> {
        let entry = self
            .catalog_entry(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        if matches!(entry.kind, Kind::Workspace | Kind::Charter | Kind::Member) {
            return Err(Error::NotPurgeable {
                id: id.clone(),
                kind: entry.kind,
            });
        }
        if !entry.trashed {
            return Err(Error::NotInTrash(id.clone()));
        }
        let me = self.workspace_info().me.id.to_string();
        let now = self.now_ms();
        let ws_id = self.inner.workspace_doc.clone();
        let handle = self.open_doc(&ws_id).await?;
        let mut open = handle.lock().await;
        self.apply(&mut open, |doc, _| {
            meridian_core::purge::mark_purged(doc, id, &me, now)
        })?;
        let name = WorkspaceDoc::name_in(&open.doc)?;
        self.persist_as(&ws_id, &mut open, Kind::Workspace, &name, None)
            .await?;
        drop(open);
        self.delete_locally(id, entry.kind).await
    }

    /// Whether the workspace document marks `id` purged (the workspace document itself
    /// never is).
    pub(super) async fn is_purged(&self, id: &DocId) -> Result<bool, Error> {
        if id == &self.inner.workspace_doc {
            return Ok(false);
        }
        let handle = match self.open_doc(&self.inner.workspace_doc).await {
            Ok(handle) => handle,
            // A workspace being joined has no workspace document yet.
            Err(Error::NotFound(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let open = handle.lock().await;
        Ok(meridian_core::purge::is_purged(&open.doc, id)?)
    }

    /// Deletes the data of every object the workspace document marks purged that this
    /// device still holds (after the workspace document merged changes from another
    /// device).
    pub(super) async fn apply_purges(&self) -> Result<(), Error> {
        let handle = self.open_doc(&self.inner.workspace_doc).await?;
        let purged = meridian_core::purge::purged(&handle.lock().await.doc)?;
        for id in purged.keys() {
            let Ok(id) = id.parse::<DocId>() else {
                continue;
            };
            if let Some(entry) = self.catalog_entry(&id).await? {
                self.delete_locally(&id, entry.kind).await?;
            }
        }
        Ok(())
    }

    async fn delete_locally(&self, id: &DocId, kind: Kind) -> Result<(), Error> {
        // Held while deleting, so no write of this document slips in between.
        let cached = lock(&self.inner.docs).get(id).cloned();
        let guard = match &cached {
            Some(handle) => Some(handle.lock().await),
            None => None,
        };
        let summary = self.summary(id).await.ok();
        self.inner.store.delete(id).await?;
        lock(&self.inner.docs).remove(id);
        lock(&self.inner.links).remove(id);
        drop(guard);
        self.queue_for_search(id);
        self.forget_merges_of(id).await?;
        if kind == Kind::Member {
            lock(&self.inner.members).remove(id.as_str());
        }
        if let Some(summary) = summary {
            let _ = self.inner.events.send(Event::ObjectPurged { summary });
        }
        Ok(())
    }

    async fn set_trash(&self, id: &DocId, trashed: bool) -> Result<ObjectSummary, Error> {
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        let kind = open.kind;
        if trashed && matches!(kind, Kind::Workspace | Kind::Charter) {
            return Err(Error::NotTrashable {
                id: id.clone(),
                kind,
            });
        }
        let object = meridian_core::read_any(&open.doc)?;
        let was_trashed = open.trashed;
        self.apply(&mut open, |doc, _| meridian_core::set_trashed(doc, trashed))?;
        let summary = self
            .persist_as(id, &mut open, kind, object.title(), object.status())
            .await?;
        drop(open);
        if kind == Kind::Member {
            // Trashed members are not members validation accepts.
            self.refresh_context().await?;
        }
        if summary.trashed != was_trashed {
            let _ = self
                .inner
                .events
                .send(change_event(was_trashed, summary.clone()));
        }
        Ok(summary)
    }

    /// Writes the trash flag into documents trashed by versions that kept the trash in the
    /// local catalog only, so they stay trashed here whatever arrives from other devices,
    /// and other devices learn it. Runs once per workspace; a failure is logged and the
    /// next open tries again (until then `persist_as` keeps the catalog's word).
    pub(super) async fn carry_trash_into_documents(&self) {
        if let Err(error) = self.carry_trash_into_documents_once().await {
            tracing::warn!(%error, "trashed objects not yet marked in their documents");
        }
    }

    async fn carry_trash_into_documents_once(&self) -> Result<(), Error> {
        if self
            .inner
            .store
            .read(|s| s.get_meta_blocking(meta::TRASH_IN_DOCS))
            .await?
            .is_some()
        {
            return Ok(());
        }
        let trashed = self
            .inner
            .store
            .read(|s| s.list_blocking(None, true))
            .await?
            .into_iter()
            .filter(|e| e.trashed);
        for entry in trashed {
            // One unreadable document must not hold back the others (nor make every open
            // scan again): it stays trashed here through the catalog.
            if let Err(error) = self.carry_trash_into(&entry).await {
                tracing::warn!(id = %entry.id, %error, "trashed object not marked in its document");
            }
        }
        self.inner.store.set_meta(meta::TRASH_IN_DOCS, "1").await?;
        Ok(())
    }

    async fn carry_trash_into(&self, entry: &CatalogEntry) -> Result<(), Error> {
        let handle = self.open_doc(&entry.id).await?;
        let mut open = handle.lock().await;
        if meridian_core::trashed(&open.doc)?.is_some() {
            return Ok(());
        }
        self.apply(&mut open, |doc, _| meridian_core::set_trashed(doc, true))?;
        self.persist_as(
            &entry.id,
            &mut open,
            entry.kind,
            &entry.title,
            entry.status.clone(),
        )
        .await?;
        Ok(())
    }
}

/// The event announcing a durable change of an object whose catalog row said
/// `was_trashed` before it.
pub(super) fn change_event(was_trashed: bool, summary: ObjectSummary) -> Event {
    match (was_trashed, summary.trashed) {
        (false, true) => Event::ObjectTrashed { summary },
        (true, false) => Event::ObjectRestored { summary },
        _ => Event::ObjectChanged { summary },
    }
}
