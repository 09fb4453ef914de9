//! Writing and removing the mirror's files.

use std::fs;
use std::path::{Path, PathBuf};

use super::hash;
use crate::Error;
use crate::confined::{remove_inside, write_inside};

/// Writes `text` at `root/rel` atomically (a hidden temp file in the same folder, fsync,
/// rename over the target, fsync the folder), creating folders. Refuses to write through
/// a symlink (any folder on the way, or the file) or outside `root` (`..`, absolute
/// paths). `root` itself must exist: a vanished mirror folder pauses the mirror rather
/// than being recreated empty. Returns the sha256 hex of the bytes written.
pub fn write_file(root: &Path, rel: &Path, text: &str) -> Result<String, Error> {
    let root = real_root(root)?;
    write_inside(&root, rel, text.as_bytes())?;
    Ok(hash(text.as_bytes()))
}

/// Removes `root/rel` (a file already gone is fine), refusing symlinks and paths outside
/// `root`, then the parent folders this left empty, up to but not including `root`'s
/// top-level folders (`pages/`, `decisions/`).
pub fn remove_file(root: &Path, rel: &Path) -> Result<(), Error> {
    let root = real_root(root)?;
    remove_inside(&root, rel)
}

/// `root` resolved once (it may itself be a symlink the person chose); below it nothing
/// is followed.
fn real_root(root: &Path) -> Result<PathBuf, Error> {
    match fs::metadata(root) {
        Ok(m) if m.is_dir() => root.canonicalize().map_err(|source| Error::ReadDir {
            path: root.to_owned(),
            source,
        }),
        Ok(_) => Err(Error::NotADirectory(root.to_owned())),
        Err(_) => Err(Error::DirNotFound(root.to_owned())),
    }
}
