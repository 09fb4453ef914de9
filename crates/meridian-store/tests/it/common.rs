//! Helpers shared by the integration tests.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use meridian_core::{DocId, Kind};
use meridian_store::{CatalogUpdate, DocWrite, Store};

pub fn doc_id(n: u8) -> DocId {
    DocId::from_bytes([n; 16])
}

pub fn catalog(title: &str, updated_at_ms: i64) -> CatalogUpdate {
    CatalogUpdate {
        title: title.to_owned(),
        status: None,
        updated_at_ms,
        trashed: false,
    }
}

/// A document being edited, with the bookkeeping the engine would keep.
pub struct Editing {
    pub id: DocId,
    pub doc: AutoCommit,
    pub text: ObjId,
    pub saved: Vec<ChangeHash>,
    pub edits: i64,
}

impl Editing {
    pub fn new(id: DocId) -> Editing {
        let mut doc = AutoCommit::new();
        let text = doc
            .put_object(ROOT, "body", ObjType::Text)
            .expect("create text");
        doc.commit();
        Editing {
            id,
            doc,
            text,
            saved: Vec::new(),
            edits: 0,
        }
    }

    /// Appends `s` to the text and commits.
    pub fn type_text(&mut self, s: &str) {
        let len = self.doc.length(&self.text);
        self.doc.splice_text(&self.text, len, 0, s).expect("splice");
        self.doc.commit();
        self.edits += 1;
    }

    pub fn body(&self) -> String {
        self.doc.text(&self.text).expect("text")
    }

    /// The write for everything since the last one.
    pub fn write(&mut self) -> DocWrite {
        let chunk = self.doc.save_after(&self.saved);
        self.saved = self.doc.get_heads();
        DocWrite {
            id: self.id.clone(),
            kind: Kind::Page,
            chunk,
            heads: self.saved.clone(),
            catalog: catalog(&format!("page {}", self.id), self.edits),
        }
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }
}

pub fn body_of(doc: &AutoCommit) -> String {
    let (_, text) = doc
        .get(ROOT, "body")
        .expect("get body")
        .expect("body exists");
    doc.text(&text).expect("text")
}

pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("ws").join("meridian.db")).expect("open store");
    (dir, store)
}
