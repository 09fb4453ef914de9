//! Checkpoints through the relay: a new device gets the checkpoint instead of what it
//! covers, covered envelopes are collected only once another member vouched, a lying
//! checkpoint costs bytes and never data, floods are refused, reconnects send only what is
//! new, and a device that follows a document gets a small edit instead of a new checkpoint.

use std::time::Duration;

use meridian_relay::Limits;
use meridian_sync::checkpoint::MAX_OPEN_CHECKPOINTS;
use meridian_sync::{DeviceId, ErrorCode, Role, VersionVector};

use crate::support::{Device, Relay, pair};

/// Incompressible text, so that the bytes on disk follow the bytes of the values.
fn noise(n: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'!' + ((x >> 33) % 90) as u8)
        })
        .collect()
}

/// Limits that sweep as soon as the next tick.
pub fn sweeping() -> Limits {
    Limits {
        tick_interval: Duration::from_millis(50),
        sweep_delay: Duration::from_millis(50),
        sweep_interval: Duration::from_secs(3600),
        ..Limits::default()
    }
}

/// Limits under which nothing is swept during a test.
pub fn never_sweeping() -> Limits {
    Limits {
        tick_interval: Duration::from_millis(50),
        sweep_delay: Duration::from_secs(3600),
        sweep_interval: Duration::from_secs(3600),
        ..Limits::default()
    }
}

pub const CHANGES_ROWS: &str = "SELECT COUNT(*) FROM entries WHERE doc_seq IS NOT NULL";
pub const CHECKPOINT_ROWS: &str = "SELECT COUNT(*) FROM entries WHERE cp_seq IS NOT NULL";
const BYTES_USED: &str = "SELECT SUM(bytes_used) FROM workspaces";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_device_gets_the_checkpoint_and_the_tail_not_what_it_covers() {
    let relay = Relay::with_limits(never_sweeping()).await;
    let url = relay.url();
    let (mut a, mut ca, b, cb) = pair(&url, 40, Role::Editor).await;
    drop((b, cb));
    for i in 0..20 {
        a.put(&format!("k{i}"), &noise(500, i));
    }
    assert!(ca.sync(&mut a).await);
    let cp = a.checkpoint();
    a.put("tail-1", "after the checkpoint");
    a.put("tail-2", "also after");
    assert!(ca.sync(&mut a).await);
    assert_eq!(
        relay.query(CHANGES_ROWS),
        22,
        "the relay holds every envelope"
    );

    // A second member, new, reads the relay's log from 0.
    let mut c = a.fresh();
    a.add(&c, Role::Viewer);
    assert!(ca.push_membership(&mut a).await);
    let mut cc = c.connect(&url).await;
    assert!(cc.until_holds(&mut c, &a).await, "C converged");
    assert_eq!(c.snapshot(), a.snapshot());
    let received: Vec<_> = c.log.iter().map(|e| e.key()).collect();
    assert_eq!(
        received.len(),
        3,
        "the checkpoint and the tail: {received:?}"
    );
    assert!(received.contains(&cp.key()));
    assert!(
        c.log
            .iter()
            .all(|e| e.header().doc_seq().is_none_or(|s| s > 20)),
        "no covered envelope was sent"
    );
    let covered_bytes: usize = a
        .log
        .iter()
        .filter(|e| e.header().doc_seq().is_some_and(|s| s <= 20))
        .map(|e| e.encode().len())
        .sum();
    let sent = cp.encode().len() + 2 * 1024;
    assert!(
        cc.delivered_bytes <= sent,
        "C got {} bytes of envelopes (the covered ones are {covered_bytes})",
        cc.delivered_bytes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_follower_gets_the_small_edit_and_a_new_device_the_new_checkpoint() {
    let relay = Relay::with_limits(never_sweeping()).await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 44, Role::Editor).await;
    for i in 0..30 {
        a.put(&format!("k{i}"), &noise(2000, i));
    }
    let first = a.checkpoint();
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await);
    assert!(
        cb.pump_until(
            &mut b,
            |b, _| b.log.iter().any(|e| e.key() == first.key()),
            5
        )
        .await,
        "B, new to the document, got its checkpoint"
    );
    assert!(
        cb.send_verdicts(&mut b, &[Device::verdict(&first, true)])
            .await
    );
    drop(cb);

    // B is away; A changes one value, pushes it, and (as the app does once the document
    // is idle) seals the next checkpoint: 60 KB for 2 KB of news.
    let edit = a.put("k3", &noise(2000, 99));
    assert!(ca.sync(&mut a).await);
    let second = a.checkpoint();
    assert!(ca.sync(&mut a).await);
    assert!(second.encode().len() > 20 * edit.encode().len());

    // B comes back: it gets the edit alone, and holds everything A does.
    let mut cb = b.connect(&url).await;
    assert!(cb.until_holds(&mut b, &a).await, "B caught up");
    assert_eq!(b.snapshot(), a.snapshot());
    assert!(b.log.iter().any(|e| e.key() == edit.key()));
    assert!(
        !b.log.iter().any(|e| e.key() == second.key()),
        "B did not get the new checkpoint"
    );
    assert!(
        cb.delivered_bytes < 2 * edit.encode().len(),
        "B received {} bytes for a {}-byte edit",
        cb.delivered_bytes,
        edit.encode().len()
    );

    // C, new, gets the new checkpoint and nothing it covers.
    let mut c = a.fresh();
    a.add(&c, Role::Viewer);
    assert!(ca.push_membership(&mut a).await);
    let mut cc = c.connect(&url).await;
    assert!(cc.until_holds(&mut c, &a).await, "C converged");
    let received: Vec<_> = c.log.iter().map(|e| e.key()).collect();
    assert_eq!(
        received,
        vec![second.key()],
        "C got the new checkpoint alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn covered_envelopes_are_collected_after_another_member_vouches_and_the_file_shrinks() {
    let relay = Relay::with_limits(sweeping()).await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 41, Role::Editor).await;
    // Sixty envelopes of ~6 KB; the checkpoint holds the same history, compressed.
    for i in 0..60 {
        a.put("body", &noise(6000, i));
    }
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await);
    let cp = a.checkpoint();
    assert!(ca.sync(&mut a).await);
    // The author's own word is not enough, nor is time.
    assert!(
        ca.send_verdicts(&mut a, &[Device::verdict(&cp, true)])
            .await
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(relay.query(CHANGES_ROWS), 60, "nothing collected yet");
    let used_before = relay.query(BYTES_USED);
    let disk_before = relay.disk_bytes();

    // B got the checkpoint too (it covers what B holds: nothing new to apply) and vouches.
    assert!(
        cb.pump_until(&mut b, |b, _| b.log.len() == 61, 5).await,
        "B received the checkpoint"
    );
    assert!(
        cb.send_verdicts(&mut b, &[Device::verdict(&cp, true)])
            .await
    );
    let mut gone = false;
    for _ in 0..100 {
        if relay.query(CHANGES_ROWS) == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the covered envelopes were collected");
    assert_eq!(relay.query(CHECKPOINT_ROWS), 1, "the checkpoint stays");
    let used_after = relay.query(BYTES_USED);
    assert_eq!(
        used_after,
        i64::try_from(cp.encode().len()).expect("small"),
        "usage counts only the checkpoint (before: {used_before})"
    );
    // The space is given back once the sweep is committed.
    let mut disk_after = relay.disk_bytes();
    for _ in 0..40 {
        if disk_after + 200_000 < disk_before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        disk_after = relay.disk_bytes();
    }
    assert!(
        disk_after + 200_000 < disk_before,
        "the data folder shrank: {disk_before} -> {disk_after} bytes (usage {used_before} -> {used_after})"
    );

    // A new device still converges, from the checkpoint alone.
    let mut c = a.fresh();
    a.add(&c, Role::Viewer);
    assert!(ca.push_membership(&mut a).await);
    let mut cc = c.connect(&url).await;
    assert!(cc.until_holds(&mut c, &a).await);
    assert_eq!(c.get("body"), a.get("body"));
    // A re-pushed covered envelope is not stored again.
    let old = a
        .log
        .iter()
        .find(|e| e.header().doc_seq() == Some(1))
        .expect("A holds its first envelope")
        .clone();
    let mut again = a.connect(&url).await;
    // At a position past the relay's cursor into A's log, so the relay considers it.
    let pos = meridian_sync::EnvelopeLog::head(&a.log) + 1;
    let before = again.received;
    crate::support::send(
        &mut again.socket,
        &meridian_sync::Frame::Push {
            entries: vec![(pos, old)],
            upto: pos,
        },
    )
    .await;
    assert!(
        again
            .pump_until(&mut a, move |_, c| c.received > before, 5)
            .await,
        "the relay answered"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(relay.query(CHANGES_ROWS), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_checkpoint_costs_bytes_never_data() {
    let relay = Relay::with_limits(sweeping()).await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 42, Role::Editor).await;
    for i in 0..5 {
        a.put(&format!("k{i}"), &format!("value {i}"));
    }
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await);

    // A claims to cover its five envelopes with the document as it was before any.
    let mut covers = VersionVector::new();
    covers.set(a.keys.id(), a.doc_seq);
    let empty = automerge::AutoCommit::new().save();
    let cp = a.checkpoint_of(covers, &[], &empty);
    assert!(ca.sync(&mut a).await);

    // C, new, gets only the checkpoint: its cursor passes the covered envelopes.
    let mut c = a.fresh();
    a.add(&c, Role::Editor);
    assert!(ca.push_membership(&mut a).await);
    let mut cc = c.connect(&url).await;
    assert!(
        cc.pump_until(&mut c, |c, _| c.log.len() == 1, 5).await,
        "C got the checkpoint"
    );
    assert_eq!(c.get("k0"), None, "the checkpoint lacks what it claims");
    // Nobody vouched: everything is kept.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(relay.query(CHANGES_ROWS), 5);

    // B, which holds the changes, finds them missing and says so.
    assert!(
        cb.send_verdicts(&mut b, &[Device::verdict(&cp, false)])
            .await
    );
    assert!(
        cc.until_holds(&mut c, &a).await,
        "C received the covered envelopes again"
    );
    assert_eq!(c.get("k4").as_deref(), Some("value 4"));
    // The rejected checkpoint is collected; the envelopes stay.
    let mut gone = false;
    for _ in 0..100 {
        if relay.query(CHECKPOINT_ROWS) == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the rejected checkpoint was collected");
    assert_eq!(relay.query(CHANGES_ROWS), 5);
    // A later ok from someone else changes nothing (the checkpoint is gone).
    assert!(
        cc.send_verdicts(&mut c, &[Device::verdict(&cp, true)])
            .await
    );
    assert_eq!(relay.query("SELECT COUNT(*) FROM verdicts"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_flood_is_refused() {
    let relay = Relay::with_limits(never_sweeping()).await;
    let url = relay.url();
    let (mut a, mut ca, _b, _cb) = pair(&url, 43, Role::Editor).await;
    a.put("k", "v");
    assert!(ca.sync(&mut a).await);
    let saved = a.doc.save();
    // Checkpoints that cover incomparable (made-up) authors: none dominates another.
    for n in 0..=MAX_OPEN_CHECKPOINTS {
        let mut covers = VersionVector::new();
        covers.set(DeviceId([u8::try_from(n).expect("small") + 1; 32]), 1);
        a.checkpoint_of(covers, &[], &saved);
    }
    assert!(!ca.sync(&mut a).await);
    assert_eq!(
        ca.error_code(),
        Some(ErrorCode::RateLimited),
        "{}",
        ca.error_message()
    );
    assert!(
        ca.error_message().contains("checkpoints"),
        "{}",
        ca.error_message()
    );
    assert_eq!(
        relay.query(CHECKPOINT_ROWS),
        i64::try_from(MAX_OPEN_CHECKPOINTS).expect("small")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_sends_only_what_was_stored_since() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 44, Role::Editor).await;
    for i in 0..30 {
        a.put(&format!("k{i}"), &noise(400, i));
    }
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await);
    drop((ca, cb));

    // Nothing new on either side: a few hundred bytes each way.
    for dev in [&mut a, &mut b] {
        let mut client = dev.connect(&url).await;
        assert!(client.sync(dev).await);
        // Whatever else the relay would send arrives within this.
        client.pump_until(dev, |_, _| false, 1).await;
        assert_eq!(client.delivered, 0, "nothing was sent again");
        assert!(
            client.bytes_in <= 1024 && client.bytes_out <= 1024,
            "in {} out {} bytes",
            client.bytes_in,
            client.bytes_out
        );
    }
    // One new envelope: B gets just it.
    let mut ca = a.connect(&url).await;
    let mut cb = b.connect(&url).await;
    a.put("new", "one more");
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await);
    assert_eq!(cb.delivered, 1);
}
