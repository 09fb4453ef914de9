//! The `Workspace` handle: one open workspace on this device.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use automerge::{AutoCommit, ChangeHash, TextEncoding, transaction::CommitOptions};
use meridian_core::{
    Charter, Decision, DecisionOption, DecisionStatus, DocId, Kind, Member, MessageKind, Object,
    ObjectSchema, Page, Role, TextSplice, WorkspaceDoc,
};
use meridian_store::{CatalogEntry, CatalogUpdate, DocWrite, Store};
use tokio::sync::broadcast;

use crate::api::*;
use crate::clock::{Clock, SystemClock};
use crate::error::Error;

const DB_FILE: &str = "workspace.db";
/// Past this many change chunks since its snapshot a document is compacted.
const COMPACT_AFTER_CHUNKS: usize = 512;

/// The platform data directory for Meridian (`~/.local/share/meridian` on Linux), unless
/// `MERIDIAN_DATA_DIR` says otherwise.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MERIDIAN_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("meridian")
}

/// One open workspace. Cheap to clone; all clones share the store, the document cache and
/// the event stream.
#[derive(Clone, Debug)]
pub struct Workspace {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    info: Mutex<WorkspaceInfo>,
    workspace_doc: DocId,
    /// Open documents. Each has its own async lock, held from the change until the store
    /// acknowledged it, so writes to one document are persisted in order and a failed
    /// write can be retried from the last persisted heads.
    docs: Mutex<HashMap<DocId, Arc<tokio::sync::Mutex<OpenDoc>>>>,
    members: Mutex<BTreeSet<String>>,
    message_kinds: Mutex<Vec<MessageKind>>,
    events: broadcast::Sender<Event>,
    /// This device's Automerge actor, the author of every change made here.
    actor: automerge::ActorId,
}

#[derive(Debug)]
struct OpenDoc {
    kind: Kind,
    doc: AutoCommit,
    /// Heads the store holds for this document.
    persisted: Vec<ChangeHash>,
    chunks_since_snapshot: usize,
    trashed: bool,
}

/// The meta keys this crate keeps in the store.
mod meta {
    pub const WORKSPACE: &str = "workspace_id";
    pub const ME: &str = "member_id";
    pub const ACTOR: &str = "actor_id";
}

fn fresh_id() -> DocId {
    DocId::from_bytes(rand::random())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn summary(entry: CatalogEntry) -> ObjectSummary {
    ObjectSummary {
        id: entry.id,
        kind: entry.kind,
        title: entry.title,
        status: entry.status,
        updated_at: rfc3339(entry.updated_at_ms),
        trashed: entry.trashed,
    }
}

fn open_store(data_dir: &Path) -> Result<Store, Error> {
    std::fs::create_dir_all(data_dir).map_err(|source| Error::DataDir {
        path: data_dir.to_owned(),
        source,
    })?;
    Ok(Store::open(&data_dir.join(DB_FILE))?)
}

impl Workspace {
    /// Creates a new workspace in `data_dir` with this device's member as its admin.
    pub async fn create(
        data_dir: &Path,
        name: &str,
        me: &str,
        tz: &str,
    ) -> Result<Workspace, Error> {
        Self::create_with_clock(data_dir, name, me, tz, Arc::new(SystemClock)).await
    }

    pub async fn create_with_clock(
        data_dir: &Path,
        name: &str,
        me: &str,
        tz: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Workspace, Error> {
        if data_dir.join(DB_FILE).exists() {
            return Err(Error::AlreadyInitialised(data_dir.to_owned()));
        }
        // Check the inputs before anything touches the disk.
        let member = Member::new(me.trim(), tz.trim(), Role::Admin);
        member
            .validate(None, &Default::default())
            .map_err(Error::Rule)?;
        let now = clock.now_ms();
        let ws_doc = WorkspaceDoc {
            name: name.trim().to_owned(),
            charter: None,
            index: Default::default(),
            created_at_ms: now,
        };
        ws_doc
            .validate(None, &Default::default())
            .map_err(Error::Rule)?;

        let store = open_store(data_dir)?;
        let actor: [u8; 16] = rand::random();
        store.set_meta_blocking(meta::ACTOR, &DocId::from_bytes(actor).to_string())?;
        let ws_id = fresh_id();
        let me_id = fresh_id();
        let ws = Workspace::assemble(store, clock, ws_id.clone(), me_id.clone())?;
        ws.insert_new(ws_id.clone(), ws_doc).await?;
        let charter_id = ws.create_object(Charter::default()).await?.0;
        ws.insert_new(me_id.clone(), member).await?;
        ws.index_objects(&[
            (charter_id.clone(), Kind::Charter),
            (me_id.clone(), Kind::Member),
        ])
        .await?;
        ws.update::<WorkspaceDoc>(&ws_id, |w| {
            w.charter = Some(charter_id.to_string());
            Ok(())
        })
        .await?;
        // Written last: a crash before this point leaves a directory `open` reports as
        // not initialised, never a half-made workspace that looks whole.
        ws.inner.store.set_meta_blocking(meta::ME, me_id.as_str())?;
        ws.inner
            .store
            .set_meta_blocking(meta::WORKSPACE, ws_id.as_str())?;
        ws.refresh_context().await?;
        Ok(ws)
    }

    /// Opens the workspace in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<Workspace, Error> {
        Self::open_with_clock(data_dir, Arc::new(SystemClock)).await
    }

    pub async fn open_with_clock(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Workspace, Error> {
        if !data_dir.join(DB_FILE).exists() {
            return Err(Error::NotInitialised(data_dir.to_owned()));
        }
        let store = open_store(data_dir)?;
        let read_id = |key: &str| -> Result<Option<DocId>, Error> {
            store
                .get_meta_blocking(key)?
                .map(|v| {
                    v.parse::<DocId>()
                        .map_err(|e| Error::Metadata(e.to_string()))
                })
                .transpose()
        };
        let (Some(ws_id), Some(me_id)) = (read_id(meta::WORKSPACE)?, read_id(meta::ME)?) else {
            return Err(Error::NotInitialised(data_dir.to_owned()));
        };
        let ws = Workspace::assemble(store, clock, ws_id, me_id)?;
        ws.refresh_context().await?;
        Ok(ws)
    }

    /// Opens the workspace in `data_dir`, creating one on first run.
    pub async fn open_or_create(
        data_dir: &Path,
        name: &str,
        me: &str,
        tz: &str,
    ) -> Result<Workspace, Error> {
        match Self::open(data_dir).await {
            Err(Error::NotInitialised(_)) if !data_dir.join(DB_FILE).exists() => {
                Self::create(data_dir, name, me, tz).await
            }
            other => other,
        }
    }

    fn assemble(
        store: Store,
        clock: Arc<dyn Clock>,
        ws_id: DocId,
        me_id: DocId,
    ) -> Result<Workspace, Error> {
        let data_dir = store
            .path()
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let (events, _) = broadcast::channel(1024);
        let actor = read_actor(&store)?;
        Ok(Workspace {
            inner: Arc::new(Inner {
                store,
                clock,
                info: Mutex::new(WorkspaceInfo {
                    id: ws_id.clone(),
                    name: String::new(),
                    data_dir,
                    me: MemberRef {
                        id: me_id,
                        name: String::new(),
                        tz: String::new(),
                    },
                }),
                workspace_doc: ws_id,
                docs: Mutex::new(HashMap::new()),
                members: Mutex::new(BTreeSet::new()),
                message_kinds: Mutex::new(Vec::new()),
                events,
                actor,
            }),
        })
    }

    /// Reloads what validation needs to know: the member list, the charter's kinds, and
    /// the names shown in [`WorkspaceInfo`].
    async fn refresh_context(&self) -> Result<(), Error> {
        let members: BTreeSet<String> = self
            .inner
            .store
            .list_blocking(Some(Kind::Member), false)?
            .into_iter()
            .map(|e| e.id.to_string())
            .collect();
        *lock(&self.inner.members) = members;
        let ws: WorkspaceDoc = self.get(&self.inner.workspace_doc).await?;
        if let Some(charter) = ws.charter.as_deref().and_then(|c| c.parse::<DocId>().ok()) {
            let charter: Charter = self.get(&charter).await?;
            *lock(&self.inner.message_kinds) = charter.message_kinds;
        }
        let me_id = lock(&self.inner.info).me.id.clone();
        let me: Member = self.get(&me_id).await?;
        let mut info = lock(&self.inner.info);
        info.name = ws.name;
        info.me.name = me.display_name;
        info.me.tz = me.tz;
        Ok(())
    }

    pub fn info(&self) -> WorkspaceInfo {
        lock(&self.inner.info).clone()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Changes to the workspace, announced once durable.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    // ----- reading -----

    /// Lists objects, newest first, from the catalog (documents are not opened).
    pub async fn list(
        &self,
        kind: Option<Kind>,
        include_trashed: bool,
    ) -> Result<Vec<ObjectSummary>, Error> {
        let entries = self.inner.store.list_blocking(kind, include_trashed)?;
        Ok(entries
            .into_iter()
            .filter(|e| kind.is_some() || e.kind != Kind::Workspace)
            .map(summary)
            .collect())
    }

    pub async fn summary(&self, id: &DocId) -> Result<ObjectSummary, Error> {
        self.inner
            .store
            .entry_blocking(id)?
            .map(summary)
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    /// The whole object with its id.
    pub async fn show(&self, id: &DocId) -> Result<Shown, Error> {
        let handle = self.open_doc(id).await?;
        let open = handle.lock().await;
        Ok(Shown {
            id: id.clone(),
            object: meridian_core::read_any(&open.doc)?,
        })
    }

    /// Reads an object of a known kind.
    pub async fn get<T: ObjectSchema>(&self, id: &DocId) -> Result<T, Error> {
        let handle = self.open_doc(id).await?;
        let open = handle.lock().await;
        if open.kind != T::KIND {
            return Err(Error::WrongKind {
                id: id.clone(),
                expected: T::KIND,
                found: open.kind,
            });
        }
        Ok(meridian_core::read(&open.doc)?)
    }

    /// The bytes of a document as stored: a valid Automerge file any implementation loads.
    pub async fn automerge_bytes(&self, id: &DocId) -> Result<Vec<u8>, Error> {
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        Ok(open.doc.save())
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
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        if open.kind != T::KIND {
            return Err(Error::WrongKind {
                id: id.clone(),
                expected: T::KIND,
                found: open.kind,
            });
        }
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

    /// Moves an object to the trash (it stays stored and can come back).
    pub async fn trash(&self, id: &DocId) -> Result<ObjectSummary, Error> {
        let mut entry = self
            .inner
            .store
            .entry_blocking(id)?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        if matches!(entry.kind, Kind::Workspace | Kind::Charter) {
            return Err(Error::WrongKind {
                id: id.clone(),
                expected: Kind::Page,
                found: entry.kind,
            });
        }
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        open.trashed = true;
        entry.trashed = true;
        entry.updated_at_ms = self.now_ms();
        self.inner
            .store
            .write(DocWrite {
                id: id.clone(),
                kind: entry.kind,
                chunk: Vec::new(),
                heads: open.persisted.clone(),
                catalog: CatalogUpdate {
                    title: entry.title.clone(),
                    status: entry.status.clone(),
                    updated_at_ms: entry.updated_at_ms,
                    trashed: true,
                },
            })
            .await?;
        let summary = summary(entry);
        let _ = self.inner.events.send(Event::ObjectTrashed {
            summary: summary.clone(),
        });
        Ok(summary)
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
        let members = lock(&self.inner.members).clone();
        let kinds = lock(&self.inner.message_kinds).clone();
        let now = self.now_ms();
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .max(1);
        let built: Vec<Result<DocWrite, Error>> = tokio::task::spawn_blocking(move || {
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
                        let (actor, ctx) = (&actor, &ctx);
                        scope.spawn(move || {
                            part.iter()
                                .map(|(id, parsed)| match parsed {
                                    Parsed::Page(p) => build_new(actor, ctx, now, id.clone(), p),
                                    Parsed::Decision(d) => {
                                        build_new(actor, ctx, now, id.clone(), d)
                                    }
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        })
        .await
        .map_err(|_| Error::Stopped)?;
        let mut acks = Vec::new();
        let mut results = Vec::new();
        let mut created = Vec::new();
        for b in built {
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
        Ok(results)
    }

    pub(crate) async fn index_new_objects(&self, objects: &[(DocId, Kind)]) -> Result<(), Error> {
        if objects.is_empty() {
            return Ok(());
        }
        self.index_objects(objects).await
    }

    async fn insert_new<T: ObjectSchema>(&self, id: DocId, value: T) -> Result<T, Error> {
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
    async fn index_objects(&self, objects: &[(DocId, Kind)]) -> Result<(), Error> {
        let ws_id = self.inner.workspace_doc.clone();
        let handle = self.open_doc(&ws_id).await?;
        let mut open = handle.lock().await;
        let mut ws: WorkspaceDoc = meridian_core::read(&open.doc)?;
        for (id, kind) in objects {
            ws.index.insert(id.to_string(), kind.as_str().to_owned());
        }
        self.apply(&mut open, |doc, ctx| meridian_core::write(doc, &ws, ctx))?;
        self.persist(&ws_id, &mut open, &ws).await?;
        Ok(())
    }

    fn new_doc(&self) -> AutoCommit {
        new_doc(&self.inner.actor)
    }

    /// Runs `f` with the validation context: who the members are, which message kinds the
    /// charter defines.
    fn with_context<R>(&self, f: impl FnOnce(&meridian_core::Context<'_>) -> R) -> R {
        let members = lock(&self.inner.members).clone();
        let kinds = lock(&self.inner.message_kinds).clone();
        f(&meridian_core::Context {
            members: if members.is_empty() {
                None
            } else {
                Some(&members)
            },
            message_kinds: &kinds,
        })
    }

    /// Runs `edit` on the document; on any error the uncommitted operations are rolled
    /// back so the cached document stays equal to what it was.
    fn apply(
        &self,
        open: &mut OpenDoc,
        edit: impl FnOnce(
            &mut AutoCommit,
            &meridian_core::Context<'_>,
        ) -> Result<(), meridian_core::Error>,
    ) -> Result<(), Error> {
        let now = self.now_ms();
        self.with_context(|ctx| commit_or_rollback(&mut open.doc, now, |doc| edit(doc, ctx)))
    }

    /// Writes everything the store does not have yet (all changes since the persisted
    /// heads) with the catalog row, and returns once it is committed. On failure the
    /// changes stay in the cached document and go out with the next write.
    async fn persist<T: ObjectSchema>(
        &self,
        id: &DocId,
        open: &mut OpenDoc,
        value: &T,
    ) -> Result<ObjectSummary, Error> {
        let trashed = open.trashed;
        let heads = open.doc.get_heads();
        if heads == open.persisted {
            return self.summary(id).await;
        }
        let chunk = open.doc.save_after(&open.persisted);
        let now = self.now_ms();
        let catalog = CatalogUpdate {
            title: value.title().to_owned(),
            status: value.status(),
            updated_at_ms: now,
            trashed,
        };
        self.inner
            .store
            .write(DocWrite {
                id: id.clone(),
                kind: T::KIND,
                chunk,
                heads: heads.clone(),
                catalog: catalog.clone(),
            })
            .await?;
        open.persisted = heads.clone();
        open.chunks_since_snapshot += 1;
        if open.chunks_since_snapshot >= COMPACT_AFTER_CHUNKS {
            let snapshot = open.doc.save();
            self.inner.store.compact_blocking(id, snapshot, heads)?;
            open.chunks_since_snapshot = 0;
        }
        Ok(ObjectSummary {
            id: id.clone(),
            kind: T::KIND,
            title: catalog.title,
            status: catalog.status,
            updated_at: rfc3339(now),
            trashed,
        })
    }

    /// The cached document, loading it from the store (off the async runtime) if needed.
    async fn open_doc(&self, id: &DocId) -> Result<Arc<tokio::sync::Mutex<OpenDoc>>, Error> {
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

    // ----- pages -----

    pub async fn create_page(&self, new: NewPage) -> Result<(DocId, Page), Error> {
        self.create_object(Page {
            title: new.title.trim().to_owned(),
            body: new.body,
            tags: new.tags,
            parent: new.parent.map(|p| p.to_string()),
            created_at_ms: self.now_ms(),
            ..Page::default()
        })
        .await
    }

    pub async fn update_page(&self, id: &DocId, patch: PagePatch) -> Result<Page, Error> {
        self.update::<Page>(id, |p| {
            if let Some(t) = patch.title {
                p.title = t.trim().to_owned();
            }
            if let Some(b) = patch.body {
                p.body = b;
            }
            if let Some(t) = patch.tags {
                p.tags = t;
            }
            if let Some(parent) = patch.parent {
                p.parent = parent.map(|p| p.to_string());
            }
            if let Some(r) = patch.review_by {
                p.review_by = r;
            }
            Ok(())
        })
        .await
    }

    /// Applies editor keystrokes to a page body (UTF-16 positions, as the webview counts).
    pub async fn edit_page_body(&self, id: &DocId, splices: &[TextSplice]) -> Result<(), Error> {
        self.splice_prose::<Page>(id, "body", splices).await
    }

    async fn splice_prose<T: ObjectSchema>(
        &self,
        id: &DocId,
        field: &str,
        splices: &[TextSplice],
    ) -> Result<(), Error> {
        if splices.is_empty() {
            return Ok(());
        }
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        if open.kind != T::KIND {
            return Err(Error::WrongKind {
                id: id.clone(),
                expected: T::KIND,
                found: open.kind,
            });
        }
        self.apply(&mut open, |doc, _| {
            meridian_core::splice_prose(doc, field, splices)
        })?;
        let value: T = meridian_core::read(&open.doc)?;
        let summary = self.persist(id, &mut open, &value).await?;
        drop(open);
        let _ = self.inner.events.send(Event::ObjectChanged { summary });
        Ok(())
    }

    // ----- decisions -----

    pub async fn create_decision(&self, new: NewDecision) -> Result<(DocId, Decision), Error> {
        let mut d = Decision::new(new.title.trim(), self.now_ms());
        d.context = new.context;
        d.drivers = new.drivers;
        d.options = new.options.into_iter().map(new_option).collect();
        d.rationale = new.rationale;
        d.consequences = new.consequences;
        d.deciders = new.deciders;
        if let Some(chosen) = new.chosen {
            let norm = |s: &str| s.trim().to_lowercase();
            let found = d.options.iter().find(|o| norm(&o.title) == norm(&chosen));
            d.chosen_option = Some(match found {
                Some(o) => o.id.clone(),
                None => {
                    let o = new_option(NewOption {
                        title: chosen,
                        ..NewOption::default()
                    });
                    let id = o.id.clone();
                    d.options.push(o);
                    id
                }
            });
        }
        if let Some(status) = new.status {
            d.status = status;
        }
        self.create_object(d).await
    }

    pub async fn update_decision(
        &self,
        id: &DocId,
        patch: DecisionPatch,
    ) -> Result<Decision, Error> {
        self.update::<Decision>(id, |d| {
            if let Some(v) = patch.title {
                d.title = v.trim().to_owned();
            }
            if let Some(v) = patch.context {
                d.context = v;
            }
            if let Some(v) = patch.drivers {
                d.drivers = v;
            }
            if let Some(options) = patch.options {
                d.options = options
                    .into_iter()
                    .map(|mut o| {
                        if o.id.trim().is_empty() {
                            o.id = item_id();
                        }
                        o
                    })
                    .collect();
            }
            if let Some(v) = patch.chosen_option {
                d.chosen_option = v;
            }
            if let Some(v) = patch.rationale {
                d.rationale = v;
            }
            if let Some(v) = patch.consequences {
                d.consequences = v;
            }
            if let Some(v) = patch.deciders {
                d.deciders = v;
            }
            if let Some(v) = patch.consulted {
                d.consulted = v;
            }
            if let Some(v) = patch.informed {
                d.informed = v;
            }
            if let Some(v) = patch.review_by {
                d.review_by = v;
            }
            Ok(())
        })
        .await
    }

    pub async fn set_decision_status(
        &self,
        id: &DocId,
        status: DecisionStatus,
    ) -> Result<Decision, Error> {
        self.update::<Decision>(id, |d| {
            d.status = status;
            Ok(())
        })
        .await
    }

    pub async fn add_option(
        &self,
        id: &DocId,
        new: NewOption,
    ) -> Result<(Decision, DecisionOption), Error> {
        let option = new_option(new);
        let added = option.clone();
        let d = self
            .update::<Decision>(id, |d| {
                d.options.push(option);
                Ok(())
            })
            .await?;
        Ok((d, added))
    }

    /// Chooses an option by id or by (case-insensitive) title.
    pub async fn choose_option(
        &self,
        id: &DocId,
        option: &str,
        rationale: Option<String>,
    ) -> Result<Decision, Error> {
        let wanted = option.trim().to_lowercase();
        self.update::<Decision>(id, |d| {
            let found = d
                .options
                .iter()
                .find(|o| o.id == option || o.title.trim().to_lowercase() == wanted)
                .ok_or_else(|| meridian_core::Error::ChosenOptionUnknown(option.to_owned()))?;
            d.chosen_option = Some(found.id.clone());
            if let Some(r) = rationale {
                d.rationale = r;
            }
            Ok(())
        })
        .await
    }

    /// Objects of a kind, read whole (for export and derived views).
    pub async fn objects(&self, kind: Kind) -> Result<Vec<(DocId, Object)>, Error> {
        let mut out = Vec::new();
        for e in self.inner.store.list_blocking(Some(kind), false)? {
            out.push((e.id.clone(), self.show(&e.id).await?.object));
        }
        Ok(out)
    }
}

/// A fresh id for an item inside a document (an option, an agenda item, a message):
/// unique within its list, so concurrent inserts merge by identity.
pub fn item_id() -> String {
    let bytes: [u8; 4] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_option(o: NewOption) -> DecisionOption {
    DecisionOption {
        id: item_id(),
        title: o.title.trim().to_owned(),
        description: o.description,
        pros: o.pros,
        cons: o.cons,
    }
}

fn new_doc(actor: &automerge::ActorId) -> AutoCommit {
    // UTF-16 positions: what the webview and CodeMirror count.
    let mut doc = AutoCommit::new_with_encoding(TextEncoding::Utf16CodeUnit);
    doc.set_actor(actor.clone());
    doc
}

/// Runs `edit`; commits with `now` if it succeeds, rolls every operation back if not.
fn commit_or_rollback(
    doc: &mut AutoCommit,
    now_ms: i64,
    edit: impl FnOnce(&mut AutoCommit) -> Result<(), meridian_core::Error>,
) -> Result<(), Error> {
    match edit(doc) {
        Ok(()) => {
            doc.commit_with(CommitOptions::default().with_time(now_ms / 1000));
            Ok(())
        }
        Err(e) => {
            doc.rollback();
            Err(e.into())
        }
    }
}

fn read_actor(store: &Store) -> Result<automerge::ActorId, Error> {
    let hex = store
        .get_meta_blocking(meta::ACTOR)?
        .ok_or_else(|| Error::Metadata("this device's actor id is missing".into()))?;
    let id: DocId = hex
        .parse()
        .map_err(|e: meridian_core::Error| Error::Metadata(e.to_string()))?;
    let bytes: Vec<u8> = (0..16)
        .filter_map(|i| u8::from_str_radix(&id.as_str()[2 * i..2 * i + 2], 16).ok())
        .collect();
    Ok(automerge::ActorId::from(bytes))
}

/// A new object as the bytes and catalog row the store needs, built off the cache (used
/// for bulk imports, where documents are built on every core and written in one batch).
pub(crate) fn build_new<T: ObjectSchema>(
    actor: &automerge::ActorId,
    ctx: &meridian_core::Context<'_>,
    now_ms: i64,
    id: DocId,
    value: &T,
) -> Result<DocWrite, Error> {
    let mut doc = new_doc(actor);
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these short locks leaves plain data behind; keep going.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
