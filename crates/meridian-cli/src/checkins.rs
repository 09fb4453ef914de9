//! Check-ins: create, what they ask me today, edit, answer, the digest.

use std::io::{self, Write};

use meridian_app::core::Checkin;
use meridian_app::core::norms::CheckinDigest;
use meridian_app::core::time::parse_weekdays;
use meridian_app::{CheckinsView, NewCheckin, Workspace};
use serde::Serialize;

use crate::args::CheckinCmd;
use crate::commands::done;
use crate::output::{Reply, Report, local};

pub async fn checkin(ws: &Workspace, cmd: CheckinCmd) -> anyhow::Result<Reply> {
    match cmd {
        CheckinCmd::New {
            title,
            questions,
            participants,
            days,
            at,
        } => {
            let new = NewCheckin {
                title,
                questions,
                weekdays: parse_weekdays(&days)?,
                prompt_time: at,
                participants,
            };
            let (id, _) = ws.create_checkin(new).await?;
            done(ws, &id, "Created").await
        }
        CheckinCmd::Today => Ok(Box::new(Today(ws.checkins(None).await?))),
        CheckinCmd::Edit {
            id,
            title,
            questions,
            days,
            at,
        } => {
            let days = days.as_deref().map(parse_weekdays).transpose()?;
            ws.update::<Checkin>(&id, |c| {
                if let Some(v) = title {
                    c.title = v.trim().to_owned();
                }
                if !questions.is_empty() {
                    c.questions = questions;
                }
                if let Some(d) = days {
                    c.weekdays = d;
                }
                if let Some(a) = at {
                    c.prompt_time = a;
                }
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated").await
        }
        CheckinCmd::Answer {
            id,
            answers,
            as_member,
        } => {
            ws.answer_checkin(&id, answers, as_member.as_deref())
                .await?;
            done(ws, &id, "Answered").await
        }
        CheckinCmd::Digest { id, date } => Ok(Box::new(Digest(
            ws.checkin_digest(&id, date.as_deref()).await?,
        ))),
    }
}

/// What my check-ins ask today, and what I answered.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Today(CheckinsView);

impl Report for Today {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let view = &self.0;
        let mine: Vec<_> = view.cards.iter().filter(|c| c.participant).collect();
        if mine.is_empty() {
            writeln!(
                out,
                "No check-in asks you anything. Create one with `meridian checkin new --title … --question …`."
            )?;
        }
        writeln!(out, "Check-ins for {} ({})", view.today, view.me.tz)?;
        for c in mine {
            let state = if c.due {
                format!(
                    "due now (asked {})",
                    c.prompt_local.as_deref().map(local).unwrap_or_default()
                )
            } else if c.my_answers.is_some() {
                "answered today".to_owned()
            } else if c.asks_today {
                format!(
                    "asks at {}",
                    c.prompt_local.as_deref().map(local).unwrap_or_default()
                )
            } else {
                "nothing today".to_owned()
            };
            writeln!(out, "  {}  {}  — {state}", c.id, c.title)?;
            let answers = c.my_answers.clone().unwrap_or_default();
            for (i, q) in c.questions.iter().enumerate() {
                match answers.get(i) {
                    Some(a) => writeln!(out, "    {q}  {a}")?,
                    None => writeln!(out, "    {q}")?,
                }
            }
            if !c.due
                && let Some(n) = &c.next_prompt_local
            {
                writeln!(out, "    next: {}", local(n))?;
            }
        }
        Ok(())
    }
}

/// Everyone's answers for one local date.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Digest(CheckinDigest);

impl Report for Digest {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let d = &self.0;
        writeln!(out, "{} — {}", d.title, d.date)?;
        for a in &d.answers {
            writeln!(out, "  {}:", a.name)?;
            for (q, ans) in d.questions.iter().zip(&a.answers) {
                writeln!(out, "    {q}  {ans}")?;
            }
        }
        if !d.missing.is_empty() {
            writeln!(out, "  not yet answered: {}", d.missing.join(", "))?;
        }
        Ok(())
    }
}
