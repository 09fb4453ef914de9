//! The `Workspace` handle: one open workspace on this device.
//!
//! `mod.rs` opens and creates workspaces; `documents.rs` is the one path every change takes
//! (validate, commit, persist, announce); `remote.rs` merges changes from other devices.
//! The other files are features, cut the same way as the desktop commands and the tests:
//! `pages.rs`, `decisions.rs`, `tasks.rs`, `members.rs` (names, calendars), `threads.rs`
//! (reply-by clocks), `meetings/` (scheduling, agenda, outcome), `checkins.rs`, `charter.rs`
//! (the charter and its changes), `views.rs` (inbox, team clock, notifications), `links.rs`,
//! `search.rs` and `trash.rs`. The rules they apply are pure functions in `meridian_core`
//! (`time`, `norms`, `views`); these files load the documents the rules read and write what
//! they decide.

mod catchup;
mod charter;
mod checkins;
mod decisions;
mod documents;
mod files;
mod history;
mod links;
mod meetings;
mod members;
mod merged;
mod pages;
mod paths;
mod previews;
mod recover;
mod remote;
mod search;
mod tasks;
mod threads;
mod trash;
mod views;
mod work;

pub use catchup::{CatchUpGroup, CatchUpView, Following};
pub use decisions::item_id;
pub(crate) use files::heads_from_key;
pub use history::{CURRENT, HISTORY_PAGE, HistoryEntry, HistoryPage, Version, VersionDiff};
pub use merged::{MergeEntry, MergeReport};
pub use previews::PagePreview;
pub use recover::RecoveryReport;
pub use trash::{TRASH_GUARD, TrashedObject};
pub use views::Snapshot;
pub use work::Work;

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
    /// The search index (a cache of the store), opened on first use; `None` when its
    /// folder is unusable.
    search: tokio::sync::OnceCell<Option<meridian_search::SearchIndex>>,
    /// Documents waiting to be indexed by the background indexer.
    search_queue: Mutex<Option<tokio::sync::mpsc::UnboundedSender<search::IndexerMsg>>>,
    /// This device's Automerge actor, the author of every change made here.
    actor: automerge::ActorId,
    /// Sync state (`sync.db`, keys, membership, running sessions' nudges), shared by every
    /// clone; `meridian_net` opens it on first use.
    sync: Arc<meridian_net::SyncClient>,
    /// What each document links to, and the page tree (see `links`).
    links: links::LinkCache,
    /// Change metadata and entry summaries of recently read histories (see `history`).
    history: history::HistoryCache,
    /// Counters of work that grows with a document's size (tests, benches).
    work: work::Counters,
    /// What the catch-up read from each document's history, by its seen and current heads.
    catchup: catchup::Memo,
}

#[derive(Debug)]
struct OpenDoc {
    kind: Kind,
    doc: AutoCommit,
    /// Heads the store holds for this document.
    persisted: Vec<ChangeHash>,
    chunks_since_snapshot: usize,
    /// Whether the catalog holds it as trashed (the document's own flag decides at each
    /// write; see `persist_as`).
    trashed: bool,
}

/// The meta keys this crate keeps in the store.
mod meta {
    pub const WORKSPACE: &str = "workspace_id";
    pub const ME: &str = "member_id";
    pub const ACTOR: &str = "actor_id";
    /// Up to which instant this device has shown notifications.
    pub const NOTIFIED: &str = "notified_until";
    /// Set once documents trashed before the trash lived in the document carry the flag.
    pub const TRASH_IN_DOCS: &str = "trash_in_documents";
}

fn fresh_id() -> DocId {
    DocId::from_bytes(rand::random())
}

pub(crate) fn rfc3339(ms: i64) -> String {
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

/// [`open_store`] on a blocking thread: opening runs `PRAGMA quick_check` over the whole
/// database and may migrate it.
async fn open_store_async(data_dir: &Path) -> Result<Store, Error> {
    let dir = data_dir.to_owned();
    tokio::task::spawn_blocking(move || open_store(&dir))
        .await
        .map_err(|_| Error::Stopped)?
}

fn read_id(store: &Store, key: &str) -> Result<Option<DocId>, Error> {
    store
        .get_meta_blocking(key)?
        .map(|v| {
            v.parse::<DocId>()
                .map_err(|e| Error::Metadata(e.to_string()))
        })
        .transpose()
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

        let store = open_store_async(data_dir).await?;
        let actor: [u8; 16] = rand::random();
        store
            .set_meta(meta::ACTOR, &DocId::from_bytes(actor).to_string())
            .await?;
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
        ws.inner.store.set_meta(meta::ME, me_id.as_str()).await?;
        ws.inner
            .store
            .set_meta(meta::WORKSPACE, ws_id.as_str())
            .await?;
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
        Self::open_inner(data_dir, clock, true).await
    }

    /// Opens the workspace; with `check_sync`, a damaged, lost or half-restored `sync.db`
    /// is an error (the recovery opens without, once it prepared `sync.db`).
    async fn open_inner(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        check_sync: bool,
    ) -> Result<Workspace, Error> {
        if !data_dir.join(DB_FILE).exists() {
            return Err(Error::NotInitialised(data_dir.to_owned()));
        }
        let store = open_store_async(data_dir)
            .await
            .map_err(|e| recover::damaged(data_dir, e))?;
        let ids = store
            .read(|s| Ok::<_, Error>((read_id(s, meta::WORKSPACE)?, read_id(s, meta::ME)?)))
            .await
            .map_err(|e| recover::damaged(data_dir, e))?;
        let (Some(ws_id), Some(me_id)) = ids else {
            // `create` writes these last: their absence means it was interrupted.
            return Err(Error::UnfinishedCreate(data_dir.join(DB_FILE)));
        };
        if check_sync {
            recover::check_sync_at_open(data_dir).await?;
        }
        let ws = Workspace::assemble(store, clock, ws_id, me_id)?;
        ws.refresh_context()
            .await
            .map_err(|e| recover::damaged(data_dir, e))?;
        ws.carry_trash_into_documents().await;
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

    /// A workspace being joined: its store exists and its documents arrive by sync;
    /// [`Workspace::finish_join`] makes it one `open` accepts.
    pub(crate) fn begin_join(
        data_dir: &Path,
        ws_id: DocId,
        clock: Arc<dyn Clock>,
    ) -> Result<Workspace, Error> {
        let store = open_store(data_dir)?;
        if store.get_meta_blocking(meta::WORKSPACE)?.is_some() {
            return Err(Error::AlreadyInitialised(data_dir.to_owned()));
        }
        if store.get_meta_blocking(meta::ACTOR)?.is_none() {
            let actor: [u8; 16] = rand::random();
            store.set_meta_blocking(meta::ACTOR, &DocId::from_bytes(actor).to_string())?;
        }
        Workspace::assemble(store, clock, ws_id, fresh_id())
    }

    /// Ends a join: this device acts as member `me` from now on.
    pub(crate) async fn finish_join(&self, me: DocId) -> Result<(), Error> {
        lock(&self.inner.info).me.id = me.clone();
        self.refresh_context().await?;
        // Written last, as in `create`.
        self.inner.store.set_meta(meta::ME, me.as_str()).await?;
        self.inner
            .store
            .set_meta(meta::WORKSPACE, self.inner.workspace_doc.as_str())
            .await?;
        Ok(())
    }

    /// Whether `data_dir` holds a workspace `open` accepts.
    pub(crate) fn is_initialised(data_dir: &Path) -> Result<bool, Error> {
        if !data_dir.join(DB_FILE).exists() {
            return Ok(false);
        }
        Ok(open_store(data_dir)?
            .get_meta_blocking(meta::WORKSPACE)?
            .is_some())
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
        let ws = Workspace {
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
                search: tokio::sync::OnceCell::new(),
                search_queue: Mutex::new(None),
                actor,
                sync: Arc::default(),
                links: Mutex::default(),
                history: Default::default(),
                work: work::Counters::default(),
                catchup: catchup::Memo::default(),
            }),
        };
        *lock(&ws.inner.search_queue) = search::start_indexer(&ws.inner);
        Ok(ws)
    }

    /// Reloads what validation needs to know: the member list, the charter's kinds, and
    /// the names shown in [`WorkspaceInfo`].
    async fn refresh_context(&self) -> Result<(), Error> {
        let members: BTreeSet<String> = self
            .inner
            .store
            .read(|s| s.list_blocking(Some(Kind::Member), false))
            .await?
            .into_iter()
            .map(|e| e.id.to_string())
            .collect();
        *lock(&self.inner.members) = members;
        let (name, charter) = self.workspace_head().await?;
        if let Some(charter) = charter {
            let charter: Charter = self.get(&charter).await?;
            *lock(&self.inner.message_kinds) = charter.message_kinds;
        }
        let me_id = lock(&self.inner.info).me.id.clone();
        let me: Member = self.get(&me_id).await?;
        let mut info = lock(&self.inner.info);
        info.name = name;
        info.me.name = me.display_name;
        info.me.tz = me.tz;
        Ok(())
    }

    pub fn workspace_info(&self) -> WorkspaceInfo {
        lock(&self.inner.info).clone()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The sync runtime over this workspace's documents.
    pub(crate) fn net(&self) -> meridian_net::Net<Workspace> {
        meridian_net::Net::new(self.inner.sync.clone(), self.clone())
    }

    /// The folder holding this workspace's files.
    pub fn data_dir(&self) -> PathBuf {
        self.inner
            .store
            .path()
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default()
    }

    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// `at`, or now by this workspace's clock.
    fn at(&self, at: Option<chrono::DateTime<chrono::Utc>>) -> chrono::DateTime<chrono::Utc> {
        at.unwrap_or_else(|| meridian_core::norms::from_ms(self.now_ms()))
    }

    /// Changes to the workspace, announced once durable.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these short locks leaves plain data behind; keep going.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
