//! Views across objects: the inbox (what waits for me, what I wait for) and the team clock.

use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};
use meridian_app::core::time::format_minute;
use meridian_app::{InboxView, TeamView, Workspace};
use serde::Serialize;

use crate::input::opt_instant;
use crate::output::{Reply, Report, local, utc};

pub async fn inbox(
    ws: &Workspace,
    as_member: Option<&str>,
    at: Option<&str>,
) -> anyhow::Result<Reply> {
    Ok(Box::new(Inbox(
        ws.inbox(as_member, opt_instant(at)?).await?,
    )))
}

/// What waits for me, and whom I wait for.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Inbox(InboxView);

impl Report for Inbox {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let view = &self.0;
        writeln!(out, "Inbox of {} at {}", view.me.name, utc(&view.at))?;
        if view.items.is_empty() {
            writeln!(out, "  Nothing waits for you.")?;
        }
        for i in &view.items {
            let due = match (&i.due_local, i.overdue) {
                (Some(l), true) => format!("OVERDUE since {}", local(l)),
                (Some(l), false) => format!("by {}", local(l)),
                (None, _) => "no deadline".into(),
            };
            writeln!(
                out,
                "  [{:<8}] {:<34} {}  — {}  {}",
                i.section, due, i.title, i.detail, i.id
            )?;
        }
        if !view.waiting.is_empty() {
            writeln!(out, "Waiting on others:")?;
            for w in &view.waiting {
                let state = if w.replied {
                    "replied".to_owned()
                } else {
                    match &w.reply_by_local {
                        Some(l) if w.overdue => format!("OVERDUE since {}", local(l)),
                        Some(l) => format!("reply by {}", local(l)),
                        None => "no reply expected".into(),
                    }
                };
                writeln!(out, "  {:<16} {:<34} {}", w.name, state, w.title)?;
            }
        }
        for c in &view.converted {
            writeln!(
                out,
                "Converted meeting {c} to an async thread (no agenda by its deadline)."
            )?;
        }
        Ok(())
    }
}

pub async fn team(ws: &Workspace, at: Option<&str>) -> anyhow::Result<Reply> {
    Ok(Box::new(Team(ws.team(opt_instant(at)?).await?)))
}

/// The team clock: everyone's local time and whether they are working.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Team(TeamView);

impl Report for Team {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let view = &self.0;
        writeln!(out, "Team at {}", utc(&view.at))?;
        for r in &view.rows {
            let local_time = DateTime::<FixedOffset>::parse_from_rfc3339(&r.local)
                .map(|t| t.format("%a %H:%M").to_string())
                .unwrap_or_default();
            let state = match (r.state.as_str(), &r.until) {
                ("working", Some(u)) => format!("working until {}", short_local(u, &r.local)),
                ("focusing", Some(u)) => format!("focusing until {}", short_local(u, &r.local)),
                (s, _) => s.to_owned(),
            };
            let next = r
                .next_reachable_local
                .as_deref()
                .map(|n| format!(", reachable {}", local(n)))
                .unwrap_or_default();
            let bars: Vec<String> = r
                .hours_today
                .iter()
                .map(|[a, b]| format!("{}-{}", format_minute(*a), format_minute(*b)))
                .collect();
            writeln!(
                out,
                "  {:<16} {:<22} {} {}  {state}{next}  [{}]",
                r.name,
                r.tz,
                local_time,
                r.offset,
                if bars.is_empty() {
                    "no hours today".into()
                } else {
                    bars.join(" ")
                }
            )?;
            if let Some(n) = &r.note {
                writeln!(out, "    note: {n}")?;
            }
        }
        Ok(())
    }
}

/// An instant (UTC) shown as `HH:MM` on the clock of `reference` (an RFC 3339 local time).
fn short_local(instant_utc: &str, reference: &str) -> String {
    let offset = DateTime::<FixedOffset>::parse_from_rfc3339(reference).map(|t| *t.offset());
    match (DateTime::parse_from_rfc3339(instant_utc), offset) {
        (Ok(t), Ok(o)) => t.with_timezone(&o).format("%H:%M").to_string(),
        _ => instant_utc.to_owned(),
    }
}
