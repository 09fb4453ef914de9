//! The real binary: what it acknowledged survives `kill -9`; SIGTERM says `Bye`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use meridian_sync::{Closed, Role};

use crate::support::{create_workspace, pair};

pub struct Process {
    pub child: Child,
    pub url: String,
    /// The `certificate sha256` line, with TLS.
    pub fingerprint: Option<String>,
}

async fn start(data: &Path) -> Process {
    let relay = start_with(data, &[]).await;
    assert!(relay.url.starts_with("ws://127.0.0.1:"), "{}", relay.url);
    relay
}

/// Starts the binary with `extra` arguments and waits for its `listening on` line.
pub async fn start_with(data: &Path, extra: &[&str]) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meridian-relay"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start meridian-relay");
    let stdout = child.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read stdout");
            let done = line.starts_with("listening on ");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .expect("reader");
    let url = lines
        .last()
        .and_then(|l| l.strip_prefix("listening on "))
        .unwrap_or_else(|| panic!("no listening line in {lines:?}"))
        .to_owned();
    assert!(url.ends_with("/sync"), "{url}");
    let fingerprint = lines
        .iter()
        .find_map(|l| l.strip_prefix("certificate sha256 "))
        .map(str::to_owned);
    Process {
        child,
        url,
        fingerprint,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_envelopes_survive_kill_9_and_sigterm_says_bye() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut relay = start(dir.path()).await;
    let (mut a, mut ca, mut b, cb) = pair(&relay.url, 30, Role::Editor).await;
    drop(cb);
    for i in 0..30 {
        a.put(&format!("k{i}"), &format!("acknowledged {i}"));
        if i % 3 == 0 {
            ca.local_change(&mut a).await;
        }
    }
    assert!(ca.sync(&mut a).await, "all acknowledged");
    relay.child.kill().expect("kill -9");
    relay.child.wait().expect("reaped");

    let mut relay = start(dir.path()).await;
    // B, which never saw any of it, gets everything from the restarted relay.
    let mut cb = b.connect(&relay.url).await;
    assert!(
        cb.until_holds(&mut b, &a).await,
        "nothing acknowledged was lost"
    );
    assert_eq!(b.snapshot(), a.snapshot());

    // SIGTERM: connected sessions get Bye, and the process exits cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &relay.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    assert!(cb.until_closed(&mut b, 5).await);
    assert_eq!(cb.closed, Some(Closed::Bye));
    let exit = tokio::task::spawn_blocking(move || relay.child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    drop(ca);
}

#[test]
fn plain_websocket_on_a_public_address_needs_insecure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_meridian-relay"))
        .args(["--listen", "0.0.0.0:0", "--data"])
        .arg(dir.path())
        .output()
        .expect("run meridian-relay");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("without TLS") && stderr.contains("--insecure"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_registered_twice_with_another_log_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = start(dir.path()).await;
    let mut a = create_workspace(31);
    let _ca = a.register(&relay.url).await;
    // The same creator registering again is fine; a different log for that id is not.
    let _again = a.register(&relay.url).await;
    let mut forged = create_workspace(32);
    forged.ws = a.ws;
    let mut socket = crate::support::raw_connect(&relay.url).await;
    let ops = {
        let mut rng = rand::rng();
        let key = meridian_sync::EpochKey::generate(&mut rng);
        meridian_sync::MembershipLog::create(
            &forged.keys,
            a.ws,
            "Evil",
            "Eve",
            &key,
            crate::support::now_ms(),
            &mut rng,
        )
        .expect("create")
        .ops()
        .to_vec()
    };
    crate::support::send(&mut socket, &meridian_sync::Frame::Register { ops }).await;
    let (code, message) = crate::support::recv_error(&mut socket, 5)
        .await
        .expect("refused");
    assert_eq!(
        code,
        meridian_sync::ErrorCode::MembershipConflict,
        "{message}"
    );
    let mut relay = relay;
    relay.child.kill().expect("kill");
    relay.child.wait().expect("reaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_relay_keeps_cursors_checkpoints_and_verdicts() {
    use crate::checkpoints::{CHANGES_ROWS, CHECKPOINT_ROWS, never_sweeping, sweeping};
    use crate::support::{Device, Relay};

    let relay = Relay::with_limits(never_sweeping()).await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 33, Role::Editor).await;
    for i in 0..10 {
        a.put(&format!("k{i}"), &format!("value {i}"));
    }
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await);
    let cp = a.checkpoint();
    assert!(ca.sync(&mut a).await);
    assert!(cb.pump_until(&mut b, |b, _| b.log.len() == 11, 5).await);
    assert!(
        cb.send_verdicts(&mut b, &[Device::verdict(&cp, true)])
            .await
    );
    drop((ca, cb));
    assert_eq!(
        relay.query(CHANGES_ROWS),
        10,
        "not swept before the restart"
    );

    let relay = relay.restart(sweeping()).await;
    let url = relay.url();
    // The verdict survived: the first sweep after the restart collects.
    let mut swept = false;
    for _ in 0..100 {
        if relay.query(CHANGES_ROWS) == 0 {
            swept = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(swept, "the stored verdict let the sweep collect");
    assert_eq!(relay.query(CHECKPOINT_ROWS), 1);

    // The cursor survived: the relay says it holds all of A's log, and nothing is sent.
    let mut ca = a.connect(&url).await;
    assert_eq!(
        ca.session.their_ack(),
        meridian_sync::EnvelopeLog::head(&a.log)
    );
    assert!(ca.sync(&mut a).await);
    assert_eq!(ca.delivered, 0);
    assert!(ca.bytes_out <= 1024, "{} bytes sent", ca.bytes_out);

    // The checkpoint survived: a new device gets it and nothing it covers.
    let mut c = a.fresh();
    a.add(&c, Role::Viewer);
    assert!(ca.push_membership(&mut a).await);
    let mut cc = c.connect(&url).await;
    assert!(cc.until_holds(&mut c, &a).await);
    assert_eq!(c.log.len(), 1);
    assert_eq!(c.snapshot(), a.snapshot());
}
