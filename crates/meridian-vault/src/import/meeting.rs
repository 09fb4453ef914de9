//! A meeting file of the mirror (`meetings/YYYY-MM-DD-slug.md`) back into a meeting; the
//! format is [`crate::render_meeting`]'s.

use chrono::DateTime;
use meridian_core::{AgendaItem, Meeting, MeetingState};

use super::frontmatter::Meta;
use super::sections::{
    AGENDA, MINUTES, NOTES, OWNER, PRE_READ, RESOLVED, SUMMARY, field, invalid, no_other_keys,
    section_lead, shown, split_body, take_bool, take_list, take_text, yes_no,
};
use crate::Error;

/// Minutes of an item whose file gives none (the app's default).
const DEFAULT_MINUTES: u32 = 10;

/// Reads a meeting. `start` and `duration_min` are required; a missing `organiser_tz` is
/// empty and `status` scheduled (the engine fills in the rest for a new file). An agenda
/// item without a marker has an empty id: the engine adds it as a new item.
pub(super) fn build(mut meta: Meta, body: &str, now_ms: i64) -> Result<Meeting, Error> {
    let start = take_text(&mut meta, "start")?.ok_or_else(|| {
        invalid(
            "start",
            "a meeting file needs its start, e.g. `start: 2026-12-01T15:00:00+01:00`",
        )
    })?;
    let start_ms = DateTime::parse_from_rfc3339(&start)
        .map_err(|_| {
            invalid(
                "start",
                format!(
                    "`{}` is not a time: write RFC 3339 with the offset, e.g. 2026-12-01T15:00:00+01:00",
                    shown(&start)
                ),
            )
        })?
        .timestamp_millis();
    let duration = take_text(&mut meta, "duration_min")?.ok_or_else(|| {
        invalid(
            "duration_min",
            "a meeting file needs its length in minutes, e.g. `duration_min: 30`",
        )
    })?;
    let duration_min = duration.parse::<u32>().map_err(|_| {
        invalid(
            "duration_min",
            format!(
                "`{}` is not a number of minutes: write a whole number from 1 to 1440",
                shown(&duration)
            ),
        )
    })?;
    let organiser_tz = take_text(&mut meta, "organiser_tz")?.unwrap_or_default();
    let organiser = take_text(&mut meta, "organiser")?;
    let weekly = take_bool(&mut meta, "weekly")?.unwrap_or(false);
    let state = match take_text(&mut meta, "status")? {
        Some(s) => s
            .parse::<MeetingState>()
            .map_err(|e| invalid("status", e.to_string()))?,
        None => MeetingState::Scheduled,
    };
    let attendees = take_list(&mut meta, "attendees")?;
    let decisions_sought = take_list(&mut meta, "decisions_sought")?;
    let decisions = take_list(&mut meta, "decisions")?;
    let tasks = take_list(&mut meta, "tasks")?;
    let async_thread = take_text(&mut meta, "async_thread")?;
    no_other_keys(meta, "meeting")?;

    let body = split_body(body, &[AGENDA, NOTES, SUMMARY])?;
    let mut agenda = Vec::new();
    for (title, range) in body.subsections(AGENDA)? {
        agenda.push(item(&title, &body.outline.src[range])?);
    }
    Ok(Meeting {
        title: body.title.clone(),
        purpose: body.lead.clone(),
        decisions_sought,
        start_ms,
        duration_min,
        organiser_tz,
        organiser,
        weekly,
        attendees,
        agenda,
        notes: body.text(NOTES),
        summary: body.text(SUMMARY),
        decisions,
        tasks,
        state,
        async_thread,
        created_at_ms: now_ms,
    })
}

fn item(title: &str, text: &str) -> Result<AgendaItem, Error> {
    if title.is_empty() {
        return Err(invalid(
            "agenda item",
            "a `###` heading under `## Agenda` has no title: give the item one",
        ));
    }
    let lead = section_lead(
        text,
        "item",
        &[OWNER, MINUTES, PRE_READ, "pre-reads", RESOLVED],
    );
    let mut item = AgendaItem {
        id: lead
            .marker
            .as_deref()
            .and_then(|m| field(m, "item"))
            .unwrap_or_default()
            .to_owned(),
        title: title.to_owned(),
        owner: None,
        minutes: DEFAULT_MINUTES,
        notes: lead.rest,
        pre_reads: Vec::new(),
        resolved_async: false,
    };
    for (key, value) in lead.meta {
        match key {
            OWNER => item.owner = Some(value).filter(|v| !v.is_empty()),
            MINUTES => {
                item.minutes = value.parse().map_err(|_| {
                    invalid(
                        "minutes",
                        format!(
                            "`{}` (agenda item “{}”) is not a number of minutes: write a whole number",
                            shown(&value),
                            shown(title)
                        ),
                    )
                })?;
            }
            RESOLVED => {
                item.resolved_async = yes_no(&value).ok_or_else(|| {
                    invalid(RESOLVED, format!("`{}` is not yes or no", shown(&value)))
                })?;
            }
            _ => item.pre_reads.extend(Some(value).filter(|v| !v.is_empty())),
        }
    }
    Ok(item)
}
