//! Meridian's fuzz targets (issue 21), as plain functions of arbitrary bytes: one per
//! decoder or parser that reads what another party, a file or a person wrote. Each one
//! feeds the bytes to the public API and asserts what must hold for any input: no panic,
//! and where it is cheap, that what decodes encodes and decodes to the same value, and
//! that what a parser accepts survives its own printer.
//!
//! `fuzz/` (cargo-fuzz, nightly) calls these for coverage-guided runs; the replay test
//! (`tests/it/replay.rs`, stable) runs every file under `fuzz/regressions/<target>/` and
//! `fuzz/seeds/<target>/` through them, so each crash found stays fixed. A target panics
//! on a broken invariant, which is what libFuzzer and the test both catch.
//!
//! This crate is test tooling: nothing depends on it. It may use every library crate's
//! public API (and the relay's `fuzzing` feature), never their internals.

mod fixtures;
mod relay;
pub mod seeds;
mod sync;
mod text;

pub use relay::relay_conn;
pub use sync::{
    envelope, frame, invite_code, join_request, key_file, membership_log, membership_ops,
};
pub use text::{hours, markdown, search_query, store_load};

/// A fuzz target: panics when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target by name (the names of `fuzz/fuzz_targets/*.rs` and of the corpus
/// folders).
pub const TARGETS: &[(&str, Target)] = &[
    ("frame", frame),
    ("envelope", envelope),
    ("membership_log", membership_log),
    ("membership_ops", membership_ops),
    ("invite_code", invite_code),
    ("join_request", join_request),
    ("key_file", key_file),
    ("relay_conn", relay_conn),
    ("markdown", markdown),
    ("search_query", search_query),
    ("hours", hours),
    ("store_load", store_load),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Reads bytes of the input one field at a time; past the end every read is zero, so
/// any input is a complete script.
#[derive(Debug)]
pub(crate) struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub(crate) fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// True once in `n` byte values.
    pub(crate) fn one_in(&mut self, n: u8) -> bool {
        self.byte().is_multiple_of(n)
    }

    pub(crate) fn u64(&mut self) -> u64 {
        // Small numbers most of the time: sequence numbers and positions near the edge.
        match self.byte() {
            b @ 0..=0xef => u64::from(b),
            _ => {
                let mut out = [0u8; 8];
                for b in &mut out {
                    *b = self.byte();
                }
                u64::from_le_bytes(out)
            }
        }
    }

    /// Up to `max` bytes, the length first.
    pub(crate) fn bytes(&mut self, max: usize) -> &'a [u8] {
        let len = (usize::from(self.byte()) << 8 | usize::from(self.byte())).min(max);
        let len = len.min(self.data.len());
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        head
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}
