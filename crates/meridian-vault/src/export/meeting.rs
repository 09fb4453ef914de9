//! A meeting as the mirror's `meetings/YYYY-MM-DD-slug.md`.

use chrono::{DateTime, SecondsFormat};
use meridian_core::{DocId, Meeting};
use serde_yaml_ng::{Mapping, Value};

use super::render::{block, front_matter, one_line, put, put_opt, strings};
use crate::import::sections::{
    AGENDA, MINUTES, NOTES, OWNER, PRE_READ, RESOLVED, SUMMARY, item_marker, meta_line, zone_of,
};

/// A meeting as Markdown: front matter (id, `kind: meeting`, start as RFC 3339 in the
/// organiser's zone, duration_min, organiser_tz, organiser, weekly, status, attendees, the
/// decisions sought, the resulting decisions and tasks, the async thread), then `# Title`,
/// the purpose, `## Agenda` with one `### Item` section per item (a `<!-- item: ID -->`
/// marker, `- owner:`, `- minutes:`, `- pre-read:` lines, then its notes), `## Notes` and
/// `## Summary`. People are member ids, as in page and decision files.
pub fn render_meeting(id: &DocId, m: &Meeting) -> String {
    let mut fm = Mapping::new();
    put(&mut fm, "id", id.as_str());
    put(&mut fm, "kind", "meeting");
    put(&mut fm, "start", &start_text(m.start_ms, &m.organiser_tz));
    fm.insert("duration_min".into(), Value::Number(m.duration_min.into()));
    put(&mut fm, "organiser_tz", &m.organiser_tz);
    put_opt(&mut fm, "organiser", m.organiser.as_deref());
    fm.insert("weekly".into(), Value::Bool(m.weekly));
    put(&mut fm, "status", m.state.as_str());
    fm.insert("attendees".into(), strings(&m.attendees));
    for (key, list) in [
        ("decisions_sought", &m.decisions_sought),
        ("decisions", &m.decisions),
        ("tasks", &m.tasks),
    ] {
        if !list.is_empty() {
            fm.insert(key.into(), strings(list));
        }
    }
    put_opt(&mut fm, "async_thread", m.async_thread.as_deref());

    let mut out = front_matter(&fm);
    out.push_str(&format!("# {}\n", one_line(&m.title)));
    if !m.purpose.trim().is_empty() {
        out.push('\n');
        out.push_str(m.purpose.trim());
        out.push('\n');
    }
    block(&mut out, &format!("## {AGENDA}"), "");
    for item in &m.agenda {
        out.push_str(&format!(
            "\n### {}\n{}\n",
            one_line(&item.title),
            item_marker(&item.id)
        ));
        if let Some(owner) = &item.owner {
            out.push_str(&meta_line(OWNER, owner));
        }
        out.push_str(&meta_line(MINUTES, &item.minutes.to_string()));
        for p in &item.pre_reads {
            out.push_str(&meta_line(PRE_READ, p));
        }
        if item.resolved_async {
            out.push_str(&meta_line(RESOLVED, "yes"));
        }
        if !item.notes.trim().is_empty() {
            out.push('\n');
            out.push_str(item.notes.trim());
            out.push('\n');
        }
    }
    block(&mut out, &format!("## {NOTES}"), m.notes.trim());
    block(&mut out, &format!("## {SUMMARY}"), m.summary.trim());
    out
}

/// The day a meeting starts in its organiser's zone, `YYYY-MM-DD`: the start of its file
/// name.
pub fn meeting_date(m: &Meeting) -> String {
    let start = DateTime::from_timestamp_millis(m.start_ms).unwrap_or_default();
    start
        .with_timezone(&zone_of(&m.organiser_tz))
        .format("%Y-%m-%d")
        .to_string()
}

/// RFC 3339 with the organiser's offset (UTC when the zone is unknown); fractions of a
/// second only when there are some, so the instant reads back exactly.
fn start_text(ms: i64, tz: &str) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&zone_of(tz))
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}
