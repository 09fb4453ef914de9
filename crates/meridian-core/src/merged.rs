//! What a merge did: after a sync applied changes from another device to an object this
//! device had also changed concurrently, which edits met, which value won, what text a
//! side lost, and how to bring it back as a new edit.
//!
//! Everything here reads one Automerge document at four points of its history: the
//! common ancestor both sides knew (`base`), this device's version before the merge
//! (`mine`), the other device's version (`theirs`) and the merged result (`merged`).
//! Object ids are stable across history, so one document answers for all four and no
//! copy is forked. Pure: no clock, no IO; the engine finds the four points and persists
//! what [`analyze`] reports.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::diff;
use crate::validate::Context;
use crate::{Error, Object, ObjectSchema, read_any};

/// Which side of a merge did something, seen from this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    /// This device.
    Mine,
    /// The device whose changes arrived.
    Theirs,
}

impl Side {
    #[must_use]
    pub fn other(self) -> Side {
        match self {
            Side::Mine => Side::Theirs,
            Side::Theirs => Side::Mine,
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Mine => "this device",
            Side::Theirs => "the other device",
        })
    }
}

/// One step of the path to a value: a map key, a list entry by its `id` (entries of lists
/// have ids, so the path names the same entry on every side), or a list position for
/// lists of plain values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "by", content = "at", rename_all = "camelCase")]
pub enum Seg {
    Key(String),
    Item(String),
    Index(u32),
}

/// The four points of history a merge is read at (change hashes as hex).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MergeHeads {
    pub base: Vec<String>,
    pub mine: Vec<String>,
    pub theirs: Vec<String>,
    pub merged: Vec<String>,
}

impl MergeHeads {
    #[must_use]
    pub fn new(
        base: &[ChangeHash],
        mine: &[ChangeHash],
        theirs: &[ChangeHash],
        merged: &[ChangeHash],
    ) -> MergeHeads {
        let hex = |hs: &[ChangeHash]| hs.iter().map(ToString::to_string).collect();
        MergeHeads {
            base: hex(base),
            mine: hex(mine),
            theirs: hex(theirs),
            merged: hex(merged),
        }
    }

    fn parse(list: &[String]) -> Result<Vec<ChangeHash>, Error> {
        list.iter()
            .map(|h| {
                h.parse::<ChangeHash>()
                    .map_err(|_| Error::BadMergePoint(h.clone()))
            })
            .collect()
    }

    fn side(&self, side: Side) -> Result<Vec<ChangeHash>, Error> {
        Self::parse(match side {
            Side::Mine => &self.mine,
            Side::Theirs => &self.theirs,
        })
    }
}

/// What the merge of one object did, item by item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    tag = "what",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum MergeItem {
    /// Both sides set the same field to different values; one value won (`merged`) and the
    /// other (`overwritten`'s) was replaced. Values are shown as text; `None` is "not set".
    Field {
        field: String,
        path: Vec<Seg>,
        base: Option<String>,
        mine: Option<String>,
        theirs: Option<String>,
        merged: Option<String>,
        overwritten: Option<Side>,
    },
    /// One side moved the object to the trash while the other edited it.
    TrashedWhileEdited {
        trashed_by: Side,
        /// The fields the other side edited.
        edited: Vec<String>,
        /// Whether the object is in the trash after the merge.
        in_trash: bool,
    },
    /// Both sides edited the same paragraph of a prose field: each side's version and
    /// what the merge made of them. `overwritten` lists the sides whose words are not in
    /// the merged paragraph.
    Paragraph {
        field: String,
        path: Vec<Seg>,
        base: String,
        mine: String,
        theirs: String,
        merged: String,
        overwritten: Vec<Side>,
    },
    /// One side removed a large part of a prose field.
    LargeRemoval {
        field: String,
        path: Vec<Seg>,
        by: Side,
        removed_words: u32,
        /// The removed text, paragraph by paragraph.
        removed: String,
    },
}

impl MergeItem {
    /// The sides whose work this item can bring back as a new edit.
    #[must_use]
    pub fn restorable(&self) -> Vec<Side> {
        match self {
            MergeItem::Field { overwritten, .. } => overwritten.iter().copied().collect(),
            MergeItem::Paragraph { overwritten, .. } => overwritten.clone(),
            MergeItem::LargeRemoval { by, .. } => vec![by.other()],
            MergeItem::TrashedWhileEdited { .. } => Vec::new(),
        }
    }
}

/// Past this many words a removal is "large" whatever the field's length; below it, a
/// removal is large when it takes at least half of a field of [`LARGE_MIN_WORDS`] words
/// or more.
pub const LARGE_REMOVAL_WORDS: usize = 40;
const LARGE_MIN_WORDS: usize = 12;

/// A value of the document, flattened.
#[derive(Debug, Clone, PartialEq)]
enum Leaf {
    Scalar(ScalarValue),
    Text(String),
}

type Flat = BTreeMap<Vec<Seg>, Leaf>;

/// Every scalar and text of the document at `heads`, by path.
fn flatten(doc: &AutoCommit, heads: &[ChangeHash]) -> Flat {
    let mut out = Flat::new();
    walk(
        doc,
        &automerge::ROOT,
        ObjType::Map,
        heads,
        &mut Vec::new(),
        &mut out,
    );
    out
}

fn walk(
    doc: &AutoCommit,
    obj: &ObjId,
    ty: ObjType,
    heads: &[ChangeHash],
    path: &mut Vec<Seg>,
    out: &mut Flat,
) {
    match ty {
        ObjType::Map | ObjType::Table => {
            for key in doc.keys_at(obj, heads) {
                if let Ok(Some((value, id))) = doc.get_at(obj, key.as_str(), heads) {
                    path.push(Seg::Key(key.clone()));
                    visit(doc, value, &id, heads, path, out);
                    path.pop();
                }
            }
        }
        ObjType::List => {
            for i in 0..doc.length_at(obj, heads) {
                if let Ok(Some((value, id))) = doc.get_at(obj, i, heads) {
                    let seg = match &value {
                        Value::Object(ObjType::Map) => {
                            item_id(doc, &id, heads).map_or(Seg::Index(index(i)), Seg::Item)
                        }
                        _ => Seg::Index(index(i)),
                    };
                    path.push(seg);
                    visit(doc, value, &id, heads, path, out);
                    path.pop();
                }
            }
        }
        ObjType::Text => {
            if let Ok(text) = doc.text_at(obj, heads) {
                out.insert(path.clone(), Leaf::Text(text));
            }
        }
    }
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn visit(
    doc: &AutoCommit,
    value: Value<'_>,
    id: &ObjId,
    heads: &[ChangeHash],
    path: &mut Vec<Seg>,
    out: &mut Flat,
) {
    match value {
        Value::Object(ty) => walk(doc, id, ty, heads, path, out),
        Value::Scalar(s) => {
            out.insert(path.clone(), Leaf::Scalar(s.into_owned()));
        }
    }
}

fn item_id(doc: &AutoCommit, obj: &ObjId, heads: &[ChangeHash]) -> Option<String> {
    match doc.get_at(obj, "id", heads).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(id) => Some(id.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The path as a reader sees it: `title`, `options[3fa1].label`, `attendees[2]`.
#[must_use]
pub fn field_name(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Item(id) => {
                out.push('[');
                out.push_str(id);
                out.push(']');
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

fn shown(leaf: Option<&Leaf>) -> Option<String> {
    leaf.map(|l| match l {
        Leaf::Text(t) => t.clone(),
        Leaf::Scalar(s) => match s {
            ScalarValue::Str(s) => s.to_string(),
            ScalarValue::Null => String::new(),
            ScalarValue::Timestamp(t) => t.to_string(),
            ScalarValue::Counter(_) | ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } => {
                s.to_string()
            }
            other => other.to_string(),
        },
    })
}

fn text(l: Option<&Leaf>) -> Option<&str> {
    match l {
        Some(Leaf::Text(t)) => Some(t.as_str()),
        _ => None,
    }
}

/// The root keys that are not fields a person edits.
const NOT_FIELDS: &[&str] = &["kind", "trashed"];

fn is_field(path: &[Seg]) -> bool {
    !matches!(path, [Seg::Key(k)] if NOT_FIELDS.contains(&k.as_str()))
}

fn trashed_in(flat: &Flat) -> bool {
    matches!(
        flat.get([Seg::Key("trashed".to_owned())].as_slice()),
        Some(Leaf::Scalar(ScalarValue::Boolean(true)))
    )
}

/// What the merge at `heads` did to the document, item by item; empty when the two
/// sides' changes did not meet (they edited different fields and paragraphs).
///
/// # Errors
/// [`Error::BadMergePoint`] when a head is not a change hash.
pub fn analyze(doc: &AutoCommit, heads: &MergeHeads) -> Result<Vec<MergeItem>, Error> {
    let [base, mine, theirs, merged] = [&heads.base, &heads.mine, &heads.theirs, &heads.merged]
        .map(|h| MergeHeads::parse(h).map(|hs| flatten(doc, &hs)));
    let (base, mine, theirs, merged) = (base?, mine?, theirs?, merged?);
    let mut items = Vec::new();

    // A trash on one side against edits on the other.
    let (base_trashed, mine_trashed, theirs_trashed) =
        (trashed_in(&base), trashed_in(&mine), trashed_in(&theirs));
    for (by, trashed, other) in [
        (Side::Mine, mine_trashed, &theirs),
        (Side::Theirs, theirs_trashed, &mine),
    ] {
        if trashed && !base_trashed {
            let edited = changed_paths(&base, other)
                .into_iter()
                .filter(|p| is_field(p))
                .map(|p| field_name(&p))
                .collect::<Vec<_>>();
            if !edited.is_empty() {
                items.push(MergeItem::TrashedWhileEdited {
                    trashed_by: by,
                    edited,
                    in_trash: trashed_in(&merged),
                });
            }
        }
    }

    let paths: BTreeSet<&Vec<Seg>> = base
        .keys()
        .chain(mine.keys())
        .chain(theirs.keys())
        .collect();
    for path in paths {
        if !is_field(path) {
            continue;
        }
        let (b, m, t, g) = (
            base.get(path),
            mine.get(path),
            theirs.get(path),
            merged.get(path),
        );
        let field = field_name(path);
        // Prose: paragraphs edited on both sides, and large removals by either.
        if let (Some(bt), Some(mt), Some(tt)) = (text(b), text(m), text(t)) {
            let gt = text(g).unwrap_or_default();
            if mt != bt && tt != bt {
                items.extend(paragraphs(path, &field, bt, mt, tt, gt));
            }
            for (by, side) in [(Side::Mine, mt), (Side::Theirs, tt)] {
                if let Some(item) = large_removal(path, &field, by, bt, side) {
                    items.push(item);
                }
            }
            continue;
        }
        if m != b && t != b && m != t {
            let (mine_s, theirs_s, merged_s) = (shown(m), shown(t), shown(g));
            let overwritten = if merged_s == mine_s {
                Some(Side::Theirs)
            } else if merged_s == theirs_s {
                Some(Side::Mine)
            } else {
                None
            };
            items.push(MergeItem::Field {
                field,
                path: path.clone(),
                base: shown(b),
                mine: mine_s,
                theirs: theirs_s,
                merged: merged_s,
                overwritten,
            });
        }
    }
    Ok(items)
}

fn changed_paths(base: &Flat, side: &Flat) -> Vec<Vec<Seg>> {
    let keys: BTreeSet<&Vec<Seg>> = base.keys().chain(side.keys()).collect();
    keys.into_iter()
        .filter(|k| base.get(*k) != side.get(*k))
        .cloned()
        .collect()
}

/// A text as lines, each keeping its newline, so joining them gives the text back.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The runs of `old` lines that `new` changed: (old range, new range).
fn hunks(old: &[&str], new: &[&str]) -> Vec<(Range<usize>, Range<usize>)> {
    use similar::DiffOp;
    similar::capture_diff_slices(similar::Algorithm::Myers, old, new)
        .into_iter()
        .filter_map(|op| match op {
            DiffOp::Equal { .. } => None,
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => Some((old_index..old_index + old_len, new_index..new_index)),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => Some((old_index..old_index, new_index..new_index + new_len)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => Some((
                old_index..old_index + old_len,
                new_index..new_index + new_len,
            )),
        })
        .collect()
}

/// Where old line boundary `at` lands in the new text; a boundary inside a changed run
/// takes the run's start (`start`) or end.
fn map_boundary(hunks: &[(Range<usize>, Range<usize>)], at: usize, start: bool) -> usize {
    let mut shift: isize = 0;
    for (old, new) in hunks {
        if at < old.start || (at == old.start && start) {
            break;
        }
        if at < old.end || (at == old.end && !start && old.is_empty()) {
            return if start { new.start } else { new.end };
        }
        if at == old.end {
            return new.end;
        }
        shift = new.end.cast_signed() - old.end.cast_signed();
    }
    at.saturating_add_signed(shift)
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    if a.is_empty() || b.is_empty() {
        // Two insertions at one place are both kept by the merge: not an overwrite.
        return false;
    }
    a.start < b.end && b.start < a.end
}

fn paragraphs(
    path: &[Seg],
    field: &str,
    base: &str,
    mine: &str,
    theirs: &str,
    merged: &str,
) -> Vec<MergeItem> {
    let (bl, ml, tl, gl) = (lines(base), lines(mine), lines(theirs), lines(merged));
    let (mh, th, gh) = (hunks(&bl, &ml), hunks(&bl, &tl), hunks(&bl, &gl));
    // Runs of base lines both sides changed, joined where they chain.
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (m, _) in &mh {
        for (t, _) in &th {
            if overlaps(m, t) {
                let run = m.start.min(t.start)..m.end.max(t.end);
                match runs.last_mut() {
                    Some(last) if last.end >= run.start => {
                        last.start = last.start.min(run.start);
                        last.end = last.end.max(run.end);
                    }
                    _ => runs.push(run),
                }
            }
        }
    }
    runs.sort_by_key(|r| r.start);
    runs.into_iter()
        .map(|run| {
            let cut = |ls: &[&str], hs: &[(Range<usize>, Range<usize>)]| {
                let (s, e) = (
                    map_boundary(hs, run.start, true),
                    map_boundary(hs, run.end, false),
                );
                ls.get(s..e.max(s)).unwrap_or_default().concat()
            };
            let (b, m, t, g) = (
                bl[run.clone()].concat(),
                cut(&ml, &mh),
                cut(&tl, &th),
                cut(&gl, &gh),
            );
            let overwritten = [(Side::Mine, &m), (Side::Theirs, &t)]
                .into_iter()
                .filter(|(_, side)| diff::words(side, &g).removed > 0)
                .map(|(s, _)| s)
                .collect();
            MergeItem::Paragraph {
                field: field.to_owned(),
                path: path.to_vec(),
                base: b,
                mine: m,
                theirs: t,
                merged: g,
                overwritten,
            }
        })
        .collect()
}

fn large_removal(path: &[Seg], field: &str, by: Side, base: &str, side: &str) -> Option<MergeItem> {
    if base == side {
        return None;
    }
    let d = diff::words(base, side);
    let total = base.split_whitespace().count();
    let large =
        d.removed >= LARGE_REMOVAL_WORDS || (total >= LARGE_MIN_WORDS && d.removed * 2 >= total);
    if !large {
        return None;
    }
    let (bl, sl) = (lines(base), lines(side));
    let removed = hunks(&bl, &sl)
        .into_iter()
        .filter(|(old, _)| !old.is_empty())
        .map(|(old, _)| bl[old].concat())
        .collect::<Vec<_>>()
        .join("…\n");
    Some(MergeItem::LargeRemoval {
        field: field.to_owned(),
        path: path.to_vec(),
        by,
        removed_words: u32::try_from(d.removed).unwrap_or(u32::MAX),
        removed,
    })
}

/// Brings back `side`'s work that `item` says the merge replaced, as ordinary operations
/// on the document as it is now (the caller commits, persists and syncs them like any
/// edit, so the restore is itself in the history): a field gets `side`'s value again, a
/// paragraph `side`'s version, removed paragraphs are put back after the line that
/// preceded them. The result is validated against the rules of the object's kind.
///
/// # Errors
/// [`Error::NothingToRestore`] when `item` lost nothing of `side`;
/// [`Error::RestoreStale`] when the text changed since so much that the place is gone;
/// a rule error when the restored object would break a rule of its kind.
pub fn restore(
    doc: &mut AutoCommit,
    heads: &MergeHeads,
    item: &MergeItem,
    side: Side,
    ctx: &Context<'_>,
) -> Result<(), Error> {
    if !item.restorable().contains(&side) {
        return Err(Error::NothingToRestore);
    }
    let previous = read_any(doc)?;
    match item {
        MergeItem::Field { path, field, .. } => {
            let at = heads.side(side)?;
            let value = value_at(doc, path, Some(&at));
            let Some((parent, prop)) = resolve_parent(doc, path, None) else {
                return Err(Error::RestoreStale(field.clone()));
            };
            match (value, prop) {
                (Some(v), Prop::Key(k)) => doc.put(&parent, k, v)?,
                (Some(v), Prop::Index(i)) => doc.put(&parent, i, v)?,
                (None, Prop::Key(k)) => doc.delete(&parent, k)?,
                (None, Prop::Index(i)) => doc.delete(&parent, i)?,
            }
        }
        MergeItem::Paragraph {
            path,
            field,
            merged,
            mine,
            theirs,
            ..
        } => {
            let wanted = match side {
                Side::Mine => mine,
                Side::Theirs => theirs,
            };
            let (obj, current) = text_now(doc, path, field)?;
            let Some(at) = find_place(&current, merged) else {
                return Err(Error::RestoreStale(field.clone()));
            };
            let mut new = current.clone();
            new.replace_range(at..at + merged.len(), wanted);
            doc.update_text(&obj, &new)?;
        }
        MergeItem::LargeRemoval {
            path, field, by, ..
        } => {
            let base = MergeHeads::parse(&heads.base)?;
            let remover = heads.side(*by)?;
            let (obj, current) = text_now(doc, path, field)?;
            let text_at = |hs: &[ChangeHash]| match resolve(doc, path, Some(hs)) {
                Some(id) => doc.text_at(&id, hs).unwrap_or_default(),
                None => String::new(),
            };
            let (bt, rt) = (text_at(&base), text_at(&remover));
            let new =
                put_back(&bt, &rt, &current).ok_or_else(|| Error::RestoreStale(field.clone()))?;
            doc.update_text(&obj, &new)?;
        }
        MergeItem::TrashedWhileEdited { .. } => return Err(Error::NothingToRestore),
    }
    let now = read_any(doc)?;
    validate_edit(&now, &previous, ctx)
}

/// Where `merged` sits in `current`: the first place, or `None` if it is not there. An
/// empty `merged` (the merge removed the paragraph) has no place.
fn find_place(current: &str, merged: &str) -> Option<usize> {
    if merged.is_empty() {
        return None;
    }
    current.find(merged)
}

/// `current` with the lines `remover` removed from `base` put back, each run after the
/// base line that preceded it (found in `current`), or at the start. `None` if a
/// preceding line is no longer there.
fn put_back(base: &str, remover: &str, current: &str) -> Option<String> {
    let (bl, rl) = (lines(base), lines(remover));
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for (old, _) in hunks(&bl, &rl) {
        if old.is_empty() {
            continue;
        }
        let removed = bl[old.clone()].concat();
        if current.contains(removed.trim_end()) {
            continue; // already back
        }
        let at = if old.start == 0 {
            0
        } else {
            let anchor = bl[old.start - 1];
            let found = current.find(anchor)?;
            found + anchor.len()
        };
        let mut text = removed;
        if at > 0 && !current[..at].ends_with('\n') {
            text.insert(0, '\n');
        }
        inserts.push((at, text));
    }
    let mut out = current.to_owned();
    inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    for (at, text) in inserts {
        out.insert_str(at, &text);
    }
    Some(out)
}

enum Prop {
    Key(String),
    Index(usize),
}

/// The object at `path` (at `heads`, or now).
fn resolve(doc: &AutoCommit, path: &[Seg], heads: Option<&[ChangeHash]>) -> Option<ObjId> {
    let mut obj = automerge::ROOT;
    for seg in path {
        let (value, id) = step(doc, &obj, seg, heads)?;
        if !matches!(value, Value::Object(_)) {
            return None;
        }
        obj = id;
    }
    Some(obj)
}

fn step<'a>(
    doc: &'a AutoCommit,
    obj: &ObjId,
    seg: &Seg,
    heads: Option<&[ChangeHash]>,
) -> Option<(Value<'a>, ObjId)> {
    let get = |prop: automerge::Prop| match heads {
        Some(h) => doc.get_at(obj, prop, h).ok().flatten(),
        None => doc.get(obj, prop).ok().flatten(),
    };
    match seg {
        Seg::Key(k) => get(k.as_str().into()),
        Seg::Index(i) => get((*i as usize).into()),
        Seg::Item(id) => {
            let len = heads.map_or_else(|| doc.length(obj), |h| doc.length_at(obj, h));
            (0..len).find_map(|i| {
                let (value, eid) = get(i.into())?;
                let matches = match heads {
                    Some(h) => item_id(doc, &eid, h),
                    None => item_id_now(doc, &eid),
                }
                .is_some_and(|found| &found == id);
                matches.then_some((value, eid))
            })
        }
    }
}

fn item_id_now(doc: &AutoCommit, obj: &ObjId) -> Option<String> {
    match doc.get(obj, "id").ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(id) => Some(id.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The object holding the value at `path`, and the value's key or position in it.
fn resolve_parent(
    doc: &AutoCommit,
    path: &[Seg],
    heads: Option<&[ChangeHash]>,
) -> Option<(ObjId, Prop)> {
    let (last, parent) = path.split_last()?;
    let obj = resolve(doc, parent, heads)?;
    let prop = match last {
        Seg::Key(k) => Prop::Key(k.clone()),
        Seg::Index(i) => Prop::Index(*i as usize),
        Seg::Item(_) => {
            // An entry of a list is not a scalar field; restoring one is not offered.
            return None;
        }
    };
    Some((obj, prop))
}

fn value_at(doc: &AutoCommit, path: &[Seg], heads: Option<&[ChangeHash]>) -> Option<ScalarValue> {
    let (last, parent) = path.split_last()?;
    let obj = resolve(doc, parent, heads)?;
    match step(doc, &obj, last, heads)? {
        (Value::Scalar(s), _) => Some(s.into_owned()),
        _ => None,
    }
}

fn text_now(doc: &AutoCommit, path: &[Seg], field: &str) -> Result<(ObjId, String), Error> {
    let obj = resolve(doc, path, None).ok_or_else(|| Error::RestoreStale(field.to_owned()))?;
    if doc.object_type(&obj)? != ObjType::Text {
        return Err(Error::NotProse(field.to_owned()));
    }
    let text = doc.text(&obj)?;
    Ok((obj, text))
}

/// Checks `now` (an edit of `previous`) against the rules of its kind.
fn validate_edit(now: &Object, previous: &Object, ctx: &Context<'_>) -> Result<(), Error> {
    match (now, previous) {
        (Object::Workspace(n), Object::Workspace(p)) => n.validate(Some(p), ctx),
        (Object::Member(n), Object::Member(p)) => n.validate(Some(p), ctx),
        (Object::Charter(n), Object::Charter(p)) => n.validate(Some(p), ctx),
        (Object::Page(n), Object::Page(p)) => n.validate(Some(p), ctx),
        (Object::Decision(n), Object::Decision(p)) => n.validate(Some(p), ctx),
        (Object::Meeting(n), Object::Meeting(p)) => n.validate(Some(p), ctx),
        (Object::Thread(n), Object::Thread(p)) => n.validate(Some(p), ctx),
        (Object::Checkin(n), Object::Checkin(p)) => n.validate(Some(p), ctx),
        (Object::Task(n), Object::Task(p)) => n.validate(Some(p), ctx),
        (n, p) => Err(Error::WrongKind {
            expected: p.kind(),
            found: n.kind(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Page, write};

    fn ctx() -> Context<'static> {
        Context {
            members: None,
            message_kinds: &[],
        }
    }

    fn page(title: &str, body: &str) -> Page {
        Page {
            title: title.into(),
            body: body.into(),
            ..Page::default()
        }
    }

    /// Two devices edit a page from a common version; returns the merged document of
    /// device "mine" and the heads of the four points.
    fn merge(
        base: &Page,
        mine: impl FnOnce(&mut AutoCommit),
        theirs: impl FnOnce(&mut AutoCommit),
    ) -> (AutoCommit, MergeHeads) {
        let mut a = AutoCommit::new();
        a.set_actor(automerge::ActorId::from(vec![1; 16]));
        write(&mut a, base, &ctx()).expect("write");
        a.commit();
        let b0 = a.get_heads();
        let mut b = a.fork();
        b.set_actor(automerge::ActorId::from(vec![2; 16]));
        mine(&mut a);
        a.commit();
        theirs(&mut b);
        b.commit();
        let (m, t) = (a.get_heads(), b.get_heads());
        a.merge(&mut b).expect("merge");
        let g = a.get_heads();
        (a, MergeHeads::new(&b0, &m, &t, &g))
    }

    fn set_page(f: impl FnOnce(&mut Page)) -> impl FnOnce(&mut AutoCommit) {
        move |doc| {
            let mut p: Page = crate::read(doc).expect("read");
            f(&mut p);
            write(doc, &p, &ctx()).expect("write");
        }
    }

    #[test]
    fn concurrent_titles_name_the_winner_and_the_overwritten_side() {
        let (doc, heads) = merge(
            &page("Plan", "x\n"),
            set_page(|p| p.title = "Plan A".into()),
            set_page(|p| p.title = "Plan B".into()),
        );
        let items = analyze(&doc, &heads).expect("analyze");
        let [
            MergeItem::Field {
                field,
                mine,
                theirs,
                merged,
                overwritten,
                ..
            },
        ] = items.as_slice()
        else {
            panic!("one field item expected: {items:?}")
        };
        assert_eq!(field, "title");
        assert_eq!(
            (mine.as_deref(), theirs.as_deref()),
            (Some("Plan A"), Some("Plan B"))
        );
        let lost = overwritten.expect("one side lost");
        let winner = if lost == Side::Mine { theirs } else { mine };
        assert_eq!(merged, winner);
    }

    #[test]
    fn edits_of_different_fields_and_paragraphs_report_nothing() {
        let (doc, heads) = merge(
            &page("Plan", "one\n\ntwo\n"),
            set_page(|p| p.body = "one more\n\ntwo\n".into()),
            set_page(|p| {
                p.title = "Plan B".into();
                p.body = "one\n\ntwo too\n".into();
            }),
        );
        assert_eq!(analyze(&doc, &heads).expect("analyze"), vec![]);
    }

    #[test]
    fn the_same_paragraph_shows_both_versions_and_restores_mine() {
        let (mut doc, heads) = merge(
            &page("Plan", "Intro.\n\nWe ship on Monday at noon.\n\nEnd.\n"),
            set_page(|p| p.body = "Intro.\n\nWe ship on Tuesday at noon.\n\nEnd.\n".into()),
            set_page(|p| p.body = "Intro.\n\nWe ship on Friday after lunch.\n\nEnd.\n".into()),
        );
        let items = analyze(&doc, &heads).expect("analyze");
        let item = items
            .iter()
            .find(|i| matches!(i, MergeItem::Paragraph { .. }))
            .unwrap_or_else(|| panic!("a paragraph item: {items:?}"));
        let MergeItem::Paragraph {
            base,
            mine,
            theirs,
            merged,
            ..
        } = item
        else {
            unreachable!()
        };
        assert_eq!(base, "We ship on Monday at noon.\n");
        assert_eq!(mine, "We ship on Tuesday at noon.\n");
        assert_eq!(theirs, "We ship on Friday after lunch.\n");
        let body = |d: &AutoCommit| crate::read::<Page>(d).expect("read").body;
        assert!(body(&doc).contains(merged.as_str()));
        // Both replaced "Monday": the merge keeps neither side's sentence whole.
        assert!(item.restorable().contains(&Side::Mine), "{item:?}");
        restore(&mut doc, &heads, item, Side::Mine, &ctx()).expect("restore");
        assert_eq!(
            body(&doc),
            "Intro.\n\nWe ship on Tuesday at noon.\n\nEnd.\n"
        );
    }

    #[test]
    fn a_trash_against_an_edit_is_named() {
        let (doc, heads) = merge(
            &page("Plan", "x\n"),
            |doc| crate::set_trashed(doc, true).expect("trash"),
            set_page(|p| p.body = "x and y\n".into()),
        );
        let items = analyze(&doc, &heads).expect("analyze");
        assert_eq!(
            items,
            vec![MergeItem::TrashedWhileEdited {
                trashed_by: Side::Mine,
                edited: vec!["body".into()],
                in_trash: true,
            }]
        );
    }

    #[test]
    fn a_large_removal_is_named_and_put_back() {
        let long: String = (0..50).map(|i| format!("word{i} ")).collect();
        let base = format!("Keep this.\n{long}\nAnd this.\n");
        let (mut doc, heads) = merge(
            &page("Plan", &base),
            set_page(|p| p.body = "Keep this.\nAnd this.\n".into()),
            set_page(|p| p.title = "Plan 2".into()),
        );
        let items = analyze(&doc, &heads).expect("analyze");
        let item = items
            .iter()
            .find(|i| matches!(i, MergeItem::LargeRemoval { by: Side::Mine, .. }))
            .unwrap_or_else(|| panic!("a large removal: {items:?}"));
        restore(&mut doc, &heads, item, Side::Theirs, &ctx()).expect("put back");
        assert_eq!(crate::read::<Page>(&doc).expect("read").body, base);
    }

    #[test]
    fn restoring_an_overwritten_title_sets_it_again() {
        let (mut doc, heads) = merge(
            &page("Plan", "x\n"),
            set_page(|p| p.title = "Plan A".into()),
            set_page(|p| p.title = "Plan B".into()),
        );
        let items = analyze(&doc, &heads).expect("analyze");
        let item = &items[0];
        let lost = item.restorable()[0];
        restore(&mut doc, &heads, item, lost, &ctx()).expect("restore");
        let want = if lost == Side::Mine {
            "Plan A"
        } else {
            "Plan B"
        };
        assert_eq!(crate::read::<Page>(&doc).expect("read").title, want);
        assert!(matches!(
            restore(&mut doc, &heads, item, lost.other(), &ctx()),
            Err(Error::NothingToRestore)
        ));
    }

    #[test]
    fn boundaries_map_through_changed_runs() {
        let old = ["a\n", "b\n", "c\n", "d\n"];
        let new = ["a\n", "x\n", "y\n", "c\n", "d\n"];
        let hs = hunks(&old, &new);
        assert_eq!(map_boundary(&hs, 1, true), 1);
        assert_eq!(map_boundary(&hs, 2, false), 3);
        assert_eq!(map_boundary(&hs, 3, true), 4);
        assert_eq!(map_boundary(&hs, 0, true), 0);
    }
}
