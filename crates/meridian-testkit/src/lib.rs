//! Test-only helpers: a fake clock the test moves by hand, temporary workspaces on a real
//! SQLite file, the path of the shared corpus, and a local network of Linux network
//! namespaces ([`netns`]), a small tmpfs to fill ([`tmpfs`]), a throwaway PostgreSQL server
//! ([`postgres`]). Never a dependency of product code.

pub mod netns;
pub mod postgres;
pub mod tmpfs;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use meridian_app::{Clock, Workspace};

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FakeClock(AtomicI64);

impl FakeClock {
    /// Starts at `rfc3339`, e.g. `"2026-11-24T09:00:00Z"`.
    pub fn at(rfc3339: &str) -> Arc<FakeClock> {
        let ms = chrono_ms(rfc3339);
        Arc::new(FakeClock(AtomicI64::new(ms)))
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn chrono_ms(rfc3339: &str) -> i64 {
    // Test input: a bad literal is a bug in the test.
    meridian_app::parse_rfc3339_ms(rfc3339).expect("a valid RFC 3339 instant in the test")
}

/// A workspace in a temporary folder that is deleted when this is dropped.
#[derive(Debug)]
pub struct TempWorkspace {
    pub ws: Workspace,
    pub clock: Arc<FakeClock>,
    pub dir: tempfile::TempDir,
}

impl TempWorkspace {
    /// A fresh workspace "Test" whose first member is Ada in Europe/London.
    pub async fn new() -> TempWorkspace {
        let dir = tempfile::tempdir().expect("a temp dir");
        let clock = FakeClock::at("2026-11-24T09:00:00Z");
        let ws =
            Workspace::create_with_clock(dir.path(), "Test", "Ada", "Europe/London", clock.clone())
                .await
                .expect("create a workspace");
        TempWorkspace { ws, clock, dir }
    }

    /// Opens the same folder again, as a restarted process would.
    pub async fn reopen(&self) -> Workspace {
        Workspace::open_with_clock(self.dir.path(), self.clock.clone())
            .await
            .expect("reopen the workspace")
    }
}

/// `../shared/corpus/<rel>` if present; tests skip with a message when it is not.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    // cargo sets CARGO_MANIFEST_DIR for the running test (the crate under test, also two
    // levels below the root); the compile-time value can name another checkout's path
    // when a build cache is shared.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let p = crate_dir.join("../../../shared/corpus").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipping: corpus {} is not present (expected ../shared beside the checkout)",
            p.display()
        );
        None
    }
}
