//! A relay under attack keeps serving members (issue 21): while strangers flood the real
//! `meridian-relay` binary on loopback with garbage, text and oversized frames, idle
//! sockets, a burst past its per-address limit and a member's recorded session replayed,
//! two real devices keep syncing, the relay's memory stays bounded and every offender is
//! cut off within a bound.
//!
//! The attackers speak just enough HTTP and WebSocket by hand (raw TCP through tokio) to
//! send what no well-behaved client library would. They connect from 127.0.0.2 and up, the
//! devices from 127.0.0.1, so the per-address limit is what shields the devices; the
//! devices reach the relay through a recording TCP proxy, which gives the replay attacker
//! a real session to replay.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::sync::{Relay, Syncing, eventually, join_at, once, page, page_id};
use crate::{init, meridian, ok};

/// How long the attack lasts.
const ATTACK: Duration = Duration::from_secs(5);
/// The relay's login timeout in this test (`--handshake-timeout-secs`).
const HANDSHAKE: Duration = Duration::from_secs(2);
/// Sockets one address may hold (`--max-connections-per-ip`).
const PER_IP: usize = 16;
/// An offender must be cut off within this: the login timeout, plus the relay's 2 s tick
/// (which checks it), plus the 2 s the relay waits for the peer's close after its own, plus
/// slack for a loaded 2-core machine.
const CUT_WITHIN: Duration = Duration::from_secs(10);
/// An honest edit must reach the other device within this, attack or not.
const ARRIVE_WITHIN: Duration = Duration::from_secs(20);
/// Peak resident memory the relay may reach. At most 64 attacker sockets are open at once
/// (4 workers for each of the four repeated kinds, 2 × 16 idle, 16 of the burst; the
/// member's is one), and one that has not logged in may hold at most `max_login_bytes`
/// (1 MiB) of unfinished message plus its buffers (about 0.3 MiB): under 90 MiB above an
/// idle relay (about 12 MiB in a debug build) in the worst case. The logged-in member may
/// hold one 4 MiB frame. Without the login bound each socket could hold 4 MiB, and without
/// the per-address limit there could be any number of them.
const RSS_BOUND_KIB: u64 = 128 * 1024;

/// The relay's resident memory in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// How many envelopes the relay holds from each device.
fn entries_by_device(relay_dir: &Path) -> HashMap<Vec<u8>, i64> {
    let db = rusqlite::Connection::open_with_flags(
        relay_dir.join("relay.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the relay's database");
    let mut query = db
        .prepare("SELECT device, COUNT(*) FROM entries GROUP BY device")
        .expect("query");
    query
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("read entries")
        .map(|r| r.expect("row"))
        .collect()
}

/// A small deterministic generator for garbage (seeded: a failure reproduces).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A TCP proxy in front of the relay that records what each client sent.
async fn proxy(relay: SocketAddr, recorded: Arc<Mutex<Vec<Vec<u8>>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(relay).await else {
                    return;
                };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let down = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    let _ = cw.shutdown().await;
                });
                let mut sent = Vec::new();
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = cr.read(&mut buf).await {
                    if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    sent.extend_from_slice(&buf[..n]);
                }
                let _ = sw.shutdown().await;
                let _ = down.await;
                recorded.lock().expect("recording").push(sent);
            });
        }
    });
    addr
}

/// Seeds for the member's garbage.
static SEED: AtomicU64 = AtomicU64::new(0x5eed);

/// What the member's proxy does to a session once the relay has welcomed the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hijack {
    /// Nothing: the device syncs.
    None,
    /// A WebSocket binary frame of random bytes.
    Garbage,
    /// A text frame.
    Text,
    /// A frame header announcing 64 MiB.
    Oversized,
    /// The frames the device sent after logging in, in its first recorded session.
    Replay,
}

impl Hijack {
    fn name(self) -> &'static str {
        match self {
            Hijack::None => "none",
            Hijack::Garbage => "member: random frame",
            Hijack::Text => "member: text frame",
            Hijack::Oversized => "member: announced 64 MiB",
            Hijack::Replay => "member: replayed frames",
        }
    }
}

/// Splits complete WebSocket frames off the front of `buf` (after the HTTP head, which
/// `head_done` tracks); returns each frame's opcode and payload, unmasked.
fn ws_frames(buf: &mut Vec<u8>, head_done: &mut bool) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    if !*head_done {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return out;
        };
        buf.drain(..end + 4);
        *head_done = true;
    }
    loop {
        if buf.len() < 2 {
            return out;
        }
        let opcode = buf[0] & 0x0f;
        let masked = buf[1] & 0x80 != 0;
        let (len, mut at) = match buf[1] & 0x7f {
            126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
            127 if buf.len() >= 10 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&buf[2..10]);
                (u64::from_be_bytes(b) as usize, 10)
            }
            126 | 127 => return out,
            n => (n as usize, 2),
        };
        let mask = if masked {
            at += 4;
            buf.get(at - 4..at).map(<[u8]>::to_vec)
        } else {
            None
        };
        if buf.len() < at + len {
            return out;
        }
        let mut payload = buf[at..at + len].to_vec();
        if let Some(mask) = mask {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= mask[i % 4];
            }
        }
        buf.drain(..at + len);
        out.push((opcode, payload));
    }
}

/// A proxy for the member device C: it forwards and records C's sessions, and once the
/// relay welcomes C it can take the session over and send what `plan` says instead of C.
/// What the relay answered and how long it took to close the connection go to `tally`.
async fn member_proxy(
    relay: SocketAddr,
    plan: Arc<Mutex<Hijack>>,
    recorded: Arc<Mutex<Vec<Vec<u8>>>>,
    replay_from: Arc<Mutex<Vec<u8>>>,
    tally: Arc<Tally>,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let hijack = *plan.lock().expect("plan");
            let (recorded, tally) = (recorded.clone(), tally.clone());
            // The frames C sent after logging in, in the recorded session.
            let replay: Vec<u8> = {
                let (mut buf, mut head) = (replay_from.lock().expect("recording").clone(), false);
                ws_frames(&mut buf, &mut head)
                    .iter()
                    .filter(|(opcode, _)| *opcode == 2)
                    .skip(2) // Hello, Login
                    .flat_map(|(_, f)| ws_frame(2, f))
                    .collect()
            };
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(relay).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, sw) = server.into_split();
                let sw = Arc::new(tokio::sync::Mutex::new(sw));
                let taken = Arc::new(AtomicBool::new(false));
                let (welcomed, on_welcome) = tokio::sync::oneshot::channel::<()>();
                let down = {
                    let taken = taken.clone();
                    tokio::spawn(async move {
                        let (mut buf, mut head) = (Vec::new(), false);
                        let mut welcomed = Some(welcomed);
                        let mut after = Vec::new();
                        let mut chunk = vec![0u8; 64 * 1024];
                        while let Ok(n) = sr.read(&mut chunk).await {
                            if n == 0 {
                                break;
                            }
                            if taken.load(Ordering::Acquire) {
                                after.extend_from_slice(&chunk[..n]);
                            } else if hijack != Hijack::None && welcomed.is_some() {
                                buf.extend_from_slice(&chunk[..n]);
                                // `Welcome` is version 2, variant 3.
                                if ws_frames(&mut buf, &mut head)
                                    .iter()
                                    .any(|(_, f)| f.starts_with(&[2, 3]))
                                {
                                    // Before C can answer it: nothing more of C's goes on.
                                    taken.store(true, Ordering::Release);
                                    if let Some(w) = welcomed.take() {
                                        let _ = w.send(());
                                    }
                                }
                            }
                            if cw.write_all(&chunk[..n]).await.is_err() {
                                break;
                            }
                        }
                        let closed = Instant::now();
                        let _ = cw.shutdown().await;
                        (after, closed)
                    })
                };
                let injector = {
                    let sw = sw.clone();
                    tokio::spawn(async move {
                        if on_welcome.await.is_err() {
                            return None;
                        }
                        let bytes = match hijack {
                            Hijack::None => return None,
                            Hijack::Garbage => {
                                let seed = SEED.fetch_add(1, Ordering::Relaxed);
                                let mut payload = Rng(seed).bytes(300);
                                // Past the version byte, into the frame decoder.
                                payload[0] = 2;
                                ws_frame(2, &payload)
                            }
                            Hijack::Text => ws_frame(1, b"hello"),
                            Hijack::Oversized => {
                                let mut h = vec![0x82];
                                ws_length(&mut h, 64 << 20);
                                h.extend_from_slice(&[0, 0, 0, 0]);
                                h
                            }
                            Hijack::Replay => replay,
                        };
                        let _ = sw.lock().await.write_all(&bytes).await;
                        Some(Instant::now())
                    })
                };
                let mut sent = Vec::new();
                let mut chunk = vec![0u8; 64 * 1024];
                while let Ok(n) = cr.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    if taken.load(Ordering::Acquire) {
                        continue;
                    }
                    if sw.lock().await.write_all(&chunk[..n]).await.is_err() {
                        break;
                    }
                    sent.extend_from_slice(&chunk[..n]);
                }
                if !taken.load(Ordering::Acquire) {
                    let _ = sw.lock().await.shutdown().await;
                }
                let Ok((after, closed)) = down.await else {
                    return;
                };
                if let Ok(Some(at)) = injector.await {
                    let text = after
                        .iter()
                        .map(|&b| {
                            if b.is_ascii_graphic() || b == b' ' {
                                b as char
                            } else {
                                '|'
                            }
                        })
                        .collect();
                    tally.cut(hijack.name(), Some(closed.duration_since(at)), text);
                }
                recorded.lock().expect("recording").push(sent);
            });
        }
    });
    addr
}

/// A TCP connection to the relay from 127.0.0.`host`.
async fn connect_from(host: u8, relay: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, host], 0)))?;
    let stream = socket.connect(relay).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

const UPGRADE: &[u8] = b"GET /sync HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

/// Sends the upgrade request and reads the answer's head; returns its status code.
async fn upgrade(stream: &mut TcpStream) -> std::io::Result<u16> {
    stream.write_all(UPGRADE).await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let status = String::from_utf8_lossy(&head);
    Ok(status
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// A masked client frame with `opcode` (2 binary, 1 text).
fn ws_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80 | opcode];
    ws_length(&mut f, payload.len() as u64);
    let mask = [0x12, 0x34, 0x56, 0x78];
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

fn ws_length(f: &mut Vec<u8>, len: u64) {
    if len < 126 {
        f.push(0x80 | len as u8);
    } else if len <= 0xffff {
        f.push(0x80 | 126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&len.to_be_bytes());
    }
}

/// Reads until the relay closes the connection (end of stream or reset) or `limit` passes;
/// returns how long that took (`None`: still open) and the text the relay sent (its
/// `Error` frame's message is readable ASCII).
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Option<Duration>, String) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let closed = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    let text = got
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '|'
            }
        })
        .collect();
    (closed.then(|| start.elapsed()), text)
}

/// What the attack saw.
#[derive(Debug, Default)]
struct Tally {
    /// Per kind: connections cut, the slowest cut, and the messages seen.
    kinds: Mutex<Vec<(&'static str, Duration, String)>>,
    /// Connections left open past [`CUT_WITHIN`].
    open: Mutex<Vec<(&'static str, String)>>,
    refused_503: AtomicU64,
}

impl Tally {
    fn cut(&self, kind: &'static str, took: Option<Duration>, text: String) {
        match took {
            Some(t) => self.kinds.lock().expect("tally").push((kind, t, text)),
            None => self.open.lock().expect("tally").push((kind, text)),
        }
    }

    fn summary(&self) -> Vec<(&'static str, usize, Duration)> {
        let kinds = self.kinds.lock().expect("tally");
        let mut out: Vec<(&'static str, usize, Duration)> = Vec::new();
        for (kind, took, _) in kinds.iter() {
            match out.iter_mut().find(|(k, _, _)| k == kind) {
                Some((_, n, max)) => {
                    *n += 1;
                    *max = (*max).max(*took);
                }
                None => out.push((kind, 1, *took)),
            }
        }
        out
    }

    fn saw(&self, kind: &str, needle: &str) -> bool {
        self.kinds
            .lock()
            .expect("tally")
            .iter()
            .any(|(k, _, text)| *k == kind && text.contains(needle))
    }
}

/// Attackers of each repeated kind at once.
const WORKERS: u64 = 4;

/// Runs `attack` in [`WORKERS`] loops at once until the attack window ends; each call
/// gets its own number.
fn repeat<F, Fut>(tasks: &mut tokio::task::JoinSet<()>, until: Instant, attack: F)
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    for w in 0..WORKERS {
        let attack = attack.clone();
        tasks.spawn(async move {
            let mut i = w;
            while Instant::now() < until {
                attack(i).await;
                i += WORKERS;
            }
        });
    }
}

async fn attack(relay: SocketAddr, replay: Vec<u8>, tally: Arc<Tally>) {
    let until = Instant::now() + ATTACK;
    let mut tasks = tokio::task::JoinSet::new();

    // (a) Random binary frames: well-framed WebSocket with garbage inside, and garbage
    // that is not even WebSocket framing.
    let t = tally.clone();
    repeat(&mut tasks, until, move |i| {
        let t = t.clone();
        async move {
            let mut rng = Rng(0x5eed ^ (i + 1));
            let Ok(mut s) = connect_from(2, relay).await else {
                return;
            };
            if upgrade(&mut s).await.ok() != Some(101) {
                return;
            }
            let n = 1 + (rng.next() % 2000) as usize;
            let (kind, bytes) = if i % 2 == 0 {
                let mut payload = rng.bytes(n);
                // Half look like protocol 2, so decoding gets past the version byte.
                if i % 4 == 0 {
                    payload[0] = 2;
                }
                ("random frame", ws_frame(2, &payload))
            } else {
                ("malformed framing", rng.bytes(n))
            };
            let _ = s.write_all(&bytes).await;
            let (took, text) = until_closed(&mut s, CUT_WITHIN).await;
            t.cut(kind, took, text);
        }
    });

    // (b) Text frames.
    let t = tally.clone();
    repeat(&mut tasks, until, move |_| {
        let t = t.clone();
        async move {
            let Ok(mut s) = connect_from(3, relay).await else {
                return;
            };
            if upgrade(&mut s).await.ok() != Some(101) {
                return;
            }
            let _ = s.write_all(&ws_frame(1, b"{\"hello\":\"relay\"}")).await;
            let (took, text) = until_closed(&mut s, CUT_WITHIN).await;
            t.cut("text frame", took, text);
        }
    });

    // (c) Oversized: a frame header announcing 64 MiB, and a 2 MiB frame (under the frame
    // limit, over what a connection may send before logging in) actually sent.
    let t = tally.clone();
    repeat(&mut tasks, until, move |i| {
        let t = t.clone();
        async move {
            let Ok(mut s) = connect_from(4, relay).await else {
                return;
            };
            if upgrade(&mut s).await.ok() != Some(101) {
                return;
            }
            let kind = if i % 2 == 0 {
                let mut header = vec![0x82];
                ws_length(&mut header, 64 << 20);
                header.extend_from_slice(&[0, 0, 0, 0]);
                let _ = s.write_all(&header).await;
                let _ = s.write_all(&vec![0u8; 64 * 1024]).await;
                "announced 64 MiB"
            } else {
                let _ = s.write_all(&ws_frame(2, &vec![7u8; 2 << 20])).await;
                "2 MiB before login"
            };
            let (took, text) = until_closed(&mut s, CUT_WITHIN).await;
            t.cut(kind, took, text);
        }
    });

    // (d) Idle sockets: plain TCP that never sends a byte, and WebSocket that never logs in.
    for (host, upgraded) in [(5u8, false), (6, true)] {
        for _ in 0..PER_IP {
            let t = tally.clone();
            tasks.spawn(async move {
                let Ok(mut s) = connect_from(host, relay).await else {
                    return;
                };
                let kind = if upgraded {
                    if upgrade(&mut s).await.ok() != Some(101) {
                        return;
                    }
                    "idle WebSocket"
                } else {
                    "idle TCP"
                };
                let (took, text) = until_closed(&mut s, CUT_WITHIN).await;
                t.cut(kind, took, text);
            });
        }
    }

    // (e) A burst of three times the per-address limit at once: the surplus is answered
    // 503, the rest are idle sockets like (d).
    for _ in 0..3 * PER_IP {
        let t = tally.clone();
        tasks.spawn(async move {
            let Ok(mut s) = connect_from(7, relay).await else {
                return;
            };
            match upgrade(&mut s).await {
                Ok(101) => {}
                Ok(503) => {
                    t.refused_503.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) | Err(_) => {}
            }
            let (took, text) = until_closed(&mut s, CUT_WITHIN).await;
            t.cut("burst", took, text);
        });
    }

    // (f) A member's recorded session (upgrade, Hello, its old signed Login, its pushes),
    // replayed byte for byte: the relay's fresh challenge makes the old login worthless.
    let t = tally.clone();
    repeat(&mut tasks, until, move |_| {
        let (t, replay) = (t.clone(), replay.clone());
        async move {
            let Ok(mut s) = connect_from(8, relay).await else {
                return;
            };
            let _ = s.write_all(&replay).await;
            let (took, text) = until_closed(&mut s, CUT_WITHIN).await;
            t.cut("replayed session", took, text);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    while tasks.join_next().await.is_some() {}
}

/// Edits the page on A, syncs A once and waits until B (syncing live) shows it.
fn honest_edit(a: &Path, b: &Path, id: &str, body: &str) -> Duration {
    let start = Instant::now();
    ok(a, &["page", "edit", id, "--body", body]);
    once(a);
    let arrived = eventually(ARRIVE_WITHIN.as_secs(), || page(b, id)["body"] == body);
    assert!(
        arrived,
        "B did not receive {body:?} within {ARRIVE_WITHIN:?}"
    );
    start.elapsed()
}

#[test]
fn a_relay_under_attack_cuts_offenders_and_keeps_two_devices_syncing() {
    let started = Instant::now();
    let relay_dir = tempfile::tempdir().expect("temp dir");
    let mut relay = Relay::start_with(
        relay_dir.path(),
        &[
            "--handshake-timeout-secs",
            &HANDSHAKE.as_secs().to_string(),
            "--max-connections-per-ip",
            &PER_IP.to_string(),
            "--max-pending-logins",
            "256",
        ],
    );
    let relay_addr: SocketAddr = relay.addr.parse().expect("relay address");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let proxy_addr = rt.block_on(proxy(relay_addr, recorded.clone()));
    // The devices know the relay by the proxy's address.
    let through_proxy = format!("ws://{proxy_addr}/sync");

    let a = init();
    ok(
        a.path(),
        &["page", "new", "--title", "Live", "--body", "before"],
    );
    let b = join_at(a.path(), &through_proxy, "Bea", "editor");
    let id = page_id(b.path(), "Live");

    // C is a member whose sessions go through a proxy that can take them over.
    let tally = Arc::new(Tally::default());
    let plan = Arc::new(Mutex::new(Hijack::None));
    let c_recorded = Arc::new(Mutex::new(Vec::new()));
    let replay_from = Arc::new(Mutex::new(Vec::new()));
    let c_proxy = rt.block_on(member_proxy(
        relay_addr,
        plan.clone(),
        c_recorded.clone(),
        replay_from.clone(),
        tally.clone(),
    ));
    let c = join_at(a.path(), &format!("ws://{c_proxy}/sync"), "Cem", "editor");
    ok(
        c.path(),
        &["page", "new", "--title", "Cem's", "--body", "pushed once"],
    );
    once(c.path());
    *replay_from.lock().expect("recording") = c_recorded
        .lock()
        .expect("recording")
        .last()
        .cloned()
        .expect("C's session");

    let _b_syncing = Syncing::start(b.path());
    let calm = honest_edit(a.path(), b.path(), &id, "calm");
    // A's last session, as the proxy saw it: what the replay attacker sends.
    let replay = recorded
        .lock()
        .expect("recording")
        .iter()
        .rev()
        .find(|s| s.len() > 200)
        .cloned()
        .expect("a recorded session");

    let entries_before = entries_by_device(relay_dir.path());
    let pid = relay.pid();
    let rss_before = rss_kib(pid);
    let rss_peak = Arc::new(AtomicU64::new(rss_before));
    let attacking = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, attacking) = (rss_peak.clone(), attacking.clone());
        std::thread::spawn(move || {
            while attacking.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let attack_done = Arc::new(AtomicBool::new(false));
    let attacker = {
        let (tally, done) = (tally.clone(), attack_done.clone());
        let handle = rt.handle().clone();
        std::thread::spawn(move || {
            handle.block_on(attack(relay_addr, replay, tally));
            done.store(true, Ordering::Relaxed);
        })
    };

    // C, logged in, sends what no device would: one kind per session.
    let member = {
        let (plan, done, dir) = (plan.clone(), attack_done.clone(), c.path().to_owned());
        std::thread::spawn(move || {
            let kinds = [
                Hijack::Garbage,
                Hijack::Text,
                Hijack::Oversized,
                Hijack::Replay,
            ];
            let mut i = 0;
            while !done.load(Ordering::Relaxed) || i < kinds.len() {
                *plan.lock().expect("plan") = kinds[i % kinds.len()];
                let _ = meridian(&dir, &["sync", "--once", "--timeout", "15s"]);
                i += 1;
            }
        })
    };

    // Meanwhile A keeps editing and B keeps receiving.
    let mut during = Vec::new();
    let attack_start = Instant::now();
    while attack_start.elapsed() < ATTACK || during.len() < 3 {
        let body = format!("edit {} under attack", during.len());
        during.push(honest_edit(a.path(), b.path(), &id, &body));
    }
    attacker.join().expect("the attack ran");
    member.join().expect("the member's attack ran");
    assert!(attack_done.load(Ordering::Relaxed));
    attacking.store(false, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let peak = rss_peak.load(Ordering::Relaxed);
    let after_edit = honest_edit(a.path(), b.path(), &id, "after the attack");
    let rss_after = rss_kib(pid);
    // Only A wrote: the replayed pushes stored nothing again (and broke no batch).
    let entries_after = entries_by_device(relay_dir.path());
    let grew: Vec<_> = entries_after
        .iter()
        .filter(|(device, n)| entries_before.get(*device).is_none_or(|b| *n > b))
        .collect();
    assert!(
        grew.len() <= 1,
        "envelopes of more than one device were stored during the attack: {grew:?}"
    );

    let summary = tally.summary();
    eprintln!(
        "relay RSS {rss_before} KiB before, {peak} KiB peak during, {rss_after} KiB after; \
         honest edit {calm:?} calm, {during:?} during, {after_edit:?} after"
    );
    for (kind, n, slowest) in &summary {
        eprintln!("{kind}: {n} cut, slowest after {slowest:?}");
    }
    for (kind, _, text) in tally.kinds.lock().expect("tally").iter() {
        if !kind.starts_with("burst") && !kind.starts_with("idle") {
            eprintln!("  {kind}: {}", text.chars().take(160).collect::<String>());
        }
    }
    eprintln!(
        "burst: {} answered 503; whole test {:?}",
        tally.refused_503.load(Ordering::Relaxed),
        started.elapsed()
    );

    assert!(relay.is_running(), "the relay stays up");
    assert!(
        peak < RSS_BOUND_KIB,
        "relay RSS peaked at {peak} KiB (bound {RSS_BOUND_KIB})"
    );
    let open = tally.open.lock().expect("tally");
    assert!(
        open.is_empty(),
        "offenders still connected after {CUT_WITHIN:?}: {open:?}"
    );
    for kind in [
        "member: random frame",
        "member: text frame",
        "member: announced 64 MiB",
        "member: replayed frames",
        "random frame",
        "malformed framing",
        "text frame",
        "announced 64 MiB",
        "2 MiB before login",
        "idle TCP",
        "idle WebSocket",
        "burst",
        "replayed session",
    ] {
        assert!(
            summary.iter().any(|(k, n, _)| *k == kind && *n > 0),
            "no {kind} attack completed: {summary:?}"
        );
    }
    // Each is told why, where the protocol lets the relay say so.
    assert!(tally.saw(
        "text frame",
        "text messages are not part of the sync protocol"
    ));
    assert!(tally.saw(
        "member: text frame",
        "text messages are not part of the sync protocol"
    ));
    assert!(tally.saw("member: announced 64 MiB", "larger than the relay accepts"));
    assert!(tally.saw("announced 64 MiB", "larger than the relay accepts"));
    assert!(tally.saw("2 MiB before login", "before logging in"));
    assert!(tally.saw("idle WebSocket", "handshake did not finish"));
    assert!(tally.saw("burst", "this address already has 16 connections"));
    assert!(
        tally.refused_503.load(Ordering::Relaxed) >= 2 * PER_IP as u64,
        "the burst's surplus is refused"
    );
}
