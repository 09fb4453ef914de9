//! The commands the UI invokes, one file per feature. Each is a few lines: take typed
//! arguments, call one `Workspace` method, return its typed result or an `ApiError`.
//!
//! `table.rs` lists every command once. From it this module generates Tauri's entry points
//! and handler list; `build.rs` reads the same file for the allowlist, and a test writes the
//! TypeScript client from it (`client.rs`). Adding a command is a handler plus a table line.

pub mod catchup;
pub mod charter;
pub mod checkins;
pub mod decisions;
pub mod history;
pub mod meetings;
pub mod members;
pub mod merged;
pub mod mirror;
pub mod pages;
pub mod search;
pub mod sync;
pub mod tasks;
pub mod threads;
pub mod trash;
pub mod views;
pub mod workspace;

// The names the table's types are written with.
use meridian_app::PagePreview;
use meridian_app::core::merged::Side;
use meridian_app::core::norms::{CheckinDigest, Slot};
use meridian_app::core::{
    Charter, Checkin, Decision, DecisionStatus, DocId, Kind, Meeting, MeetingState, Page, Stance,
    Task, TextSplice, Thread,
};
use meridian_app::mirror::MirrorReport;
use meridian_app::search::Hit;
use meridian_app::sync::{DeviceInfo, LanPeer, SyncStatus};
use meridian_app::{
    AgendaItemPatch, ApiError, CheckinsView, DecisionPatch, InboxView, Links, MeetingOutcome,
    MeetingText, MeetingTimes, MemberPatch, MemberView, NewAgendaItem, NewCheckin, NewDecision,
    NewFocus, NewMeeting, NewPage, NewTask, NewThread, NotificationBatch, ObjectSummary, PageNode,
    PagePatch, Posting, RecoveryReport, Shown, SlotQuery, StorageStatus, Summarised, TaskList,
    TaskPatch, TeamView, ThreadKind, UnresolvedLink, WorkspaceInfo,
};
use meridian_app::{CatchUpView, Following};
use meridian_app::{HistoryPage, Version, VersionDiff};
use meridian_app::{MergeReport, TrashedObject};
use mirror::MirrorView;
use sync::{FirstRun, Invitation};

use crate::state::AppState;

type State<'a> = tauri::State<'a, AppState>;

/// The type of a parameter Tauri supplies itself rather than the UI (`[state]`, `[app, state]`
/// in the table).
macro_rules! injected {
    (state) => { State<'_> };
    (app) => { tauri::AppHandle };
}

/// One command of the table, as the TypeScript client sees it: the argument names and types
/// the UI sends (injected ones left out) and the type of a success.
#[cfg(test)]
#[derive(Debug)]
pub struct Signature {
    pub name: &'static str,
    pub doc: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub ok: String,
}

macro_rules! meridian_commands {
    ($(
        $(#[doc = $doc:literal])*
        $module:ident :: $command:ident $([$($inject:ident),*])? ($($arg:ident : $ty:ty),* $(,)?) -> $ok:ty
    ),* $(,)?) => {
        /// Every command's name, in table order.
        #[cfg_attr(not(test), allow(dead_code))]
        pub const NAMES: &[&str] = &[$(stringify!($command)),*];

        /// Tauri's entry points. Each has the table's name, parameters and types and calls its
        /// handler with them, so a table line that disagrees with its handler does not build,
        /// and the UI's argument keys are the table's names.
        mod ipc {
            use super::*;

            $(
                #[tauri::command]
                async fn $command(
                    $($($inject: injected!($inject),)*)?
                    $($arg: $ty),*
                ) -> Result<$ok, ApiError> {
                    $module::$command($($($inject,)*)? $($arg),*).await
                }
            )*

            /// Routes an invoke to its entry point; Tauri checks the capability first.
            pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
                tauri::generate_handler![$($command),*]
            }
        }

        pub use ipc::handler;

        /// The table as the TypeScript client sees it.
        #[cfg(test)]
        pub fn signatures() -> Vec<Signature> {
            vec![$(Signature {
                name: stringify!($command),
                doc: concat!($($doc, "\n"),*),
                args: vec![$((stringify!($arg), <$ty as ts_rs::TS>::name())),*],
                ok: <$ok as ts_rs::TS>::name(),
            }),*]
        }
    };
}

include!("table.rs");
