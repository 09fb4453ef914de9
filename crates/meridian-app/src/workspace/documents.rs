//! Reading objects, and the one path every change takes: validate, commit, persist
//! (acknowledged after COMMIT), announce.

use super::*;

impl Workspace {
    // ----- saving -----

    /// Whether every change made here is on disk, as it stands now.
    pub fn storage_status(&self) -> StorageStatus {
        StorageStatus::from(&*self.inner.store.health().borrow())
    }

    /// [`Workspace::storage_status`], watched: it changes when a write fails (disk full,
    /// I/O error: the changes wait in memory) and again once the store saved them on its
    /// own, so the app can say "not saved" and clear it without polling.
    pub fn watch_storage(&self) -> tokio::sync::watch::Receiver<meridian_store::StoreHealth> {
        self.inner.store.health()
    }

    // ----- reading -----

    /// Lists objects, newest first, from the catalog (documents are not opened).
    pub async fn list_objects(
        &self,
        kind: Option<Kind>,
        include_trashed: bool,
    ) -> Result<Vec<ObjectSummary>, Error> {
        let entries = self
            .inner
            .store
            .read(move |s| s.list_blocking(kind, include_trashed))
            .await?;
        Ok(entries
            .into_iter()
            .filter(|e| kind.is_some() || e.kind != Kind::Workspace)
            .map(summary)
            .collect())
    }

    pub async fn summary(&self, id: &DocId) -> Result<ObjectSummary, Error> {
        self.catalog_entry(id)
            .await?
            .map(summary)
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    /// Whether the catalog has `id` (trashed or not).
    pub(crate) async fn exists(&self, id: &DocId) -> Result<bool, Error> {
        Ok(self.catalog_entry(id).await?.is_some())
    }

    /// The catalog's row for `id` (trashed or not), read off the async runtime.
    pub(crate) async fn catalog_entry(&self, id: &DocId) -> Result<Option<CatalogEntry>, Error> {
        let id = id.clone();
        self.inner
            .store
            .read(move |s| s.entry_blocking(&id))
            .await
            .map_err(Error::from)
    }

    /// The whole object with its id.
    pub async fn show_object(&self, id: &DocId) -> Result<Shown, Error> {
        let handle = self.open_doc(id).await?;
        let open = handle.lock().await;
        self.counters().hydrated();
        Ok(Shown {
            id: id.clone(),
            object: meridian_core::read_any(&open.doc)?,
        })
    }

    /// Reads an object of a known kind.
    pub async fn get<T: ObjectSchema>(&self, id: &DocId) -> Result<T, Error> {
        let open = self.lock_doc::<T>(id).await?;
        self.counters().hydrated();
        Ok(meridian_core::read(&open.doc)?)
    }

    /// Every object of kind `T`, with its id (trashed ones left out).
    ///
    /// The kinds the derived views read come from the facts cache (keyed by heads, kept in
    /// memory and in the store), so a view reads only the documents that changed since
    /// some process last read them, not every document of the kind.
    pub(super) async fn typed<T: ObjectSchema>(&self) -> Result<Vec<(String, T)>, Error> {
        let mut out = Vec::new();
        if super::links::VIEWED.contains(&T::KIND) {
            let (entries, facts) = self.link_facts().await?;
            for e in entries.iter().filter(|e| e.kind == T::KIND) {
                let cached = facts
                    .get(&e.id)
                    .and_then(|f| f.object.as_ref())
                    .and_then(T::from_object);
                let value = match cached {
                    Some(value) => value.clone(),
                    None => self.get::<T>(&e.id).await?,
                };
                out.push((e.id.to_string(), value));
            }
            return Ok(out);
        }
        let entries = self
            .inner
            .store
            .read(|s| s.list_blocking(Some(T::KIND), false))
            .await?;
        for e in entries {
            out.push((e.id.to_string(), self.get::<T>(&e.id).await?));
        }
        Ok(out)
    }

    /// The bytes of a document as stored: a valid Automerge file any implementation loads.
    pub async fn automerge_bytes(&self, id: &DocId) -> Result<Vec<u8>, Error> {
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        Ok(open.doc.save())
    }

    /// Test hook: merges `bytes` (changes of document `id`, or a whole Automerge file such
    /// as [`Workspace::automerge_bytes`] of another device's copy) the way the content of
    /// a sync envelope is merged, without the network. What this device held and had not
    /// sealed is sealed later by the outbox, as for any local change.
    #[doc(hidden)]
    pub async fn merge_changes_for_tests(&self, id: &DocId, bytes: &[u8]) -> Result<(), Error> {
        meridian_net::Documents::merge_remote(self, id.as_str(), bytes, &[], |_| Ok(())).await?;
        Ok(())
    }

    // ----- generic writing -----

    /// Creates an object of any kind; validation runs first and nothing is stored if it fails.
    pub async fn create_object<T: ObjectSchema>(&self, value: T) -> Result<(DocId, T), Error> {
        let id = fresh_id();
        let value = self.insert_new(id.clone(), value).await?;
        self.index_objects(&[(id.clone(), T::KIND)]).await?;
        if T::KIND == Kind::Member {
            lock(&self.inner.members).insert(id.to_string());
        }
        Ok((id, value))
    }

    /// Applies `change` to the stored object and persists it; if `change` or the rules
    /// reject the result, nothing changes.
    pub async fn update<T: ObjectSchema>(
        &self,
        id: &DocId,
        change: impl FnOnce(&mut T) -> Result<(), Error>,
    ) -> Result<T, Error> {
        let mut open = self.lock_doc::<T>(id).await?;
        self.counters().hydrated();
        let mut value: T = meridian_core::read(&open.doc)?;
        change(&mut value)?;
        self.apply(&mut open, |doc, ctx| meridian_core::write(doc, &value, ctx))?;
        let summary = self.persist(id, &mut open, &value).await?;
        drop(open);
        if T::KIND == Kind::Workspace || T::KIND == Kind::Member || T::KIND == Kind::Charter {
            self.refresh_context().await?;
        }
        let _ = self.inner.events.send(Event::ObjectChanged { summary });
        Ok(value)
    }

    /// Builds new objects on every core, stores them in as few transactions as the store
    /// makes of them (group commit) and indexes them. Returns, per item, its kind or why
    /// it was refused. Used by bulk imports; the documents are not kept in the cache.
    pub(crate) async fn insert_many(
        &self,
        items: Vec<(DocId, meridian_vault::Parsed)>,
    ) -> Result<Vec<Result<Kind, Error>>, Error> {
        use meridian_vault::Parsed;
        let actor = self.inner.actor.clone();
        let author = self.author();
        let members = lock(&self.inner.members).clone();
        let kinds = lock(&self.inner.message_kinds).clone();
        let now = self.now_ms();
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .max(1);
        let built: Vec<(Result<DocWrite, Error>, Option<DerivedRow>)> =
            tokio::task::spawn_blocking(move || -> Result<Vec<_>, Error> {
                let ctx = meridian_core::Context {
                    members: if members.is_empty() {
                        None
                    } else {
                        Some(&members)
                    },
                    message_kinds: &kinds,
                };
                let chunk = items.len().div_ceil(workers).max(1);
                std::thread::scope(|scope| {
                    let handles: Vec<_> = items
                        .chunks(chunk)
                        .map(|part| {
                            let (actor, author, ctx) = (&actor, &author, &ctx);
                            scope.spawn(move || {
                                part.iter()
                                    .map(|(id, parsed)| {
                                        (
                                            id,
                                            parsed,
                                            match parsed {
                                                Parsed::Page(p) => build_new(
                                                    actor,
                                                    author,
                                                    ctx,
                                                    now,
                                                    id.clone(),
                                                    p,
                                                ),
                                                Parsed::Decision(d) => build_new(
                                                    actor,
                                                    author,
                                                    ctx,
                                                    now,
                                                    id.clone(),
                                                    d,
                                                ),
                                                Parsed::Meeting(m) => build_new(
                                                    actor,
                                                    author,
                                                    ctx,
                                                    now,
                                                    id.clone(),
                                                    m,
                                                ),
                                                Parsed::Thread(t) => build_new(
                                                    actor,
                                                    author,
                                                    ctx,
                                                    now,
                                                    id.clone(),
                                                    t,
                                                ),
                                            },
                                        )
                                    })
                                    .map(|(id, parsed, write)| {
                                        let row = write.as_ref().ok().and_then(|w| {
                                            let object = match parsed {
                                                Parsed::Page(p) => Object::Page(p.clone()),
                                                Parsed::Decision(d) => Object::Decision(d.clone()),
                                                Parsed::Meeting(m) => Object::Meeting(m.clone()),
                                                Parsed::Thread(t) => Object::Thread(t.clone()),
                                            };
                                            super::links::derived_row(
                                                id,
                                                &object,
                                                meridian_store::heads_key(&w.heads),
                                            )
                                        });
                                        (write, row)
                                    })
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    // A worker that panicked must fail the import, not silently drop its
                    // files (the caller pairs results with files by position).
                    let mut built = Vec::with_capacity(items.len());
                    for h in handles {
                        built.extend(h.join().map_err(|_| Error::Stopped)?);
                    }
                    Ok(built)
                })
            })
            .await
            .map_err(|_| Error::Stopped)??;
        let mut acks = Vec::new();
        let mut results = Vec::new();
        let mut created = Vec::new();
        let mut derived = Vec::new();
        for (b, row) in built {
            derived.extend(row);
            match b {
                Ok(write) => {
                    created.push((write.id.clone(), write.kind));
                    results.push(Ok(write.kind));
                    acks.push((
                        write.id.clone(),
                        write.kind,
                        write.catalog.clone(),
                        self.inner.store.submit(write),
                    ));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        for (id, kind, catalog, ack) in acks {
            ack.await?;
            self.queue_for_search(&id);
            let _ = self.inner.events.send(Event::ObjectCreated {
                summary: ObjectSummary {
                    id,
                    kind,
                    title: catalog.title,
                    status: catalog.status,
                    updated_at: rfc3339(catalog.updated_at_ms),
                    trashed: false,
                },
            });
        }
        self.index_new_objects(&created).await?;
        // Link facts of what was made, so the first page tree or backlinks after an
        // import reads them instead of every document (a cache: a failure costs time only).
        if !derived.is_empty()
            && let Err(error) = self.inner.store.put_derived(derived).await
        {
            tracing::warn!(%error, "the imported documents' link facts were not stored");
        }
        Ok(results)
    }

    pub(crate) async fn index_new_objects(&self, objects: &[(DocId, Kind)]) -> Result<(), Error> {
        if objects.is_empty() {
            return Ok(());
        }
        self.index_objects(objects).await
    }

    pub(super) async fn insert_new<T: ObjectSchema>(
        &self,
        id: DocId,
        value: T,
    ) -> Result<T, Error> {
        let mut open = OpenDoc {
            kind: T::KIND,
            doc: self.new_doc(),
            persisted: Vec::new(),
            chunks_since_snapshot: 0,
            trashed: false,
        };
        self.apply(&mut open, |doc, ctx| meridian_core::write(doc, &value, ctx))?;
        let summary = self.persist(&id, &mut open, &value).await?;
        lock(&self.inner.docs).insert(id, Arc::new(tokio::sync::Mutex::new(open)));
        let _ = self.inner.events.send(Event::ObjectCreated { summary });
        Ok(value)
    }

    /// Records new objects in the workspace document's index.
    pub(super) async fn index_objects(&self, objects: &[(DocId, Kind)]) -> Result<(), Error> {
        let ws_id = self.inner.workspace_doc.clone();
        let handle = self.open_doc(&ws_id).await?;
        let mut open = handle.lock().await;
        // Only the new keys: the index lists every object, so reading it whole and
        // reconciling it back cost O(n) for each object made (n² for n made one by one).
        self.apply(&mut open, |doc, _| {
            WorkspaceDoc::add_to_index(doc, objects.iter().map(|(id, kind)| (id, *kind)))
        })?;
        let name = WorkspaceDoc::name_in(&open.doc)?;
        self.persist_as(&ws_id, &mut open, Kind::Workspace, &name, None)
            .await?;
        Ok(())
    }

    pub(super) fn new_doc(&self) -> AutoCommit {
        new_doc(&self.inner.actor)
    }

    /// Runs `f` with the validation context: who the members are, which message kinds the
    /// charter defines.
    pub(super) fn with_context<R>(&self, f: impl FnOnce(&meridian_core::Context<'_>) -> R) -> R {
        // Held, not cloned: this runs on every keystroke, and `f` is synchronous.
        let members = lock(&self.inner.members);
        let kinds = lock(&self.inner.message_kinds);
        f(&meridian_core::Context {
            members: if members.is_empty() {
                None
            } else {
                Some(&*members)
            },
            message_kinds: &kinds,
        })
    }

    /// Runs `edit` on the document; on any error the uncommitted operations are rolled
    /// back so the cached document stays equal to what it was.
    pub(super) fn apply(
        &self,
        open: &mut OpenDoc,
        edit: impl FnOnce(
            &mut AutoCommit,
            &meridian_core::Context<'_>,
        ) -> Result<(), meridian_core::Error>,
    ) -> Result<(), Error> {
        let now = self.now_ms();
        // Who wrote it travels in the document (see `history.rs`).
        self.stamp_author(&mut open.doc);
        self.with_context(|ctx| commit_or_rollback(&mut open.doc, now, |doc| edit(doc, ctx)))
    }

    /// Writes everything the store does not have yet (all changes since the persisted
    /// heads) with the catalog row, and returns once it is committed. On failure the
    /// changes stay in the cached document and go out with the next write.
    pub(super) async fn persist<T: ObjectSchema>(
        &self,
        id: &DocId,
        open: &mut OpenDoc,
        value: &T,
    ) -> Result<ObjectSummary, Error> {
        self.persist_as(id, open, T::KIND, value.title(), value.status())
            .await
    }

    /// [`Workspace::persist`] for a document whose kind is known at run time.
    pub(super) async fn persist_as(
        &self,
        id: &DocId,
        open: &mut OpenDoc,
        kind: Kind,
        title: &str,
        status: Option<String>,
    ) -> Result<ObjectSummary, Error> {
        let heads = open.doc.get_heads();
        if heads == open.persisted {
            return self.summary(id).await;
        }
        // The document decides, whoever changed it (this device or a merge); one that
        // never said (trashed only in the catalog, by a version that kept the trash
        // local) keeps what the catalog holds, so nothing trashed reappears.
        let trashed = meridian_core::trashed(&open.doc)?.unwrap_or(open.trashed);
        let chunk = open.doc.save_after(&open.persisted);
        let now = self.now_ms();
        let catalog = CatalogUpdate {
            title: title.to_owned(),
            status,
            updated_at_ms: now,
            trashed,
        };
        self.inner
            .store
            .write(DocWrite {
                id: id.clone(),
                kind,
                chunk,
                heads: heads.clone(),
                catalog: catalog.clone(),
            })
            .await?;
        open.persisted = heads.clone();
        open.trashed = trashed;
        // The indexer reads the catalog: a trashed document leaves the index, a restored
        // one comes back.
        self.queue_for_search(id);
        open.chunks_since_snapshot += 1;
        if open.chunks_since_snapshot >= COMPACT_AFTER_CHUNKS {
            open.chunks_since_snapshot = 0;
            self.compact_in_background(id, open.doc.clone(), heads);
        }
        Ok(ObjectSummary {
            id: id.clone(),
            kind,
            title: catalog.title,
            status: catalog.status,
            updated_at: rfc3339(now),
            trashed,
        })
    }

    /// Compacts `id` from `doc` (a copy, at `heads`) without holding up the write that
    /// asked for it: saving a whole document is O(document), so it runs on a blocking
    /// thread and the store swaps the snapshot in on its writer thread. Chunks written
    /// meanwhile are kept; a failure only means the next compaction comes later.
    fn compact_in_background(&self, id: &DocId, mut doc: AutoCommit, heads: Vec<ChangeHash>) {
        let (ws, id) = (self.clone(), id.clone());
        tokio::spawn(async move {
            let saved = tokio::task::spawn_blocking(move || doc.save()).await;
            let Ok(snapshot) = saved else { return };
            ws.counters().snapshot();
            if let Err(error) = ws.inner.store.compact(&id, snapshot, heads).await {
                tracing::warn!(%error, %id, "compaction failed; it is tried again later");
            }
        });
    }

    /// The cached document of kind `T`, locked until the guard drops.
    pub(super) async fn lock_doc<T: ObjectSchema>(
        &self,
        id: &DocId,
    ) -> Result<tokio::sync::OwnedMutexGuard<OpenDoc>, Error> {
        let open = self.open_doc(id).await?.lock_owned().await;
        if open.kind != T::KIND {
            return Err(Error::WrongKind {
                id: id.clone(),
                expected: T::KIND,
                found: open.kind,
            });
        }
        Ok(open)
    }

    /// The cached document, loading it from the store (off the async runtime) if needed.
    pub(super) async fn open_doc(
        &self,
        id: &DocId,
    ) -> Result<Arc<tokio::sync::Mutex<OpenDoc>>, Error> {
        if let Some(h) = lock(&self.inner.docs).get(id) {
            return Ok(h.clone());
        }
        let store = self.inner.store.clone();
        let id2 = id.clone();
        let actor = self.inner.actor.clone();
        let loaded = tokio::task::spawn_blocking(move || -> Result<_, Error> {
            let entry = store
                .entry_blocking(&id2)?
                .ok_or_else(|| Error::NotFound(id2.clone()))?;
            let mut doc = store.load_blocking(&id2, TextEncoding::Utf16CodeUnit)?;
            doc.set_actor(actor);
            let chunks = store.chunk_count_blocking(&id2)?;
            Ok((entry, doc, chunks))
        })
        .await
        .map_err(|_| Error::Stopped)?;
        let (entry, mut doc, chunks) = match loaded {
            Err(Error::Store(meridian_store::Error::DocNotFound(_))) => {
                return Err(Error::NotFound(id.clone()));
            }
            other => other?,
        };
        let persisted = doc.get_heads();
        let open = OpenDoc {
            kind: entry.kind,
            doc,
            persisted,
            chunks_since_snapshot: chunks,
            trashed: entry.trashed,
        };
        Ok(lock(&self.inner.docs)
            .entry(id.clone())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(open)))
            .clone())
    }
}

/// A new object as the bytes and catalog row the store needs, built off the cache (used
/// for bulk imports, where documents are built on every core and written in one batch).
/// A row of the store's derived cache: document, heads key, data.
type DerivedRow = (DocId, String, Vec<u8>);

pub(crate) fn build_new<T: ObjectSchema>(
    actor: &automerge::ActorId,
    author: &automerge::Author<'static>,
    ctx: &meridian_core::Context<'_>,
    now_ms: i64,
    id: DocId,
    value: &T,
) -> Result<DocWrite, Error> {
    let mut doc = new_doc(actor);
    doc.set_author(Some(author.clone()));
    doc.set_actor(actor.clone());
    commit_or_rollback(&mut doc, now_ms, |doc| {
        meridian_core::write(doc, value, ctx)
    })?;
    Ok(DocWrite {
        id,
        kind: T::KIND,
        chunk: doc.save(),
        heads: doc.get_heads(),
        catalog: CatalogUpdate {
            title: value.title().to_owned(),
            status: value.status(),
            updated_at_ms: now_ms,
            trashed: false,
        },
    })
}
