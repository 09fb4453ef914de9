//! The document side of sync: the changes a document has that its envelopes do not yet
//! cover, and merging changes that came from other devices.

use super::*;

/// A document's changes after some heads, ready to seal.
pub(crate) struct Unsealed {
    pub bytes: Vec<u8>,
    /// The heads the bytes bring the document to.
    pub heads: Vec<ChangeHash>,
}

/// What merging remote changes did to a document.
pub(crate) struct Merged {
    pub heads: Vec<ChangeHash>,
    /// No change is waiting for a dependency this device has not received yet.
    pub complete: bool,
    pub kind: Option<Kind>,
}

fn unsealed(doc: &mut AutoCommit, sealed: &[ChangeHash]) -> Option<Unsealed> {
    let heads = doc.get_heads();
    if heads == sealed {
        return None;
    }
    // The first envelope of a document is the whole document, later ones its changes.
    let bytes = if sealed.is_empty() {
        doc.save()
    } else {
        doc.save_after(sealed)
    };
    (!bytes.is_empty()).then_some(Unsealed { bytes, heads })
}

impl Workspace {
    /// The changes of document `id` after `sealed`, or `None` if there are none. A document
    /// not in the cache is read from the store and not cached (sealing a whole workspace
    /// must not load it all into memory).
    pub(crate) async fn unsealed_changes(
        &self,
        id: &DocId,
        sealed: &[ChangeHash],
    ) -> Result<Option<Unsealed>, Error> {
        let cached = lock(&self.inner.docs).get(id).cloned();
        if let Some(handle) = cached {
            return Ok(unsealed(&mut handle.lock().await.doc, sealed));
        }
        let store = self.inner.store.clone();
        let (id, sealed) = (id.clone(), sealed.to_vec());
        tokio::task::spawn_blocking(move || {
            let mut doc = store.load_blocking(&id, TextEncoding::Utf16CodeUnit)?;
            Ok(unsealed(&mut doc, &sealed))
        })
        .await
        .map_err(|_| Error::Stopped)?
    }

    /// Merges changes from another device into document `id`, creating it if it is new,
    /// persists the result and announces it. Under the document's lock, changes made here
    /// and not yet covered by `sealed` are handed to `seal_local` first, so that after the
    /// merge every head of the document is covered by an envelope.
    pub(crate) async fn merge_remote(
        &self,
        id: &DocId,
        bytes: &[u8],
        sealed: &[ChangeHash],
        seal_local: impl FnOnce(Unsealed) -> Result<(), Error>,
    ) -> Result<Merged, Error> {
        let exists = self.exists(id).await?;
        let handle = if exists {
            self.open_doc(id).await?
        } else {
            Arc::new(tokio::sync::Mutex::new(OpenDoc {
                kind: Kind::Page,
                doc: self.new_doc(),
                persisted: Vec::new(),
                chunks_since_snapshot: 0,
                trashed: false,
            }))
        };
        let mut open = handle.lock().await;
        if let Some(local) = unsealed(&mut open.doc, sealed) {
            seal_local(local)?;
        }
        open.doc.load_incremental(bytes).map_err(|e| {
            Error::Sync(crate::sync::SyncError::Protocol(format!(
                "a remote change of {id} cannot be merged: {e}"
            )))
        })?;
        let heads = open.doc.get_heads();
        let complete = open.doc.get_missing_deps(&[]).is_empty();
        let object = match meridian_core::read_any(&open.doc) {
            Ok(object) => object,
            // A new document whose first changes have not arrived yet.
            Err(_) if !exists => {
                return Ok(Merged {
                    heads,
                    complete: false,
                    kind: None,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let kind = object.kind();
        open.kind = kind;
        let was_trashed = open.trashed;
        let summary = self
            .persist_as(id, &mut open, kind, object.title(), object.status())
            .await?;
        drop(open);
        if !exists {
            lock(&self.inner.docs).insert(id.clone(), handle);
            if kind == Kind::Member {
                lock(&self.inner.members).insert(id.to_string());
            }
            let _ = self.inner.events.send(Event::ObjectCreated { summary });
        } else {
            let _ = self
                .inner
                .events
                .send(trash::change_event(was_trashed, summary));
        }
        Ok(Merged {
            heads,
            complete,
            kind: Some(kind),
        })
    }

    /// Reloads names, members and message kinds after sync changed them. A workspace still
    /// joining (its own member not yet made) is left as it is.
    /// The heads and saved state of document `id` for a checkpoint: the whole document,
    /// without changes still waiting for a dependency, so it holds exactly what it names.
    pub(crate) async fn checkpoint_state(
        &self,
        id: &DocId,
    ) -> Result<(Vec<ChangeHash>, Vec<u8>), Error> {
        let options = automerge::SaveOptions {
            deflate: true,
            retain_orphans: false,
        };
        let cached = lock(&self.inner.docs).get(id).cloned();
        if let Some(handle) = cached {
            let mut open = handle.lock().await;
            let saved = open.doc.save_with_options(options);
            return Ok((open.doc.get_heads(), saved));
        }
        let store = self.inner.store.clone();
        let id = id.clone();
        tokio::task::spawn_blocking(move || {
            let mut doc = store.load_blocking(&id, TextEncoding::Utf16CodeUnit)?;
            let saved = doc.save_with_options(options);
            Ok((doc.get_heads(), saved))
        })
        .await
        .map_err(|_| Error::Stopped)?
    }

    pub(crate) async fn refresh_after_sync(&self) {
        if let Err(e) = self.refresh_context().await {
            tracing::debug!(error = %e, "context not refreshed after sync");
        }
    }
}
