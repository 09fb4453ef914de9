//! Meridian's engine. A [`Workspace`] owns the store (and, as they arrive, search, sync
//! and the Markdown mirror) and the clock; every command of the CLI and the desktop app
//! goes through it. It turns a command into a validated change of one Automerge document
//! (rules in `meridian-core`), commits it durably (`meridian-store`) before acknowledging
//! it, and then announces it as an [`Event`].
//!
//! Adapters never import each other; this crate wires them. It must not depend on the CLI,
//! the desktop shell or any UI toolkit.

mod api;
pub mod bindings;
mod clock;
mod error;
mod markdown;
pub mod mirror;
mod sample;
pub mod sync;
mod workspace;

pub use api::*;
pub use clock::{Clock, SystemClock, parse_rfc3339_ms};
pub use error::{ApiError, Error, ErrorKind};
pub use sample::{SAMPLE_FILES, SampleFile};
pub use workspace::{
    CatchUpGroup, CatchUpView, Following, RecoveryReport, Snapshot, Workspace, default_data_dir,
    item_id,
};
pub use workspace::{MergeEntry, MergeReport, TRASH_GUARD, TrashedObject};
pub use workspace::{PagePreview, Work};

pub use meridian_core as core;
pub use meridian_search as search;
pub use workspace::{CURRENT, HISTORY_PAGE, HistoryEntry, HistoryPage, Version, VersionDiff};
