//! The workspace as a whole: create it, import and export, list, show, trash and restore
//! objects.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use meridian_app::core::{DocId, Kind};
use meridian_app::{ExportReport, ImportReport, ObjectSummary, Workspace, WorkspaceInfo};
use serde::Serialize;

use crate::args::ExportFormat;
use crate::commands::progress;
use crate::output::{Object, Objects, Reply, Report};

/// What `init` made: the workspace, and what `--sample` added (`null` without it).
#[derive(Debug, Serialize)]
pub struct Initialised {
    #[serde(flatten)]
    pub info: WorkspaceInfo,
    pub sample: Option<ImportReport>,
}

impl Report for Initialised {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let info = &self.info;
        writeln!(
            out,
            "Created workspace \"{}\" in {} (you are {}, {})",
            info.name, info.data_dir, info.me.name, info.me.tz
        )?;
        if let Some(report) = &self.sample {
            writeln!(
                out,
                "Added the sample content: {} pages and {} decisions.",
                report.pages, report.decisions
            )?;
        }
        Ok(())
    }
}

pub async fn init(
    data_dir: &Path,
    name: &str,
    me: &str,
    tz: &str,
    sample: bool,
) -> anyhow::Result<Reply> {
    let ws = Workspace::create(data_dir, name, me, tz).await?;
    let info = ws.workspace_info();
    let sample = if sample {
        let report = ws.import_sample().await.with_context(|| {
            format!(
                "the workspace was created in {}, but the sample content was not added",
                info.data_dir
            )
        })?;
        ws.catch_up_search(progress).await?;
        eprint!("\r\x1b[K");
        Some(report)
    } else {
        None
    };
    Ok(Box::new(Initialised { info, sample }))
}

/// What `import` read.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Imported {
    report: ImportReport,
    #[serde(skip)]
    dir: String,
}

impl Report for Imported {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let r = &self.report;
        writeln!(
            out,
            "Imported {} pages and {} decisions from {} in {:.2} s.",
            r.pages,
            r.decisions,
            self.dir,
            r.elapsed_ms as f64 / 1000.0
        )?;
        if !r.skipped.is_empty() {
            writeln!(out, "Skipped {}:", r.skipped.len())?;
            for s in &r.skipped {
                writeln!(out, "  {}: {}", s.path, s.reason)?;
            }
        }
        Ok(())
    }
}

pub async fn import(ws: &Workspace, dir: &Path) -> anyhow::Result<Reply> {
    let report = ws.import_markdown(dir).await?;
    ws.catch_up_search(progress).await?;
    eprint!("\r\x1b[K");
    Ok(Box::new(Imported {
        report,
        dir: dir.display().to_string(),
    }))
}

/// What `export` wrote.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Exported {
    report: ExportReport,
    #[serde(skip)]
    dir: String,
}

impl Report for Exported {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Wrote {} files under {}.",
            self.report.files.len(),
            self.dir
        )
    }
}

pub async fn export(ws: &Workspace, dir: &Path, format: ExportFormat) -> anyhow::Result<Reply> {
    let report = match format {
        ExportFormat::Markdown => ws.export_markdown(dir).await?,
        ExportFormat::Automerge => ws.export_automerge(dir).await?,
    };
    Ok(Box::new(Exported {
        report,
        dir: dir.display().to_string(),
    }))
}

pub async fn list(ws: &Workspace, kind: Option<Kind>, all: bool) -> anyhow::Result<Reply> {
    Ok(Box::new(Objects(ws.list_objects(kind, all).await?)))
}

pub async fn show(ws: &Workspace, id: &DocId) -> anyhow::Result<Reply> {
    Ok(Box::new(Object(ws.show_object(id).await?)))
}

/// An object moved to or from the trash.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Trashed {
    summary: ObjectSummary,
    #[serde(skip)]
    restored: bool,
}

impl Report for Trashed {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.summary;
        if self.restored {
            writeln!(out, "Restored {} \"{}\" from the trash.", s.kind, s.title)
        } else {
            writeln!(out, "Moved {} \"{}\" to the trash.", s.kind, s.title)
        }
    }
}

pub async fn trash(ws: &Workspace, id: &DocId) -> anyhow::Result<Reply> {
    let summary = ws.trash_object(id).await?;
    Ok(Box::new(Trashed {
        summary,
        restored: false,
    }))
}

pub async fn restore(ws: &Workspace, id: &DocId) -> anyhow::Result<Reply> {
    let summary = ws.restore_object(id).await?;
    Ok(Box::new(Trashed {
        summary,
        restored: true,
    }))
}
