//! Counters of the engine's work that grows with a document's size, so tests can check
//! that a keystroke costs work proportional to the edit, not to the page (issue 18): how
//! many whole documents were read into values, how many were indexed for search and how
//! many bytes of text that analysed, how many full saves (compactions) were made, and how
//! many documents' link facts were derived again.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// The live counters, one set per open workspace (shared by its clones).
#[derive(Debug, Default)]
pub(super) struct Counters {
    hydrated: AtomicU64,
    indexed: AtomicU64,
    indexed_bytes: AtomicU64,
    snapshots: AtomicU64,
    link_facts: AtomicU64,
    previews: AtomicU64,
}

impl Counters {
    /// A whole document was read into a value (`meridian_core::read`/`read_any`).
    pub(super) fn hydrated(&self) {
        self.hydrated.fetch_add(1, Ordering::Relaxed);
    }

    /// A document was (re)indexed for search with `bytes` of text.
    pub(super) fn indexed(&self, bytes: usize) {
        self.indexed.fetch_add(1, Ordering::Relaxed);
        self.indexed_bytes
            .fetch_add(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// A whole document was saved (a compaction's snapshot).
    pub(super) fn snapshot(&self) {
        self.snapshots.fetch_add(1, Ordering::Relaxed);
    }

    /// A document's link facts were derived by reading it.
    pub(super) fn link_facts(&self, n: usize) {
        self.link_facts
            .fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// A page's cached text was written.
    pub(super) fn preview(&self) {
        self.previews.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> Work {
        Work {
            hydrated: self.hydrated.load(Ordering::Relaxed),
            indexed: self.indexed.load(Ordering::Relaxed),
            indexed_bytes: self.indexed_bytes.load(Ordering::Relaxed),
            snapshots: self.snapshots.load(Ordering::Relaxed),
            link_facts: self.link_facts.load(Ordering::Relaxed),
            previews: self.previews.load(Ordering::Relaxed),
        }
    }
}

/// What the engine has done so far (see the module); [`Work::since`] gives the work of an
/// interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Work {
    /// Whole documents read into values.
    pub hydrated: u64,
    /// Documents (re)indexed for search.
    pub indexed: u64,
    /// Bytes of text those analysed.
    pub indexed_bytes: u64,
    /// Whole-document saves (compaction snapshots).
    pub snapshots: u64,
    /// Documents whose link facts were derived again.
    pub link_facts: u64,
    /// Cached page texts written (for opening a page at once).
    pub previews: u64,
}

impl Work {
    /// The work done between `before` and `self`.
    pub fn since(&self, before: &Work) -> Work {
        Work {
            hydrated: self.hydrated.saturating_sub(before.hydrated),
            indexed: self.indexed.saturating_sub(before.indexed),
            indexed_bytes: self.indexed_bytes.saturating_sub(before.indexed_bytes),
            snapshots: self.snapshots.saturating_sub(before.snapshots),
            link_facts: self.link_facts.saturating_sub(before.link_facts),
            previews: self.previews.saturating_sub(before.previews),
        }
    }

    /// One line for a bench table: the totals over `keys` keystrokes.
    pub fn describe(&self, keys: usize) -> String {
        format!(
            "{keys} keys: {} hydrated, {} indexed ({} KB analysed), {} snapshots, {} link facts, {} cached texts",
            self.hydrated,
            self.indexed,
            self.indexed_bytes / 1024,
            self.snapshots,
            self.link_facts,
            self.previews,
        )
    }
}

impl super::Workspace {
    /// The work counters so far (see [`Work`]).
    pub fn work(&self) -> Work {
        self.inner.work.get()
    }

    pub(super) fn counters(&self) -> &Counters {
        &self.inner.work
    }
}
