//! Scheduling: creating a meeting, its agenda deadline (per attendee) and summary due time,
//! fair slot suggestions, and turning a meeting whose agenda is still empty at its deadline
//! into an async thread. The rules are in `meridian_core::{time, norms}`.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use meridian_core::norms::{self, Person, from_ms, utc_rfc3339};
use meridian_core::time::Span;
use meridian_core::{AgendaItem, Meeting, MeetingState};

use super::*;

impl Workspace {
    pub async fn create_meeting(&self, new: NewMeeting) -> Result<(DocId, MeetingTimes), Error> {
        let me = self.workspace_info().me;
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

    /// A meeting's agenda deadline (per attendee) and summary due time.
    pub async fn meeting_times(&self, id: &DocId) -> Result<MeetingTimes, Error> {
        let m: Meeting = self.get(id).await?;
        let snap_charter = self.charter_doc().await?.1;
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
    pub(in crate::workspace) async fn convert_in(
        &self,
        snap: &Snapshot,
        at: DateTime<Utc>,
    ) -> Result<Vec<DocId>, Error> {
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
                .unwrap_or_else(|| self.workspace_info().me.id.to_string());
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
        let me = self.workspace_info().me.id.to_string();
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
