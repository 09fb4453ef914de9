//! Each limit ends only the offending connection, with an `Error` frame saying which.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use meridian_relay::Limits;
use meridian_sync::wire::MAX_FRAME_BYTES;
use meridian_sync::{ErrorCode, Frame, Role};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Relay, pair, raw_connect, recv, recv_error, send};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_ends_only_its_connection() {
    let relay = Relay::start().await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 20, Role::Editor).await;
    let huge = vec![1u8; MAX_FRAME_BYTES + 1];
    // The relay may close while the message is still being written.
    let _ = cb.socket.send(Message::Binary(huge.into())).await;
    let (code, message) = recv_error(&mut cb.socket, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::TooLarge, "{message}");
    assert_eq!(recv(&mut cb.socket, 2).await, None, "disconnected");

    a.put("still", "syncing");
    assert!(ca.sync(&mut a).await, "A's session is unaffected");
    let mut cb = b.connect(&url).await;
    assert!(cb.until_holds(&mut b, &a).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_rate_limited_while_others_sync() {
    let relay = Relay::with_limits(Limits {
        rate_frames: 50,
        ..Limits::default()
    })
    .await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 21, Role::Editor).await;
    // Frames that carry data (here empty pushes) count against the rate.
    let push = Frame::Push {
        entries: Vec::new(),
        upto: 0,
    };
    for _ in 0..200 {
        if cb
            .socket
            .send(Message::Binary(push.encode().into()))
            .await
            .is_err()
        {
            break;
        }
    }
    let (code, message) = recv_error(&mut cb.socket, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::RateLimited, "{message}");
    assert_eq!(recv(&mut cb.socket, 2).await, None, "disconnected");

    for i in 0..5 {
        a.put(&format!("k{i}"), "v");
        assert!(ca.sync(&mut a).await, "A keeps syncing");
    }
    let mut cb = b.connect(&url).await;
    assert!(cb.until_holds(&mut b, &a).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_workspace_gets_storage_full() {
    let relay = Relay::with_limits(Limits {
        quota_bytes: 16 * 1024,
        ..Limits::default()
    })
    .await;
    let (mut a, mut ca, _b, _cb) = pair(&relay.url(), 22, Role::Editor).await;
    // Values of ~3 KiB each, one acknowledged batch at a time: the quota is passed
    // within ten.
    let mut rng = rand::rng();
    for i in 0..10 {
        let value: String = (0..3072)
            .map(|_| char::from(b'a' + (rand::RngCore::next_u32(&mut rng) % 26) as u8))
            .collect();
        a.put(&format!("k{i}"), &value);
        if !ca.sync(&mut a).await {
            break;
        }
    }
    assert!(ca.closed.is_some());
    assert_eq!(
        ca.error_code(),
        Some(ErrorCode::StorageFull),
        "{}",
        ca.error_message()
    );
    assert!(ca.error_message().contains("quota"));
    let stored = ca.session.their_ack();
    assert!(
        stored > 0 && stored < 10,
        "stored up to the quota: {stored}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_silent_and_surplus_connections_are_refused() {
    let relay = Relay::with_limits(Limits {
        max_connections: 3,
        handshake_timeout: Duration::from_millis(300),
        tick_interval: Duration::from_millis(100),
        ..Limits::default()
    })
    .await;
    let url = relay.url();

    let mut garbage = raw_connect(&url).await;
    garbage
        .send(Message::Binary(
            vec![meridian_sync::wire::PROTOCOL_VERSION, 0xff, 0xff].into(),
        ))
        .await
        .expect("send");
    let (code, _) = recv_error(&mut garbage, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::Malformed);

    let mut text = raw_connect(&url).await;
    text.send(Message::Text("hello".into()))
        .await
        .expect("send");
    let (code, _) = recv_error(&mut text, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::Malformed);

    let mut unexpected = raw_connect(&url).await;
    send(&mut unexpected, &Frame::Bye).await;
    let (code, _) = recv_error(&mut unexpected, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::Unexpected);

    let mut silent = raw_connect(&url).await;
    let (code, _) = recv_error(&mut silent, 5).await.expect("timed out");
    assert_eq!(code, ErrorCode::Timeout);

    // Let the closed connections free their slots; then hold all three.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _held: Vec<_> = futures_util::future::join_all((0..3).map(|_| raw_connect(&url))).await;
    let mut surplus = raw_connect(&url).await;
    let (code, message) = recv_error(&mut surplus, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::RateLimited);
    assert!(message.contains("limit of 3 connections"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_and_wants_do_not_count_against_the_frame_rate_but_a_flood_of_them_is_cut() {
    let relay = Relay::with_limits(Limits {
        rate_frames: 20,
        rate_control_frames: 400,
        ..Limits::default()
    })
    .await;
    let url = relay.url();
    let (mut a, mut ca, mut b, mut cb) = pair(&url, 23, Role::Editor).await;
    // 300 control frames at once: far over the data rate, within the control cap.
    let want = Frame::Want {
        cursor: 0,
        membership_len: b.membership.len(),
    };
    let ack = Frame::Ack {
        upto: 0,
        skip_to: None,
    };
    for frame in std::iter::repeat_n([&want, &ack], 150).flatten() {
        send(&mut cb.socket, frame).await;
    }
    a.put("k", "v");
    assert!(ca.sync(&mut a).await);
    assert!(cb.until_holds(&mut b, &a).await, "B is still connected");
    assert!(cb.closed.is_none(), "{:?}", cb.closed);

    // Thousands are a flood. Acks that change nothing cost the relay next to nothing, so it
    // takes them faster than its bucket refills however busy the machine is (a flood of
    // Wants, each answered, is only as fast as the relay's answers). They go in bursts of
    // 500 and the client reads what came back after each: stopping once refused keeps the
    // relay from closing on unread frames (a reset that would drop the error frame).
    let mut refused = None;
    // The relay cut the connection; on a loaded machine its error frame can be lost in the
    // reset (the client was still sending), so a cut counts as much as the frame.
    let mut cut = false;
    'flood: for _ in 0..20 {
        for _ in 0..500 {
            if cb
                .socket
                .send(Message::Binary(ack.encode().into()))
                .await
                .is_err()
            {
                cut = true;
                break 'flood;
            }
        }
        loop {
            match tokio::time::timeout(Duration::from_millis(200), cb.socket.next()).await {
                Ok(Some(Ok(Message::Binary(bytes)))) => {
                    if let Ok(Frame::Error { code, message }) = Frame::decode(&bytes) {
                        refused = Some((code, message));
                        break 'flood;
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) => {
                    cut = true;
                    break 'flood;
                }
                Err(_) => break,
            }
        }
    }
    if refused.is_none() && !cut {
        refused = recv_error(&mut cb.socket, 10).await;
        // No error frame: it counts only if the relay closed the connection (a socket
        // still open after the flood means it was neither refused nor cut).
        if refused.is_none() {
            cut = matches!(
                tokio::time::timeout(Duration::from_millis(500), cb.socket.next()).await,
                Ok(None | Some(Err(_)))
            );
        }
    }
    match refused {
        Some((code, message)) => {
            assert_eq!(code, ErrorCode::RateLimited, "{message}");
            assert!(message.contains("control frames"), "{message}");
        }
        None => assert!(cut, "a flood of control frames was neither refused nor cut"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_1_device_is_told_to_update_in_words_it_can_read() {
    let relay = Relay::start().await;
    let mut socket = raw_connect(&relay.url()).await;
    // A version-1 `Hello`, as far as its first bytes go.
    socket
        .send(Message::Binary(vec![1u8, 0, 1, 2, 3, 4].into()))
        .await
        .expect("send");
    let reply = loop {
        match tokio::time::timeout(
            Duration::from_secs(5),
            futures_util::StreamExt::next(&mut socket),
        )
        .await
        {
            Ok(Some(Ok(Message::Binary(bytes)))) => break bytes.to_vec(),
            Ok(Some(Ok(_))) => {}
            other => panic!("no answer: {other:?}"),
        }
    };
    // Version byte 1, the v1 `Error` variant, code `UnsupportedProtocol`, the message.
    assert_eq!(&reply[..3], &[1, 9, 0]);
    let text = String::from_utf8_lossy(&reply[4..]);
    assert!(
        text.contains("sync protocol 2") && text.contains("update Meridian"),
        "{text}"
    );
    assert_eq!(
        reply,
        Frame::legacy_error(
            "this relay speaks sync protocol 2; update Meridian on this device to keep syncing"
        )
    );
    assert_eq!(
        recv(&mut socket, 2).await,
        None,
        "and the connection closes"
    );
}

/// Connects a WebSocket client over `tcp` and returns the HTTP refusal's status and body.
async fn refused_upgrade(url: &str) -> (u16, String) {
    let tcp =
        tokio::net::TcpStream::connect(url.trim_start_matches("ws://").trim_end_matches("/sync"))
            .await
            .expect("connect");
    match tokio_tungstenite::client_async(url, tcp).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => (
            response.status().as_u16(),
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned(),
        ),
        Err(other) => panic!("refused without an answer: {other}"),
        Ok(_) => panic!("upgraded over the limit"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_are_bounded_until_they_log_in() {
    use tokio::io::AsyncReadExt;

    let relay = Relay::with_limits(Limits {
        max_login_bytes: 64 * 1024,
        handshake_timeout: Duration::from_millis(500),
        tick_interval: Duration::from_millis(100),
        ..Limits::default()
    })
    .await;
    let url = relay.url();
    let addr = relay.server.local_addr();

    // A socket that never upgrades to WebSocket is closed at the login timeout.
    let mut idle = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let started = tokio::time::Instant::now();
    let read = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut [0u8; 64])).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "closed: {read:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "{took:?}"
    );

    // More than the login allows, before logging in: refused as too large, saying why.
    let mut big = raw_connect(&url).await;
    let _ = big
        .send(Message::Binary(vec![2u8; 256 * 1024].into()))
        .await;
    let (code, message) = recv_error(&mut big, 5).await.expect("refused");
    assert_eq!(code, ErrorCode::TooLarge, "{message}");
    assert!(
        message.contains("65536 bytes before logging in"),
        "{message}"
    );
    assert_eq!(recv(&mut big, 2).await, None, "disconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_and_sockets_that_do_not_log_in_are_capped_with_a_clear_answer() {
    let relay = Relay::with_limits(Limits {
        max_connections_per_ip: 3,
        ..Limits::default()
    })
    .await;
    let url = relay.url();
    let held: Vec<_> = futures_util::future::join_all((0..3).map(|_| raw_connect(&url))).await;
    let (status, body) = refused_upgrade(&url).await;
    assert_eq!(status, 503);
    assert!(
        body.contains("this address already has 3 connections open to the relay"),
        "{body}"
    );
    // A place is free again once a socket closes.
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_a, ca, _b, _cb) = pair(&url, 24, Role::Editor).await;
    assert!(ca.closed.is_none(), "{:?}", ca.closed);

    let relay = Relay::with_limits(Limits {
        max_pending_logins: 2,
        ..Limits::default()
    })
    .await;
    let url = relay.url();
    let _held: Vec<_> = futures_util::future::join_all((0..2).map(|_| raw_connect(&url))).await;
    let (status, body) = refused_upgrade(&url).await;
    assert_eq!(status, 503);
    assert!(
        body.contains("2 connections that have not logged in"),
        "{body}"
    );
}
