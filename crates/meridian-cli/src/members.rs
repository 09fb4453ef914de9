//! Members of the workspace: add, list, edit, out of office, focus blocks.

use std::io::{self, Write};

use meridian_app::core::{FocusBlock, Travel};
use meridian_app::{MemberPatch, MemberView, NewFocus, Workspace};
use serde::Serialize;

use crate::args::MemberCmd;
use crate::output::{Reply, Report};

pub async fn member(ws: &Workspace, cmd: MemberCmd) -> anyhow::Result<Reply> {
    match cmd {
        MemberCmd::Add {
            name,
            tz,
            hours,
            role,
        } => {
            let id = ws.add_member(&name, &tz, role, hours.as_deref()).await?;
            let member = ws.member(&id).await?;
            Ok(Box::new(MemberLine {
                verb: "Added",
                member,
            }))
        }
        MemberCmd::List => Ok(Box::new(Members(ws.members().await?))),
        MemberCmd::Edit {
            who,
            name,
            tz,
            role,
            hours,
            travel_tz,
            travel_from,
            travel_to,
            no_travel,
        } => {
            let id = ws.resolve_member(&who).await?;
            let travel = match (travel_tz, travel_from, travel_to) {
                (Some(tz), Some(from), Some(to)) => Some(Some(Travel { tz, from, to })),
                _ if no_travel => Some(None),
                _ => None,
            };
            let patch = MemberPatch {
                name,
                tz,
                role,
                hours,
                travel,
            };
            let member = ws.update_member(&id, patch).await?;
            Ok(Box::new(MemberLine {
                verb: "Updated",
                member,
            }))
        }
        MemberCmd::Ooo {
            who,
            from,
            to,
            note,
        } => {
            let id = ws.resolve_member(&who).await?;
            let member = ws.add_out_of_office(&id, &from, &to, &note).await?;
            Ok(Box::new(OutOfOffice { member, from, to }))
        }
        MemberCmd::Focus {
            who,
            days,
            date,
            from,
            to,
        } => {
            let id = ws.resolve_member(&who).await?;
            let new = NewFocus {
                days,
                date,
                start: from,
                end: to,
            };
            let member = ws.add_focus_block(&id, new).await?;
            Ok(Box::new(Focus(member)))
        }
    }
}

/// A member added or changed, in one line.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct MemberLine {
    member: MemberView,
    #[serde(skip)]
    verb: &'static str,
}

impl Report for MemberLine {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let m = &self.member;
        writeln!(
            out,
            "{} {}  {}  {}  {}",
            self.verb, m.id, m.member.display_name, m.member.tz, m.hours
        )
    }
}

/// Every member with zone, role, hours, focus, absences and travel.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Members(Vec<MemberView>);

impl Report for Members {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        for m in &self.0 {
            let mut extra = String::new();
            if !m.member.focus_blocks.is_empty() {
                extra.push_str(&format!("  focus: {}", focus_text(&m.member.focus_blocks)));
            }
            for o in &m.member.out_of_office {
                extra.push_str(&format!("  away {}..{}", o.from, o.to));
            }
            if let Some(t) = &m.member.travel {
                extra.push_str(&format!("  travelling: {} {}..{}", t.tz, t.from, t.to));
            }
            writeln!(
                out,
                "{}  {:<16} {:<22} {:<7} {}{}",
                m.id, m.member.display_name, m.member.tz, m.member.role, m.hours, extra
            )?;
        }
        Ok(())
    }
}

/// A member after `member ooo`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct OutOfOffice {
    member: MemberView,
    #[serde(skip)]
    from: String,
    #[serde(skip)]
    to: String,
}

impl Report for OutOfOffice {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{} is out of office {} to {}.",
            self.member.member.display_name, self.from, self.to
        )
    }
}

/// A member after `member focus`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Focus(MemberView);

impl Report for Focus {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{} focuses {}.",
            self.0.member.display_name,
            focus_text(&self.0.member.focus_blocks)
        )
    }
}

fn focus_text(blocks: &[FocusBlock]) -> String {
    blocks
        .iter()
        .map(|f| {
            let when = match &f.date {
                Some(d) => d.clone(),
                None => f
                    .weekdays
                    .iter()
                    .map(|d| meridian_app::core::time::weekday_name(*d))
                    .collect::<Vec<_>>()
                    .join(","),
            };
            format!("{when} {}-{}", f.start, f.end)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Display names of members given by id (the charter's ladder, an escalation).
pub async fn names(ws: &Workspace, ids: &[String]) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for id in ids {
        names.push(ws.member(&id.parse()?).await?.member.display_name);
    }
    Ok(names)
}
