//! File operations confined to one folder: never through a symlink, never outside it.
//! Shared by the one-shot export and the live mirror.

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::Error;

/// `rel` names something strictly inside a folder: only plain components, at least one.
pub(crate) fn is_plain_relative(rel: &Path) -> bool {
    rel.components().next().is_some() && rel.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Checks every existing folder between `root` and `root/rel`'s parent is a real folder,
/// creating the missing ones when `create` is set. Returns the parent.
fn parent_inside(root: &Path, rel: &Path, create: bool) -> Result<PathBuf, Error> {
    if !is_plain_relative(rel) {
        return Err(Error::OutsideFolder(root.join(rel)));
    }
    let mut at = root.to_owned();
    let parent = rel.parent().unwrap_or(Path::new(""));
    for c in parent.components() {
        at.push(c);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Err(Error::SymlinkInTheWay(at)),
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(Error::NotADirectory(at)),
            Err(_) if create => fs::create_dir(&at).map_err(|source| Error::CreateDir {
                path: at.clone(),
                source,
            })?,
            Err(_) => return Ok(at),
        }
    }
    Ok(at)
}

/// Writes `root/rel` atomically: a temp file in the same folder (hidden, so scans skip
/// it), fsync, rename over the target, fsync the folder. Every existing component below
/// `root` must be a real folder (or, for the last, a real file): a symlink could point
/// anywhere. Missing folders are created.
pub(crate) fn write_inside(root: &Path, rel: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    let parent = parent_inside(root, rel, true)?;
    let target = root.join(rel);
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
    if let Err(source) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::WriteFile {
            path: target,
            source,
        });
    }
    // Make the rename itself durable (not possible on every platform; best effort).
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(target)
}

/// Removes the file `root/rel` (a missing file is already removed), then its parent
/// folders that became empty, deepest first, keeping `root`'s top-level folders.
pub(crate) fn remove_inside(root: &Path, rel: &Path) -> Result<(), Error> {
    let parent = parent_inside(root, rel, false)?;
    let target = root.join(rel);
    match fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => return Err(Error::SymlinkInTheWay(target)),
        Ok(m) if m.is_dir() => return Err(Error::NotAFile(target)),
        Ok(_) => fs::remove_file(&target).map_err(|source| Error::RemoveFile {
            path: target.clone(),
            source,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(Error::RemoveFile {
                path: target,
                source,
            });
        }
    }
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    // `pages/a/b/x.md` may empty `pages/a/b` and `pages/a`, never `pages`.
    let mut dir = rel.parent();
    while let Some(d) = dir {
        if d.components().count() < 2 {
            break;
        }
        // Fails (and stops) on the first folder that still holds something.
        if fs::remove_dir(root.join(d)).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}
