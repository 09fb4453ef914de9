//! What benchmarks B7 and B8 (BENCHMARKS.md) share: where the built programs and the corpus
//! are, the end-to-end harness (Xvfb, `tauri-driver`, temporary HOME), process trees and
//! their memory, percentiles and the JSON results. The two bench binaries in `src/bin`
//! drive the real desktop binary from the outside, as the end-to-end tests do, and are run
//! by `scripts/bench-desktop.sh`.
//!
//! It depends on no Meridian crate: it measures the programs, not the code.

use std::path::{Path, PathBuf};

/// The end-to-end harness of `tests/it/desktop`, reused as is: a private X display,
/// `tauri-driver`, and temporary HOME / XDG / data folders.
#[path = "../../../tests/it/desktop/harness.rs"]
pub mod harness;

pub type BenchResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `$CARGO_TARGET_DIR`, or `target/` in the repository.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"))
}

/// A built program: `$var` if set, else `target/debug/<name>` (what scripts/build-desktop.sh
/// and `cargo build` make). Fails with what to run when it is missing.
pub fn program(var: &str, name: &str) -> BenchResult<PathBuf> {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug").join(name));
    if !path.is_file() {
        return Err(format!(
            "{} is missing: run scripts/bench-desktop.sh (it builds it), or set {var}",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// A folder of `../shared/corpus`, or `None` (with a message) when the corpus is absent.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    let path = repo().join("../shared/corpus").join(rel);
    if path.exists() {
        Some(path)
    } else {
        println!(
            "skipping: {} is absent (../shared must sit beside the checkout)",
            path.display()
        );
        None
    }
}

/// An environment variable as a number, or `default`.
pub fn env_num<T: std::str::FromStr>(var: &str, default: T) -> BenchResult<T> {
    match std::env::var(var) {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("{var}={v:?} is not a number").into()),
        Err(_) => Ok(default),
    }
}

/// Runs `meridian --data-dir DIR ARGS…` and returns its stdout; fails with its stderr.
pub fn meridian(cli: &Path, dir: &Path, args: &[&str]) -> BenchResult<String> {
    let out = std::process::Command::new(cli)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("MERIDIAN_KEYCHAIN", "off")
        .env("MERIDIAN_NO_LAN", "1")
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "meridian {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The nearest-rank percentile `p` (0–100) of `values`; `NaN` when there are none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

/// The 1-minute load average, to note how busy the shared machine was.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Writes `$CARGO_TARGET_DIR/bench-results/<name>.json`.
pub fn write_json(name: &str, value: &serde_json::Value) -> BenchResult<PathBuf> {
    let dir = target_dir().join("bench-results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(value)? + "\n")?;
    Ok(path)
}

/// Processes and their memory, from `/proc`.
pub mod procs {
    /// Every process below `pid`, from `/proc/*/stat`.
    pub fn descendants(pid: u32) -> Vec<u32> {
        let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let child: u32 = e.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
                // The parent pid is the second field after the ")" that ends the name.
                let ppid = stat
                    .rsplit_once(')')?
                    .1
                    .split_whitespace()
                    .nth(1)?
                    .parse()
                    .ok()?;
                Some((child, ppid))
            })
            .collect();
        let mut out = Vec::new();
        let mut frontier = vec![pid];
        while let Some(p) = frontier.pop() {
            for (child, _) in parents.iter().filter(|(_, pp)| *pp == p) {
                out.push(*child);
                frontier.push(*child);
            }
        }
        out
    }

    /// Resident and proportional set sizes of one process, in KiB (`smaps_rollup`). PSS is
    /// split into file-backed pages (code and data of the executable and libraries, mapped
    /// files) and the rest (heap, stacks, shared memory).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Memory {
        pub rss_kib: u64,
        pub pss_kib: u64,
        pub pss_file_kib: u64,
    }

    impl std::ops::AddAssign for Memory {
        fn add_assign(&mut self, o: Memory) {
            self.rss_kib += o.rss_kib;
            self.pss_kib += o.pss_kib;
            self.pss_file_kib += o.pss_file_kib;
        }
    }

    pub fn memory(pid: u32) -> Option<Memory> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        };
        Some(Memory {
            rss_kib: field("Rss:")?,
            pss_kib: field("Pss:")?,
            pss_file_kib: field("Pss_File:").unwrap_or(0),
        })
    }

    /// The process's name (`/proc/PID/comm`).
    pub fn name(pid: u32) -> String {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 50.0), 2.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
