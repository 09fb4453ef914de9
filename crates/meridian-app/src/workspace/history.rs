//! History and restore for every object: the timeline of an object's changes (who, when,
//! from which device, what changed), the object as it was at any point, the difference
//! between two points, and "restore this version" as a new edit that syncs.
//!
//! Authorship: each device writes with its own Automerge actor, and the first change an
//! actor makes in a document carries the member id as its Automerge author (the change's
//! author footer), so every device reads who wrote what from the document itself, after
//! sync, checkpoints and compaction alike. Changes written before this existed, or by the
//! mirror's merge forks, read as "unknown" with their device.
//!
//! The grouping into entries, points and differences are pure functions in
//! `meridian_core::history`; this file reads the document and names the authors.
//! Other features (catch-up, what merged) use [`Workspace::object_at_heads`],
//! [`Workspace::diff_heads`] and [`Workspace::restore_version`].

use std::collections::HashMap;

use automerge::{Author, ChangeHash};
use meridian_core::history::{
    self, ChangeSummary, Changes, FieldChange, PointError, PointSpec, RESTORE_MESSAGE,
};
use serde::Serialize;
use ts_rs::TS;

use super::*;

/// How many entries a history page holds unless asked otherwise.
pub const HISTORY_PAGE: usize = 20;
/// The point that names the object as it is now.
pub const CURRENT: &str = "current";
/// The point before the first change, in a diff (`diff ID start POINT`).
const START: &str = "start";

/// One entry of an object's timeline: consecutive changes of one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HistoryEntry {
    /// The version right after this entry: what "show", "diff" and "restore" take.
    pub point: String,
    /// The version right before it; `None` for the entry that created the object.
    pub before: Option<String>,
    /// The Automerge changes it groups.
    pub changes: u32,
    /// Member id of the author, when the changes say.
    pub author: Option<String>,
    /// The author's display name, or "unknown" when no member is recorded.
    pub author_name: String,
    /// The device that wrote it (the first 8 hex digits of its Automerge actor).
    pub device: String,
    pub this_device: bool,
    /// When its first and last change were made, RFC 3339 in my time zone; `None` when
    /// they carry no time.
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub created: bool,
    /// The point this entry restored, when it was a restore.
    pub restored_from: Option<String>,
    pub summary: ChangeSummary,
}

/// A page of an object's timeline, newest entry first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HistoryPage {
    pub id: DocId,
    pub entries: Vec<HistoryEntry>,
    /// Entries in the whole timeline, and Automerge changes behind them.
    pub total_entries: u32,
    pub total_changes: u32,
    /// The offset of the next (older) page, if any.
    pub next: Option<u32>,
}

/// The object as it was at a point (read-only).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Version {
    pub id: DocId,
    /// The point, as full change hashes.
    pub point: String,
    /// When its newest change was made (RFC 3339, UTC), if known.
    pub at: Option<String>,
    pub object: Object,
}

/// The difference between two points, field by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VersionDiff {
    pub id: DocId,
    pub from: String,
    pub to: String,
    pub changes: Vec<FieldChange>,
}

impl Workspace {
    // ----- authorship -----

    /// The author this device records: its member id.
    pub(super) fn author(&self) -> Author<'static> {
        Author::from(lock(&self.inner.info).me.id.as_str().as_bytes().to_vec())
    }

    /// Makes `doc` record this member as the author of this device's actor (written into
    /// the actor's first change in the document), keeping the device's actor.
    pub(super) fn stamp_author(&self, doc: &mut AutoCommit) {
        let author = self.author();
        if doc.get_author() != Some(&author) {
            // Setting an author picks a fresh actor; this device keeps its own.
            doc.set_author(Some(author));
            doc.set_actor(self.inner.actor.clone());
        }
    }

    // ----- reading history -----

    /// The timeline of `id`, newest entry first: `limit` entries from `offset`.
    pub async fn history(
        &self,
        id: &DocId,
        offset: usize,
        limit: usize,
    ) -> Result<HistoryPage, Error> {
        let names = self.author_names().await?;
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        let doc = open.doc.document();
        let changes = self.inner.history.changes(id, doc);
        let spans = history::group(&changes.changes);
        let total = spans.len();
        // Newest first: the page is spans[total - offset - limit .. total - offset].
        let end = total.saturating_sub(offset);
        let start = end.saturating_sub(limit.max(1));
        let page = &spans[start..end];
        let mut ends: Vec<usize> = vec![page.first().map_or(0, |s| s.start)];
        ends.extend(page.iter().map(|s| s.end));
        let heads = changes.prefix_heads(&ends);
        let summaries = self.inner.history.summaries(doc, &heads)?;
        let me_actor = self.inner.actor.to_hex_string();
        let tz: Option<chrono_tz::Tz> = lock(&self.inner.info).me.tz.parse().ok();
        // On my clock: RFC 3339 with my zone's offset.
        let time = |ms: i64| {
            (ms != 0).then(|| match (tz, chrono::DateTime::from_timestamp_millis(ms)) {
                (Some(tz), Some(t)) => t
                    .with_timezone(&tz)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                _ => history::rfc3339(ms),
            })
        };
        let mut entries = Vec::with_capacity(page.len());
        for (k, span) in page.iter().enumerate() {
            let run = &changes.changes[span.start..span.end];
            let first = &run[0];
            let actor = &changes.actors[first.actor];
            let Some(summary) = summaries[k].clone() else {
                continue;
            };
            let created = heads[k].is_empty();
            let started = run.iter().map(|c| c.time_ms).find(|t| *t != 0);
            let ended = run.iter().rev().map(|c| c.time_ms).find(|t| *t != 0);
            entries.push(HistoryEntry {
                point: history::point_id(&heads[k + 1]),
                before: (!created).then(|| history::point_id(&heads[k])),
                changes: u32::try_from(run.len()).unwrap_or(u32::MAX),
                author: actor.author.clone(),
                author_name: actor
                    .author
                    .as_ref()
                    .and_then(|a| names.get(a).cloned())
                    .unwrap_or_else(|| "unknown".to_owned()),
                device: actor.actor.chars().take(8).collect(),
                this_device: actor.actor == me_actor,
                started_at: started.and_then(&time),
                ended_at: ended.and_then(&time),
                created,
                restored_from: first
                    .message
                    .as_deref()
                    .and_then(|m| m.strip_prefix(RESTORE_MESSAGE))
                    .map(str::to_owned),
                summary,
            });
        }
        entries.reverse();
        let total_changes = changes.len();
        self.inner.history.keep(id, doc, changes);
        Ok(HistoryPage {
            id: id.clone(),
            entries,
            total_entries: u32::try_from(total).unwrap_or(u32::MAX),
            total_changes: u32::try_from(total_changes).unwrap_or(u32::MAX),
            next: (start > 0).then(|| u32::try_from(offset + (end - start)).unwrap_or(u32::MAX)),
        })
    }

    /// The object `id` as it was at `point`: change ids from its history (unique prefixes
    /// of 6+ hex digits, comma-joined), an RFC 3339 instant (every change made by then),
    /// or `current`.
    pub async fn object_at(&self, id: &DocId, point: &str) -> Result<Version, Error> {
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        let doc = open.doc.document();
        let heads = resolve(&self.inner.history, id, doc, point)?;
        version(id, doc, &heads)
    }

    /// [`Workspace::object_at`] for heads the caller already has (catch-up, what merged).
    pub async fn object_at_heads(
        &self,
        id: &DocId,
        heads: &[ChangeHash],
    ) -> Result<Version, Error> {
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        let doc = open.doc.document();
        if let Some(missing) = heads
            .iter()
            .find(|h| doc.get_change_meta_by_hash(h).is_none())
        {
            return Err(PointError::Unknown(missing.to_string()).into());
        }
        version(id, doc, heads)
    }

    /// The difference from point `from` to point `to` (either may be `current`).
    pub async fn diff_versions(
        &self,
        id: &DocId,
        from: &str,
        to: &str,
    ) -> Result<VersionDiff, Error> {
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        let doc = open.doc.document();
        let (a, b) = (
            resolve(&self.inner.history, id, doc, from)?,
            resolve(&self.inner.history, id, doc, to)?,
        );
        diff_in(id, doc, &a, &b)
    }

    /// [`Workspace::diff_versions`] for heads the caller already has; empty `from` means
    /// "before the object existed".
    pub async fn diff_heads(
        &self,
        id: &DocId,
        from: &[ChangeHash],
        to: &[ChangeHash],
    ) -> Result<VersionDiff, Error> {
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        let doc = open.doc.document();
        for h in from.iter().chain(to) {
            if doc.get_change_meta_by_hash(h).is_none() {
                return Err(PointError::Unknown(h.to_string()).into());
            }
        }
        diff_in(id, doc, from, to)
    }

    // ----- restoring -----

    /// Restores `id` to how it was at `point`, as a new edit by this device: fields set
    /// back, prose turned back into the old text by splices (so edits others make
    /// meanwhile elsewhere in the text merge), through the same validation, commit and
    /// persist as any edit. The restore is an entry of the history; nothing is rewritten.
    pub async fn restore_version(&self, id: &DocId, point: &str) -> Result<ObjectSummary, Error> {
        let mut open = self.open_doc(id).await?.lock_owned().await;
        let doc = open.doc.document();
        let heads = resolve(&self.inner.history, id, doc, point)?;
        let old = version(id, doc, &heads)?.object;
        let current = meridian_core::read_any(&open.doc)?;
        if old.kind() != current.kind() {
            return Err(Error::WrongKind {
                id: id.clone(),
                expected: current.kind(),
                found: old.kind(),
            });
        }
        let target = history::restored(&old, &current);
        let kind = target.kind();
        let (title, status) = (target.title().to_owned(), target.status());
        self.stamp_author(&mut open.doc);
        let now = self.now_ms();
        let message = format!("{RESTORE_MESSAGE}{}", history::point_id(&heads));
        self.with_context(|ctx| match write_object(&mut open.doc, &target, ctx) {
            Ok(()) => {
                open.doc.commit_with(
                    CommitOptions::default()
                        .with_time(now / 1000)
                        .with_message(message),
                );
                Ok(())
            }
            Err(e) => {
                open.doc.rollback();
                Err(Error::from(e))
            }
        })?;
        let summary = self.persist_as(id, &mut open, kind, &title, status).await?;
        drop(open);
        if matches!(kind, Kind::Workspace | Kind::Member | Kind::Charter) {
            self.refresh_context().await?;
        }
        let _ = self.inner.events.send(Event::ObjectChanged {
            summary: summary.clone(),
        });
        Ok(summary)
    }

    /// Member id → display name, from the catalog.
    async fn author_names(&self) -> Result<HashMap<String, String>, Error> {
        Ok(self
            .list_objects(Some(Kind::Member), true)
            .await?
            .into_iter()
            .map(|m| (m.id.to_string(), m.title))
            .collect())
    }
}

/// The heads `point` names in `doc` (document `id`).
fn resolve(
    cache: &HistoryCache,
    id: &DocId,
    doc: &automerge::Automerge,
    point: &str,
) -> Result<Vec<ChangeHash>, Error> {
    if point.trim().eq_ignore_ascii_case(CURRENT) {
        return Ok(doc.get_heads());
    }
    // Before the object existed: what its first entry did is everything it holds.
    if point.trim().eq_ignore_ascii_case(START) {
        return Ok(Vec::new());
    }
    let spec = history::parse_point(point)?;
    // A full hash is looked up directly: no need to read every change's metadata.
    if let PointSpec::Changes(parts) = &spec
        && parts.iter().all(|p| p.len() == 64)
    {
        let mut heads = Vec::new();
        for p in parts {
            let hash: ChangeHash = p
                .parse()
                .map_err(|_| PointError::Malformed(point.to_owned()))?;
            if doc.get_change_meta_by_hash(&hash).is_none() {
                return Err(PointError::Unknown(p.clone()).into());
            }
            heads.push(hash);
        }
        heads.sort_unstable();
        heads.dedup();
        return Ok(heads);
    }
    let changes = cache.changes(id, doc);
    let heads = history::resolve_point(&changes, &spec);
    cache.keep(id, doc, changes);
    Ok(heads?)
}

fn version(id: &DocId, doc: &automerge::Automerge, heads: &[ChangeHash]) -> Result<Version, Error> {
    let object = meridian_core::history::read_any_at(doc, heads)?
        .ok_or_else(|| PointError::Unknown(history::point_id(heads)))?;
    let at = heads
        .iter()
        .filter_map(|h| doc.get_change_meta_by_hash(h))
        .map(|m| m.timestamp.saturating_mul(1000))
        .max()
        .filter(|t| *t != 0)
        .map(history::rfc3339);
    Ok(Version {
        id: id.clone(),
        point: history::point_id(heads),
        at,
        object,
    })
}

fn diff_in(
    id: &DocId,
    doc: &automerge::Automerge,
    from: &[ChangeHash],
    to: &[ChangeHash],
) -> Result<VersionDiff, Error> {
    let old = if from.is_empty() {
        None
    } else {
        meridian_core::history::read_any_at(doc, from)?
    };
    let new = meridian_core::history::read_any_at(doc, to)?
        .ok_or_else(|| PointError::Unknown(history::point_id(to)))?;
    Ok(VersionDiff {
        id: id.clone(),
        from: history::point_id(from),
        to: history::point_id(to),
        changes: history::diff_objects(old.as_ref(), &new),
    })
}

/// Validates and writes any object into its document (the caller commits).
fn write_object(
    doc: &mut AutoCommit,
    value: &Object,
    ctx: &meridian_core::Context<'_>,
) -> Result<(), meridian_core::Error> {
    use meridian_core::write;
    match value {
        Object::Workspace(o) => write(doc, o, ctx),
        Object::Member(o) => write(doc, o, ctx),
        Object::Charter(o) => write(doc, o, ctx),
        Object::Page(o) => write(doc, o, ctx),
        Object::Decision(o) => write(doc, o, ctx),
        Object::Meeting(o) => write(doc, o, ctx),
        Object::Thread(o) => write(doc, o, ctx),
        Object::Checkin(o) => write(doc, o, ctx),
        Object::Task(o) => write(doc, o, ctx),
    }
}

/// What the timeline keeps between calls: the change metadata of the documents whose
/// history was read last (brought up to date by reading only newer changes), and what each
/// entry changed, by the versions before and after it (a pure function of the two, so it
/// never goes stale). Opening the History panel again, or a reload while someone types,
/// then costs the new entries only.
#[derive(Debug, Default)]
pub(super) struct HistoryCache {
    /// Per document: the heads the changes were read at, and the changes.
    docs: Mutex<Vec<(DocId, Vec<ChangeHash>, Changes)>>,
    summaries: Mutex<HashMap<Between, Option<ChangeSummary>>>,
}

/// Two versions, by their heads: before and after an entry.
type Between = (Vec<ChangeHash>, Vec<ChangeHash>);

/// Documents whose change metadata is kept.
const CACHED_DOCS: usize = 4;
/// Entry summaries kept (small: field names and two counts each).
const CACHED_SUMMARIES: usize = 20_000;

impl HistoryCache {
    /// The changes of `doc`, from the cache when it has them (taken out: give them back with
    /// [`HistoryCache::keep`]).
    fn changes(&self, id: &DocId, doc: &automerge::Automerge) -> Changes {
        let cached = {
            let mut docs = lock(&self.docs);
            docs.iter()
                .position(|(d, _, _)| d == id)
                .map(|i| docs.remove(i))
        };
        if let Some((_, since, mut changes)) = cached
            && (since == doc.get_heads() || changes.extend(doc, &since))
        {
            return changes;
        }
        Changes::of(doc)
    }

    /// Keeps `changes`, read from `doc` (at its current heads).
    fn keep(&self, id: &DocId, doc: &automerge::Automerge, changes: Changes) {
        let heads = doc.get_heads();
        let mut docs = lock(&self.docs);
        docs.retain(|(d, _, _)| d != id);
        if docs.len() >= CACHED_DOCS {
            docs.remove(0);
        }
        docs.push((id.clone(), heads, changes));
    }

    /// What changed from each version in `heads` to the next (`None`: nothing to show, the
    /// document held no object after it). Versions not summarised before are read in
    /// parallel.
    fn summaries(
        &self,
        doc: &automerge::Automerge,
        heads: &[Vec<ChangeHash>],
    ) -> Result<Vec<Option<ChangeSummary>>, Error> {
        let pairs = heads.len().saturating_sub(1);
        let mut out: Vec<Option<Option<ChangeSummary>>> = {
            let cache = lock(&self.summaries);
            (0..pairs)
                .map(|k| {
                    cache
                        .get(&(heads[k].clone(), heads[k + 1].clone()))
                        .cloned()
                })
                .collect()
        };
        // The versions the missing summaries need.
        let mut wanted: Vec<usize> = Vec::new();
        for (k, s) in out.iter().enumerate() {
            if s.is_none() {
                wanted.extend([k, k + 1]);
            }
        }
        wanted.dedup();
        let read = |k: &usize| -> Result<(usize, Option<Object>), Error> {
            let v = if heads[*k].is_empty() {
                None
            } else {
                meridian_core::history::read_any_at(doc, &heads[*k])?
            };
            Ok((*k, v))
        };
        // Reading a version walks the whole document: use both cores on a long history.
        let mut versions: HashMap<usize, Option<Object>> = HashMap::new();
        if wanted.len() >= 4 {
            let (a, b) = wanted.split_at(wanted.len() / 2);
            let (ra, rb) = std::thread::scope(|scope| {
                let other = scope.spawn(|| b.iter().map(read).collect::<Vec<_>>());
                let here = a.iter().map(read).collect::<Vec<_>>();
                (here, other.join())
            });
            let rb = rb.map_err(|_| Error::Stopped)?;
            for r in ra.into_iter().chain(rb) {
                let (k, v) = r?;
                versions.insert(k, v);
            }
        } else {
            for k in &wanted {
                let (k, v) = read(k)?;
                versions.insert(k, v);
            }
        }
        let mut cache = lock(&self.summaries);
        if cache.len() + pairs > CACHED_SUMMARIES {
            cache.clear();
        }
        for (k, slot) in out.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            let before = versions.get(&k).and_then(Option::as_ref);
            let summary = versions
                .get(&(k + 1))
                .and_then(Option::as_ref)
                .map(|after| history::summarize(&history::diff_objects(before, after)));
            cache.insert((heads[k].clone(), heads[k + 1].clone()), summary.clone());
            *slot = Some(summary);
        }
        Ok(out.into_iter().map(Option::flatten).collect())
    }
}
