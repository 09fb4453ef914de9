//! A device whose local database is damaged or lost is rebuilt from the relay (issue 21):
//! two devices sync through a real `meridian-relay` process; device B's `workspace.db` is
//! overwritten with garbage, or cut mid-file, or its `sync.db` is deleted; B's next command
//! fails and says what to do; `meridian recover` brings back everything A and B had synced,
//! keeps B's identity and the damaged file; and B's next edits reach A, which they would
//! not if B reused a sequence number the relay or A already held.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::sync::{Relay, join, once, page, page_id};
use crate::{fails, init, json, ok};

/// What a device shows of the workspace: every object's kind and title, and every page's
/// body, sorted.
fn contents(dir: &Path) -> Vec<String> {
    let rows = json(dir, &["list"]);
    let mut out: Vec<String> = rows
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            let mut line = format!("{} {}", r["kind"], r["title"]);
            if r["kind"] == "page" {
                let id = r["id"].as_str().expect("id");
                line.push_str(&format!(" {}", page(dir, id)["body"]));
            }
            line
        })
        .collect();
    out.sort();
    out
}

fn this_device(dir: &Path) -> String {
    json(dir, &["devices"])
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["this_device"] == true)
        .expect("this device is listed")["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// A body over the checkpoint threshold (4 KiB), so the document gets a checkpoint that
/// covers B's envelopes and the relay collects them.
fn long_body(tag: &str) -> String {
    (0..120)
        .map(|i| format!("{tag} line {i}: the plan holds.\n"))
        .collect()
}

struct Setup {
    _relay_dir: tempfile::TempDir,
    relay: Relay,
    a: tempfile::TempDir,
    b: tempfile::TempDir,
    b_device: String,
    before: Vec<String>,
}

/// A and B share a workspace through a relay; both wrote pages (B a long one, which is
/// checkpointed) and both hold everything.
fn setup() -> Setup {
    let relay_dir = tempfile::tempdir().expect("temp dir");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    ok(
        a.path(),
        &[
            "page",
            "new",
            "--title",
            "From Ada",
            "--body",
            "Ada wrote this.\n",
        ],
    );
    let b = join(a.path(), &relay, "Bea", "editor");
    ok(
        b.path(),
        &[
            "page",
            "new",
            "--title",
            "From Bea",
            "--body",
            &long_body("Bea"),
        ],
    );
    let bea = page_id(b.path(), "From Bea");
    ok(
        b.path(),
        &["page", "edit", &bea, "--body", &long_body("Bea, edited")],
    );
    let ada = page_id(b.path(), "From Ada");
    ok(
        b.path(),
        &[
            "page",
            "edit",
            &ada,
            "--body",
            "Ada wrote this.\nBea agrees.\n",
        ],
    );
    once(b.path());
    once(a.path());
    // B reports its verdicts on A's checkpoints, A on B's; the relay may collect.
    once(b.path());
    once(a.path());
    let before = contents(b.path());
    assert_eq!(before, contents(a.path()), "both devices hold the same");
    let b_device = this_device(b.path());
    Setup {
        _relay_dir: relay_dir,
        relay,
        a,
        b,
        b_device,
        before,
    }
}

fn relay_url(relay: &Relay) -> String {
    format!("ws://{}/sync", relay.addr)
}

/// The files `recover` moved aside in `dir`, for `name`.
fn kept_aside(dir: &Path, name: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("{name}.corrupt-"))
                    && !n.ends_with("-wal")
                    && !n.ends_with("-shm")
            })
        })
        .collect()
}

/// After a recovery: B holds what it held, keeps its identity, and its next edits (to a
/// document whose earlier envelopes a checkpoint covers, and a new one) reach A.
fn check_recovered(s: &Setup, report: &Value) {
    assert_eq!(report["device"], s.b_device.as_str(), "{report}");
    assert_eq!(this_device(s.b.path()), s.b_device, "B keeps its identity");
    assert_eq!(contents(s.b.path()), s.before, "B holds everything it held");

    let bea = page_id(s.b.path(), "From Bea");
    ok(
        s.b.path(),
        &["page", "edit", &bea, "--body", "After the recovery.\n"],
    );
    ok(
        s.b.path(),
        &[
            "page",
            "new",
            "--title",
            "New after recovery",
            "--body",
            "fresh\n",
        ],
    );
    once(s.b.path());
    once(s.a.path());
    assert_eq!(
        page(s.a.path(), &bea)["body"],
        "After the recovery.\n",
        "A sees B's edit: its numbers did not collide with B's earlier envelopes"
    );
    let fresh = page_id(s.a.path(), "New after recovery");
    assert_eq!(page(s.a.path(), &fresh)["body"], "fresh\n");
    // And A's edits still reach B.
    ok(
        s.a.path(),
        &["page", "edit", &fresh, "--body", "fresh, from Ada\n"],
    );
    once(s.a.path());
    once(s.b.path());
    assert_eq!(page(s.b.path(), &fresh)["body"], "fresh, from Ada\n");
    assert_eq!(contents(s.a.path()), contents(s.b.path()));
    let status = json(s.b.path(), &["sync-status"]);
    assert_eq!(status["synced"], true, "{status}");
}

fn damaged_workspace_db_is_rebuilt(damage: impl FnOnce(&Path)) {
    let s = setup();
    let file = s.b.path().join("workspace.db");
    damage(&file);
    let original = std::fs::read(&file).expect("read the damaged file");

    let err = fails(s.b.path(), &["list"]);
    assert!(
        err.contains("workspace.db") && err.contains("damaged") && err.contains("meridian recover"),
        "{err}"
    );

    let report = json(s.b.path(), &["recover", "--timeout", "1m"]);
    assert_eq!(
        report["rebuilt"],
        serde_json::json!(["workspace.db"]),
        "{report}"
    );
    assert!(
        report["received"].as_u64().expect("received") > 0,
        "{report}"
    );
    let aside = kept_aside(s.b.path(), "workspace.db");
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read(&aside[0]).expect("read the kept file"),
        original,
        "the damaged file is kept as it was"
    );
    assert_eq!(report["moved_aside"][0], aside[0].display().to_string());
    check_recovered(&s, &report);
    drop(s.relay);
}

#[test]
fn a_workspace_db_overwritten_with_garbage_is_rebuilt_from_sync_db_and_the_relay() {
    damaged_workspace_db_is_rebuilt(|file| {
        let len = std::fs::metadata(file).expect("stat").len() as usize;
        let garbage: Vec<u8> = (0..len).map(|i| (i * 7919 % 251) as u8).collect();
        std::fs::write(file, garbage).expect("overwrite");
    });
}

#[test]
fn a_workspace_db_cut_mid_file_is_rebuilt_from_sync_db_and_the_relay() {
    damaged_workspace_db_is_rebuilt(|file| {
        let len = std::fs::metadata(file).expect("stat").len();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(file)
            .expect("open");
        f.set_len(len / 2).expect("truncate");
    });
}

#[test]
fn a_deleted_sync_db_is_rebuilt_from_the_relay_without_reusing_sequence_numbers() {
    let s = setup();
    let sync_db = s.b.path().join("sync.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sync_db.display()));
    }

    let err = fails(s.b.path(), &["list"]);
    assert!(
        err.contains("sync.db") && err.contains("meridian recover"),
        "{err}"
    );
    // The relay's address was in sync.db: the recovery asks for it.
    let err = fails(s.b.path(), &["recover", "--timeout", "1m"]);
    assert!(err.contains("--relay"), "{err}");

    let url = relay_url(&s.relay);
    let report = json(s.b.path(), &["recover", "--relay", &url, "--timeout", "1m"]);
    assert_eq!(
        report["rebuilt"],
        serde_json::json!(["sync.db"]),
        "{report}"
    );
    assert!(
        report["own_returned"].as_u64().expect("own_returned") > 0,
        "the relay returned B's own envelopes: {report}"
    );
    assert_eq!(
        report["moved_aside"],
        serde_json::json!([]),
        "nothing was damaged"
    );
    check_recovered(&s, &report);
}

#[test]
fn recover_refuses_when_nothing_is_damaged() {
    let a = init();
    let err = fails(a.path(), &["recover"]);
    assert!(err.contains("nothing to recover"), "{err}");
}

#[test]
fn a_sync_db_overwritten_with_garbage_is_kept_aside_and_rebuilt_from_the_relay() {
    let s = setup();
    let file = s.b.path().join("sync.db");
    let len = std::fs::metadata(&file).expect("stat").len() as usize;
    std::fs::write(&file, vec![0x5a; len]).expect("overwrite");

    let err = fails(s.b.path(), &["list"]);
    assert!(
        err.contains("sync.db") && err.contains("damaged") && err.contains("meridian recover"),
        "{err}"
    );
    // Nothing of the relay's address can be read from the garbage: it is asked for.
    let err = fails(s.b.path(), &["recover", "--timeout", "1m"]);
    assert!(err.contains("--relay"), "{err}");
    let aside = kept_aside(s.b.path(), "sync.db");
    assert_eq!(aside.len(), 1, "kept aside at the first attempt: {aside:?}");

    let url = relay_url(&s.relay);
    let report = json(s.b.path(), &["recover", "--relay", &url, "--timeout", "1m"]);
    assert_eq!(
        report["rebuilt"],
        serde_json::json!(["sync.db"]),
        "{report}"
    );
    check_recovered(&s, &report);
    assert_eq!(
        std::fs::read(&aside[0]).expect("read the kept file"),
        vec![0x5a; len],
        "the damaged file is kept as it was"
    );
}

#[test]
fn with_both_databases_lost_recover_says_to_join_again_and_moves_nothing() {
    let s = setup();
    let ws = s.b.path().join("workspace.db");
    std::fs::write(&ws, b"not a database").expect("overwrite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", s.b.path().join("sync.db").display()));
    }
    let url = relay_url(&s.relay);
    let err = fails(s.b.path(), &["recover", "--relay", &url, "--timeout", "1m"]);
    assert!(err.contains("join it again"), "{err}");
    assert!(kept_aside(s.b.path(), "workspace.db").is_empty());
    assert_eq!(std::fs::read(&ws).expect("read"), b"not a database");
}

#[test]
fn an_interrupted_recovery_seals_nothing_and_finishes_when_run_again() {
    let s = setup();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", s.b.path().join("sync.db").display()));
    }
    // No relay listens there: the recovery stops before learning B's numbering.
    let err = fails(
        s.b.path(),
        &[
            "recover",
            "--relay",
            "ws://127.0.0.1:9/sync",
            "--timeout",
            "3s",
        ],
    );
    assert!(err.contains("run the recovery again"), "{err}");
    let err = fails(s.b.path(), &["list"]);
    assert!(
        err.contains("did not finish") && err.contains("meridian recover"),
        "{err}"
    );
    let url = relay_url(&s.relay);
    let report = json(s.b.path(), &["recover", "--relay", &url, "--timeout", "1m"]);
    assert_eq!(
        report["rebuilt"],
        serde_json::json!(["sync.db"]),
        "{report}"
    );
    check_recovered(&s, &report);
}
