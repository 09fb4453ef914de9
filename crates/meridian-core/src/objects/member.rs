use autosurgeon::{Hydrate, Reconcile};
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct DateRange {
    pub from: String,
    pub to: String,
    pub note: String,
}

/// A block of protected focus time: weekly on `weekdays`, or once on `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct FocusBlock {
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
