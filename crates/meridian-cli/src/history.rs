//! `history`, `show --at`, `diff` and `restore --to`: an object's timeline, an old version,
//! the difference between two points, and restoring a version as a new edit.

use std::io::{self, Write};

use meridian_app::core::DocId;
use meridian_app::core::diff::Hunk;
use meridian_app::core::history::{FieldChange, FieldDiff};
use meridian_app::{HistoryPage, ObjectSummary, Shown, Version, VersionDiff, Workspace};
use serde::Serialize;

use crate::output::{self, Reply, Report};

/// A point as people type it back: each head's first 10 hex digits.
fn short(point: &str) -> String {
    point
        .split(',')
        .map(|h| &h[..h.len().min(10)])
        .collect::<Vec<_>>()
        .join(",")
}

/// The timeline, newest entry first.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Timeline {
    page: HistoryPage,
    #[serde(skip)]
    title: String,
    #[serde(skip)]
    kind: String,
    #[serde(skip)]
    limit: usize,
}

impl Report for Timeline {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.page;
        writeln!(
            out,
            "History of {} \"{}\": {} entries, {} changes (newest first)",
            self.kind, self.title, p.total_entries, p.total_changes
        )?;
        for e in &p.entries {
            let when = e
                .ended_at
                .as_deref()
                .map_or_else(|| "(no time)".to_owned(), output::local);
            let device = if e.this_device {
                "this device".to_owned()
            } else {
                format!("device {}", e.device)
            };
            let what = if e.created {
                "created".to_owned()
            } else if let Some(from) = &e.restored_from {
                format!("restored {}", short(from))
            } else if e.summary.fields.is_empty() {
                "no visible change".to_owned()
            } else {
                e.summary.fields.join(", ")
            };
            let words = if e.summary.words_added + e.summary.words_removed > 0 {
                format!(
                    "  +{} −{} words",
                    e.summary.words_added, e.summary.words_removed
                )
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {}  {when}  {} ({device}): {what}{words}  [{} change{}]",
                short(&e.point),
                e.author_name,
                e.changes,
                if e.changes == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }

    fn advice(&self, err: &mut dyn Write) -> io::Result<()> {
        if let Some(next) = self.page.next {
            writeln!(
                err,
                "Older entries: meridian history {} --offset {next} --limit {}",
                self.page.id, self.limit
            )?;
        }
        writeln!(
            err,
            "See a version: meridian show {id} --at POINT; compare: meridian diff {id} FROM TO; bring one back: meridian restore {id} --to POINT",
            id = self.page.id
        )
    }
}

pub async fn history(
    ws: &Workspace,
    id: &DocId,
    offset: usize,
    limit: usize,
) -> anyhow::Result<Reply> {
    let summary = ws.summary(id).await?;
    let page = ws.history(id, offset, limit).await?;
    Ok(Box::new(Timeline {
        page,
        title: summary.title,
        kind: summary.kind.to_string(),
        limit,
    }))
}

/// An old version, printed like `show` prints the current one.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Old(Version);

impl Report for Old {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let v = &self.0;
        writeln!(
            out,
            "As of {} ({}), read-only:",
            short(&v.point),
            v.at.as_deref()
                .map_or_else(|| "no time".to_owned(), output::utc)
        )?;
        output::Object(Shown {
            id: v.id.clone(),
            object: v.object.clone(),
        })
        .human(out)
    }
}

pub async fn show_at(ws: &Workspace, id: &DocId, at: &str) -> anyhow::Result<Reply> {
    Ok(Box::new(Old(ws.object_at(id, at).await?)))
}

/// The difference between two points, field by field.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Diff(VersionDiff);

impl Report for Diff {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let d = &self.0;
        let from = if d.from.is_empty() {
            "nothing".to_owned()
        } else {
            short(&d.from)
        };
        writeln!(out, "From {from} to {}:", short(&d.to))?;
        if d.changes.is_empty() {
            writeln!(out, "  no difference")?;
        }
        for c in &d.changes {
            write_change(out, c)?;
        }
        Ok(())
    }
}

fn write_change(out: &mut dyn Write, c: &FieldChange) -> io::Result<()> {
    match &c.change {
        FieldDiff::Value { old, new } => writeln!(out, "  {}: \"{old}\" → \"{new}\"", c.field),
        FieldDiff::Items {
            added,
            removed,
            changed,
        } => {
            writeln!(out, "  {}:", c.field)?;
            for (sign, items) in [("+", added), ("-", removed), ("~", changed)] {
                for i in items {
                    writeln!(out, "    {sign} {i}")?;
                }
            }
            Ok(())
        }
        FieldDiff::Text { diff } => {
            writeln!(
                out,
                "  {}: +{} −{} words",
                c.field, diff.added, diff.removed
            )?;
            // The lines that changed, with [-removed-] and {+added+} marked.
            let mut marked = String::new();
            for h in &diff.hunks {
                match h {
                    Hunk::Same(t) => marked.push_str(t),
                    Hunk::Added(t) => {
                        marked.push_str("{+");
                        marked.push_str(t);
                        marked.push_str("+}");
                    }
                    Hunk::Removed(t) => {
                        marked.push_str("[-");
                        marked.push_str(t);
                        marked.push_str("-]");
                    }
                }
            }
            let mut open = false;
            for line in marked.lines() {
                let changed = open || line.contains("{+") || line.contains("[-");
                if changed {
                    writeln!(out, "    | {line}")?;
                }
                // A run that spans lines keeps the following lines shown until it closes.
                let opens = line.matches("{+").count() + line.matches("[-").count();
                let closes = line.matches("+}").count() + line.matches("-]").count();
                if opens > closes {
                    open = true;
                } else if closes > opens {
                    open = false;
                }
            }
            Ok(())
        }
    }
}

pub async fn diff(ws: &Workspace, id: &DocId, from: &str, to: &str) -> anyhow::Result<Reply> {
    Ok(Box::new(Diff(ws.diff_versions(id, from, to).await?)))
}

/// A version restored as a new edit.
#[derive(Debug, Serialize)]
struct Restored {
    #[serde(flatten)]
    summary: ObjectSummary,
    restored_to: String,
}

impl Report for Restored {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.summary;
        writeln!(
            out,
            "Restored {} \"{}\" to {} as a new edit (it syncs; `meridian history {}` shows it).",
            s.kind,
            s.title,
            short(&self.restored_to),
            s.id
        )
    }
}

pub async fn restore_to(ws: &Workspace, id: &DocId, point: &str) -> anyhow::Result<Reply> {
    // The full point, so the report names exactly what was restored.
    let version = ws.object_at(id, point).await?;
    let summary = ws.restore_version(id, &version.point).await?;
    Ok(Box::new(Restored {
        summary,
        restored_to: version.point,
    }))
}
