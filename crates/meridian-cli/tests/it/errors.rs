use crate::{fails, init, meridian};

#[test]
fn commands_before_init_say_to_run_init() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = fails(dir.path(), &["list"]);
    assert!(err.contains("meridian init"), "{err}");
}

#[test]
fn init_twice_is_refused() {
    let dir = init();
    let err = fails(
        dir.path(),
        &["init", "--name", "Again", "--me", "Ada", "--tz", "UTC"],
    );
    assert!(err.contains("already holds a workspace"), "{err}");
}

#[test]
fn bad_ids_and_unknown_ids_get_clear_errors() {
    let dir = init();
    let err = fails(dir.path(), &["show", "nonsense"]);
    assert!(err.contains("not an object id"), "{err}");
    let err = fails(dir.path(), &["show", "0123456789abcdef0123456789abcdef"]);
    assert!(err.contains("no object with id"), "{err}");
    let err = fails(
        dir.path(),
        &["--json", "show", "0123456789abcdef0123456789abcdef"],
    );
    assert!(err.contains("no object with id"), "{err}");
}

#[test]
fn bad_time_zone_and_kind_are_explained() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = fails(
        dir.path(),
        &["init", "--name", "A", "--me", "Ada", "--tz", "Mars/Base"],
    );
    assert!(err.contains("IANA"), "{err}");
    // Nothing was created by the refused init.
    assert!(fails(dir.path(), &["list"]).contains("meridian init"));
    let dir = init();
    let err = fails(dir.path(), &["list", "--kind", "spaceship"]);
    assert!(err.contains("unknown kind"), "{err}");
    // States, statuses and stances are parsed with the arguments: the error names the
    // argument and the values it takes.
    let id = "0".repeat(32);
    let err = fails(dir.path(), &["task", "state", &id, "finished"]);
    assert!(
        err.contains("'<STATE>'") && err.contains("open, doing, done, dropped"),
        "{err}"
    );
    let err = fails(dir.path(), &["decision", "feedback", &id, "meh"]);
    assert!(err.contains("'<STANCE>'") && err.contains("meh"), "{err}");
}

#[test]
fn an_unusable_data_dir_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let inside_file = file.join("workspace");
    let err = fails(
        &inside_file,
        &["init", "--name", "A", "--me", "Ada", "--tz", "UTC"],
    );
    assert!(err.contains("--data-dir"), "{err}");
}

#[test]
fn a_corrupt_database_is_detected_at_open() {
    let dir = init();
    let db = dir.path().join("workspace.db");
    let mut bytes = std::fs::read(&db).expect("read db");
    for b in bytes.iter_mut().skip(100).step_by(7) {
        *b = b.wrapping_mul(31).wrapping_add(17);
    }
    std::fs::write(&db, &bytes).expect("write");
    for wal in ["workspace.db-wal", "workspace.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(wal));
    }
    let out = meridian(dir.path(), &["list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.to_lowercase().contains("corrupt") || err.contains("damaged"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_interrupted_init_says_how_to_recover() {
    let dir = init();
    // What a crash in the middle of `init` leaves: the database without the finishing marks.
    let db = dir.path().join("workspace.db");
    let conn = rusqlite::Connection::open(&db).expect("open the database");
    conn.execute(
        "DELETE FROM meta WHERE key IN ('workspace_id', 'member_id')",
        [],
    )
    .expect("remove the marks");
    drop(conn);
    let err = fails(dir.path(), &["list"]);
    assert!(
        err.contains("interrupted") && err.contains("meridian init"),
        "{err}"
    );
}

#[test]
fn durations_take_seconds_and_garbage_is_explained() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Seconds are a duration: the join gets as far as reading the (bad) invite code.
    for wait in ["60s", "90s", "30m", "2h", "1m30s"] {
        let err = fails(
            dir.path(),
            &[
                "join", "hello", "--me", "Dan", "--tz", "UTC", "--wait", wait,
            ],
        );
        assert!(!err.contains("duration"), "{wait}: {err}");
        assert!(err.contains("invite"), "{wait}: {err}");
    }
    let err = fails(
        dir.path(),
        &[
            "join", "hello", "--me", "Dan", "--tz", "UTC", "--wait", "soon",
        ],
    );
    assert!(
        err.contains("\"soon\" is not a duration: use e.g. 90s, 30m, 2h, 7d or 1h30m"),
        "{err}"
    );
    let ws = init();
    let err = fails(ws.path(), &["sync", "--once", "--timeout", "later"]);
    assert!(err.contains("is not a duration"), "{err}");
}
