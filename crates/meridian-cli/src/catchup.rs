//! Catch-up: what others changed since this device last looked (`catch-up`), marking it
//! seen (`seen ID` / `seen --all`), and following objects (`follow`, `unfollow`).

use std::io::{self, Write};

use meridian_app::core::DocId;
use meridian_app::core::diff::Hunk;
use meridian_app::{CatchUpView, Following, Workspace};
use serde::Serialize;

use crate::input::opt_instant;
use crate::output::{Reply, Report, local, utc};

pub async fn catch_up(ws: &Workspace, since: Option<&str>) -> anyhow::Result<Reply> {
    Ok(Box::new(CatchUp(ws.catch_up(opt_instant(since)?).await?)))
}

pub async fn seen(ws: &Workspace, id: Option<DocId>, all: bool) -> anyhow::Result<Reply> {
    match (id, all) {
        (Some(_), true) => anyhow::bail!("give an id or --all, not both"),
        (None, false) => anyhow::bail!(
            "say what you have seen: an object id (from `meridian catch-up`), or --all"
        ),
        (Some(id), false) => {
            ws.mark_seen(&id, None).await?;
            Ok(Box::new(Seen {
                seen: vec![id],
                all: false,
            }))
        }
        (None, true) => {
            let before = ws.catch_up(None).await?;
            ws.mark_all_seen().await?;
            let seen = before
                .items
                .iter()
                .filter_map(|i| i.id.parse().ok())
                .collect();
            Ok(Box::new(Seen { seen, all: true }))
        }
    }
}

pub async fn follow(ws: &Workspace, id: &DocId, on: bool) -> anyhow::Result<Reply> {
    Ok(Box::new(Follow(ws.follow(id, on).await?)))
}

#[derive(Debug, Serialize)]
#[serde(transparent)]
struct CatchUp(CatchUpView);

/// At most this many characters of a diff's text are printed per hunk.
const HUNK_CHARS: usize = 160;

impl Report for CatchUp {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let v = &self.0;
        match &v.since {
            Some(since) => writeln!(out, "Catch-up since {}", utc(since))?,
            None => writeln!(out, "Catch-up")?,
        }
        if v.items.is_empty() {
            writeln!(out, "  Nothing new for you.")?;
            return Ok(());
        }
        for g in &v.groups {
            writeln!(out, "{} ({})", g.label, g.count)?;
            for i in v.items.iter().filter(|i| i.group == g.group) {
                let due = i
                    .due_local
                    .as_deref()
                    .map(|d| format!(" · due {}", local(d)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {:<8} {}  — {}{}  ({} change{}, last {})  {}",
                    i.kind,
                    i.title,
                    i.detail,
                    due,
                    i.changes,
                    if i.changes == 1 { "" } else { "s" },
                    utc(&i.changed_at),
                    i.id
                )?;
                if let Some(d) = &i.diff {
                    for h in &d.hunks {
                        let (sign, text) = match h {
                            Hunk::Added(t) => ('+', t),
                            Hunk::Removed(t) => ('-', t),
                            Hunk::Same(_) => continue,
                        };
                        let text: String = text.trim().chars().take(HUNK_CHARS).collect();
                        if !text.is_empty() {
                            writeln!(out, "      {sign} {}", text.replace('\n', " ⏎ "))?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn advice(&self, err: &mut dyn Write) -> io::Result<()> {
        if !self.0.items.is_empty() {
            writeln!(
                err,
                "`meridian seen ID` marks one seen, `meridian seen --all` all of them."
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, Serialize)]
struct Seen {
    seen: Vec<DocId>,
    all: bool,
}

impl Report for Seen {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.all {
            writeln!(
                out,
                "Marked everything seen ({} item{}).",
                self.seen.len(),
                if self.seen.len() == 1 { "" } else { "s" }
            )
        } else {
            for id in &self.seen {
                writeln!(out, "Marked {id} seen.")?;
            }
            Ok(())
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Follow(Following);

impl Report for Follow {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let f = &self.0;
        if f.following {
            writeln!(
                out,
                "Following {}: its changes show in `meridian catch-up`.",
                f.id
            )
        } else {
            writeln!(out, "No longer following {}.", f.id)
        }
    }
}
