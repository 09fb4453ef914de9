//! Meetings: schedule (with the agenda deadline on every attendee's clock), the agenda,
//! notes and summary, action items, state, the outcome, going async without an agenda,
//! and fair slots. One function per subcommand.

use std::io::{self, Write};

use anyhow::anyhow;
use meridian_app::core::norms::{Slot, utc_rfc3339};
use meridian_app::core::time::parse_duration_minutes;
use meridian_app::core::{DecisionStatus, DocId, Meeting, MeetingState};
use meridian_app::{
    AgendaItemPatch, MeetingOutcome, MeetingText, MeetingTimes, NewAgendaItem, NewMeeting,
    NewOption, NewTask, ObjectSummary, SlotQuery, Summarised, Workspace,
};
use serde::Serialize;

use crate::args::{BodyArgs, MeetingCmd};
use crate::commands::done;
use crate::input::{instant, opt_instant, read_text};
use crate::output::{Reply, Report, local, utc};

pub async fn meeting(ws: &Workspace, cmd: MeetingCmd) -> anyhow::Result<Reply> {
    match cmd {
        MeetingCmd::New {
            title,
            start,
            duration,
            attendees,
            purpose,
            decisions_sought,
            items,
        } => {
            let new = NewMeeting {
                title,
                purpose,
                start,
                duration_min: parse_duration_minutes(&duration)?,
                attendees,
                items,
                decisions_sought,
            };
            schedule(ws, new).await
        }
        MeetingCmd::Item {
            id,
            title,
            owner,
            minutes,
            pre_reads,
            notes,
        } => {
            let new = NewAgendaItem {
                title,
                owner,
                minutes,
                pre_reads,
                notes,
            };
            ws.add_agenda_item(&id, new).await?;
            done(ws, &id, "Added an agenda item to").await
        }
        MeetingCmd::ItemEdit {
            id,
            item,
            title,
            owner,
            no_owner,
            minutes,
            notes,
            pre_reads,
            resolved,
            unresolved,
        } => {
            let patch = AgendaItemPatch {
                title,
                owner: if no_owner {
                    Some(None)
                } else {
                    owner.map(Some)
                },
                minutes,
                notes,
                pre_reads: (!pre_reads.is_empty()).then_some(pre_reads),
                resolved_async: match (resolved, unresolved) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
            };
            ws.update_agenda_item(&id, &item, patch).await?;
            done(ws, &id, "Changed an agenda item of").await
        }
        MeetingCmd::ItemRemove { id, item } => {
            ws.remove_agenda_item(&id, &item).await?;
            done(ws, &id, "Removed an agenda item from").await
        }
        MeetingCmd::ItemMove { id, item, to } => {
            ws.move_agenda_item(&id, &item, to.saturating_sub(1))
                .await?;
            done(ws, &id, "Reordered the agenda of").await
        }
        MeetingCmd::Note { id, body } => set_text(ws, &id, MeetingText::Notes, &body).await,
        MeetingCmd::Summary { id, body } => set_text(ws, &id, MeetingText::Summary, &body).await,
        MeetingCmd::Action {
            id,
            title,
            owner,
            due,
        } => {
            let new = NewTask {
                title,
                owner,
                due,
                source: None,
            };
            let task = ws.add_action_item(&id, new).await?;
            done(ws, &task, "Created").await
        }
        MeetingCmd::State { id, state } => {
            ws.set_meeting_state(&id, state).await?;
            done(ws, &id, "Updated").await
        }
        MeetingCmd::Summarise {
            id,
            summary,
            decision,
            item,
            options,
            chosen,
            rationale,
        } => {
            let outcome = Outcome {
                summary,
                decision,
                item,
                options,
                chosen,
                rationale,
            };
            summarise(ws, &id, outcome).await
        }
        MeetingCmd::Times { id } => Ok(Box::new(Times {
            times: ws.meeting_times(&id).await?,
            scheduled: false,
        })),
        MeetingCmd::Convert { at } => convert(ws, at.as_deref()).await,
        MeetingCmd::Edit {
            id,
            title,
            start,
            duration,
            purpose,
            items,
            state,
            summary,
        } => {
            let change = Change {
                title,
                start,
                duration,
                purpose,
                items,
                state,
                summary,
            };
            edit(ws, &id, change).await
        }
    }
}

async fn schedule(ws: &Workspace, new: NewMeeting) -> anyhow::Result<Reply> {
    let (_, times) = ws.create_meeting(new).await?;
    Ok(Box::new(Times {
        times,
        scheduled: true,
    }))
}

/// A meeting's agenda deadline on every attendee's clock and its summary due time, after
/// `meeting new` or `meeting times`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Times {
    times: MeetingTimes,
    #[serde(skip)]
    scheduled: bool,
}

impl Report for Times {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let t = &self.times;
        if self.scheduled {
            writeln!(
                out,
                "Scheduled meeting {} \"{}\" at {}",
                t.id,
                t.title,
                utc(&t.start)
            )?;
        } else {
            writeln!(
                out,
                "{} \"{}\" ({}) at {}",
                t.id,
                t.title,
                t.state,
                utc(&t.start)
            )?;
        }
        match &t.agenda_due {
            Some(due) => {
                writeln!(out, "  agenda due {}", utc(due))?;
                for l in &t.agenda_due_local {
                    writeln!(out, "    {:<16} {}", l.name, local(&l.local))?;
                }
            }
            None => writeln!(out, "  agenda deadline unknown")?,
        }
        if let Some(s) = &t.summary_due {
            writeln!(out, "  summary due {}", utc(s))?;
        }
        if let Some(p) = &t.problem {
            writeln!(out, "  note: {p}")?;
        }
        if let Some(th) = &t.async_thread {
            writeln!(out, "  converted to the async thread {th}")?;
        }
        Ok(())
    }
}

/// `meeting note` and `meeting summary`.
async fn set_text(
    ws: &Workspace,
    id: &DocId,
    which: MeetingText,
    body: &BodyArgs,
) -> anyhow::Result<Reply> {
    let (what, verb) = match which {
        MeetingText::Notes => ("notes", "Updated the notes of"),
        MeetingText::Summary => ("summary", "Updated the summary of"),
    };
    let text =
        read_text(body)?.ok_or_else(|| anyhow!("give the {what} with --body or --body-file"))?;
    ws.set_meeting_text(id, which, text).await?;
    done(ws, id, verb).await
}

/// `meeting summarise`'s flags.
struct Outcome {
    summary: Option<String>,
    decision: Option<String>,
    item: Option<String>,
    options: Vec<String>,
    chosen: Option<String>,
    rationale: Option<String>,
}

async fn summarise(ws: &Workspace, id: &DocId, o: Outcome) -> anyhow::Result<Reply> {
    let wants_decision = o.decision.is_some() || o.item.is_some() || o.chosen.is_some();
    let decision = if wants_decision {
        let mut d = ws.draft_meeting_decision(id, o.item.as_deref()).await?;
        if let Some(t) = o.decision {
            d.title = t;
        }
        d.options = o
            .options
            .into_iter()
            .map(|title| NewOption {
                title,
                ..NewOption::default()
            })
            .collect();
        d.status = o.chosen.as_ref().map(|_| DecisionStatus::Accepted);
        d.chosen = o.chosen;
        d.rationale = o.rationale.unwrap_or_default();
        Some(d)
    } else {
        None
    };
    let outcome = MeetingOutcome {
        summary: o.summary,
        decision,
        agenda_item: o.item,
        tasks: Vec::new(),
    };
    let summarised = ws.summarise_meeting(id, outcome).await?;
    let decision = match &summarised.decision {
        Some(d) => Some(ws.summary(d).await?),
        None => None,
    };
    Ok(Box::new(SummarisedReport {
        summarised,
        id: id.clone(),
        decision,
    }))
}

/// A summarised meeting and the decision it reached.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct SummarisedReport {
    summarised: Summarised,
    #[serde(skip)]
    id: DocId,
    #[serde(skip)]
    decision: Option<ObjectSummary>,
}

impl Report for SummarisedReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Summarised meeting {} \"{}\"",
            self.id, self.summarised.meeting.title
        )?;
        if let Some(s) = &self.decision {
            writeln!(
                out,
                "  decision {} \"{}\" ({})",
                s.id,
                s.title,
                s.status.clone().unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

async fn convert(ws: &Workspace, at: Option<&str>) -> anyhow::Result<Reply> {
    let converted = ws.convert_unprepared_meetings(opt_instant(at)?).await?;
    let mut meetings = Vec::new();
    for id in &converted {
        meetings.push(ws.get::<Meeting>(id).await?);
    }
    Ok(Box::new(Converted {
        converted,
        meetings,
    }))
}

/// Meetings that went async for want of an agenda.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Converted {
    converted: Vec<DocId>,
    #[serde(skip)]
    meetings: Vec<Meeting>,
}

impl Report for Converted {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.meetings.is_empty() {
            writeln!(
                out,
                "No meeting is past its agenda deadline with an empty agenda."
            )?;
        }
        for m in &self.meetings {
            writeln!(
                out,
                "\"{}\" had no agenda at its deadline: it continues as thread {}",
                m.title,
                m.async_thread.clone().unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

/// `meeting edit`'s flags.
struct Change {
    title: Option<String>,
    start: Option<String>,
    duration: Option<String>,
    purpose: Option<String>,
    items: Vec<String>,
    state: Option<MeetingState>,
    summary: Option<String>,
}

async fn edit(ws: &Workspace, id: &DocId, c: Change) -> anyhow::Result<Reply> {
    for item in &c.items {
        let new = NewAgendaItem {
            title: item.clone(),
            minutes: 10,
            ..NewAgendaItem::default()
        };
        ws.add_agenda_item(id, new).await?;
    }
    let start = c.start.as_deref().map(instant).transpose()?;
    let duration = c
        .duration
        .as_deref()
        .map(parse_duration_minutes)
        .transpose()?;
    let state = c.state;
    let (title, purpose, summary) = (c.title, c.purpose, c.summary);
    ws.update::<Meeting>(id, |m| {
        if let Some(t) = title {
            m.title = t.trim().to_owned();
        }
        if let Some(s) = start {
            m.start_ms = s.timestamp_millis();
        }
        if let Some(d) = duration {
            m.duration_min = d;
        }
        if let Some(p) = purpose {
            m.purpose = p;
        }
        if let Some(s) = state {
            m.state = s;
        }
        if let Some(s) = summary {
            m.summary = s;
        }
        Ok(())
    })
    .await?;
    done(ws, id, "Updated").await
}

pub async fn slots(
    ws: &Workspace,
    with: Vec<String>,
    duration: &str,
    within: &str,
    from: Option<String>,
    limit: u32,
) -> anyhow::Result<Reply> {
    let within_min = parse_duration_minutes(within)?;
    let slots = ws
        .suggest_slots(SlotQuery {
            with,
            duration_min: parse_duration_minutes(duration)?,
            from: from.map(|f| instant(&f).map(utc_rfc3339)).transpose()?,
            within_days: within_min.div_ceil(1440),
            limit,
        })
        .await?;
    Ok(Box::new(Slots(slots)))
}

/// Meeting slots, fairest first, with each attendee's local start.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Slots(Vec<Slot>);

impl Report for Slots {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            writeln!(out, "No slot of that length fits in the window.")?;
        }
        for s in &self.0 {
            writeln!(out, "{}  fairness {:>3}", utc(&s.start), s.fairness)?;
            for a in &s.attendees {
                let mut how = match (&a.outside, a.out_of_office) {
                    (_, true) => " OUT OF OFFICE".to_owned(),
                    (Some(w), _) => {
                        format!(" {w}, {} min outside working hours", a.minutes_outside)
                    }
                    (None, _) => String::new(),
                };
                if a.minutes_in_focus > 0 {
                    how.push_str(&format!(" (in a focus block {} min)", a.minutes_in_focus));
                }
                writeln!(out, "    {:<16} {}{how}", a.name, local(&a.local_start))?;
            }
        }
        Ok(())
    }
}
