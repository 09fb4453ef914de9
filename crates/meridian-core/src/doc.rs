//! Reading and writing objects in their Automerge documents.
//!
//! Every document carries its kind at the root (`kind`), so a document found on disk or
//! received from a peer says what it is. Writes validate first and only then touch the
//! document; the caller commits (with its own clock) and persists.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ScalarValue, Value};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::objects::*;
use crate::validate::Context;
use crate::{Error, Kind};

/// An object schema: the struct mapped onto one Automerge document.
pub trait ObjectSchema: Reconcile + Hydrate + Clone + Sized {
    const KIND: Kind;
    /// What lists show.
    fn title(&self) -> &str;
    /// The status label lists show, for kinds that have one.
    fn status(&self) -> Option<String> {
        None
    }
    /// Checks the rules of the kind. `previous` is the stored value when this is an edit,
    /// so transition rules (e.g. decision status) can be checked.
    fn validate(&self, previous: Option<&Self>, ctx: &Context<'_>) -> Result<(), Error>;
    fn into_object(self) -> Object;
    /// The object, if `object` is of this kind.
    fn from_object(object: &Object) -> Option<&Self>;
}

/// Any object, tagged by kind: what `show` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Object {
    Workspace(WorkspaceDoc),
    Member(Member),
    Charter(Charter),
    Page(Page),
    Decision(Decision),
    Meeting(Meeting),
    Thread(Thread),
    Checkin(Checkin),
    Task(Task),
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Workspace(_) => Kind::Workspace,
            Object::Member(_) => Kind::Member,
            Object::Charter(_) => Kind::Charter,
            Object::Page(_) => Kind::Page,
            Object::Decision(_) => Kind::Decision,
            Object::Meeting(_) => Kind::Meeting,
            Object::Thread(_) => Kind::Thread,
            Object::Checkin(_) => Kind::Checkin,
            Object::Task(_) => Kind::Task,
        }
    }

    pub fn title(&self) -> &str {
        match self {
            Object::Workspace(o) => o.title(),
            Object::Member(o) => o.title(),
            Object::Charter(o) => o.title(),
            Object::Page(o) => o.title(),
            Object::Decision(o) => o.title(),
            Object::Meeting(o) => o.title(),
            Object::Thread(o) => o.title(),
            Object::Checkin(o) => o.title(),
            Object::Task(o) => o.title(),
        }
    }

    pub fn status(&self) -> Option<String> {
        match self {
            Object::Workspace(o) => o.status(),
            Object::Member(o) => o.status(),
            Object::Charter(o) => o.status(),
            Object::Page(o) => o.status(),
            Object::Decision(o) => o.status(),
            Object::Meeting(o) => o.status(),
            Object::Thread(o) => o.status(),
            Object::Checkin(o) => o.status(),
            Object::Task(o) => o.status(),
        }
    }
}

/// The kind recorded at the root of a document.
pub fn kind_of(doc: &AutoCommit) -> Result<Kind, Error> {
    match doc.get(automerge::ROOT, "kind")? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(k) => k.parse(),
            _ => Err(Error::MissingKind),
        },
        _ => Err(Error::MissingKind),
    }
}

/// Reads the object of kind `T` held by `doc`.
pub fn read<T: ObjectSchema>(doc: &AutoCommit) -> Result<T, Error> {
    let found = kind_of(doc)?;
    if found != T::KIND {
        return Err(Error::WrongKind {
            expected: T::KIND,
            found,
        });
    }
    autosurgeon::hydrate(doc).map_err(|e| Error::DocumentShape {
        kind: T::KIND,
        detail: e.to_string(),
    })
}

/// Reads whatever object `doc` holds.
pub fn read_any(doc: &AutoCommit) -> Result<Object, Error> {
    Ok(match kind_of(doc)? {
        Kind::Workspace => read::<WorkspaceDoc>(doc)?.into_object(),
        Kind::Member => read::<Member>(doc)?.into_object(),
        Kind::Charter => read::<Charter>(doc)?.into_object(),
        Kind::Page => read::<Page>(doc)?.into_object(),
        Kind::Decision => read::<Decision>(doc)?.into_object(),
        Kind::Meeting => read::<Meeting>(doc)?.into_object(),
        Kind::Thread => read::<Thread>(doc)?.into_object(),
        Kind::Checkin => read::<Checkin>(doc)?.into_object(),
        Kind::Task => read::<Task>(doc)?.into_object(),
    })
}

/// Validates `value` against the rules of its kind (and the stored value, if any) and
/// writes it into `doc` as a minimal set of operations. Does not commit.
pub fn write<T: ObjectSchema>(
    doc: &mut AutoCommit,
    value: &T,
    ctx: &Context<'_>,
) -> Result<(), Error> {
    let previous = if doc.get(automerge::ROOT, "kind")?.is_some() {
        Some(read::<T>(doc)?)
    } else {
        None
    };
    value.validate(previous.as_ref(), ctx)?;
    autosurgeon::reconcile(doc, value).map_err(|e| Error::DocumentShape {
        kind: T::KIND,
        detail: e.to_string(),
    })?;
    if previous.is_none() {
        doc.put(automerge::ROOT, "kind", T::KIND.as_str())?;
    }
    Ok(())
}

/// The root key of the trash flag. It sits beside `kind`, outside every object schema:
/// being in the trash is a fact about the document, not a field of any kind, and
/// autosurgeon's struct reconcile leaves keys it does not know alone, so an edit made
/// from a stale read never touches it.
const TRASHED: &str = "trashed";

/// Whether the document says its object is in the trash: `None` when no device ever
/// trashed or restored it (every new document, and documents older than the flag).
///
/// Concurrent trash and restore leave conflicting values; trash wins, the same on every
/// device whatever the merge order, so an object someone trashed does not reappear
/// behind their back (restoring it again is one click; nothing is deleted either way).
/// A value this version does not understand reads as `None`, so the caller keeps what it
/// knew rather than failing the merge that brought it.
pub fn trashed(doc: &AutoCommit) -> Result<Option<bool>, Error> {
    let mut seen = None;
    for (value, _) in doc.get_all(automerge::ROOT, TRASHED)? {
        if let Value::Scalar(s) = value
            && let ScalarValue::Boolean(b) = s.as_ref()
        {
            seen = Some(seen.unwrap_or(false) || *b);
        }
    }
    Ok(seen)
}

/// Moves the object to the trash (`true`) or back out of it, as an ordinary change the
/// caller commits and persists; nothing is removed from the document. Writes nothing when
/// the document already says exactly that (no conflict pending), so repeating a trash or
/// restore makes no empty change.
pub fn set_trashed(doc: &mut AutoCommit, trashed: bool) -> Result<(), Error> {
    let values = doc.get_all(automerge::ROOT, TRASHED)?;
    let settled = matches!(values.as_slice(), [(Value::Scalar(s), _)]
        if matches!(s.as_ref(), ScalarValue::Boolean(b) if *b == trashed));
    if !settled {
        // One put supersedes every value this device has seen, which also resolves a
        // conflict left by concurrent trash and restore.
        doc.put(automerge::ROOT, TRASHED, trashed)?;
    }
    Ok(())
}

/// One edit of a prose field, as an editor reports it: delete `delete` units at `pos`,
/// then insert `insert` there. Units are those of the document's text encoding (the
/// desktop app opens documents with UTF-16 code units, matching the webview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TextSplice {
    pub pos: u32,
    pub delete: u32,
    pub insert: String,
}

/// Applies editor splices to the top-level prose field `field`, checking every position
/// against the current length first so a stale editor gets an error, not a garbled text.
pub fn splice_prose(
    doc: &mut AutoCommit,
    field: &str,
    splices: &[TextSplice],
) -> Result<(), Error> {
    let Some((Value::Object(ObjType::Text), obj)) = doc.get(automerge::ROOT, field)? else {
        return Err(Error::NotProse(field.to_owned()));
    };
    for s in splices {
        let len = doc.length(&obj);
        let (pos, delete) = (s.pos as usize, s.delete as usize);
        if pos.checked_add(delete).is_none_or(|end| end > len) {
            return Err(Error::SpliceOutOfRange {
                field: field.to_owned(),
                pos,
                delete,
                len,
            });
        }
        doc.splice_text(&obj, pos, delete as isize, &s.insert)?;
    }
    Ok(())
}
