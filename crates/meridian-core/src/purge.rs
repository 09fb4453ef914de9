//! Permanent deletion from the trash, as the workspace document records it.
//!
//! A purge is a fact every device must learn, or the object would come back from a device
//! that still holds it (or from the relay's envelopes, which a new device downloads). So
//! it is a synced marker in the workspace document (`purged`: object id → who and when),
//! written by an ordinary change; every device that sees it deletes the object's data and
//! ignores any change to it that arrives later (ADR 0010). Markers are never removed: an
//! id is random and never reused, so a marker costs a few bytes forever and nothing else.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::{DocId, Error};

/// The root key of the purge markers in the workspace document.
const PURGED: &str = "purged";

/// Who purged an object and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purge {
    /// Member id.
    pub by: String,
    pub at_ms: i64,
}

/// Every purge marker of `doc`, a workspace document.
pub fn purged(doc: &AutoCommit) -> Result<BTreeMap<String, Purge>, Error> {
    let mut out = BTreeMap::new();
    let Some((Value::Object(ObjType::Map), map)) = doc.get(ROOT, PURGED)? else {
        return Ok(out);
    };
    for id in doc.keys(&map) {
        let Some((Value::Object(ObjType::Map), entry)) = doc.get(&map, id.as_str())? else {
            // A marker of a shape this version does not know still marks the id.
            out.insert(
                id,
                Purge {
                    by: String::new(),
                    at_ms: 0,
                },
            );
            continue;
        };
        let by = match doc.get(&entry, "by")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Str(s) => s.to_string(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        let at_ms = match doc.get(&entry, "at_ms")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Int(i) | ScalarValue::Timestamp(i) => *i,
                _ => 0,
            },
            _ => 0,
        };
        out.insert(id, Purge { by, at_ms });
    }
    Ok(out)
}

/// Whether `doc`, a workspace document, marks object `id` as purged. Reads one key.
pub fn is_purged(doc: &AutoCommit, id: &DocId) -> Result<bool, Error> {
    let Some((Value::Object(ObjType::Map), map)) = doc.get(ROOT, PURGED)? else {
        return Ok(false);
    };
    Ok(doc.get(&map, id.as_str())?.is_some())
}

/// Marks object `id` purged by member `by` at `at_ms`, and takes it out of the index of
/// objects. Does not commit.
pub fn mark_purged(doc: &mut AutoCommit, id: &DocId, by: &str, at_ms: i64) -> Result<(), Error> {
    let map = match doc.get(ROOT, PURGED)? {
        Some((Value::Object(ObjType::Map), map)) => map,
        _ => doc.put_object(ROOT, PURGED, ObjType::Map)?,
    };
    if doc.get(&map, id.as_str())?.is_some() {
        return Ok(());
    }
    let entry = doc.put_object(&map, id.as_str(), ObjType::Map)?;
    doc.put(&entry, "by", by)?;
    doc.put(&entry, "at_ms", at_ms)?;
    if let Some((Value::Object(ObjType::Map), index)) = doc.get(ROOT, "index")?
        && doc.get(&index, id.as_str())?.is_some()
    {
        doc.delete(&index, id.as_str())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, WorkspaceDoc};

    #[test]
    fn a_marker_survives_merges_and_edits_of_the_workspace() {
        let mut a = AutoCommit::new();
        autosurgeon::reconcile(&mut a, WorkspaceDoc::default()).expect("reconcile");
        let id = DocId::from_bytes([7; 16]);
        WorkspaceDoc::add_to_index(&mut a, [(&id, Kind::Page)]).expect("index");
        a.commit();
        let mut b = a.fork();
        mark_purged(&mut a, &id, "m1", 42).expect("mark");
        a.commit();
        // Another device renames the workspace meanwhile, through the schema.
        let mut ws: WorkspaceDoc = autosurgeon::hydrate(&b).expect("hydrate");
        ws.name = "Renamed".into();
        autosurgeon::reconcile(&mut b, &ws).expect("reconcile");
        b.commit();
        a.merge(&mut b).expect("merge");
        assert!(is_purged(&a, &id).expect("read"));
        assert_eq!(
            purged(&a).expect("read").get(id.as_str()),
            Some(&Purge {
                by: "m1".into(),
                at_ms: 42
            })
        );
        let ws: WorkspaceDoc = autosurgeon::hydrate(&a).expect("hydrate");
        assert!(!ws.index.contains_key(id.as_str()));
        assert_eq!(ws.name, "Renamed");
        assert!(!is_purged(&a, &DocId::from_bytes([8; 16])).expect("read"));
    }
}
