//! Writing the export folder: temp file, fsync, rename; never through a symlink.

use std::fs;
use std::path::{Path, PathBuf};

use meridian_core::{Decision, DocId, Page};

use super::render::{render_decision, render_page};
use crate::Error;
use crate::confined::{Unsynced, write_inside_unsynced};
use crate::slug::{slugify, unique};

/// One object to export.
#[derive(Debug, Clone, Copy)]
pub struct ExportItem<'a> {
    pub id: &'a DocId,
    pub object: ExportObject<'a>,
}

#[derive(Debug, Clone, Copy)]
pub enum ExportObject<'a> {
    Page(&'a Page),
    Decision(&'a Decision),
}

/// Writes `pages/<slug>.md` and `decisions/NNNN-<slug>.md` (NNNN = 0001… in the order
/// given) under `dir`, creating the folders as needed. Slugs are unique per folder
/// (case-insensitively; `-2`, `-3` on collision). Each file goes to a temp file in the same
/// folder, is fsync'd, then renamed over the target. Refuses to write through a symlink
/// (the folders or the files) or outside `dir`. Files already there that this export does
/// not name are left alone. Returns the paths written, in the order of `items`.
pub fn export_markdown(dir: &Path, items: &[ExportItem<'_>]) -> Result<Vec<PathBuf>, Error> {
    ensure_dir(dir)?;
    let root = dir.canonicalize().map_err(|source| Error::CreateDir {
        path: dir.to_owned(),
        source,
    })?;
    let mut planned: Vec<(PathBuf, String)> = Vec::with_capacity(items.len());
    let mut page_slugs: Vec<String> = Vec::new();
    let mut decision_slugs: Vec<String> = Vec::new();
    let mut number = 0u32;
    for item in items {
        let (folder, name, text) = match item.object {
            ExportObject::Page(p) => {
                let slug = unique(&slugify(&p.title, "untitled"), &page_slugs);
                page_slugs.push(slug.clone());
                ("pages", format!("{slug}.md"), render_page(item.id, p))
            }
            ExportObject::Decision(d) => {
                number += 1;
                let slug = unique(&slugify(&d.title, "untitled"), &decision_slugs);
                decision_slugs.push(slug.clone());
                (
                    "decisions",
                    format!("{number:04}-{slug}.md"),
                    render_decision(item.id, d),
                )
            }
        };
        planned.push((Path::new(folder).join(name), text));
    }
    // Each folder is synced once, after its files: the export is acknowledged only then.
    let mut unsynced = Unsynced::default();
    let mut written = Vec::with_capacity(planned.len());
    for (rel, text) in planned {
        match write_inside_unsynced(&root, &rel, text.as_bytes(), &mut unsynced) {
            Ok(path) => written.push(path),
            Err(e) => {
                unsynced.sync();
                return Err(e);
            }
        }
    }
    unsynced.sync();
    Ok(written)
}

fn ensure_dir(dir: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) if m.file_type().is_symlink() && dir.is_dir() => Ok(()),
        Ok(_) => Err(Error::NotADirectory(dir.to_owned())),
        Err(_) => fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
            path: dir.to_owned(),
            source,
        }),
    }
}
