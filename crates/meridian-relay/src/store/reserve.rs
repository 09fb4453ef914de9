//! Space kept aside on the relay's disk, so that a full disk stops pushes but not reads.
//!
//! Every session writes a little (its login ticket, the cursors of what it received), and
//! SQLite needs room to write anything at all: on a disk filled to the last byte a device
//! could not even log in to fetch what the relay already holds. So the relay keeps a file
//! of zeros beside its database (the reserve). When free space runs low (or a write fails
//! on a full disk), it deletes the file: logins and cursors fit in the space it gave back,
//! and pushes are refused with `StorageFull` before anything is written, so that space is
//! not eaten by them. Once free space is back above twice the reserve, the file is made
//! again and pushes are accepted. Nothing is ever acknowledged that was not committed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The reserve's file name in the data directory.
pub(crate) const FILE_NAME: &str = "relay.reserve";
/// Bounds of the reserve: 1/16 of the disk, within these.
const MIN_SIZE: u64 = 256 * 1024;
const MAX_SIZE: u64 = 4 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct Reserve {
    path: PathBuf,
    dir: PathBuf,
    size: u64,
    /// The file exists (and pushes are accepted).
    held: bool,
    /// No reserve is kept (a harness that opens a store per input): never low.
    disabled: bool,
}

impl Reserve {
    /// The reserve beside `db`: made now when there is room, else released at once.
    pub(crate) fn open(db: &Path) -> Reserve {
        let dir = db
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let total = fs4::total_space(&dir).unwrap_or(MAX_SIZE * 16);
        let size = (total / 16).clamp(MIN_SIZE, MAX_SIZE);
        let path = dir.join(FILE_NAME);
        let held = fs::metadata(&path).is_ok_and(|m| m.len() >= size);
        let mut reserve = Reserve {
            path,
            dir,
            size,
            held,
            disabled: false,
        };
        if !reserve.held {
            reserve.try_make(true);
        }
        reserve
    }

    /// No reserve: for stores opened per fuzz input, where writing one would cost more
    /// than the rest.
    pub(crate) fn disabled() -> Reserve {
        Reserve {
            path: PathBuf::new(),
            dir: PathBuf::new(),
            size: 0,
            held: true,
            disabled: true,
        }
    }

    /// True while space is short and pushes must be refused. Checks the free space (one
    /// `statvfs`), releasing the reserve when it runs low and making it again once there
    /// is room for it and twice as much again.
    pub(crate) fn low(&mut self) -> bool {
        if self.disabled {
            return false;
        }
        let free = fs4::available_space(&self.dir).unwrap_or(u64::MAX);
        if self.held && free < self.size / 2 {
            self.release();
        } else if !self.held && free >= self.size * 3 {
            self.try_make(false);
        }
        !self.held
    }

    /// A write failed on a full disk: give the reserve's space back now.
    pub(crate) fn release(&mut self) {
        if !self.held || self.disabled {
            return;
        }
        self.held = false;
        match fs::remove_file(&self.path) {
            Ok(()) => tracing::warn!(
                bytes = self.size,
                "the relay's disk is nearly full: released its reserve so devices can still log in and receive; pushes are refused until space is freed"
            ),
            Err(err) => {
                tracing::error!(%err, path = %self.path.display(), "cannot delete the relay's disk reserve")
            }
        }
    }

    /// Writes the file (zeros, so the space is really taken). `loud` logs a failure
    /// as a warning (at start); retries while the disk is full log quietly.
    fn try_make(&mut self, loud: bool) {
        let made = (|| {
            let mut f = fs::File::create(&self.path)?;
            let block = vec![0u8; 64 * 1024];
            let mut left = self.size;
            while left > 0 {
                let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
                f.write_all(&block[..n])?;
                left -= n as u64;
            }
            // Not synced: written blocks are counted against free space at once (tmpfs,
            // ext4's delayed allocation alike), and a reserve lost in a crash is made again.
            f.flush()
        })();
        match made {
            Ok(()) => {
                if !self.held {
                    tracing::info!(
                        bytes = self.size,
                        "the relay's disk has room again: reserve kept aside, pushes accepted"
                    );
                }
                self.held = true;
            }
            Err(err) => {
                let _ = fs::remove_file(&self.path);
                if loud {
                    tracing::warn!(%err, "the relay's disk has no room for its reserve; pushes are refused until space is freed");
                } else {
                    tracing::debug!(%err, "still no room for the relay's disk reserve");
                }
                self.held = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_made_beside_the_database_and_released_on_demand() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("relay.sqlite3");
        let mut r = Reserve::open(&db);
        let file = dir.path().join(FILE_NAME);
        assert!(file.exists());
        assert!(std::fs::metadata(&file).expect("meta").len() >= MIN_SIZE);
        r.release();
        assert!(!file.exists());
        // A roomy disk: the next check makes it again.
        assert!(!r.low());
        assert!(file.exists());
    }
}
