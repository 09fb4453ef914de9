//! TypeScript declarations of every type the desktop UI exchanges with the engine,
//! generated from the Rust types with ts-rs. The generated file is committed
//! (`ui/src/lib/bindings.ts`); a test fails when it is stale, and
//! `UPDATE_BINDINGS=1 cargo test -p meridian-app bindings` rewrites it.

use ts_rs::TS;

use crate::api::*;
use crate::error::{ApiError, ErrorKind};
use meridian_core as core;

macro_rules! declarations {
    ($($ty:ty),+ $(,)?) => {
        vec![$(format!("export {}", <$ty as TS>::decl())),+]
    };
}

/// The whole `bindings.ts` file.
pub fn typescript() -> String {
    let decls: Vec<String> = declarations![
        core::DocId,
        core::Kind,
        core::Object,
        core::WorkspaceDoc,
        core::Member,
        core::Role,
        core::WorkingInterval,
        core::DateRange,
        core::FocusBlock,
        core::Travel,
        core::Charter,
        core::MessageKind,
        core::QuietHours,
        core::MeetingRules,
        core::Page,
        core::Decision,
        core::DecisionStatus,
        core::DecisionOption,
        core::Feedback,
        core::Stance,
        core::Meeting,
        core::MeetingState,
        core::AgendaItem,
        core::Thread,
        core::ThreadState,
        core::Delivery,
        core::Message,
        core::Checkin,
        core::CheckinEntry,
        core::Task,
        core::TaskState,
        core::TaskSource,
        core::TextSplice,
        WorkspaceInfo,
        crate::workspace::RecoveryReport,
        crate::workspace::PagePreview,
        MemberRef,
        ObjectSummary,
        Shown,
        NewPage,
        PageNode,
        Links,
        LinkView,
        UnresolvedLink,
        ThreadKind,
        PagePatch,
        NewOption,
        NewDecision,
        DecisionPatch,
        ImportReport,
        SkippedFile,
        ExportReport,
        Event,
        ApiError,
        ErrorKind,
        MemberPatch,
        NewFocus,
        MemberView,
        NewThread,
        Posting,
        NewMeeting,
        MeetingTimes,
        LocalTime,
        SlotQuery,
        InboxView,
        TeamView,
        NotificationBatch,
        NewAgendaItem,
        AgendaItemPatch,
        MeetingText,
        MeetingOutcome,
        Summarised,
        NewTask,
        TaskPatch,
        TaskList,
        NewCheckin,
        CheckinsView,
        core::views::tasks::TaskRow,
        core::views::tasks::DueBucket,
        core::views::checkins::CheckinCard,
        core::norms::ReplyBy,
        core::norms::Escalation,
        core::norms::UrgentBudget,
        core::norms::Slot,
        core::norms::SlotAttendee,
        core::norms::CheckinDigest,
        core::norms::CheckinAnswers,
        core::views::InboxItem,
        core::views::Waiting,
        core::views::ClockRow,
        core::views::Notification,
        core::views::Digest,
        core::views::catchup::CatchUpItem,
        // The word diff is shared by catch-up, history and what-merged: declared once.
        core::diff::WordDiff,
        core::diff::Hunk,
        crate::CatchUpView,
        crate::CatchUpGroup,
        crate::Following,
        crate::HistoryPage,
        crate::HistoryEntry,
        crate::Version,
        crate::VersionDiff,
        core::history::ChangeSummary,
        core::history::FieldChange,
        core::history::FieldDiff,
        meridian_search::Hit,
        crate::sync::SyncStatus,
        crate::StorageStatus,
        crate::sync::DeviceInfo,
        crate::sync::LanPeer,
        crate::mirror::MirrorReport,
        crate::mirror::MirrorStatus,
        crate::mirror::HeldDeletes,
        crate::workspace::TrashedObject,
        crate::workspace::MergeReport,
        crate::workspace::MergeEntry,
        core::merged::MergeItem,
        core::merged::MergeHeads,
        core::merged::Seg,
        core::merged::Side,
    ];
    let mut out = String::from(
        "// Generated from the Rust types by `meridian-app` (ts-rs). Do not edit by hand:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p meridian-app bindings` after changing them.\n\n",
    );
    for d in decls {
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The check behind every generated TypeScript file's "stale" test: with `UPDATE_BINDINGS`
/// set, writes `fresh` to `path`; otherwise fails unless `path` holds exactly `fresh`,
/// leaving the generated text in the temporary folder and saying to run `update_with`.
pub fn check_generated(path: &std::path::Path, fresh: &str, update_with: &str) {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create folder");
        std::fs::write(path, fresh).unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != fresh {
        let generated = std::env::temp_dir().join(format!("meridian-{name}"));
        let _ = std::fs::write(&generated, fresh);
        panic!(
            "ui/src/lib/{name} is stale (the generated text is in {}): run `{update_with}`",
            generated.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn bindings_are_current() {
        // The runtime value first: a test binary reused from a build cache made by a checkout
        // at another path would otherwise look for the file there.
        let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        super::check_generated(
            &crate_dir.join("../../ui/src/lib/bindings.ts"),
            &super::typescript(),
            "UPDATE_BINDINGS=1 cargo test -p meridian-app bindings",
        );
    }
}
