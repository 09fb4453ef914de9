//! The relay's connection state machine fed arbitrary frame sequences: the real core
//! (store, sessions, fan-out, sweep) through `meridian_relay::fuzzing`, with up to three
//! connections whose devices are real clients (`Session::initiator`) when the input
//! wants them to be. The input is a script: connect, say `Hello`, pass on what the
//! client session answers, inject frames decoded from the input or built from its fields
//! (sealed envelopes, acks, verdicts, membership ops, join requests), tick, disconnect.
//!
//! What must hold: the core never panics, every frame it sends decodes, and nothing is
//! sent on a connection after it was closed.

use meridian_relay::Limits;
use meridian_relay::fuzzing::{Harness, Sent};
use meridian_sync::envelope::{CheckpointPart, Header, Kind};
use meridian_sync::{
    CheckpointId, Ctx, DocumentId, Envelope, Frame, JoinRequest, MemLog, MembershipLog, Op,
    PeerKind, Role, Session, Verdict, VersionVector,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::Input;
use crate::fixtures::{AT_MS, fixture};

/// The clients' clock: after every op of the fixture.
const CLIENT_NOW_MS: i64 = AT_MS + 3_600_000;
/// Script steps per input.
const MAX_STEPS: usize = 48;

struct Client {
    open: bool,
    device: usize,
    session: Option<Session>,
    log: MemLog,
    membership: MembershipLog,
    /// What the client session wants to send, not yet passed on.
    pending: Vec<Frame>,
    seq: u64,
}

impl Client {
    fn new() -> Client {
        Client {
            open: false,
            device: 0,
            session: None,
            log: MemLog::new([0; 16]),
            membership: fixture().log.clone(),
            pending: Vec::new(),
            seq: 0,
        }
    }

    /// Hands a frame from the relay to the client session, if there is one.
    fn receive(&mut self, frame: Frame) {
        let fx = fixture();
        let Some(session) = &mut self.session else {
            return;
        };
        let mut ctx = Ctx {
            log: &mut self.log,
            membership: &mut self.membership,
            identity: Some(&fx.devices[self.device]),
            now_ms: CLIENT_NOW_MS,
        };
        let Ok(step) = session.on_frame(frame, &mut ctx);
        self.pending.extend(step.send);
    }
}

fn limits(input: &mut Input<'_>) -> Limits {
    Limits {
        // Small enough that the quota and the join limit are reached.
        quota_bytes: 1024 + input.u64() * 256,
        max_pending_joins: 2,
        // Sweep on every tick.
        sweep_interval: std::time::Duration::ZERO,
        sweep_delay: std::time::Duration::ZERO,
        ..Limits::default()
    }
}

fn envelope(input: &mut Input<'_>, device: usize, seq: u64, rng: &mut StdRng) -> Envelope {
    let fx = fixture();
    let author = &fx.devices[device];
    let doc = DocumentId([input.byte() % 4; 16]);
    let kind = if input.one_in(3) {
        let mut covers = VersionVector::new();
        for _ in 0..=input.byte() % 3 {
            covers.set(fx.devices[usize::from(input.byte() % 3)].id(), input.u64());
        }
        let parts = u32::from(input.byte() % 3) + 1;
        let part = u32::from(input.byte()) % parts;
        Kind::Checkpoint(CheckpointPart {
            covers,
            part,
            parts,
        })
    } else {
        Kind::Changes {
            doc_seq: input.u64().max(1),
        }
    };
    let epoch = u64::from(input.byte() % 3);
    let header = Header::new(doc, epoch, author.id(), seq.max(1), kind, CLIENT_NOW_MS);
    let body = input.bytes(512).to_vec();
    match Envelope::seal(&fx.workspace, header, &body, author, &fx.epoch_key, rng) {
        Ok(env) => env,
        Err(_) => {
            // A header the format refuses (a checkpoint part past its sequence number):
            // fall back to plain changes so the step still sends something.
            let header = Header::changes(doc, 1, author.id(), seq.max(1), 1, CLIENT_NOW_MS);
            Envelope::seal(&fx.workspace, header, &body, author, &fx.epoch_key, rng)
                .expect("a plain header seals")
        }
    }
}

/// `MERIDIAN_FUZZ_TRACE=1` prints what the relay sent after each step (to see what a
/// script reaches).
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("MERIDIAN_FUZZ_TRACE").is_some())
}

/// Runs one script against a fresh relay.
pub fn relay_conn(data: &[u8]) {
    let fx = fixture();
    let mut input = Input::new(data);
    let mut rng = StdRng::seed_from_u64(u64::from(input.byte()));
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .expect("a temporary folder");
    let mut relay = Harness::open_blocking(&dir.path().join("relay.sqlite3"), limits(&mut input))
        .expect("a relay store opens");

    // The workspace exists before the script starts, registered the way a device does it.
    relay.connect(0);
    relay.frame(0, Frame::Register { ops: fx.ops() });
    let sent = relay.flush().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        sent.iter()
            .any(|(_, s)| matches!(s, Sent::Frame(Frame::Registered { .. }))),
        "the fixture's workspace registers: {sent:?}"
    );
    relay.disconnect(0);

    let mut clients: Vec<Client> = (0..3).map(|_| Client::new()).collect();
    for _ in 0..MAX_STEPS {
        if input.is_empty() {
            break;
        }
        let action = input.byte();
        let c = usize::from(input.byte() % 3);
        let conn = c as u64 + 1;
        match action % 12 {
            0 => {
                relay.connect(conn);
                clients[c] = Client::new();
                clients[c].open = true;
            }
            1 => {
                let client = &mut clients[c];
                client.device = usize::from(input.byte() % 3);
                let mut nonce = [0u8; 32];
                nonce[0] = input.byte();
                let log = [input.byte() % 2; 16];
                client.log = MemLog::new(log);
                let (session, hello) = Session::initiator(
                    fx.workspace,
                    fx.devices[client.device].id(),
                    PeerKind::Relay,
                    nonce,
                    log,
                    CLIENT_NOW_MS,
                );
                client.session = Some(session);
                relay.frame(conn, hello);
            }
            2 | 3 => {
                // Pass on what the client session said (the normal flow).
                for frame in std::mem::take(&mut clients[c].pending) {
                    relay.frame(conn, frame);
                }
            }
            4 => {
                if let Ok(frame) = Frame::decode(input.bytes(8192)) {
                    relay.frame(conn, frame);
                }
            }
            5 => {
                let client = &mut clients[c];
                let mut entries = Vec::new();
                let mut pos = input.u64();
                for _ in 0..=input.byte() % 3 {
                    client.seq += 1;
                    let seq = if input.one_in(8) {
                        input.u64()
                    } else {
                        client.seq
                    };
                    let device = if input.one_in(8) {
                        usize::from(input.byte() % 3)
                    } else {
                        client.device
                    };
                    pos += 1 + input.u64() % 4;
                    entries.push((pos, envelope(&mut input, device, seq, &mut rng)));
                }
                let upto = pos + input.u64() % 3;
                let frame = if input.one_in(4) {
                    Frame::Deliver { entries, upto }
                } else {
                    Frame::Push { entries, upto }
                };
                relay.frame(conn, frame);
            }
            6 => relay.tick(),
            7 => {
                relay.disconnect(conn);
                clients[c].open = false;
            }
            8 => {
                let request = if input.one_in(2) {
                    fx.join.encode()
                } else {
                    let device = &fx.devices[usize::from(input.byte() % 3)];
                    let name = String::from_utf8_lossy(input.bytes(300)).into_owned();
                    JoinRequest::new(&fx.invite, device, &name, "UTC").encode()
                };
                relay.frame(conn, Frame::Join { request });
            }
            9 => {
                let frame = match input.byte() % 5 {
                    0 => Frame::Ack {
                        upto: input.u64(),
                        skip_to: (input.one_in(2)).then(|| input.u64()),
                    },
                    1 => Frame::Want {
                        cursor: input.u64(),
                        membership_len: input.u64(),
                    },
                    2 => Frame::Verdicts {
                        verdicts: (0..input.byte() % 4)
                            .map(|_| Verdict {
                                doc: DocumentId([input.byte() % 4; 16]),
                                checkpoint: CheckpointId {
                                    author: fx.devices[usize::from(input.byte() % 3)].id(),
                                    seq: input.u64(),
                                },
                                ok: input.one_in(2),
                            })
                            .collect(),
                    },
                    3 => Frame::Bye,
                    _ => Frame::Register { ops: fx.ops() },
                };
                relay.frame(conn, frame);
            }
            10 => {
                // An admin's membership change, made on the client's copy of the log.
                let client = &mut clients[c];
                let start = client.membership.len();
                let admin = &fx.devices[0];
                let target = fx.devices[usize::from(input.byte() % 3)].id();
                let made = match input.byte() % 3 {
                    0 => {
                        let key = meridian_sync::EpochKey::generate(&mut rng);
                        client
                            .membership
                            .remove_device_and_rotate(admin, target, &key, CLIENT_NOW_MS, &mut rng)
                            .map(Vec::from)
                    }
                    1 => client
                        .membership
                        .append(
                            admin,
                            Op::ChangeRole {
                                device: target,
                                role: Role::Viewer,
                            },
                            CLIENT_NOW_MS,
                        )
                        .map(|op| vec![op]),
                    _ => client
                        .membership
                        .append(
                            &fx.devices[usize::from(input.byte() % 3)],
                            Op::RemoveDevice { device: target },
                            CLIENT_NOW_MS,
                        )
                        .map(|op| vec![op]),
                };
                if let Ok(ops) = made {
                    let start = if input.one_in(8) { input.u64() } else { start };
                    relay.frame(conn, Frame::Membership { start, ops });
                }
            }
            _ => {
                // A client frame altered on the way: one byte of its encoding changed.
                if let Some(frame) = clients[c].pending.first() {
                    let mut bytes = frame.encode();
                    let at = usize::from(input.byte()) % bytes.len();
                    bytes[at] ^= input.byte() | 1;
                    if let Ok(frame) = Frame::decode(&bytes) {
                        clients[c].pending.remove(0);
                        relay.frame(conn, frame);
                    }
                }
            }
        }
        let sent = relay.flush().unwrap_or_else(|e| panic!("{e}"));
        if trace() {
            eprintln!("step {}: {sent:?}", action % 12);
        }
        let mut closed = [false; 3];
        for (conn, s) in sent {
            let Some(i) = conn.checked_sub(1).map(|i| i as usize).filter(|i| *i < 3) else {
                continue;
            };
            assert!(
                !closed[i],
                "the relay sent on connection {conn} after closing it"
            );
            match s {
                Sent::Frame(frame) => clients[i].receive(frame),
                Sent::Close => {
                    closed[i] = true;
                    clients[i].open = false;
                }
            }
        }
    }
    relay.shutdown_blocking().expect("the relay stops cleanly");
}
