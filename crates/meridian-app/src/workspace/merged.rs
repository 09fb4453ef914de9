//! What merged: the objects a sync changed concurrently with this device's own offline
//! edits, what each side did, and bringing back text a side lost as a new edit.
//!
//! `remote.rs` calls [`concurrent_sides`] after every merge: two comparisons of heads, so
//! a sync where nothing concurrent happened (the common case) pays nothing more. Only
//! when this device's heads survive the merge beside the new ones — the remote changes
//! did not build on them — are the four points found and handed to
//! [`meridian_core::merged::analyze`]. Reports are kept on this device only (the store's
//! meta table), until dismissed: each device reports what it saw.

use std::collections::HashSet;

use meridian_core::merged::{MergeHeads, MergeItem, Side};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::*;

/// The meta key holding the reports (JSON).
const REPORTS: &str = "merge_reports";

/// Updates of the reports are read-modify-write of one meta value.
static REPORTS_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a merge did to one object, kept until dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MergeReport {
    pub object: DocId,
    pub kind: Kind,
    pub title: String,
    /// When the last merge of this object was reported, RFC 3339 UTC.
    pub at: String,
    pub entries: Vec<MergeEntry>,
}

/// One thing a merge did, with the points of history it was read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MergeEntry {
    pub item: MergeItem,
    pub heads: MergeHeads,
    /// The sides whose lost work can be brought back (empty when nothing was lost).
    pub restorable: Vec<Side>,
    /// Sides already brought back from this report.
    pub restored: Vec<Side>,
}

/// The four points of a merge that met this device's own changes, or `None` (cheaply,
/// from heads alone in the common case) when the remote changes built on everything this
/// device had, or when none of the concurrent local changes were made on this device.
pub(super) fn concurrent_sides(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    me: &automerge::ActorId,
) -> Option<MergeHeads> {
    let after = doc.get_heads();
    if before.is_empty() || after == before || !before.iter().any(|h| after.contains(h)) {
        return None;
    }
    // The changes that arrived, and what they were built on.
    let arrived: Vec<(ChangeHash, Vec<ChangeHash>)> = doc
        .get_changes_meta(before)
        .into_iter()
        .map(|m| (m.hash, m.deps))
        .collect();
    let new: HashSet<ChangeHash> = arrived.iter().map(|(h, _)| *h).collect();
    let mut known: Vec<ChangeHash> = arrived
        .iter()
        .flat_map(|(_, deps)| deps.iter().copied())
        .filter(|d| !new.contains(d))
        .collect();
    known.sort();
    known.dedup();
    if known.is_empty() {
        return None;
    }
    let base = reduce(doc, known);
    let mine_only = doc
        .get_changes_meta(&base)
        .into_iter()
        .any(|m| !new.contains(&m.hash) && m.actor.as_ref() == me);
    if !mine_only {
        return None;
    }
    let depended: HashSet<ChangeHash> = arrived
        .iter()
        .flat_map(|(_, deps)| deps.iter().copied())
        .collect();
    let mut theirs: Vec<ChangeHash> = arrived
        .iter()
        .map(|(h, _)| *h)
        .filter(|h| !depended.contains(h))
        .chain(base.iter().copied())
        .collect();
    theirs.sort();
    theirs.dedup();
    let theirs = reduce(doc, theirs);
    Some(MergeHeads::new(&base, before, &theirs, &after))
}

/// `hashes` without those that are ancestors of another (the heads of what they cover).
fn reduce(doc: &mut AutoCommit, hashes: Vec<ChangeHash>) -> Vec<ChangeHash> {
    if hashes.len() < 2 {
        return hashes;
    }
    let mut ancestors = HashSet::new();
    for h in &hashes {
        let not_below: HashSet<ChangeHash> = doc
            .get_changes_meta(&[*h])
            .into_iter()
            .map(|m| m.hash)
            .collect();
        for other in &hashes {
            if other != h && !not_below.contains(other) {
                ancestors.insert(*other);
            }
        }
    }
    let mut out: Vec<ChangeHash> = hashes
        .into_iter()
        .filter(|h| !ancestors.contains(h))
        .collect();
    out.sort();
    out
}

/// What to analyse after a merge, found under the document's lock.
pub(super) struct Noted {
    pub items: Vec<MergeItem>,
    pub heads: MergeHeads,
}

/// [`concurrent_sides`] and the analysis of what met, for `remote.rs`. Never fails the
/// merge: a document the analysis cannot read is logged and not reported.
pub(super) fn note(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    me: &automerge::ActorId,
) -> Option<Noted> {
    let heads = concurrent_sides(doc, before, me)?;
    match meridian_core::merged::analyze(doc, &heads) {
        Ok(items) if items.is_empty() => None,
        Ok(items) => Some(Noted { items, heads }),
        Err(error) => {
            tracing::warn!(%error, "a concurrent merge could not be analysed");
            None
        }
    }
}

impl Workspace {
    async fn load_reports(&self) -> Result<Vec<MergeReport>, Error> {
        let raw = self
            .inner
            .store
            .read(|s| s.get_meta_blocking(REPORTS))
            .await?;
        Ok(match raw {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text).unwrap_or_else(|error| {
                tracing::warn!(%error, "the what-merged list is unreadable; starting a new one");
                Vec::new()
            }),
        })
    }

    async fn save_reports(&self, reports: &[MergeReport]) -> Result<(), Error> {
        let text = serde_json::to_string(reports).map_err(|e| Error::Metadata(e.to_string()))?;
        self.inner.store.set_meta(REPORTS, &text).await?;
        Ok(())
    }

    /// Adds what a merge of `id` did to its report (one per object; items already there
    /// are not repeated). Called by `remote.rs` before the merge is announced, so a view
    /// reloading on the event finds the report.
    pub(super) async fn record_merge(
        &self,
        id: &DocId,
        kind: Kind,
        title: &str,
        noted: Noted,
    ) -> Result<(), Error> {
        let _guard = REPORTS_LOCK.lock().await;
        let mut reports = self.load_reports().await?;
        let at = rfc3339(self.now_ms());
        let index = match reports.iter().position(|r| &r.object == id) {
            Some(i) => i,
            None => {
                reports.push(MergeReport {
                    object: id.clone(),
                    kind,
                    title: String::new(),
                    at: String::new(),
                    entries: Vec::new(),
                });
                reports.len() - 1
            }
        };
        let report = &mut reports[index];
        title.clone_into(&mut report.title);
        report.at = at;
        for item in noted.items {
            if report.entries.iter().any(|e| e.item == item) {
                continue;
            }
            report.entries.push(MergeEntry {
                restorable: item.restorable(),
                item,
                heads: noted.heads.clone(),
                restored: Vec::new(),
            });
        }
        self.save_reports(&reports).await
    }

    /// The what-merged list: objects a sync merged with this device's concurrent edits,
    /// newest first, until dismissed.
    pub async fn merge_reports(&self) -> Result<Vec<MergeReport>, Error> {
        let mut reports = self.load_reports().await?;
        reports.reverse();
        reports.sort_by(|a, b| b.at.cmp(&a.at));
        Ok(reports)
    }

    /// Removes the report of object `id` from the what-merged list.
    pub async fn dismiss_merge(&self, id: &DocId) -> Result<(), Error> {
        let _guard = REPORTS_LOCK.lock().await;
        let mut reports = self.load_reports().await?;
        let before = reports.len();
        reports.retain(|r| &r.object != id);
        if reports.len() == before {
            return Err(Error::NoMergeReport(id.clone()));
        }
        self.save_reports(&reports).await
    }

    /// Drops the reports of objects that no longer exist (purged).
    pub(super) async fn forget_merges_of(&self, id: &DocId) -> Result<(), Error> {
        let _guard = REPORTS_LOCK.lock().await;
        let mut reports = self.load_reports().await?;
        let before = reports.len();
        reports.retain(|r| &r.object != id);
        if reports.len() != before {
            self.save_reports(&reports).await?;
        }
        Ok(())
    }

    /// Brings back what `side` lost in entry `entry` of object `id`'s report (default:
    /// the first entry with something to bring back, and this device's side if it lost
    /// something there), as a new edit through the one write path: it is persisted,
    /// synced to every device and is itself in the object's history.
    pub async fn restore_merged(
        &self,
        id: &DocId,
        entry: Option<usize>,
        side: Option<Side>,
    ) -> Result<MergeReport, Error> {
        let _guard = REPORTS_LOCK.lock().await;
        let mut reports = self.load_reports().await?;
        let report = reports
            .iter_mut()
            .find(|r| &r.object == id)
            .ok_or_else(|| Error::NoMergeReport(id.clone()))?;
        let index = match entry {
            Some(i) if i < report.entries.len() => i,
            Some(i) => {
                return Err(Error::NoMergeEntry {
                    id: id.clone(),
                    entry: i,
                    entries: report.entries.len(),
                });
            }
            None => report
                .entries
                .iter()
                .position(|e| e.restorable.iter().any(|s| !e.restored.contains(s)))
                .ok_or(Error::Rule(meridian_core::Error::NothingToRestore))?,
        };
        let chosen = &report.entries[index];
        let side = side.unwrap_or_else(|| {
            if chosen.restorable.contains(&Side::Mine) {
                Side::Mine
            } else {
                chosen.restorable.first().copied().unwrap_or(Side::Mine)
            }
        });
        let (item, heads) = (chosen.item.clone(), chosen.heads.clone());
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        let kind = open.kind;
        self.apply(&mut open, |doc, ctx| {
            meridian_core::merged::restore(doc, &heads, &item, side, ctx)
        })?;
        let object = meridian_core::read_any(&open.doc)?;
        let summary = self
            .persist_as(id, &mut open, kind, object.title(), object.status())
            .await?;
        drop(open);
        let _ = self.inner.events.send(Event::ObjectChanged { summary });
        let chosen = &mut report.entries[index];
        if !chosen.restored.contains(&side) {
            chosen.restored.push(side);
        }
        let out = report.clone();
        self.save_reports(&reports).await?;
        Ok(out)
    }
}
