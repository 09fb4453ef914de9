//! What the relay must refuse, and what it must never hold.

use std::time::{Duration, Instant};

use meridian_sync::{
    Envelope, EpochKey, ErrorCode, Frame, Invite, JoinRequest, Kind, Op, Role, SignedOp,
};

use crate::support::{Relay, create_workspace, now_ms, pair, raw_connect, recv, recv_error, send};

const SECRET_TITLE: &str = "Acquisition of Globex (codename PELICAN-7731)";
const SECRET_BODY: &str = "Offer 41.5 million, walk away above 44";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_stores_no_plaintext() {
    let relay = Relay::start().await;
    let (mut a, mut ca, mut b, mut cb) = pair(&relay.url(), 10, Role::Editor).await;
    a.put("title", SECRET_TITLE);
    a.put("body", SECRET_BODY);
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await);
    assert_eq!(b.get("body").as_deref(), Some(SECRET_BODY));
    // The check means something: the sealed bodies did hold the strings in clear.
    assert!(
        a.plaintexts
            .iter()
            .any(|p| contains(p, SECRET_TITLE.as_bytes()))
    );
    assert!(
        a.plaintexts
            .iter()
            .any(|p| contains(p, SECRET_BODY.as_bytes()))
    );

    let mut files = 0;
    let mut saw_workspace = false;
    for entry in std::fs::read_dir(relay.dir.path()).expect("data dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        files += 1;
        saw_workspace |= contains(&bytes, &a.ws.0);
        for secret in [SECRET_TITLE, SECRET_BODY, "Quarterly", "PELICAN"] {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{} holds {secret:?} in clear",
                path.display()
            );
        }
    }
    assert!(files >= 2, "the database and its WAL were checked");
    assert!(
        saw_workspace,
        "the files were readable: they hold the workspace id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_envelopes_are_refused_and_not_stored() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (mut a, ca, mut b, mut cb) = pair(&url, 11, Role::Editor).await;
    drop(ca);
    // Sealed by A but kept out of A's log, so A's sessions do not send it themselves.
    let env = a.seal_unlogged(Kind::Changes { doc_seq: 1 }, b"changes");
    let bytes = env.encode();

    // A flipped ciphertext byte, then a changed header field (the document id, right
    // after the version byte).
    let mut body = bytes.clone();
    let at = body.len() - 65;
    body[at] ^= 1;
    let mut header = bytes.clone();
    header[1] ^= 1;
    for forged in [body, header] {
        let forged = Envelope::decode(&forged).expect("still well-formed");
        let mut client = a.connect(&url).await;
        send(
            &mut client.socket,
            &Frame::Push {
                entries: vec![(1, forged)],
                upto: 1,
            },
        )
        .await;
        let (code, message) = recv_error(&mut client.socket, 5)
            .await
            .expect("an Error frame");
        assert_eq!(code, ErrorCode::BadSignature, "{message}");
    }
    // Nothing reached B, and nothing was stored for a newcomer either.
    assert!(!cb.pump_until(&mut b, |b, _| !b.log.is_empty(), 1).await);
    let mut late = b.fresh();
    a.add(&late, Role::Viewer);
    let mut ca = a.connect(&url).await;
    assert!(ca.push_membership(&mut a).await);
    let mut cl = late.connect(&url).await;
    assert!(!cl.pump_until(&mut late, |d, _| !d.log.is_empty(), 1).await);
    // An honest envelope still goes through.
    a.put("title", "honest");
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_and_unknown_workspaces_are_refused_at_login() {
    let relay = Relay::start().await;
    let url = relay.url();
    let mut a = create_workspace(12);
    let _ca = a.register(&url).await;

    let mut stranger = a.fresh();
    let socket = raw_connect(&url).await;
    let mut client = stranger.hello(socket).await;
    assert!(client.until_closed(&mut stranger, 5).await);
    assert_eq!(client.error_code(), Some(ErrorCode::NotAMember));
    assert!(
        client.error_message().contains("invite"),
        "{}",
        client.error_message()
    );

    let mut elsewhere = create_workspace(13);
    let socket = raw_connect(&url).await;
    let mut client = elsewhere.hello(socket).await;
    assert!(client.until_closed(&mut elsewhere, 5).await);
    assert_eq!(client.error_code(), Some(ErrorCode::WrongWorkspace));
    assert!(client.error_message().contains("does not hold"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_device_is_cut_off_within_a_second_and_refused_after() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 14, Role::Editor).await;
    let key = EpochKey::generate(&mut a.rng);
    let mut rng = rand::rng();
    a.membership
        .remove_device_and_rotate(&a.keys, b.keys.id(), &key, now_ms(), &mut rng)
        .expect("remove");
    let started = Instant::now();
    ca.local_change(&mut a).await;
    assert!(cb.until_closed(&mut b, 2).await, "B's session was cut");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        cb.error_code(),
        Some(ErrorCode::Removed),
        "{}",
        cb.error_message()
    );

    let socket = raw_connect(&url).await;
    let mut again = b.hello(socket).await;
    assert!(again.until_closed(&mut b, 2).await);
    assert_eq!(again.error_code(), Some(ErrorCode::Removed));
    assert!(again.error_message().contains("was removed"));
    // A's own session goes on.
    a.put("after", "removal");
    assert!(ca.sync(&mut a).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_invite_is_refused() {
    let relay = Relay::start().await;
    let url = relay.url();
    let mut a = create_workspace(15);
    let mut ca = a.register(&url).await;
    let invite = Invite::new(
        &url,
        None,
        a.ws,
        a.keys.public(),
        now_ms() - 1_000,
        &mut a.rng,
    );
    a.membership
        .append(&a.keys, invite.created_op(Role::Editor), now_ms())
        .expect("invite op");
    assert!(ca.push_membership(&mut a).await);
    let c = a.fresh();
    let request = JoinRequest::new(&invite, &c.keys, "Cy", "UTC").encode();
    let mut socket = raw_connect(&url).await;
    send(&mut socket, &Frame::Join { request }).await;
    let (code, message) = recv_error(&mut socket, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::MembershipRejected);
    assert!(message.contains("expired"), "{message}");
    assert!(
        !ca.pump_until(&mut a, |_, c| !c.join_requests.is_empty(), 1)
            .await,
        "the admin is not bothered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_cannot_change_membership() {
    let relay = Relay::start().await;
    let (a, _ca, mut b, mut cb) = pair(&relay.url(), 16, Role::Editor).await;
    let len = a.membership.len();
    assert!(
        cb.pump_until(&mut b, move |b, _| b.membership.len() == len, 5)
            .await
    );
    let op = SignedOp::sign(
        b.membership.head(),
        &b.keys,
        now_ms(),
        Op::ChangeRole {
            device: b.keys.id(),
            role: Role::Admin,
        },
    );
    send(
        &mut cb.socket,
        &Frame::Membership {
            start: len,
            ops: vec![op],
        },
    )
    .await;
    let (code, message) = recv_error(&mut cb.socket, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::MembershipRejected);
    assert!(message.contains("only admins"), "{message}");
    assert_eq!(recv(&mut cb.socket, 2).await, None, "and disconnected");
}
