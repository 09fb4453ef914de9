// The one list of the commands the UI may invoke. Each line is a handler's signature:
// `module::name[injected](argument: Type, ...) -> Ok type`, where `[state]` and `[app, state]`
// name what Tauri passes in besides the UI's arguments. From this list come
//
// - Tauri's entry points and handler list (`commands/mod.rs`; a wrapper calls the handler
//   with these exact types, so a table line that disagrees with its handler fails to build),
// - the allowlist: `build.rs` declares these names to `tauri_build` and writes the
//   `app-commands` permission set that `capabilities/main.json` grants,
// - the typed TypeScript client `ui/src/lib/commands.gen.ts`, written by a test.
//
// `build.rs` `include!`s this file, so it holds nothing but the table. `///` lines become the
// TypeScript function's doc comment.
meridian_commands! {
    workspace::workspace_info[state]() -> WorkspaceInfo,
    workspace::list_objects[state](kind: Option<Kind>, include_trashed: bool) -> Vec<ObjectSummary>,
    workspace::show_object[state](id: DocId) -> Shown,
    workspace::trash_object[state](id: DocId) -> ObjectSummary,
    workspace::restore_object[state](id: DocId) -> ObjectSummary,
    /// An object's timeline, newest entry first: `limit` entries from `offset`.
    history::history[state](id: DocId, offset: u32, limit: u32) -> HistoryPage,
    /// The object as it was at `point` (change ids, an RFC 3339 time, or `current`).
    history::object_at[state](id: DocId, point: String) -> Version,
    /// The difference between two points, field by field.
    history::diff_versions[state](id: DocId, from: String, to: String) -> VersionDiff,
    /// Restores the version at `point` as a new edit that syncs.
    history::restore_version[state](id: DocId, point: String) -> ObjectSummary,
    /// Everything in the trash, with who moved it there and when.
    trash::trash_list[state]() -> Vec<TrashedObject>,
    /// How many objects `trashObjects` would move, to ask first past the guard.
    trash::trash_count[state](ids: Vec<DocId>, with_subpages: bool) -> usize,
    /// Moves objects to the trash in one action; past the guard it fails (`invalid`) unless `confirmed`.
    trash::trash_objects[state](ids: Vec<DocId>, with_subpages: bool, confirmed: bool) -> Vec<ObjectSummary>,
    /// Deletes an object in the trash for good, on every device.
    trash::purge_object[state](id: DocId) -> (),
    /// Objects a sync merged with this device's own offline edits, newest first.
    merged::merge_reports[state]() -> Vec<MergeReport>,
    /// Removes an object's report from the what-merged list.
    merged::dismiss_merge[state](id: DocId) -> (),
    /// Brings back what `side` lost in entry `entry` of the report, as a new edit that syncs.
    merged::restore_merged[state](id: DocId, entry: Option<usize>, side: Option<Side>) -> MergeReport,
    /// Whether every change made here is saved on disk: `unsaved` changes wait in memory
    /// after the disk refused them (full), and are saved on their own once it has room.
    workspace::storage_status[state]() -> StorageStatus,

    pages::create_page[state](new: NewPage) -> (DocId, Page),
    pages::update_page[state](id: DocId, patch: PagePatch) -> Page,
    /// Editor keystrokes, in the order they were typed; positions count UTF-16 code units.
    pages::edit_page_body[state](id: DocId, splices: Vec<TextSplice>) -> (),
    /// A page's text from the cache, at once (only if it is the stored text): shown read-only
    /// while `showObject` loads the document. `maxChars` keeps only the beginning.
    pages::page_preview[state](id: DocId, max_chars: Option<usize>) -> Option<PagePreview>,
    /// Every page with its parent, for the tree.
    pages::page_tree[state]() -> Vec<PageNode>,
    /// What an object links to and what links to it.
    pages::links[state](id: DocId) -> Links,
    /// Every link that names no object here (a file an import did not bring, a misspelt title).
    pages::unresolved_links[state]() -> Vec<UnresolvedLink>,
    /// Each thread's message kind, for the message board.
    pages::thread_kinds[state]() -> Vec<ThreadKind>,

    decisions::create_decision[state](new: NewDecision) -> (DocId, Decision),
    decisions::update_decision[state](id: DocId, patch: DecisionPatch) -> Decision,
    decisions::set_decision_status[state](id: DocId, status: DecisionStatus) -> Decision,
    /// `option` is an option id or title.
    decisions::choose_option[state](id: DocId, option: String, rationale: Option<String>) -> Decision,
    /// The statuses a decision may move to next, so the UI offers only legal transitions.
    decisions::decision_next_steps(status: DecisionStatus) -> Vec<DecisionStatus>,
    /// My feedback on a decision.
    decisions::give_feedback[state](id: DocId, stance: Stance, text: String) -> Decision,
    /// I have read the outcome.
    decisions::acknowledge_decision[state](id: DocId) -> Decision,
    /// `old` is superseded by `new`; returns `old`.
    decisions::supersede_decision[state](old: DocId, new: DocId) -> Decision,
    /// A draft decision pre-filled from a thread, linked both ways.
    decisions::promote_thread[state](id: DocId) -> (DocId, Decision),

    members::members[state]() -> Vec<MemberView>,
    members::my_profile[state]() -> MemberView,
    members::update_member[state](id: DocId, patch: MemberPatch) -> MemberView,
    members::add_focus_block[state](id: DocId, block: NewFocus) -> MemberView,
    members::add_out_of_office[state](id: DocId, from: String, to: String, note: String) -> MemberView,
    /// Removes the focus block with id `entry` (by id: a synced edit may have moved it).
    members::remove_focus_block[state](id: DocId, entry: String) -> MemberView,
    /// Removes the out-of-office range with id `entry`.
    members::remove_out_of_office[state](id: DocId, entry: String) -> MemberView,

    /// Each recipient's reply-by if the thread were sent now, for the composer.
    threads::preview_thread[state](new: NewThread) -> Posting,
    threads::post_thread[state](new: NewThread) -> Posting,
    threads::reply_thread[state](id: DocId, body: String) -> Thread,
    threads::ack_thread[state](id: DocId) -> Thread,
    threads::resolve_thread[state](id: DocId) -> Thread,

    meetings::create_meeting[state](new: NewMeeting) -> (DocId, MeetingTimes),
    meetings::meeting_times[state](id: DocId) -> MeetingTimes,
    meetings::suggest_slots[state](query: SlotQuery) -> Vec<Slot>,
    meetings::add_agenda_item[state](id: DocId, item: NewAgendaItem) -> Meeting,
    meetings::update_agenda_item[state](id: DocId, item: String, patch: AgendaItemPatch) -> Meeting,
    meetings::remove_agenda_item[state](id: DocId, item: String) -> Meeting,
    /// Moves agenda item `item` to position `to` (0 is first).
    meetings::move_agenda_item[state](id: DocId, item: String, to: usize) -> Meeting,
    /// Editor keystrokes in a meeting's notes or summary, in typing order (UTF-16 positions).
    meetings::edit_meeting_text[state](id: DocId, which: MeetingText, splices: Vec<TextSplice>) -> (),
    meetings::set_meeting_state[state](id: DocId, to: MeetingState) -> Meeting,
    /// The states a meeting may move to by hand from `from`, so the UI offers only those.
    meetings::meeting_next_steps(from: MeetingState) -> Vec<MeetingState>,
    /// A decision form pre-filled from the meeting, or from one of its agenda items.
    meetings::draft_meeting_decision[state](id: DocId, item: Option<String>) -> NewDecision,
    meetings::record_meeting_decision[state](id: DocId, decision: NewDecision) -> (DocId, Decision),
    meetings::add_action_item[state](id: DocId, task: NewTask) -> DocId,
    meetings::summarise_meeting[state](id: DocId, outcome: MeetingOutcome) -> Summarised,

    tasks::task_list[state](mine: bool) -> TaskList,
    tasks::create_task[state](new: NewTask) -> (DocId, Task),
    tasks::update_task[state](id: DocId, patch: TaskPatch) -> Task,

    checkins::checkins[state]() -> CheckinsView,
    checkins::create_checkin[state](new: NewCheckin) -> (DocId, Checkin),
    /// My answers for my current local date, one per question; replaces earlier ones that day.
    checkins::answer_checkin[state](id: DocId, answers: Vec<String>) -> Checkin,
    /// Everyone's answers for local date `date` (`YYYY-MM-DD`; today in my zone when null).
    checkins::checkin_digest[state](id: DocId, date: Option<String>) -> CheckinDigest,

    charter::charter[state]() -> Charter,

    views::inbox[state]() -> InboxView,
    views::team[state]() -> TeamView,
    /// Notifications that arrived for me during the last day and are still held by a focus
    /// block or quiet hours, with when they will be released.
    views::pending_notifications[state]() -> NotificationBatch,

    /// Runs a query of the query language (at most 100 hits).
    search::search[state](query: String, limit: usize) -> Vec<Hit>,

    /// What others changed since this device last looked that concerns me, grouped and ranked.
    catchup::catch_up[state]() -> CatchUpView,
    /// Marks one catch-up item seen on this device, at `heads` (the item's) or as it is now.
    catchup::mark_seen[state](id: DocId, heads: Option<String>) -> (),
    /// Marks everything seen on this device: the catch-up is empty until others change something.
    catchup::mark_all_seen[state]() -> (),
    /// Follows (`on`) or stops following an object; synced as my member data.
    catchup::follow[state](id: DocId, on: bool) -> Following,
    catchup::following[state](id: DocId) -> Following,

    /// What the first-run screen proposes (null once a workspace exists).
    sync::first_run[state]() -> Option<FirstRun>,
    /// With `sample`, also adds the sample pages and decisions. If only the sample fails,
    /// the workspace exists anyway (`firstRun()` turns null) and the error says so.
    sync::create_workspace[app, state](name: String, me: String, tz: String, sample: bool) -> WorkspaceInfo,
    sync::join_workspace[app, state](code: String, me: String, tz: String) -> WorkspaceInfo,
    /// When opening failed because a database of this device is damaged or lost: rebuilds it
    /// from the other one and the relay, keeping this device's identity, and opens the
    /// workspace. `relay` is needed only when `sync.db` (which remembers it) is gone.
    sync::recover_workspace[app, state](relay: Option<String>) -> RecoveryReport,
    sync::sync_status[state]() -> SyncStatus,
    sync::devices[state]() -> Vec<DeviceInfo>,
    /// The devices met on the local network, most recently seen first.
    sync::lan_peers[state]() -> Vec<LanPeer>,
    /// An invite: the code to send, and the same code as a QR code (SVG) to scan.
    sync::create_invite[app, state](relay: String, role: String, expires_hours: u32) -> Invitation,
    sync::remove_device[state](device: String) -> (),
    /// Points this device at another address of the same relay deployment and reconnects
    /// there; nothing is downloaded again. Returns the address as it will be used.
    sync::set_relay[app, state](relay: String) -> String,

    /// The Markdown folder, when it last ran, its files and the files it refused, and
    /// whether the background mirror runs.
    mirror::mirror_status[state]() -> MirrorView,
    /// Chooses the Markdown folder (a whole path), mirrors it now and keeps it mirrored.
    mirror::choose_mirror_folder[state](path: String) -> MirrorReport,
    /// A mirror pass now; `allow_mass_delete` trashes the objects of files that disappeared
    /// even when more are gone at once than the guard allows.
    mirror::mirror_now[state](allow_mass_delete: bool) -> MirrorReport,
    /// Opens a mirror file (its path as the mirror reports it) in the system's editor.
    mirror::open_mirror_file[state](path: String) -> (),
}
