//! Integration tests of the domain: objects in real Automerge documents.

mod links;
mod merge;
mod objects;
mod time;
mod validation;

use automerge::{AutoCommit, TextEncoding};
use meridian_core::{Context, ObjectSchema};

/// A new document holding `value`, as the engine would create it.
pub fn doc_with<T: ObjectSchema>(value: &T) -> AutoCommit {
    let mut doc = AutoCommit::new_with_encoding(TextEncoding::Utf16CodeUnit);
    meridian_core::write(&mut doc, value, &Context::default()).expect("valid object");
    doc.commit();
    doc
}
