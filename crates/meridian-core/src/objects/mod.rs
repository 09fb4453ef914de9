//! The objects (ARCHITECTURE: Objects). Each is one Automerge document; these structs are both the
//! document schema (autosurgeon) and the plain data the engine hands to its callers.

mod charter;
mod checkin;
mod decision;
mod meeting;
mod member;
mod page;
mod task;
mod thread;
mod workspace;

pub use charter::{Charter, MeetingRules, MessageKind, QuietHours};
pub use checkin::{Checkin, CheckinEntry};
pub use decision::{Decision, DecisionOption, DecisionStatus, Feedback, Stance};
pub use meeting::{AgendaItem, Meeting, MeetingState};
pub use member::{DateRange, FocusBlock, Member, Role, Travel, WorkingInterval};
pub use page::Page;
pub use task::{Task, TaskSource, TaskState};
pub use thread::{Delivery, Message, Thread, ThreadState};
pub use workspace::WorkspaceDoc;

use std::collections::BTreeMap;

/// Free-form metadata kept from imported front matter (`key` → JSON text of the value).
pub type Properties = BTreeMap<String, String>;
