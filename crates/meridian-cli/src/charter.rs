//! The team's charter: message kinds and their reply expectations, quiet hours, the
//! escalation ladder, the urgent budget, meeting rules. (The rules themselves are
//! `meridian_core::norms`.)

use std::io::{self, Write};

use anyhow::bail;
use meridian_app::Workspace;
use meridian_app::core::Charter;
use meridian_app::core::time::parse_duration_minutes;
use serde::Serialize;

use crate::args::CharterCmd;
use crate::members::names;
use crate::output::{Reply, Report};

pub async fn charter(ws: &Workspace, cmd: CharterCmd) -> anyhow::Result<Reply> {
    let charter = match cmd {
        CharterCmd::Show => ws.charter().await?,
        CharterCmd::Kind { name, reply_within } => {
            let hours = if reply_within.trim().eq_ignore_ascii_case("none") {
                None
            } else {
                let minutes = parse_duration_minutes(&reply_within)?;
                if minutes % 60 != 0 {
                    bail!("reply expectations are whole working hours, e.g. 8h");
                }
                Some(minutes / 60)
            };
            ws.set_message_kind(&name, hours).await?
        }
        CharterCmd::Ladder { members } => ws.set_escalation_ladder(&members).await?,
        CharterCmd::Quiet { hours } => ws.set_quiet_hours(&hours).await?,
        CharterCmd::Budget { per_week } => ws.set_urgent_budget(per_week).await?,
        CharterCmd::Meetings {
            agenda_due,
            summary_due,
        } => ws.set_meeting_rules(agenda_due, summary_due).await?,
    };
    let ladder = names(ws, &charter.escalation_ladder).await?;
    Ok(Box::new(CharterReport { charter, ladder }))
}

/// The charter, after any change.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CharterReport {
    charter: Charter,
    /// The escalation ladder by name.
    #[serde(skip)]
    ladder: Vec<String>,
}

impl Report for CharterReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let charter = &self.charter;
        writeln!(
            out,
            "Message kinds (reply expected within the recipient's working hours):"
        )?;
        for k in &charter.message_kinds {
            let within = k
                .reply_within_hours
                .map_or("no reply expected".to_owned(), |h| format!("{h}h"));
            let focus = if k.breaks_focus {
                "  (breaks focus, with a reason)"
            } else {
                ""
            };
            writeln!(out, "  {:<16} {within}{focus}", k.name)?;
        }
        writeln!(
            out,
            "Quiet hours: {}-{}",
            charter.quiet_hours.start, charter.quiet_hours.end
        )?;
        writeln!(
            out,
            "Escalation ladder: {}",
            if self.ladder.is_empty() {
                "(none)".to_owned()
            } else {
                self.ladder.join(" → ")
            }
        )?;
        writeln!(
            out,
            "Urgent budget: {} per sender per 7 days",
            charter.urgent_budget_per_week
        )?;
        writeln!(
            out,
            "Meetings: agenda due {}h before, summary due {}h after (working hours)",
            charter.meeting_rules.agenda_due_hours_before,
            charter.meeting_rules.summary_due_hours_after
        )
    }
}
