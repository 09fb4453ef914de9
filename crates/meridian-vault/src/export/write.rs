//! Writing the export folder: temp file, fsync, rename; never through a symlink.

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use meridian_core::{Decision, DocId, Page};

use super::render::{render_decision, render_page};
use crate::Error;
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
    let mut written = Vec::with_capacity(planned.len());
    for (rel, text) in planned {
        written.push(write_inside(&root, &rel, text.as_bytes())?);
    }
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

/// Writes `root/rel` atomically. Every existing component below `root` must be a real
/// folder (or, for the last, a real file): a symlink could point anywhere.
fn write_inside(root: &Path, rel: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(Error::OutsideFolder(root.join(rel)));
    }
    let target = root.join(rel);
    let parent = target.parent().unwrap_or(root).to_owned();
    let mut at = root.to_owned();
    for c in parent
        .strip_prefix(root)
        .unwrap_or(Path::new(""))
        .components()
    {
        at.push(c);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Err(Error::SymlinkInTheWay(at)),
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(Error::NotADirectory(at)),
            Err(_) => fs::create_dir(&at).map_err(|source| Error::CreateDir {
                path: at.clone(),
                source,
            })?,
        }
    }
    if let Ok(m) = fs::symlink_metadata(&target) {
        if m.file_type().is_symlink() {
            return Err(Error::SymlinkInTheWay(target));
        }
        if m.is_dir() {
            return Err(Error::WriteFile {
                path: target,
                source: std::io::Error::other("a folder has this name"),
            });
        }
    }
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let fail = |source| Error::WriteFile {
        path: target.clone(),
        source,
    };
    let result = (|| {
        // `create_new` refuses to follow a symlink planted at the temp path.
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, &target)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(fail(e));
    }
    // Make the rename itself durable (not possible on every platform; best effort).
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(target)
}
