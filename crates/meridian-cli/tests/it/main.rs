//! The `meridian` program as a user meets it: real processes on a real data directory.

mod catchup;
mod checkins;
// Mounts a small tmpfs (Linux, root; skipped otherwise).
#[cfg(target_os = "linux")]
mod disk_full;
mod errors;
mod history;
mod import_export;
mod links;
mod meetings;
mod members;
mod merged;
mod mirror;
mod mirror_kinds;
mod mirror_scale;
mod mirror_tree;
mod objects;
// Attackers connect from 127.0.0.2 and up, which only Linux routes to loopback by default.
mod recover;
#[cfg(target_os = "linux")]
mod relay_attack;
// Two relays on one PostgreSQL server in a temporary folder (skipped without PostgreSQL).
mod relay_scaleout;
mod search;
mod sync;
mod threads;
mod views;
mod work;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `meridian --data-dir DIR ARGS…`.
pub fn meridian(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meridian"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("MERIDIAN_DATA_DIR")
        .env("MERIDIAN_KEYCHAIN", "off")
        .env("MERIDIAN_NO_LAN", "1")
        .output()
        .expect("run meridian")
}

/// Runs a command that must succeed and returns its stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = meridian(dir, args);
    assert!(
        out.status.success(),
        "meridian {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 stdout")
}

/// Runs a command with `--json` that must succeed and parses its one JSON document.
pub fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = ok(dir, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| {
        panic!("meridian {args:?} printed no single JSON document ({e}):\n{out}")
    })
}

/// Runs a command that must fail; returns stderr.
pub fn fails(dir: &Path, args: &[&str]) -> String {
    let out = meridian(dir, args);
    assert!(
        !out.status.success(),
        "meridian {args:?} should have failed"
    );
    assert!(
        out.stdout.is_empty() || !args.contains(&"--json"),
        "nothing on stdout on failure"
    );
    String::from_utf8(out.stderr).expect("UTF-8 stderr")
}

/// A fresh workspace in a temp dir.
pub fn init() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    ok(
        dir.path(),
        &[
            "init",
            "--name",
            "Acme",
            "--me",
            "Ada",
            "--tz",
            "Europe/Berlin",
        ],
    );
    dir
}

/// Adds a member with `--hours` and returns its id.
pub fn add_member(d: &std::path::Path, name: &str, tz: &str, hours: &str) -> String {
    let m = json(
        d,
        &[
            "member", "add", "--name", name, "--tz", tz, "--hours", hours,
        ],
    );
    m["id"].as_str().expect("id").to_owned()
}

/// `reply-by --json` for a message sent at `sent`.
pub fn reply_by(d: &std::path::Path, to: &str, kind: &str, sent: &str) -> Value {
    json(
        d,
        &["reply-by", "--to", to, "--kind", kind, "--sent-at", sent],
    )
}
