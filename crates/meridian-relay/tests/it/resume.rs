//! Session tickets: a device that logged in once resumes with one `Resume` frame; the relay
//! refuses replays, forged proofs, unknown and replaced tickets, and removed devices, and
//! keeps tickets across a restart.

use meridian_relay::Limits;
use meridian_sync::{EpochKey, ErrorCode, Frame, Role, Ticket};

use crate::support::{Client, Device, Relay, now_ms, pair, raw_connect, recv_error, send};

/// Pumps until the relay's ticket arrived on `client`.
async fn ticket_of(client: &mut Client, dev: &mut Device) -> Ticket {
    assert!(
        client.pump_until(dev, |_, c| c.ticket.is_some(), 5).await,
        "no ticket after a full login: {}",
        client.error_message()
    );
    client.ticket.clone().expect("a ticket")
}

/// Sends `frame` as the first frame of a new connection; the relay's error code.
async fn refused(url: &str, frame: &Frame) -> ErrorCode {
    let mut socket = raw_connect(url).await;
    send(&mut socket, frame).await;
    let (code, message) = recv_error(&mut socket, 5).await.expect("an error frame");
    assert!(!message.is_empty());
    code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_resumes_with_its_ticket_and_replays_and_forgeries_are_refused() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 31, Role::Editor).await;
    let ticket = ticket_of(&mut cb, &mut b).await;
    assert!(
        cb.pump_until(&mut b, |d, _| !d.membership.is_empty(), 5)
            .await,
        "B has the membership log"
    );
    b.put("before", "resume");
    assert!(cb.sync(&mut b).await);
    drop(cb);

    let mut resumed = b.resume(&url, &ticket, 1).await;
    assert!(
        resumed
            .pump_until(&mut b, |_, c| c.session.is_ready(), 5)
            .await,
        "resume failed: {}",
        resumed.error_message()
    );
    b.put("after", "resume");
    assert!(resumed.sync(&mut b).await);
    assert!(
        ca.until_holds(&mut a, &b).await,
        "A receives what B wrote in the resumed session"
    );
    assert!(resumed.ticket.is_none(), "a resume issues no new ticket");
    drop(resumed);

    let stranger = Ticket {
        id: [1; 16],
        secret: [2; 32],
    };
    let cases = [
        ("a replayed counter", ticket.resume(&b.ws, &b.keys.id(), 1)),
        (
            "a forged proof",
            Frame::Resume {
                ticket: ticket.id,
                counter: 9,
                mac: [0; 16],
            },
        ),
        (
            "a proof made for another device",
            ticket.resume(&b.ws, &a.keys.id(), 10),
        ),
        ("an unknown ticket", stranger.resume(&b.ws, &b.keys.id(), 1)),
    ];
    for (what, frame) in &cases {
        assert_eq!(
            refused(&url, frame).await,
            ErrorCode::TicketRefused,
            "{what}"
        );
    }

    // The ticket and its counter survive a restart of the relay.
    drop(ca);
    let relay = relay.restart(Limits::default()).await;
    let url = relay.url();
    assert_eq!(
        refused(&url, &ticket.resume(&b.ws, &b.keys.id(), 1)).await,
        ErrorCode::TicketRefused,
        "a counter used before the restart"
    );
    let mut again = b.resume(&url, &ticket, 2).await;
    assert!(
        again
            .pump_until(&mut b, |_, c| c.session.is_ready(), 5)
            .await,
        "resume after a restart failed: {}",
        again.error_message()
    );
    assert!(again.until_holds(&mut b, &a).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_login_replaces_the_ticket() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (_a, _ca, mut b, mut cb) = pair(&url, 32, Role::Editor).await;
    let first = ticket_of(&mut cb, &mut b).await;
    drop(cb);
    let mut cb = b.connect(&url).await;
    let second = ticket_of(&mut cb, &mut b).await;
    assert_ne!(first.id, second.id);
    assert_eq!(
        refused(&url, &first.resume(&b.ws, &b.keys.id(), 1)).await,
        ErrorCode::TicketRefused
    );
    let mut resumed = b.resume(&url, &second, 1).await;
    assert!(
        resumed
            .pump_until(&mut b, |_, c| c.session.is_ready(), 5)
            .await,
        "{}",
        resumed.error_message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_device_cannot_resume() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 33, Role::Editor).await;
    let ticket = ticket_of(&mut cb, &mut b).await;
    let key = EpochKey::generate(&mut a.rng);
    a.membership
        .remove_device_and_rotate(&a.keys, b.keys.id(), &key, now_ms(), &mut rand::rng())
        .expect("remove");
    assert!(ca.push_membership(&mut a).await);
    assert!(cb.until_closed(&mut b, 2).await);
    assert_eq!(
        refused(&url, &ticket.resume(&b.ws, &b.keys.id(), 1)).await,
        ErrorCode::Removed
    );
}
