// Generated from src-tauri/src/commands/table.rs and src-tauri/src/events.rs. Do not edit
// by hand: run `UPDATE_BINDINGS=1 cargo test -p meridian-desktop client` after changing them.

import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type {
  AgendaItemPatch,
  CatchUpView,
  Charter,
  Checkin,
  CheckinDigest,
  CheckinsView,
  Decision,
  DecisionPatch,
  DecisionStatus,
  DeviceInfo,
  DocId,
  Event,
  Following,
  HistoryPage,
  Hit,
  InboxView,
  Kind,
  LanPeer,
  Links,
  Meeting,
  MeetingOutcome,
  MeetingState,
  MeetingText,
  MeetingTimes,
  MemberPatch,
  MemberView,
  MergeReport,
  MirrorReport,
  MirrorStatus,
  NewAgendaItem,
  NewCheckin,
  NewDecision,
  NewFocus,
  NewMeeting,
  NewPage,
  NewTask,
  NewThread,
  NotificationBatch,
  ObjectSummary,
  Page,
  PageNode,
  PagePatch,
  PagePreview,
  Posting,
  RecoveryReport,
  Shown,
  Side,
  Slot,
  SlotQuery,
  Stance,
  StorageStatus,
  Summarised,
  SyncStatus,
  Task,
  TaskList,
  TaskPatch,
  TeamView,
  TextSplice,
  Thread,
  ThreadKind,
  TrashedObject,
  UnresolvedLink,
  Version,
  VersionDiff,
  WorkspaceInfo,
} from './bindings'

/** What the first-run screen proposes. */
export type FirstRun = { name: string, me: string, tz: string, data_dir: string, };

/** An invite: the code, and the same code as an SVG QR code. */
export type Invitation = { code: string, qr_svg: string, };

/** The Markdown mirror's state, and whether the app's background mirror runs. */
export type MirrorView = { status: MirrorStatus, running: boolean, error: string | null, };

/**
 * Every command of the table: each invokes the Tauri command of the same name in
 * snake_case, and a failure rejects with an `ApiError`.
 */
export const commands = {
  workspaceInfo: (): Promise<WorkspaceInfo> =>
    invoke<WorkspaceInfo>('workspace_info'),
  listObjects: (kind: Kind | null, includeTrashed: boolean): Promise<Array<ObjectSummary>> =>
    invoke<Array<ObjectSummary>>('list_objects', { kind, includeTrashed }),
  showObject: (id: DocId): Promise<Shown> =>
    invoke<Shown>('show_object', { id }),
  trashObject: (id: DocId): Promise<ObjectSummary> =>
    invoke<ObjectSummary>('trash_object', { id }),
  restoreObject: (id: DocId): Promise<ObjectSummary> =>
    invoke<ObjectSummary>('restore_object', { id }),
  /** An object's timeline, newest entry first: `limit` entries from `offset`. */
  history: (id: DocId, offset: number, limit: number): Promise<HistoryPage> =>
    invoke<HistoryPage>('history', { id, offset, limit }),
  /** The object as it was at `point` (change ids, an RFC 3339 time, or `current`). */
  objectAt: (id: DocId, point: string): Promise<Version> =>
    invoke<Version>('object_at', { id, point }),
  /** The difference between two points, field by field. */
  diffVersions: (id: DocId, from: string, to: string): Promise<VersionDiff> =>
    invoke<VersionDiff>('diff_versions', { id, from, to }),
  /** Restores the version at `point` as a new edit that syncs. */
  restoreVersion: (id: DocId, point: string): Promise<ObjectSummary> =>
    invoke<ObjectSummary>('restore_version', { id, point }),
  /** Everything in the trash, with who moved it there and when. */
  trashList: (): Promise<Array<TrashedObject>> =>
    invoke<Array<TrashedObject>>('trash_list'),
  /** How many objects `trashObjects` would move, to ask first past the guard. */
  trashCount: (ids: Array<DocId>, withSubpages: boolean): Promise<number> =>
    invoke<number>('trash_count', { ids, withSubpages }),
  /** Moves objects to the trash in one action; past the guard it fails (`invalid`) unless `confirmed`. */
  trashObjects: (ids: Array<DocId>, withSubpages: boolean, confirmed: boolean): Promise<Array<ObjectSummary>> =>
    invoke<Array<ObjectSummary>>('trash_objects', { ids, withSubpages, confirmed }),
  /** Deletes an object in the trash for good, on every device. */
  purgeObject: (id: DocId): Promise<null> =>
    invoke<null>('purge_object', { id }),
  /** Objects a sync merged with this device's own offline edits, newest first. */
  mergeReports: (): Promise<Array<MergeReport>> =>
    invoke<Array<MergeReport>>('merge_reports'),
  /** Removes an object's report from the what-merged list. */
  dismissMerge: (id: DocId): Promise<null> =>
    invoke<null>('dismiss_merge', { id }),
  /** Brings back what `side` lost in entry `entry` of the report, as a new edit that syncs. */
  restoreMerged: (id: DocId, entry: number | null, side: Side | null): Promise<MergeReport> =>
    invoke<MergeReport>('restore_merged', { id, entry, side }),
  /**
   * Whether every change made here is saved on disk: `unsaved` changes wait in memory
   * after the disk refused them (full), and are saved on their own once it has room.
   */
  storageStatus: (): Promise<StorageStatus> =>
    invoke<StorageStatus>('storage_status'),
  createPage: (new_: NewPage): Promise<[DocId, Page]> =>
    invoke<[DocId, Page]>('create_page', { new: new_ }),
  updatePage: (id: DocId, patch: PagePatch): Promise<Page> =>
    invoke<Page>('update_page', { id, patch }),
  /** Editor keystrokes, in the order they were typed; positions count UTF-16 code units. */
  editPageBody: (id: DocId, splices: Array<TextSplice>): Promise<null> =>
    invoke<null>('edit_page_body', { id, splices }),
  /**
   * A page's text from the cache, at once (only if it is the stored text): shown read-only
   * while `showObject` loads the document. `maxChars` keeps only the beginning.
   */
  pagePreview: (id: DocId, maxChars: number | null): Promise<PagePreview | null> =>
    invoke<PagePreview | null>('page_preview', { id, maxChars }),
  /** Every page with its parent, for the tree. */
  pageTree: (): Promise<Array<PageNode>> =>
    invoke<Array<PageNode>>('page_tree'),
  /** What an object links to and what links to it. */
  links: (id: DocId): Promise<Links> =>
    invoke<Links>('links', { id }),
  /** Every link that names no object here (a file an import did not bring, a misspelt title). */
  unresolvedLinks: (): Promise<Array<UnresolvedLink>> =>
    invoke<Array<UnresolvedLink>>('unresolved_links'),
  /** Each thread's message kind, for the message board. */
  threadKinds: (): Promise<Array<ThreadKind>> =>
    invoke<Array<ThreadKind>>('thread_kinds'),
  createDecision: (new_: NewDecision): Promise<[DocId, Decision]> =>
    invoke<[DocId, Decision]>('create_decision', { new: new_ }),
  updateDecision: (id: DocId, patch: DecisionPatch): Promise<Decision> =>
    invoke<Decision>('update_decision', { id, patch }),
  setDecisionStatus: (id: DocId, status: DecisionStatus): Promise<Decision> =>
    invoke<Decision>('set_decision_status', { id, status }),
  /** `option` is an option id or title. */
  chooseOption: (id: DocId, option: string, rationale: string | null): Promise<Decision> =>
    invoke<Decision>('choose_option', { id, option, rationale }),
  /** The statuses a decision may move to next, so the UI offers only legal transitions. */
  decisionNextSteps: (status: DecisionStatus): Promise<Array<DecisionStatus>> =>
    invoke<Array<DecisionStatus>>('decision_next_steps', { status }),
  /** My feedback on a decision. */
  giveFeedback: (id: DocId, stance: Stance, text: string): Promise<Decision> =>
    invoke<Decision>('give_feedback', { id, stance, text }),
  /** I have read the outcome. */
  acknowledgeDecision: (id: DocId): Promise<Decision> =>
    invoke<Decision>('acknowledge_decision', { id }),
  /** `old` is superseded by `new`; returns `old`. */
  supersedeDecision: (old: DocId, new_: DocId): Promise<Decision> =>
    invoke<Decision>('supersede_decision', { old, new: new_ }),
  /** A draft decision pre-filled from a thread, linked both ways. */
  promoteThread: (id: DocId): Promise<[DocId, Decision]> =>
    invoke<[DocId, Decision]>('promote_thread', { id }),
  members: (): Promise<Array<MemberView>> =>
    invoke<Array<MemberView>>('members'),
  myProfile: (): Promise<MemberView> =>
    invoke<MemberView>('my_profile'),
  updateMember: (id: DocId, patch: MemberPatch): Promise<MemberView> =>
    invoke<MemberView>('update_member', { id, patch }),
  addFocusBlock: (id: DocId, block: NewFocus): Promise<MemberView> =>
    invoke<MemberView>('add_focus_block', { id, block }),
  addOutOfOffice: (id: DocId, from: string, to: string, note: string): Promise<MemberView> =>
    invoke<MemberView>('add_out_of_office', { id, from, to, note }),
  /** Removes the focus block with id `entry` (by id: a synced edit may have moved it). */
  removeFocusBlock: (id: DocId, entry: string): Promise<MemberView> =>
    invoke<MemberView>('remove_focus_block', { id, entry }),
  /** Removes the out-of-office range with id `entry`. */
  removeOutOfOffice: (id: DocId, entry: string): Promise<MemberView> =>
    invoke<MemberView>('remove_out_of_office', { id, entry }),
  /** Each recipient's reply-by if the thread were sent now, for the composer. */
  previewThread: (new_: NewThread): Promise<Posting> =>
    invoke<Posting>('preview_thread', { new: new_ }),
  postThread: (new_: NewThread): Promise<Posting> =>
    invoke<Posting>('post_thread', { new: new_ }),
  replyThread: (id: DocId, body: string): Promise<Thread> =>
    invoke<Thread>('reply_thread', { id, body }),
  ackThread: (id: DocId): Promise<Thread> =>
    invoke<Thread>('ack_thread', { id }),
  resolveThread: (id: DocId): Promise<Thread> =>
    invoke<Thread>('resolve_thread', { id }),
  createMeeting: (new_: NewMeeting): Promise<[DocId, MeetingTimes]> =>
    invoke<[DocId, MeetingTimes]>('create_meeting', { new: new_ }),
  meetingTimes: (id: DocId): Promise<MeetingTimes> =>
    invoke<MeetingTimes>('meeting_times', { id }),
  suggestSlots: (query: SlotQuery): Promise<Array<Slot>> =>
    invoke<Array<Slot>>('suggest_slots', { query }),
  addAgendaItem: (id: DocId, item: NewAgendaItem): Promise<Meeting> =>
    invoke<Meeting>('add_agenda_item', { id, item }),
  updateAgendaItem: (id: DocId, item: string, patch: AgendaItemPatch): Promise<Meeting> =>
    invoke<Meeting>('update_agenda_item', { id, item, patch }),
  removeAgendaItem: (id: DocId, item: string): Promise<Meeting> =>
    invoke<Meeting>('remove_agenda_item', { id, item }),
  /** Moves agenda item `item` to position `to` (0 is first). */
  moveAgendaItem: (id: DocId, item: string, to: number): Promise<Meeting> =>
    invoke<Meeting>('move_agenda_item', { id, item, to }),
  /** Editor keystrokes in a meeting's notes or summary, in typing order (UTF-16 positions). */
  editMeetingText: (id: DocId, which: MeetingText, splices: Array<TextSplice>): Promise<null> =>
    invoke<null>('edit_meeting_text', { id, which, splices }),
  setMeetingState: (id: DocId, to: MeetingState): Promise<Meeting> =>
    invoke<Meeting>('set_meeting_state', { id, to }),
  /** The states a meeting may move to by hand from `from`, so the UI offers only those. */
  meetingNextSteps: (from: MeetingState): Promise<Array<MeetingState>> =>
    invoke<Array<MeetingState>>('meeting_next_steps', { from }),
  /** A decision form pre-filled from the meeting, or from one of its agenda items. */
  draftMeetingDecision: (id: DocId, item: string | null): Promise<NewDecision> =>
    invoke<NewDecision>('draft_meeting_decision', { id, item }),
  recordMeetingDecision: (id: DocId, decision: NewDecision): Promise<[DocId, Decision]> =>
    invoke<[DocId, Decision]>('record_meeting_decision', { id, decision }),
  addActionItem: (id: DocId, task: NewTask): Promise<DocId> =>
    invoke<DocId>('add_action_item', { id, task }),
  summariseMeeting: (id: DocId, outcome: MeetingOutcome): Promise<Summarised> =>
    invoke<Summarised>('summarise_meeting', { id, outcome }),
  taskList: (mine: boolean): Promise<TaskList> =>
    invoke<TaskList>('task_list', { mine }),
  createTask: (new_: NewTask): Promise<[DocId, Task]> =>
    invoke<[DocId, Task]>('create_task', { new: new_ }),
  updateTask: (id: DocId, patch: TaskPatch): Promise<Task> =>
    invoke<Task>('update_task', { id, patch }),
  checkins: (): Promise<CheckinsView> =>
    invoke<CheckinsView>('checkins'),
  createCheckin: (new_: NewCheckin): Promise<[DocId, Checkin]> =>
    invoke<[DocId, Checkin]>('create_checkin', { new: new_ }),
  /** My answers for my current local date, one per question; replaces earlier ones that day. */
  answerCheckin: (id: DocId, answers: Array<string>): Promise<Checkin> =>
    invoke<Checkin>('answer_checkin', { id, answers }),
  /** Everyone's answers for local date `date` (`YYYY-MM-DD`; today in my zone when null). */
  checkinDigest: (id: DocId, date: string | null): Promise<CheckinDigest> =>
    invoke<CheckinDigest>('checkin_digest', { id, date }),
  charter: (): Promise<Charter> =>
    invoke<Charter>('charter'),
  inbox: (): Promise<InboxView> =>
    invoke<InboxView>('inbox'),
  team: (): Promise<TeamView> =>
    invoke<TeamView>('team'),
  /**
   * Notifications that arrived for me during the last day and are still held by a focus
   * block or quiet hours, with when they will be released.
   */
  pendingNotifications: (): Promise<NotificationBatch> =>
    invoke<NotificationBatch>('pending_notifications'),
  /** Runs a query of the query language (at most 100 hits). */
  search: (query: string, limit: number): Promise<Array<Hit>> =>
    invoke<Array<Hit>>('search', { query, limit }),
  /** What others changed since this device last looked that concerns me, grouped and ranked. */
  catchUp: (): Promise<CatchUpView> =>
    invoke<CatchUpView>('catch_up'),
  /** Marks one catch-up item seen on this device, at `heads` (the item's) or as it is now. */
  markSeen: (id: DocId, heads: string | null): Promise<null> =>
    invoke<null>('mark_seen', { id, heads }),
  /** Marks everything seen on this device: the catch-up is empty until others change something. */
  markAllSeen: (): Promise<null> =>
    invoke<null>('mark_all_seen'),
  /** Follows (`on`) or stops following an object; synced as my member data. */
  follow: (id: DocId, on: boolean): Promise<Following> =>
    invoke<Following>('follow', { id, on }),
  following: (id: DocId): Promise<Following> =>
    invoke<Following>('following', { id }),
  /** What the first-run screen proposes (null once a workspace exists). */
  firstRun: (): Promise<FirstRun | null> =>
    invoke<FirstRun | null>('first_run'),
  /**
   * With `sample`, also adds the sample pages and decisions. If only the sample fails,
   * the workspace exists anyway (`firstRun()` turns null) and the error says so.
   */
  createWorkspace: (name: string, me: string, tz: string, sample: boolean): Promise<WorkspaceInfo> =>
    invoke<WorkspaceInfo>('create_workspace', { name, me, tz, sample }),
  joinWorkspace: (code: string, me: string, tz: string): Promise<WorkspaceInfo> =>
    invoke<WorkspaceInfo>('join_workspace', { code, me, tz }),
  /**
   * When opening failed because a database of this device is damaged or lost: rebuilds it
   * from the other one and the relay, keeping this device's identity, and opens the
   * workspace. `relay` is needed only when `sync.db` (which remembers it) is gone.
   */
  recoverWorkspace: (relay: string | null): Promise<RecoveryReport> =>
    invoke<RecoveryReport>('recover_workspace', { relay }),
  syncStatus: (): Promise<SyncStatus> =>
    invoke<SyncStatus>('sync_status'),
  devices: (): Promise<Array<DeviceInfo>> =>
    invoke<Array<DeviceInfo>>('devices'),
  /** The devices met on the local network, most recently seen first. */
  lanPeers: (): Promise<Array<LanPeer>> =>
    invoke<Array<LanPeer>>('lan_peers'),
  /** An invite: the code to send, and the same code as a QR code (SVG) to scan. */
  createInvite: (relay: string, role: string, expiresHours: number): Promise<Invitation> =>
    invoke<Invitation>('create_invite', { relay, role, expiresHours }),
  removeDevice: (device: string): Promise<null> =>
    invoke<null>('remove_device', { device }),
  /**
   * Points this device at another address of the same relay deployment and reconnects
   * there; nothing is downloaded again. Returns the address as it will be used.
   */
  setRelay: (relay: string): Promise<string> =>
    invoke<string>('set_relay', { relay }),
  /**
   * The Markdown folder, when it last ran, its files and the files it refused, and
   * whether the background mirror runs.
   */
  mirrorStatus: (): Promise<MirrorView> =>
    invoke<MirrorView>('mirror_status'),
  /** Chooses the Markdown folder (a whole path), mirrors it now and keeps it mirrored. */
  chooseMirrorFolder: (path: string): Promise<MirrorReport> =>
    invoke<MirrorReport>('choose_mirror_folder', { path }),
  /**
   * A mirror pass now; `allow_mass_delete` trashes the objects of files that disappeared
   * even when more are gone at once than the guard allows.
   */
  mirrorNow: (allowMassDelete: boolean): Promise<MirrorReport> =>
    invoke<MirrorReport>('mirror_now', { allowMassDelete }),
  /** Opens a mirror file (its path as the mirror reports it) in the system's editor. */
  openMirrorFile: (path: string): Promise<null> =>
    invoke<null>('open_mirror_file', { path }),
}

/** Each event the shell emits, with its payload. */
export type EventPayloads = {
  /** Workspace changes, announced by the engine once durable. */
  'workspace-event': Event
  /**
   * Events were dropped because the UI fell behind (the payload says how many): reload
   * what is shown.
   */
  'workspace-resync': number
  /** Notifications released by the shell (direct ones, and digests after a hold). */
  'notifications': NotificationBatch
  /** Progress of the search index catching up with the workspace: `[done, total]`. */
  'search-progress': [number, number]
}

/** Calls `handler` with the payload of each `event` until the returned function is called. */
export function listenTo<K extends keyof EventPayloads>(
  event: K,
  handler: (payload: EventPayloads[K]) => void,
): Promise<UnlistenFn> {
  return listen<EventPayloads[K]>(event, (msg) => handler(msg.payload))
}
