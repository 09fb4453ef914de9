//! Several relay processes on one PostgreSQL database (ADR 0009): the real binary twice
//! with `--postgres`, on a real server started by `meridian_testkit::postgres` (fsync on),
//! and devices on each. They converge; a device moves from one relay to the other and
//! loses nothing; a removal through one relay is enforced by the other; and the faults:
//! `kill -9` of a relay during pushes, the database stopped with `-m immediate` and
//! started again, the listener's backend terminated.

use std::time::Duration;

use meridian_sync::{EpochKey, ErrorCode, Role};
use meridian_testkit::postgres::PgServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::restart::{Process, start_with};
use crate::support::{Client, Device, create_workspace, host_port, now_ms, raw_connect};

/// A relay process killed when the test ends, however it ends.
struct Relay(
    Process,
    #[allow(dead_code, reason = "kept until the relay stops")] tempfile::TempDir,
);

impl Relay {
    async fn start(db: &str) -> Relay {
        let dir = tempfile::tempdir().expect("dir");
        let process = start_with(dir.path(), &["--postgres", db]).await;
        Relay(process, dir)
    }

    fn url(&self) -> &str {
        &self.0.url
    }

    fn kill_9(&mut self) {
        self.0.child.kill().expect("kill -9");
        self.0.child.wait().expect("reaped");
    }

    /// `GET /healthz`: the status code and body.
    async fn healthz(&self) -> (u16, String) {
        let mut tcp = tokio::net::TcpStream::connect(host_port(self.url()))
            .await
            .expect("connect");
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
            .await
            .expect("send");
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(10), tcp.read_to_string(&mut answer))
            .await
            .expect("answered in time")
            .expect("read");
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {answer:?}"));
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (status, body)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

/// Logs in, retrying while the relay is still reconnecting to its database.
async fn connect(dev: &mut Device, url: &str) -> Client {
    for _ in 0..40 {
        let socket = raw_connect(url).await;
        let mut client = dev.hello(socket).await;
        if client.pump_until(dev, |_, c| c.session.is_ready(), 5).await {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("could not log in at {url}");
}

/// A workspace registered through relay `one` with admin `a`, and editor `b` added.
async fn workspace(one: &str, seed: u64) -> (Device, Client, Device) {
    let mut a = create_workspace(seed);
    let mut ca = a.register(one).await;
    let b = a.fresh();
    a.add(&b, Role::Editor);
    assert!(ca.push_membership(&mut a).await);
    (a, ca, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_converge_a_device_moves_and_a_removal_through_one_is_enforced_by_the_other() {
    let Some(pg) = PgServer::start() else { return };
    let db = pg.create_database("relays");
    let (one, two) = (Relay::start(&db).await, Relay::start(&db).await);
    assert_eq!(one.healthz().await, (200, "ok\n".into()));

    // Registered through one; B logs in at two, which loads it from the database.
    let (mut a, mut ca, mut b) = workspace(one.url(), 50).await;
    let mut cb = connect(&mut b, two.url()).await;
    a.put("from", "a at one");
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await, "one → two");
    b.put("reply", "b at two");
    assert!(cb.sync(&mut b).await);
    assert!(ca.until_holds(&mut a, &b).await, "two → one");

    // A moves to two mid-session, with edits the relay has not acknowledged yet.
    for i in 0..10 {
        a.put(&format!("moving {i}"), "x");
        if i == 4 {
            ca.local_change(&mut a).await;
        }
    }
    drop(ca);
    let mut ca = connect(&mut a, two.url()).await;
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await, "nothing lost on the move");
    assert_eq!(a.snapshot(), b.snapshot());

    // A, back at one, removes B; B's session at two is cut off, and two refuses it.
    drop(ca);
    let mut ca = connect(&mut a, one.url()).await;
    let key = EpochKey::generate(&mut a.rng);
    a.membership
        .remove_device_and_rotate(&a.keys, b.keys.id(), &key, now_ms(), &mut rand::rng())
        .expect("remove");
    assert!(ca.push_membership(&mut a).await);
    assert!(
        cb.until_closed(&mut b, 10).await,
        "B's session at two was cut"
    );
    assert_eq!(
        cb.error_code(),
        Some(ErrorCode::Removed),
        "{}",
        cb.error_message()
    );
    let socket = raw_connect(two.url()).await;
    let mut again = b.hello(socket).await;
    assert!(again.until_closed(&mut b, 5).await);
    assert_eq!(again.error_code(), Some(ErrorCode::Removed));
    a.put("after", "removal");
    assert!(ca.sync(&mut a).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_envelopes_survive_kill_9_of_one_relay_during_pushes() {
    let Some(pg) = PgServer::start() else { return };
    let db = pg.create_database("kill");
    let (mut one, two) = (Relay::start(&db).await, Relay::start(&db).await);
    let (mut a, mut ca, mut b) = workspace(one.url(), 51).await;
    let mut cb = connect(&mut b, two.url()).await;
    for i in 0..40 {
        a.put(&format!("k{i}"), &format!("value {i}"));
        ca.local_change(&mut a).await;
        if i == 20 {
            // Some pushes acknowledged, some in flight.
            one.kill_9();
        }
    }
    drop(ca);
    // A reconnects to two: what one acknowledged is there, the rest is sent again.
    let mut ca = connect(&mut a, two.url()).await;
    assert!(ca.sync(&mut a).await, "everything acknowledged by two");
    assert!(cb.until_holds(&mut b, &a).await, "B holds every change");
    assert_eq!(a.snapshot(), b.snapshot());
    let stored: i64 = pg
        .psql("kill", "SELECT count(DISTINCT seq) FROM entries")
        .parse()
        .expect("count");
    assert!(stored >= 40, "{stored} envelopes stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_come_back_after_the_database_crashed_and_nothing_acknowledged_is_lost() {
    let Some(pg) = PgServer::start() else { return };
    let db = pg.create_database("crash");
    let (one, two) = (Relay::start(&db).await, Relay::start(&db).await);
    let (mut a, mut ca, mut b) = workspace(one.url(), 52).await;
    let mut cb = connect(&mut b, two.url()).await;
    for i in 0..20 {
        a.put(&format!("before {i}"), "acknowledged");
    }
    assert!(ca.sync(&mut a).await, "acknowledged before the crash");
    assert!(cb.until_holds(&mut b, &a).await);

    pg.stop_immediate();
    let (status, body) = one.healthz().await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("PostgreSQL"), "{body}");
    pg.restart();
    // Sessions were cut when the relays' next batch failed (or go on if none did);
    // either way the devices reconnect and resync.
    drop((ca, cb));
    for _ in 0..40 {
        if one.healthz().await.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(one.healthz().await, (200, "ok\n".into()));
    let mut b2 = a.fresh();
    a.add(&b2, Role::Viewer);
    let mut ca = connect(&mut a, one.url()).await;
    assert!(ca.push_membership(&mut a).await);
    a.put("after", "the crash");
    assert!(ca.sync(&mut a).await);
    let mut cb = connect(&mut b, two.url()).await;
    assert!(cb.until_holds(&mut b, &a).await, "two resynced");
    // A device that never saw anything gets all of it, through two.
    let mut cb2 = connect(&mut b2, two.url()).await;
    assert!(
        cb2.until_holds(&mut b2, &a).await,
        "nothing acknowledged was lost"
    );
    assert_eq!(b2.snapshot(), a.snapshot());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_resume_after_the_listeners_backend_is_terminated() {
    let Some(pg) = PgServer::start() else { return };
    let db = pg.create_database("listen");
    let (one, two) = (Relay::start(&db).await, Relay::start(&db).await);
    let (mut a, mut ca, mut b) = workspace(one.url(), 53).await;
    let mut cb = connect(&mut b, two.url()).await;
    let killed = pg.psql(
        "postgres",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'",
    );
    assert_eq!(killed, "2", "one listener per relay");
    for i in 0..5 {
        a.put(&format!("after {i}"), "terminate");
        assert!(ca.sync(&mut a).await);
    }
    assert!(cb.until_holds(&mut b, &a).await, "deliveries resumed");
    b.put("and back", "too");
    assert!(cb.sync(&mut b).await);
    assert!(ca.until_holds(&mut a, &b).await);
}

/// Runs the binary until it exits; its status and stderr.
fn run_to_exit(args: &[&str]) -> (std::process::ExitStatus, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meridian-relay"))
        .args(args)
        .env("RUST_LOG", "off")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run meridian-relay");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_binary_explains_why_it_cannot_start_on_postgresql() {
    let Some(pg) = PgServer::start() else { return };
    let (status, err) = run_to_exit(&[
        "--listen",
        "127.0.0.1:0",
        "--postgres",
        &pg.url_with_wrong_password("postgres"),
    ]);
    assert!(!status.success());
    assert!(
        err.contains("check the user name and password") && !err.contains(":wrong@"),
        "{err}"
    );

    // The address is taken: a clean error, not a panic, after the database was opened.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let db = pg.create_database("taken");
    let (status, err) = run_to_exit(&["--listen", &addr, "--postgres", &db]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot listen on") && !err.contains("panicked"),
        "{err}"
    );

    // --tls-self-signed needs --data for its certificate.
    let (status, err) = run_to_exit(&["--postgres", &db, "--tls-self-signed"]);
    assert!(!status.success());
    assert!(err.contains("pass --data"), "{err}");
}
