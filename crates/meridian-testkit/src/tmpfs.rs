//! A small file system of its own (tmpfs), for tests of a full disk. Needs root and `mount`.
//!
//! [`SmallDisk::mount`] mounts a tmpfs of a given size on a fresh temporary folder;
//! [`SmallDisk::fill`] writes a filler file until the disk refuses (`ENOSPC`), and
//! [`SmallDisk::free`] deletes it ("space returns"). Dropping the guard unmounts (lazily if a
//! process still has a file open there), also when the test panics.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs, unmounted when dropped.
#[derive(Debug)]
pub struct SmallDisk {
    dir: tempfile::TempDir,
    mounted: bool,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size` (as `mount -o size=` reads it: `2m`, `512k`). `Err` says why
    /// it cannot (not root, no `mount`): the caller skips with that reason.
    pub fn mount(size: &str) -> Result<SmallDisk, String> {
        let euid = fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
            })
            .unwrap_or_default();
        if euid != "0" {
            return Err("mounting a small tmpfs needs root".to_owned());
        }
        let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temp dir: {e}"))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={size},mode=0755"))
            .arg("tmpfs")
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(SmallDisk { dir, mounted: true })
    }

    /// The mounted folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn filler(&self) -> PathBuf {
        self.path().join("filler")
    }

    /// Writes to a filler file until the disk is full; returns how many bytes it took.
    pub fn fill(&self) -> u64 {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.filler())
            .expect("create the filler file");
        let block = vec![0xa5u8; 4096];
        let mut written = 0u64;
        loop {
            match f.write(&block) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the disk failed otherwise than full: {e}"),
            }
        }
        // A last partial block may still fit.
        for size in [1024usize, 256, 64, 1] {
            while f.write_all(&block[..size]).is_ok() {
                written += size as u64;
            }
        }
        written
    }

    /// Deletes the filler file: the space is back.
    pub fn free(&self) {
        let _ = fs::remove_file(self.filler());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if self.mounted {
            let ok = Command::new("umount")
                .arg(self.dir.path())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                // A process of the test may still hold a file there: detach it anyway.
                let _ = Command::new("umount")
                    .arg("-l")
                    .arg(self.dir.path())
                    .status();
            }
            self.mounted = false;
        }
    }
}
