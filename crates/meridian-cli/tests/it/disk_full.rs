//! A full disk, met by the real programs on a small tmpfs of their own (issue 21): the
//! workspace's disk, the relay's disk and the Markdown folder's disk. Each run checks that
//! the person is told, in words, that the disk is full; that nothing acknowledged before
//! is lost and what was refused arrives once space returns; and that the databases pass
//! `PRAGMA integrity_check` and no half-written file is left. Mounting needs root (CI is
//! root): otherwise each test prints why it skips.

use std::path::Path;
use std::process::Stdio;

use meridian_testkit::tmpfs::SmallDisk;

use crate::mirror::{Mirroring, file_of, listing, read, show, within};
use crate::sync::{Relay, join, once, page_id};
use crate::{fails, init, json, meridian, ok};

fn small_disk(size: &str, test: &str) -> Option<SmallDisk> {
    match SmallDisk::mount(size) {
        Ok(d) => Some(d),
        Err(reason) => {
            eprintln!("skipping {test}: {reason}");
            None
        }
    }
}

/// Letters that do not compress away, `len` of them.
fn noise(len: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

/// `PRAGMA integrity_check` on a database file nobody has open.
fn integrity_ok(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check runs");
    assert_eq!(verdict, "ok", "{}", db.display());
}

/// `page new` with the body from a file (a body this big does not fit in an argument).
fn new_page_from_file(d: &Path, title: &str, body: &str) -> std::process::Output {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), body).expect("write the body");
    meridian(
        d,
        &[
            "--json",
            "page",
            "new",
            "--title",
            title,
            "--body-file",
            file.path().to_str().expect("UTF-8 temp path"),
        ],
    )
}

fn titles(d: &Path) -> String {
    json(d, &["list", "--kind", "page"]).to_string()
}

#[test]
fn a_command_on_a_full_disk_says_so_and_nothing_saved_before_is_lost() {
    let Some(disk) = small_disk("4m", "the CLI disk-full test") else {
        return;
    };
    let ws = disk.path().join("ws");
    ok(
        &ws,
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
    let saved = json(
        &ws,
        &[
            "page",
            "new",
            "--title",
            "Saved",
            "--body",
            "written before",
        ],
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();

    disk.fill();
    let out = new_page_from_file(&ws, "Refused", &noise(120_000, 7));
    assert!(!out.status.success(), "a full disk cannot take a new page");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("full"), "{err}");
    assert!(err.contains("free some space"), "{err}");
    assert!(
        !err.contains("permissions"),
        "not a permissions problem: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing printed as if it worked");
    // Opening the full disk afresh is refused in the same words (SQLite cannot even map
    // its shared-memory file), and changes nothing.
    let listing_err = meridian(&ws, &["list"]);
    if !listing_err.status.success() {
        let e = String::from_utf8_lossy(&listing_err.stderr);
        assert!(e.contains("full") && e.contains("free some space"), "{e}");
    }

    disk.free();
    assert_eq!(show(&ws, &saved)["body"], "written before");
    let listed = titles(&ws);
    assert!(
        !listed.contains("Refused"),
        "the refused page was reported as not saved: {listed}"
    );
    let body = noise(120_000, 8);
    let out = new_page_from_file(&ws, "After", &body);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(show(&ws, &page_id(&ws, "After"))["body"], body.as_str());
    integrity_ok(&ws.join("workspace.db"));
}

#[test]
fn a_file_saved_while_the_workspace_disk_is_full_reaches_the_workspace_once_space_returns() {
    let Some(disk) = small_disk("6m", "the engine disk-full test") else {
        return;
    };
    // The workspace on the small disk; the Markdown folder (where the edit comes from)
    // elsewhere, so the person can still save files while the workspace's disk is full.
    let ws = disk.path().join("ws");
    ok(
        &ws,
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
    let id = json(
        &ws,
        &["page", "new", "--title", "Plan", "--body", "saved before\n"],
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let notes = tempfile::tempdir().expect("notes folder");
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mirror = Mirroring::start_with(
        &ws,
        notes.path(),
        &[("MERIDIAN_LOG", "warn,meridian_store=info")],
        Stdio::from(log.reopen().expect("log handle")),
    );
    let file = notes.path().join("pages").join("plan.md");
    assert!(
        within(20, || file.exists() && read(&file).contains("saved before")),
        "the mirror wrote the page: {:?}",
        listing(notes.path())
    );

    disk.fill();
    let big = noise(400_000, 3);
    let edited = read(&file).replace("saved before\n", &format!("saved before\n\n{big}\n"));
    std::fs::write(&file, &edited).expect("save the file");
    assert!(
        within(30, || read_log(log.path()).contains("is full")),
        "the mirror says the disk is full:\n{}",
        read_log(log.path())
    );
    let logged = read_log(log.path());
    assert!(logged.contains("free some space"), "{logged}");
    assert!(
        !logged.contains("remove mirror.db"),
        "no advice that does not help: {logged}"
    );
    assert_eq!(read(&file), edited, "the saved file is left as it is");

    // Space returns; nothing else is edited. The mirror, retrying, takes the edit in and
    // saves it: another process reads it from the database.
    disk.free();
    assert!(
        within(30, || meridian(&ws, &["--json", "show", &id])
            .stdout
            .windows(big.len().min(64))
            .any(|w| w == &big.as_bytes()[..64])),
        "the kept edit reached the database:\n{}",
        read_log(log.path())
    );
    // A hard kill (SIGKILL, in its drop) now loses nothing: it is already committed.
    drop(mirror);
    let body = show(&ws, &id)["body"].as_str().expect("body").to_owned();
    assert!(body.contains("saved before"), "{body:.200}");
    assert!(body.contains(&big), "the whole edit is saved");
    integrity_ok(&ws.join("workspace.db"));
}

fn read_log(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[test]
fn a_relay_on_a_full_disk_refuses_pushes_in_words_keeps_serving_reads_and_takes_them_later() {
    let Some(disk) = small_disk("3m", "the relay disk-full test") else {
        return;
    };
    let relay = Relay::start(disk.path());
    let a = init();
    let b = join(a.path(), &relay, "Bea", "editor");
    ok(
        a.path(),
        &["page", "new", "--title", "Acked", "--body", "stored before"],
    );
    once(a.path());

    disk.fill();
    // Reads go on: B fetches what the relay acknowledged before its disk filled up.
    once(b.path());
    assert!(titles(b.path()).contains("Acked"));

    let body = noise(200_000, 11);
    let out = new_page_from_file(a.path(), "Waiting", &body);
    assert!(out.status.success(), "A's own disk is fine");
    let err = fails(a.path(), &["sync", "--once", "--timeout", "20s"]);
    assert!(err.contains("disk is full"), "{err}");
    let status = json(a.path(), &["sync-status"]);
    assert_eq!(status["synced"], false, "{status}");
    assert!(
        status["reason"]
            .as_str()
            .is_some_and(|r| r.contains("disk is full")),
        "{status}"
    );
    assert!(status["pending"].as_u64().unwrap_or(0) >= 1, "{status}");
    assert!(relay_alive(&relay), "the relay keeps running");

    disk.free();
    once(a.path());
    once(b.path());
    let waiting = page_id(b.path(), "Waiting");
    assert_eq!(show(b.path(), &waiting)["body"], body.as_str());
    assert_eq!(json(a.path(), &["sync-status"])["synced"], true);
    drop(relay);
    integrity_ok(&disk.path().join("relay.sqlite3"));
}

fn relay_alive(relay: &Relay) -> bool {
    Path::new(&format!("/proc/{}", relay.pid())).exists()
}

#[test]
fn a_full_markdown_folder_never_gets_a_half_written_file_and_catches_up_when_space_returns() {
    let Some(disk) = small_disk("1m", "the mirror-folder disk-full test") else {
        return;
    };
    let ws = init();
    let one = json(
        ws.path(),
        &["page", "new", "--title", "One", "--body", "first version\n"],
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let folder = disk.path().join("notes");
    {
        let mut first = Mirroring::start(ws.path(), &folder);
        assert!(
            within(20, || folder.join("pages/one.md").exists()),
            "the first pass wrote the page"
        );
        assert!(first.stop(), "the mirror stops on Ctrl-C");
    }
    let one_file = file_of(&folder, &one);
    let before = read(&one_file);

    // While the folder's disk is full, One changes and Two is made (the workspace's own
    // disk is fine); the mirror starts on a folder it cannot write to.
    disk.fill();
    let second = noise(300_000, 5);
    let out = new_page_from_file(ws.path(), "Two", &second);
    assert!(out.status.success(), "the workspace's disk is fine");
    let two = page_id(ws.path(), "Two");
    let changed = format!("second version\n{}\n", noise(20_000, 6));
    let file = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(file.path(), &changed).expect("body");
    ok(
        ws.path(),
        &[
            "page",
            "edit",
            &one,
            "--body-file",
            file.path().to_str().expect("UTF-8"),
        ],
    );
    let log = tempfile::NamedTempFile::new().expect("log file");
    let _mirror = Mirroring::start_with(
        ws.path(),
        &folder,
        &[],
        Stdio::from(log.reopen().expect("log handle")),
    );
    assert!(
        within(30, || read_log(log.path()).contains("Markdown folder")),
        "the mirror says it cannot write:\n{}",
        read_log(log.path())
    );
    let logged = read_log(log.path());
    assert!(
        logged.contains("is full") && logged.contains("free some space"),
        "{logged}"
    );
    // Whatever is in the folder is whole: the old text of One, no part of Two, no temp file.
    assert_eq!(read(&one_file), before, "the old file is untouched");
    for rel in listing(&folder) {
        let name = rel.to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "a temp file was left: {name}");
        if name.ends_with(".md") {
            let text = read(&folder.join(&rel));
            assert!(
                !text.contains(&second[..64]) || text.contains(&second),
                "{name} is half-written"
            );
        }
    }

    // Space returns: the mirror, still retrying, writes both.
    disk.free();
    let has_two = || {
        listing(&folder).iter().any(|p| {
            std::fs::read_to_string(folder.join(p))
                .is_ok_and(|t| t.contains(&format!("id: {two}\n")) && t.contains(&second))
        })
    };
    assert!(
        within(45, || {
            std::fs::read_to_string(&one_file).is_ok_and(|t| t.contains(&changed)) && has_two()
        }),
        "the mirror wrote both once space returned (folder: {:?}):\n{}",
        listing(&folder),
        read_log(log.path())
    );
}
