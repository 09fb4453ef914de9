//! The document side of sync: [`meridian_net::Documents`] for the workspace — the changes
//! a document has that its envelopes do not yet cover, merging changes that came from other
//! devices, checkpoints, and members for joining devices.

use std::collections::BTreeMap;

use meridian_net::{Documents, Merged, SyncError, Unsealed};
use meridian_sync::{Role, WorkspaceId};

use super::*;

/// An engine error as the sync runtime reports it.
fn to_sync(e: Error) -> SyncError {
    match e {
        Error::Sync(e) => e,
        Error::Stopped => SyncError::Stopped,
        other => SyncError::Documents(other.to_string()),
    }
}

fn doc_id(doc: &str) -> Result<DocId, SyncError> {
    doc.parse().map_err(|e: meridian_core::Error| {
        SyncError::Protocol(format!("{doc:?} is not a document id: {e}"))
    })
}

impl Documents for Workspace {
    type Event = Event;

    fn now_ms(&self) -> i64 {
        Workspace::now_ms(self)
    }

    fn workspace(&self) -> Result<WorkspaceId, SyncError> {
        self.workspace_info()
            .id
            .as_str()
            .parse()
            .map_err(SyncError::from)
    }

    fn me(&self) -> String {
        self.workspace_info().me.id.to_string()
    }

    fn my_name(&self) -> String {
        self.workspace_info().me.name
    }

    fn data_dir(&self) -> PathBuf {
        Workspace::data_dir(self)
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        Workspace::subscribe(self)
    }

    async fn stored_heads(&self) -> Result<Vec<(String, String)>, SyncError> {
        let store = self.store().clone();
        let stored = tokio::task::spawn_blocking(move || store.heads_blocking())
            .await
            .map_err(|_| SyncError::Stopped)?
            .map_err(|e| to_sync(e.into()))?;
        Ok(stored
            .into_iter()
            .map(|(id, key, _trashed)| (id.to_string(), key))
            .collect())
    }

    async fn stored_heads_since(
        &self,
        mark: Option<String>,
    ) -> Result<(String, Vec<(String, String)>), SyncError> {
        self.store()
            .read(move |store| {
                // Read first: a write meanwhile has a later generation than the mark.
                let generation = store.generation_blocking()?;
                let rows = match mark.as_deref().and_then(|m| generation.since(m)) {
                    Some(n) => store.heads_since_blocking(n)?,
                    None => store.heads_blocking()?,
                };
                Ok::<_, meridian_store::Error>((
                    generation.mark(),
                    rows.into_iter()
                        .map(|(id, key, _trashed)| (id.to_string(), key))
                        .collect(),
                ))
            })
            .await
            .map_err(|e| to_sync(e.into()))
    }

    fn heads_key(&self, heads: &[ChangeHash]) -> String {
        meridian_store::heads_key(heads)
    }

    async fn unsealed_changes(
        &self,
        doc: &str,
        sealed: &[ChangeHash],
        stored: &str,
    ) -> Result<Option<Unsealed>, SyncError> {
        self.unsealed_of(&doc_id(doc)?, sealed, stored)
            .await
            .map_err(to_sync)
    }

    async fn checkpoint_state(&self, doc: &str) -> Result<(Vec<ChangeHash>, Vec<u8>), SyncError> {
        self.checkpoint_of(&doc_id(doc)?).await.map_err(to_sync)
    }

    async fn merge_remote<F>(
        &self,
        doc: &str,
        bytes: &[u8],
        sealed: &[ChangeHash],
        seal_local: F,
    ) -> Result<Merged, SyncError>
    where
        F: FnOnce(Unsealed) -> Result<(), SyncError> + Send,
    {
        let id = doc_id(doc)?;
        let (merged, kind) = self
            .merge_from_remote(&id, bytes, sealed, seal_local)
            .await
            .map_err(to_sync)?;
        if merged.complete && matches!(kind, Some(Kind::Workspace | Kind::Member | Kind::Charter)) {
            // Names, members and message kinds may have changed.
            if let Err(e) = self.refresh_context().await {
                tracing::debug!(error = %e, "context not refreshed after sync");
            }
            // Objects another device deleted for good (ADR 0010).
            if kind == Some(Kind::Workspace)
                && let Err(e) = self.apply_purges().await
            {
                tracing::warn!(error = %e, "objects purged elsewhere not yet deleted here");
            }
        }
        Ok(merged)
    }

    async fn ready(&self, doc: &str, bytes: &[u8]) -> Result<bool, SyncError> {
        let Some(chunks) = meridian_sync::inflate::change_chunks(bytes) else {
            return Ok(true);
        };
        let Ok(changes) = chunks
            .into_iter()
            .map(automerge::Change::try_from)
            .collect::<Result<Vec<_>, _>>()
        else {
            return Ok(true); // The merge says what is wrong with it.
        };
        let brought: std::collections::HashSet<ChangeHash> =
            changes.iter().map(automerge::Change::hash).collect();
        let id = doc_id(doc)?;
        let needs_doc = changes
            .iter()
            .any(|c| c.deps().iter().any(|d| !brought.contains(d)));
        if !needs_doc {
            return Ok(true);
        }
        if !self.exists(&id).await.map_err(to_sync)? {
            return Ok(false);
        }
        let handle = self.open_doc(&id).await.map_err(to_sync)?;
        let mut open = handle.lock().await;
        let held = open.doc.document();
        Ok(changes.iter().all(|c| {
            c.deps()
                .iter()
                .all(|d| brought.contains(d) || held.get_change_meta_by_hash(d).is_some())
        }))
    }

    fn has_document(&self, doc: &str) -> bool {
        doc.parse::<DocId>()
            .ok()
            .and_then(|id| self.store().entry_blocking(&id).ok().flatten())
            .is_some()
    }

    async fn member_for_join(&self, name: &str, tz: &str, role: Role) -> Result<String, SyncError> {
        self.member_for(name, tz, role).await.map_err(to_sync)
    }

    async fn member_names(
        &self,
        members: Vec<String>,
    ) -> Result<BTreeMap<String, String>, SyncError> {
        self.store()
            .read(move |s| {
                Ok::<_, meridian_store::Error>(
                    members
                        .into_iter()
                        .filter_map(|m| {
                            let id = m.parse::<DocId>().ok()?;
                            let entry = s.entry_blocking(&id).ok().flatten()?;
                            Some((m, entry.title))
                        })
                        .collect(),
                )
            })
            .await
            .map_err(|e| to_sync(e.into()))
    }
}

// `Documents` asks for `Send` futures; this checks the workspace's are.
#[allow(dead_code)]
fn assert_send<T: Send>(_: T) {}
#[allow(dead_code)]
fn futures_are_send(ws: &Workspace) {
    assert_send(Documents::stored_heads(ws));
}

/// Whether `doc` holds every change of `bytes`, a body of change chunks: while other
/// changes of the document wait for a dependency that has not arrived, this one's may all
/// be in, and its envelope is then applied (not retried, and counted in what this device
/// holds). A saved document, or bytes that do not parse, answer false.
fn holds_all(doc: &mut AutoCommit, bytes: &[u8]) -> bool {
    let Some(chunks) = meridian_sync::inflate::change_chunks(bytes) else {
        return false;
    };
    let doc = doc.document();
    chunks.into_iter().all(|chunk| {
        automerge::Change::try_from(chunk)
            .is_ok_and(|change| doc.get_change_meta_by_hash(&change.hash()).is_some())
    })
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
    async fn unsealed_of(
        &self,
        id: &DocId,
        sealed: &[ChangeHash],
        stored: &str,
    ) -> Result<Option<Unsealed>, Error> {
        let cached = lock(&self.inner.docs).get(id).cloned();
        if let Some(handle) = cached {
            let mut open = handle.lock().await;
            if meridian_store::heads_key(&open.doc.get_heads()) != stored {
                // Another process (a CLI command beside a running `meridian sync`) wrote
                // this document: take in what it stored before sealing.
                let store = self.inner.store.clone();
                let id = id.clone();
                let mut newer = tokio::task::spawn_blocking(move || {
                    store.load_blocking(&id, TextEncoding::Utf16CodeUnit)
                })
                .await
                .map_err(|_| Error::Stopped)??;
                let heads = open.doc.get_heads();
                let caught_up = open.persisted == heads;
                open.doc.merge(&mut newer).map_err(|e| {
                    Error::Sync(SyncError::Documents(format!(
                        "the stored copy of {} cannot be merged: {e}",
                        open.kind
                    )))
                })?;
                if caught_up {
                    open.persisted = open.doc.get_heads();
                }
            }
            return Ok(unsealed(&mut open.doc, sealed));
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
    async fn merge_from_remote(
        &self,
        id: &DocId,
        bytes: &[u8],
        sealed: &[ChangeHash],
        seal_local: impl FnOnce(Unsealed) -> Result<(), SyncError>,
    ) -> Result<(Merged, Option<Kind>), Error> {
        if self.is_purged(id).await? {
            // Deleted for good (ADR 0010): whatever still arrives for it is dropped.
            return Ok((
                Merged {
                    heads: sealed.to_vec(),
                    complete: true,
                },
                None,
            ));
        }
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
        let before = open.doc.get_heads();
        open.doc.load_incremental(bytes).map_err(|e| {
            Error::Sync(SyncError::Protocol(format!(
                "a remote change of {id} cannot be merged: {e}"
            )))
        })?;
        let heads = open.doc.get_heads();
        // What merged (cheap unless the remote changes did not build on ours).
        let noted = if exists {
            merged::note(&mut open.doc, &before, &self.inner.actor)
        } else {
            None
        };
        let complete = open.doc.get_missing_deps(&[]).is_empty() || holds_all(&mut open.doc, bytes);
        let object = match meridian_core::read_any(&open.doc) {
            Ok(object) => object,
            // A new document whose first changes have not arrived yet.
            Err(_) if !exists => {
                return Ok((
                    Merged {
                        heads,
                        complete: false,
                    },
                    None,
                ));
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
        if let Some(noted) = noted
            && let Err(error) = self.record_merge(id, kind, object.title(), noted).await
        {
            tracing::warn!(%id, %error, "what merged was not recorded");
        }
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
        Ok((Merged { heads, complete }, Some(kind)))
    }

    /// The heads and saved state of document `id` for a checkpoint: the whole document,
    /// without changes still waiting for a dependency, so it holds exactly what it names.
    async fn checkpoint_of(&self, id: &DocId) -> Result<(Vec<ChangeHash>, Vec<u8>), Error> {
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

    /// The member a joining device belongs to: the member of that name if there is one
    /// (the same person on another device), else a new one.
    async fn member_for(&self, name: &str, tz: &str, role: Role) -> Result<String, Error> {
        let name = name.trim();
        let members = self
            .store()
            .read(|s| s.list_blocking(Some(Kind::Member), false))
            .await?;
        if let Some(m) = members.iter().find(|m| m.title.eq_ignore_ascii_case(name)) {
            return Ok(m.id.to_string());
        }
        let role = match role {
            Role::Admin => meridian_core::Role::Admin,
            Role::Editor => meridian_core::Role::Editor,
            Role::Viewer => meridian_core::Role::Reader,
        };
        let tz = if tz.parse::<chrono_tz::Tz>().is_ok() {
            tz
        } else {
            "UTC"
        };
        let (id, _) = self
            .create_object(meridian_core::Member::new(name, tz, role))
            .await?;
        Ok(id.to_string())
    }
}
