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

export type DateRange = { 
/**
 * Stable id within the member's list: what removal goes by, as a synced edit can move
 * an entry to another index. Entries stored before ids existed read with an id
 * derived from their Automerge object id.
 */
id: string, from: string, to: string, note: string, };

export type FocusBlock = { 
/**
 * Stable id within the member's list: what removal goes by, as a synced edit can move
 * an entry to another index. Entries stored before ids existed read with an id
 * derived from their Automerge object id.
 */
id: string, 
/**
 * 0 = Monday … 6 = Sunday; ignored when `date` is set.
 */
weekdays: Array<number>, 
/**
 * `YYYY-MM-DD`: a one-off block on that local date.
 */
date: string | null, start: string, end: string, };

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
properties: { [key in string]?: string }, created_at_ms: number, 
/**
 * The file this page was imported or mirrored as, relative to the root of the
 * folder's pages (`features/graph-view.md`; in a mirror folder, relative to
 * `pages/`), `/`-separated. Links by file name and relative path resolve by it. Not
 * written into the file's front matter: the file's location is its path.
 */
path: string | null, };

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
 * The meeting this decision was recorded in.
 */
source_meeting: string | null, 
/**
 * `YYYY-MM-DD`.
 */
review_by: string | null, properties: { [key in string]?: string }, created_at_ms: number, 
/**
 * The file this record was imported or mirrored as, relative to the root of the
 * folder's decisions (in a mirror folder, relative to `decisions/`), `/`-separated.
 * Links by file name and relative path resolve by it; not written into the file.
 */
path: string | null, };

export type DecisionStatus = "draft" | "proposed" | "accepted" | "rejected" | "deprecated" | "superseded";

export type DecisionOption = { id: string, title: string, description: string, pros: Array<string>, cons: Array<string>, };

export type Feedback = { 
/**
 * Unique within the decision, so feedback given concurrently on two devices merges.
 */
id: string, 
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
organiser_tz: string, 
/**
 * Member id of the organiser.
 */
organiser: string | null, weekly: boolean, 
/**
 * Member ids.
 */
attendees: Array<string>, agenda: Array<AgendaItem>, notes: string, summary: string, 
/**
 * Ids of resulting decisions and tasks.
 */
decisions: Array<string>, tasks: Array<string>, state: MeetingState, 
/**
 * The thread this meeting became when its agenda was empty at the deadline.
 */
async_thread: string | null, created_at_ms: number, };

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
acknowledgements: Array<string>, state: ThreadState, linked_decision: string | null, 
/**
 * The meeting this thread replaced when its agenda was not ready.
 */
source_meeting: string | null, created_at_ms: number, };

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

export type RecoveryReport = { 
/**
 * The damaged files moved aside (their new paths).
 */
moved_aside: Array<string>, 
/**
 * What was rebuilt: `workspace.db`, `sync.db`, or both.
 */
rebuilt: Array<string>, 
/**
 * Why, per rebuilt file.
 */
reasons: Array<string>, 
/**
 * This device, unchanged.
 */
device: string, 
/**
 * Objects in the workspace after the recovery.
 */
objects: number, 
/**
 * Envelopes received from the relay.
 */
received: number, 
/**
 * This device's own envelopes the relay returned.
 */
own_returned: number, 
/**
 * Documents whose changes were sealed again and sent.
 */
resealed: number, };

export type PagePreview = { id: DocId, title: string, 
/**
 * The text, or its beginning when `truncated`.
 */
body: string, 
/**
 * Whether `body` is only the beginning of the text (see `max_chars`).
 */
truncated: boolean, };

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

export type PageNode = { id: DocId, title: string, 
/**
 * Absent for top-level pages (and when the parent is in the trash).
 */
parent: DocId | null, tags: Array<string>, 
/**
 * Member id.
 */
owner: string | null, 
/**
 * `YYYY-MM-DD`.
 */
review_by: string | null, 
/**
 * The review date has passed (judged in my zone).
 */
stale: boolean, 
/**
 * RFC 3339, UTC.
 */
updated_at: string, };

export type Links = { 
/**
 * What its prose links to, in order.
 */
outgoing: Array<LinkView>, 
/**
 * Objects whose prose links to it, most recently updated first.
 */
backlinks: Array<ObjectSummary>, };

export type LinkView = { target: string, object: ObjectSummary | null, };

export type UnresolvedLink = { 
/**
 * The object whose prose holds the link.
 */
from: ObjectSummary, 
/**
 * What the link names as written, without its `#heading` or shown text.
 */
target: string, 
/**
 * Written `[[target]]` (else `[text](target)`).
 */
wiki: boolean, };

export type ThreadKind = { id: DocId, kind: string, };

export type PagePatch = { title?: string, body?: string, tags?: Array<string>, 
/**
 * `null` clears the parent.
 */
parent?: DocId | null, 
/**
 * `YYYY-MM-DD`; `null` clears it.
 */
review_by?: string | null, 
/**
 * Member name or id; `null` clears it.
 */
owner?: string | null, };

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
 * `null` clears the choice.
 */
chosen_option?: string | null, rationale?: string, consequences?: string, deciders?: Array<string>, consulted?: Array<string>, informed?: Array<string>, review_by?: string | null, 
/**
 * Decide-by instant, UTC milliseconds; `null` clears it.
 */
decide_by_ms?: number | null, };

export type ImportReport = { pages: number, decisions: number, skipped: Array<SkippedFile>, elapsed_ms: number, };

export type SkippedFile = { path: string, reason: string, };

export type ExportReport = { files: Array<string>, };

export type Event = { "type": "object_created", summary: ObjectSummary, } | { "type": "object_changed", summary: ObjectSummary, } | { "type": "object_trashed", summary: ObjectSummary, } | { "type": "object_restored", summary: ObjectSummary, } | { "type": "object_purged", summary: ObjectSummary, };

export type ApiError = { kind: ErrorKind, detail: string, };

export type ErrorKind = "not_found" | "invalid" | "storage" | "corrupt" | "not_initialised" | "unsaved" | "io" | "internal" | "sync";

export type MemberPatch = { name?: string, tz?: string, role?: Role, 
/**
 * Working hours in the grammar `mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00`.
 */
hours?: string, 
/**
 * `Some(None)` ends the travel override.
 */
travel?: Travel | null, };

export type NewFocus = { days?: string, date?: string, start: string, end: string, };

export type MemberView = { id: DocId, hours: string, display_name: string, 
/**
 * IANA time zone, e.g. `Europe/Berlin`.
 */
tz: string, working_hours: Array<WorkingInterval>, out_of_office: Array<DateRange>, focus_blocks: Array<FocusBlock>, travel: Travel | null, role: Role, 
/**
 * Device ids of this member's devices.
 */
devices: Array<string>, };

export type NewThread = { kind: string, to: Array<string>, title: string, body: string, 
/**
 * `now` unless given.
 */
delivery?: Delivery, reason?: string, };

export type Posting = { id: DocId | null, reply_by: Array<ReplyBy>, urgent: boolean, escalation: Escalation | null, budget: UrgentBudget | null, };

export type NewMeeting = { title: string, purpose: string, 
/**
 * RFC 3339.
 */
start: string, duration_min: number, attendees: Array<string>, items: Array<string>, decisions_sought: Array<string>, };

export type MeetingTimes = { id: DocId, title: string, state: MeetingState, start: string, 
/**
 * The agenda deadline (RFC 3339 UTC) and how it reads on each attendee's clock.
 */
agenda_due: string | null, agenda_due_local: Array<LocalTime>, summary_due: string | null, 
/**
 * Why a deadline could not be computed (e.g. an attendee has no working hours).
 */
problem: string | null, async_thread: string | null, };

export type LocalTime = { member: string, name: string, local: string, };

export type SlotQuery = { with: Array<string>, duration_min: number, 
/**
 * RFC 3339; now when absent.
 */
from?: string, within_days: number, limit: number, };

export type InboxView = { me: MemberRef, at: string, items: Array<InboxItem>, waiting: Array<Waiting>, 
/**
 * Meetings turned into async threads while computing this view.
 */
converted: Array<DocId>, };

export type TeamView = { at: string, rows: Array<ClockRow>, };

export type NotificationBatch = { at: string, direct: Array<Notification>, digests: Array<Digest>, };

export type NewAgendaItem = { title: string, owner?: string, 
/**
 * Minutes on the agenda; 10 when 0.
 */
minutes: number, pre_reads: Array<string>, notes: string, };

export type AgendaItemPatch = { title?: string, 
/**
 * A member name or id; `null` (`Some(None)`) clears the owner.
 */
owner?: string | null, minutes?: number, notes?: string, 
/**
 * The whole list of pre-reads.
 */
pre_reads?: Array<string>, 
/**
 * Settled in writing before the meeting: no time needed for it.
 */
resolved_async?: boolean, };

export type MeetingText = "notes" | "summary";

export type MeetingOutcome = { summary?: string, decision?: NewDecision, 
/**
 * The agenda item the decision is about (its id or title).
 */
agenda_item?: string, tasks: Array<NewTask>, };

export type Summarised = { meeting: Meeting, decision: DocId | null, tasks: Array<DocId>, };

export type NewTask = { title: string, owner?: string, due?: string, source?: TaskSource, };

export type TaskPatch = { title?: string, 
/**
 * A member name or id; `null` (`Some(None)`) unassigns the task.
 */
owner?: string | null, 
/**
 * `YYYY-MM-DD`; `null` (`Some(None)`) clears the date.
 */
due?: string | null, state?: TaskState, };

export type TaskList = { me: MemberRef, at: string, rows: Array<TaskRow>, };

export type NewCheckin = { title: string, questions: Array<string>, weekdays: Array<number>, prompt_time: string, participants: Array<string>, };

export type CheckinsView = { me: MemberRef, at: string, 
/**
 * My local date.
 */
today: string, cards: Array<CheckinCard>, };

export type TaskRow = { id: string, title: string, state: TaskState, 
/**
 * Member id and name; `None` for an unassigned task.
 */
owner: string | null, owner_name: string | null, 
/**
 * The zone the bucket was computed in: the owner's (travel included), or the
 * viewer's for an unassigned task.
 */
tz: string, 
/**
 * `YYYY-MM-DD` on the owner's calendar.
 */
due: string | null, 
/**
 * The end of the due date on the owner's calendar, RFC 3339 UTC.
 */
due_end: string | null, bucket: DueBucket, 
/**
 * Whole days from the owner's today to the due date (negative when overdue).
 */
days_left: number | null, source: TaskSource | null, mine: boolean, created_at_ms: number, };

export type DueBucket = "overdue" | "today" | "this-week" | "later" | "no-date" | "done";

export type CheckinCard = { id: string, title: string, questions: Array<string>, 
/**
 * 0 = Monday … 6 = Sunday.
 */
weekdays: Array<number>, 
/**
 * `HH:MM` on each participant's clock.
 */
prompt_time: string, 
/**
 * Member ids and names, in the same order.
 */
participants: Array<string>, participant_names: Array<string>, 
/**
 * Whether the viewer takes part.
 */
participant: boolean, 
/**
 * The viewer's local date, `YYYY-MM-DD`.
 */
today: string, 
/**
 * Today is one of its days for the viewer (and they are not away).
 */
asks_today: boolean, 
/**
 * Today's prompt, RFC 3339 UTC and on the viewer's clock.
 */
prompt_at: string | null, prompt_local: string | null, 
/**
 * Prompted today and not answered yet.
 */
due: boolean, 
/**
 * The viewer's answers for today, if given.
 */
my_answers: Array<string> | null, 
/**
 * The next prompt still to come (today's if it has not come yet), UTC and local.
 */
next_prompt: string | null, next_prompt_local: string | null, 
/**
 * Local dates with answers, newest first (at most 60).
 */
answered_dates: Array<string>, };

export type ReplyBy = { 
/**
 * The recipient's display name.
 */
recipient: string, 
/**
 * The recipient's member id.
 */
recipient_id: string, 
/**
 * The recipient's zone at the reply-by instant (or at delivery if none is expected).
 */
tz: string, 
/**
 * RFC 3339 UTC.
 */
delivered_at: string, 
/**
 * RFC 3339 UTC; `None` when the kind expects no reply.
 */
reply_by: string | null, 
/**
 * The same instant with the recipient's offset.
 */
reply_by_local: string | null, 
/**
 * Whether the recipient is inside working hours when the message arrives.
 */
working_on_arrival: boolean, };

export type Escalation = { 
/**
 * Member ids to notify now, breaking focus.
 */
notify: Array<string>, 
/**
 * Whether the ladder picked them (the named recipients were all off).
 */
via_ladder: boolean, 
/**
 * Set when nobody is working: when the chosen person is next reachable (RFC 3339 UTC).
 */
reachable_at: string | null, };

export type UrgentBudget = { used: number, allowed: number, 
/**
 * When the oldest counted urgent message leaves the window (RFC 3339 UTC).
 */
frees_at: string | null, };

export type Slot = { 
/**
 * RFC 3339 UTC.
 */
start: string, end: string, attendees: Array<SlotAttendee>, minutes_outside: number, 
/**
 * 100 when everyone is inside working hours; lower the more the slot costs people
 * outside their hours, weighted by how often each already took a bad slot.
 */
fairness: number, 
/**
 * Lower is better: per attendee, minutes outside working hours × (1 + past
 * inconvenient meetings), plus half the minutes inside a focus block.
 */
cost: bigint, };

export type SlotAttendee = { member: string, name: string, 
/**
 * Start with the attendee's offset, RFC 3339.
 */
local_start: string, local_end: string, 
/**
 * Minutes of the meeting outside their working hours.
 */
minutes_outside: number, 
/**
 * `early`, `late` or `None` when the slot is inside their hours.
 */
outside: string | null, out_of_office: boolean, 
/**
 * Minutes of the meeting inside one of their focus blocks.
 */
minutes_in_focus: number, 
/**
 * Inconvenient meetings this attendee already took (from the ledger).
 */
past_burden: number, };

export type CheckinDigest = { checkin: string, title: string, date: string, questions: Array<string>, answers: Array<CheckinAnswers>, 
/**
 * Names of participants who owed an answer that day and gave none.
 */
missing: Array<string>, };

export type CheckinAnswers = { member: string, name: string, answers: Array<string>, 
/**
 * RFC 3339 UTC.
 */
at: string, };

export type InboxItem = { 
/**
 * `reply`, `feedback`, `agenda`, `summary`, `checkin` or `task`.
 */
section: string, 
/**
 * The object's kind and id.
 */
kind: string, id: string, title: string, 
/**
 * What is asked, e.g. `Question from Ana`.
 */
detail: string, 
/**
 * When it is due, RFC 3339 UTC, and the same instant on my clock.
 */
due: string | null, due_local: string | null, 
/**
 * The other side (sender, organiser) and the due instant on their clock.
 */
other: string | null, due_other_local: string | null, overdue: boolean, };

export type Waiting = { thread: string, title: string, kind: string, recipient: string, name: string, reply_by: string | null, reply_by_local: string | null, replied: boolean, acknowledged: boolean, overdue: boolean, 
/**
 * Why no reply-by could be computed (e.g. the recipient has no working hours).
 */
note: string | null, };

export type ClockRow = { member: string, name: string, tz: string, 
/**
 * Local time now, RFC 3339 with offset.
 */
local: string, 
/**
 * `+05:45`.
 */
offset: string, 
/**
 * `working`, `focusing`, `off` or `out-of-office`.
 */
state: string, 
/**
 * When the state ends (focus end, end of the working stretch), RFC 3339 UTC.
 */
until: string | null, 
/**
 * When they can next be reached in working hours (None if now), RFC 3339 UTC.
 */
next_reachable_at: string | null, next_reachable_local: string | null, 
/**
 * Today's working and focus time on their clock, as `[start, end)` minutes of the day.
 */
hours_today: Array<[number, number]>, focus_today: Array<[number, number]>, 
/**
 * Minute of their day now.
 */
minute_now: number, 
/**
 * A problem with their calendar, e.g. no working hours.
 */
note: string | null, };

export type Notification = { 
/**
 * Stable across recomputations, so a device shows each one once.
 */
key: string, kind: string, id: string, title: string, body: string, urgent: boolean, 
/**
 * When it arrived for me, RFC 3339 UTC.
 */
arrived: string, 
/**
 * When it may be shown: the arrival, or the end of the focus block or quiet hours
 * holding it.
 */
show_at: string, held: boolean, };

export type Digest = { released_at: string, items: Array<Notification>, };

export type CatchUpItem = { 
/**
 * One of [`GROUPS`]' keys: where it is listed.
 */
group: string, kind: string, id: string, title: string, 
/**
 * What happened, for people: `Proposed — your feedback is asked`.
 */
detail: string, 
/**
 * Every group this object qualified for (its `group` first).
 */
reasons: Array<string>, 
/**
 * When others last changed it, RFC 3339 UTC.
 */
changed_at: string, 
/**
 * How many changes others made since I last looked.
 */
changes: number, 
/**
 * When something is due from me (a reply-by, a decide-by, a task's day), RFC 3339 UTC,
 * and the same instant on my clock.
 */
due: string | null, due_local: string | null, 
/**
 * Whether the change mentioned me.
 */
mentioned: boolean, 
/**
 * Words added and removed in the main text (a page's body, a meeting's summary…).
 */
diff: WordDiff | null, 
/**
 * The object's version when I last saw it (empty: it is new to me) and now, as the
 * history names points (`hash,hash`): the history's diff from `from_heads` to `heads`
 * is the change; marking the item seen records `heads`.
 */
from_heads: string, heads: string, };

export type WordDiff = { 
/**
 * Words that are in the new text only.
 */
added: number, 
/**
 * Words that are in the old text only.
 */
removed: number, hunks: Array<Hunk>, };

export type Hunk = { "op": "same", "text": string } | { "op": "added", "text": string } | { "op": "removed", "text": string };

export type CatchUpView = { 
/**
 * Since when: the last "mark all as seen" on this device (or `--since`), RFC 3339 UTC.
 */
since: string | null, 
/**
 * Computed at, RFC 3339 UTC.
 */
at: string, count: number, groups: Array<CatchUpGroup>, items: Array<CatchUpItem>, };

export type CatchUpGroup = { group: string, label: string, count: number, };

export type Following = { id: DocId, following: boolean, };

export type HistoryPage = { id: DocId, entries: Array<HistoryEntry>, 
/**
 * Entries in the whole timeline, and Automerge changes behind them.
 */
total_entries: number, total_changes: number, 
/**
 * The offset of the next (older) page, if any.
 */
next: number | null, };

export type HistoryEntry = { 
/**
 * The version right after this entry: what "show", "diff" and "restore" take.
 */
point: string, 
/**
 * The version right before it; `None` for the entry that created the object.
 */
before: string | null, 
/**
 * The Automerge changes it groups.
 */
changes: number, 
/**
 * Member id of the author, when the changes say.
 */
author: string | null, 
/**
 * The author's display name, or "unknown" when no member is recorded.
 */
author_name: string, 
/**
 * The device that wrote it (the first 8 hex digits of its Automerge actor).
 */
device: string, this_device: boolean, 
/**
 * When its first and last change were made, RFC 3339 in my time zone; `None` when
 * they carry no time.
 */
started_at: string | null, ended_at: string | null, created: boolean, 
/**
 * The point this entry restored, when it was a restore.
 */
restored_from: string | null, summary: ChangeSummary, };

export type Version = { id: DocId, 
/**
 * The point, as full change hashes.
 */
point: string, 
/**
 * When its newest change was made (RFC 3339, UTC), if known.
 */
at: string | null, object: Object, };

export type VersionDiff = { id: DocId, from: string, to: string, changes: Array<FieldChange>, };

export type ChangeSummary = { fields: Array<string>, words_added: number, words_removed: number, };

export type FieldChange = { field: string, change: FieldDiff, };

export type FieldDiff = { "type": "text", diff: WordDiff, } | { "type": "value", old: string, new: string, } | { "type": "items", added: Array<string>, removed: Array<string>, changed: Array<string>, };

export type Hit = { id: string, kind: string, title: string, snippet: string, 
/**
 * `[start, end)` character ranges of `snippet` that matched.
 */
highlights: Array<[number, number]>, score: number, status: string | null, };

export type SyncStatus = { device: string, relay: string | null, 
/**
 * Envelopes of this device the relay has not acknowledged.
 */
pending: bigint, 
/**
 * Local changes not yet sealed into envelopes (counted in documents).
 */
unsealed_documents: bigint, last_contact: string | null, synced: boolean, 
/**
 * Why it is not synced, in words.
 */
reason: string | null, 
/**
 * Who holds everything this device made, when synced: `the relay`, or a device on
 * the local network ("Bo's device 3f2a9c1e on the local network") when that is the
 * only route that does.
 */
via: string | null, 
/**
 * Changes from other devices set aside because too many of their document already
 * wait for changes this device does not have, in words (`docs/limits.md`).
 */
set_aside: string | null, };

export type StorageStatus = { unsaved: number, error: string | null, };

export type DeviceInfo = { id: string, member: string, role: string, removed: boolean, this_device: boolean, };

export type LanPeer = { device: string, 
/**
 * The member the device belongs to (a name once the member's document arrived).
 */
member: string, 
/**
 * How it was met: `mdns` (found on the network), `address` (given with `--peer`) or
 * `inbound` (it connected here).
 */
how: string, addr: string, last_seen: string, 
/**
 * When both last held the same (acknowledged by both sides).
 */
last_synced: string | null, 
/**
 * Why a session was refused, by either side: `not a member of this workspace`,
 * `removed from this workspace`, …
 */
refused: string | null, 
/**
 * It acknowledged holding every change this device made.
 */
has_all_mine: boolean, };

export type MirrorReport = { folder: string, 
/**
 * Files written from objects.
 */
written: number, 
/**
 * Edited files applied to their objects.
 */
applied: number, 
/**
 * New files that became objects.
 */
created: number, moved: number, 
/**
 * Objects moved to the trash because their file was deleted.
 */
trashed: number, 
/**
 * Files removed because their object was trashed in the workspace.
 */
removed: number, 
/**
 * Files that could not be applied, with the reason (the file is left as it is).
 */
refused: Array<SkippedFile>, 
/**
 * Set when more files disappeared at once than the guard allows: nothing was trashed.
 */
held_deletes: HeldDeletes | null, };

export type MirrorStatus = { folder: string | null, last_run: string | null, files: number, refused: Array<SkippedFile>, 
/**
 * Deletions the mass-delete guard holds back since the last pass, until they are
 * allowed (`mirror_once` with `allow_mass_delete`) or the files are back.
 */
held_deletes: HeldDeletes | null, };

export type HeldDeletes = { gone: number, known: number, };

export type TrashedObject = { 
/**
 * Member id of who trashed it, when the change says (changes of older versions carry
 * no author; this device's own are known anyway).
 */
trashed_by: string | null, 
/**
 * That member's name.
 */
trashed_by_name: string | null, 
/**
 * RFC 3339 UTC, by the clock of the device that trashed it.
 */
trashed_at: string | null, id: DocId, kind: Kind, title: string, 
/**
 * Decision status, thread/meeting/task state, member role; absent for pages.
 */
status: string | null, 
/**
 * RFC 3339, UTC.
 */
updated_at: string, trashed: boolean, };

export type MergeReport = { object: DocId, kind: Kind, title: string, 
/**
 * When the last merge of this object was reported, RFC 3339 UTC.
 */
at: string, entries: Array<MergeEntry>, };

export type MergeEntry = { item: MergeItem, heads: MergeHeads, 
/**
 * The sides whose lost work can be brought back (empty when nothing was lost).
 */
restorable: Array<Side>, 
/**
 * Sides already brought back from this report.
 */
restored: Array<Side>, };

export type MergeItem = { "what": "field", field: string, path: Array<Seg>, base: string | null, mine: string | null, theirs: string | null, merged: string | null, overwritten: Side | null, } | { "what": "trashedWhileEdited", trashedBy: Side, 
/**
 * The fields the other side edited.
 */
edited: Array<string>, 
/**
 * Whether the object is in the trash after the merge.
 */
inTrash: boolean, } | { "what": "paragraph", field: string, path: Array<Seg>, base: string, mine: string, theirs: string, merged: string, overwritten: Array<Side>, } | { "what": "largeRemoval", field: string, path: Array<Seg>, by: Side, removedWords: number, 
/**
 * The removed text, paragraph by paragraph.
 */
removed: string, };

export type MergeHeads = { base: Array<string>, mine: Array<string>, theirs: Array<string>, merged: Array<string>, };

export type Seg = { "by": "key", "at": string } | { "by": "item", "at": string } | { "by": "index", "at": number };

export type Side = "mine" | "theirs";
