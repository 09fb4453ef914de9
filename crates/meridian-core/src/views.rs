//! Derived views: pure functions over the workspace's documents, computed on the device —
//! the inbox, waiting on others, the team clock and notifications with their digest; the
//! task list (`tasks`) and each member's check-ins (`checkins`).

pub mod catchup;
pub mod checkins;
pub mod tasks;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeDelta, Timelike, Utc};
use serde::Serialize;

use crate::norms::{
    self, Person, agenda_deadline, checkin_due, checkin_prompt, delivered_at, escalate, from_ms,
    is_urgent, reply_by, utc_rfc3339,
};
use crate::objects::*;
use crate::time::{Span, earliest};
use crate::{Kind, parse_date};

/// Everything the views read, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct World<'a> {
    pub charter: &'a Charter,
    pub people: &'a BTreeMap<String, Person>,
    pub threads: &'a [(String, Thread)],
    pub decisions: &'a [(String, Decision)],
    pub meetings: &'a [(String, Meeting)],
    pub checkins: &'a [(String, Checkin)],
    pub tasks: &'a [(String, Task)],
}

impl World<'_> {
    fn name(&self, id: &str) -> String {
        self.people
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.name().to_owned())
    }

    fn attendees(&self, m: &Meeting) -> Vec<&Person> {
        m.attendees
            .iter()
            .chain(&m.organiser)
            .filter_map(|a| self.people.get(a))
            .collect()
    }
}

/// Something in my inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct InboxItem {
    /// `reply`, `feedback`, `agenda`, `summary`, `checkin` or `task`.
    pub section: String,
    /// The object's kind and id.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// What is asked, e.g. `Question from Ana`.
    pub detail: String,
    /// When it is due, RFC 3339 UTC, and the same instant on my clock.
    pub due: Option<String>,
    pub due_local: Option<String>,
    /// The other side (sender, organiser) and the due instant on their clock.
    pub other: Option<String>,
    pub due_other_local: Option<String>,
    pub overdue: bool,
}

const SECTIONS: [&str; 6] = ["reply", "feedback", "agenda", "summary", "checkin", "task"];

/// The inbox of `me` at `at`: threads waiting for my reply ordered by my reply-by;
/// decisions waiting for my feedback by decide-by; agendas and summaries I owe; check-ins
/// due; my tasks due within a week or overdue.
pub fn inbox(world: &World<'_>, me: &str, at: DateTime<Utc>) -> Vec<InboxItem> {
    let Some(my) = world.people.get(me) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let item = |section: &str,
                kind: Kind,
                id: &str,
                title: &str,
                detail: String,
                due: Option<DateTime<Utc>>,
                other: Option<&Person>| InboxItem {
        section: section.to_owned(),
        kind: kind.as_str().to_owned(),
        id: id.to_owned(),
        title: title.to_owned(),
        detail,
        due: due.map(utc_rfc3339),
        due_local: due.map(|d| my.local_rfc3339(d)),
        other: other.map(|o| o.name().to_owned()),
        due_other_local: due.zip(other).map(|(d, o)| o.local_rfc3339(d)),
        overdue: due.is_some_and(|d| d <= at),
    };

    for (id, t) in world.threads {
        if t.state == ThreadState::Resolved || !t.recipients.iter().any(|r| r == me) {
            continue;
        }
        let sent = from_ms(t.created_at_ms);
        if delivered_at(&my.schedule, t.delivery, sent).is_ok_and(|d| d > at) {
            continue;
        }
        // A thread I cannot compute a clock for (no working hours, a kind the charter
        // dropped) still shows, without a due time and saying why.
        let (due, expects_reply, problem) =
            match reply_by(world.charter, my, &t.message_kind, t.delivery, sent) {
                Ok(clock) => (
                    clock
                        .reply_by
                        .as_deref()
                        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                        .map(|d| d.to_utc()),
                    clock.reply_by.is_some(),
                    None,
                ),
                Err(e) => (None, true, Some(e.to_string())),
            };
        let replied = t.messages.iter().any(|m| m.author == me);
        let acked = t.acknowledgements.iter().any(|a| a == me);
        if replied || (!expects_reply && acked) {
            continue;
        }
        let mut detail = format!(
            "{} from {}",
            kind_label(&t.message_kind),
            world.name(&t.author)
        );
        if acked {
            detail.push_str(" · acknowledged");
        }
        if let Some(p) = problem {
            detail.push_str(&format!(" · no reply-by: {p}"));
        }
        items.push(item(
            "reply",
            Kind::Thread,
            id,
            &t.title,
            detail,
            due,
            world.people.get(&t.author),
        ));
    }

    for (id, d) in world.decisions {
        let asked = d.deciders.iter().chain(&d.consulted).any(|m| m == me);
        let answered = d.feedback.iter().any(|f| f.author == me);
        if d.status == DecisionStatus::Proposed && asked && !answered {
            let due = d.decide_by_ms.map(from_ms);
            items.push(item(
                "feedback",
                Kind::Decision,
                id,
                &d.title,
                "Your feedback is asked".into(),
                due,
                None,
            ));
        }
    }

    for (id, m) in world.meetings {
        let mine = m.organiser.as_deref() == Some(me) || m.attendees.iter().any(|a| a == me);
        if !mine {
            continue;
        }
        let start = from_ms(m.start_ms);
        let end = start + TimeDelta::minutes(i64::from(m.duration_min));
        let organiser = m.organiser.as_deref().and_then(|o| world.people.get(o));
        if m.state == MeetingState::Scheduled
            && m.agenda.is_empty()
            && start > at
            && let Ok(deadline) = agenda_deadline(world.charter, &world.attendees(m), start)
            && deadline - at <= TimeDelta::days(7)
        {
            items.push(item(
                "agenda",
                Kind::Meeting,
                id,
                &m.title,
                "The agenda is due".into(),
                Some(deadline),
                organiser,
            ));
        }
        let needs_summary = matches!(m.state, MeetingState::Scheduled | MeetingState::Held)
            && m.summary.trim().is_empty()
            && end <= at;
        if needs_summary
            && m.organiser.as_deref() == Some(me)
            && let Ok(due) = norms::summary_due(world.charter, my, end)
        {
            items.push(item(
                "summary",
                Kind::Meeting,
                id,
                &m.title,
                "Write the summary".into(),
                Some(due),
                None,
            ));
        }
    }

    for (id, c) in world.checkins {
        if let Some((date, _prompt)) = checkin_due(c, my, at) {
            let next_day = end_of_day(my, date);
            items.push(item(
                "checkin",
                Kind::Checkin,
                id,
                &c.title,
                format!("Check-in for {date}"),
                Some(next_day),
                None,
            ));
        }
    }

    for (id, t) in world.tasks {
        if t.owner.as_deref() != Some(me) || !matches!(t.state, TaskState::Open | TaskState::Doing)
        {
            continue;
        }
        let Some(date) = t.due.as_deref().and_then(|d| parse_date("due", d).ok()) else {
            continue;
        };
        let due = end_of_day(my, date);
        if due - at <= TimeDelta::days(7) {
            items.push(item(
                "task",
                Kind::Task,
                id,
                &t.title,
                format!("Due {date}"),
                Some(due),
                None,
            ));
        }
    }

    items.sort_by(|a, b| {
        let sec = |i: &InboxItem| SECTIONS.iter().position(|s| *s == i.section);
        (sec(a), a.due.is_none(), &a.due, &a.title).cmp(&(
            sec(b),
            b.due.is_none(),
            &b.due,
            &b.title,
        ))
    });
    items
}

fn end_of_day(p: &Person, date: NaiveDate) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(date);
    earliest(p.schedule.zone_on(next), crate::time::at(next, 0))
}

/// `needs-decision` → `Needs decision`.
pub fn kind_label(kind: &str) -> String {
    let mut s = kind.replace('-', " ");
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if s == "Fyi" { "FYI".into() } else { s }
}

/// One recipient of one of my threads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Waiting {
    pub thread: String,
    pub title: String,
    pub kind: String,
    pub recipient: String,
    pub name: String,
    pub reply_by: Option<String>,
    pub reply_by_local: Option<String>,
    pub replied: bool,
    pub acknowledged: bool,
    pub overdue: bool,
    /// Why no reply-by could be computed (e.g. the recipient has no working hours).
    pub note: Option<String>,
}

/// My open threads, one row per recipient, with their reply-by; ordered by reply-by.
pub fn waiting_on_others(world: &World<'_>, me: &str, at: DateTime<Utc>) -> Vec<Waiting> {
    let mut rows = Vec::new();
    for (id, t) in world.threads {
        if t.author != me || t.state == ThreadState::Resolved {
            continue;
        }
        for r in &t.recipients {
            let Some(p) = world.people.get(r) else {
                continue;
            };
            let sent = from_ms(t.created_at_ms);
            let (clock, note) = match reply_by(world.charter, p, &t.message_kind, t.delivery, sent)
            {
                Ok(c) => (Some(c), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let (reply_by, reply_by_local) =
                clock.map_or((None, None), |c| (c.reply_by, c.reply_by_local));
            let replied = t.messages.iter().any(|m| &m.author == r);
            let overdue = !replied && reply_by.as_ref().is_some_and(|d| *d <= utc_rfc3339(at));
            rows.push(Waiting {
                thread: id.clone(),
                title: t.title.clone(),
                kind: t.message_kind.clone(),
                recipient: r.clone(),
                name: p.name().to_owned(),
                reply_by,
                reply_by_local,
                replied,
                acknowledged: t.acknowledgements.contains(r),
                overdue,
                note,
            });
        }
    }
    rows.sort_by(|a, b| {
        (a.replied, a.reply_by.is_none(), &a.reply_by).cmp(&(
            b.replied,
            b.reply_by.is_none(),
            &b.reply_by,
        ))
    });
    rows
}

/// One member on the team clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ClockRow {
    pub member: String,
    pub name: String,
    pub tz: String,
    /// Local time now, RFC 3339 with offset.
    pub local: String,
    /// `+05:45`.
    pub offset: String,
    /// `working`, `focusing`, `off` or `out-of-office`.
    pub state: String,
    /// When the state ends (focus end, end of the working stretch), RFC 3339 UTC.
    pub until: Option<String>,
    /// When they can next be reached in working hours (None if now), RFC 3339 UTC.
    pub next_reachable_at: Option<String>,
    pub next_reachable_local: Option<String>,
    /// Today's working and focus time on their clock, as `[start, end)` minutes of the day.
    pub hours_today: Vec<[u32; 2]>,
    pub focus_today: Vec<[u32; 2]>,
    /// Minute of their day now.
    pub minute_now: u32,
    /// A problem with their calendar, e.g. no working hours.
    pub note: Option<String>,
}

fn minutes_of_day(p: &Person, date: NaiveDate, spans: &[Span]) -> Vec<[u32; 2]> {
    spans
        .iter()
        .map(|s| {
            let m = |t: DateTime<Utc>| {
                let l = p.schedule.local(t);
                if l.date_naive() > date {
                    1440
                } else {
                    l.hour() * 60 + l.minute()
                }
            };
            [m(s.start), m(s.end)]
        })
        .collect()
}

/// Each member's local time and state at `at`, working members first.
pub fn team_clock(world: &World<'_>, at: DateTime<Utc>) -> Vec<ClockRow> {
    let mut rows: Vec<ClockRow> = world
        .people
        .values()
        .map(|p| {
            let s = &p.schedule;
            let local = s.local(at);
            let date = local.date_naive();
            let (state, until) = if s.is_away_on(date) {
                ("out-of-office", None)
            } else if let Some(end) = s.focus_until(at) {
                ("focusing", Some(end))
            } else if let Some(end) = s.working_until(at) {
                ("working", Some(end))
            } else {
                ("off", None)
            };
            let next = s
                .next_working_start(at)
                .ok()
                .filter(|t| *t > at || state == "focusing");
            let next = if state == "focusing" {
                until.and_then(|u| s.next_working_start(u).ok())
            } else {
                next
            };
            let note = match s.next_working_start(at) {
                Err(e) => Some(e.to_string()),
                Ok(_) => None,
            };
            ClockRow {
                member: p.id.clone(),
                name: p.name().to_owned(),
                tz: s.zone_at(at).name().to_owned(),
                local: p.local_rfc3339(at),
                offset: local.format("%:z").to_string(),
                state: state.to_owned(),
                until: until.map(utc_rfc3339),
                next_reachable_at: next.map(utc_rfc3339),
                next_reachable_local: next.map(|n| p.local_rfc3339(n)),
                hours_today: minutes_of_day(p, date, &s.day_spans(date)),
                focus_today: minutes_of_day(p, date, &s.focus_spans(date)),
                minute_now: local.hour() * 60 + local.minute(),
                note,
            }
        })
        .collect();
    let rank = |r: &ClockRow| {
        ["working", "focusing", "off", "out-of-office"]
            .iter()
            .position(|s| *s == r.state)
    };
    rows.sort_by(|a, b| (rank(a), &a.name).cmp(&(rank(b), &b.name)));
    rows
}

/// A notification for one member: when its event happened and when it may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Notification {
    /// Stable across recomputations, so a device shows each one once.
    pub key: String,
    pub kind: String,
    pub id: String,
    pub title: String,
    pub body: String,
    pub urgent: bool,
    /// When it arrived for me, RFC 3339 UTC.
    pub arrived: String,
    /// When it may be shown: the arrival, or the end of the focus block or quiet hours
    /// holding it.
    pub show_at: String,
    pub held: bool,
}

/// Every notification for `me` that arrived in `(since, until]` or was held and is released in
/// that window — what a device should show when it looks at `until`, having last
/// looked at `since`. Held ones are released together, so callers show them as one digest.
pub fn notifications(
    world: &World<'_>,
    me: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Notification> {
    let Some(my) = world.people.get(me) else {
        return Vec::new();
    };
    // A hold lasts at most a day or so; look back far enough to release what it held.
    let lookback = since - Duration::days(3);
    let mut out = Vec::new();
    let mut push = |key: String,
                    kind: Kind,
                    id: &str,
                    title: String,
                    body: String,
                    arrived: DateTime<Utc>,
                    urgent: bool| {
        if arrived <= lookback || arrived > until {
            return;
        }
        let release = if urgent {
            None
        } else {
            my.schedule
                .held_until(Some(&world.charter.quiet_hours), arrived)
        };
        let show = release.unwrap_or(arrived);
        if show > since && show <= until {
            out.push(Notification {
                key,
                kind: kind.as_str().to_owned(),
                id: id.to_owned(),
                title,
                body,
                urgent,
                arrived: utc_rfc3339(arrived),
                show_at: utc_rfc3339(show),
                held: release.is_some(),
            });
        }
    };
    for (id, t) in world.threads {
        let sent = from_ms(t.created_at_ms);
        let urgent_reason = t
            .urgent_reason
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty());
        let urgent = is_urgent(world.charter, &t.message_kind) && urgent_reason;
        let escalated = urgent
            && escalate(world.charter, world.people, &t.recipients, sent)
                .notify
                .iter()
                .any(|n| n == me);
        if t.author != me
            && (t.recipients.iter().any(|r| r == me) || escalated)
            && let Ok(arrives) = delivered_at(
                &my.schedule,
                if urgent { Delivery::Now } else { t.delivery },
                sent,
            )
        {
            let body = if urgent {
                format!(
                    "Urgent from {}: {}",
                    world.name(&t.author),
                    t.urgent_reason.clone().unwrap_or_default()
                )
            } else {
                format!(
                    "{} from {}",
                    kind_label(&t.message_kind),
                    world.name(&t.author)
                )
            };
            push(
                format!("thread:{id}"),
                Kind::Thread,
                id,
                t.title.clone(),
                body,
                arrives,
                escalated,
            );
        }
        let involved = t.author == me || t.recipients.iter().any(|r| r == me);
        if involved {
            for m in t.messages.iter().filter(|m| m.author != me) {
                let body = format!(
                    "{} replied: {}",
                    world.name(&m.author),
                    m.body.chars().take(140).collect::<String>()
                );
                push(
                    format!("reply:{id}:{}", m.id),
                    Kind::Thread,
                    id,
                    t.title.clone(),
                    body,
                    from_ms(m.at_ms),
                    false,
                );
            }
        }
    }
    for (id, c) in world.checkins {
        if !c.participants.iter().any(|p| p == me) {
            continue;
        }
        let first = my.schedule.local_date(lookback);
        let last = my.schedule.local_date(until);
        let mut date = first;
        while date <= last {
            if let Some(prompt) = checkin_prompt(c, my, date) {
                push(
                    format!("checkin:{id}:{date}"),
                    Kind::Checkin,
                    id,
                    c.title.clone(),
                    "Time for your check-in".into(),
                    prompt,
                    false,
                );
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
    }
    out.sort_by(|a, b| (&a.show_at, &a.arrived, &a.key).cmp(&(&b.show_at, &b.arrived, &b.key)));
    out
}

/// Notifications held and released at the same instant, shown together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Digest {
    pub released_at: String,
    pub items: Vec<Notification>,
}

/// Groups the held notifications by release instant; the rest are returned as they are.
pub fn digests(notes: Vec<Notification>) -> (Vec<Notification>, Vec<Digest>) {
    let (held, direct): (Vec<_>, Vec<_>) = notes.into_iter().partition(|n| n.held);
    let mut groups: BTreeMap<String, Vec<Notification>> = BTreeMap::new();
    for n in held {
        groups.entry(n.show_at.clone()).or_default().push(n);
    }
    let digests = groups
        .into_iter()
        .map(|(released_at, items)| Digest { released_at, items })
        .collect();
    (direct, digests)
}
