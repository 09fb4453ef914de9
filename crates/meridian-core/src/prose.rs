//! Prose fields: plain `String`s in Rust, Automerge text in the document.
//!
//! Used as `#[autosurgeon(with = "crate::prose")]`. Reconciling writes the new value as a
//! diff against the stored text (`update_text`, in the document's own text encoding), so
//! concurrent edits to other parts of the text survive a whole-field replacement.

use automerge::ObjId;
use autosurgeon::reconcile::TextReconciler;
use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconciler};

pub fn hydrate<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<String, HydrateError> {
    // Tolerate a plain string too: documents written by other tools may use one.
    Ok(
        autosurgeon::hydrate_prop::<_, autosurgeon::MaybeMissing<ProseValue>, _, _>(
            doc, obj, prop,
        )?
        .unwrap_or_else(ProseValue::default)
        .0,
    )
}

pub fn reconcile<R: Reconciler>(value: &String, mut reconciler: R) -> Result<(), R::Error> {
    let mut text = reconciler.text()?;
    text.update(value)
}

#[derive(Default)]
struct ProseValue(String);

impl Hydrate for ProseValue {
    fn hydrate_text<D: ReadDoc>(doc: &D, obj: &ObjId) -> Result<Self, HydrateError> {
        Ok(ProseValue(doc.text(obj)?))
    }
    fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
        Ok(ProseValue(s.to_owned()))
    }
}
