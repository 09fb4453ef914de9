//! `mirror`: the workspace as a folder of Markdown files, both ways (ADR 0008).

use std::io::{self, Write};
use std::path::Path;

use meridian_app::Workspace;
use meridian_app::mirror::{MirrorReport, MirrorStatus};
use serde::Serialize;

use crate::output::{Reply, Report};

/// `mirror --once`: one reconcile, reported; non-zero exit when something was refused.
pub async fn once(
    ws: &Workspace,
    dir: Option<&Path>,
    allow_mass_delete: bool,
) -> anyhow::Result<Reply> {
    Ok(Box::new(Reconciled(
        ws.mirror_once(dir, allow_mass_delete).await?,
    )))
}

/// `mirror [DIR]`: keeps the folder in step until Ctrl-C.
pub async fn watch(ws: &Workspace, dir: Option<&Path>) -> anyhow::Result<Option<Reply>> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    });
    eprintln!("Mirroring; Ctrl-C stops.");
    ws.run_mirror(dir, stopped).await?;
    Ok(None)
}

pub async fn status(ws: &Workspace) -> anyhow::Result<Reply> {
    Ok(Box::new(Status(ws.mirror_status().await?)))
}

/// What one reconcile did.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Reconciled(MirrorReport);

impl Report for Reconciled {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let r = &self.0;
        writeln!(
            out,
            "{}: {} written, {} applied, {} new, {} moved, {} trashed, {} removed.",
            r.folder, r.written, r.applied, r.created, r.moved, r.trashed, r.removed
        )?;
        for f in &r.refused {
            writeln!(out, "  refused {}: {}", f.path, f.reason)?;
        }
        Ok(())
    }

    fn advice(&self, err: &mut dyn Write) -> io::Result<()> {
        if let Some(h) = self.0.held_deletes {
            writeln!(
                err,
                "{} of {} files disappeared at once: nothing was trashed. If that was meant, run `meridian mirror --once --allow-mass-delete`; if not, restore the files (git checkout, the trash of your file manager).",
                h.gone, h.known
            )?;
        }
        Ok(())
    }

    fn failure(&self) -> Option<String> {
        let r = &self.0;
        if let Some(h) = r.held_deletes {
            return Some(format!(
                "the mirror held back {} deletions of {} files (more than the guard allows): restore the files, or run `meridian mirror --once --allow-mass-delete` if that was meant",
                h.gone, h.known
            ));
        }
        (!r.refused.is_empty()).then(|| {
            format!(
                "{} file(s) of the mirror could not be applied (listed above)",
                r.refused.len()
            )
        })
    }
}

/// Where the mirror is and what it refused.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Status(MirrorStatus);

impl Report for Status {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.0;
        writeln!(
            out,
            "folder    {}",
            s.folder
                .as_deref()
                .unwrap_or("(none: run `meridian mirror DIR`)")
        )?;
        writeln!(
            out,
            "last run  {}",
            s.last_run.as_deref().unwrap_or("never")
        )?;
        writeln!(out, "files     {}", s.files)?;
        for f in &s.refused {
            writeln!(out, "refused   {}: {}", f.path, f.reason)?;
        }
        if let Some(h) = s.held_deletes {
            writeln!(
                out,
                "held      {} of {} files disappeared at once: nothing was trashed (run `meridian mirror --once --allow-mass-delete` if that was meant)",
                h.gone, h.known
            )?;
        }
        Ok(())
    }
}
