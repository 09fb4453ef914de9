//! File operations confined to one folder: never through a symlink, never outside it.
//! Shared by the one-shot export and the live mirror.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::Error;

/// Folders whose entries changed (a file renamed in, a folder made) and are not synced to
/// disk yet. A rename is durable only once its folder is synced; many files written into
/// one folder need that folder synced once, not once per file.
#[derive(Debug, Default)]
pub(crate) struct Unsynced(BTreeSet<PathBuf>);

impl Unsynced {
    /// Syncs every folder noted, once each. Best effort: not every platform can open a
    /// folder to sync it.
    pub(crate) fn sync(&mut self) {
        for dir in std::mem::take(&mut self.0) {
            sync_dir(&dir);
        }
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `rel` names something strictly inside a folder: only plain components, at least one.
pub(crate) fn is_plain_relative(rel: &Path) -> bool {
    rel.components().next().is_some() && rel.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Checks every existing folder between `root` and `root/rel`'s parent is a real folder,
/// creating the missing ones when `made` is given (which notes the folders that hold
/// them). Returns the parent.
pub(crate) fn parent_inside(
    root: &Path,
    rel: &Path,
    mut made: Option<&mut Unsynced>,
) -> Result<PathBuf, Error> {
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
            Err(_) if made.is_some() => {
                fs::create_dir(&at).map_err(|source| Error::CreateDir {
                    path: at.clone(),
                    source,
                })?;
                if let (Some(made), Some(holder)) = (made.as_deref_mut(), at.parent()) {
                    made.0.insert(holder.to_owned());
                }
            }
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
    let mut unsynced = Unsynced::default();
    let target = write_inside_unsynced(root, rel, bytes, &mut unsynced)?;
    unsynced.sync();
    Ok(target)
}

/// [`write_inside`] but for the folder sync, left to `unsynced` (which notes the folder):
/// the file's bytes are durable on return, its name only once `unsynced` is synced.
pub(crate) fn write_inside_unsynced(
    root: &Path,
    rel: &Path,
    bytes: &[u8],
    unsynced: &mut Unsynced,
) -> Result<PathBuf, Error> {
    let parent = parent_inside(root, rel, Some(unsynced))?;
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
    unsynced.0.insert(parent);
    Ok(target)
}

/// Removes the file `root/rel` (a missing file is already removed), then its parent
/// folders that became empty, deepest first, keeping `root`'s top-level folders.
pub(crate) fn remove_inside(root: &Path, rel: &Path) -> Result<(), Error> {
    let parent = parent_inside(root, rel, None)?;
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
    sync_dir(&parent);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_notes_the_folders_whose_entries_changed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let mut unsynced = Unsynced::default();
        write_inside_unsynced(root, Path::new("pages/a/x.md"), b"x", &mut unsynced).expect("write");
        write_inside_unsynced(root, Path::new("pages/a/y.md"), b"y", &mut unsynced).expect("write");
        // The file's folder, and where each new folder was made.
        let noted: Vec<PathBuf> = unsynced.0.iter().cloned().collect();
        assert_eq!(
            noted,
            vec![root.to_owned(), root.join("pages"), root.join("pages/a")]
        );
        assert_eq!(fs::read(root.join("pages/a/y.md")).expect("read"), b"y");
        unsynced.sync();
        assert!(unsynced.0.is_empty());
    }
}
