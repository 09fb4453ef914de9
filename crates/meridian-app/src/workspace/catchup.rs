//! Catch-up (DESIGN §2): what others changed since this device last looked, as far as it
//! concerns me; marking it seen (all of it, or one object); following objects; and the
//! notifications of @mentions. The rules are `meridian_core::views::catchup`; this module
//! finds the documents to show them and the versions to compare.
//!
//! **The seen mark is this device's, not synced.** It lives in the store's `meta` table:
//! `catchup_mark` is the store generation of the last "mark all as seen" (so a catch-up
//! looks only at documents changed since, through `heads_since`, never at every
//! document), and `catchup_seen:<id>` holds, for each document, the heads it had when it
//! was last seen. Invariant: every document changed after the mark has a seen row with
//! its heads at the mark (or none, if it did not exist then): the first mark writes a row
//! for every document, and each later mark rewrites the rows of the documents changed
//! since the one before. The changes of a document "since I looked" are then exactly the
//! changes its history has beyond those heads; those made by this device's own actor are
//! mine and do not count.
//!
//! **Follows sync**, as the member's own data: a root map `follows` (object id → bool)
//! in the member's document, beside the schema like the trash flag, so following on the
//! laptop also shows on the desktop. Other members can read it (as they read the rest of
//! a member's document); nothing else is written into the followed object.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue, Value};
use chrono::{DateTime, Utc};
use meridian_core::mentions::{Directory, Named};
use meridian_core::norms::utc_rfc3339;
use meridian_core::views::Notification;
use meridian_core::views::catchup::{self, CatchUpItem, Changed, Ctx};
use serde::Serialize;
use ts_rs::TS;

use super::*;

/// The store generation of the last "mark all as seen" (`store:n`).
const MARK: &str = "catchup_mark";
/// When the last "mark all as seen" happened, RFC 3339 UTC.
const MARKED_AT: &str = "catchup_marked_at";
/// Prefix of the per-document seen heads.
const SEEN: &str = "catchup_seen:";
/// The root key of a member document holding what they follow.
const FOLLOWS: &str = "follows";

/// The catch-up as shown: items in order, and how many of each group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CatchUpView {
    /// Since when: the last "mark all as seen" on this device (or `--since`), RFC 3339 UTC.
    pub since: Option<String>,
    /// Computed at, RFC 3339 UTC.
    pub at: String,
    pub count: u32,
    pub groups: Vec<CatchUpGroup>,
    pub items: Vec<CatchUpItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CatchUpGroup {
    pub group: String,
    pub label: String,
    pub count: u32,
}

/// Whether I follow an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Following {
    pub id: DocId,
    pub following: bool,
}

fn seen_key(id: &DocId) -> String {
    format!("{SEEN}{id}")
}

/// What the root `follows` map of a member document says: followed object ids. A value
/// this version does not understand reads as not followed; concurrent follow and unfollow
/// leave a conflict in which following wins (the same on every device).
fn follows_in(doc: &AutoCommit) -> Result<BTreeSet<String>, meridian_core::Error> {
    let mut out = BTreeSet::new();
    let Some((Value::Object(ObjType::Map), map)) = doc.get(ROOT, FOLLOWS)? else {
        return Ok(out);
    };
    for key in doc.keys(&map) {
        let on = doc.get_all(&map, key.as_str())?.into_iter().any(|(v, _)| {
            matches!(v, Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
        });
        if on {
            out.insert(key);
        }
    }
    Ok(out)
}

fn set_follow(doc: &mut AutoCommit, id: &str, on: bool) -> Result<(), meridian_core::Error> {
    let map = match doc.get(ROOT, FOLLOWS)? {
        Some((Value::Object(ObjType::Map), map)) => map,
        _ => doc.put_object(ROOT, FOLLOWS, ObjType::Map)?,
    };
    doc.put(&map, id, on)?;
    Ok(())
}

/// Heads as the history names a point: the hashes sorted, in hex, comma-separated.
fn point(heads: &[automerge::ChangeHash]) -> String {
    let mut sorted = heads.to_vec();
    sorted.sort_unstable();
    sorted
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// What the catch-up last read from each document: by (seen heads, current heads), both
/// as the store writes heads, its history beyond the seen heads. Reading a history means
/// walking its changes and reading the object at two versions; the sidebar asks again at
/// every event, and most documents have not changed since.
#[derive(Debug, Default)]
pub(super) struct Memo(Mutex<HashMap<DocId, MemoEntry>>);

type MemoEntry = ((String, String), Option<History>);

/// One document's changes beyond `seen`, read from its history.
#[derive(Debug, Clone)]
struct History {
    before: Option<Object>,
    after: Object,
    changes: usize,
    first_ms: i64,
    last_ms: i64,
    from_heads: String,
    heads: String,
}

impl Workspace {
    /// What others changed since this device's seen mark (or since `since`) that concerns
    /// me, grouped and ranked.
    pub async fn catch_up(&self, since: Option<DateTime<Utc>>) -> Result<CatchUpView, Error> {
        let at = self.at(None);
        let mark = self.ensure_catch_up_mark().await?;
        // Which documents to look at, and the heads each was seen at.
        let (candidates, since_label) = match since {
            Some(t) => {
                let t_ms = t.timestamp_millis();
                let ids: Vec<(DocId, Option<(String, String)>)> = self
                    .inner
                    .store
                    .read(move |s| s.list_blocking(None, false))
                    .await?
                    .into_iter()
                    .filter(|e| e.updated_at_ms >= t_ms && catchup::concerns(e.kind))
                    .map(|e| (e.id, None))
                    .collect();
                (ids, Some(utc_rfc3339(t)))
            }
            None => {
                let (g, marked_at) = mark;
                let rows = self
                    .inner
                    .store
                    .read(move |s| {
                        let changed = s.heads_since_blocking(g)?;
                        let mut out = Vec::new();
                        for (id, heads, trashed) in changed {
                            // The workspace document (whose index every new object
                            // changes), members and the charter concern nobody by
                            // themselves: not even opened.
                            let kind = s.entry_blocking(&id)?.map(|e| e.kind);
                            if trashed || !kind.is_some_and(catchup::concerns) {
                                continue;
                            }
                            let seen = s.get_meta_blocking(&seen_key(&id))?;
                            if seen.as_deref() == Some(heads.as_str()) {
                                continue;
                            }
                            out.push((id, Some((seen.unwrap_or_default(), heads))));
                        }
                        Ok::<_, Error>(out)
                    })
                    .await?;
                (rows, marked_at)
            }
        };
        let me = self.workspace_info().me.id;
        let follows = self.follows_of(&me).await?;
        self.prefetch(&candidates).await;
        let mut changed = Vec::new();
        for (id, seen) in candidates {
            let history = match seen {
                Some((seen, current)) => {
                    let key = (seen, current);
                    let memo = lock(&self.inner.catchup.0)
                        .get(&id)
                        .filter(|(k, _)| *k == key)
                        .map(|(_, h)| h.clone());
                    match memo {
                        Some(h) => Ok(h),
                        None => {
                            let h = self.history_beyond(&id, &key.0).await;
                            if let Ok(h) = &h {
                                lock(&self.inner.catchup.0).insert(id.clone(), (key, h.clone()));
                            }
                            h
                        }
                    }
                }
                None => self.history_since(&id, since.unwrap_or(at)).await,
            };
            match history {
                Ok(Some(h)) => changed.push(Changed {
                    followed: follows.contains(id.as_str()),
                    id: id.to_string(),
                    before: h.before,
                    after: h.after,
                    changes: h.changes,
                    first_ms: h.first_ms,
                    last_ms: h.last_ms,
                    from_heads: h.from_heads,
                    heads: h.heads,
                }),
                Ok(None) => {}
                // One unreadable document must not hide the rest of the catch-up.
                Err(error) => tracing::warn!(%id, %error, "left out of the catch-up"),
            }
        }
        let items = if changed.is_empty() {
            Vec::new()
        } else {
            let charter = self.charter_doc().await?.1;
            let people = self.people().await?;
            let directory =
                Directory::new(people.iter().map(|(id, p)| Named { id, name: p.name() }));
            let ctx = Ctx {
                charter: &charter,
                people: &people,
                me: me.as_str(),
                at,
                directory: &directory,
            };
            catchup::catch_up(&ctx, &changed)
        };
        let groups = catchup::group_counts(&items)
            .into_iter()
            .map(|(group, label, n)| CatchUpGroup {
                group,
                label,
                count: u32::try_from(n).unwrap_or(u32::MAX),
            })
            .collect();
        Ok(CatchUpView {
            since: since_label,
            at: utc_rfc3339(at),
            count: u32::try_from(items.len()).unwrap_or(u32::MAX),
            groups,
            items,
        })
    }

    /// Loads the documents the catch-up will read and the memo does not answer, a few at a
    /// time on the blocking threads (a new process reads each from SQLite): the reads
    /// themselves then find them open. A document that fails to load is reported when it
    /// is read.
    async fn prefetch(&self, candidates: &[(DocId, Option<(String, String)>)]) {
        const AT_ONCE: usize = 4;
        let todo: Vec<DocId> = {
            let memo = lock(&self.inner.catchup.0);
            let open = lock(&self.inner.docs);
            candidates
                .iter()
                .filter(|(id, key)| {
                    !open.contains_key(id)
                        && key
                            .as_ref()
                            .is_none_or(|k| memo.get(id).is_none_or(|(m, _)| m != k))
                })
                .map(|(id, _)| id.clone())
                .collect()
        };
        let mut tasks = tokio::task::JoinSet::new();
        for id in todo {
            if tasks.len() >= AT_ONCE {
                let _ = tasks.join_next().await;
            }
            let ws = self.clone();
            tasks.spawn(async move {
                let _ = ws.open_doc(&id).await;
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Marks one object seen at `heads` (what the catch-up showed; default: as it is now).
    pub async fn mark_seen(&self, id: &DocId, heads: Option<&str>) -> Result<(), Error> {
        self.ensure_catch_up_mark().await?;
        let heads = match heads.map(str::trim).filter(|h| !h.is_empty()) {
            // The point form the catch-up and the history print (`hash,hash`), or the
            // hashes run together.
            Some(h) => match heads_from_key(&h.replace(',', "")) {
                Some(heads) if !heads.is_empty() => meridian_store::heads_key(&heads),
                _ => return Err(Error::BadHeads(h.chars().take(200).collect())),
            },
            None => {
                let handle = self.open_doc(id).await?;
                let mut open = handle.lock().await;
                meridian_store::heads_key(&open.doc.get_heads())
            }
        };
        if !self.exists(id).await? {
            return Err(Error::NotFound(id.clone()));
        }
        self.inner.store.set_meta(&seen_key(id), &heads).await?;
        Ok(())
    }

    /// Marks everything seen: the catch-up is empty until others change something again.
    pub async fn mark_all_seen(&self) -> Result<(), Error> {
        let (g, _) = self.ensure_catch_up_mark().await?;
        // The rows first, then the mark: a document changed in between keeps an older
        // seen row and shows again (more, never less).
        let changed = self
            .inner
            .store
            .read(move |s| s.heads_since_blocking(g))
            .await?;
        let generation = self.inner.store.read(|s| s.generation_blocking()).await?;
        self.write_seen(changed).await?;
        self.write_mark(&generation.mark()).await
    }

    /// The generation of the mark and when it was set, setting it (everything seen as it
    /// is now) the first time this device looks.
    async fn ensure_catch_up_mark(&self) -> Result<(i64, Option<String>), Error> {
        let (generation, mark, marked_at) = self
            .inner
            .store
            .read(|s| {
                Ok::<_, Error>((
                    s.generation_blocking()?,
                    s.get_meta_blocking(MARK)?,
                    s.get_meta_blocking(MARKED_AT)?,
                ))
            })
            .await?;
        if let Some(n) = mark.as_deref().and_then(|m| generation.since(m)) {
            return Ok((n, marked_at));
        }
        // Never looked, or a mark of another database file (rebuilt after a loss): every
        // document is seen as it is now.
        let all = self.inner.store.read(|s| s.heads_blocking()).await?;
        self.write_seen(all).await?;
        self.write_mark(&generation.mark()).await?;
        let marked_at = self
            .inner
            .store
            .read(|s| s.get_meta_blocking(MARKED_AT))
            .await?;
        Ok((generation.n, marked_at))
    }

    async fn write_mark(&self, mark: &str) -> Result<(), Error> {
        self.inner
            .store
            .set_meta(MARKED_AT, &utc_rfc3339(self.at(None)))
            .await?;
        self.inner.store.set_meta(MARK, mark).await?;
        Ok(())
    }

    /// Writes seen rows, all queued at once so the store commits them in a few batches.
    async fn write_seen(&self, rows: Vec<(DocId, String, bool)>) -> Result<(), Error> {
        let mut tasks = tokio::task::JoinSet::new();
        for (id, heads, _) in rows {
            let store = self.inner.store.clone();
            tasks.spawn(async move { store.set_meta(&seen_key(&id), &heads).await });
        }
        while let Some(done) = tasks.join_next().await {
            done.map_err(|_| Error::Stopped)??;
        }
        Ok(())
    }

    /// The document's changes beyond the heads `seen` (empty: all of them), if others made
    /// any.
    async fn history_beyond(&self, id: &DocId, seen: &str) -> Result<Option<History>, Error> {
        let seen_heads = heads_from_key(seen).unwrap_or_default();
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        if !catchup::concerns(open.kind) {
            return Ok(None);
        }
        let doc = &mut open.doc;
        let heads = doc.get_heads();
        // Heads this history does not have (a seen row from before a recovery): start
        // from nothing rather than fail.
        let known = seen_heads
            .iter()
            .all(|h| doc.get_change_meta_by_hash(h).is_some());
        let base: Vec<automerge::ChangeHash> = if known { seen_heads } else { Vec::new() };
        let actor = &self.inner.actor;
        let (mut n, mut first, mut last) = (0usize, i64::MAX, i64::MIN);
        // My own changes that build only on what I had seen are seen too: the version
        // "before" includes them, so the diff shows what others did.
        let mut new: BTreeSet<automerge::ChangeHash> = BTreeSet::new();
        let mut mine: BTreeSet<automerge::ChangeHash> = BTreeSet::new();
        let mut covered: BTreeSet<automerge::ChangeHash> = BTreeSet::new();
        for c in doc.get_changes_meta(&base) {
            new.insert(c.hash);
            if c.actor.as_ref() != actor {
                n += 1;
                first = first.min(c.timestamp);
                last = last.max(c.timestamp);
            } else if c.deps.iter().all(|d| !new.contains(d) || mine.contains(d)) {
                mine.insert(c.hash);
                covered.extend(c.deps.iter().copied());
            }
        }
        if n == 0 {
            return Ok(None);
        }
        let seen: Vec<automerge::ChangeHash> = base
            .iter()
            .chain(&mine)
            .filter(|h| !covered.contains(h))
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // Read at the old heads in place: forking would rebuild the document.
        let before = if seen.is_empty() {
            None
        } else {
            meridian_core::history::read_any_at(doc.document(), &seen)
                .ok()
                .flatten()
        };
        let after = meridian_core::read_any(doc)?;
        Ok(Some(History {
            before,
            after,
            changes: n,
            first_ms: first.saturating_mul(1000),
            last_ms: last.saturating_mul(1000),
            from_heads: point(&seen),
            heads: point(&heads),
        }))
    }

    /// The document's changes made after `since` (by their authors' clocks): the version
    /// before is the one made of every change up to `since` and its dependencies.
    async fn history_since(
        &self,
        id: &DocId,
        since: DateTime<Utc>,
    ) -> Result<Option<History>, Error> {
        let cut = since.timestamp();
        let base = {
            let handle = self.open_doc(id).await?;
            let mut open = handle.lock().await;
            let mut kept: BTreeSet<automerge::ChangeHash> = BTreeSet::new();
            let mut depended: BTreeSet<automerge::ChangeHash> = BTreeSet::new();
            // Changes come in causal order: a change is kept when it was made by `since`
            // and everything it depends on is kept.
            for c in open.doc.get_changes_meta(&[]) {
                if c.timestamp <= cut && c.deps.iter().all(|d| kept.contains(d)) {
                    kept.insert(c.hash);
                    depended.extend(c.deps.iter().copied());
                }
            }
            kept.difference(&depended).copied().collect::<Vec<_>>()
        };
        self.history_beyond(id, &meridian_store::heads_key(&base))
            .await
    }

    /// Follows (or stops following) an object: its changes by others show in my catch-up.
    /// Synced, as part of my member document.
    pub async fn follow(&self, id: &DocId, on: bool) -> Result<Following, Error> {
        let entry = self
            .catalog_entry(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        if !catchup::concerns(entry.kind) {
            return Err(Error::NotFollowable {
                id: id.clone(),
                kind: entry.kind,
            });
        }
        let me = self.workspace_info().me.id;
        let handle = self.open_doc(&me).await?;
        let mut open = handle.lock().await;
        if follows_in(&open.doc)?.contains(id.as_str()) != on {
            let member: Member = meridian_core::read(&open.doc)?;
            self.apply(&mut open, |doc, _| set_follow(doc, id.as_str(), on))?;
            let summary = self.persist(&me, &mut open, &member).await?;
            drop(open);
            let _ = self.inner.events.send(Event::ObjectChanged { summary });
        }
        Ok(Following {
            id: id.clone(),
            following: on,
        })
    }

    /// Whether I follow `id`.
    pub async fn following(&self, id: &DocId) -> Result<Following, Error> {
        let me = self.workspace_info().me.id;
        Ok(Following {
            id: id.clone(),
            following: self.follows_of(&me).await?.contains(id.as_str()),
        })
    }

    async fn follows_of(&self, member: &DocId) -> Result<BTreeSet<String>, Error> {
        let handle = self.open_doc(member).await?;
        let open = handle.lock().await;
        Ok(follows_in(&open.doc)?)
    }

    /// The notifications of @mentions of me waiting in my catch-up that are shown in
    /// `(since, until]`, held by my focus blocks and quiet hours like every notification.
    pub(super) async fn mention_notifications(
        &self,
        snap: &super::views::Snapshot,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Notification>, Error> {
        let me = self.workspace_info().me.id;
        let Some(person) = snap.people.get(me.as_str()) else {
            return Ok(Vec::new());
        };
        let view = self.catch_up(None).await?;
        Ok(catchup::mention_notifications(
            &view.items,
            person,
            &snap.charter,
            since,
            until,
        ))
    }
}

impl Workspace {
    /// Test hook: writes `change` of an object (a new one when `id` is `None`) as another
    /// device would, under its own Automerge actor (`device` repeated) and with its commit
    /// time `at_ms`, and merges it the way sync merges a remote change. Returns the id.
    #[doc(hidden)]
    pub async fn write_as_device_for_tests<T: ObjectSchema>(
        &self,
        device: u8,
        id: Option<&DocId>,
        at_ms: i64,
        change: impl FnOnce(Option<T>) -> T,
    ) -> Result<DocId, Error> {
        let (id, mut doc) = match id {
            Some(id) => {
                let bytes = self.automerge_bytes(id).await?;
                let doc = AutoCommit::load_with_options(
                    &bytes,
                    automerge::LoadOptions::new().text_encoding(TextEncoding::Utf16CodeUnit),
                )
                .map_err(meridian_core::Error::from)?;
                (id.clone(), doc)
            }
            None => (
                fresh_id(),
                AutoCommit::new_with_encoding(TextEncoding::Utf16CodeUnit),
            ),
        };
        doc.set_actor(automerge::ActorId::from([device; 16]));
        let before = doc.get_heads();
        let current = if before.is_empty() {
            None
        } else {
            Some(meridian_core::read::<T>(&doc)?)
        };
        let value = change(current);
        self.with_context(|ctx| {
            commit_or_rollback(&mut doc, at_ms, |d| meridian_core::write(d, &value, ctx))
        })?;
        let bytes = doc.save_after(&before);
        self.merge_changes_for_tests(&id, &bytes).await?;
        Ok(id)
    }
}
