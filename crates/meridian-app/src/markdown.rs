//! `import` and `export`: the workspace as plain files, through `meridian-vault`.

use std::path::Path;
use std::time::Instant;

use meridian_core::{Decision, DocId, Kind, Object, Page};
use meridian_vault::{ExportItem, ExportObject, Parsed};

use crate::api::{ExportReport, ImportReport, SkippedFile};
use crate::error::Error;
use crate::workspace::Workspace;

impl Workspace {
    /// Imports every `*.md` under `dir`: MADR records become decisions, everything else
    /// pages. Files that cannot be imported are listed in the report with the reason.
    pub async fn import_markdown(&self, dir: &Path) -> Result<ImportReport, Error> {
        let started = Instant::now();
        let now = self.now_ms();
        let dir = dir.to_owned();
        let scan = tokio::task::spawn_blocking(move || meridian_vault::scan_dir(&dir, now))
            .await
            .map_err(|_| Error::Stopped)??;
        let mut report = ImportReport::default();
        for s in scan.skipped {
            report.skipped.push(SkippedFile {
                path: s.rel_path.display().to_string(),
                reason: s.reason,
            });
        }
        let mut items: Vec<(DocId, Parsed)> = Vec::new();
        let mut paths: Vec<String> = Vec::new();
        for file in scan.files {
            let path = file.rel_path.display().to_string();
            let id = match file.id {
                Some(id) if self.exists(&id).await? => {
                    report.skipped.push(SkippedFile {
                        path,
                        reason: format!("already in the workspace as {id}"),
                    });
                    continue;
                }
                Some(id) if items.iter().any(|(c, _)| *c == id) => {
                    report.skipped.push(SkippedFile {
                        path,
                        reason: format!("another file in this import has the same id {id}"),
                    });
                    continue;
                }
                Some(id) => id,
                None => DocId::from_bytes(rand::random()),
            };
            items.push((id, file.object));
            paths.push(path);
        }
        for (path, result) in paths.into_iter().zip(self.insert_many(items).await?) {
            match result {
                Ok(Kind::Decision) => report.decisions += 1,
                Ok(_) => report.pages += 1,
                Err(Error::Rule(rule)) => report.skipped.push(SkippedFile {
                    path,
                    reason: rule.to_string(),
                }),
                Err(other) => return Err(other),
            }
        }
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(report)
    }

    /// Writes pages (front matter with `id:`) and decisions (MADR) under `dir`.
    pub async fn export_markdown(&self, dir: &Path) -> Result<ExportReport, Error> {
        let mut pages: Vec<(DocId, Page)> = Vec::new();
        let mut decisions: Vec<(DocId, Decision)> = Vec::new();
        for kind in [Kind::Page, Kind::Decision] {
            for (id, object) in self.objects(kind).await? {
                match object {
                    Object::Page(p) => pages.push((id, p)),
                    Object::Decision(d) => decisions.push((id, d)),
                    _ => {}
                }
            }
        }
        // Oldest first, so decision numbers follow the order decisions were recorded.
        pages.sort_by_key(|(id, p)| (p.created_at_ms, id.clone()));
        decisions.sort_by_key(|(id, d)| (d.created_at_ms, id.clone()));
        let items: Vec<ExportItem<'_>> = pages
            .iter()
            .map(|(id, p)| ExportItem {
                id,
                object: ExportObject::Page(p),
            })
            .chain(decisions.iter().map(|(id, d)| ExportItem {
                id,
                object: ExportObject::Decision(d),
            }))
            .collect();
        let files = meridian_vault::export_markdown(dir, &items)?;
        Ok(ExportReport {
            files: files.iter().map(|f| f.display().to_string()).collect(),
        })
    }

    /// Writes every object as `<kind>/<id>.automerge`: a saved Automerge document that any
    /// Automerge implementation can load.
    pub async fn export_automerge(&self, dir: &Path) -> Result<ExportReport, Error> {
        let mut files = Vec::new();
        let entries = self.store().read(|s| s.list_blocking(None, true)).await?;
        for entry in entries {
            let folder = dir.join(entry.kind.as_str());
            std::fs::create_dir_all(&folder).map_err(|source| Error::Write {
                path: folder.clone(),
                source,
            })?;
            let path = folder.join(format!("{}.automerge", entry.id));
            let bytes = self.automerge_bytes(&entry.id).await?;
            write_atomically(&path, &bytes)?;
            files.push(path.display().to_string());
        }
        Ok(ExportReport { files })
    }
}

/// Temp file in the same folder, fsync, rename: a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let err = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("automerge.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}
