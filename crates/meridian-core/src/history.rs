//! The history of one object: its Automerge changes grouped into the entries a reader
//! follows ("Ana edited the body, 120 words added"), points in that history (a set of change
//! hashes, or an instant), the object as it was at a point, and the field-by-field
//! difference between two versions.
//!
//! Pure: the engine reads the change metadata and the document, passes them in with the
//! names it knows, and turns the results into its API. No clock: times are those the
//! changes carry.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::RangeBounds;

use automerge::{ChangeHash, ObjId, ReadDoc as _, ScalarValue, Value};
use serde::Serialize;
use ts_rs::TS;

use crate::diff::{Hunk, WordDiff};
use crate::objects::*;
use crate::{Error, Kind, Object, ObjectSchema};

/// Two changes of one author further apart than this start a new entry.
pub const ENTRY_GAP_MS: i64 = 5 * 60 * 1000;
/// An entry spans at most this long, however steadily its author typed.
pub const ENTRY_SPAN_MS: i64 = 30 * 60 * 1000;
/// The commit message a restore carries (followed by the point restored): a restore is
/// its own entry, never folded into the typing around it.
pub const RESTORE_MESSAGE: &str = "meridian:restore ";

// ----- changes and entries -----

/// One change, as the history needs it. `actor` indexes [`Changes::actors`].
#[derive(Debug, Clone)]
pub struct ChangeInfo {
    pub hash: ChangeHash,
    pub deps: Vec<ChangeHash>,
    pub actor: usize,
    /// The change's number among its actor's changes (1, 2, …).
    pub seq: u64,
    /// Milliseconds since the epoch; 0 when the change carries no time.
    pub time_ms: i64,
    pub message: Option<String>,
}

/// A device that wrote changes: its Automerge actor and the author recorded for it (the
/// member id this workspace writes in the first change of each actor in each document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorInfo {
    pub actor: String,
    pub author: Option<String>,
}

/// Every change of a document in its history order (dependencies first).
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub changes: Vec<ChangeInfo>,
    pub actors: Vec<ActorInfo>,
    /// Whether each change depends on the one before it and nothing else (one device
    /// typing): then there is one order, and a prefix's heads is its last change.
    pub linear: bool,
}

impl Changes {
    /// Reads the change metadata of `doc` (no operation is decoded).
    pub fn of(doc: &automerge::Automerge) -> Changes {
        let mut actors = Vec::new();
        let changes = read_metas(doc, &[], &mut actors);
        let linear = is_linear(&changes, None);
        Changes {
            changes: if linear {
                changes
            } else {
                canonical_order(changes, &actors)
            },
            actors,
            linear,
        }
    }

    /// Brings `self`, read from the document at `since` (its heads then), up to `doc`'s
    /// heads by reading only the newer changes, when they go after all of the others in
    /// the canonical order (the usual case: new edits). Returns false, changing nothing,
    /// when they do not (a change merged from the past): read it all again with
    /// [`Changes::of`].
    pub fn extend(&mut self, doc: &automerge::Automerge, since: &[ChangeHash]) -> bool {
        let mut actors = self.actors.clone();
        let new = read_metas(doc, since, &mut actors);
        if new.is_empty() {
            return true;
        }
        let max = self.changes.iter().map(|c| order_key(c, &actors)).max();
        let later = |c: &ChangeInfo| max.is_none_or(|m| order_key(c, &actors) > m);
        if !new.iter().all(later) {
            return false;
        }
        let linear = self.linear && is_linear(&new, self.changes.last());
        let ordered = if linear {
            new
        } else {
            canonical_order(new, &actors)
        };
        self.changes.extend(ordered);
        self.actors = actors;
        self.linear = linear;
        true
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// The heads of the document these changes make.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.prefix_heads(&[self.changes.len()])
            .pop()
            .unwrap_or_default()
    }

    /// [`prefix_heads`] of these changes, at once when they are one chain.
    pub fn prefix_heads(&self, ends: &[usize]) -> Vec<Vec<ChangeHash>> {
        if self.linear {
            return ends
                .iter()
                .map(|&e| {
                    e.checked_sub(1)
                        .and_then(|i| self.changes.get(i))
                        .map(|c| vec![c.hash])
                        .unwrap_or_default()
                })
                .collect();
        }
        prefix_heads(&self.changes, ends)
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The metadata of the changes of `doc` not reachable from `since`, in Automerge's order,
/// with their actors added to `actors`.
fn read_metas(
    doc: &automerge::Automerge,
    since: &[ChangeHash],
    actors: &mut Vec<ActorInfo>,
) -> Vec<ChangeInfo> {
    let mut index: HashMap<String, usize> = actors
        .iter()
        .enumerate()
        .map(|(i, a)| (a.actor.clone(), i))
        .collect();
    let metas = doc.get_changes_meta(since);
    let mut changes = Vec::with_capacity(metas.len());
    // Runs of one actor are the rule (typing): skip the lookup for them.
    let mut last: Option<(automerge::ActorId, usize)> = None;
    for m in metas {
        let actor = match &last {
            Some((a, i)) if a == m.actor.as_ref() => *i,
            _ => {
                let hex = m.actor.to_hex_string();
                match index.get(&hex) {
                    Some(i) => *i,
                    None => {
                        let i = actors.len();
                        actors.push(ActorInfo {
                            actor: hex.clone(),
                            author: None,
                        });
                        index.insert(hex, i);
                        i
                    }
                }
            }
        };
        if actors[actor].author.is_none() {
            actors[actor].author = m
                .author
                .as_ref()
                .and_then(|a| std::str::from_utf8(a.as_bytes()).ok())
                .map(str::to_owned);
        }
        if last.as_ref().is_none_or(|(_, i)| *i != actor) {
            last = Some((m.actor.clone().into_owned(), actor));
        }
        changes.push(ChangeInfo {
            hash: m.hash,
            deps: m.deps,
            actor,
            seq: m.seq,
            time_ms: m.timestamp.saturating_mul(1000),
            message: m.message.map(|s| s.into_owned()),
        });
    }
    changes
}

/// Whether `changes` (after `before`) form one chain, each depending on the previous only.
fn is_linear(changes: &[ChangeInfo], before: Option<&ChangeInfo>) -> bool {
    let mut prev = before.map(|c| c.hash);
    for c in changes {
        match (prev, c.deps.as_slice()) {
            (None, []) => {}
            (Some(p), [d]) if *d == p => {}
            _ => return false,
        }
        prev = Some(c.hash);
    }
    true
}

/// What orders changes that are ready at the same time: the earliest first, then by device
/// (its actor) and its number on that device. Unique, and the same on every device.
fn order_key<'a>(c: &ChangeInfo, actors: &'a [ActorInfo]) -> (i64, &'a str, u64) {
    (c.time_ms, actors[c.actor].actor.as_str(), c.seq)
}

/// `changes` (in some order with dependencies first) in the order every device agrees on:
/// dependencies first, and among changes that are ready, the earliest, then by device. The
/// order Automerge holds depends on the order changes arrived, which differs between
/// devices; entries and their points must not.
fn canonical_order(changes: Vec<ChangeInfo>, actors: &[ActorInfo]) -> Vec<ChangeInfo> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = changes.len();
    let index: HashMap<ChangeHash, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash, i))
        .collect();
    let mut rank: Vec<usize> = (0..actors.len()).collect();
    rank.sort_by(|a, b| actors[*a].actor.cmp(&actors[*b].actor));
    let mut actor_rank = vec![0; actors.len()];
    for (r, a) in rank.into_iter().enumerate() {
        actor_rank[a] = r;
    }
    // Children as one flat array (compressed rows): no allocation per change.
    let mut waiting = vec![0u32; n];
    let mut start = vec![0usize; n + 1];
    for c in &changes {
        for d in &c.deps {
            if let Some(&p) = index.get(d) {
                start[p + 1] += 1;
            }
        }
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut children = vec![0usize; start[n]];
    for (i, c) in changes.iter().enumerate() {
        for d in &c.deps {
            if let Some(&p) = index.get(d) {
                children[fill[p]] = i;
                fill[p] += 1;
                waiting[i] += 1;
            }
        }
    }
    let key = |i: usize| {
        let c = &changes[i];
        Reverse((c.time_ms, actor_rank[c.actor], c.seq, i))
    };
    let mut ready: BinaryHeap<_> = (0..n).filter(|i| waiting[*i] == 0).map(key).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse((_, _, _, i))) = ready.pop() {
        order.push(i);
        for &child in &children[start[i]..start[i + 1]] {
            waiting[child] -= 1;
            if waiting[child] == 0 {
                ready.push(key(child));
            }
        }
    }
    let mut slots: Vec<Option<ChangeInfo>> = changes.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// A run of changes `start..end` (history order) shown as one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

fn is_restore(c: &ChangeInfo) -> bool {
    c.message
        .as_deref()
        .is_some_and(|m| m.starts_with(RESTORE_MESSAGE))
}

/// Groups consecutive changes of one device into entries: a page typed key by key is a
/// few entries, not thousands of changes. A new entry starts with another device, a pause
/// longer than [`ENTRY_GAP_MS`], an entry already spanning [`ENTRY_SPAN_MS`], and around
/// every restore. Changes without a time join the entry they follow.
pub fn group(changes: &[ChangeInfo]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = 0;
    let mut first_time = 0;
    let mut last_time = 0;
    for (i, c) in changes.iter().enumerate() {
        if i > start {
            let prev = &changes[i - 1];
            let known = c.time_ms != 0 && last_time != 0;
            let split = c.actor != changes[start].actor
                || is_restore(c)
                || is_restore(prev)
                || (known && c.time_ms - last_time > ENTRY_GAP_MS)
                || (known && first_time != 0 && c.time_ms - first_time > ENTRY_SPAN_MS);
            if split {
                spans.push(Span { start, end: i });
                start = i;
                first_time = 0;
                last_time = 0;
            }
        }
        if c.time_ms != 0 {
            if first_time == 0 {
                first_time = c.time_ms;
            }
            last_time = c.time_ms;
        }
    }
    if start < changes.len() {
        spans.push(Span {
            start,
            end: changes.len(),
        });
    }
    spans
}

/// The heads of the document made of the first `ends[k]` changes, for each (increasing)
/// `ends[k]`: the versions before and after entries. History order puts dependencies
/// first, so every prefix is a version of the document.
pub fn prefix_heads(changes: &[ChangeInfo], ends: &[usize]) -> Vec<Vec<ChangeHash>> {
    let mut out = Vec::with_capacity(ends.len());
    let mut heads: HashSet<ChangeHash> = HashSet::new();
    let mut done = 0;
    for &end in ends {
        for c in &changes[done..end.max(done)] {
            for d in &c.deps {
                heads.remove(d);
            }
            heads.insert(c.hash);
        }
        done = done.max(end);
        let mut h: Vec<ChangeHash> = heads.iter().copied().collect();
        h.sort_unstable();
        out.push(h);
    }
    out
}

// ----- points -----

/// A point in an object's history, as written by a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointSpec {
    /// The version whose heads are these changes (full hashes or unique prefixes).
    Changes(Vec<String>),
    /// The version holding every change made at or before this instant (ms).
    At(i64),
}

/// Why a point does not name a version of the object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    #[error(
        "`{0}` is not a point in history: give a change id from `meridian history` (at least 6 hex digits; several joined by commas) or an RFC 3339 time such as 2026-12-01T09:00:00Z"
    )]
    Malformed(String),
    #[error("no change `{0}` in this object's history: `meridian history ID` lists its points")]
    Unknown(String),
    #[error("`{0}` matches several changes of this object: give more of its digits")]
    Ambiguous(String),
    #[error("the object did not exist yet at {at}: its history starts at {first}")]
    BeforeCreation { at: String, first: String },
}

/// Reads a point: an RFC 3339 instant, or change ids (hex, at least 6 digits) joined by
/// commas.
pub fn parse_point(s: &str) -> Result<PointSpec, PointError> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(PointSpec::At(t.timestamp_millis()));
    }
    let parts: Vec<String> = s.split(',').map(|p| p.trim().to_lowercase()).collect();
    let valid =
        |p: &String| (6..=64).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_hexdigit());
    if parts.is_empty() || !parts.iter().all(valid) {
        return Err(PointError::Malformed(s.to_owned()));
    }
    Ok(PointSpec::Changes(parts))
}

/// The heads of the version `point` names.
pub fn resolve_point(changes: &Changes, point: &PointSpec) -> Result<Vec<ChangeHash>, PointError> {
    match point {
        PointSpec::Changes(parts) => {
            let mut heads = Vec::new();
            for p in parts {
                let mut found = changes
                    .changes
                    .iter()
                    .filter(|c| hash_starts_with(&c.hash, p));
                let Some(first) = found.next() else {
                    return Err(PointError::Unknown(p.clone()));
                };
                if found.next().is_some() {
                    return Err(PointError::Ambiguous(p.clone()));
                }
                heads.push(first.hash);
            }
            heads.sort_unstable();
            heads.dedup();
            Ok(heads)
        }
        PointSpec::At(at) if changes.linear => {
            // One chain: everything up to the last change made by then.
            match changes
                .changes
                .iter()
                .rposition(|c| c.time_ms != 0 && c.time_ms <= *at)
            {
                Some(i) => Ok(vec![changes.changes[i].hash]),
                None => Err(before_creation(changes, *at)),
            }
        }
        PointSpec::At(at) => {
            let index: HashMap<ChangeHash, usize> = changes
                .changes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.hash, i))
                .collect();
            // Every change made by then, and what it depends on (a device's clock may be
            // behind another's: a dependency is part of the version whatever its time).
            let mut included = vec![false; changes.len()];
            let mut needed = vec![false; changes.len()];
            for (i, c) in changes.changes.iter().enumerate().rev() {
                if needed[i] || (c.time_ms != 0 && c.time_ms <= *at) {
                    included[i] = true;
                    for d in &c.deps {
                        if let Some(&j) = index.get(d) {
                            needed[j] = true;
                        }
                    }
                }
            }
            let mut depended: HashSet<ChangeHash> = HashSet::new();
            for (i, c) in changes.changes.iter().enumerate() {
                if included[i] {
                    depended.extend(c.deps.iter().copied());
                }
            }
            let mut heads: Vec<ChangeHash> = changes
                .changes
                .iter()
                .enumerate()
                .filter(|(i, c)| included[*i] && !depended.contains(&c.hash))
                .map(|(_, c)| c.hash)
                .collect();
            if heads.is_empty() {
                return Err(before_creation(changes, *at));
            }
            heads.sort_unstable();
            Ok(heads)
        }
    }
}

/// Whether `hash` written in hex starts with `prefix` (lowercase hex), without writing it.
fn hash_starts_with(hash: &ChangeHash, prefix: &str) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    prefix.bytes().enumerate().all(|(i, want)| {
        let byte = hash.0.get(i / 2).copied().unwrap_or(0);
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
        HEX[usize::from(nibble)] == want
    })
}

fn before_creation(changes: &Changes, at: i64) -> PointError {
    let first = changes
        .changes
        .iter()
        .map(|c| c.time_ms)
        .filter(|t| *t != 0)
        .min()
        .map_or_else(|| "an unknown time".to_owned(), rfc3339);
    PointError::BeforeCreation {
        at: rfc3339(at),
        first,
    }
}

/// A point as printed: its heads, comma-joined (usually one hash).
pub fn point_id(heads: &[ChangeHash]) -> String {
    heads
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ----- the object at a point -----

/// `doc` as it was at `heads`, readable by autosurgeon: hydrating through it reads the old
/// version without forking or copying the document.
struct AtHeads<'a> {
    doc: &'a automerge::Automerge,
    heads: &'a [ChangeHash],
}

impl autosurgeon::ReadDoc for AtHeads<'_> {
    type Parents<'b>
        = automerge::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<ChangeHash> {
        self.heads.to_vec()
    }

    fn get<P: Into<automerge::Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, automerge::AutomergeError> {
        self.doc.get_at(obj, prop, self.heads)
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<automerge::ObjType> {
        automerge::ReadDoc::object_type(self.doc, obj).ok()
    }

    fn map_range<'a, O, R>(&'a self, obj: O, range: R) -> automerge::iter::MapRange<'a>
    where
        R: RangeBounds<String> + 'a,
        O: AsRef<ObjId>,
    {
        self.doc.map_range_at(obj, range, self.heads)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> automerge::iter::ListRange<'_> {
        self.doc.list_range_at(obj, range, self.heads)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        self.doc.length_at(obj, self.heads)
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, automerge::AutomergeError> {
        self.doc.text_at(obj, self.heads)
    }

    fn parents<O: AsRef<ObjId>>(
        &self,
        obj: O,
    ) -> Result<Self::Parents<'_>, automerge::AutomergeError> {
        self.doc.parents_at(obj, self.heads)
    }

    fn is_empty(&self) -> bool {
        self.doc.keys_at(automerge::ROOT, self.heads).count() == 0
    }
}

fn hydrate_at<T: ObjectSchema>(at: &AtHeads<'_>) -> Result<Object, Error> {
    let value: T = autosurgeon::hydrate(at).map_err(|e| Error::DocumentShape {
        kind: T::KIND,
        detail: e.to_string(),
    })?;
    Ok(value.into_object())
}

/// The object `doc` held at `heads` (which must be changes of `doc`); `None` when the
/// document held no object yet.
pub fn read_any_at(
    doc: &automerge::Automerge,
    heads: &[ChangeHash],
) -> Result<Option<Object>, Error> {
    let at = AtHeads { doc, heads };
    let kind = match at.doc.get_at(automerge::ROOT, "kind", heads)? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(k) => k.parse::<Kind>()?,
            _ => return Err(Error::MissingKind),
        },
        _ => return Ok(None),
    };
    Ok(Some(match kind {
        Kind::Workspace => hydrate_at::<WorkspaceDoc>(&at)?,
        Kind::Member => hydrate_at::<Member>(&at)?,
        Kind::Charter => hydrate_at::<Charter>(&at)?,
        Kind::Page => hydrate_at::<Page>(&at)?,
        Kind::Decision => hydrate_at::<Decision>(&at)?,
        Kind::Meeting => hydrate_at::<Meeting>(&at)?,
        Kind::Thread => hydrate_at::<Thread>(&at)?,
        Kind::Checkin => hydrate_at::<Checkin>(&at)?,
        Kind::Task => hydrate_at::<Task>(&at)?,
    }))
}

// ----- differences -----

/// How one field differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FieldDiff {
    /// Prose (or any text long enough to read as prose): a word diff.
    Text { diff: WordDiff },
    /// A short value, shown before and after (`""` when absent).
    Value { old: String, new: String },
    /// A list of entries with ids (options, feedback, messages, agenda items): which came,
    /// went or changed, each named by its title or text.
    Items {
        added: Vec<String>,
        removed: Vec<String>,
        changed: Vec<String>,
    },
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldChange {
    pub field: String,
    pub change: FieldDiff,
}

impl FieldChange {
    /// Words added and removed by this change (text fields only).
    pub fn words(&self) -> (usize, usize) {
        match &self.change {
            FieldDiff::Text { diff } => (diff.added, diff.removed),
            _ => (0, 0),
        }
    }
}

/// Fields that are never compared or restored: bookkeeping, not content.
const BOOKKEEPING: &[&str] = &["kind", "path", "created_at_ms", "index"];

fn is_prose(field: &str) -> bool {
    matches!(
        field,
        "body" | "context" | "rationale" | "consequences" | "purpose" | "notes" | "summary"
    )
}

/// The field-by-field difference from `old` to `new` (`old` `None`: the object was
/// created). Fields are in the schema's order; equal fields are left out.
pub fn diff_objects(old: Option<&Object>, new: &Object) -> Vec<FieldChange> {
    let new_v = fields(new);
    let old_v = old.map(fields).unwrap_or_default();
    let mut out = Vec::new();
    for (name, after) in &new_v {
        if BOOKKEEPING.contains(&name.as_str()) {
            continue;
        }
        let before = old_v.get(name).unwrap_or(&serde_json::Value::Null);
        if before == after {
            continue;
        }
        out.push(FieldChange {
            field: name.clone(),
            change: diff_value(name, before, after),
        });
    }
    out
}

/// The object's fields as JSON, in the schema's order.
fn fields(o: &Object) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(o) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

fn diff_value(name: &str, before: &serde_json::Value, after: &serde_json::Value) -> FieldDiff {
    use serde_json::Value as J;
    fn text(v: &serde_json::Value) -> Option<&str> {
        match v {
            serde_json::Value::String(s) => Some(s.as_str()),
            serde_json::Value::Null => Some(""),
            _ => None,
        }
    }
    if let (Some(a), Some(b)) = (text(before), text(after))
        && (is_prose(name) || a.contains('\n') || b.contains('\n'))
    {
        return FieldDiff::Text {
            diff: words_trimmed(a, b),
        };
    }
    let keyed = |v: &J| -> Option<BTreeMap<String, (usize, J)>> {
        let items = match v {
            J::Array(items) => items,
            J::Null => return Some(BTreeMap::new()),
            _ => return None,
        };
        let mut map = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let id = item.get("id")?.as_str()?;
            map.insert(id.to_owned(), (i, item.clone()));
        }
        Some(map)
    };
    if let (J::Array(_), _) | (_, J::Array(_)) = (before, after)
        && let (Some(a), Some(b)) = (keyed(before), keyed(after))
        && (!a.is_empty() || !b.is_empty())
        && [before, after]
            .iter()
            .any(|v| v.as_array().is_some_and(|l| !l.is_empty()))
    {
        let mut added: Vec<(usize, String)> = Vec::new();
        let mut removed: Vec<(usize, String)> = Vec::new();
        let mut changed: Vec<(usize, String)> = Vec::new();
        for (id, (i, item)) in &b {
            match a.get(id) {
                None => added.push((*i, label(item))),
                Some((_, old)) if old != item => changed.push((*i, label(item))),
                Some(_) => {}
            }
        }
        for (id, (i, item)) in &a {
            if !b.contains_key(id) {
                removed.push((*i, label(item)));
            }
        }
        let ordered = |mut v: Vec<(usize, String)>| {
            v.sort();
            v.into_iter().map(|(_, s)| s).collect()
        };
        return FieldDiff::Items {
            added: ordered(added),
            removed: ordered(removed),
            changed: ordered(changed),
        };
    }
    FieldDiff::Value {
        old: render(before),
        new: render(after),
    }
}

/// How a list entry is named: its title, else its text or body (shortened), else its id.
fn label(item: &serde_json::Value) -> String {
    for key in ["title", "text", "body"] {
        if let Some(s) = item.get(key).and_then(|v| v.as_str())
            && !s.trim().is_empty()
        {
            let s = s.trim();
            return match s.char_indices().nth(60) {
                Some((cut, _)) => format!("{}…", &s[..cut]),
                None => s.to_owned(),
            };
        }
    }
    item.get("id")
        .and_then(|v| v.as_str())
        .unwrap_or("?")
        .to_owned()
}

/// A short value as people read it: strings as they are, lists joined, nothing as `""`.
fn render(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => String::new(),
        J::String(s) => s.clone(),
        J::Array(items) if items.iter().all(|i| i.is_string()) => items
            .iter()
            .filter_map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// [`crate::diff::words`] on the part of the texts that differs: the common start and end
/// (cut at whitespace, so no word is split) are kept as `Same` runs without being diffed.
/// The same result in words, fast on a long page where one sentence changed.
pub fn words_trimmed(old: &str, new: &str) -> WordDiff {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    // Back to the start of a whitespace run, so no word is cut.
    while pre > 0 && !(a[pre - 1].is_ascii_whitespace()) {
        pre -= 1;
    }
    let max_suf = a.len().min(b.len()) - pre;
    let mut suf = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    while suf > 0 && !a[a.len() - suf].is_ascii_whitespace() {
        suf -= 1;
    }
    // Whitespace boundaries are ASCII, so these are char boundaries.
    let mut out = WordDiff::default();
    let mid = refined_words(&old[pre..old.len() - suf], &new[pre..new.len() - suf]);
    out.added = mid.added;
    out.removed = mid.removed;
    if pre > 0 {
        out.hunks.push(Hunk::Same(old[..pre].to_owned()));
    }
    for h in mid.hunks {
        match (out.hunks.last_mut(), h) {
            (Some(Hunk::Same(x)), Hunk::Same(y)) => x.push_str(&y),
            (_, h) => out.hunks.push(h),
        }
    }
    if suf > 0 {
        let tail = old[old.len() - suf..].to_owned();
        match out.hunks.last_mut() {
            Some(Hunk::Same(x)) => x.push_str(&tail),
            _ => out.hunks.push(Hunk::Same(tail)),
        }
    }
    out
}

/// Above this many bytes of differing text, lines are matched first and words compared
/// only within the lines that changed: a word diff of a whole long page can take up to its
/// timeout (200 ms), matching its lines a few milliseconds.
const REFINE_ABOVE: usize = 4096;

/// [`crate::diff::words`], by changed lines when the texts are long (see [`REFINE_ABOVE`]).
/// The hunks still rebuild both texts.
fn refined_words(old: &str, new: &str) -> WordDiff {
    if old.len() + new.len() <= REFINE_ABOVE {
        return crate::diff::words(old, new);
    }
    let lines = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(100))
        .diff_lines(old, new);
    let mut out = WordDiff::default();
    for op in lines.ops() {
        let old_part: String = lines.old_slices()[op.old_range()].concat();
        let new_part: String = lines.new_slices()[op.new_range()].concat();
        let part = if op.tag() == similar::DiffTag::Equal {
            WordDiff {
                hunks: vec![Hunk::Same(old_part)],
                ..WordDiff::default()
            }
        } else {
            crate::diff::words(&old_part, &new_part)
        };
        out.added += part.added;
        out.removed += part.removed;
        for h in part.hunks {
            match (out.hunks.last_mut(), h) {
                (Some(Hunk::Same(x)), Hunk::Same(y)) => x.push_str(&y),
                (Some(Hunk::Added(x)), Hunk::Added(y)) => x.push_str(&y),
                (Some(Hunk::Removed(x)), Hunk::Removed(y)) => x.push_str(&y),
                (_, h) => out.hunks.push(h),
            }
        }
    }
    out
}

/// What an entry did, in short: the fields it touched and the words it added and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ChangeSummary {
    pub fields: Vec<String>,
    pub words_added: usize,
    pub words_removed: usize,
}

pub fn summarize(changes: &[FieldChange]) -> ChangeSummary {
    let mut s = ChangeSummary::default();
    for c in changes {
        s.fields.push(c.field.clone());
        let (a, r) = c.words();
        s.words_added += a;
        s.words_removed += r;
    }
    s
}

/// The version to write back when restoring `old` over `current`: `old`'s content with
/// `current`'s bookkeeping (where the file lives, when it was made), so a restore changes
/// what people wrote and nothing else. A decision keeps a status it cannot go back from
/// (an accepted decision stays accepted, with its chosen option): restoring brings back
/// its text and options, never an outcome the rules forbid.
pub fn restored(old: &Object, current: &Object) -> Object {
    let mut out = old.clone();
    match (&mut out, current) {
        (Object::Page(o), Object::Page(c)) => {
            o.path.clone_from(&c.path);
            o.created_at_ms = c.created_at_ms;
        }
        (Object::Decision(o), Object::Decision(c)) => {
            o.path.clone_from(&c.path);
            if !c.status.can_become(o.status) {
                o.status = c.status;
                o.chosen_option.clone_from(&c.chosen_option);
                if let Some(chosen) = &c.chosen_option
                    && !o.options.iter().any(|x| &x.id == chosen)
                    && let Some(option) = c.options.iter().find(|x| &x.id == chosen)
                {
                    o.options.push(option.clone());
                }
            }
        }
        (Object::Workspace(o), Object::Workspace(c)) => o.index.clone_from(&c.index),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::AutoCommit;
    use automerge::transaction::CommitOptions;
    use proptest::prelude::*;

    fn change(i: u8, actor: usize, time_ms: i64) -> ChangeInfo {
        ChangeInfo {
            hash: ChangeHash([i; 32]),
            deps: if i == 0 {
                vec![]
            } else {
                vec![ChangeHash([i - 1; 32])]
            },
            actor,
            seq: u64::from(i) + 1,
            time_ms,
            message: None,
        }
    }

    #[test]
    fn groups_typing_by_device_and_pause() {
        let m = 60_000;
        let changes = vec![
            change(0, 0, m),
            change(1, 0, m + 500),
            change(2, 0, 2 * m),
            change(3, 1, 2 * m + 1), // another device
            change(4, 1, 2 * m + 2),
            change(5, 1, 2 * m + 3 + ENTRY_GAP_MS + 1), // a long pause
            change(6, 1, 0),                            // no time: joins
        ];
        let spans = group(&changes);
        assert_eq!(
            spans,
            vec![
                Span { start: 0, end: 3 },
                Span { start: 3, end: 5 },
                Span { start: 5, end: 7 },
            ]
        );
    }

    #[test]
    fn long_steady_typing_is_cut_and_restores_stand_alone() {
        let mut changes: Vec<ChangeInfo> = (0..100)
            .map(|i| change(i, 0, (i64::from(i) + 1) * 60_000))
            .collect();
        changes[50].message = Some(format!("{RESTORE_MESSAGE}abc"));
        let spans = group(&changes);
        // 0..31 (30 minutes), 31..50, the restore, 51..82, 82..100.
        assert_eq!(
            spans.iter().map(|s| (s.start, s.end)).collect::<Vec<_>>(),
            vec![(0, 31), (31, 50), (50, 51), (51, 82), (82, 100)]
        );
    }

    proptest! {
        #[test]
        fn entries_cover_every_change_once(
            actors in proptest::collection::vec(0usize..3, 0..60),
            gaps in proptest::collection::vec(0i64..(10 * 60_000), 60),
        ) {
            let mut t = 1;
            let changes: Vec<ChangeInfo> = actors.iter().enumerate().map(|(i, a)| {
                t += gaps[i];
                change(i as u8, *a, t)
            }).collect();
            let spans = group(&changes);
            let mut next = 0;
            for s in &spans {
                prop_assert_eq!(s.start, next);
                prop_assert!(s.end > s.start);
                let first = &changes[s.start];
                for c in &changes[s.start..s.end] {
                    prop_assert_eq!(c.actor, first.actor);
                    prop_assert!(c.time_ms - first.time_ms <= ENTRY_SPAN_MS);
                }
                next = s.end;
            }
            prop_assert_eq!(next, changes.len());
        }

        #[test]
        fn long_texts_are_diffed_by_lines_and_rebuild_both_sides(
            // At least 150 lines of 21 bytes, twice: past REFINE_ABOVE whatever is drawn.
            lines in proptest::collection::vec("[a-d ]{20,30}\n", 150..260),
            edits in proptest::collection::vec((0usize..150, "[a-d ]{0,20}\n"), 1..6),
        ) {
            let old: String = lines.concat();
            let mut changed = lines.clone();
            for (i, line) in &edits {
                changed[*i] = line.clone();
            }
            let new: String = changed.concat();
            prop_assert!(old.len() + new.len() > REFINE_ABOVE);
            let d = words_trimmed(&old, &new);
            prop_assert_eq!(d.old_text(), old.clone());
            prop_assert_eq!(d.new_text(), new.clone());
            prop_assert_eq!(d.is_empty(), old == new);
        }

        #[test]
        fn trimmed_words_rebuild_both_sides(
            old in "[a-c \n]{0,40}", new in "[a-c \n]{0,40}", pre in "[a-c \n]{0,20}"
        ) {
            let (old, new) = (format!("{pre}{old}{pre}"), format!("{pre}{new}{pre}"));
            let d = words_trimmed(&old, &new);
            prop_assert_eq!(d.old_text(), old.clone());
            prop_assert_eq!(d.new_text(), new.clone());
            let full = crate::diff::words(&old, &new);
            prop_assert_eq!(d.is_empty(), full.is_empty());
        }
    }

    #[test]
    fn points_parse_and_refuse() {
        assert_eq!(
            parse_point("2026-12-01T09:00:00Z"),
            Ok(PointSpec::At(1_796_115_600_000))
        );
        assert_eq!(
            parse_point("ABCDEF12,abcdef13"),
            Ok(PointSpec::Changes(vec![
                "abcdef12".into(),
                "abcdef13".into()
            ]))
        );
        for bad in ["", "abc", "yesterday", "xyz12345", "2026-13-01"] {
            assert!(
                matches!(parse_point(bad), Err(PointError::Malformed(_))),
                "{bad}"
            );
        }
    }

    fn page_doc() -> (AutoCommit, Vec<Vec<ChangeHash>>) {
        let mut doc = AutoCommit::new();
        let ctx = crate::Context {
            members: None,
            message_kinds: &[],
        };
        let mut page = Page {
            title: "Plan".into(),
            body: "the quick brown fox".into(),
            ..Page::default()
        };
        let mut versions = Vec::new();
        crate::write(&mut doc, &page, &ctx).expect("write");
        doc.commit_with(CommitOptions::default().with_time(1_000));
        versions.push(doc.get_heads());
        page.body = "the slow brown fox jumps".into();
        page.tags = vec!["x".into()];
        crate::write(&mut doc, &page, &ctx).expect("write");
        doc.commit_with(CommitOptions::default().with_time(2_000));
        versions.push(doc.get_heads());
        (doc, versions)
    }

    #[test]
    fn reads_old_versions_and_diffs_them() {
        let (mut doc, versions) = page_doc();
        let Some(Object::Page(first)) = read_any_at(doc.document(), &versions[0]).expect("read")
        else {
            panic!("a page")
        };
        assert_eq!(first.body, "the quick brown fox");
        assert!(first.tags.is_empty());
        let second = read_any_at(doc.document(), &versions[1])
            .expect("read")
            .expect("page");
        let diff = diff_objects(Some(&Object::Page(first.clone())), &second);
        assert_eq!(
            diff.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
            ["body", "tags"]
        );
        assert_eq!(diff[0].words(), (2, 1));
        assert_eq!(
            diff[1].change,
            FieldDiff::Value {
                old: String::new(),
                new: "x".into()
            }
        );
        assert_eq!(read_any_at(doc.document(), &[]).expect("empty"), None);
        let created = diff_objects(None, &second);
        assert!(created.iter().any(|c| c.field == "title"));
    }

    #[test]
    fn resolves_points_by_prefix_and_time() {
        let (mut doc, versions) = page_doc();
        let changes = Changes::of(doc.document());
        assert_eq!(changes.len(), 2);
        assert_eq!(changes.changes[1].time_ms, 2_000_000);
        let prefix = versions[0][0].to_string()[..8].to_owned();
        assert_eq!(
            resolve_point(&changes, &PointSpec::Changes(vec![prefix])),
            Ok(versions[0].clone())
        );
        assert_eq!(
            resolve_point(&changes, &PointSpec::At(1_500_000)),
            Ok(versions[0].clone())
        );
        assert_eq!(
            resolve_point(&changes, &PointSpec::At(9_000_000)),
            Ok(versions[1].clone())
        );
        assert!(matches!(
            resolve_point(&changes, &PointSpec::At(10)),
            Err(PointError::BeforeCreation { .. })
        ));
        assert!(matches!(
            resolve_point(&changes, &PointSpec::Changes(vec!["000000".into()])),
            Err(PointError::Unknown(_))
        ));
        let spans = group(&changes.changes);
        let heads = prefix_heads(&changes.changes, &[0, 1, 2]);
        // 1,000 s apart: two entries.
        assert_eq!(spans.len(), 2);
        assert_eq!(
            heads,
            vec![vec![], versions[0].clone(), versions[1].clone()]
        );
    }

    #[test]
    fn every_device_orders_the_history_alike() {
        use automerge::transaction::Transactable;
        let mut base = AutoCommit::new();
        base.put(automerge::ROOT, "x", 0).expect("put");
        base.commit_with(CommitOptions::default().with_time(10));
        let mut devices: Vec<AutoCommit> = (0..3)
            .map(|i| {
                let mut d = base
                    .fork()
                    .with_actor(automerge::ActorId::from(vec![i; 16]));
                for k in 0..3 {
                    d.put(automerge::ROOT, format!("k{i}"), k).expect("put");
                    d.commit_with(CommitOptions::default().with_time(20 + i64::from(k)));
                }
                d
            })
            .collect();
        // Merged in two different orders.
        let mut one = base.fork();
        let mut two = base.fork();
        for i in [0, 1, 2] {
            one.merge(&mut devices[i]).expect("merge");
        }
        for i in [2, 0, 1] {
            two.merge(&mut devices[i]).expect("merge");
        }
        let order = |d: &mut AutoCommit| -> Vec<ChangeHash> {
            Changes::of(d.document())
                .changes
                .iter()
                .map(|c| c.hash)
                .collect()
        };
        let (a, b) = (order(&mut one), order(&mut two));
        assert_eq!(a.len(), 10);
        assert_eq!(a, b);
        // Chronological among concurrent changes.
        let times: Vec<i64> = Changes::of(one.document())
            .changes
            .iter()
            .map(|c| c.time_ms)
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }

    #[test]
    fn extending_with_new_changes_matches_reading_them_all() {
        use automerge::transaction::Transactable;
        let mut doc = AutoCommit::new().with_actor(automerge::ActorId::from(vec![1; 16]));
        for k in 0..3 {
            doc.put(automerge::ROOT, "x", k).expect("put");
            doc.commit_with(CommitOptions::default().with_time(10));
        }
        let since = doc.get_heads();
        let mut changes = Changes::of(doc.document());
        assert_eq!(changes.heads(), since);
        // Later typing, some of it in the same second.
        for k in 0..3 {
            doc.put(automerge::ROOT, "x", k).expect("put");
            doc.commit_with(CommitOptions::default().with_time(10 + k));
        }
        assert!(changes.extend(doc.document(), &since));
        let all = Changes::of(doc.document());
        let hashes = |c: &Changes| c.changes.iter().map(|c| c.hash).collect::<Vec<_>>();
        assert_eq!(hashes(&changes), hashes(&all));
        // A change from the past (another device's clock was behind) cannot be appended.
        let since = doc.get_heads();
        let mut other = doc.fork().with_actor(automerge::ActorId::from(vec![0; 16]));
        other.put(automerge::ROOT, "y", 1).expect("put");
        other.commit_with(CommitOptions::default().with_time(5));
        doc.merge(&mut other).expect("merge");
        let before = hashes(&changes);
        assert!(!changes.extend(doc.document(), &since));
        assert_eq!(hashes(&changes), before);
    }

    #[test]
    fn list_fields_name_their_entries() {
        let before = Object::Thread(Thread {
            messages: vec![],
            ..sample_thread()
        });
        let after = Object::Thread(Thread {
            messages: vec![Message {
                id: "m1".into(),
                author: "a".into(),
                body: "Looks good to me".into(),
                at_ms: 1,
            }],
            ..sample_thread()
        });
        let diff = diff_objects(Some(&before), &after);
        assert_eq!(
            diff,
            vec![FieldChange {
                field: "messages".into(),
                change: FieldDiff::Items {
                    added: vec!["Looks good to me".into()],
                    removed: vec![],
                    changed: vec![],
                }
            }]
        );
    }

    fn sample_thread() -> Thread {
        serde_json::from_value(serde_json::json!({
            "title": "Q", "message_kind": "question", "body": "why?", "author": "a",
            "recipients": [], "delivery": "now", "urgent_reason": null, "messages": [],
            "acknowledgements": [], "state": "open", "linked_decision": null,
            "created_at_ms": 0
        }))
        .expect("a thread")
    }
}
