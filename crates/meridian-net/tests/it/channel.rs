//! The LAN channel over real TCP on 127.0.0.1 with real device keys: frames both ways,
//! the membership gate on both sides, wrong LAN keys, replayed handshakes and hostile bytes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meridian_net::channel::{Channel, ChannelError, Refusal};
use meridian_sync::wire::MAX_FRAME_BYTES;
use meridian_sync::{DeviceId, DeviceKeys, Frame};
use rand::RngCore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PSK: [u8; 32] = [42; 32];

fn keys() -> DeviceKeys {
    DeviceKeys::generate(&mut rand::rng())
}

/// What a caller's gate reads from the membership log: each device's recorded X25519 key,
/// and whether it was removed.
#[derive(Clone, Default)]
struct Members(HashMap<DeviceId, ([u8; 32], bool)>);

impl Members {
    fn of(devices: &[&DeviceKeys]) -> Members {
        let mut members = Members::default();
        for keys in devices {
            members.add(keys);
        }
        members
    }

    fn add(&mut self, keys: &DeviceKeys) {
        let public = keys.public();
        self.0.insert(public.id, (public.dh, false));
    }

    fn remove(&mut self, keys: &DeviceKeys) {
        if let Some(entry) = self.0.get_mut(&keys.id()) {
            entry.1 = true;
        }
    }

    fn gate(&self, device: &DeviceId, remote_static: &[u8; 32]) -> Result<(), Refusal> {
        match self.0.get(device) {
            None => Err(Refusal::NotAMember),
            Some((_, true)) => Err(Refusal::Removed),
            Some((dh, false)) if dh != remote_static => Err(Refusal::WrongKey),
            Some(_) => Ok(()),
        }
    }
}

async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    (listener, addr)
}

/// Runs `connect` from `a` and `accept` on `b` against each other, with each side's gate.
async fn handshake(
    a: &DeviceKeys,
    a_psk: &[u8; 32],
    a_members: &Members,
    expect: Option<DeviceId>,
    b: &DeviceKeys,
    b_psk: &[u8; 32],
    b_members: &Members,
) -> (Result<Channel, ChannelError>, Result<Channel, ChannelError>) {
    let (listener, addr) = listener().await;
    let a_gate = |id: &DeviceId, key: &[u8; 32]| a_members.gate(id, key);
    let b_gate = |id: &DeviceId, key: &[u8; 32]| b_members.gate(id, key);
    let responder = async {
        let (stream, _) = listener.accept().await.expect("accept");
        Channel::accept(stream, b, b_psk, &b_gate).await
    };
    tokio::join!(Channel::connect(addr, a, a_psk, expect, &a_gate), responder)
}

/// A `Join` frame whose encoding is `size` bytes give or take a few.
fn frame_of_about(size: usize) -> Frame {
    let mut request = vec![0u8; size - 8];
    rand::rng().fill_bytes(&mut request);
    Frame::Join { request }
}

/// The runtime runs channels in `tokio::spawn`; this fails to compile if a future is not `Send`.
fn assert_send<T: Send>(_: T) {}

async fn send_all(channel: &mut Channel, frames: &[Frame]) {
    for frame in frames {
        channel.send(frame).await.expect("send");
    }
}

async fn recv_n(channel: &mut Channel, n: usize) -> Vec<Frame> {
    let mut got = Vec::with_capacity(n);
    for _ in 0..n {
        got.push(channel.recv().await.expect("recv").expect("a frame"));
    }
    got
}

#[tokio::test]
async fn frames_travel_both_ways_intact_and_each_side_names_the_other() {
    let (alice, bob) = (keys(), keys());
    let members = Members::of(&[&alice, &bob]);
    let (listener, addr) = listener().await;

    // The responder runs in its own task: the channel's futures must be `Send`.
    let bob_id = bob.id();
    let bob_members = members.clone();
    let responder = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let gate = move |id: &DeviceId, key: &[u8; 32]| bob_members.gate(id, key);
        Channel::accept(stream, &bob, &PSK, &gate).await
    });
    let gate = |id: &DeviceId, key: &[u8; 32]| members.gate(id, key);
    assert_send(Channel::connect(addr, &alice, &PSK, Some(bob_id), &gate));
    let mut a = Channel::connect(addr, &alice, &PSK, Some(bob_id), &gate)
        .await
        .expect("connect");
    let mut b = responder.await.expect("task").expect("accept");
    assert_send(a.send(&Frame::Bye));
    assert_send(a.recv());
    assert_eq!(a.peer(), bob_id);
    assert_eq!(b.peer(), alice.id());
    assert_eq!(a.remote_addr(), addr);
    assert_eq!(b.remote_addr().ip(), addr.ip());

    let big = frame_of_about(MAX_FRAME_BYTES);
    let big_len = big.encode().len();
    assert!(big_len <= MAX_FRAME_BYTES && big_len > MAX_FRAME_BYTES - 16);
    let small = [
        Frame::Bye,
        Frame::Ack {
            upto: 7,
            skip_to: Some(9),
        },
        Frame::Want {
            cursor: u64::MAX,
            membership_len: 3,
        },
    ];
    let mut frames = small.to_vec();
    frames.push(big.clone());
    frames.push(frame_of_about(65_519)); // straddles one transport message
    frames.push(Frame::JoinQueued);

    // One direction, then the other; the receiver drains while the sender writes, since
    // a few frames fill the receiving side's queue.
    let (received_by_b, received_by_a) = {
        let ((), b_rx) = tokio::join!(send_all(&mut a, &frames), recv_n(&mut b, frames.len()));
        let ((), a_rx) = tokio::join!(send_all(&mut b, &frames), recv_n(&mut a, frames.len()));
        (b_rx, a_rx)
    };
    assert_eq!(received_by_b, frames);
    assert_eq!(received_by_a, frames);

    // A frame over the limit is refused before anything is sent.
    let too_big = frame_of_about(MAX_FRAME_BYTES + 64);
    assert!(matches!(
        a.send(&too_big).await,
        Err(ChannelError::TooLarge { .. })
    ));
    a.send(&Frame::Bye).await.expect("still usable");
    assert_eq!(b.recv().await.expect("recv"), Some(Frame::Bye));

    // A clean close is a clean end on the other side.
    a.close().await;
    assert!(matches!(b.recv().await, Ok(None)));
}

#[tokio::test]
async fn recv_is_cancel_safe_inside_select() {
    let (alice, bob) = (keys(), keys());
    let members = Members::of(&[&alice, &bob]);
    let (a, b) = handshake(&alice, &PSK, &members, None, &bob, &PSK, &members).await;
    let (mut a, mut b) = (a.expect("connect"), b.expect("accept"));
    let count = 200u64;
    let sender = async {
        for upto in 0..count {
            a.send(&Frame::Ack {
                upto,
                skip_to: None,
            })
            .await
            .expect("send");
            if upto % 20 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        a
    };
    let receiver = async {
        let mut got = Vec::new();
        let mut ticks = 0u32;
        while got.len() < usize::try_from(count).expect("fits") {
            tokio::select! {
                frame = b.recv() => got.push(frame.expect("recv").expect("frame")),
                () = tokio::time::sleep(Duration::from_micros(50)) => ticks += 1,
            }
        }
        (got, ticks)
    };
    let (_a, (got, ticks)) = tokio::join!(sender, receiver);
    let expected: Vec<Frame> = (0..count)
        .map(|upto| Frame::Ack {
            upto,
            skip_to: None,
        })
        .collect();
    assert_eq!(got, expected);
    assert!(ticks > 0, "the select never cancelled a recv");
}

#[tokio::test]
async fn the_responder_refuses_non_members_and_removed_devices() {
    let (alice, bob, stranger) = (keys(), keys(), keys());
    let mut members = Members::of(&[&alice, &bob]);

    let (a, b) = handshake(&stranger, &PSK, &members, None, &bob, &PSK, &members).await;
    assert!(
        matches!(a, Err(ChannelError::Refused(Refusal::NotAMember))),
        "{a:?}"
    );
    assert!(
        matches!(b, Err(ChannelError::Refused(Refusal::NotAMember))),
        "{b:?}"
    );

    // The initiator's gate still knows Alice; Bob's log has her removed.
    let initiator_view = members.clone();
    members.remove(&alice);
    let (a, b) = handshake(&alice, &PSK, &initiator_view, None, &bob, &PSK, &members).await;
    assert!(
        matches!(a, Err(ChannelError::Refused(Refusal::Removed))),
        "{a:?}"
    );
    assert!(
        matches!(b, Err(ChannelError::Refused(Refusal::Removed))),
        "{b:?}"
    );
    let err = a.expect_err("refused");
    assert!(
        err.to_string().contains("removed from this workspace"),
        "{err}"
    );

    // The log records another X25519 key for Alice than the one she proves.
    let mut stale = Members::of(&[&bob]);
    stale.0.insert(alice.id(), (keys().public().dh, false));
    let (a, b) = handshake(&alice, &PSK, &initiator_view, None, &bob, &PSK, &stale).await;
    assert!(
        matches!(a, Err(ChannelError::Refused(Refusal::WrongKey))),
        "{a:?}"
    );
    assert!(
        matches!(b, Err(ChannelError::Refused(Refusal::WrongKey))),
        "{b:?}"
    );
}

#[tokio::test]
async fn the_initiator_refuses_a_non_member_or_unexpected_responder() {
    let (alice, bob, carol) = (keys(), keys(), keys());
    let members = Members::of(&[&alice, &bob, &carol]);
    let alice_view = Members::of(&[&alice]);

    let (a, b) = handshake(&alice, &PSK, &alice_view, None, &bob, &PSK, &members).await;
    assert!(
        matches!(a, Err(ChannelError::Refused(Refusal::NotAMember))),
        "{a:?}"
    );
    assert!(matches!(b, Err(ChannelError::Handshake(_))), "{b:?}");

    let (a, b) = handshake(
        &alice,
        &PSK,
        &members,
        Some(carol.id()),
        &bob,
        &PSK,
        &members,
    )
    .await;
    assert!(
        matches!(a, Err(ChannelError::Refused(Refusal::NotExpected))),
        "{a:?}"
    );
    assert!(b.is_err(), "{b:?}");

    let (a, b) = handshake(&alice, &PSK, &members, Some(bob.id()), &bob, &PSK, &members).await;
    assert_eq!(a.expect("expected device").peer(), bob.id());
    assert_eq!(b.expect("accept").peer(), alice.id());
}

#[tokio::test]
async fn a_wrong_lan_key_fails_on_both_sides() {
    let (alice, bob) = (keys(), keys());
    let members = Members::of(&[&alice, &bob]);
    let (a, b) = handshake(&alice, &[1; 32], &members, None, &bob, &PSK, &members).await;
    assert!(matches!(a, Err(ChannelError::Handshake(_))), "{a:?}");
    assert!(matches!(b, Err(ChannelError::Handshake(_))), "{b:?}");
}

#[tokio::test]
async fn a_stranger_without_the_lan_key_gets_no_answer() {
    let bob = keys();
    let members = Members::of(&[&bob]);
    let (listener, addr) = listener().await;
    let responder = async {
        let (stream, _) = listener.accept().await.expect("accept");
        let gate = |id: &DeviceId, key: &[u8; 32]| members.gate(id, key);
        Channel::accept(stream, &bob, &PSK, &gate).await
    };
    let stranger = async {
        // A well-formed first message of the same Noise pattern, under another psk.
        let secret = keys().dh_secret_bytes();
        let params = "Noise_XXpsk0_25519_ChaChaPoly_SHA256"
            .parse()
            .expect("params");
        let mut noise = snow::Builder::new(params)
            .local_private_key(&secret[..])
            .and_then(|b| b.psk(0, &[9; 32]))
            .and_then(|b| b.prologue(b"meridian/lan/1"))
            .and_then(snow::Builder::build_initiator)
            .expect("noise");
        let mut message = [0u8; 128];
        let n = noise.write_message(&[], &mut message).expect("write");
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let len = u16::try_from(n).expect("fits").to_be_bytes();
        stream.write_all(&len).await.expect("write");
        stream.write_all(&message[..n]).await.expect("write");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        answer
    };
    let (accepted, answer) = tokio::join!(responder, stranger);
    assert!(
        matches!(accepted, Err(ChannelError::Handshake(_))),
        "{accepted:?}"
    );
    assert!(
        answer.is_empty(),
        "the responder wrote {} bytes",
        answer.len()
    );
}

/// Forwards one connection to `target`, keeping a copy of what the initiator sent.
async fn recording_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let (listener, addr) = listener().await;
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&recorded);
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.expect("proxy accept");
        let server = TcpStream::connect(target).await.expect("proxy connect");
        let (mut client_rd, mut client_wr) = client.into_split();
        let (mut server_rd, mut server_wr) = server.into_split();
        let upstream = async move {
            let mut buf = [0u8; 4096];
            loop {
                let n = client_rd.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    let _ = server_wr.shutdown().await;
                    return;
                }
                record.lock().expect("lock").extend_from_slice(&buf[..n]);
                if server_wr.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        };
        let downstream = async move {
            let _ = tokio::io::copy(&mut server_rd, &mut client_wr).await;
            let _ = client_wr.shutdown().await;
        };
        tokio::join!(upstream, downstream);
    });
    (addr, recorded)
}

#[tokio::test]
async fn a_replayed_handshake_is_not_accepted() {
    let (alice, bob) = (keys(), keys());
    let members = Members::of(&[&alice, &bob]);
    let gate = |id: &DeviceId, key: &[u8; 32]| members.gate(id, key);
    let (listener, addr) = listener().await;
    let (proxy, recorded) = recording_proxy(addr).await;

    let responder = async {
        let (stream, _) = listener.accept().await.expect("accept");
        Channel::accept(stream, &bob, &PSK, &gate).await
    };
    let (a, b) = tokio::join!(
        Channel::connect(proxy, &alice, &PSK, None, &gate),
        responder
    );
    let (mut a, mut b) = (a.expect("connect"), b.expect("accept"));
    a.send(&Frame::Bye).await.expect("send");
    assert_eq!(b.recv().await.expect("recv"), Some(Frame::Bye));
    a.close().await;
    assert!(matches!(b.recv().await, Ok(None)));
    let captured = recorded.lock().expect("lock").clone();
    assert!(
        captured.len() > 2 + 48 + 2 + 96,
        "captured {}",
        captured.len()
    );

    // Everything Alice sent, handshake and frame, replayed on a fresh connection.
    let replay = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(&captured).await.expect("replay");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
    };
    let responder = async {
        let (stream, _) = listener.accept().await.expect("accept");
        Channel::accept(stream, &bob, &PSK, &gate).await
    };
    let ((), replayed) = tokio::join!(replay, responder);
    assert!(
        matches!(replayed, Err(ChannelError::Handshake(_))),
        "{replayed:?}"
    );
}

#[tokio::test]
async fn hostile_bytes_fail_the_handshake_without_panicking() {
    let bob = keys();
    let members = Members::of(&[&bob]);
    let gate = |id: &DeviceId, key: &[u8; 32]| members.gate(id, key);
    let mut garbage = vec![0u8; 4096];
    rand::rng().fill_bytes(&mut garbage);
    let mut framed_garbage = vec![0, 48];
    framed_garbage.extend_from_slice(&garbage[..48]);
    let inputs: Vec<Vec<u8>> = vec![
        garbage.clone(),
        framed_garbage,
        vec![0xff, 0xff, 1, 2, 3],
        vec![0, 3, 1, 2, 3],
        vec![0],
        Vec::new(),
    ];
    for input in inputs {
        let (listener, addr) = listener().await;
        let responder = async {
            let (stream, _) = listener.accept().await.expect("accept");
            Channel::accept(stream, &bob, &PSK, &gate).await
        };
        let attacker = async {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            let _ = stream.write_all(&input).await;
            let _ = stream.shutdown().await;
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer).await;
            answer
        };
        let (accepted, answer) = tokio::join!(responder, attacker);
        assert!(
            matches!(accepted, Err(ChannelError::Handshake(_))),
            "{} bytes: {accepted:?}",
            input.len()
        );
        assert!(answer.is_empty());
    }

    // A "responder" that answers with garbage.
    let (listener, addr) = listener().await;
    let liar = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let _ = stream.write_all(&garbage).await;
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink).await;
    });
    let alice = keys();
    let got = Channel::connect(addr, &alice, &PSK, None, &gate).await;
    assert!(matches!(got, Err(ChannelError::Handshake(_))), "{got:?}");
    liar.abort();
}
