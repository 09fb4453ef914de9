//! Catch-up: what changed since I last looked that concerns me, grouped and ranked
//! (DESIGN §2, derived views). The engine finds the documents others changed since this
//! device's seen mark and hands each one here as it was at the mark and as it is now; this
//! module decides whether it concerns me, why, in which group, and in what order.
//!
//! Groups, most pressing first: decisions proposed that ask me or made that name me;
//! threads that now wait on me (by my reply-by); objects where I was @mentioned; meetings I
//! attend whose agenda or summary changed; pages I own or follow (with a word diff); tasks
//! given to me; check-in answers of my team; replies in threads I am part of; anything else
//! I follow. An object appears once, in its most pressing group, with every reason listed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::diff::{self, WordDiff};
use crate::mentions::Directory;
use crate::norms::{Person, delivered_at, from_ms, reply_by, utc_rfc3339};
use crate::objects::*;
use crate::{Kind, Object};

use super::{Notification, kind_label};

/// The groups, in the order they are shown.
pub const GROUPS: [(&str, &str); 9] = [
    ("decision", "Decisions that ask you"),
    ("reply", "Threads waiting on you"),
    ("mention", "You were mentioned"),
    ("meeting", "Meetings"),
    ("page", "Pages you own or follow"),
    ("task", "Tasks for you"),
    ("checkin", "Check-in answers"),
    ("thread", "Replies in your threads"),
    ("followed", "Other things you follow"),
];

/// One document others changed since the mark, as the engine hands it over.
#[derive(Debug, Clone)]
pub struct Changed {
    pub id: String,
    /// The object at the mark; `None` when it did not exist here then.
    pub before: Option<Object>,
    pub after: Object,
    /// How many changes others made since the mark, and when the first and the last of
    /// them were made (their authors' clocks, UTC milliseconds).
    pub changes: usize,
    pub first_ms: i64,
    pub last_ms: i64,
    /// The heads at the mark and now, as the history names points (hashes, sorted,
    /// comma-separated): the change this item is about, for opening the object at it and
    /// for marking it seen.
    pub from_heads: String,
    pub heads: String,
    /// Whether I follow this object.
    pub followed: bool,
}

/// What the rules read besides the documents.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub charter: &'a Charter,
    pub people: &'a BTreeMap<String, Person>,
    pub me: &'a str,
    pub at: DateTime<Utc>,
    pub directory: &'a Directory,
}

impl Ctx<'_> {
    /// Whether `who`, as a decision names people (a member id, or a name as written),
    /// is me.
    fn is_me(&self, who: &str) -> bool {
        let who = who.trim();
        who == self.me
            || self
                .people
                .get(self.me)
                .is_some_and(|p| who.eq_ignore_ascii_case(p.name().trim()))
    }

    fn name(&self, id: &str) -> String {
        self.people
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.name().to_owned())
    }
}

/// One entry of the catch-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CatchUpItem {
    /// One of [`GROUPS`]' keys: where it is listed.
    pub group: String,
    pub kind: String,
    pub id: String,
    pub title: String,
    /// What happened, for people: `Proposed — your feedback is asked`.
    pub detail: String,
    /// Every group this object qualified for (its `group` first).
    pub reasons: Vec<String>,
    /// When others last changed it, RFC 3339 UTC.
    pub changed_at: String,
    /// How many changes others made since I last looked.
    pub changes: u32,
    /// When something is due from me (a reply-by, a decide-by, a task's day), RFC 3339 UTC,
    /// and the same instant on my clock.
    pub due: Option<String>,
    pub due_local: Option<String>,
    /// Whether the change mentioned me.
    pub mentioned: bool,
    /// Words added and removed in the main text (a page's body, a meeting's summary…).
    pub diff: Option<WordDiff>,
    /// The object's version when I last saw it (empty: it is new to me) and now, as the
    /// history names points (`hash,hash`): the history's diff from `from_heads` to `heads`
    /// is the change; marking the item seen records `heads`.
    pub from_heads: String,
    pub heads: String,
}

fn rank(group: &str) -> usize {
    GROUPS
        .iter()
        .position(|(g, _)| *g == group)
        .unwrap_or(GROUPS.len())
}

/// The catch-up of `ctx.me` over `changed`: one item per object that concerns me, in the
/// order shown (by group; within a group by what is due first, then newest change first).
pub fn catch_up(ctx: &Ctx<'_>, changed: &[Changed]) -> Vec<CatchUpItem> {
    let mut items: Vec<CatchUpItem> = changed.iter().filter_map(|c| item(ctx, c)).collect();
    items.sort_by(|a, b| {
        (
            rank(&a.group),
            a.due.is_none(),
            &a.due,
            std::cmp::Reverse(&a.changed_at),
            &a.title,
            &a.id,
        )
            .cmp(&(
                rank(&b.group),
                b.due.is_none(),
                &b.due,
                std::cmp::Reverse(&b.changed_at),
                &b.title,
                &b.id,
            ))
    });
    items
}

/// One reason an object concerns me.
struct Reason {
    group: &'static str,
    detail: String,
    due: Option<DateTime<Utc>>,
}

fn item(ctx: &Ctx<'_>, c: &Changed) -> Option<CatchUpItem> {
    if c.changes == 0 {
        return None;
    }
    let me = ctx.me;
    let mut reasons: Vec<Reason> = Vec::new();
    let mut diff: Option<WordDiff> = None;
    let before = c.before.as_ref();
    match &c.after {
        Object::Decision(d) => {
            let old = match before {
                Some(Object::Decision(o)) => Some(o),
                _ => None,
            };
            decision(ctx, d, old, &mut reasons);
            if c.followed && reasons.is_empty() && Some(d) != old {
                let was = old.map_or("", |o| o.context.as_str());
                diff = non_empty(diff::words(was, &d.context));
            }
        }
        Object::Thread(t) => {
            let old = match before {
                Some(Object::Thread(o)) => Some(o),
                _ => None,
            };
            thread(ctx, t, old, &mut reasons);
        }
        Object::Meeting(m) => {
            let old = match before {
                Some(Object::Meeting(o)) => Some(o),
                _ => None,
            };
            let mine = m.organiser.as_deref() == Some(me) || m.attendees.iter().any(|a| a == me);
            if mine || c.followed {
                let agenda = old.is_none_or(|o| o.agenda != m.agenda) && !m.agenda.is_empty();
                let summary = old.map_or("", |o| o.summary.as_str()) != m.summary;
                let mut what = Vec::new();
                if agenda {
                    what.push("the agenda changed");
                }
                if summary {
                    what.push(if old.is_none_or(|o| o.summary.trim().is_empty()) {
                        "the summary was written"
                    } else {
                        "the summary changed"
                    });
                    diff = non_empty(diff::words(old.map_or("", |o| &o.summary), &m.summary));
                }
                if !what.is_empty() {
                    reasons.push(Reason {
                        group: "meeting",
                        detail: capitalise(&what.join(" and ")),
                        due: None,
                    });
                }
            }
        }
        Object::Page(p) => {
            let old = match before {
                Some(Object::Page(o)) => Some(o),
                _ => None,
            };
            let mine = p.owner.as_deref() == Some(me);
            let body_was = old.map_or("", |o| o.body.as_str());
            if (mine || c.followed) && (old.is_none_or(|o| o.body != p.body || o.title != p.title))
            {
                let d = diff::words(body_was, &p.body);
                let mut detail = if old.is_none() {
                    "New page".to_owned()
                } else {
                    format!("+{} −{} words", d.added, d.removed)
                };
                if let Some(o) = old
                    && o.title != p.title
                {
                    detail.push_str(&format!(" · renamed from \"{}\"", o.title));
                }
                if mine {
                    detail.push_str(" · you own it");
                }
                diff = non_empty(d);
                reasons.push(Reason {
                    group: "page",
                    detail,
                    due: None,
                });
            }
        }
        Object::Task(t) => {
            let old = match before {
                Some(Object::Task(o)) => Some(o),
                _ => None,
            };
            let given = t.owner.as_deref() == Some(me)
                && old.is_none_or(|o| o.owner.as_deref() != Some(me))
                && matches!(t.state, TaskState::Open | TaskState::Doing);
            if given {
                let due = t
                    .due
                    .as_deref()
                    .and_then(|d| crate::parse_date("due", d).ok())
                    .zip(ctx.people.get(me))
                    .map(|(date, p)| super::end_of_day(p, date));
                reasons.push(Reason {
                    group: "task",
                    detail: match &t.due {
                        Some(d) => format!("Assigned to you · due {d}"),
                        None => "Assigned to you".into(),
                    },
                    due,
                });
            }
        }
        Object::Checkin(k) => {
            let old = match before {
                Some(Object::Checkin(o)) => Some(o),
                _ => None,
            };
            if k.participants.iter().any(|p| p == me) {
                let had: BTreeSet<(&str, &str, &[String])> = old
                    .map(|o| {
                        o.entries
                            .iter()
                            .map(|e| (e.member.as_str(), e.date.as_str(), e.answers.as_slice()))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut who: Vec<String> = Vec::new();
                for e in &k.entries {
                    let key = (e.member.as_str(), e.date.as_str(), e.answers.as_slice());
                    if e.member != me && !had.contains(&key) {
                        let name = ctx.name(&e.member);
                        if !who.contains(&name) {
                            who.push(name);
                        }
                    }
                }
                if !who.is_empty() {
                    reasons.push(Reason {
                        group: "checkin",
                        detail: format!("Answers from {}", who.join(", ")),
                        due: None,
                    });
                }
            }
        }
        Object::Workspace(_) | Object::Member(_) | Object::Charter(_) => return None,
    }

    // Mentions: more mentions of me now than at the mark.
    let now_count = mention_count(ctx.directory, &c.after, me);
    let was_count = before.map_or(0, |b| mention_count(ctx.directory, b, me));
    let mentioned = now_count > was_count;
    if mentioned {
        if diff.is_none()
            && let Some((was, now)) = main_text(before, &c.after)
        {
            diff = non_empty(diff::words(was, now));
        }
        reasons.push(Reason {
            group: "mention",
            detail: "You were mentioned".into(),
            due: None,
        });
    }

    if reasons.is_empty() && c.followed && before.is_none_or(|b| *b != c.after) {
        if diff.is_none()
            && let Some((was, now)) = main_text(before, &c.after)
        {
            diff = non_empty(diff::words(was, now));
        }
        reasons.push(Reason {
            group: "followed",
            detail: if before.is_none() {
                "New".into()
            } else {
                "Changed".into()
            },
            due: None,
        });
    }
    if reasons.is_empty() {
        return None;
    }
    reasons.sort_by_key(|r| rank(r.group));
    let first = &reasons[0];
    let mut detail = first.detail.clone();
    for r in &reasons[1..] {
        if !detail.contains(&r.detail) {
            detail.push_str(" · ");
            detail.push_str(&r.detail);
        }
    }
    let my = ctx.people.get(me);
    let mut groups: Vec<String> = Vec::new();
    for r in &reasons {
        if !groups.iter().any(|g| g == r.group) {
            groups.push(r.group.to_owned());
        }
    }
    Some(CatchUpItem {
        group: first.group.to_owned(),
        kind: c.after.kind().as_str().to_owned(),
        id: c.id.clone(),
        title: c.after.title().to_owned(),
        detail,
        reasons: groups,
        changed_at: utc_rfc3339(from_ms(c.last_ms)),
        changes: u32::try_from(c.changes).unwrap_or(u32::MAX),
        due: first.due.map(utc_rfc3339),
        due_local: first.due.zip(my).map(|(d, p)| p.local_rfc3339(d)),
        mentioned,
        diff,
        from_heads: c.from_heads.clone(),
        heads: c.heads.clone(),
    })
}

fn decision(ctx: &Ctx<'_>, d: &Decision, old: Option<&Decision>, out: &mut Vec<Reason>) {
    let me = ctx.me;
    let asked = d.deciders.iter().chain(&d.consulted).any(|m| ctx.is_me(m));
    let named = asked || d.informed.iter().any(|m| ctx.is_me(m));
    let status_changed = old.is_none_or(|o| o.status != d.status);
    let answered = d.feedback.iter().any(|f| f.author == me);
    match d.status {
        DecisionStatus::Proposed if asked && !answered && status_changed => out.push(Reason {
            group: "decision",
            detail: "Proposed — your feedback is asked".into(),
            due: d.decide_by_ms.map(from_ms),
        }),
        DecisionStatus::Accepted
        | DecisionStatus::Rejected
        | DecisionStatus::Superseded
        | DecisionStatus::Deprecated
            if named && status_changed =>
        {
            let mut detail = capitalise(d.status.as_str());
            if let Some(chosen) = d.chosen() {
                detail.push_str(&format!(": {}", chosen.title));
            }
            out.push(Reason {
                group: "decision",
                detail,
                due: None,
            });
        }
        _ => {}
    }
    // New feedback from others on a decision I decide.
    if d.deciders.iter().any(|m| ctx.is_me(m)) {
        let had: BTreeSet<&str> = old
            .map(|o| o.feedback.iter().map(|f| f.id.as_str()).collect())
            .unwrap_or_default();
        let who: BTreeSet<String> = d
            .feedback
            .iter()
            .filter(|f| f.author != me && !had.contains(f.id.as_str()))
            .map(|f| ctx.name(&f.author))
            .collect();
        if !who.is_empty() {
            out.push(Reason {
                group: "decision",
                detail: format!(
                    "Feedback from {}",
                    who.into_iter().collect::<Vec<_>>().join(", ")
                ),
                due: d.decide_by_ms.map(from_ms),
            });
        }
    }
}

fn thread(ctx: &Ctx<'_>, t: &Thread, old: Option<&Thread>, out: &mut Vec<Reason>) {
    let me = ctx.me;
    let old_msgs: BTreeSet<&str> = old
        .map(|o| o.messages.iter().map(|m| m.id.as_str()).collect())
        .unwrap_or_default();
    let new_from_others: Vec<&Message> = t
        .messages
        .iter()
        .filter(|m| m.author != me && !old_msgs.contains(m.id.as_str()))
        .collect();
    let recipient = t.recipients.iter().any(|r| r == me);
    let newly_mine = recipient && old.is_none_or(|o| !o.recipients.iter().any(|r| r == me));
    let replied = t.messages.iter().any(|m| m.author == me);
    if let Some(my) = ctx.people.get(me)
        && recipient
        && t.state != ThreadState::Resolved
        && !replied
        && t.author != me
        && (newly_mine || !new_from_others.is_empty())
    {
        let sent = from_ms(t.created_at_ms);
        let delivered = delivered_at(&my.schedule, t.delivery, sent).is_ok_and(|d| d <= ctx.at);
        if delivered {
            let clock = reply_by(ctx.charter, my, &t.message_kind, t.delivery, sent).ok();
            let due = clock
                .and_then(|c| c.reply_by)
                .and_then(|d| DateTime::parse_from_rfc3339(&d).ok())
                .map(|d| d.to_utc());
            let acked = t.acknowledgements.iter().any(|a| a == me);
            if due.is_some() || !acked {
                out.push(Reason {
                    group: "reply",
                    detail: format!(
                        "{} from {}",
                        kind_label(&t.message_kind),
                        ctx.name(&t.author)
                    ),
                    due,
                });
                return;
            }
        }
    }
    let involved = t.author == me || recipient;
    if involved && !new_from_others.is_empty() {
        let who: BTreeSet<String> = new_from_others
            .iter()
            .map(|m| ctx.name(&m.author))
            .collect();
        out.push(Reason {
            group: "thread",
            detail: format!(
                "{} {} from {}",
                new_from_others.len(),
                if new_from_others.len() == 1 {
                    "reply"
                } else {
                    "replies"
                },
                who.into_iter().collect::<Vec<_>>().join(", ")
            ),
            due: None,
        });
    }
}

/// Every prose field of an object, where a mention may be.
pub fn prose_fields(o: &Object) -> Vec<&str> {
    match o {
        Object::Page(p) => vec![&p.body],
        Object::Decision(d) => {
            let mut v: Vec<&str> = vec![&d.context, &d.rationale, &d.consequences];
            v.extend(d.options.iter().map(|o| o.description.as_str()));
            v.extend(d.feedback.iter().map(|f| f.text.as_str()));
            v
        }
        Object::Thread(t) => {
            let mut v: Vec<&str> = vec![&t.body];
            v.extend(t.messages.iter().map(|m| m.body.as_str()));
            v
        }
        Object::Meeting(m) => {
            let mut v: Vec<&str> = vec![&m.purpose, &m.notes, &m.summary];
            v.extend(m.agenda.iter().map(|a| a.notes.as_str()));
            v
        }
        Object::Checkin(c) => c
            .entries
            .iter()
            .flat_map(|e| e.answers.iter().map(String::as_str))
            .collect(),
        Object::Task(t) => vec![&t.title],
        Object::Workspace(_) | Object::Member(_) | Object::Charter(_) => Vec::new(),
    }
}

fn mention_count(dir: &Directory, o: &Object, me: &str) -> usize {
    prose_fields(o).into_iter().map(|t| dir.count(t, me)).sum()
}

/// The text a reader's diff shows for a kind: a page's body, a decision's context, a
/// thread's body, a meeting's summary.
fn main_text<'a>(before: Option<&'a Object>, after: &'a Object) -> Option<(&'a str, &'a str)> {
    fn text(o: &Object) -> Option<&str> {
        match o {
            Object::Page(p) => Some(&p.body),
            Object::Decision(d) => Some(&d.context),
            Object::Thread(t) => Some(&t.body),
            Object::Meeting(m) => Some(&m.summary),
            _ => None,
        }
    }
    let now = text(after)?;
    let was = before.and_then(text).unwrap_or("");
    Some((was, now))
}

fn non_empty(d: WordDiff) -> Option<WordDiff> {
    (!d.is_empty()).then_some(d)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The notifications of the mentions among `items`, shown like every notification: at
/// once, or held by my focus block or quiet hours until they end (ADR 0003's rules, the
/// same as [`super::notifications`]). Those shown in `(since, until]` are returned.
pub fn mention_notifications(
    items: &[CatchUpItem],
    me: &Person,
    charter: &Charter,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Notification> {
    let mut out = Vec::new();
    for i in items.iter().filter(|i| i.mentioned) {
        let Ok(arrived) = DateTime::parse_from_rfc3339(&i.changed_at).map(|d| d.to_utc()) else {
            continue;
        };
        if arrived > until {
            continue;
        }
        let release = me.schedule.held_until(Some(&charter.quiet_hours), arrived);
        let show = release.unwrap_or(arrived);
        if show > since && show <= until {
            out.push(Notification {
                // Stable while the mention waits in the catch-up: the point it starts from.
                key: format!("mention:{}:{}", i.id, i.from_heads),
                kind: i.kind.clone(),
                id: i.id.clone(),
                title: i.title.clone(),
                body: format!("You were mentioned in {} \"{}\"", i.kind, i.title),
                urgent: false,
                arrived: utc_rfc3339(arrived),
                show_at: utc_rfc3339(show),
                held: release.is_some(),
            });
        }
    }
    out
}

/// Counts per group, in [`GROUPS`] order, leaving out empty groups.
pub fn group_counts(items: &[CatchUpItem]) -> Vec<(String, String, usize)> {
    GROUPS
        .iter()
        .filter_map(|(g, label)| {
            let n = items.iter().filter(|i| i.group == *g).count();
            (n > 0).then(|| ((*g).to_owned(), (*label).to_owned(), n))
        })
        .collect()
}

/// The kinds the catch-up looks at: the others never concern anyone by themselves.
pub fn concerns(kind: Kind) -> bool {
    !matches!(kind, Kind::Workspace | Kind::Member | Kind::Charter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentions::Named;

    const ME: &str = "bea";

    fn people() -> BTreeMap<String, Person> {
        [
            ("ada", "Ada", "Europe/Berlin"),
            (ME, "Bea", "America/New_York"),
        ]
        .into_iter()
        .map(|(id, name, tz)| {
            let p = Person::new(id, Member::new(name, tz, Role::Editor)).expect("person");
            (id.to_owned(), p)
        })
        .collect()
    }

    fn changed(id: &str, before: Option<Object>, after: Object, last: &str) -> Changed {
        let last_ms = DateTime::parse_from_rfc3339(last)
            .expect("instant")
            .timestamp_millis();
        Changed {
            id: id.to_owned(),
            before,
            after,
            changes: 1,
            first_ms: last_ms,
            last_ms,
            from_heads: "old".into(),
            heads: "new".into(),
            followed: false,
        }
    }

    fn page(owner: Option<&str>, body: &str) -> Page {
        Page {
            title: "Runbook".into(),
            body: body.into(),
            owner: owner.map(str::to_owned),
            ..Page::default()
        }
    }

    fn thread(kind: &str, created: &str) -> Thread {
        Thread {
            title: format!("{kind} for Bea"),
            message_kind: kind.into(),
            body: "Can you check?".into(),
            author: "ada".into(),
            recipients: vec![ME.into()],
            delivery: Delivery::Now,
            urgent_reason: None,
            messages: Vec::new(),
            acknowledgements: Vec::new(),
            state: ThreadState::Open,
            linked_decision: None,
            source_meeting: None,
            created_at_ms: DateTime::parse_from_rfc3339(created)
                .expect("instant")
                .timestamp_millis(),
        }
    }

    fn run(changed: &[Changed]) -> Vec<CatchUpItem> {
        let people = people();
        let charter = Charter::default();
        let directory = Directory::new(people.iter().map(|(id, p)| Named { id, name: p.name() }));
        let ctx = Ctx {
            charter: &charter,
            people: &people,
            me: ME,
            at: "2026-12-07T12:00:00Z".parse().expect("now"),
            directory: &directory,
        };
        catch_up(&ctx, changed)
    }

    #[test]
    fn groups_come_in_order_and_threads_by_my_reply_by() {
        let mut proposed = Decision::new("Adopt Rust", 0);
        proposed.status = DecisionStatus::Proposed;
        proposed.deciders = vec![ME.into()];
        let draft = Decision {
            status: DecisionStatus::Draft,
            ..proposed.clone()
        };
        let items = run(&[
            changed(
                "p",
                Some(Object::Page(page(Some(ME), "one two"))),
                Object::Page(page(Some(ME), "one three four")),
                "2026-12-06T10:00:00Z",
            ),
            // A question has an 8 h reply-by, a blocking thread 4 h: sent at the same time,
            // the blocking one is due first.
            changed(
                "q",
                None,
                Object::Thread(thread("question", "2026-12-04T14:00:00Z")),
                "2026-12-04T14:00:00Z",
            ),
            changed(
                "b",
                None,
                Object::Thread(thread("blocking", "2026-12-04T14:00:00Z")),
                "2026-12-04T14:00:00Z",
            ),
            changed(
                "d",
                Some(Object::Decision(draft)),
                Object::Decision(proposed),
                "2026-12-03T10:00:00Z",
            ),
        ]);
        let order: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.group.as_str(), i.id.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("decision", "d"),
                ("reply", "b"),
                ("reply", "q"),
                ("page", "p")
            ]
        );
        assert!(items[1].due < items[2].due);
        let d = items[3].diff.as_ref().expect("page diff");
        assert_eq!((d.added, d.removed), (2, 1));
        assert_eq!(items[3].detail, "+2 −1 words · you own it");
        assert_eq!(
            group_counts(&items),
            vec![
                ("decision".into(), "Decisions that ask you".into(), 1),
                ("reply".into(), "Threads waiting on you".into(), 2),
                ("page".into(), "Pages you own or follow".into(), 1),
            ]
        );
    }

    #[test]
    fn a_mention_lifts_an_object_and_is_listed_once() {
        let before = Object::Page(page(Some(ME), "Intro"));
        let after = Object::Page(page(Some(ME), "Intro\n\n@Bea please review"));
        let items = run(&[changed(
            "p",
            Some(before.clone()),
            after,
            "2026-12-06T10:00:00Z",
        )]);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].group, "mention");
        assert_eq!(items[0].reasons, ["mention", "page"]);
        assert!(items[0].mentioned);
        // An edit that keeps the existing mention is no new mention.
        let again = Object::Page(page(None, "Intro\n\n@Bea please review. Thanks"));
        let old = Object::Page(page(None, "Intro\n\n@Bea please review"));
        assert!(run(&[changed("p", Some(old), again, "2026-12-06T11:00:00Z")]).is_empty());
    }

    #[test]
    fn what_does_not_concern_me_is_left_out() {
        // Someone else's page, not followed; a decision that does not name me; a thread I
        // already answered; a change that changed nothing I read.
        let mut other = Decision::new("Pick a logo", 0);
        other.status = DecisionStatus::Proposed;
        other.deciders = vec!["ada".into()];
        let mut answered = thread("question", "2026-12-04T14:00:00Z");
        answered.messages.push(Message {
            id: "m1".into(),
            author: ME.into(),
            body: "done".into(),
            at_ms: 0,
        });
        let same = Object::Page(page(Some(ME), "x"));
        let items = run(&[
            changed(
                "p",
                Some(Object::Page(page(Some("ada"), "a"))),
                Object::Page(page(Some("ada"), "b")),
                "2026-12-06T10:00:00Z",
            ),
            changed("d", None, Object::Decision(other), "2026-12-06T10:00:00Z"),
            changed("t", None, Object::Thread(answered), "2026-12-06T10:00:00Z"),
            changed("s", Some(same.clone()), same, "2026-12-06T10:00:00Z"),
        ]);
        assert!(items.is_empty(), "{items:#?}");
    }

    #[test]
    fn a_followed_object_shows_with_its_change() {
        let mut c = changed(
            "p",
            Some(Object::Page(page(Some("ada"), "a b"))),
            Object::Page(page(Some("ada"), "a b c")),
            "2026-12-06T10:00:00Z",
        );
        c.followed = true;
        let items = run(&[c]);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].group, "page");
        assert_eq!(items[0].diff.as_ref().map(|d| d.added), Some(1));
    }

    #[test]
    fn mentions_are_held_in_quiet_hours() {
        let people = people();
        let me = &people[ME];
        let item = CatchUpItem {
            group: "mention".into(),
            kind: "page".into(),
            id: "p".into(),
            title: "Runbook".into(),
            detail: String::new(),
            reasons: vec!["mention".into()],
            // 03:00 in New York: quiet hours until 08:00 (13:00 UTC).
            changed_at: "2026-12-07T08:00:00Z".into(),
            changes: 1,
            due: None,
            due_local: None,
            mentioned: true,
            diff: None,
            from_heads: "h".into(),
            heads: "h2".into(),
        };
        let t = |s: &str| s.parse::<DateTime<Utc>>().expect("instant");
        let charter = Charter::default();
        let early = mention_notifications(
            std::slice::from_ref(&item),
            me,
            &charter,
            t("2026-12-07T07:00:00Z"),
            t("2026-12-07T09:00:00Z"),
        );
        assert!(early.is_empty(), "held, not shown yet: {early:?}");
        let later = mention_notifications(
            &[item],
            me,
            &charter,
            t("2026-12-07T09:00:00Z"),
            t("2026-12-07T14:00:00Z"),
        );
        assert_eq!(later.len(), 1);
        assert!(later[0].held);
        assert_eq!(later[0].show_at, "2026-12-07T13:00:00Z");
    }
}
