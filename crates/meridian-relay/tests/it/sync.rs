//! Devices converge through the relay: live fan-out, concurrent edits, an offline device
//! catching up, and a third device joining by invite.

use meridian_sync::{Frame, Invite, JoinRequest, Role, admit};

use crate::support::{Relay, now_ms, pair, raw_connect, recv, send};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_converge_live_and_a_third_joins_by_invite() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 1, Role::Editor).await;

    // A writes; B, connected, gets it pushed without asking.
    a.put("title", "Quarterly plan");
    a.put("body", "Ship the relay");
    assert!(
        ca.sync(&mut a).await,
        "the relay acknowledged A's envelopes"
    );
    assert!(cb.until_holds(&mut b, &a).await, "B got A's envelopes live");
    assert_eq!(b.get("title").as_deref(), Some("Quarterly plan"));

    // Concurrent edits, including the same key, converge.
    a.put("title", "Plan by A");
    a.put("a-note", "from A");
    b.put("title", "Plan by B");
    b.put("b-note", "from B");
    assert!(ca.sync(&mut a).await);
    assert!(cb.sync(&mut b).await);
    assert!(ca.until_holds(&mut a, &b).await);
    assert!(cb.until_holds(&mut b, &a).await);
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.snapshot(), b.snapshot());
    assert_eq!(b.get("a-note").as_deref(), Some("from A"));
    assert_eq!(a.get("b-note").as_deref(), Some("from B"));

    // A third device joins with an invite; the admin, online, is told at once.
    let invite = Invite::new(
        &url,
        None,
        a.ws,
        a.keys.public(),
        now_ms() + 600_000,
        &mut a.rng,
    );
    a.membership
        .append(&a.keys, invite.created_op(Role::Editor), now_ms())
        .expect("invite op");
    assert!(ca.push_membership(&mut a).await);
    let mut c = a.fresh();
    let request = JoinRequest::new(&invite, &c.keys, "Cy", "Europe/Berlin").encode();
    let mut socket = raw_connect(&url).await;
    send(
        &mut socket,
        &Frame::Join {
            request: request.clone(),
        },
    )
    .await;
    assert_eq!(recv(&mut socket, 5).await, Some(Frame::JoinQueued));
    assert_eq!(
        recv(&mut socket, 5).await,
        None,
        "the relay closes after queueing"
    );
    assert!(
        ca.pump_until(&mut a, |_, c| !c.join_requests.is_empty(), 5)
            .await,
        "the connected admin got the join request"
    );
    let req = JoinRequest::decode(&ca.join_requests[0]).expect("join request");
    assert_eq!(ca.join_requests[0], request);
    let keys = a.membership.state().epoch_keys_for(&a.keys).expect("keys");
    let mut rng = rand::rng();
    admit(
        &mut a.membership,
        &a.keys,
        &req,
        "member-cy",
        &invite.secret,
        &keys,
        now_ms(),
        &mut rng,
    )
    .expect("admit");
    assert!(ca.push_membership(&mut a).await);

    let mut cc = c.connect(&url).await;
    assert!(cc.until_holds(&mut c, &a).await);
    assert!(cc.until_holds(&mut c, &b).await);
    assert_eq!(c.snapshot(), a.snapshot());
    assert_eq!(
        c.membership.len(),
        a.membership.len(),
        "C learnt the membership log"
    );

    // The request was dropped once used: a new admin login is not shown it again.
    let mut again = a.connect(&url).await;
    assert!(
        !again
            .pump_until(&mut a, |_, c| !c.join_requests.is_empty(), 1)
            .await
    );
    drop((cb, cc));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_device_catches_up_and_an_offline_admin_gets_join_requests() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (mut a, mut ca, mut b, cb) = pair(&url, 2, Role::Editor).await;
    drop(cb);
    for i in 0..20 {
        a.put(&format!("k{i}"), &format!("value {i}"));
    }
    assert!(ca.sync(&mut a).await);

    // An invite is used while the admin is offline.
    let invite = Invite::new(
        &url,
        None,
        a.ws,
        a.keys.public(),
        now_ms() + 600_000,
        &mut a.rng,
    );
    a.membership
        .append(&a.keys, invite.created_op(Role::Viewer), now_ms())
        .expect("invite op");
    assert!(ca.push_membership(&mut a).await);
    drop(ca);
    let c = a.fresh();
    let request = JoinRequest::new(&invite, &c.keys, "Cy", "UTC").encode();
    let mut socket = raw_connect(&url).await;
    send(
        &mut socket,
        &Frame::Join {
            request: request.clone(),
        },
    )
    .await;
    assert_eq!(recv(&mut socket, 5).await, Some(Frame::JoinQueued));

    let mut cb = b.connect(&url).await;
    assert!(cb.until_holds(&mut b, &a).await, "B caught up");
    assert_eq!(b.get("k19").as_deref(), Some("value 19"));
    assert_eq!(a.snapshot(), b.snapshot());
    assert!(
        cb.join_requests.is_empty(),
        "an editor is not shown join requests"
    );

    let mut ca = a.connect(&url).await;
    assert!(
        ca.pump_until(&mut a, |_, c| !c.join_requests.is_empty(), 5)
            .await,
        "the admin is shown the request after Welcome"
    );
    assert_eq!(ca.join_requests, vec![request]);

    // A graceful stop says Bye to connected sessions and leaves no WAL behind.
    relay.server.shutdown().await.expect("clean shutdown");
    assert!(ca.until_closed(&mut a, 5).await);
    assert_eq!(ca.closed, Some(meridian_sync::Closed::Bye));
    assert!(!relay.dir.path().join("relay.sqlite3-wal").exists());
}
