//! The session state machine between a client and a relay, and between LAN peers.

use std::collections::VecDeque;

use meridian_sync::protocol::{HANDSHAKE_TIMEOUT_MS, MAX_HELD_ENVELOPES, RESYNC_AFTER_MS};
use meridian_sync::wire::{MAX_ERROR_MESSAGE_BYTES, MAX_FRAME_BYTES, PROTOCOL_VERSION};
use meridian_sync::{
    Closed, Ctx, DeviceKeys, DocumentId, Envelope, EnvelopeLog, EpochKey, ErrorCode, Frame, Header,
    Kind, MemLog, MembershipLog, PeerKind, Session, Step, WireError, WorkspaceId,
};
use rand::RngCore;
use rand::rngs::StdRng;

use crate::support::{T0, Team, team};

/// One party: its durable state and, for devices, its keys.
struct Party {
    keys: Option<DeviceKeys>,
    log: MemLog,
    membership: MembershipLog,
}

impl Party {
    fn device(keys: &DeviceKeys, membership: &MembershipLog) -> Party {
        Party {
            keys: Some(keys.clone()),
            log: MemLog::new(),
            membership: membership.clone(),
        }
    }

    fn relay(membership: &MembershipLog) -> Party {
        Party {
            keys: None,
            log: MemLog::new(),
            membership: membership.clone(),
        }
    }

    fn call(&mut self, now_ms: i64, f: impl FnOnce(&mut Ctx<'_, MemLog>) -> Step) -> Step {
        let mut ctx = Ctx {
            log: &mut self.log,
            membership: &mut self.membership,
            identity: self.keys.as_ref(),
            now_ms,
        };
        f(&mut ctx)
    }

    /// Seals and stores `n` envelopes of this device's next sequence numbers.
    fn write(
        &mut self,
        ws: WorkspaceId,
        key: &EpochKey,
        n: u64,
        rng: &mut StdRng,
    ) -> Vec<Envelope> {
        let keys = self.keys.clone().expect("a device");
        (0..n)
            .map(|_| {
                let seq = self.log.vector().get(&keys.id()) + 1;
                let header = Header::new(
                    ws,
                    DocumentId([1; 16]),
                    1,
                    keys.id(),
                    seq,
                    Kind::Changes,
                    T0,
                );
                let env =
                    Envelope::seal(header, &seq.to_be_bytes(), &keys, key, rng).expect("seal");
                self.log.append(&env).expect("contiguous");
                env
            })
            .collect()
    }
}

/// A connection between two parties' sessions; `a` initiated it.
struct Link {
    sa: Session,
    sb: Session,
    queue: VecDeque<(bool, Frame)>,
    closed_a: Option<Closed>,
    closed_b: Option<Closed>,
    accepted_a: Vec<Envelope>,
    accepted_b: Vec<Envelope>,
}

fn nonce(rng: &mut StdRng) -> [u8; 32] {
    let mut n = [0u8; 32];
    rng.fill_bytes(&mut n);
    n
}

impl Link {
    fn open(ws: WorkspaceId, a: &Party, expect: PeerKind, rng: &mut StdRng) -> Link {
        let id = a.keys.as_ref().expect("initiators are devices").id();
        let (sa, hello) = Session::initiator(ws, id, expect, nonce(rng), T0);
        let sb = Session::responder(ws, nonce(rng), T0);
        let mut queue = VecDeque::new();
        queue.push_back((true, hello));
        Link {
            sa,
            sb,
            queue,
            closed_a: None,
            closed_b: None,
            accepted_a: Vec::new(),
            accepted_b: Vec::new(),
        }
    }

    fn absorb(&mut self, to_b_side: bool, step: Step) {
        let (closed, accepted) = if to_b_side {
            (&mut self.closed_b, &mut self.accepted_b)
        } else {
            (&mut self.closed_a, &mut self.accepted_a)
        };
        accepted.extend(step.accepted);
        if step.closed.is_some() {
            *closed = step.closed;
        }
        for frame in step.send {
            // Encode and decode, as a transport would.
            let frame = Frame::decode(&frame.encode()).expect("round trip");
            self.queue.push_back((!to_b_side, frame));
        }
    }

    /// Delivers frames in order until none is left.
    fn run(&mut self, a: &mut Party, b: &mut Party, now_ms: i64) {
        while let Some((to_b, frame)) = self.queue.pop_front() {
            let step = if to_b {
                b.call(now_ms, |ctx| self.sb.on_frame(frame, ctx).expect("mem log"))
            } else {
                a.call(now_ms, |ctx| self.sa.on_frame(frame, ctx).expect("mem log"))
            };
            self.absorb(to_b, step);
        }
    }

    /// Hands `frame` to `b`'s session alone, dropping whatever it answers.
    fn feed_b(&mut self, frame: Frame, b: &mut Party, now_ms: i64) {
        let step = b.call(now_ms, |ctx| self.sb.on_frame(frame, ctx).expect("mem log"));
        self.accepted_b.extend(step.accepted);
        if step.closed.is_some() {
            self.closed_b = step.closed;
        }
    }

    fn local_change(&mut self, side_b: bool, party: &mut Party, now_ms: i64) {
        let step = if side_b {
            party.call(now_ms, |ctx| self.sb.on_local_change(ctx).expect("mem log"))
        } else {
            party.call(now_ms, |ctx| self.sa.on_local_change(ctx).expect("mem log"))
        };
        self.absorb(side_b, step);
    }
}

fn refused_code(closed: &Option<Closed>) -> Option<ErrorCode> {
    match closed {
        Some(Closed::Refused { code, .. } | Closed::ByPeer { code, .. }) => Some(*code),
        _ => None,
    }
}

#[test]
fn two_clients_sync_through_a_relay_that_cannot_read() {
    let mut t = team(51);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut editor = Party::device(&t.editor, &t.log);
    let mut relay = Party::relay(&t.log);
    admin.write(t.ws, &t.key, 3, &mut t.rng);
    editor.write(t.ws, &t.key, 2, &mut t.rng);

    let mut l1 = Link::open(t.ws, &admin, PeerKind::Relay, &mut t.rng);
    l1.run(&mut admin, &mut relay, T0);
    assert!(l1.sa.is_ready() && l1.sb.is_ready());
    assert_eq!(l1.sb.peer(), Some(t.admin.id()));
    assert_eq!(l1.accepted_b.len(), 3);
    assert!(l1.sa.is_synced(&admin.log));
    assert_eq!(l1.sa.pending(&admin.log), 0);

    // The editor connects; the relay passes its envelopes on to the admin's session.
    let mut l2 = Link::open(t.ws, &editor, PeerKind::Relay, &mut t.rng);
    l2.run(&mut editor, &mut relay, T0);
    assert_eq!(
        l2.accepted_a.len(),
        3,
        "the editor got the admin's envelopes"
    );
    assert_eq!(l2.accepted_b.len(), 2, "the relay got the editor's");
    // The relay owner tells the admin's session that its log grew.
    l1.local_change(true, &mut relay, T0);
    l1.run(&mut admin, &mut relay, T0);
    assert_eq!(l1.accepted_a.len(), 2);
    assert_eq!(admin.log.vector(), relay.log.vector());
    assert_eq!(editor.log.vector(), relay.log.vector());
    assert!(l1.sa.is_synced(&admin.log) && l2.sa.is_synced(&editor.log));
    for env in &l1.accepted_a {
        assert!(
            env.open(&t.ws, &t.key).is_ok(),
            "the admin reads the editor's writing"
        );
    }
}

#[test]
fn pending_counts_what_the_peer_has_not_acknowledged() {
    let mut t = team(52);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, PeerKind::Relay, &mut t.rng);
    link.run(&mut admin, &mut relay, T0);
    admin.write(t.ws, &t.key, 4, &mut t.rng);
    assert_eq!(link.sa.pending(&admin.log), 4);
    link.local_change(false, &mut admin, T0);
    // Sent but not yet acknowledged: still pending.
    assert_eq!(link.sa.pending(&admin.log), 4);
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(link.sa.pending(&admin.log), 0);
    assert!(link.sa.is_synced(&admin.log));
}

#[test]
fn a_stranger_is_refused_with_a_clear_message() {
    let mut t = team(53);
    let stranger = DeviceKeys::generate(&mut t.rng);
    let mut s = Party::device(&stranger, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &s, PeerKind::Relay, &mut t.rng);
    link.run(&mut s, &mut relay, T0);
    assert_eq!(refused_code(&link.closed_b), Some(ErrorCode::NotAMember));
    let Some(Closed::ByPeer { message, .. }) = &link.closed_a else {
        panic!("client told why: {:?}", link.closed_a)
    };
    assert!(message.contains("invite"), "{message}");
}

#[test]
fn a_removed_device_is_cut_off_at_once_and_refused_afterwards() {
    let mut t = team(54);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut editor = Party::device(&t.editor, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut le = Link::open(t.ws, &editor, PeerKind::Relay, &mut t.rng);
    le.run(&mut editor, &mut relay, T0);
    assert!(le.sb.is_ready());
    let mut la = Link::open(t.ws, &admin, PeerKind::Relay, &mut t.rng);
    la.run(&mut admin, &mut relay, T0);

    let key = EpochKey::generate(&mut t.rng);
    admin
        .membership
        .remove_device_and_rotate(&t.admin, t.editor.id(), &key, T0, &mut t.rng)
        .expect("remove");
    la.local_change(false, &mut admin, T0);
    la.run(&mut admin, &mut relay, T0);
    assert_eq!(
        relay.membership.len(),
        admin.membership.len(),
        "the relay applied the removal"
    );
    // The relay owner tells its other sessions; the editor's is closed.
    le.local_change(true, &mut relay, T0);
    le.run(&mut editor, &mut relay, T0);
    assert_eq!(refused_code(&le.closed_b), Some(ErrorCode::Removed));
    assert!(le.sb.is_closed());

    let mut again = Link::open(t.ws, &editor, PeerKind::Relay, &mut t.rng);
    again.run(&mut editor, &mut relay, T0);
    let Some(Closed::ByPeer { code, message }) = &again.closed_a else {
        panic!("{:?}", again.closed_a)
    };
    assert_eq!(*code, ErrorCode::Removed);
    assert!(message.contains("was removed"), "{message}");
}

#[test]
fn lan_peers_must_prove_their_device_key() {
    let mut t = team(55);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut editor = Party::device(&t.editor, &t.log);
    let mut link = Link::open(t.ws, &admin, PeerKind::Device, &mut t.rng);
    link.run(&mut admin, &mut editor, T0);
    assert_eq!(link.sa.peer(), Some(t.editor.id()));
    assert_eq!(link.sb.peer(), Some(t.admin.id()));

    // Something without a member key (here a relay) answering a LAN connection is refused.
    let mut impostor = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, PeerKind::Device, &mut t.rng);
    link.run(&mut admin, &mut impostor, T0);
    assert_eq!(refused_code(&link.closed_a), Some(ErrorCode::BadSignature));
    assert!(!link.sa.is_ready());
}

#[test]
fn a_forged_envelope_closes_the_session() {
    let mut t = team(56);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, PeerKind::Relay, &mut t.rng);
    link.run(&mut admin, &mut relay, T0);
    let env = admin.write(t.ws, &t.key, 1, &mut t.rng).remove(0);
    let mut bytes = env.encode();
    let at = bytes.len() - 65;
    bytes[at] ^= 1;
    let forged = Envelope::decode(&bytes).expect("well-formed");
    link.queue.push_back((
        true,
        Frame::Push {
            envelopes: vec![forged],
        },
    ));
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(refused_code(&link.closed_b), Some(ErrorCode::BadSignature));
    assert!(relay.log.vector().is_empty(), "nothing stored");
}

fn ready_pair(t: &mut Team) -> (Party, Party, Link) {
    let mut admin = Party::device(&t.admin, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, PeerKind::Relay, &mut t.rng);
    link.run(&mut admin, &mut relay, T0);
    (admin, relay, link)
}

#[test]
fn out_of_order_envelopes_wait_for_the_gap_and_duplicates_are_ignored() {
    let mut t = team(57);
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    let envs = admin.write(t.ws, &t.key, 3, &mut t.rng);
    let push = |e: &[Envelope]| Frame::Push {
        envelopes: e.to_vec(),
    };
    link.feed_b(push(&envs[1..3]), &mut relay, T0);
    assert!(link.accepted_b.is_empty(), "held until seq 1 arrives");
    link.feed_b(push(&envs[0..1]), &mut relay, T0);
    let seqs: Vec<u64> = link.accepted_b.iter().map(|e| e.header().seq).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    link.feed_b(push(&envs[1..2]), &mut relay, T0);
    assert_eq!(link.accepted_b.len(), 3, "a duplicate is ignored");
    assert_eq!(relay.log.vector().get(&t.admin.id()), 3);
}

#[test]
fn the_hold_buffer_is_bounded() {
    let mut t = team(58);
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    let extra = 6;
    let envs = admin.write(
        t.ws,
        &t.key,
        MAX_HELD_ENVELOPES as u64 + 1 + extra,
        &mut t.rng,
    );
    for chunk in envs[1..].chunks(200) {
        link.feed_b(
            Frame::Push {
                envelopes: chunk.to_vec(),
            },
            &mut relay,
            T0,
        );
    }
    assert!(link.accepted_b.is_empty());
    link.feed_b(
        Frame::Push {
            envelopes: vec![envs[0].clone()],
        },
        &mut relay,
        T0,
    );
    // Seq 1 plus the held ones; the overflow was dropped and is fetched later.
    assert_eq!(
        relay.log.vector().get(&t.admin.id()),
        MAX_HELD_ENVELOPES as u64 + 1
    );
    let total = envs.len() as u64;
    for round in 1..10 {
        let now = T0 + round * RESYNC_AFTER_MS;
        let step = relay.call(now, |ctx| link.sb.on_tick(ctx).expect("tick"));
        link.absorb(true, step);
        link.run(&mut admin, &mut relay, now);
    }
    assert_eq!(relay.log.vector().get(&t.admin.id()), total);
}

#[test]
fn a_lost_batch_is_sent_again_after_a_quiet_period() {
    let mut t = team(59);
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    admin.write(t.ws, &t.key, 2, &mut t.rng);
    link.local_change(false, &mut admin, T0);
    assert!(
        matches!(link.queue.pop_front(), Some((true, Frame::Push { .. }))),
        "lost on the way"
    );
    link.local_change(false, &mut admin, T0);
    assert!(link.queue.is_empty(), "one unacknowledged batch at a time");
    let early = admin.call(T0 + 1, |ctx| link.sa.on_tick(ctx).expect("tick"));
    assert!(early.send.is_empty(), "not yet");
    let late = T0 + RESYNC_AFTER_MS;
    let step = admin.call(late, |ctx| link.sa.on_tick(ctx).expect("tick"));
    link.absorb(false, step);
    link.run(&mut admin, &mut relay, late);
    assert_eq!(relay.log.vector(), admin.log.vector());
    assert!(link.sa.is_synced(&admin.log));
}

#[test]
fn a_stuck_handshake_times_out() {
    let mut t = team(60);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut link = Link::open(t.ws, &admin, PeerKind::Relay, &mut t.rng);
    link.queue.clear();
    let step = admin.call(T0 + HANDSHAKE_TIMEOUT_MS, |ctx| {
        link.sa.on_tick(ctx).expect("tick")
    });
    assert!(matches!(
        step.closed,
        Some(Closed::Refused {
            code: ErrorCode::Timeout,
            ..
        })
    ));
    assert!(link.sa.is_closed());
}

#[test]
fn frames_out_of_turn_or_for_another_workspace_are_refused() {
    let mut t = team(61);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, PeerKind::Relay, &mut t.rng);
    link.queue.clear();
    link.queue.push_back((
        true,
        Frame::Ack {
            vector: Default::default(),
        },
    ));
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(refused_code(&link.closed_b), Some(ErrorCode::Unexpected));

    let mut link = Link::open(WorkspaceId([0xaa; 16]), &admin, PeerKind::Relay, &mut t.rng);
    link.sb = Session::responder(t.ws, [0; 32], T0);
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(
        refused_code(&link.closed_b),
        Some(ErrorCode::WrongWorkspace)
    );
}

#[test]
fn concurrent_admin_changes_are_refused_as_a_conflict() {
    let mut t = team(62);
    let keys = t.log.state().epoch_keys_for(&t.admin).expect("keys");
    let second = DeviceKeys::generate(&mut t.rng);
    t.log
        .add_device(
            &t.admin,
            second.public(),
            "Bo",
            meridian_sync::Role::Admin,
            &keys,
            T0,
            &mut t.rng,
        )
        .expect("add");
    let mut a1 = Party::device(&t.admin, &t.log);
    let mut a2 = Party::device(&second, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut l1 = Link::open(t.ws, &a1, PeerKind::Relay, &mut t.rng);
    l1.run(&mut a1, &mut relay, T0);
    let mut l2 = Link::open(t.ws, &a2, PeerKind::Relay, &mut t.rng);
    l2.run(&mut a2, &mut relay, T0);
    let op = |id: u8| meridian_sync::Op::ChangeRole {
        device: t.viewer.id(),
        role: if id == 1 {
            meridian_sync::Role::Editor
        } else {
            meridian_sync::Role::Admin
        },
    };
    a1.membership
        .append(&t.admin, op(1), T0)
        .expect("first change");
    a2.membership
        .append(&second, op(2), T0)
        .expect("concurrent change");
    l1.local_change(false, &mut a1, T0);
    l1.run(&mut a1, &mut relay, T0);
    l2.local_change(false, &mut a2, T0);
    l2.run(&mut a2, &mut relay, T0);
    assert_eq!(
        relay.membership.head(),
        a1.membership.head(),
        "the first one wins"
    );
    assert_eq!(
        refused_code(&l2.closed_b),
        Some(ErrorCode::MembershipConflict)
    );
    let Some(Closed::ByPeer { message, .. }) = &l2.closed_a else {
        panic!("{:?}", l2.closed_a)
    };
    assert!(message.contains("re-create"), "{message}");
}

#[test]
fn frame_limits_are_checked_before_decoding() {
    let huge = vec![PROTOCOL_VERSION; MAX_FRAME_BYTES + 1];
    assert_eq!(
        Frame::decode(&huge),
        Err(WireError::TooLarge {
            size: MAX_FRAME_BYTES + 1
        })
    );
    assert_eq!(Frame::decode(&[]), Err(WireError::Empty));
    let mut newer = Frame::Bye.encode();
    newer[0] = PROTOCOL_VERSION + 1;
    let err = Frame::decode(&newer).expect_err("newer protocol");
    assert_eq!(
        err,
        WireError::UnsupportedVersion {
            got: PROTOCOL_VERSION + 1
        }
    );
    assert_eq!(err.code(), ErrorCode::UnsupportedProtocol);
    assert_eq!(Frame::decode(&Frame::Bye.encode()), Ok(Frame::Bye));
    let Frame::Error { message, .. } = Frame::error(ErrorCode::Internal, "é".repeat(2000)) else {
        panic!()
    };
    assert!(message.len() <= MAX_ERROR_MESSAGE_BYTES);
}
