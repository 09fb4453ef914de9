//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use meridian_app::core::{DecisionStatus, DocId, Kind, MeetingState, Role, Stance, TaskState};

use crate::input::{Cleared, doc_id_or_none, trimmed_doc_id};

#[derive(Debug, Parser)]
#[command(
    name = "meridian",
    version,
    about = "Meridian: a local-first workspace for teams that work in writing"
)]
pub struct Cli {
    /// Folder holding the workspace [default: ~/.local/share/meridian]
    #[arg(long, global = true, env = "MERIDIAN_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace, with you as its first member (admin)
    Init {
        #[arg(long)]
        name: String,
        /// Your display name
        #[arg(long)]
        me: String,
        /// Your IANA time zone, e.g. Europe/Berlin
        #[arg(long)]
        tz: String,
        /// Also add the sample pages and decision records (the app's "Include sample content")
        #[arg(long)]
        sample: bool,
    },
    /// Invite a device to this workspace through a relay; prints the invite code
    Invite {
        /// The relay, e.g. ws://127.0.0.1:7447/sync or wss://relay.example.org:7447/sync
        #[arg(long)]
        relay: String,
        /// What the new device may do
        #[arg(long, value_enum, ignore_case = true, default_value_t = DeviceRole::Editor)]
        role: DeviceRole,
        /// How long the code stays valid, e.g. 30m, 24h, 7d
        #[arg(long, default_value = "24h")]
        expires: String,
    },
    /// Join a workspace with an invite code, into an empty --data-dir
    Join {
        code: String,
        /// Your display name
        #[arg(long)]
        me: String,
        /// Your IANA time zone, e.g. Europe/Berlin
        #[arg(long)]
        tz: String,
        /// How long to wait for an admin device to admit this one, e.g. 90s, 10m, 1h
        #[arg(long, default_value = "10m")]
        wait: String,
    },
    /// Rebuild this device's damaged or lost workspace.db or sync.db from the other one
    /// and the relay, keeping this device's identity; damaged files are kept aside as
    /// FILE.corrupt-TIME
    Recover {
        /// The relay to restore from (needed when sync.db, which remembers it, is gone),
        /// e.g. ws://127.0.0.1:7447/sync
        #[arg(long)]
        relay: Option<String>,
        /// Give up on the relay after this long, e.g. 90s, 5m
        #[arg(long, default_value = "5m")]
        timeout: String,
    },
    /// The relay this device syncs through
    #[command(subcommand)]
    Relay(RelayCommand),
    /// Sync with the relay and the workspace's devices on the local network until
    /// interrupted (Ctrl-C)
    Sync {
        /// Exchange everything once and exit when every party reached holds the same (at
        /// least one: the relay or a device on the local network)
        #[arg(long)]
        once: bool,
        /// With --once: give up after this long, e.g. 90s, 2m
        #[arg(long, default_value = "2m")]
        timeout: String,
        /// Do not look for devices on the local network, nor let them find this one
        #[arg(long, env = "MERIDIAN_NO_LAN", value_parser = clap::builder::BoolishValueParser::new())]
        no_lan: bool,
        /// Connect to this device directly (HOST:PORT, the port its `meridian sync`
        /// listens on); may be given more than once
        #[arg(long, value_name = "HOST:PORT")]
        peer: Vec<String>,
        /// Where to accept devices' connections (default: port 7461 on every interface,
        /// any free port if taken)
        #[arg(long, value_name = "ADDR:PORT", env = "MERIDIAN_LAN_LISTEN")]
        listen: Option<std::net::SocketAddr>,
    },
    /// The devices met on the local network: how they were found, when they last synced,
    /// and why one was refused
    Peers,
    /// Keep a folder of Markdown files in step with the workspace, both ways, until
    /// interrupted (Ctrl-C): edits in any editor, git or script flow in, changes made here
    /// or synced flow out
    Mirror {
        /// The folder (remembered: later runs may leave it out)
        dir: Option<std::path::PathBuf>,
        /// Reconcile both ways once and exit: non-zero when a file was refused or the
        /// mass-delete guard held deletions back
        #[arg(long)]
        once: bool,
        /// Where the mirror is, when it last ran, and what it refused
        #[arg(long, conflicts_with_all = ["once", "dir", "allow_mass_delete"])]
        status: bool,
        /// Let a pass trash more objects at once than the guard allows (max(5, 10%))
        #[arg(long)]
        allow_mass_delete: bool,
    },
    /// The devices of this workspace
    Devices,
    /// Admit join requests automatically (the default) or only when approved
    Approval {
        #[arg(value_parser = ["auto", "manual"])]
        mode: String,
    },
    /// Join requests waiting for approval (with `approval manual`)
    JoinRequests,
    /// Admit a device whose join request waits for approval
    Approve { device: String },
    /// Remove a device: it is refused at once and cannot read anything written after
    RemoveDevice { device: String },
    /// What sync has established: pending changes, last contact, why not synced
    SyncStatus,
    /// Import every *.md under DIR (MADR records become decisions, the rest pages)
    Import { dir: PathBuf },
    /// Write the workspace to DIR once
    Export {
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
        format: ExportFormat,
    },
    /// List objects, newest first
    List {
        /// page, decision, meeting, thread, checkin, task, member, charter
        #[arg(long)]
        kind: Option<Kind>,
        /// Include objects in the trash
        #[arg(long)]
        all: bool,
    },
    /// Show one object in full; with --at, as it was then (read-only)
    Show {
        id: DocId,
        /// A point in its history: a change id from `meridian history` (several joined by
        /// commas), or an RFC 3339 time (every change made by then)
        #[arg(long, value_name = "RFC3339|CHANGE")]
        at: Option<String>,
    },
    /// The timeline of an object's changes, newest first: who, when (on my clock), from
    /// which device, what changed
    History {
        id: DocId,
        /// How many entries
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Skip this many newer entries (the previous page's advice says how many)
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
    /// The difference between two points of an object's history, field by field (prose
    /// as words added and removed); a point is a change id, an RFC 3339 time or `current`
    Diff { id: DocId, from: String, to: String },
    /// Move objects to the trash (on every device of the workspace once synced); `trash
    /// list|restore|purge` for what is there
    Trash(TrashArgs),
    /// What merged: objects a sync merged with this device's concurrent offline edits,
    /// what each side did, and bringing back text a side lost
    Merged(MergedArgs),
    /// Bring an object back from the trash (`list --all` shows what is there); with --to,
    /// restore an earlier version instead, as a new edit that syncs
    Restore {
        id: DocId,
        /// The version to restore: a change id from `meridian history`, or an RFC 3339 time
        #[arg(long, value_name = "POINT")]
        to: Option<String>,
    },
    /// Pages of the knowledge base
    #[command(subcommand)]
    Page(PageCmd),
    /// Decision records
    #[command(subcommand)]
    Decision(DecisionCmd),
    /// Members of the workspace
    #[command(subcommand)]
    Member(MemberCmd),
    /// Meetings
    #[command(subcommand)]
    Meeting(MeetingCmd),
    /// Threads
    #[command(subcommand)]
    Thread(ThreadCmd),
    /// Tasks
    #[command(subcommand)]
    Task(TaskCmd),
    /// Check-ins
    #[command(subcommand)]
    Checkin(CheckinCmd),
    /// The team's communication norms: message kinds, quiet hours, escalation, budgets
    #[command(subcommand)]
    Charter(CharterCmd),
    /// When a recipient is expected to reply to a message sent at a given time
    ReplyBy {
        /// Recipient name or id
        #[arg(long)]
        to: String,
        /// Message kind: fyi, question, request, needs-decision, blocking, urgent
        #[arg(long)]
        kind: String,
        /// When the message is sent, RFC 3339 [default: now]
        #[arg(long)]
        sent_at: Option<String>,
        /// `now`, or `morning` to deliver at the start of the recipient's next working day
        #[arg(long, default_value = "now")]
        deliver: String,
    },
    /// What others changed since this device last looked that concerns me, grouped and
    /// ranked: decisions asking me, threads waiting on me, mentions, meetings, pages I own
    /// or follow (with what changed), tasks for me, my team's check-in answers
    #[command(name = "catch-up")]
    CatchUp {
        /// Since this instant, RFC 3339, instead of since I last marked it seen
        #[arg(long)]
        since: Option<String>,
    },
    /// Mark a catch-up item seen (this device only), or everything with --all
    Seen {
        id: Option<DocId>,
        #[arg(long)]
        all: bool,
    },
    /// Follow an object: its changes by others show in my catch-up (synced: my member data)
    Follow { id: DocId },
    /// Stop following an object
    Unfollow { id: DocId },
    /// What waits for me: replies by my reply-by, feedback, agendas, check-ins, tasks
    Inbox {
        /// Whose inbox (name or id) [default: me]
        #[arg(long = "as")]
        as_member: Option<String>,
        /// Compute it at this instant, RFC 3339 [default: now]
        #[arg(long)]
        at: Option<String>,
    },
    /// Search the workspace: words, "phrases", prefix of the last word, one typo on long
    /// words, and filters kind: status: tag: author: after: before:
    Search {
        query: String,
        /// Only this kind (page, decision, meeting, thread, checkin, task, member)
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Rebuild the search index from the workspace
    Reindex,
    /// The team clock: everyone's local time and whether they are working
    Team {
        /// RFC 3339 [default: now]
        #[arg(long)]
        at: Option<String>,
    },
    /// Meeting slots for me and others, fairest first
    Slots {
        /// Other attendees (names or ids, comma-separated)
        #[arg(long = "with", value_delimiter = ',')]
        with: Vec<String>,
        /// e.g. 30m, 1h
        #[arg(long)]
        duration: String,
        /// How far ahead to look, e.g. 10d [default: 7d]
        #[arg(long, default_value = "7d")]
        within: String,
        /// Start looking here, RFC 3339 [default: now]
        #[arg(long)]
        from: Option<String>,
        /// How many slots to show
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Markdown,
    Automerge,
}

/// Where long text comes from: a file, or `-` for stdin.
#[derive(Debug, Args)]
pub struct BodyArgs {
    /// Read the text from this file (`-` reads stdin)
    #[arg(long, value_name = "FILE|-")]
    pub body_file: Option<PathBuf>,
    /// The text itself
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PageCmd {
    /// Create a page
    New {
        #[arg(long)]
        title: String,
        #[command(flatten)]
        body: BodyArgs,
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Id of the parent page
        #[arg(long)]
        parent: Option<DocId>,
    },
    /// Change a page; the new body is merged in as a diff
    Edit {
        id: DocId,
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        body: BodyArgs,
        /// Replace the tags (repeat for several)
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Move under this page (id); `none` makes it a top-level page
        #[arg(long, value_parser = doc_id_or_none)]
        parent: Option<Cleared<DocId>>,
        /// Owner name or id; `none` clears it
        #[arg(long)]
        owner: Option<String>,
        /// Review-by date, YYYY-MM-DD; `none` clears it
        #[arg(long)]
        review_by: Option<String>,
    },
    /// The page tree, with stale pages marked
    Tree,
    /// What an object links to, and what links to it; with --unresolved, every link in
    /// the workspace that names no object here
    Links {
        #[arg(required_unless_present = "unresolved")]
        id: Option<DocId>,
        /// List the links that name no object (a file an import did not bring, a misspelt
        /// title) instead
        #[arg(long, conflicts_with = "id")]
        unresolved: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DecisionCmd {
    /// Record a decision (a draft unless --status says otherwise)
    New {
        #[arg(long)]
        title: String,
        /// Context and problem statement
        #[arg(long)]
        context: Option<String>,
        #[arg(long, value_name = "FILE|-")]
        context_file: Option<std::path::PathBuf>,
        #[arg(long = "driver")]
        drivers: Vec<String>,
        /// A considered option (repeat for several)
        #[arg(long = "option")]
        options: Vec<String>,
        /// Title of the chosen option
        #[arg(long)]
        chosen: Option<String>,
        #[arg(long)]
        rationale: Option<String>,
        #[arg(long)]
        consequences: Option<String>,
        #[arg(long = "decider")]
        deciders: Vec<String>,
        /// draft, proposed, accepted, rejected
        #[arg(long)]
        status: Option<DecisionStatus>,
    },
    /// Change the text fields of a decision
    Edit {
        id: DocId,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        context: Option<String>,
        #[arg(long)]
        rationale: Option<String>,
        #[arg(long)]
        consequences: Option<String>,
        /// Replace the drivers (repeat for several)
        #[arg(long = "driver")]
        drivers: Vec<String>,
    },
    /// Add a considered option
    Option {
        id: DocId,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long = "pro")]
        pros: Vec<String>,
        #[arg(long = "con")]
        cons: Vec<String>,
    },
    /// Choose an option (by id or title)
    Choose {
        id: DocId,
        option: String,
        #[arg(long)]
        rationale: Option<String>,
    },
    /// Move a decision to a new status (draft, proposed, accepted, rejected, deprecated, superseded)
    Status { id: DocId, status: DecisionStatus },
    /// Give my feedback: support, concern or object (an objection needs --text)
    Feedback {
        id: DocId,
        stance: Stance,
        #[arg(long, default_value = "")]
        text: String,
    },
    /// Acknowledge the outcome of an accepted or rejected decision
    Ack { id: DocId },
    /// Mark a decision superseded by a newer one (links both ways)
    Supersede {
        id: DocId,
        #[arg(long)]
        by: DocId,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCmd {
    /// Add a member
    Add {
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. Europe/Berlin
        #[arg(long)]
        tz: String,
        /// Working hours, e.g. "mon-fri 09:00-17:00" or "mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00"
        #[arg(long)]
        hours: Option<String>,
        /// admin, editor or reader
        #[arg(long, default_value = "editor")]
        role: Role,
    },
    /// List members with their zone and working hours
    List,
    /// Change a member's name, zone, role, working hours or travel
    Edit {
        /// Name or id
        who: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        tz: Option<String>,
        /// admin, editor or reader
        #[arg(long)]
        role: Option<Role>,
        /// Working hours in the same grammar as `member add --hours` (`none` for none)
        #[arg(long)]
        hours: Option<String>,
        /// Travelling: the zone to live by from --travel-from to --travel-to
        #[arg(long, requires_all = ["travel_from", "travel_to"])]
        travel_tz: Option<String>,
        #[arg(long)]
        travel_from: Option<String>,
        #[arg(long)]
        travel_to: Option<String>,
        /// End the travel override
        #[arg(long, conflicts_with = "travel_tz")]
        no_travel: bool,
    },
    /// Record an out-of-office range (holidays too), inclusive local dates
    Ooo {
        who: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Add a focus block: weekly (--days) or once (--date)
    Focus {
        who: String,
        /// e.g. mon-fri or tue,thu
        #[arg(long, required_unless_present = "date")]
        days: Option<String>,
        /// YYYY-MM-DD, for a one-off block
        #[arg(long, conflicts_with = "days")]
        date: Option<String>,
        /// Local start, HH:MM
        #[arg(long)]
        from: String,
        /// Local end, HH:MM
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MeetingCmd {
    /// Schedule a meeting; prints its agenda deadline and summary due time
    New {
        #[arg(long)]
        title: String,
        /// Start, RFC 3339 (e.g. 2026-12-01T15:00:00Z)
        #[arg(long)]
        start: String,
        /// Duration, e.g. 30m, 1h, 1h30m
        #[arg(long)]
        duration: String,
        /// Attendee names or ids (comma-separated or repeated)
        #[arg(long = "with", value_delimiter = ',')]
        attendees: Vec<String>,
        #[arg(long, default_value = "")]
        purpose: String,
        /// A decision the meeting should reach (repeat for several)
        #[arg(long = "decide")]
        decisions_sought: Vec<String>,
        /// An agenda item (repeat for several)
        #[arg(long = "item")]
        items: Vec<String>,
    },
    /// Add an agenda item
    Item {
        id: DocId,
        title: String,
        /// Owner name or id
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, default_value_t = 10)]
        minutes: u32,
        /// Something to read before: an object id or an https:// link (repeat for several)
        #[arg(long = "pre-read")]
        pre_reads: Vec<String>,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// Change an agenda item (ITEM is its id, as `meeting show`/`show` prints)
    ItemEdit {
        id: DocId,
        item: String,
        #[arg(long)]
        title: Option<String>,
        /// Owner name or id
        #[arg(long, conflicts_with = "no_owner")]
        owner: Option<String>,
        #[arg(long)]
        no_owner: bool,
        #[arg(long)]
        minutes: Option<u32>,
        #[arg(long)]
        notes: Option<String>,
        /// Replace the pre-reads (repeat for several)
        #[arg(long = "pre-read")]
        pre_reads: Vec<String>,
        /// Settled in writing: no meeting time needed
        #[arg(long, conflicts_with = "unresolved")]
        resolved: bool,
        /// Needs meeting time after all
        #[arg(long)]
        unresolved: bool,
    },
    /// Remove an agenda item
    ItemRemove { id: DocId, item: String },
    /// Move an agenda item to position N (1 is first)
    ItemMove {
        id: DocId,
        item: String,
        #[arg(long)]
        to: usize,
    },
    /// Set the meeting notes (merged in as a diff)
    Note {
        id: DocId,
        #[command(flatten)]
        body: BodyArgs,
    },
    /// Set the summary written after the meeting (merged in as a diff)
    Summary {
        id: DocId,
        #[command(flatten)]
        body: BodyArgs,
    },
    /// An action item: a task whose source is the meeting
    Action {
        id: DocId,
        #[arg(long)]
        title: String,
        /// Owner name or id
        #[arg(long)]
        owner: Option<String>,
        /// Due date, YYYY-MM-DD on the owner's calendar
        #[arg(long)]
        due: Option<String>,
    },
    /// Move a meeting to held, summarised, cancelled or back to scheduled
    State { id: DocId, state: MeetingState },
    /// Summarise a meeting: record the decision it reached (about --item, pre-filled from
    /// the meeting) and mark it summarised; it needs a summary (--summary or `meeting summary`)
    Summarise {
        id: DocId,
        /// Set the summary first
        #[arg(long)]
        summary: Option<String>,
        /// Title of the decision reached; with --item or --chosen and no title, the
        /// title is taken from the agenda item or the meeting
        #[arg(long)]
        decision: Option<String>,
        /// The agenda item the decision is about (id or title)
        #[arg(long)]
        item: Option<String>,
        /// A considered option (repeat for several)
        #[arg(long = "option")]
        options: Vec<String>,
        /// The chosen option; the decision is then accepted
        #[arg(long)]
        chosen: Option<String>,
        #[arg(long)]
        rationale: Option<String>,
    },
    /// A meeting's agenda deadline (on every attendee's clock) and summary due time
    Times { id: DocId },
    /// Turn meetings whose agenda is still empty at the deadline into async threads
    Convert {
        /// RFC 3339 [default: now]
        #[arg(long)]
        at: Option<String>,
    },
    /// Change a meeting
    Edit {
        id: DocId,
        #[arg(long)]
        title: Option<String>,
        /// New start, RFC 3339
        #[arg(long)]
        start: Option<String>,
        #[arg(long)]
        duration: Option<String>,
        #[arg(long)]
        purpose: Option<String>,
        /// Add an agenda item (repeat for several)
        #[arg(long = "item")]
        items: Vec<String>,
        /// scheduled, held, summarised, cancelled
        #[arg(long)]
        state: Option<MeetingState>,
        #[arg(long)]
        summary: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ThreadCmd {
    /// Post a thread; prints each recipient's reply-by
    #[command(alias = "new")]
    Post {
        /// A message kind of the charter: fyi, question, request, needs-decision, blocking, urgent
        #[arg(long)]
        kind: String,
        /// Recipient names or ids (comma-separated)
        #[arg(long, value_delimiter = ',', required = true)]
        to: Vec<String>,
        #[arg(long)]
        title: String,
        #[command(flatten)]
        body: BodyArgs,
        /// `now`, or `morning`: deliver at the start of each recipient's next working day
        #[arg(long, default_value = "now")]
        deliver: String,
        /// Why this is urgent (required for urgent)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reply to a thread
    Reply {
        id: DocId,
        #[command(flatten)]
        body: BodyArgs,
        /// Reply as this member (name or id) [default: me]
        #[arg(long = "as")]
        as_member: Option<String>,
    },
    /// Acknowledge a thread (seen; a reply may follow)
    Ack {
        id: DocId,
        #[arg(long = "as")]
        as_member: Option<String>,
    },
    /// Mark a thread resolved
    Resolve { id: DocId },
    /// Turn a thread into a draft decision pre-filled from it (links both ways)
    Promote { id: DocId },
    /// Change a thread's title or body
    Edit {
        id: DocId,
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        body: BodyArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaskCmd {
    /// Create a task
    New {
        #[arg(long)]
        title: String,
        /// Owner name or id
        #[arg(long)]
        owner: Option<String>,
        /// Due date, YYYY-MM-DD in the owner's zone
        #[arg(long)]
        due: Option<String>,
        /// Where it comes from: a meeting, decision or thread id
        #[arg(long, value_parser = trimmed_doc_id)]
        from: Option<DocId>,
    },
    /// Tasks grouped by due date on each owner's calendar: overdue, today, this week,
    /// later, no date
    List {
        /// Only mine
        #[arg(long)]
        mine: bool,
        /// Include done and dropped tasks
        #[arg(long)]
        all: bool,
    },
    /// Set a task's state (open, doing, done, dropped)
    State { id: DocId, state: TaskState },
    /// Change a task
    Edit {
        id: DocId,
        #[arg(long)]
        title: Option<String>,
        /// Owner name or id
        #[arg(long)]
        owner: Option<String>,
        /// Due date, YYYY-MM-DD
        #[arg(long, conflicts_with = "no_due")]
        due: Option<String>,
        /// Unassign the task
        #[arg(long, conflicts_with = "owner")]
        no_owner: bool,
        /// Remove the due date
        #[arg(long)]
        no_due: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CheckinCmd {
    /// Create a check-in
    New {
        #[arg(long)]
        title: String,
        /// A question (repeat for several)
        #[arg(long = "question", required = true)]
        questions: Vec<String>,
        /// Participant names or ids (comma-separated)
        #[arg(long = "with", value_delimiter = ',')]
        participants: Vec<String>,
        /// Weekdays, e.g. mon-fri or mon,wed,fri
        #[arg(long, default_value = "mon-fri")]
        days: String,
        /// Local prompt time, HH:MM
        #[arg(long, default_value = "09:30")]
        at: String,
    },
    /// Change a check-in
    Edit {
        id: DocId,
        #[arg(long)]
        title: Option<String>,
        /// Replace the questions (repeat for several)
        #[arg(long = "question")]
        questions: Vec<String>,
        #[arg(long)]
        days: Option<String>,
        #[arg(long)]
        at: Option<String>,
    },
    /// What my check-ins ask today (at the prompt time on my clock), and what I answered
    Today,
    /// Answer today's check-in (one --answer per question, in order)
    Answer {
        id: DocId,
        #[arg(long = "answer", required = true)]
        answers: Vec<String>,
        #[arg(long = "as")]
        as_member: Option<String>,
    },
    /// Everyone's answers for a local date
    Digest {
        id: DocId,
        /// YYYY-MM-DD [default: today in my zone]
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CharterCmd {
    /// Show the charter
    Show,
    /// Add or change a message kind and its reply expectation
    Kind {
        name: String,
        /// Working hours of the recipient, e.g. 8h; `none` for no reply expected
        #[arg(long)]
        reply_within: String,
    },
    /// Set the escalation ladder for urgent messages (names or ids, in order)
    Ladder {
        #[arg(value_delimiter = ',')]
        members: Vec<String>,
    },
    /// Set quiet hours, e.g. 20:00-08:00 (local to each member)
    Quiet { hours: String },
    /// Set how many urgent messages each sender may send in 7 days
    Budget { per_week: u32 },
    /// Set the meeting rules, in working hours
    Meetings {
        #[arg(long)]
        agenda_due: Option<u32>,
        #[arg(long)]
        summary_due: Option<u32>,
    },
}

/// What an invited device may do (the device roles of sync, not a member's role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceRole {
    /// Reads, writes and changes membership
    Admin,
    /// Reads and writes
    Editor,
    /// Reads only
    Viewer,
}

impl DeviceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Admin => "admin",
            DeviceRole::Editor => "editor",
            DeviceRole::Viewer => "viewer",
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum RelayCommand {
    /// Point this device at another address of the same relay deployment (another relay
    /// on the same database, or the relay moved): nothing is downloaded again and nothing
    /// waiting is lost; a pinned certificate stays pinned
    Set {
        /// e.g. wss://relay-2.example.org:7447/sync
        url: String,
    },
}

/// `meridian trash ID…` moves objects to the trash; its subcommands read and empty it.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TrashArgs {
    #[command(subcommand)]
    pub command: Option<TrashCmd>,
    /// The objects to move to the trash
    pub ids: Vec<DocId>,
    /// Also move the sub-pages of these pages (all levels)
    #[arg(long)]
    pub with_subpages: bool,
    /// Confirm moving more than 5 objects at once
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum TrashCmd {
    /// What is in the trash, with who moved it there and when
    List,
    /// Bring an object back from the trash
    Restore { id: DocId },
    /// Delete an object in the trash for good, on every device of the workspace (it
    /// cannot be restored, and changes to it from other devices are ignored from then on)
    Purge {
        id: DocId,
        /// Confirm: without it nothing is deleted
        #[arg(long)]
        yes: bool,
    },
}

/// `meridian merged` lists the what-merged reports; its subcommands act on one.
#[derive(Debug, Args)]
pub struct MergedArgs {
    #[command(subcommand)]
    pub command: Option<MergedCmd>,
}

#[derive(Debug, Subcommand)]
pub enum MergedCmd {
    /// Remove an object's report from the list
    Dismiss { id: DocId },
    /// Bring back, as a new edit that syncs, what a side lost in a merge of this object
    Restore {
        id: DocId,
        /// The entry of the report (as numbered by `meridian merged`) [default: the first
        /// with something to bring back]
        #[arg(long)]
        entry: Option<usize>,
        /// Whose version to bring back [default: this device's, if it lost something]
        #[arg(long, value_enum)]
        side: Option<MergeSide>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeSide {
    /// This device's version
    Mine,
    /// The other device's version
    Theirs,
}
