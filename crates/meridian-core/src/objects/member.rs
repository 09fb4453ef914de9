use std::borrow::Cow;

use automerge::{ObjId, ObjType, Value};
use autosurgeon::reconcile::{LoadKey, MapReconciler};
use autosurgeon::{Hydrate, HydrateError, MaybeMissing, Prop, ReadDoc, Reconcile, ReconcileError};
use serde::{Deserialize, Serialize};

use crate::labels::label_enum;

label_enum! {
    /// What a member may do in the workspace.
    Role { Admin = "admin", Editor = "editor", Reader = "reader" }
}

/// A person in the workspace. Local notions (hours, focus, dates) are local times plus the
/// member's IANA zone, resolved at the moment of use so they follow DST changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Member {
    pub display_name: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub tz: String,
    pub working_hours: Vec<WorkingInterval>,
    pub out_of_office: Vec<DateRange>,
    pub focus_blocks: Vec<FocusBlock>,
    pub travel: Option<Travel>,
    pub role: Role,
    /// Device ids of this member's devices.
    pub devices: Vec<String>,
}

/// One interval of working time on one weekday, in the member's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct WorkingInterval {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// `HH:MM`, local.
    pub start: String,
    /// `HH:MM`, local; after `start`.
    pub end: String,
}

/// Inclusive range of local dates (`YYYY-MM-DD`), e.g. out of office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hydrate, ts_rs::TS)]
pub struct DateRange {
    /// Stable id within the member's list: what removal goes by, as a synced edit can move
    /// an entry to another index. Entries stored before ids existed read with an id
    /// derived from their Automerge object id.
    #[autosurgeon(hydrate = "entry_id")]
    pub id: String,
    pub from: String,
    pub to: String,
    pub note: String,
}

/// A block of protected focus time: weekly on `weekdays`, or once on `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hydrate, ts_rs::TS)]
pub struct FocusBlock {
    /// Stable id within the member's list: what removal goes by, as a synced edit can move
    /// an entry to another index. Entries stored before ids existed read with an id
    /// derived from their Automerge object id.
    #[autosurgeon(hydrate = "entry_id")]
    pub id: String,
    /// 0 = Monday … 6 = Sunday; ignored when `date` is set.
    pub weekdays: Vec<u8>,
    /// `YYYY-MM-DD`: a one-off block on that local date.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub date: Option<String>,
    pub start: String,
    pub end: String,
}

/// A temporary time zone while travelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Travel {
    pub tz: String,
    pub from: String,
    pub to: String,
}

impl Member {
    /// A member with the usual Monday–Friday 09:00–17:00 week.
    pub fn new(display_name: impl Into<String>, tz: impl Into<String>, role: Role) -> Member {
        Member {
            display_name: display_name.into(),
            tz: tz.into(),
            working_hours: (0..5)
                .map(|weekday| WorkingInterval {
                    weekday,
                    start: "09:00".into(),
                    end: "17:00".into(),
                })
                .collect(),
            out_of_office: Vec::new(),
            focus_blocks: Vec::new(),
            travel: None,
            role,
            devices: Vec::new(),
        }
    }
}

// ----- entry ids -----
//
// Focus blocks and out-of-office ranges are removed by id, like agenda items: an index read
// before a synced edit names another entry after it. Entries written before ids existed
// have none stored; they read with an id derived from the entry's own Automerge object id
// (`counter@actor` of the operation that created it), which every device computes alike,
// which no other entry shares (even an identical one), and which concurrent edits do not
// change. The next write of the member stores that id in place, so nothing is re-created.
//
// `Reconcile` is written by hand for that reason: the derived impl reads a missing key as
// "not found", so the list diff would delete every old entry and insert it anew, and two
// devices doing so at once would merge into duplicates.

/// Hydrates the `id` of the entry map `obj`: the stored id, or for an entry stored before
/// ids existed, one derived from the entry's object id.
fn entry_id<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<String, HydrateError> {
    match MaybeMissing::<String>::hydrate(doc, obj, prop)? {
        MaybeMissing::Present(id) => Ok(id),
        MaybeMissing::Missing => Ok(derived_entry_id(obj)),
    }
}

/// The id an entry stored without one reads with: eight hex digits (the form of fresh
/// ids) of a 32-bit FNV-1a hash of its object id. A hash spelled out here rather than
/// `std`'s, whose algorithm may change between Rust releases and so between devices.
fn derived_entry_id(obj: &ObjId) -> String {
    let hash = obj.to_string().bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{hash:08x}")
}

/// The key of list element `prop` of `list`, agreeing with what [`entry_id`] hydrates.
fn entry_key<'a, D: ReadDoc>(
    doc: &D,
    list: &ObjId,
    prop: &Prop<'_>,
) -> Result<LoadKey<Cow<'a, str>>, ReconcileError> {
    let &Prop::Index(i) = prop else {
        return Ok(LoadKey::KeyNotFound);
    };
    let Some((Value::Object(ObjType::Map), entry)) = doc.get(list, i as usize)? else {
        return Ok(LoadKey::KeyNotFound);
    };
    Ok(match entry_id(doc, &entry, "id".into()) {
        Ok(id) => LoadKey::Found(Cow::Owned(id)),
        // An id of another type: not ours to match; the list diff replaces the entry.
        Err(_) => LoadKey::KeyNotFound,
    })
}

/// `Reconcile` for an entry of a synced list: its fields by name, and its id as the key the
/// list diff matches entries by ([`entry_key`]), so a stored entry that predates ids is
/// matched by the id it reads with rather than deleted and inserted again.
macro_rules! reconcile_entry {
    ($ty:ty { $($field:ident),+ $(,)? }) => {
        impl Reconcile for $ty {
            type Key<'a> = Cow<'a, str>;

            fn reconcile<R: autosurgeon::Reconciler>(
                &self,
                mut reconciler: R,
            ) -> Result<(), R::Error> {
                // Every field named: one added to the struct and not here does not build.
                let Self { id, $($field),+ } = self;
                let mut m = reconciler.map()?;
                m.put("id", id)?;
                $(m.put(stringify!($field), $field)?;)+
                Ok(())
            }

            fn hydrate_key<'a, D: ReadDoc>(
                doc: &D,
                obj: &ObjId,
                prop: Prop<'_>,
            ) -> Result<LoadKey<Self::Key<'a>>, ReconcileError> {
                entry_key(doc, obj, &prop)
            }

            fn key(&self) -> LoadKey<Self::Key<'_>> {
                LoadKey::Found(Cow::Borrowed(self.id.as_str()))
            }
        }
    };
}

reconcile_entry!(FocusBlock {
    weekdays,
    date,
    start,
    end
});
reconcile_entry!(DateRange { from, to, note });
