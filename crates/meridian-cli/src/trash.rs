//! The trash (`meridian trash ID…|list|restore|purge`) and the what-merged list
//! (`meridian merged [dismiss|restore]`).

use std::io::{self, Write};

use meridian_app::core::merged::{MergeItem, Side};
use meridian_app::{MergeReport, ObjectSummary, TrashedObject, Workspace};
use serde::Serialize;

use crate::args::{MergeSide, MergedArgs, MergedCmd, TrashArgs, TrashCmd};
use crate::output::{Reply, Report};
use crate::workspace;

pub async fn trash(ws: &Workspace, args: TrashArgs) -> anyhow::Result<Reply> {
    match args.command {
        Some(TrashCmd::List) => Ok(Box::new(TrashList(ws.trash_list().await?))),
        Some(TrashCmd::Restore { id }) => workspace::restore(ws, &id).await,
        Some(TrashCmd::Purge { id, yes }) => {
            if !yes {
                let title = ws.summary(&id).await?.title;
                anyhow::bail!(
                    "nothing deleted: deleting \"{title}\" for good removes it from every device of the workspace and cannot be undone; run `meridian trash purge {id} --yes` to confirm"
                );
            }
            let summary = ws.summary(&id).await?;
            ws.purge_object(&id).await?;
            Ok(Box::new(Purged { purged: summary }))
        }
        None => {
            if args.ids.is_empty() {
                anyhow::bail!(
                    "name the objects to move to the trash (`meridian trash ID`), or see what is there with `meridian trash list`"
                );
            }
            if let ([id], false) = (args.ids.as_slice(), args.with_subpages) {
                return workspace::trash(ws, id).await;
            }
            let moved = ws
                .trash_objects(&args.ids, args.with_subpages, args.yes)
                .await?;
            Ok(Box::new(Moved(moved)))
        }
    }
}

/// Objects moved to the trash by one command.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Moved(Vec<ObjectSummary>);

impl Report for Moved {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "Moved {} objects to the trash:", self.0.len())?;
        for s in &self.0 {
            writeln!(out, "  {} {} \"{}\"", s.id, s.kind, s.title)?;
        }
        Ok(())
    }
}

#[derive(Debug, Serialize)]
struct Purged {
    purged: ObjectSummary,
}

impl Report for Purged {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Deleted {} \"{}\" for good; every device deletes it when it next syncs.",
            self.purged.kind, self.purged.title
        )
    }
}

#[derive(Debug, Serialize)]
#[serde(transparent)]
struct TrashList(Vec<TrashedObject>);

impl Report for TrashList {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "The trash is empty.");
        }
        for t in &self.0 {
            let s = &t.summary;
            let who = t
                .trashed_by_name
                .as_deref()
                .or(t.trashed_by.as_deref())
                .unwrap_or("someone");
            let when = t.trashed_at.as_deref().unwrap_or("at an unknown time");
            writeln!(
                out,
                "{}  {:<8} {}  (trashed by {who}, {when})",
                s.id, s.kind, s.title
            )?;
        }
        Ok(())
    }
}

pub async fn merged(ws: &Workspace, args: MergedArgs) -> anyhow::Result<Reply> {
    match args.command {
        None => Ok(Box::new(Reports(ws.merge_reports().await?))),
        Some(MergedCmd::Dismiss { id }) => {
            ws.dismiss_merge(&id).await?;
            Ok(Box::new(Dismissed { dismissed: id }))
        }
        Some(MergedCmd::Restore { id, entry, side }) => {
            let side = side.map(|s| match s {
                MergeSide::Mine => Side::Mine,
                MergeSide::Theirs => Side::Theirs,
            });
            let report = ws.restore_merged(&id, entry, side).await?;
            Ok(Box::new(Restored(report)))
        }
    }
}

#[derive(Debug, Serialize)]
struct Dismissed {
    dismissed: meridian_app::core::DocId,
}

impl Report for Dismissed {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Dismissed what merged in {} from the list.",
            self.dismissed
        )
    }
}

#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Restored(MergeReport);

impl Report for Restored {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Brought the lost text of \"{}\" back as a new edit; it syncs to every device.",
            self.0.title
        )
    }
}

#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Reports(Vec<MergeReport>);

fn value(v: Option<&String>) -> String {
    v.map_or_else(|| "(not set)".to_owned(), |v| format!("\"{v}\""))
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("      | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Report for Reports {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "Nothing merged with your own offline edits.");
        }
        for r in &self.0 {
            writeln!(
                out,
                "{} {} \"{}\" (merged {})",
                r.object, r.kind, r.title, r.at
            )?;
            for (i, e) in r.entries.iter().enumerate() {
                match &e.item {
                    MergeItem::Field {
                        field,
                        mine,
                        theirs,
                        merged,
                        overwritten,
                        ..
                    } => {
                        writeln!(
                            out,
                            "  [{i}] {field}: this device set {}, the other device set {}; kept {}{}",
                            value(mine.as_ref()),
                            value(theirs.as_ref()),
                            value(merged.as_ref()),
                            overwritten.map_or(String::new(), |s| format!(
                                " ({s}'s value was overwritten)"
                            ))
                        )?;
                    }
                    MergeItem::TrashedWhileEdited {
                        trashed_by,
                        edited,
                        in_trash,
                    } => {
                        writeln!(
                            out,
                            "  [{i}] {trashed_by} moved it to the trash while {} edited {}; it is {}",
                            trashed_by.other(),
                            edited.join(", "),
                            if *in_trash {
                                "in the trash (restore it with `meridian trash restore`)"
                            } else {
                                "not in the trash"
                            }
                        )?;
                    }
                    MergeItem::Paragraph {
                        field,
                        mine,
                        theirs,
                        merged,
                        overwritten,
                        ..
                    } => {
                        writeln!(out, "  [{i}] both edited the same paragraph of {field}:")?;
                        writeln!(out, "    this device:\n{}", indent(mine))?;
                        writeln!(out, "    the other device:\n{}", indent(theirs))?;
                        writeln!(out, "    merged:\n{}", indent(merged))?;
                        for s in overwritten {
                            writeln!(out, "    words of {s} are not in the merged text")?;
                        }
                    }
                    MergeItem::LargeRemoval {
                        field,
                        by,
                        removed_words,
                        ..
                    } => {
                        writeln!(out, "  [{i}] {by} removed {removed_words} words of {field}")?;
                    }
                }
                let open: Vec<&Side> = e
                    .restorable
                    .iter()
                    .filter(|s| !e.restored.contains(s))
                    .collect();
                for s in open {
                    let flag = match s {
                        Side::Mine => "mine",
                        Side::Theirs => "theirs",
                    };
                    writeln!(
                        out,
                        "      restore: meridian merged restore {} --entry {i} --side {flag}",
                        r.object
                    )?;
                }
            }
        }
        Ok(())
    }
}
