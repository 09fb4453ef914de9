use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::{DocId, Error, Kind};

/// The workspace document: its name, its charter and the index of every object in it.
#[derive(
    Debug, Clone, PartialEq, Default, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS,
)]
pub struct WorkspaceDoc {
    pub name: String,
    /// Document id of the charter.
    pub charter: Option<String>,
    /// Object id → kind, for every object created in the workspace (trashed ones included).
    pub index: BTreeMap<String, String>,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

impl WorkspaceDoc {
    /// Adds objects to the index of `doc`, a workspace document, without reading the
    /// index. It lists every object of the workspace: reading it whole and reconciling it
    /// back to add one object made creating n objects one at a time cost n² (the mirror
    /// making pages of 10,000 new files took minutes).
    pub fn add_to_index<'a>(
        doc: &mut AutoCommit,
        objects: impl IntoIterator<Item = (&'a DocId, Kind)>,
    ) -> Result<(), Error> {
        let index = match doc.get(ROOT, "index")? {
            Some((Value::Object(ObjType::Map), index)) => index,
            _ => doc.put_object(ROOT, "index", ObjType::Map)?,
        };
        for (id, kind) in objects {
            doc.put(&index, id.as_str(), kind.as_str())?;
        }
        Ok(())
    }

    /// The workspace's name as `doc` holds it, read alone (not the index).
    pub fn name_in(doc: &AutoCommit) -> Result<String, Error> {
        autosurgeon::hydrate_prop(doc, ROOT, "name").map_err(|e| Error::DocumentShape {
            kind: Kind::Workspace,
            detail: e.to_string(),
        })
    }

    /// The charter's document id as `doc` holds it, read alone: views that need the
    /// workspace's name and charter must not hydrate the index of every object.
    pub fn charter_in(doc: &AutoCommit) -> Result<Option<String>, Error> {
        autosurgeon::hydrate_prop(doc, ROOT, "charter").map_err(|e| Error::DocumentShape {
            kind: Kind::Workspace,
            detail: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_added_to_the_index_read_back_with_the_rest() {
        let mut doc = AutoCommit::new();
        let mut ws = WorkspaceDoc {
            name: "Acme".into(),
            charter: None,
            index: BTreeMap::from([("a".repeat(32), "member".into())]),
            created_at_ms: 7,
        };
        autosurgeon::reconcile(&mut doc, &ws).expect("reconcile");
        let (p, d) = (DocId::from_bytes([1; 16]), DocId::from_bytes([2; 16]));
        WorkspaceDoc::add_to_index(&mut doc, [(&p, Kind::Page), (&d, Kind::Decision)])
            .expect("add");
        ws.index.insert(p.to_string(), "page".into());
        ws.index.insert(d.to_string(), "decision".into());
        let read: WorkspaceDoc = autosurgeon::hydrate(&doc).expect("hydrate");
        assert_eq!(read, ws);
        assert_eq!(WorkspaceDoc::name_in(&doc).expect("name"), "Acme");
    }
}
