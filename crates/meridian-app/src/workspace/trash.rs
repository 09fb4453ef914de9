//! The trash: moving an object there and back.
//!
//! Being in the trash is a flag in the object's own Automerge document (see
//! [`meridian_core::trashed`]), set by an ordinary change through the one write path, so
//! it is persisted, sealed for other devices and merged like any edit, and the object's
//! history is kept: nothing is deleted. The catalog's `trashed` column follows the
//! document at every write (`persist_as`), which is what lists and the search indexer read.

use super::*;

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
