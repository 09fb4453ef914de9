//! Meridian's pure domain: ids, the object schemas (one Automerge document per object,
//! mapped with autosurgeon), validation rules and, later, time and charter rules and the
//! derived views.
//!
//! No IO, no async, no clock, no randomness, no SQLite: callers pass `now` and fresh ids
//! in. Everything else in Meridian depends on this crate; it depends on nothing of ours.

pub mod diff;
mod doc;
mod error;
pub mod history;
mod ids;
mod labels;
pub mod links;
pub mod mentions;
pub mod merged;
pub mod norms;
mod objects;
mod prose;
pub mod purge;
pub mod time;
mod validate;
pub mod views;

pub use doc::{
    Object, ObjectSchema, TextSplice, kind_of, read, read_any, set_trashed, splice_prose, trashed,
    write,
};
pub use error::Error;
pub use ids::{DocId, Kind, MemberId};
pub use objects::*;
pub use validate::{Context, PreRead, parse_date, parse_pre_read, parse_time};
