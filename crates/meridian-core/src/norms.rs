//! The charter's rules, computed for people: reply-by clocks, delivery "in their morning",
//! urgent messages (reason, escalation ladder, weekly budget), meeting deadlines, fair
//! meeting slots and check-in prompts. Pure: `now` is always passed in.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Timelike, Utc};
use serde::Serialize;

use crate::objects::{Charter, Checkin, Delivery, Meeting, MeetingState, Member, Thread};
use crate::time::{Schedule, Span, earliest, parse_minute};
use crate::{Error, parse_date};

/// A member with their parsed calendar.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub member: Member,
    pub schedule: Schedule,
}

impl Person {
    pub fn new(id: impl Into<String>, member: Member) -> Result<Person, Error> {
        Ok(Person {
            id: id.into(),
            schedule: Schedule::of(&member)?,
            member,
        })
    }

    pub fn name(&self) -> &str {
        &self.member.display_name
    }

    /// `t` as RFC 3339 with this person's offset at that moment.
    pub fn local_rfc3339(&self, t: DateTime<Utc>) -> String {
        self.schedule
            .local(t)
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    }
}

/// RFC 3339 UTC with seconds, the form instants take in Meridian's output.
pub fn utc_rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

const WEEK: TimeDelta = TimeDelta::days(7);

/// The reply a message kind expects, in the recipient's working time (`None`: no reply).
pub fn reply_within(charter: &Charter, kind: &str) -> Result<Option<TimeDelta>, Error> {
    charter
        .message_kinds
        .iter()
        .find(|k| k.name == kind)
        .map(|k| k.reply_within_hours.map(|h| TimeDelta::hours(i64::from(h))))
        .ok_or_else(|| Error::UnknownMessageKind {
            kind: kind.chars().take(40).collect(),
            allowed: charter
                .message_kinds
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// When a message sent at `sent` reaches `to`: at once, or at the start of their next
/// working day.
pub fn delivered_at(
    to: &Schedule,
    delivery: Delivery,
    sent: DateTime<Utc>,
) -> Result<DateTime<Utc>, Error> {
    match delivery {
        Delivery::Now => Ok(sent),
        Delivery::Morning => to.next_morning(sent),
    }
}

/// One recipient's clock for a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReplyBy {
    /// The recipient's display name.
    pub recipient: String,
    /// The recipient's member id.
    pub recipient_id: String,
    /// The recipient's zone at the reply-by instant (or at delivery if none is expected).
    pub tz: String,
    /// RFC 3339 UTC.
    pub delivered_at: String,
    /// RFC 3339 UTC; `None` when the kind expects no reply.
    pub reply_by: Option<String>,
    /// The same instant with the recipient's offset.
    pub reply_by_local: Option<String>,
    /// Whether the recipient is inside working hours when the message arrives.
    pub working_on_arrival: bool,
}

/// The reply-by instant for `to` of a message of `kind` sent at `sent`.
pub fn reply_by(
    charter: &Charter,
    to: &Person,
    kind: &str,
    delivery: Delivery,
    sent: DateTime<Utc>,
) -> Result<ReplyBy, Error> {
    let within = reply_within(charter, kind)?;
    let arrives = delivered_at(&to.schedule, delivery, sent)?;
    let due = within
        .map(|w| to.schedule.add_working(arrives, w))
        .transpose()?;
    let tz_at = due.unwrap_or(arrives);
    Ok(ReplyBy {
        recipient: to.name().to_owned(),
        recipient_id: to.id.clone(),
        tz: to.schedule.zone_at(tz_at).name().to_owned(),
        delivered_at: utc_rfc3339(arrives),
        reply_by: due.map(utc_rfc3339),
        reply_by_local: due.map(|d| to.local_rfc3339(d)),
        working_on_arrival: to.schedule.is_working_at(arrives),
    })
}

/// The first kind of the charter that may break focus, conventionally `urgent`.
pub fn is_urgent(charter: &Charter, kind: &str) -> bool {
    charter
        .message_kinds
        .iter()
        .any(|k| k.name == kind && k.breaks_focus)
}

/// How much of a sender's weekly urgent budget is used at `at` (a rolling seven days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UrgentBudget {
    pub used: u32,
    pub allowed: u32,
    /// When the oldest counted urgent message leaves the window (RFC 3339 UTC).
    pub frees_at: Option<String>,
}

pub fn urgent_budget<'a>(
    charter: &Charter,
    sender: &str,
    threads: impl IntoIterator<Item = &'a Thread>,
    at: DateTime<Utc>,
) -> UrgentBudget {
    let mut sent: Vec<DateTime<Utc>> = threads
        .into_iter()
        .filter(|t| t.author == sender && is_urgent(charter, &t.message_kind))
        .map(|t| from_ms(t.created_at_ms))
        .filter(|&t| t <= at && at - t < WEEK)
        .collect();
    sent.sort();
    UrgentBudget {
        used: u32::try_from(sent.len()).unwrap_or(u32::MAX),
        allowed: charter.urgent_budget_per_week,
        frees_at: sent.first().map(|t| utc_rfc3339(*t + WEEK)),
    }
}

/// Checks that `sender` may send an urgent message now: a stated reason, and budget left.
pub fn check_urgent<'a>(
    charter: &Charter,
    sender: &str,
    reason: Option<&str>,
    threads: impl IntoIterator<Item = &'a Thread>,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    if reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(Error::UrgentNeedsReason);
    }
    let budget = urgent_budget(charter, sender, threads, at);
    if budget.used >= budget.allowed {
        return Err(Error::UrgentBudgetSpent {
            used: budget.used,
            allowed: budget.allowed,
            frees_at: budget
                .frees_at
                .unwrap_or_else(|| "never (the budget is 0)".into()),
        });
    }
    Ok(())
}

/// Who an urgent message reaches at `at`: the recipients inside working hours; if none
/// is, the first person on the escalation ladder who is; if nobody is, the ladder person
/// (or recipient) reachable soonest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Escalation {
    /// Member ids to notify now, breaking focus.
    pub notify: Vec<String>,
    /// Whether the ladder picked them (the named recipients were all off).
    pub via_ladder: bool,
    /// Set when nobody is working: when the chosen person is next reachable (RFC 3339 UTC).
    pub reachable_at: Option<String>,
}

pub fn escalate(
    charter: &Charter,
    people: &BTreeMap<String, Person>,
    recipients: &[String],
    at: DateTime<Utc>,
) -> Escalation {
    let working = |id: &String| people.get(id).is_some_and(|p| p.schedule.is_working_at(at));
    let notify: Vec<String> = recipients
        .iter()
        .filter(|id| working(id))
        .cloned()
        .collect();
    if !notify.is_empty() {
        return Escalation {
            notify,
            via_ladder: false,
            reachable_at: None,
        };
    }
    if let Some(id) = charter.escalation_ladder.iter().find(|id| working(id)) {
        return Escalation {
            notify: vec![id.clone()],
            via_ladder: true,
            reachable_at: None,
        };
    }
    let soonest = charter
        .escalation_ladder
        .iter()
        .chain(recipients)
        .filter_map(|id| {
            let p = people.get(id)?;
            Some((p.schedule.next_working_start(at).ok()?, id))
        })
        .min();
    match soonest {
        Some((t, id)) => Escalation {
            notify: vec![id.clone()],
            via_ladder: charter.escalation_ladder.contains(id),
            reachable_at: Some(utc_rfc3339(t)),
        },
        None => Escalation {
            notify: recipients.to_vec(),
            via_ladder: false,
            reachable_at: None,
        },
    }
}

/// The meeting's agenda deadline: the charter's N working hours before the start in every
/// attendee's zone, i.e. the earliest of their individual deadlines.
pub fn agenda_deadline(
    charter: &Charter,
    attendees: &[&Person],
    start: DateTime<Utc>,
) -> Result<DateTime<Utc>, Error> {
    let before = TimeDelta::hours(i64::from(charter.meeting_rules.agenda_due_hours_before));
    let mut deadline = start;
    for a in attendees {
        deadline = deadline.min(a.schedule.sub_working(start, before)?);
    }
    Ok(deadline)
}

/// When the summary is due: N working hours of the organiser after the end.
pub fn summary_due(
    charter: &Charter,
    organiser: &Person,
    end: DateTime<Utc>,
) -> Result<DateTime<Utc>, Error> {
    let after = TimeDelta::hours(i64::from(charter.meeting_rules.summary_due_hours_after));
    organiser.schedule.add_working(end, after)
}

/// Whether a scheduled meeting whose agenda deadline has passed with an empty agenda
/// must now become an async thread.
pub fn must_go_async(meeting: &Meeting, deadline: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    meeting.state == MeetingState::Scheduled && meeting.agenda.is_empty() && at >= deadline
}

/// The thread a meeting becomes when its agenda was not ready: its purpose, the decisions
/// it sought and any agenda items, addressed to every attendee.
pub fn async_thread(meeting: &Meeting, author: &str, at: DateTime<Utc>) -> Thread {
    let mut body = String::new();
    body.push_str("This meeting had no agenda by its deadline, so it continues here in writing.\n");
    if !meeting.purpose.trim().is_empty() {
        body.push_str(&format!("\n## Purpose\n\n{}\n", meeting.purpose.trim()));
    }
    if !meeting.decisions_sought.is_empty() {
        body.push_str("\n## Decisions sought\n\n");
        for d in &meeting.decisions_sought {
            body.push_str(&format!("- {d}\n"));
        }
    }
    if !meeting.agenda.is_empty() {
        body.push_str("\n## Agenda\n\n");
        for item in &meeting.agenda {
            body.push_str(&format!("- {}\n", item.title));
        }
    }
    Thread {
        title: format!("{} (async)", meeting.title),
        message_kind: "request".into(),
        body,
        author: author.to_owned(),
        recipients: meeting
            .attendees
            .iter()
            .filter(|a| *a != author)
            .cloned()
            .collect(),
        delivery: Delivery::Now,
        urgent_reason: None,
        messages: Vec::new(),
        acknowledgements: Vec::new(),
        state: crate::objects::ThreadState::Open,
        linked_decision: None,
        source_meeting: None,
        created_at_ms: at.timestamp_millis(),
    }
}

/// Who took inconvenient meeting times before: counts of early and late meetings and
/// minutes spent outside working hours, per member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Burden {
    pub early: u32,
    pub late: u32,
    pub minutes_outside: u32,
}

pub type Ledger = BTreeMap<String, Burden>;

/// When a slot falls outside someone's working hours: before their day (`early`) or
/// after it (`late`), judged by the slot's local midpoint.
fn early_or_late(p: &Person, span: Span) -> (&'static str, bool) {
    let mid = span.start + span.len() / 2;
    let local = p.schedule.local(mid);
    if local.hour() < 12 {
        ("early", true)
    } else {
        ("late", false)
    }
}

/// The inconvenience ledger from past (and already scheduled) meetings before `before`.
pub fn ledger<'a>(
    meetings: impl IntoIterator<Item = &'a Meeting>,
    people: &BTreeMap<String, Person>,
    before: DateTime<Utc>,
) -> Ledger {
    let mut ledger = Ledger::new();
    for m in meetings {
        if m.state == MeetingState::Cancelled || m.state == MeetingState::ConvertedToAsync {
            continue;
        }
        let span = Span {
            start: from_ms(m.start_ms),
            end: from_ms(m.start_ms) + TimeDelta::minutes(i64::from(m.duration_min)),
        };
        if span.start >= before {
            continue;
        }
        for a in &m.attendees {
            let Some(p) = people.get(a) else { continue };
            let outside = span.len() - p.schedule.working_within(span);
            if outside > TimeDelta::zero() {
                let b = ledger.entry(a.clone()).or_default();
                if early_or_late(p, span).1 {
                    b.early += 1;
                } else {
                    b.late += 1;
                }
                b.minutes_outside += u32::try_from(outside.num_minutes()).unwrap_or(u32::MAX);
            }
        }
    }
    ledger
}

/// One attendee's view of a suggested slot.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SlotAttendee {
    pub member: String,
    pub name: String,
    /// Start with the attendee's offset, RFC 3339.
    pub local_start: String,
    pub local_end: String,
    /// Minutes of the meeting outside their working hours.
    pub minutes_outside: u32,
    /// `early`, `late` or `None` when the slot is inside their hours.
    pub outside: Option<String>,
    pub out_of_office: bool,
    /// Minutes of the meeting inside one of their focus blocks.
    pub minutes_in_focus: u32,
    /// Inconvenient meetings this attendee already took (from the ledger).
    pub past_burden: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Slot {
    /// RFC 3339 UTC.
    pub start: String,
    pub end: String,
    pub attendees: Vec<SlotAttendee>,
    pub minutes_outside: u32,
    /// 100 when everyone is inside working hours; lower the more the slot costs people
    /// outside their hours, weighted by how often each already took a bad slot.
    pub fairness: u32,
    /// Lower is better: per attendee, minutes outside working hours × (1 + past
    /// inconvenient meetings), plus half the minutes inside a focus block.
    pub cost: u64,
}

/// Meeting slots of `duration` within `window`, best first. Candidate starts are every 30
/// minutes; each slot lists every attendee's local time, who is outside working hours and
/// by how much, and a fairness score from the ledger so the early/late burden rotates.
pub fn suggest_slots(
    attendees: &[&Person],
    duration: TimeDelta,
    window: Span,
    ledger: &Ledger,
    limit: usize,
) -> Vec<Slot> {
    let step = TimeDelta::minutes(30);
    let aligned = window.start.timestamp().div_euclid(step.num_seconds());
    let mut start =
        DateTime::from_timestamp(aligned * step.num_seconds(), 0).unwrap_or(window.start);
    if start < window.start {
        start += step;
    }
    let mut slots = Vec::new();
    while start + duration <= window.end && slots.len() < 10_000 {
        let span = Span {
            start,
            end: start + duration,
        };
        let mut cost = 0u64;
        let mut total_outside = 0u32;
        let mut rows = Vec::new();
        for p in attendees {
            let outside = span.len() - p.schedule.working_within(span);
            let minutes = u32::try_from(outside.num_minutes()).unwrap_or(u32::MAX);
            let burden = ledger.get(&p.id).map_or(0, |b| b.early + b.late);
            let away = p.schedule.is_away_at(span.start);
            let focus =
                u32::try_from(p.schedule.focus_within(span).num_minutes()).unwrap_or(u32::MAX);
            // Focus time is protected: a meeting in it costs half as much as one outside
            // working hours; out of office rules a slot out.
            cost += u64::from(minutes) * (1 + u64::from(burden))
                + u64::from(focus) / 2
                + if away { 100_000 } else { 0 };
            total_outside += minutes;
            rows.push(SlotAttendee {
                member: p.id.clone(),
                name: p.name().to_owned(),
                local_start: p.local_rfc3339(span.start),
                local_end: p.local_rfc3339(span.end),
                minutes_outside: minutes,
                outside: (minutes > 0).then(|| early_or_late(p, span).0.to_owned()),
                out_of_office: away,
                minutes_in_focus: focus,
                past_burden: burden,
            });
        }
        let fairness = (100.0 / (1.0 + cost as f64 / 60.0)).round() as u32;
        slots.push(Slot {
            start: crate::norms::utc_rfc3339(span.start),
            end: crate::norms::utc_rfc3339(span.end),
            attendees: rows,
            minutes_outside: total_outside,
            fairness,
            cost,
        });
        start += step;
    }
    slots.sort_by(|a, b| a.cost.cmp(&b.cost).then(a.start.cmp(&b.start)));
    slots.truncate(limit);
    slots
}

/// When `p` is prompted for `checkin` on local date `date`, if that is one of its days and
/// they are not out of office.
pub fn checkin_prompt(checkin: &Checkin, p: &Person, date: NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    let weekday = u8::try_from(date.weekday().num_days_from_monday()).ok()?;
    if !checkin.weekdays.contains(&weekday) || p.schedule.is_away_on(date) {
        return None;
    }
    let minute = parse_minute("prompt time", &checkin.prompt_time).ok()?;
    Some(earliest(
        p.schedule.zone_on(date),
        crate::time::at(date, minute),
    ))
}

/// The check-in `p` owes at `at`: today's (local) prompt has passed and there is no entry
/// for today yet. Returns the local date and the prompt instant.
pub fn checkin_due(
    checkin: &Checkin,
    p: &Person,
    at: DateTime<Utc>,
) -> Option<(NaiveDate, DateTime<Utc>)> {
    if !checkin.participants.contains(&p.id) {
        return None;
    }
    let today = p.schedule.local_date(at);
    let prompt = checkin_prompt(checkin, p, today)?;
    let answered = checkin
        .entries
        .iter()
        .any(|e| e.member == p.id && parse_date("date", &e.date).is_ok_and(|d| d == today));
    (prompt <= at && !answered).then_some((today, prompt))
}

/// Everyone's answers to a check-in for one local date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CheckinDigest {
    pub checkin: String,
    pub title: String,
    pub date: String,
    pub questions: Vec<String>,
    pub answers: Vec<CheckinAnswers>,
    /// Names of participants who owed an answer that day and gave none.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CheckinAnswers {
    pub member: String,
    pub name: String,
    pub answers: Vec<String>,
    /// RFC 3339 UTC.
    pub at: String,
}

pub fn checkin_digest(
    id: &str,
    checkin: &Checkin,
    people: &BTreeMap<String, Person>,
    date: NaiveDate,
) -> CheckinDigest {
    let day = date.format("%Y-%m-%d").to_string();
    let name = |m: &str| {
        people
            .get(m)
            .map_or_else(|| m.to_owned(), |p| p.name().to_owned())
    };
    let answers: Vec<CheckinAnswers> = checkin
        .entries
        .iter()
        .filter(|e| e.date == day)
        .map(|e| CheckinAnswers {
            member: e.member.clone(),
            name: name(&e.member),
            answers: e.answers.clone(),
            at: utc_rfc3339(from_ms(e.at_ms)),
        })
        .collect();
    let missing = checkin
        .participants
        .iter()
        .filter(|m| !answers.iter().any(|a| &a.member == *m))
        .filter(|m| {
            people
                .get(*m)
                .is_some_and(|p| checkin_prompt(checkin, p, date).is_some())
        })
        .map(|m| name(m))
        .collect();
    CheckinDigest {
        checkin: id.to_owned(),
        title: checkin.title.clone(),
        date: day,
        questions: checkin.questions.clone(),
        answers,
        missing,
    }
}
