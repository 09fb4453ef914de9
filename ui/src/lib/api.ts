// The engine's commands, typed with the generated bindings. Each function is one `invoke`
// of a Tauri command of the same name (src-tauri/src/commands); argument names are the
// commands' parameters in camelCase, as Tauri expects.

import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type {
  ApiError,
  Decision,
  DecisionPatch,
  DocId,
  DecisionStatus,
  Event,
  Kind,
  NewDecision,
  NewPage,
  ObjectSummary,
  Page,
  PagePatch,
  Shown,
  TextSplice,
  WorkspaceInfo,
  Charter,
  InboxView,
  Meeting,
  MeetingTimes,
  MemberPatch,
  MemberView,
  NewFocus,
  NewMeeting,
  NewThread,
  NotificationBatch,
  Posting,
  Slot,
  SlotQuery,
  TeamView,
  Thread,
  Hit,
  SyncStatus,
  DeviceInfo,
  PageNode,
  Links,
  Stance,
  ThreadKind,
  AgendaItemPatch,
  Checkin,
  CheckinDigest,
  CheckinsView,
  MeetingOutcome,
  MeetingState,
  MeetingText,
  NewAgendaItem,
  NewCheckin,
  NewTask,
  Summarised,
  Task,
  TaskList,
  TaskPatch,
} from './bindings'

export const api = {
  workspaceInfo: () => invoke<WorkspaceInfo>('workspace_info'),
  listObjects: (kind: Kind | null, includeTrashed = false) =>
    invoke<ObjectSummary[]>('list_objects', { kind, includeTrashed }),
  showObject: (id: DocId) => invoke<Shown>('show_object', { id }),
  trashObject: (id: DocId) => invoke<ObjectSummary>('trash_object', { id }),
  restoreObject: (id: DocId) => invoke<ObjectSummary>('restore_object', { id }),

  createPage: (input: NewPage) => invoke<[DocId, Page]>('create_page', { new: input }),
  updatePage: (id: DocId, patch: PagePatch) => invoke<Page>('update_page', { id, patch }),
  editPageBody: (id: DocId, splices: TextSplice[]) => invoke<null>('edit_page_body', { id, splices }),
  pageTree: () => invoke<PageNode[]>('page_tree'),
  links: (id: DocId) => invoke<Links>('links', { id }),
  threadKinds: () => invoke<ThreadKind[]>('thread_kinds'),

  createDecision: (input: NewDecision) => invoke<[DocId, Decision]>('create_decision', { new: input }),
  updateDecision: (id: DocId, patch: DecisionPatch) =>
    invoke<Decision>('update_decision', { id, patch }),
  setDecisionStatus: (id: DocId, status: DecisionStatus) =>
    invoke<Decision>('set_decision_status', { id, status }),
  chooseOption: (id: DocId, option: string, rationale: string | null) =>
    invoke<Decision>('choose_option', { id, option, rationale }),
  decisionNextSteps: (status: DecisionStatus) =>
    invoke<DecisionStatus[]>('decision_next_steps', { status }),
  giveFeedback: (id: DocId, stance: Stance, text: string) =>
    invoke<Decision>('give_feedback', { id, stance, text }),
  acknowledgeDecision: (id: DocId) => invoke<Decision>('acknowledge_decision', { id }),
  supersedeDecision: (old: DocId, next: DocId) => invoke<Decision>('supersede_decision', { old, new: next }),
  promoteThread: (id: DocId) => invoke<[DocId, Decision]>('promote_thread', { id }),

  inbox: () => invoke<InboxView>('inbox'),
  team: () => invoke<TeamView>('team'),
  members: () => invoke<MemberView[]>('members'),
  myProfile: () => invoke<MemberView>('my_profile'),
  updateMember: (id: DocId, patch: MemberPatch) => invoke<MemberView>('update_member', { id, patch }),
  addFocusBlock: (id: DocId, block: NewFocus) => invoke<MemberView>('add_focus_block', { id, block }),
  addOutOfOffice: (id: DocId, from: string, to: string, note: string) =>
    invoke<MemberView>('add_out_of_office', { id, from, to, note }),
  /** Removes the focus block with id `entry` (by id: a synced edit may have moved it). */
  removeFocusBlock: (id: DocId, entry: string) =>
    invoke<MemberView>('remove_focus_block', { id, entry }),
  /** Removes the out-of-office range with id `entry`. */
  removeOutOfOffice: (id: DocId, entry: string) =>
    invoke<MemberView>('remove_out_of_office', { id, entry }),

  previewThread: (input: NewThread) => invoke<Posting>('preview_thread', { new: input }),
  postThread: (input: NewThread) => invoke<Posting>('post_thread', { new: input }),
  replyThread: (id: DocId, body: string) => invoke<Thread>('reply_thread', { id, body }),
  ackThread: (id: DocId) => invoke<Thread>('ack_thread', { id }),
  resolveThread: (id: DocId) => invoke<Thread>('resolve_thread', { id }),

  createMeeting: (input: NewMeeting) => invoke<[DocId, MeetingTimes]>('create_meeting', { new: input }),
  meetingTimes: (id: DocId) => invoke<MeetingTimes>('meeting_times', { id }),
  suggestSlots: (query: SlotQuery) => invoke<Slot[]>('suggest_slots', { query }),
  addAgendaItem: (id: DocId, item: NewAgendaItem) => invoke<Meeting>('add_agenda_item', { id, item }),
  updateAgendaItem: (id: DocId, item: string, patch: AgendaItemPatch) =>
    invoke<Meeting>('update_agenda_item', { id, item, patch }),
  removeAgendaItem: (id: DocId, item: string) => invoke<Meeting>('remove_agenda_item', { id, item }),
  /** Moves agenda item `item` to position `to` (0 is first). */
  moveAgendaItem: (id: DocId, item: string, to: number) => invoke<Meeting>('move_agenda_item', { id, item, to }),
  /** Editor keystrokes in a meeting's notes or summary, in typing order. */
  editMeetingText: (id: DocId, which: MeetingText, splices: TextSplice[]) =>
    invoke<null>('edit_meeting_text', { id, which, splices }),
  setMeetingState: (id: DocId, to: MeetingState) => invoke<Meeting>('set_meeting_state', { id, to }),
  meetingNextSteps: (from: MeetingState) => invoke<MeetingState[]>('meeting_next_steps', { from }),
  draftMeetingDecision: (id: DocId, item: string | null) =>
    invoke<NewDecision>('draft_meeting_decision', { id, item }),
  recordMeetingDecision: (id: DocId, decision: NewDecision) =>
    invoke<[DocId, Decision]>('record_meeting_decision', { id, decision }),
  addActionItem: (id: DocId, task: NewTask) => invoke<DocId>('add_action_item', { id, task }),
  summariseMeeting: (id: DocId, outcome: MeetingOutcome) =>
    invoke<Summarised>('summarise_meeting', { id, outcome }),

  taskList: (mine: boolean) => invoke<TaskList>('task_list', { mine }),
  createTask: (input: NewTask) => invoke<[DocId, Task]>('create_task', { new: input }),
  updateTask: (id: DocId, patch: TaskPatch) => invoke<Task>('update_task', { id, patch }),

  checkins: () => invoke<CheckinsView>('checkins'),
  createCheckin: (input: NewCheckin) => invoke<[DocId, Checkin]>('create_checkin', { new: input }),
  answerCheckin: (id: DocId, answers: string[]) => invoke<Checkin>('answer_checkin', { id, answers }),
  /** Everyone's answers for local date `date` (today in my zone when null). */
  checkinDigest: (id: DocId, date: string | null) => invoke<CheckinDigest>('checkin_digest', { id, date }),
  charter: () => invoke<Charter>('charter'),
  pendingNotifications: () => invoke<NotificationBatch>('pending_notifications'),
  search: (query: string, limit: number) => invoke<Hit[]>('search', { query, limit }),

  firstRun: () => invoke<FirstRun | null>('first_run'),
  /** With `sample`, also adds the sample pages and decisions. If only the sample fails,
   * the workspace exists anyway (`firstRun()` turns null) and the error says so. */
  createWorkspace: (name: string, me: string, tz: string, sample: boolean) =>
    invoke<WorkspaceInfo>('create_workspace', { name, me, tz, sample }),
  joinWorkspace: (code: string, me: string, tz: string) =>
    invoke<WorkspaceInfo>('join_workspace', { code, me, tz }),
  syncStatus: () => invoke<SyncStatus>('sync_status'),
  devices: () => invoke<DeviceInfo[]>('devices'),
  createInvite: (relay: string, role: string, expiresHours: number) =>
    invoke<Invitation>('create_invite', { relay, role, expiresHours }),
  removeDevice: (device: string) => invoke<null>('remove_device', { device }),
}

/** What the first-run screen proposes (null once a workspace exists). */
export interface FirstRun {
  name: string
  me: string
  tz: string
  data_dir: string
}

/** An invite: the code, and the same code as an SVG QR code. */
export interface Invitation {
  code: string
  qr_svg: string
}

/** Progress of the search index catching up with the workspace: [done, total]. */
export function onSearchProgress(handler: (p: [number, number]) => void): Promise<UnlistenFn> {
  return listen<[number, number]>('search-progress', (msg) => handler(msg.payload))
}

/** Notifications released by the desktop shell (direct ones, and digests after a hold). */
export function onNotifications(handler: (b: NotificationBatch) => void): Promise<UnlistenFn> {
  return listen<NotificationBatch>('notifications', (msg) => handler(msg.payload))
}

/** Workspace changes, announced by the engine once durable. */
export function onWorkspaceEvent(handler: (e: Event) => void): Promise<UnlistenFn> {
  return listen<Event>('workspace-event', (msg) => handler(msg.payload))
}

/** Events were dropped because the UI fell behind: reload what is shown. */
export function onResync(handler: () => void): Promise<UnlistenFn> {
  return listen<number>('workspace-resync', () => handler())
}

export function isApiError(e: unknown): e is ApiError {
  return typeof e === 'object' && e !== null && 'kind' in e && 'detail' in e
}

/** A message for people: the engine's `detail`, or whatever else went wrong. */
export function errorMessage(e: unknown): string {
  if (isApiError(e)) return e.detail
  if (e instanceof Error) return e.message
  return String(e)
}
