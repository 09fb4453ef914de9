// Generated from the Rust types by `meridian-app` (ts-rs). Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p meridian-app bindings` after changing them.

export type DocId = string;

export type Kind = "workspace" | "member" | "charter" | "page" | "decision" | "meeting" | "thread" | "checkin" | "task";

export type Object = { "kind": "workspace" } & WorkspaceDoc | { "kind": "member" } & Member | { "kind": "charter" } & Charter | { "kind": "page" } & Page | { "kind": "decision" } & Decision | { "kind": "meeting" } & Meeting | { "kind": "thread" } & Thread | { "kind": "checkin" } & Checkin | { "kind": "task" } & Task;

export type WorkspaceDoc = { name: string, 
/**
 * Document id of the charter.
 */
charter: string | null, 
/**
 * Object id → kind, for every object created in the workspace (trashed ones included).
 */
index: { [key in string]?: string }, created_at_ms: number, };

export type Member = { display_name: string, 
/**
 * IANA time zone, e.g. `Europe/Berlin`.
 */
tz: string, working_hours: Array<WorkingInterval>, out_of_office: Array<DateRange>, focus_blocks: Array<FocusBlock>, travel: Travel | null, role: Role, 
/**
 * Device ids of this member's devices.
 */
devices: Array<string>, };

export type Role = "admin" | "editor" | "reader";

export type WorkingInterval = { 
/**
 * 0 = Monday … 6 = Sunday.
 */
weekday: number, 
/**
 * `HH:MM`, local.
 */
start: string, 
/**
 * `HH:MM`, local; after `start`.
 */
end: string, };

export type DateRange = { from: string, to: string, note: string, };

export type FocusBlock = { 
/**
 * 0 = Monday … 6 = Sunday.
 */
weekdays: Array<number>, start: string, end: string, };

export type Travel = { tz: string, from: string, to: string, };

export type Charter = { message_kinds: Array<MessageKind>, quiet_hours: QuietHours, 
/**
 * Member ids, in the order Urgent messages try them.
 */
escalation_ladder: Array<string>, 
/**
 * Urgent messages each sender may send per week.
 */
urgent_budget_per_week: number, meeting_rules: MeetingRules, 
/**
 * Default check-in prompt time, local `HH:MM`.
 */
checkin_prompt_time: string, };

export type MessageKind = { name: string, 
/**
 * Working hours of the recipient within which a reply is expected; `None` = no reply expected.
 */
reply_within_hours: number | null, 
/**
 * Whether this kind may break a focus block (only with a stated reason).
 */
breaks_focus: boolean, };

export type QuietHours = { 
/**
 * Local `HH:MM` in each member's zone.
 */
start: string, end: string, };

export type MeetingRules = { 
/**
 * The agenda is due this many working hours before the start, in every attendee's zone.
 */
agenda_due_hours_before: number, 
/**
 * The summary is due within this many working hours after the end.
 */
summary_due_hours_after: number, };

export type Page = { title: string, 
/**
 * Markdown; Automerge text in the document.
 */
body: string, tags: Array<string>, 
/**
 * Document id of the parent page.
 */
parent: string | null, 
/**
 * Member id of the owner.
 */
owner: string | null, 
/**
 * `YYYY-MM-DD`.
 */
review_by: string | null, 
/**
 * Front matter kept from an import, `key` → JSON text.
 */
properties: { [key in string]?: string }, created_at_ms: number, };

export type Decision = { title: string, status: DecisionStatus, context: string, drivers: Array<string>, options: Array<DecisionOption>, 
/**
 * Id of the chosen option.
 */
chosen_option: string | null, rationale: string, consequences: string, 
/**
 * People, as written (imported records name people who are not members).
 */
deciders: Array<string>, consulted: Array<string>, informed: Array<string>, decide_by_ms: number | null, feedback: Array<Feedback>, 
/**
 * Member ids who acknowledged the outcome.
 */
acknowledgements: Array<string>, supersedes: string | null, superseded_by: string | null, source_thread: string | null, 
/**
 * `YYYY-MM-DD`.
 */
review_by: string | null, properties: { [key in string]?: string }, created_at_ms: number, };

export type DecisionStatus = "draft" | "proposed" | "accepted" | "rejected" | "deprecated" | "superseded";

export type DecisionOption = { id: string, title: string, description: string, pros: Array<string>, cons: Array<string>, };

export type Feedback = { 
/**
 * Member id.
 */
author: string, stance: Stance, text: string, at_ms: number, };

export type Stance = "support" | "concern" | "object";

export type Meeting = { title: string, purpose: string, decisions_sought: Array<string>, 
/**
 * Start instant, UTC milliseconds.
 */
start_ms: number, duration_min: number, 
/**
 * IANA zone of the organiser.
 */
organiser_tz: string, weekly: boolean, 
/**
 * Member ids.
 */
attendees: Array<string>, agenda: Array<AgendaItem>, notes: string, summary: string, 
/**
 * Ids of resulting decisions and tasks.
 */
decisions: Array<string>, tasks: Array<string>, state: MeetingState, created_at_ms: number, };

export type MeetingState = "scheduled" | "converted-to-async" | "held" | "summarised" | "cancelled";

export type AgendaItem = { id: string, title: string, 
/**
 * Member id.
 */
owner: string | null, minutes: number, notes: string, 
/**
 * Ids of objects or URLs to read before.
 */
pre_reads: Array<string>, resolved_async: boolean, };

export type Thread = { title: string, 
/**
 * A message kind name from the charter (not `kind`, which names the object kind).
 */
message_kind: string, body: string, 
/**
 * Member id.
 */
author: string, 
/**
 * Member ids.
 */
recipients: Array<string>, delivery: Delivery, urgent_reason: string | null, messages: Array<Message>, 
/**
 * Member ids.
 */
acknowledgements: Array<string>, state: ThreadState, linked_decision: string | null, created_at_ms: number, };

export type ThreadState = "open" | "answered" | "resolved";

export type Delivery = "now" | "morning";

export type Message = { id: string, author: string, body: string, at_ms: number, };

export type Checkin = { title: string, questions: Array<string>, 
/**
 * 0 = Monday … 6 = Sunday.
 */
weekdays: Array<number>, 
/**
 * Local `HH:MM` in each participant's zone.
 */
prompt_time: string, 
/**
 * Member ids.
 */
participants: Array<string>, entries: Array<CheckinEntry>, created_at_ms: number, };

export type CheckinEntry = { member: string, 
/**
 * `YYYY-MM-DD` in the member's zone.
 */
date: string, answers: Array<string>, at_ms: number, };

export type Task = { title: string, 
/**
 * Member id.
 */
owner: string | null, 
/**
 * `YYYY-MM-DD` in the owner's zone.
 */
due: string | null, state: TaskState, source: TaskSource | null, created_at_ms: number, };

export type TaskState = "open" | "doing" | "done" | "dropped";

export type TaskSource = { kind: string, id: string, };

export type TextSplice = { pos: number, delete: number, insert: string, };

export type WorkspaceInfo = { id: DocId, name: string, data_dir: string, me: MemberRef, };

export type MemberRef = { id: DocId, name: string, tz: string, };

export type ObjectSummary = { id: DocId, kind: Kind, title: string, 
/**
 * Decision status, thread/meeting/task state, member role; absent for pages.
 */
status: string | null, 
/**
 * RFC 3339, UTC.
 */
updated_at: string, trashed: boolean, };

export type Shown = { id: DocId, } & ({ "kind": "workspace" } & WorkspaceDoc | { "kind": "member" } & Member | { "kind": "charter" } & Charter | { "kind": "page" } & Page | { "kind": "decision" } & Decision | { "kind": "meeting" } & Meeting | { "kind": "thread" } & Thread | { "kind": "checkin" } & Checkin | { "kind": "task" } & Task);

export type NewPage = { title: string, body: string, tags: Array<string>, parent: DocId | null, };

export type PagePatch = { title?: string, body?: string, tags?: Array<string>, 
/**
 * `Some(None)` clears the parent.
 */
parent?: DocId | null, review_by?: string | null, };

export type NewOption = { title: string, description: string, pros: Array<string>, cons: Array<string>, };

export type NewDecision = { title: string, context: string, drivers: Array<string>, options: Array<NewOption>, 
/**
 * Title of the chosen option, if already chosen.
 */
chosen?: string, rationale: string, consequences: string, deciders: Array<string>, status?: DecisionStatus, };

export type DecisionPatch = { title?: string, context?: string, drivers?: Array<string>, 
/**
 * The whole list of options; existing ones keep their `id`, new ones come with an
 * empty `id` and get one.
 */
options?: Array<DecisionOption>, 
/**
 * `Some(None)` clears the choice.
 */
chosen_option?: string | null, rationale?: string, consequences?: string, deciders?: Array<string>, consulted?: Array<string>, informed?: Array<string>, review_by?: string | null, };

export type ImportReport = { pages: number, decisions: number, skipped: Array<SkippedFile>, elapsed_ms: number, };

export type SkippedFile = { path: string, reason: string, };

export type ExportReport = { files: Array<string>, };

export type Event = { "type": "object_created", summary: ObjectSummary, } | { "type": "object_changed", summary: ObjectSummary, } | { "type": "object_trashed", summary: ObjectSummary, };

export type ApiError = { kind: ErrorKind, detail: string, };

export type ErrorKind = "not_found" | "invalid" | "storage" | "corrupt" | "not_initialised" | "io" | "internal";
