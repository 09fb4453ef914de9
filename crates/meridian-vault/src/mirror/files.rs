//! Writing and removing the mirror's files.

use std::fs;
use std::path::{Path, PathBuf};

use super::hash;
use crate::Error;
use crate::confined::{
    Unsynced, is_plain_relative, parent_inside, remove_inside, write_inside, write_inside_unsynced,
};

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

/// Writes files as [`write_file`] does, but syncs each folder once, in
/// [`sync`](Self::sync), instead of once per file: a first pass writes thousands of files
/// into a few folders. A file's bytes are durable when [`write`](Self::write) returns, its
/// name only after `sync`, so a record of it must be committed after `sync`, never before
/// (a record of a rename lost in a crash would make the old file read as an edit).
#[derive(Debug)]
pub struct FolderWriter {
    root: PathBuf,
    unsynced: Unsynced,
}

impl FolderWriter {
    pub fn new(root: &Path) -> FolderWriter {
        FolderWriter {
            root: root.to_owned(),
            unsynced: Unsynced::default(),
        }
    }

    /// As [`write_file`], but for the folder sync.
    pub fn write(&mut self, rel: &Path, text: &str) -> Result<String, Error> {
        // Resolved for every file: a folder that vanished must stop the writes.
        let root = real_root(&self.root)?;
        write_inside_unsynced(&root, rel, text.as_bytes(), &mut self.unsynced)?;
        Ok(hash(text.as_bytes()))
    }

    /// Syncs every folder written into since the last call, once each.
    pub fn sync(&mut self) {
        self.unsynced.sync();
    }
}

/// Removes `root/rel` (a file already gone is fine), refusing symlinks and paths outside
/// `root`, then the parent folders this left empty, up to but not including `root`'s
/// top-level folders (`pages/`, `decisions/`).
pub fn remove_file(root: &Path, rel: &Path) -> Result<(), Error> {
    let root = real_root(root)?;
    remove_inside(&root, rel)
}

/// The whole path of the existing regular file `root/rel`, to hand to another program;
/// `None` when nothing is there. Refuses paths outside `root`, a symlink anywhere below
/// `root`, and anything but a file.
pub fn file_inside(root: &Path, rel: &Path) -> Result<Option<PathBuf>, Error> {
    let root = real_root(root)?;
    if !is_plain_relative(rel) {
        return Err(Error::OutsideFolder(root.join(rel)));
    }
    parent_inside(&root, rel, None)?;
    let target = root.join(rel);
    match fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::SymlinkInTheWay(target)),
        Ok(m) if m.is_file() => Ok(Some(target)),
        Ok(_) => Err(Error::NotAFile(target)),
        Err(_) => Ok(None),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_writer_writes_as_write_file_does() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("mirror");
        fs::create_dir(&root).expect("mkdir");
        let mut w = FolderWriter::new(&root);
        let h = w.write(Path::new("pages/a.md"), "text").expect("write");
        assert_eq!(h, hash(b"text"));
        assert_eq!(
            fs::read_to_string(root.join("pages/a.md")).expect("read"),
            "text"
        );
        w.sync();
        assert!(matches!(
            w.write(Path::new("../out.md"), "x"),
            Err(Error::OutsideFolder(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path(), root.join("link")).expect("symlink");
            assert!(matches!(
                w.write(Path::new("link/x.md"), "x"),
                Err(Error::SymlinkInTheWay(_))
            ));
            assert!(!dir.path().join("x.md").exists());
        }
        // A vanished folder is not made again.
        fs::remove_dir_all(&root).expect("remove");
        assert!(matches!(
            w.write(Path::new("pages/a.md"), "x"),
            Err(Error::DirNotFound(_))
        ));
    }

    #[test]
    fn file_inside_names_only_real_files_below_the_root() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("notes");
        fs::create_dir(&root).expect("mkdir");
        write_file(&root, Path::new("pages/a.md"), "text").expect("write");
        let real = root.canonicalize().expect("real");
        assert_eq!(
            file_inside(&root, Path::new("pages/a.md")).expect("ok"),
            Some(real.join("pages/a.md"))
        );
        assert_eq!(
            file_inside(&root, Path::new("pages/gone.md")).expect("ok"),
            None
        );
        assert!(file_inside(&root, Path::new("../notes/pages/a.md")).is_err());
        assert!(file_inside(&root, Path::new("pages")).is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("pages"), root.join("link")).expect("symlink");
            assert!(file_inside(&root, Path::new("link/a.md")).is_err());
        }
    }
}
