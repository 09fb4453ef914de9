//! Devices that never met sync through a real `meridian-relay` process on loopback: join
//! by invite, concurrent edits converge, offline edits wait in the outbox, a relay killed
//! with SIGKILL loses nothing it acknowledged, removed devices are refused, and the relay's
//! folder holds no plaintext.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{fails, init, json, meridian, ok};

/// A `meridian-relay` process.
pub(crate) struct Relay {
    child: Child,
    url: String,
    pub(crate) addr: String,
    data: PathBuf,
}

fn relay_binary() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_meridian")).with_file_name("meridian-relay");
    assert!(
        bin.exists(),
        "{} is missing: `cargo test --workspace` builds it (or `cargo build -p meridian-relay`)",
        bin.display()
    );
    bin
}

impl Relay {
    pub(crate) fn start(data: &Path) -> Relay {
        Relay::start_on(data, "127.0.0.1:0")
    }

    fn start_on(data: &Path, addr: &str) -> Relay {
        Relay::spawn(data, addr, "--insecure")
    }

    /// `wss://` with a self-signed certificate.
    fn start_tls(data: &Path) -> Relay {
        Relay::spawn(data, "127.0.0.1:0", "--tls-self-signed")
    }

    fn spawn(data: &Path, addr: &str, mode: &str) -> Relay {
        Relay::spawn_with(data, addr, &[mode])
    }

    /// A plain `ws://` relay on loopback started with `args` (limits, timeouts).
    pub(crate) fn start_with(data: &Path, args: &[&str]) -> Relay {
        let mut all = vec!["--insecure"];
        all.extend_from_slice(args);
        Relay::spawn_with(data, "127.0.0.1:0", &all)
    }

    fn spawn_with(data: &Path, addr: &str, args: &[&str]) -> Relay {
        let mut child = Command::new(relay_binary())
            .args(["--listen", addr, "--data"])
            .arg(data)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start meridian-relay");
        let stdout = child.stdout.take().expect("relay stdout");
        let url = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("listening on ").map(str::to_owned))
            .expect("the relay says where it listens");
        let addr = url
            .split("://")
            .nth(1)
            .expect("test step")
            .split('/')
            .next()
            .expect("test step")
            .to_owned();
        Relay {
            child,
            url,
            addr,
            data: data.to_owned(),
        }
    }

    /// The relay's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: no graceful shutdown, no chance to flush anything.
    fn kill(mut self) -> (PathBuf, String) {
        self.child.kill().expect("kill relay");
        self.child.wait().expect("reap relay");
        (self.data.clone(), self.addr.clone())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `meridian sync` running in the background for one device.
pub(crate) struct Syncing(Child);

impl Syncing {
    pub(crate) fn start(dir: &Path) -> Syncing {
        Syncing(
            Command::new(env!("CARGO_BIN_EXE_meridian"))
                .arg("--data-dir")
                .arg(dir)
                .arg("sync")
                .env_remove("MERIDIAN_DATA_DIR")
                .env("MERIDIAN_KEYCHAIN", "off")
                .env("MERIDIAN_NO_LAN", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start meridian sync"),
        )
    }
}

impl Drop for Syncing {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn invite(dir: &Path, relay: &Relay, role: &str) -> String {
    invite_at(dir, &relay.url, role)
}

fn invite_at(dir: &Path, url: &str, role: &str) -> String {
    json(dir, &["invite", "--relay", url, "--role", role])["code"]
        .as_str()
        .expect("code")
        .to_owned()
}

/// Joins into a fresh folder while `admin` syncs to admit it.
pub(crate) fn join(admin: &Path, relay: &Relay, name: &str, role: &str) -> tempfile::TempDir {
    join_at(admin, &relay.url, name, role)
}

/// [`join`] through a relay at `url` (e.g. a proxy in front of one).
pub(crate) fn join_at(admin: &Path, url: &str, name: &str, role: &str) -> tempfile::TempDir {
    let code = invite_at(admin, url, role);
    let dir = tempfile::tempdir().expect("temp dir");
    let _admin = Syncing::start(admin);
    ok(
        dir.path(),
        &[
            "join",
            &code,
            "--me",
            name,
            "--tz",
            "America/New_York",
            "--wait",
            "1m",
        ],
    );
    dir
}

pub(crate) fn once(dir: &Path) {
    ok(dir, &["sync", "--once", "--timeout", "1m"]);
}

pub(crate) fn page_id(dir: &Path, title: &str) -> String {
    let rows = json(dir, &["list", "--kind", "page"]);
    rows.as_array()
        .expect("test step")
        .iter()
        .find(|r| r["title"] == title)
        .unwrap_or_else(|| panic!("no page {title:?} in {rows}"))["id"]
        .as_str()
        .expect("test step")
        .to_owned()
}

pub(crate) fn page(dir: &Path, id: &str) -> Value {
    json(dir, &["show", id])
}

/// Polls `f` until it holds or `secs` pass.
pub(crate) fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    f()
}

pub(crate) fn files_contain(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).expect("test step").flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_contain(&path, needle));
        } else if std::fs::read(&path)
            .unwrap_or_default()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            hits.push(path);
        }
    }
    hits
}

#[test]
fn two_devices_that_never_met_converge_through_a_relay_and_it_sees_no_plaintext() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let plan = ok(
        a.path(),
        &[
            "page",
            "new",
            "--title",
            "Launch plan",
            "--body",
            "We launch on Friday.\n",
        ],
    );
    assert!(plan.contains("Launch plan"));
    let b = join(a.path(), &relay, "Bea", "editor");

    // B has the workspace: the page, both members, B's own identity.
    let id = page_id(b.path(), "Launch plan");
    assert_eq!(page(b.path(), &id)["body"], "We launch on Friday.\n");
    let members = json(b.path(), &["list", "--kind", "member"]).to_string();
    assert!(
        members.contains("\"Ada\"") && members.contains("\"Bea\""),
        "{members}"
    );
    let devices = json(b.path(), &["devices"]);
    assert_eq!(devices.as_array().expect("test step").len(), 2, "{devices}");

    // Concurrent edits of the same page, both offline from each other, converge.
    ok(
        a.path(),
        &["page", "edit", &id, "--body", "Ada: we launch on Friday.\n"],
    );
    ok(
        b.path(),
        &[
            "page",
            "edit",
            &id,
            "--body",
            "We launch on Friday.\nBea: docs are ready.\n",
        ],
    );
    ok(
        b.path(),
        &["page", "edit", &id, "--title", "Launch plan (final)"],
    );
    once(a.path());
    once(b.path());
    once(a.path());
    let (pa, pb) = (page(a.path(), &id), page(b.path(), &id));
    assert_eq!(pa, pb, "both devices hold the same page");
    let body = pa["body"].as_str().expect("test step");
    assert!(
        body.contains("Ada:") && body.contains("Bea: docs are ready."),
        "{body}"
    );
    assert_eq!(pa["title"], "Launch plan (final)");
    let status = json(a.path(), &["sync-status"]);
    assert_eq!(status["synced"], true, "{status}");
    assert_eq!(status["pending"], 0);

    // The relay's folder holds ciphertext only.
    drop(relay);
    for secret in [
        "Launch plan",
        "We launch on Friday",
        "docs are ready",
        "Bea",
        "Ada",
    ] {
        let hits = files_contain(relay_dir.path(), secret.as_bytes());
        assert!(hits.is_empty(), "{secret:?} readable in {hits:?}");
    }
}

#[test]
fn offline_edits_wait_in_the_outbox_and_a_killed_relay_loses_nothing_it_acknowledged() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let b = join(a.path(), &relay, "Bea", "editor");

    // A writes and the relay acknowledges; then the relay dies hard.
    ok(
        a.path(),
        &["page", "new", "--title", "Acked", "--body", "durable"],
    );
    once(a.path());
    let (data, addr) = relay.kill();

    // Offline: edits are kept and reported as not synced, with the reason.
    ok(
        a.path(),
        &[
            "page",
            "new",
            "--title",
            "Offline",
            "--body",
            "written offline",
        ],
    );
    let status = json(a.path(), &["sync-status"]);
    assert_eq!(status["synced"], false, "{status}");
    assert!(
        status["unsealed_documents"].as_u64().expect("test step") >= 1,
        "{status}"
    );
    let err = fails(a.path(), &["sync", "--once", "--timeout", "5m"]);
    assert!(err.contains("cannot reach the relay"), "{err}");
    let status = json(a.path(), &["sync-status"]);
    assert_eq!(status["synced"], false);
    assert!(
        status["reason"]
            .as_str()
            .expect("test step")
            .contains("cannot reach the relay"),
        "{status}"
    );
    assert!(
        status["pending"].as_u64().expect("test step") >= 1,
        "sealed, not yet acknowledged"
    );

    // The relay comes back on the same address: B gets what was acknowledged before the
    // kill, and what A queued offline once A syncs.
    let relay = Relay::start_on(&data, &addr);
    once(b.path());
    let titles = json(b.path(), &["list", "--kind", "page"]).to_string();
    assert!(titles.contains("Acked"), "{titles}");
    once(a.path());
    once(b.path());
    let id = page_id(b.path(), "Offline");
    assert_eq!(page(b.path(), &id)["body"], "written offline");
    assert_eq!(json(a.path(), &["sync-status"])["synced"], true);
    drop(relay);
}

#[test]
fn a_third_device_joins_live_and_a_removed_device_is_refused() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let b = join(a.path(), &relay, "Bea", "editor");
    let c = join(a.path(), &relay, "Cem", "viewer");

    // B and C keep syncing; an edit on A reaches both without them asking.
    let sync_b = Syncing::start(b.path());
    let sync_c = Syncing::start(c.path());
    ok(
        a.path(),
        &["page", "new", "--title", "Live", "--body", "pushed"],
    );
    once(a.path());
    assert!(eventually(20, || {
        json(b.path(), &["list", "--kind", "page"])
            .to_string()
            .contains("Live")
            && json(c.path(), &["list", "--kind", "page"])
                .to_string()
                .contains("Live")
    }));
    drop((sync_b, sync_c));

    // A viewer's edits stay on its device: they are never sealed.
    let id = page_id(c.path(), "Live");
    ok(c.path(), &["page", "edit", &id, "--body", "vandalised"]);
    let status = json(c.path(), &["sync-status"]);
    assert!(
        status["reason"]
            .as_str()
            .expect("test step")
            .contains("viewer"),
        "{status}"
    );
    once(c.path());
    once(a.path());
    assert_eq!(page(a.path(), &id)["body"], "pushed");

    // Removing B rotates the key and the relay refuses B from then on.
    let devices = json(a.path(), &["devices"]);
    let bea = devices
        .as_array()
        .expect("test step")
        .iter()
        .find(|d| d["member"] == "Bea")
        .expect("test step")["id"]
        .as_str()
        .expect("test step")
        .to_owned();
    let removed = json(a.path(), &["remove-device", &bea]);
    assert_eq!(removed["relay_told"], true, "{removed}");
    ok(
        a.path(),
        &[
            "page",
            "new",
            "--title",
            "After removal",
            "--body",
            "new epoch",
        ],
    );
    once(a.path());
    let err = fails(b.path(), &["sync", "--once"]);
    assert!(err.contains("removed"), "{err}");
    let titles = json(b.path(), &["list", "--kind", "page"]).to_string();
    assert!(!titles.contains("After removal"), "{titles}");
    let status = json(b.path(), &["sync-status"]);
    assert!(
        status["reason"]
            .as_str()
            .expect("test step")
            .contains("removed"),
        "{status}"
    );
    // C, still a member, can read the new epoch.
    once(c.path());
    assert!(
        json(c.path(), &["list", "--kind", "page"])
            .to_string()
            .contains("After removal")
    );
    drop(relay);
}

#[test]
fn bad_invites_are_refused_with_reasons() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let code = invite(a.path(), &relay, "editor");

    // A typo anywhere is caught by the checksum.
    let mut typo: Vec<char> = code.chars().collect();
    let i = typo.len() / 2;
    typo[i] = if typo[i] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let d = tempfile::tempdir().expect("test step");
    let err = fails(d.path(), &["join", &typo, "--me", "Dan", "--tz", "UTC"]);
    assert!(err.contains("checksum"), "{err}");
    assert!(fails(d.path(), &["join", "hello", "--me", "Dan", "--tz", "UTC"]).contains("invite"));
    let err = fails(
        d.path(),
        &["join", &code, "--me", "Dan", "--tz", "Mars/Olympus"],
    );
    assert!(err.to_lowercase().contains("time zone"), "{err}");

    // A used invite cannot be replayed by another device.
    let dir = tempfile::tempdir().expect("test step");
    {
        let _admin = Syncing::start(a.path());
        ok(
            dir.path(),
            &["join", &code, "--me", "Bea", "--tz", "UTC", "--wait", "1m"],
        );
    }
    let e = tempfile::tempdir().expect("test step");
    let err = fails(
        e.path(),
        &["join", &code, "--me", "Eve", "--tz", "UTC", "--wait", "1m"],
    );
    assert!(err.contains("refused"), "{err}");

    // Joining into a folder that holds a workspace is refused.
    let err = fails(a.path(), &["join", &code, "--me", "Ada", "--tz", "UTC"]);
    assert!(err.contains("already holds a workspace"), "{err}");
    // Only ws:// and wss:// relays.
    let err = fails(a.path(), &["invite", "--relay", "http://example.org"]);
    assert!(err.contains("not a relay address"), "{err}");
    let _ = meridian(a.path(), &["sync-status"]);
}

#[test]
fn over_tls_the_invite_pins_the_relay_certificate() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start_tls(relay_dir.path());
    assert!(relay.url.starts_with("wss://"), "{}", relay.url);
    let a = init();
    ok(
        a.path(),
        &[
            "page",
            "new",
            "--title",
            "Over TLS",
            "--body",
            "sealed twice",
        ],
    );
    let b = join(a.path(), &relay, "Bea", "editor");
    let id = page_id(b.path(), "Over TLS");
    assert_eq!(page(b.path(), &id)["body"], "sealed twice");
    once(b.path());
}

#[test]
fn with_manual_approval_a_join_waits_until_an_admin_approves_it() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    ok(a.path(), &["approval", "manual"]);
    let code = invite(a.path(), &relay, "viewer");
    let b = tempfile::tempdir().expect("test step");
    let joining = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .arg("--data-dir")
        .arg(b.path())
        .args([
            "join",
            &code,
            "--me",
            "Bea",
            "--tz",
            "Asia/Tokyo",
            "--wait",
            "2m",
        ])
        .env_remove("MERIDIAN_DATA_DIR")
        .env("MERIDIAN_KEYCHAIN", "off")
        .env("MERIDIAN_NO_LAN", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start join");

    // The admin syncs but does not admit: the request waits, name and zone readable here.
    let mut pending = Value::Null;
    assert!(eventually(20, || {
        pending = json(a.path(), &["join-requests"]);
        pending.as_array().is_some_and(|p| !p.is_empty())
    }));
    let request = &pending[0];
    assert_eq!(request["member"], "Bea");
    assert_eq!(request["tz"], "Asia/Tokyo");
    assert_eq!(request["role"], "viewer");
    assert_eq!(
        json(a.path(), &["devices"]).as_array().map(Vec::len),
        Some(1)
    );

    let device = request["device"].as_str().expect("test step").to_owned();
    let approved = json(a.path(), &["approve", &device]);
    assert_eq!(approved["relay_told"], true, "{approved}");
    let out = joining.wait_with_output().expect("join ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(a.path(), &["join-requests"]), serde_json::json!([]));
    let err = fails(a.path(), &["approve", &device]);
    assert!(err.contains("no join request"), "{err}");
    drop(relay);
}

#[test]
fn trash_on_one_device_shows_as_trash_on_the_other_and_restore_brings_it_back_on_both() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    ok(
        a.path(),
        &[
            "page",
            "new",
            "--title",
            "Offsite agenda",
            "--body",
            "Day one: roadmap.\n",
        ],
    );
    let b = join(a.path(), &relay, "Bea", "editor");
    let id = page_id(b.path(), "Offsite agenda");
    let in_trash = |dir: &Path| {
        let all = json(dir, &["list", "--kind", "page", "--all"]);
        let row = all
            .as_array()
            .expect("test step")
            .iter()
            .find(|r| r["id"] == id.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing from {all}"));
        let listed = json(dir, &["list", "--kind", "page"])
            .to_string()
            .contains(&id);
        assert_eq!(
            row["trashed"] == true,
            !listed,
            "the list and the trash agree"
        );
        row["trashed"] == true
    };
    assert!(!in_trash(b.path()));

    // B edits while A trashes; neither has seen the other's change.
    ok(
        b.path(),
        &[
            "page",
            "edit",
            &id,
            "--body",
            "Day one: roadmap.\nDay two: hiking.\n",
        ],
    );
    json(a.path(), &["trash", &id]);
    once(a.path());
    once(b.path());
    once(a.path());
    assert!(in_trash(a.path()), "trashed on A");
    assert!(in_trash(b.path()), "trashed on B, from A");
    for dir in [a.path(), b.path()] {
        assert_eq!(
            page(dir, &id)["body"],
            "Day one: roadmap.\nDay two: hiking.\n",
            "B's edit is kept in the trash"
        );
    }

    // Restored on B, it is back on both.
    let restored = json(b.path(), &["restore", &id]);
    assert_eq!(restored["trashed"], false);
    once(b.path());
    once(a.path());
    assert!(!in_trash(a.path()), "restored on A, from B");
    assert!(!in_trash(b.path()));
    assert_eq!(page(a.path(), &id)["body"], page(b.path(), &id)["body"]);
    drop(relay);
}

/// Bytes of the envelopes of `doc` (all documents when `None`) a device stored from the
/// relay, and how many of them were checkpoint parts, read from its `sync.db`.
fn received(dir: &Path, doc: Option<&str>) -> (u64, u64) {
    let db = rusqlite::Connection::open(dir.join("sync.db")).expect("open sync.db");
    db.query_row(
        "SELECT COALESCE(SUM(size), 0), COUNT(ck_seq) FROM envelopes
         WHERE source = 'relay' AND (?1 IS NULL OR doc = ?1)",
        [doc],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
    )
    .expect("read sync.db")
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| {
            let meta = e.metadata().expect("metadata");
            if meta.is_dir() {
                dir_bytes(&e.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

#[test]
fn a_device_joining_after_hundreds_of_edits_downloads_about_one_copy_and_the_relay_shrinks() {
    const EDITS: usize = 200;
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    ok(
        a.path(),
        &["page", "new", "--title", "Journal", "--body", "Log:\n"],
    );
    // C joins now, then stays offline while A types.
    let c = join(a.path(), &relay, "Cai", "editor");
    let id = page_id(a.path(), "Journal");
    let mut body = "Log:\n".to_owned();
    for i in 0..EDITS {
        body.push_str(&format!("w{i} "));
        ok(a.path(), &["page", "edit", &id, "--body", &body]);
        once(a.path());
    }
    // Each envelope is at least its signature, nonce, tag and ids (~150 bytes): the
    // history alone is far larger than the page.
    let history = EDITS as u64 * 150;
    let relay_before = dir_bytes(relay_dir.path());

    // B joins afterwards: it receives a checkpoint of the page and a short tail.
    let b = join(a.path(), &relay, "Bea", "editor");
    assert_eq!(page(b.path(), &id)["body"], body.as_str());
    let (page_bytes, checkpoints) = received(b.path(), Some(&id));
    assert!(checkpoints >= 1, "B received a checkpoint of the page");
    assert!(
        page_bytes * 3 < history,
        "B received {page_bytes} bytes of the page, its history is over {history}"
    );
    // B verified the checkpoint; its verdict lets the relay drop what it covers.
    once(b.path());
    assert!(
        eventually(90, || {
            once(b.path());
            dir_bytes(relay_dir.path()) < relay_before
        }),
        "the relay's folder shrinks after GC (was {relay_before} bytes, now {})",
        dir_bytes(relay_dir.path())
    );

    // C, offline throughout, reconnects and receives everything.
    once(c.path());
    assert_eq!(page(c.path(), &id)["body"], body.as_str());
    let (c_bytes, _) = received(c.path(), Some(&id));
    assert!(
        c_bytes * 3 < history,
        "C caught up with {c_bytes} bytes of the page"
    );
    // A reconnect with nothing new stores nothing more.
    let before = received(c.path(), None);
    once(c.path());
    assert_eq!(received(c.path(), None), before);
    drop(relay);
}

/// The session ticket a device keeps (id and secret), read from its `sync.db`.
fn device_ticket(dir: &Path) -> Option<Vec<u8>> {
    let db = rusqlite::Connection::open(dir.join("sync.db")).expect("open sync.db");
    db.query_row("SELECT value FROM kv WHERE key = 'relay_ticket'", [], |r| {
        r.get::<_, Vec<u8>>(0)
    })
    .ok()
    .map(|v| v[..48].to_vec())
}

/// The relay's counter for the ticket with this id (`None`: the relay does not keep it).
fn relay_ticket_counter(relay_dir: &Path, id: &[u8]) -> Option<i64> {
    let db = rusqlite::Connection::open(relay_dir.join("relay.sqlite3")).expect("open relay db");
    db.query_row("SELECT counter FROM tickets WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .ok()
}

#[test]
fn a_reconnect_resumes_with_the_relay_ticket_and_a_refused_ticket_falls_back_to_a_login() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    ok(
        a.path(),
        &["page", "new", "--title", "Plan", "--body", "v1"],
    );
    let b = join(a.path(), &relay, "Bea", "editor");
    let id = page_id(a.path(), "Plan");

    // Joining logged in fully: the relay gave a ticket and has not seen it used.
    let ticket = device_ticket(b.path()).expect("B keeps a ticket after its login");
    assert_eq!(
        relay_ticket_counter(relay_dir.path(), &ticket[..16]),
        Some(0)
    );
    // Each later sync resumes with it (one frame instead of the login handshake).
    once(b.path());
    once(b.path());
    assert_eq!(device_ticket(b.path()).as_deref(), Some(&ticket[..]));
    assert_eq!(
        relay_ticket_counter(relay_dir.path(), &ticket[..16]),
        Some(2)
    );

    // A ticket the relay refuses (here its secret is damaged) is forgotten, and the same
    // sync logs in fully and gets a new one; edits flow as before.
    let db = rusqlite::Connection::open(b.path().join("sync.db")).expect("open sync.db");
    let mut value: Vec<u8> = db
        .query_row("SELECT value FROM kv WHERE key = 'relay_ticket'", [], |r| {
            r.get(0)
        })
        .expect("the ticket");
    value[16..48].fill(0);
    db.execute(
        "UPDATE kv SET value = ?1 WHERE key = 'relay_ticket'",
        [value],
    )
    .expect("damage the ticket");
    drop(db);
    ok(a.path(), &["page", "edit", &id, "--body", "v2"]);
    once(a.path());
    once(b.path());
    assert_eq!(page(b.path(), &id)["body"], "v2");
    let fresh = device_ticket(b.path()).expect("a new ticket");
    assert_ne!(fresh[..16], ticket[..16]);
    assert_eq!(relay_ticket_counter(relay_dir.path(), &ticket[..16]), None);
    assert_eq!(
        relay_ticket_counter(relay_dir.path(), &fresh[..16]),
        Some(0)
    );
    drop(relay);
}

#[test]
fn relay_set_moves_a_device_to_another_address_without_downloading_again_or_losing_what_waits() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let mut body = String::from("Log:\n");
    for i in 0..20 {
        body.push_str(&format!("line {i}\n"));
    }
    ok(
        a.path(),
        &["page", "new", "--title", "Log", "--body", &body],
    );
    let b = join(a.path(), &relay, "Bea", "editor");
    let id = page_id(a.path(), "Log");
    assert_eq!(page(b.path(), &id)["body"], body.as_str());
    let before = received(b.path(), None);

    // The deployment moves to another address (here: the same data on another port) while
    // A has an edit waiting to be sent.
    let old = relay.url.clone();
    let (data, _) = relay.kill();
    ok(a.path(), &["page", "edit", &id, "--body", "moved"]);
    let moved = Relay::start(&data);
    assert_ne!(moved.url, old);

    // Refused: not a relay address; a device that was never shared.
    let err = fails(a.path(), &["relay", "set", "http://example.org"]);
    assert!(err.contains("ws://") || err.contains("WebSocket"), "{err}");
    let lone = init();
    let err = fails(lone.path(), &["relay", "set", &moved.url]);
    assert!(err.contains("not shared"), "{err}");

    for dir in [a.path(), b.path()] {
        let out = json(dir, &["relay", "set", &moved.url]);
        assert_eq!(out["relay"], moved.url.as_str(), "{out}");
        assert_eq!(json(dir, &["sync-status"])["relay"], moved.url.as_str());
    }
    once(a.path());
    once(b.path());
    assert_eq!(page(b.path(), &id)["body"], "moved", "what waited arrived");
    // B received only the new edit, not the workspace again.
    let (after_bytes, _) = received(b.path(), None);
    assert!(
        after_bytes - before.0 < 4_000,
        "B downloaded {} bytes after the move (held {} before)",
        after_bytes - before.0,
        before.0
    );
    drop(moved);
}

#[test]
fn a_relay_address_without_its_path_works_and_a_wrong_path_is_explained() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());

    // `ws://host:port`, as the relay's address is often copied: the invite and the join
    // use `/sync`, and seconds are fine for --wait.
    let a = init();
    let bare = format!("ws://{}", relay.addr);
    let code = json(a.path(), &["invite", "--relay", &bare])["code"]
        .as_str()
        .expect("code")
        .to_owned();
    assert_eq!(json(a.path(), &["sync-status"])["relay"], relay.url);
    let b = tempfile::tempdir().expect("temp dir");
    {
        let _admin = Syncing::start(a.path());
        ok(
            b.path(),
            &["join", &code, "--me", "Bea", "--tz", "UTC", "--wait", "60s"],
        );
    }
    assert_eq!(json(b.path(), &["sync-status"])["relay"], relay.url);
    once(b.path());

    // Another path is a mistake in the address, said as such, at once (not after --wait).
    let c = init();
    let wrong = format!("ws://{}/foo", relay.addr);
    let out = meridian(c.path(), &["--json", "invite", "--relay", &wrong]);
    assert!(out.status.success(), "the invite is made offline");
    let code: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let warning = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "the relay at {addr} has no sync endpoint at /foo: its address ends in /sync, e.g. ws://{addr}/sync",
        addr = relay.addr
    );
    assert!(warning.contains(&expected), "{warning}");
    let err = fails(c.path(), &["sync", "--once"]);
    assert!(err.contains(&expected), "{err}");
    assert!(!err.contains("404 Not Found"), "{err}"); // not "404": a port may hold it
    let d = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let err = fails(
        d.path(),
        &[
            "join",
            code["code"].as_str().expect("code"),
            "--me",
            "Dan",
            "--tz",
            "UTC",
            "--wait",
            "2m",
        ],
    );
    assert!(err.contains(&expected), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the join waited for --wait: {:?}",
        started.elapsed()
    );
}

/// Runs `meridian sync --once` on `dir` with at most `limit` envelopes waiting for a
/// missing dependency per document (`MERIDIAN_MAX_WAITING`).
fn once_with_waiting_limit(dir: &Path, limit: u64) {
    let out = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .arg("--data-dir")
        .arg(dir)
        .args(["sync", "--once", "--timeout", "1m"])
        .env_remove("MERIDIAN_DATA_DIR")
        .env("MERIDIAN_KEYCHAIN", "off")
        .env("MERIDIAN_NO_LAN", "1")
        .env("MERIDIAN_MAX_WAITING", limit.to_string())
        .output()
        .expect("run meridian");
    assert!(
        out.status.success(),
        "sync failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `(waiting, set aside)` envelopes of `doc` in a device's `sync.db`.
fn waiting(dir: &Path, doc: &str) -> (i64, i64) {
    let db = rusqlite::Connection::open(dir.join("sync.db")).expect("open sync.db");
    db.query_row(
        "SELECT COUNT(*) FILTER (WHERE applied = 0), COUNT(*) FILTER (WHERE applied = 2)
         FROM envelopes WHERE doc = ?1",
        [doc],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("read sync.db")
}

/// Marks document `doc` of device `dir` as sealed at its current heads without sending
/// anything: the change just made never leaves the device, and every later envelope of
/// the document depends on it (a misbehaving member, as far as the others can tell).
fn withhold_last_change(dir: &Path, doc: &str) {
    let store = rusqlite::Connection::open(dir.join("workspace.db")).expect("open store");
    // The store's heads of the document: those of its last chunk, else of its snapshot
    // (32 bytes per hash, as `sync.db` keeps them).
    let bytes: Vec<u8> = store
        .query_row(
            "SELECT COALESCE((SELECT c.heads FROM chunks c WHERE c.doc_id = d.id
                              ORDER BY c.seq DESC LIMIT 1), d.heads)
             FROM docs d WHERE d.id = ?1",
            [doc],
            |r| r.get(0),
        )
        .expect("heads");
    assert!(!bytes.is_empty() && bytes.len().is_multiple_of(32));
    let sync = rusqlite::Connection::open(dir.join("sync.db")).expect("open sync.db");
    sync.execute(
        "INSERT INTO sealed (doc, heads) VALUES (?1, ?2)
         ON CONFLICT(doc) DO UPDATE SET heads = excluded.heads",
        rusqlite::params![doc, bytes],
    )
    .expect("write sealed");
}

#[test]
fn changes_waiting_for_a_dependency_that_never_comes_are_bounded_and_others_still_apply() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let b = join(a.path(), &relay, "Bo", "editor");
    ok(
        a.path(),
        &["page", "new", "--title", "Poisoned", "--body", "One.\n"],
    );
    ok(
        a.path(),
        &["page", "new", "--title", "Healthy", "--body", "Fine.\n"],
    );
    let poisoned = page_id(a.path(), "Poisoned");
    let healthy = page_id(a.path(), "Healthy");
    once(a.path());
    once_with_waiting_limit(b.path(), 3);
    assert_eq!(page(b.path(), &poisoned)["body"], "One.\n");

    // A makes a change it never sends; its next six envelopes of the page depend on it.
    ok(
        a.path(),
        &["page", "edit", &poisoned, "--body", "One. Two.\n"],
    );
    withhold_last_change(a.path(), &poisoned);
    for i in 0..6 {
        let body = format!("One. Two. {i}\n");
        ok(a.path(), &["page", "edit", &poisoned, "--body", &body]);
        once(a.path());
    }
    // Another page's changes are unaffected.
    ok(
        a.path(),
        &["page", "edit", &healthy, "--body", "Fine, still.\n"],
    );
    once(a.path());

    once_with_waiting_limit(b.path(), 3);
    let (waiting_now, aside) = waiting(b.path(), &poisoned);
    assert_eq!(
        (waiting_now, aside),
        (3, 3),
        "three wait, three are set aside"
    );
    assert_eq!(
        page(b.path(), &poisoned)["body"],
        "One.\n",
        "nothing applied out of order"
    );
    assert_eq!(page(b.path(), &healthy)["body"], "Fine, still.\n");
    let status = ok(b.path(), &["sync-status"]);
    assert!(
        status.contains("3 change batches from other devices are set aside in 1 document(s)"),
        "{status}"
    );

    // Syncing again neither loses what is set aside nor lets it grow past the limit.
    once_with_waiting_limit(b.path(), 3);
    assert_eq!(waiting(b.path(), &poisoned), (3, 3));

    // Once the withheld change arrives (A forgets what it sealed and seals the whole
    // document again), everything waiting and everything set aside is applied.
    let sync = rusqlite::Connection::open(a.path().join("sync.db")).expect("open sync.db");
    sync.execute("DELETE FROM sealed WHERE doc = ?1", [&poisoned])
        .expect("forget sealed");
    drop(sync);
    ok(
        a.path(),
        &["page", "edit", &poisoned, "--body", "One. Two. Three.\n"],
    );
    once(a.path());
    once_with_waiting_limit(b.path(), 3);
    assert_eq!(waiting(b.path(), &poisoned), (0, 0));
    assert_eq!(page(b.path(), &poisoned)["body"], "One. Two. Three.\n");
    let status = ok(b.path(), &["sync-status"]);
    assert!(!status.contains("set aside"), "{status}");
    drop(relay);
}
