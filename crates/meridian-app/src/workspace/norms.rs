//! Time and norms: members' calendars, threads with reply-by clocks, meetings with
//! deadlines and fair slots, check-ins, and the derived views (inbox, team clock,
//! notifications). The rules are in `meridian_core::{time, norms, views}`; this module
//! loads the documents they read and writes what they decide.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use meridian_core::norms::{self, Person, from_ms, utc_rfc3339};
use meridian_core::time::{self, Span, parse_hours, parse_weekdays};
use meridian_core::views::{self, World};
use meridian_core::{
    AgendaItem, Charter, Checkin, CheckinEntry, DateRange, Decision, Delivery, FocusBlock, Meeting,
    MeetingState, Member, Message, Role, Task, Thread, ThreadState, parse_date,
};

use super::*;

/// The documents the derived views read, loaded once per view.
#[derive(Debug)]
pub struct Snapshot {
    pub charter: Charter,
    pub people: BTreeMap<String, Person>,
    pub threads: Vec<(String, Thread)>,
    pub decisions: Vec<(String, Decision)>,
    pub meetings: Vec<(String, Meeting)>,
    pub checkins: Vec<(String, Checkin)>,
    pub tasks: Vec<(String, Task)>,
}

impl Snapshot {
    pub fn world(&self) -> World<'_> {
        World {
            charter: &self.charter,
            people: &self.people,
            threads: &self.threads,
            decisions: &self.decisions,
            meetings: &self.meetings,
            checkins: &self.checkins,
            tasks: &self.tasks,
        }
    }

    fn person(&self, id: &str) -> Result<&Person, Error> {
        self.people
            .get(id)
            .ok_or_else(|| Error::Rule(meridian_core::Error::UnknownMember(id.to_owned())))
    }
}

impl Workspace {
    fn at(&self, at: Option<DateTime<Utc>>) -> DateTime<Utc> {
        at.unwrap_or_else(|| from_ms(self.now_ms()))
    }

    pub(super) async fn typed<T: ObjectSchema>(&self) -> Result<Vec<(String, T)>, Error> {
        let mut out = Vec::new();
        let entries = self
            .inner
            .store
            .read(|s| s.list_blocking(Some(T::KIND), false))
            .await?;
        for e in entries {
            out.push((e.id.to_string(), self.get::<T>(&e.id).await?));
        }
        Ok(out)
    }

    pub async fn charter(&self) -> Result<(DocId, Charter), Error> {
        let ws: WorkspaceDoc = self.get(&self.inner.workspace_doc).await?;
        let id: DocId = ws
            .charter
            .as_deref()
            .ok_or_else(|| Error::Metadata("the workspace has no charter".into()))?
            .parse()?;
        let charter = self.get::<Charter>(&id).await?;
        Ok((id, charter))
    }

    /// Every member with their parsed calendar. A member whose calendar cannot be read
    /// (which validation prevents) is left out rather than failing every view.
    pub async fn people(&self) -> Result<BTreeMap<String, Person>, Error> {
        Ok(self
            .typed::<Member>()
            .await?
            .into_iter()
            .filter_map(|(id, m)| Person::new(id.clone(), m).ok().map(|p| (id, p)))
            .collect())
    }

    pub async fn snapshot(&self) -> Result<Snapshot, Error> {
        Ok(Snapshot {
            charter: self.charter().await?.1,
            people: self.people().await?,
            threads: self.typed().await?,
            decisions: self.typed().await?,
            meetings: self.typed().await?,
            checkins: self.typed().await?,
            tasks: self.typed().await?,
        })
    }

    // ----- members -----

    /// Resolves member names (case-insensitive) or ids to member ids.
    pub async fn resolve_members(&self, who: &[String]) -> Result<Vec<String>, Error> {
        let all = self
            .inner
            .store
            .read(|s| s.list_blocking(Some(Kind::Member), false))
            .await?;
        who.iter()
            .map(|w| w.trim())
            .filter(|w| !w.is_empty())
            .map(|w| {
                all.iter()
                    .find(|m| m.id.as_str() == w || m.title.eq_ignore_ascii_case(w))
                    .map(|m| m.id.to_string())
                    .ok_or_else(|| Error::NoSuchMember {
                        name: w.chars().take(60).collect(),
                        known: all
                            .iter()
                            .map(|m| m.title.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .collect()
    }

    pub async fn resolve_member(&self, who: &str) -> Result<DocId, Error> {
        let id = self.resolve_members(&[who.to_owned()]).await?;
        match id.first() {
            Some(id) => Ok(id.parse()?),
            None => Err(Error::NoSuchMember {
                name: String::new(),
                known: String::new(),
            }),
        }
    }

    /// `who`, or this device's member.
    pub async fn member_or_me(&self, who: Option<&str>) -> Result<DocId, Error> {
        match who {
            Some(w) => self.resolve_member(w).await,
            None => Ok(self.info().me.id),
        }
    }

    pub async fn add_member(
        &self,
        name: &str,
        tz: &str,
        role: Role,
        hours: Option<&str>,
    ) -> Result<DocId, Error> {
        let mut m = Member::new(name.trim(), tz.trim(), role);
        if let Some(h) = hours {
            m.working_hours = parse_hours(h)?;
        }
        Ok(self.create_object(m).await?.0)
    }

    pub async fn members(&self) -> Result<Vec<MemberView>, Error> {
        Ok(self
            .typed::<Member>()
            .await?
            .into_iter()
            .map(|(id, member)| member_view(&id, member))
            .collect())
    }

    pub async fn member(&self, id: &DocId) -> Result<MemberView, Error> {
        Ok(member_view(id.as_str(), self.get(id).await?))
    }

    pub async fn update_member(&self, id: &DocId, patch: MemberPatch) -> Result<MemberView, Error> {
        let hours = patch.hours.as_deref().map(parse_hours).transpose()?;
        let m = self
            .update::<Member>(id, |m| {
                if let Some(v) = patch.name {
                    m.display_name = v.trim().to_owned();
                }
                if let Some(v) = patch.tz {
                    m.tz = v.trim().to_owned();
                }
                if let Some(v) = patch.role {
                    m.role = v;
                }
                if let Some(v) = hours {
                    m.working_hours = v;
                }
                if let Some(v) = patch.travel {
                    m.travel = v;
                }
                Ok(())
            })
            .await?;
        if *id == self.info().me.id {
            self.refresh_context().await?;
        }
        Ok(member_view(id.as_str(), m))
    }

    pub async fn add_out_of_office(
        &self,
        id: &DocId,
        from: &str,
        to: &str,
        note: &str,
    ) -> Result<MemberView, Error> {
        let range = DateRange {
            id: item_id(),
            from: from.trim().to_owned(),
            to: to.trim().to_owned(),
            note: note.trim().to_owned(),
        };
        let m = self
            .update::<Member>(id, |m| {
                m.out_of_office.push(range);
                Ok(())
            })
            .await?;
        Ok(member_view(id.as_str(), m))
    }

    pub async fn add_focus_block(&self, id: &DocId, new: NewFocus) -> Result<MemberView, Error> {
        let weekdays = match (&new.days, &new.date) {
            (Some(_), Some(_)) => {
                return Err(meridian_core::Error::InvalidRange {
                    field: "focus block",
                    detail: "give weekdays or a date, not both".into(),
                }
                .into());
            }
            (Some(days), None) => parse_weekdays(days)?,
            (None, Some(_)) => Vec::new(),
            (None, None) => {
                return Err(meridian_core::Error::InvalidRange {
                    field: "focus block",
                    detail: "give weekdays (e.g. mon-fri) or a date".into(),
                }
                .into());
            }
        };
        let (start, end) =
            time::parse_interval("focus block", &format!("{}-{}", new.start, new.end))?;
        let block = FocusBlock {
            id: item_id(),
            weekdays,
            date: new.date.map(|d| d.trim().to_owned()),
            start: time::format_minute(start),
            end: time::format_minute(end),
        };
        let m = self
            .update::<Member>(id, |m| {
                m.focus_blocks.push(block);
                Ok(())
            })
            .await?;
        Ok(member_view(id.as_str(), m))
    }

    /// Removes the focus block with id `entry`. By id, not position: a synced edit made
    /// after the list was read may have moved the entry, and an index would then name
    /// another one.
    pub async fn remove_focus_block(&self, id: &DocId, entry: &str) -> Result<MemberView, Error> {
        let m = self
            .update::<Member>(id, |m| {
                let at = entry_index("focus block", m.focus_blocks.iter().map(|f| &f.id), entry)?;
                m.focus_blocks.remove(at);
                Ok(())
            })
            .await?;
        Ok(member_view(id.as_str(), m))
    }

    /// Removes the out-of-office range with id `entry` (by id, as for focus blocks).
    pub async fn remove_out_of_office(&self, id: &DocId, entry: &str) -> Result<MemberView, Error> {
        let m = self
            .update::<Member>(id, |m| {
                let at = entry_index(
                    "out-of-office range",
                    m.out_of_office.iter().map(|r| &r.id),
                    entry,
                )?;
                m.out_of_office.remove(at);
                Ok(())
            })
            .await?;
        Ok(member_view(id.as_str(), m))
    }

    // ----- threads -----

    /// The reply-by of one recipient for a message of `kind` sent at `sent`.
    pub async fn reply_by(
        &self,
        to: &str,
        kind: &str,
        delivery: Delivery,
        sent: Option<DateTime<Utc>>,
    ) -> Result<norms::ReplyBy, Error> {
        let to = self.resolve_member(to).await?;
        let charter = self.charter().await?.1;
        let person = Person::new(to.to_string(), self.get::<Member>(&to).await?)?;
        Ok(norms::reply_by(
            &charter,
            &person,
            kind.trim(),
            delivery,
            self.at(sent),
        )?)
    }

    /// What posting `new` now would give, without posting it: the composer's preview.
    pub async fn preview_thread(&self, new: &NewThread) -> Result<Posting, Error> {
        let snap = self.snapshot().await?;
        self.posting(&snap, new, self.at(None))
    }

    fn posting(
        &self,
        snap: &Snapshot,
        new: &NewThread,
        at: DateTime<Utc>,
    ) -> Result<Posting, Error> {
        let kind = new.kind.trim().to_ascii_lowercase();
        let delivery = new.delivery.unwrap_or(Delivery::Now);
        let mut reply_by = Vec::new();
        for r in &new.to {
            reply_by.push(norms::reply_by(
                &snap.charter,
                snap.person(r)?,
                &kind,
                delivery,
                at,
            )?);
        }
        let urgent = norms::is_urgent(&snap.charter, &kind);
        let me = self.info().me.id.to_string();
        Ok(Posting {
            id: None,
            reply_by,
            urgent,
            escalation: urgent.then(|| norms::escalate(&snap.charter, &snap.people, &new.to, at)),
            budget: urgent.then(|| {
                norms::urgent_budget(&snap.charter, &me, snap.threads.iter().map(|(_, t)| t), at)
            }),
        })
    }

    /// Posts a thread from me. Urgent ones need a reason and budget left.
    pub async fn post_thread(&self, mut new: NewThread) -> Result<Posting, Error> {
        new.to = self.resolve_members(&new.to).await?;
        let snap = self.snapshot().await?;
        let at = self.at(None);
        let me = self.info().me.id.to_string();
        let kind = new.kind.trim().to_ascii_lowercase();
        norms::reply_within(&snap.charter, &kind)?;
        if norms::is_urgent(&snap.charter, &kind) {
            norms::check_urgent(
                &snap.charter,
                &me,
                new.reason.as_deref(),
                snap.threads.iter().map(|(_, t)| t),
                at,
            )?;
        }
        let mut posting = self.posting(&snap, &new, at)?;
        let thread = Thread {
            title: new.title.trim().to_owned(),
            message_kind: kind,
            body: new.body,
            author: me,
            recipients: new.to,
            delivery: new.delivery.unwrap_or(Delivery::Now),
            urgent_reason: new
                .reason
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty()),
            messages: Vec::new(),
            acknowledgements: Vec::new(),
            state: ThreadState::Open,
            linked_decision: None,
            source_meeting: None,
            created_at_ms: at.timestamp_millis(),
        };
        posting.id = Some(self.create_object(thread).await?.0);
        Ok(posting)
    }

    pub async fn reply_thread(
        &self,
        id: &DocId,
        body: &str,
        as_member: Option<&str>,
    ) -> Result<Thread, Error> {
        let who = self.member_or_me(as_member).await?.to_string();
        let body = body.trim().to_owned();
        if body.is_empty() {
            return Err(meridian_core::Error::InvalidRange {
                field: "reply",
                detail: "a reply needs some text".into(),
            }
            .into());
        }
        let at = self.now_ms();
        self.update::<Thread>(id, |t| {
            if t.recipients.contains(&who) && t.state == ThreadState::Open {
                t.state = ThreadState::Answered;
            }
            t.messages.push(Message {
                id: item_id(),
                author: who,
                body,
                at_ms: at,
            });
            Ok(())
        })
        .await
    }

    pub async fn ack_thread(&self, id: &DocId, as_member: Option<&str>) -> Result<Thread, Error> {
        let who = self.member_or_me(as_member).await?.to_string();
        self.update::<Thread>(id, |t| {
            if !t.acknowledgements.contains(&who) {
                t.acknowledgements.push(who);
            }
            Ok(())
        })
        .await
    }

    pub async fn resolve_thread(&self, id: &DocId) -> Result<Thread, Error> {
        self.update::<Thread>(id, |t| {
            t.state = ThreadState::Resolved;
            Ok(())
        })
        .await
    }

    // ----- meetings -----

    pub async fn create_meeting(&self, new: NewMeeting) -> Result<(DocId, MeetingTimes), Error> {
        let me = self.info().me;
        let mut attendees = self.resolve_members(&new.attendees).await?;
        if !attendees.contains(&me.id.to_string()) {
            attendees.insert(0, me.id.to_string());
        }
        let start = crate::parse_rfc3339_ms(&new.start).ok_or_else(|| {
            meridian_core::Error::InvalidRange {
                field: "start",
                detail: format!(
                    "`{}` is not an RFC 3339 instant; write e.g. 2026-12-01T15:00:00Z",
                    new.start.chars().take(40).collect::<String>()
                ),
            }
        })?;
        let meeting = Meeting {
            title: new.title.trim().to_owned(),
            purpose: new.purpose,
            decisions_sought: new.decisions_sought,
            start_ms: start,
            duration_min: new.duration_min,
            organiser_tz: me.tz,
            organiser: Some(me.id.to_string()),
            weekly: false,
            attendees,
            agenda: new
                .items
                .into_iter()
                .filter(|i| !i.trim().is_empty())
                .map(agenda_item)
                .collect(),
            notes: String::new(),
            summary: String::new(),
            decisions: Vec::new(),
            tasks: Vec::new(),
            state: MeetingState::Scheduled,
            async_thread: None,
            created_at_ms: self.now_ms(),
        };
        let (id, _) = self.create_object(meeting).await?;
        let times = self.meeting_times(&id).await?;
        Ok((id, times))
    }

    pub async fn add_agenda_item(
        &self,
        id: &DocId,
        title: &str,
        owner: Option<&str>,
        minutes: u32,
    ) -> Result<Meeting, Error> {
        self.add_agenda_item_with(
            id,
            NewAgendaItem {
                title: title.to_owned(),
                owner: owner.map(str::to_owned),
                minutes,
                ..NewAgendaItem::default()
            },
        )
        .await
    }

    /// A meeting's agenda deadline (per attendee) and summary due time.
    pub async fn meeting_times(&self, id: &DocId) -> Result<MeetingTimes, Error> {
        let m: Meeting = self.get(id).await?;
        let snap_charter = self.charter().await?.1;
        let people = self.people().await?;
        Ok(meeting_times(id, &m, &snap_charter, &people))
    }

    /// Turns every scheduled meeting whose agenda is still empty at its deadline into an
    /// async thread (recorded on the meeting). Returns the meetings converted.
    pub async fn convert_unprepared_meetings(
        &self,
        at: Option<DateTime<Utc>>,
    ) -> Result<Vec<DocId>, Error> {
        let at = self.at(at);
        let snap = self.snapshot().await?;
        self.convert_in(&snap, at).await
    }

    /// [`Workspace::convert_unprepared_meetings`] over an already loaded snapshot.
    async fn convert_in(&self, snap: &Snapshot, at: DateTime<Utc>) -> Result<Vec<DocId>, Error> {
        let mut converted = Vec::new();
        for (id, m) in &snap.meetings {
            if m.state != MeetingState::Scheduled || !m.agenda.is_empty() {
                continue;
            }
            let attendees: Vec<&Person> = m
                .attendees
                .iter()
                .filter_map(|a| snap.people.get(a))
                .collect();
            let Ok(deadline) =
                norms::agenda_deadline(&snap.charter, &attendees, from_ms(m.start_ms))
            else {
                continue;
            };
            if !norms::must_go_async(m, deadline, at) {
                continue;
            }
            let id: DocId = id.parse()?;
            let author = m
                .organiser
                .clone()
                .unwrap_or_else(|| self.info().me.id.to_string());
            let mut thread = norms::async_thread(m, &author, at);
            thread.source_meeting = Some(id.to_string());
            let (thread_id, _) = self.create_object(thread).await?;
            self.update::<Meeting>(&id, |m| {
                m.state = MeetingState::ConvertedToAsync;
                m.async_thread = Some(thread_id.to_string());
                Ok(())
            })
            .await?;
            converted.push(id);
        }
        Ok(converted)
    }

    /// Meeting slots for me and `with`, best first, with every attendee's local time and
    /// a fairness score from the inconvenience ledger of past meetings.
    pub async fn suggest_slots(&self, q: SlotQuery) -> Result<Vec<norms::Slot>, Error> {
        let me = self.info().me.id.to_string();
        let mut ids = self.resolve_members(&q.with).await?;
        if !ids.contains(&me) {
            ids.insert(0, me);
        }
        if q.duration_min == 0 || q.duration_min > 1440 {
            return Err(meridian_core::Error::MeetingDuration(q.duration_min).into());
        }
        let from = match q.from.as_deref() {
            Some(f) => from_ms(crate::parse_rfc3339_ms(f).ok_or_else(|| {
                meridian_core::Error::InvalidRange {
                    field: "from",
                    detail: format!(
                        "`{}` is not an RFC 3339 instant",
                        f.chars().take(40).collect::<String>()
                    ),
                }
            })?),
            None => self.at(None),
        };
        let days = if q.within_days == 0 {
            7
        } else {
            q.within_days.min(60)
        };
        let people = self.people().await?;
        let meetings = self.typed::<Meeting>().await?;
        let ledger = norms::ledger(meetings.iter().map(|(_, m)| m), &people, from);
        let attendees: Vec<&Person> = ids.iter().filter_map(|i| people.get(i)).collect();
        let window = Span {
            start: from,
            end: from + TimeDelta::days(i64::from(days)),
        };
        let limit = if q.limit == 0 { 10 } else { q.limit as usize };
        Ok(norms::suggest_slots(
            &attendees,
            TimeDelta::minutes(i64::from(q.duration_min)),
            window,
            &ledger,
            limit,
        ))
    }

    // ----- check-ins -----

    /// Records `who`'s answers for their current local date (replacing earlier ones that day).
    pub async fn answer_checkin(
        &self,
        id: &DocId,
        answers: Vec<String>,
        as_member: Option<&str>,
    ) -> Result<Checkin, Error> {
        let who = self.member_or_me(as_member).await?;
        let person = Person::new(who.to_string(), self.get::<Member>(&who).await?)?;
        let at = self.at(None);
        let date = person
            .schedule
            .local_date(at)
            .format("%Y-%m-%d")
            .to_string();
        let who = who.to_string();
        self.update::<Checkin>(id, |c| {
            if !c.participants.contains(&who) {
                return Err(meridian_core::Error::InvalidRange {
                    field: "check-in",
                    detail: format!("{} is not a participant of this check-in", person.name()),
                }
                .into());
            }
            if answers.len() != c.questions.len() {
                return Err(meridian_core::Error::InvalidRange {
                    field: "check-in",
                    detail: format!(
                        "{} answers for {} questions",
                        answers.len(),
                        c.questions.len()
                    ),
                }
                .into());
            }
            c.entries.retain(|e| !(e.member == who && e.date == date));
            c.entries.push(CheckinEntry {
                member: who,
                date,
                answers,
                at_ms: at.timestamp_millis(),
            });
            Ok(())
        })
        .await
    }

    /// The answers to a check-in on a local date (today in my zone by default).
    pub async fn checkin_digest(
        &self,
        id: &DocId,
        date: Option<&str>,
    ) -> Result<norms::CheckinDigest, Error> {
        let c: Checkin = self.get(id).await?;
        let people = self.people().await?;
        let date = match date {
            Some(d) => parse_date("date", d)?,
            None => {
                let me = self.info().me.id.to_string();
                let at = self.at(None);
                people
                    .get(&me)
                    .map_or_else(|| at.date_naive(), |p| p.schedule.local_date(at))
            }
        };
        Ok(norms::checkin_digest(id.as_str(), &c, &people, date))
    }

    // ----- views -----

    pub async fn inbox(
        &self,
        as_member: Option<&str>,
        at: Option<DateTime<Utc>>,
    ) -> Result<InboxView, Error> {
        let at = self.at(at);
        let me = self.member_or_me(as_member).await?;
        let mut snap = self.snapshot().await?;
        // Read the workspace once; again only if a meeting just became a thread.
        let converted = self.convert_in(&snap, at).await?;
        if !converted.is_empty() {
            snap = self.snapshot().await?;
        }
        let person = snap.person(me.as_str())?;
        let world = snap.world();
        Ok(InboxView {
            me: MemberRef {
                id: me.clone(),
                name: person.name().to_owned(),
                tz: person.member.tz.clone(),
            },
            at: utc_rfc3339(at),
            items: views::inbox(&world, me.as_str(), at),
            waiting: views::waiting_on_others(&world, me.as_str(), at),
            converted,
        })
    }

    pub async fn team(&self, at: Option<DateTime<Utc>>) -> Result<TeamView, Error> {
        let at = self.at(at);
        let snap = self.snapshot().await?;
        Ok(TeamView {
            at: utc_rfc3339(at),
            rows: views::team_clock(&snap.world(), at),
        })
    }

    /// My notifications that became due in `(since, until]`: direct ones, and held ones
    /// released together as digests when a focus block or quiet hours ended.
    pub async fn notifications(
        &self,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<NotificationBatch, Error> {
        let until = self.at(until);
        let snap = self.snapshot().await?;
        let me = self.info().me.id.to_string();
        let (direct, digests) =
            views::digests(views::notifications(&snap.world(), &me, since, until));
        Ok(NotificationBatch {
            at: utc_rfc3339(until),
            direct,
            digests,
        })
    }

    /// Notifications that have arrived for me by `at` but are held by a focus block or quiet
    /// hours, grouped by when they will be released.
    pub async fn held_notifications(
        &self,
        at: Option<DateTime<Utc>>,
    ) -> Result<NotificationBatch, Error> {
        let at = self.at(at);
        let snap = self.snapshot().await?;
        let me = self.info().me.id.to_string();
        let arrived_by = utc_rfc3339(at);
        let held: Vec<_> = views::notifications(&snap.world(), &me, at, at + TimeDelta::days(3))
            .into_iter()
            .filter(|n| n.held && n.arrived <= arrived_by)
            .collect();
        let (direct, digests) = views::digests(held);
        Ok(NotificationBatch {
            at: arrived_by,
            direct,
            digests,
        })
    }

    /// Up to when this device has shown notifications (none yet: `None`).
    pub fn notified_until(&self) -> Result<Option<DateTime<Utc>>, Error> {
        Ok(self
            .inner
            .store
            .get_meta_blocking(meta::NOTIFIED)?
            .and_then(|v| crate::parse_rfc3339_ms(&v))
            .map(from_ms))
    }

    pub fn set_notified_until(&self, at: DateTime<Utc>) -> Result<(), Error> {
        Ok(self
            .inner
            .store
            .set_meta_blocking(meta::NOTIFIED, &utc_rfc3339(at))?)
    }

    pub async fn show_charter(&self) -> Result<Charter, Error> {
        Ok(self.charter().await?.1)
    }

    /// Changes the charter and records the change as an accepted decision, so the team's
    /// norms have a history and a reason like any other decision.
    async fn change_charter(
        &self,
        what: String,
        change: impl FnOnce(&mut Charter) -> Result<(), Error>,
    ) -> Result<Charter, Error> {
        let (id, mut charter) = self.charter().await?;
        change(&mut charter)?;
        let updated = self
            .update::<Charter>(&id, |c| {
                *c = charter;
                Ok(())
            })
            .await?;
        self.create_decision(NewDecision {
            title: format!("Charter: {what}"),
            context: "A change to the team's communication charter.".into(),
            options: vec![NewOption {
                title: what.clone(),
                ..NewOption::default()
            }],
            chosen: Some(what),
            status: Some(meridian_core::DecisionStatus::Accepted),
            deciders: vec![self.info().me.id.to_string()],
            ..NewDecision::default()
        })
        .await?;
        self.refresh_context().await?;
        Ok(updated)
    }

    /// Adds or changes a message kind's reply expectation (`None`: no reply expected).
    pub async fn set_message_kind(&self, name: &str, hours: Option<u32>) -> Result<Charter, Error> {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(meridian_core::Error::InvalidRange {
                field: "message kind",
                detail: format!(
                    "`{}` is not a kind name; use letters, digits and dashes",
                    name.chars().take(40).collect::<String>()
                ),
            }
            .into());
        }
        let what = match hours {
            Some(h) => format!("{name} messages expect a reply within {h} working hours"),
            None => format!("{name} messages expect no reply"),
        };
        self.change_charter(what, |c| {
            match c.message_kinds.iter_mut().find(|k| k.name == name) {
                Some(k) => k.reply_within_hours = hours,
                None => c.message_kinds.push(meridian_core::MessageKind {
                    name,
                    reply_within_hours: hours,
                    breaks_focus: false,
                }),
            }
            Ok(())
        })
        .await
    }

    pub async fn set_escalation_ladder(&self, who: &[String]) -> Result<Charter, Error> {
        let ids = self.resolve_members(who).await?;
        let mut names = Vec::new();
        for id in &ids {
            names.push(self.get::<Member>(&id.parse()?).await?.display_name);
        }
        let what = format!(
            "urgent messages escalate along {}",
            if names.is_empty() {
                "no ladder".into()
            } else {
                names.join(" → ")
            }
        );
        self.change_charter(what, |c| {
            c.escalation_ladder = ids;
            Ok(())
        })
        .await
    }

    pub async fn set_quiet_hours(&self, hours: &str) -> Result<Charter, Error> {
        let (start, end) =
            hours
                .trim()
                .split_once('-')
                .ok_or_else(|| meridian_core::Error::InvalidRange {
                    field: "quiet hours",
                    detail: format!(
                        "`{}` is not a range; write e.g. 20:00-08:00",
                        hours.chars().take(40).collect::<String>()
                    ),
                })?;
        let start = time::format_minute(time::parse_minute("quiet hours", start)?);
        let end = time::format_minute(time::parse_minute("quiet hours", end)?);
        self.change_charter(format!("quiet hours are {start}-{end}"), |c| {
            c.quiet_hours = meridian_core::QuietHours { start, end };
            Ok(())
        })
        .await
    }

    pub async fn set_urgent_budget(&self, per_week: u32) -> Result<Charter, Error> {
        self.change_charter(
            format!("each sender may send {per_week} urgent messages a week"),
            |c| {
                c.urgent_budget_per_week = per_week;
                Ok(())
            },
        )
        .await
    }

    pub async fn set_meeting_rules(
        &self,
        agenda_due: Option<u32>,
        summary_due: Option<u32>,
    ) -> Result<Charter, Error> {
        let (_, current) = self.charter().await?;
        let agenda = agenda_due.unwrap_or(current.meeting_rules.agenda_due_hours_before);
        let summary = summary_due.unwrap_or(current.meeting_rules.summary_due_hours_after);
        let what = format!(
            "agendas are due {agenda} working hours before a meeting, summaries {summary} after"
        );
        self.change_charter(what, |c| {
            c.meeting_rules.agenda_due_hours_before = agenda;
            c.meeting_rules.summary_due_hours_after = summary;
            Ok(())
        })
        .await
    }
}

fn member_view(id: &str, member: Member) -> MemberView {
    MemberView {
        id: id.parse().unwrap_or_else(|_| DocId::from_bytes([0; 16])),
        hours: time::format_hours(&member.working_hours),
        member,
    }
}

/// Where the entry `wanted` of a member's list (`what`: focus block or out-of-office
/// range) is, given the ids of the list.
fn entry_index<'a>(
    what: &'static str,
    mut ids: impl Iterator<Item = &'a String>,
    wanted: &str,
) -> Result<usize, Error> {
    ids.position(|id| id == wanted).ok_or_else(|| {
        meridian_core::Error::InvalidRange {
            field: what,
            detail: format!(
                "there is no {what} with id `{}` (it may have been removed on another device)",
                wanted.chars().take(40).collect::<String>()
            ),
        }
        .into()
    })
}

fn agenda_item(title: String) -> AgendaItem {
    AgendaItem {
        id: item_id(),
        title,
        owner: None,
        minutes: 10,
        notes: String::new(),
        pre_reads: Vec::new(),
        resolved_async: false,
    }
}

fn meeting_times(
    id: &DocId,
    m: &Meeting,
    charter: &Charter,
    people: &BTreeMap<String, Person>,
) -> MeetingTimes {
    let start = from_ms(m.start_ms);
    let end = start + TimeDelta::minutes(i64::from(m.duration_min));
    let attendees: Vec<&Person> = m.attendees.iter().filter_map(|a| people.get(a)).collect();
    let mut problem = None;
    let agenda_due = match norms::agenda_deadline(charter, &attendees, start) {
        Ok(d) => Some(d),
        Err(e) => {
            problem = Some(e.to_string());
            None
        }
    };
    let organiser = m
        .organiser
        .as_deref()
        .and_then(|o| people.get(o))
        .or(attendees.first().copied());
    let summary_due = organiser.and_then(|o| match norms::summary_due(charter, o, end) {
        Ok(d) => Some(d),
        Err(e) => {
            problem.get_or_insert(e.to_string());
            None
        }
    });
    MeetingTimes {
        id: id.clone(),
        title: m.title.clone(),
        state: m.state,
        start: utc_rfc3339(start),
        agenda_due: agenda_due.map(utc_rfc3339),
        agenda_due_local: agenda_due
            .map(|d| {
                attendees
                    .iter()
                    .map(|p| LocalTime {
                        member: p.id.clone(),
                        name: p.name().to_owned(),
                        local: p.local_rfc3339(d),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        summary_due: summary_due.map(utc_rfc3339),
        problem,
        async_thread: m.async_thread.clone(),
    }
}
