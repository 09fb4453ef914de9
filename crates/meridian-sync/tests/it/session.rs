//! The session state machine between a client and a relay, and between LAN peers.

use std::collections::{BTreeSet, VecDeque};

use meridian_sync::protocol::{HANDSHAKE_TIMEOUT_MS, RESYNC_AFTER_MS};
use meridian_sync::wire::{
    MAX_BATCH_BYTES, MAX_ERROR_MESSAGE_BYTES, MAX_FRAME_BYTES, PROTOCOL_VERSION,
};
use meridian_sync::{
    Closed, Ctx, DeviceId, DeviceKeys, DocumentId, Envelope, EnvelopeLog, EpochKey, ErrorCode,
    Frame, Header, MemLog, MembershipLog, Peer, PeerKind, Session, Step, WireError, WorkspaceId,
};
use rand::RngCore;
use rand::rngs::StdRng;

use crate::support::{T0, Team, team};

pub const DOC: DocumentId = DocumentId([1; 16]);

/// One party: its durable state and, for devices, its keys.
pub struct Party {
    pub keys: Option<DeviceKeys>,
    pub log: MemLog,
    pub membership: MembershipLog,
    pub seq: u64,
    pub doc_seq: u64,
}

impl Party {
    pub fn device(keys: &DeviceKeys, membership: &MembershipLog) -> Party {
        Party {
            keys: Some(keys.clone()),
            log: MemLog::new(keys.id().0[..16].try_into().expect("16 bytes")),
            membership: membership.clone(),
            seq: 0,
            doc_seq: 0,
        }
    }

    pub fn relay(membership: &MembershipLog) -> Party {
        Party {
            keys: None,
            log: MemLog::new([0xee; 16]),
            membership: membership.clone(),
            seq: 0,
            doc_seq: 0,
        }
    }

    pub fn call(&mut self, now_ms: i64, f: impl FnOnce(&mut Ctx<'_, MemLog>) -> Step) -> Step {
        let mut ctx = Ctx {
            log: &mut self.log,
            membership: &mut self.membership,
            identity: self.keys.as_ref(),
            now_ms,
        };
        f(&mut ctx)
    }

    /// Seals `body` as this device's next `Changes` envelope of [`DOC`] and stores it.
    pub fn write_body(
        &mut self,
        ws: WorkspaceId,
        key: &EpochKey,
        body: &[u8],
        rng: &mut StdRng,
    ) -> Envelope {
        let keys = self.keys.clone().expect("a device");
        self.seq += 1;
        self.doc_seq += 1;
        let epoch = self.membership.state().epoch();
        let header = Header::changes(DOC, epoch, keys.id(), self.seq, self.doc_seq, T0);
        let env = Envelope::seal(&ws, header, body, &keys, key, rng).expect("seal");
        self.log
            .append(&env, &Peer::Device(keys.id()))
            .expect("mem log");
        env
    }

    /// Seals and stores `n` envelopes of this device's next sequence numbers.
    pub fn write(
        &mut self,
        ws: WorkspaceId,
        key: &EpochKey,
        n: u64,
        rng: &mut StdRng,
    ) -> Vec<Envelope> {
        (0..n)
            .map(|_| {
                let body = (self.seq + 1).to_be_bytes();
                self.write_body(ws, key, &body, rng)
            })
            .collect()
    }

    /// The envelopes held, by identity.
    pub fn held(&self) -> BTreeSet<(DeviceId, u64)> {
        self.log.iter().map(Envelope::key).collect()
    }
}

/// A connection between two parties' sessions; `a` initiated it. Frames travel in order,
/// as over one TCP or WebSocket connection.
pub struct Link {
    pub sa: Session,
    pub sb: Session,
    pub queue: VecDeque<(bool, Frame)>,
    pub closed_a: Option<Closed>,
    pub closed_b: Option<Closed>,
    pub accepted_a: Vec<Envelope>,
    pub accepted_b: Vec<Envelope>,
    pub covered_a: Vec<Envelope>,
    pub covered_b: Vec<Envelope>,
    /// Envelopes sent in `Push` (towards b) and `Deliver` (towards a) frames.
    pub sent_to_b: usize,
    pub sent_to_a: usize,
}

pub fn nonce(rng: &mut StdRng) -> [u8; 32] {
    let mut n = [0u8; 32];
    rng.fill_bytes(&mut n);
    n
}

impl Link {
    pub fn open(ws: WorkspaceId, a: &Party, b: &Party, expect: PeerKind, rng: &mut StdRng) -> Link {
        let id = a.keys.as_ref().expect("initiators are devices").id();
        let (sa, hello) = Session::initiator(ws, id, expect, nonce(rng), a.log.id(), T0);
        let sb = Session::responder(ws, nonce(rng), b.log.id(), T0);
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
            covered_a: Vec::new(),
            covered_b: Vec::new(),
            sent_to_b: 0,
            sent_to_a: 0,
        }
    }

    pub fn absorb(&mut self, to_b_side: bool, step: Step) {
        let (closed, accepted, covered) = if to_b_side {
            (
                &mut self.closed_b,
                &mut self.accepted_b,
                &mut self.covered_b,
            )
        } else {
            (
                &mut self.closed_a,
                &mut self.accepted_a,
                &mut self.covered_a,
            )
        };
        accepted.extend(step.accepted);
        covered.extend(step.covered);
        if step.closed.is_some() {
            *closed = step.closed;
        }
        for frame in step.send {
            // Encode and decode, as a transport would.
            let frame = Frame::decode(&frame.encode()).expect("round trip");
            if let Frame::Push { entries, .. } | Frame::Deliver { entries, .. } = &frame {
                if to_b_side {
                    self.sent_to_a += entries.len();
                } else {
                    self.sent_to_b += entries.len();
                }
            }
            self.queue.push_back((!to_b_side, frame));
        }
    }

    /// Delivers frames in order until none is left.
    pub fn run(&mut self, a: &mut Party, b: &mut Party, now_ms: i64) {
        while let Some((to_b, frame)) = self.queue.pop_front() {
            self.deliver(to_b, frame, a, b, now_ms);
        }
    }

    pub fn deliver(&mut self, to_b: bool, frame: Frame, a: &mut Party, b: &mut Party, now_ms: i64) {
        let step = if to_b {
            b.call(now_ms, |ctx| self.sb.on_frame(frame, ctx).expect("mem log"))
        } else {
            a.call(now_ms, |ctx| self.sa.on_frame(frame, ctx).expect("mem log"))
        };
        self.absorb(to_b, step);
    }

    /// Hands `frame` to `b`'s session alone, dropping whatever it answers.
    pub fn feed_b(&mut self, frame: Frame, b: &mut Party, now_ms: i64) -> Step {
        let step = b.call(now_ms, |ctx| self.sb.on_frame(frame, ctx).expect("mem log"));
        self.accepted_b.extend(step.accepted.iter().cloned());
        if step.closed.is_some() {
            self.closed_b = step.closed.clone();
        }
        step
    }

    pub fn local_change(&mut self, side_b: bool, party: &mut Party, now_ms: i64) {
        let step = if side_b {
            party.call(now_ms, |ctx| self.sb.on_local_change(ctx).expect("mem log"))
        } else {
            party.call(now_ms, |ctx| self.sa.on_local_change(ctx).expect("mem log"))
        };
        self.absorb(side_b, step);
    }
}

pub fn refused_code(closed: &Option<Closed>) -> Option<ErrorCode> {
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

    let mut l1 = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    l1.run(&mut admin, &mut relay, T0);
    assert!(l1.sa.is_ready() && l1.sb.is_ready());
    assert_eq!(l1.sb.peer(), Some(t.admin.id()));
    assert_eq!(l1.accepted_b.len(), 3);
    assert!(l1.sa.is_synced(&admin.log));
    assert!(l1.sb.is_synced(&relay.log));

    // The editor connects; the relay passes the admin's envelopes on.
    let mut l2 = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
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
    assert_eq!(admin.held(), relay.held());
    assert_eq!(editor.held(), relay.held());
    assert_eq!(relay.log.len(), 5);
    assert!(l1.sa.is_synced(&admin.log) && l2.sa.is_synced(&editor.log));
    // Nobody was sent its own envelopes back, nor anything twice.
    assert_eq!((l1.sent_to_b, l1.sent_to_a), (3, 2));
    assert_eq!((l2.sent_to_b, l2.sent_to_a), (2, 3));
    for env in &l1.accepted_a {
        assert!(
            env.open(&t.ws, &t.key).is_ok(),
            "the admin reads the editor's writing"
        );
    }
}

#[test]
fn sync_status_follows_what_the_peer_acknowledged() {
    let mut t = team(52);
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    assert!(link.sa.is_synced(&admin.log));
    admin.write(t.ws, &t.key, 4, &mut t.rng);
    assert!(!link.sa.is_synced(&admin.log), "written, not sent");
    link.local_change(false, &mut admin, T0);
    // Sent but not yet acknowledged.
    assert!(!link.sa.is_synced(&admin.log));
    assert_eq!(link.sa.their_ack(), 0);
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(link.sa.their_ack(), admin.log.head());
    assert!(link.sa.is_synced(&admin.log));
    // The relay stored only the admin's own envelopes: the admin may skip over them in
    // the relay's log rather than be sent nothing at those positions.
    assert_eq!(link.sa.received(), (relay.log.head(), relay.log.head()));
    assert!(link.sb.is_synced(&relay.log));
}

#[test]
fn a_stranger_is_refused_with_a_clear_message() {
    let mut t = team(53);
    let stranger = DeviceKeys::generate(&mut t.rng);
    let mut s = Party::device(&stranger, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &s, &relay, PeerKind::Relay, &mut t.rng);
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
    let mut le = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    le.run(&mut editor, &mut relay, T0);
    assert!(le.sb.is_ready());
    let mut la = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
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

    let mut again = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
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
    admin.write(t.ws, &t.key, 2, &mut t.rng);
    let mut link = Link::open(t.ws, &admin, &editor, PeerKind::Device, &mut t.rng);
    link.run(&mut admin, &mut editor, T0);
    assert_eq!(link.sa.peer(), Some(t.editor.id()));
    assert_eq!(link.sb.peer(), Some(t.admin.id()));
    assert_eq!(editor.held(), admin.held());

    // Something without a member key (here a relay) answering a LAN connection is refused.
    let mut impostor = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, &impostor, PeerKind::Device, &mut t.rng);
    link.run(&mut admin, &mut impostor, T0);
    assert_eq!(refused_code(&link.closed_a), Some(ErrorCode::BadSignature));
    assert!(!link.sa.is_ready());
    assert!(impostor.log.is_empty(), "nothing was pushed to it");
}

#[test]
fn a_forged_envelope_closes_the_session() {
    let mut t = team(56);
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    let env = admin.write(t.ws, &t.key, 1, &mut t.rng).remove(0);
    let mut bytes = env.encode();
    let at = bytes.len() - 65;
    bytes[at] ^= 1;
    let forged = Envelope::decode(&bytes).expect("well-formed");
    link.queue.push_back((
        true,
        Frame::Push {
            entries: vec![(1, forged)],
            upto: 1,
        },
    ));
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(refused_code(&link.closed_b), Some(ErrorCode::BadSignature));
    assert!(relay.log.is_empty(), "nothing stored");
}

pub fn ready_pair(t: &mut Team) -> (Party, Party, Link) {
    let mut admin = Party::device(&t.admin, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    link.run(&mut admin, &mut relay, T0);
    (admin, relay, link)
}

#[test]
fn envelopes_are_stored_in_any_order_and_duplicates_are_ignored() {
    let mut t = team(57);
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    let envs = admin.write(t.ws, &t.key, 3, &mut t.rng);
    // Positions in the sender's log increase; what they hold need not be in any order.
    let push = |entries: Vec<(u64, Envelope)>, upto| Frame::Push { entries, upto };
    link.feed_b(
        push(vec![(1, envs[2].clone()), (2, envs[0].clone())], 2),
        &mut relay,
        T0,
    );
    let seqs: Vec<u64> = link.accepted_b.iter().map(|e| e.header().seq).collect();
    assert_eq!(seqs, vec![3, 1], "nothing waits for a gap");
    // The same envelope at a later position, and a stale batch: neither is stored twice.
    link.feed_b(push(vec![(3, envs[0].clone())], 3), &mut relay, T0);
    link.feed_b(push(vec![(2, envs[1].clone())], 2), &mut relay, T0);
    assert_eq!(
        link.accepted_b.len(),
        2,
        "a duplicate and a stale batch are ignored"
    );
    let step = link.feed_b(push(vec![(4, envs[1].clone())], 4), &mut relay, T0);
    assert_eq!(link.accepted_b.len(), 3);
    assert_eq!(relay.log.len(), 3);
    assert!(
        matches!(step.send.last(), Some(Frame::Ack { upto: 4, .. })),
        "{:?}",
        step.send
    );
}

#[test]
fn a_reconnect_sends_only_what_was_stored_since() {
    let mut t = team(58);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut editor = Party::device(&t.editor, &t.log);
    let mut relay = Party::relay(&t.log);
    admin.write(t.ws, &t.key, 3, &mut t.rng);
    editor.write(t.ws, &t.key, 2, &mut t.rng);
    let mut la = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    la.run(&mut admin, &mut relay, T0);
    let mut le = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    le.run(&mut editor, &mut relay, T0);
    drop(la);
    // While the admin is away, both sides' logs grow.
    admin.write(t.ws, &t.key, 2, &mut t.rng);
    editor.write(t.ws, &t.key, 4, &mut t.rng);
    le.local_change(false, &mut editor, T0);
    le.run(&mut editor, &mut relay, T0);
    let mut again = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    again.run(&mut admin, &mut relay, T0);
    assert_eq!(
        again.sent_to_b, 2,
        "only the admin's two new envelopes go up"
    );
    assert_eq!(
        again.sent_to_a, 6,
        "the editor's six come down, nothing older"
    );
    assert_eq!(admin.held(), relay.held());
    assert!(again.sa.is_synced(&admin.log));
    // A reconnect with nothing new sends nothing at all.
    let mut third = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    third.run(&mut admin, &mut relay, T0);
    assert_eq!((third.sent_to_b, third.sent_to_a), (0, 0));
    assert!(third.sa.is_synced(&admin.log));
}

#[test]
fn a_lost_ack_does_not_make_anything_travel_twice() {
    let mut t = team(59);
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    admin.write(t.ws, &t.key, 3, &mut t.rng);
    link.local_change(false, &mut admin, T0);
    let (to_b, push) = link.queue.pop_front().expect("a push");
    assert!(to_b && matches!(push, Frame::Push { .. }));
    link.deliver(true, push, &mut admin, &mut relay, T0);
    assert_eq!(relay.log.len(), 3, "stored");
    // The connection breaks before the Ack arrives.
    assert!(matches!(
        link.queue.pop_front(),
        Some((false, Frame::Ack { .. }))
    ));
    drop(link);
    // The relay kept how far into the admin's log it holds: nothing is pushed again.
    let mut again = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    again.run(&mut admin, &mut relay, T0);
    assert_eq!(again.sent_to_b, 0);
    assert!(again.sa.is_synced(&admin.log));

    // The same the other way: a Deliver whose Ack is lost.
    let mut editor = Party::device(&t.editor, &t.log);
    let mut le = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    while let Some((to_b, frame)) = le.queue.pop_front() {
        let is_deliver = matches!(frame, Frame::Deliver { .. });
        le.deliver(to_b, frame, &mut editor, &mut relay, T0);
        if is_deliver {
            break;
        }
    }
    assert_eq!(editor.log.len(), 3);
    drop(le);
    let mut again = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    again.run(&mut editor, &mut relay, T0);
    assert_eq!(again.sent_to_a, 0, "the editor said how far it holds");
    assert!(again.sa.is_synced(&editor.log));
}

#[test]
fn a_large_backlog_travels_in_bounded_batches_one_at_a_time() {
    let mut t = team(63);
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    let body = vec![7u8; 200 * 1024];
    for _ in 0..12 {
        admin.write_body(t.ws, &t.key, &body, &mut t.rng);
    }
    link.local_change(false, &mut admin, T0);
    let mut pushes = 0;
    while let Some((to_b, frame)) = link.queue.pop_front() {
        if let Frame::Push { entries, .. } = &frame {
            pushes += 1;
            let bytes: usize = entries.iter().map(|(_, e)| e.encode().len()).sum();
            assert!(bytes <= MAX_BATCH_BYTES, "{bytes}");
            assert!(
                !link
                    .queue
                    .iter()
                    .any(|(_, f)| matches!(f, Frame::Push { .. })),
                "one unacknowledged batch at a time"
            );
        }
        link.deliver(to_b, frame, &mut admin, &mut relay, T0);
    }
    assert!(pushes >= 3, "{pushes} batches");
    assert_eq!(relay.log.len(), 12);
    assert_eq!(link.sent_to_b, 12, "nothing twice");
    assert!(link.sa.is_synced(&admin.log));
}

#[test]
fn a_stalled_batch_is_sent_again_after_a_quiet_period() {
    let mut t = team(60);
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
    assert_eq!(relay.held(), admin.held());
    assert!(link.sa.is_synced(&admin.log));
}

#[test]
fn a_stuck_handshake_times_out() {
    let mut t = team(61);
    let mut admin = Party::device(&t.admin, &t.log);
    let relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
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
    let mut t = team(62);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut link = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    link.queue.clear();
    link.queue.push_back((
        true,
        Frame::Ack {
            upto: 0,
            skip_to: None,
        },
    ));
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(refused_code(&link.closed_b), Some(ErrorCode::Unexpected));

    let mut link = Link::open(
        WorkspaceId([0xaa; 16]),
        &admin,
        &relay,
        PeerKind::Relay,
        &mut t.rng,
    );
    link.sb = Session::responder(t.ws, [0; 32], relay.log.id(), T0);
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(
        refused_code(&link.closed_b),
        Some(ErrorCode::WrongWorkspace)
    );

    // Only a device reports verdicts.
    let (mut admin, mut relay, mut link) = ready_pair(&mut t);
    link.queue
        .push_back((false, Frame::Verdicts { verdicts: vec![] }));
    link.run(&mut admin, &mut relay, T0);
    assert_eq!(refused_code(&link.closed_a), Some(ErrorCode::Unexpected));
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
    let mut l1 = Link::open(t.ws, &a1, &relay, PeerKind::Relay, &mut t.rng);
    l1.run(&mut a1, &mut relay, T0);
    let mut l2 = Link::open(t.ws, &a2, &relay, PeerKind::Relay, &mut t.rng);
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
    // Positions in a batch must increase and end by `upto`.
    let mut t = team(64);
    let mut admin = Party::device(&t.admin, &t.log);
    let env = admin.write(t.ws, &t.key, 1, &mut t.rng).remove(0);
    for (entries, upto) in [
        (vec![(2, env.clone()), (2, env.clone())], 5),
        (vec![(3, env.clone()), (1, env.clone())], 5),
        (vec![(6, env.clone())], 5),
        (vec![(0, env.clone())], 5),
    ] {
        let bytes = Frame::Deliver { entries, upto }.encode();
        assert!(matches!(
            Frame::decode(&bytes),
            Err(WireError::Malformed(_))
        ));
    }
}

/// Delivers frames in order until one matching `stop` was handled.
fn run_until(link: &mut Link, a: &mut Party, b: &mut Party, stop: impl Fn(bool, &Frame) -> bool) {
    while let Some((to_b, frame)) = link.queue.pop_front() {
        let last = stop(to_b, &frame);
        link.deliver(to_b, frame, a, b, T0);
        if last {
            return;
        }
    }
    panic!("the frame never came");
}

#[test]
fn a_relay_sends_nothing_before_the_device_says_how_far_it_holds() {
    // Regression: a responder that heard of new envelopes between Login and the device's
    // Want sent its whole log from position 0, then again from the device's cursor.
    let mut t = team(65);
    let mut editor = Party::device(&t.editor, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut admin = Party::device(&t.admin, &t.log);
    editor.write(t.ws, &t.key, 2, &mut t.rng);
    let mut le = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    le.run(&mut editor, &mut relay, T0);
    let mut la = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    run_until(&mut la, &mut admin, &mut relay, |to_b, f| {
        to_b && matches!(f, Frame::Login { .. })
    });
    assert!(la.sb.is_ready());
    editor.write(t.ws, &t.key, 1, &mut t.rng);
    le.local_change(false, &mut editor, T0);
    le.run(&mut editor, &mut relay, T0);
    la.local_change(true, &mut relay, T0);
    assert!(
        la.queue
            .iter()
            .all(|(_, f)| !matches!(f, Frame::Deliver { .. }))
    );
    la.run(&mut admin, &mut relay, T0);
    assert_eq!(la.sent_to_a, 3, "each envelope once");
    assert_eq!(admin.held(), relay.held());
}

#[test]
fn a_second_connection_does_not_move_the_cursor_back() {
    // Regression: a device's older, slower session stored a smaller cursor over the one a
    // newer session had stored, and the next connection was sent everything in between.
    let mut t = team(66);
    let mut editor = Party::device(&t.editor, &t.log);
    let mut relay = Party::relay(&t.log);
    let mut admin = Party::device(&t.admin, &t.log);
    let body = vec![3u8; 300 * 1024];
    for _ in 0..9 {
        editor.write_body(t.ws, &t.key, &body, &mut t.rng);
    }
    let mut le = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    le.run(&mut editor, &mut relay, T0);
    // Session B logs in (its cursor is 0), then session A gets everything.
    let mut lb = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    run_until(&mut lb, &mut admin, &mut relay, |to_b, f| {
        !to_b && matches!(f, Frame::Welcome { .. })
    });
    let mut la = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    la.run(&mut admin, &mut relay, T0);
    assert_eq!(admin.log.len(), 9);
    // B catches up with its first batch and breaks.
    run_until(&mut lb, &mut admin, &mut relay, |to_b, f| {
        !to_b && matches!(f, Frame::Deliver { .. })
    });
    assert!(lb.sent_to_a < 9, "the first batch is not everything");
    drop(lb);
    let mut lc = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    lc.run(&mut admin, &mut relay, T0);
    assert_eq!(lc.sent_to_a, 0, "nothing again");
}

#[test]
fn new_membership_asks_again_only_for_what_it_held_back() {
    let mut t = team(67);
    let mut relay = Party::relay(&t.log);
    let mut editor = Party::device(&t.editor, &t.log);
    let mut admin = Party::device(&t.admin, &t.log);
    admin.write(t.ws, &t.key, 3, &mut t.rng);
    let mut la = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    la.run(&mut admin, &mut relay, T0);
    // The admin adds a device; the relay learns of it, the editor not yet.
    let keys = admin
        .membership
        .state()
        .epoch_keys_for(&t.admin)
        .expect("keys");
    let newcomer = DeviceKeys::generate(&mut t.rng);
    admin
        .membership
        .add_device(
            &t.admin,
            newcomer.public(),
            "N",
            meridian_sync::Role::Editor,
            &keys,
            T0,
            &mut t.rng,
        )
        .expect("add");
    la.local_change(false, &mut admin, T0);
    la.run(&mut admin, &mut relay, T0);
    assert_eq!(relay.membership.len(), admin.membership.len());
    // The editor gets the new op and the envelopes in one go: applying the op must not
    // make the relay send the envelopes again.
    let mut le = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    le.run(&mut editor, &mut relay, T0);
    assert_eq!(editor.membership.len(), relay.membership.len());
    assert_eq!(le.sent_to_a, 3, "each envelope once");

    // An envelope by a device the relay does not know yet is held back, and fetched once
    // the op that added it arrives.
    let mut n = Party::device(&newcomer, &admin.membership);
    let env = n.write(t.ws, &t.key, 1, &mut t.rng).remove(0);
    let mut relay2 = Party::relay(&t.log);
    admin
        .log
        .append(&env, &Peer::Device(newcomer.id()))
        .expect("mem");
    let mut l2 = Link::open(t.ws, &admin, &relay2, PeerKind::Relay, &mut t.rng);
    run_until(&mut l2, &mut admin, &mut relay2, |to_b, f| {
        !to_b && matches!(f, Frame::Welcome { .. })
    });
    // The push overtakes the membership ops (as if they came on another connection).
    let push = l2
        .queue
        .iter()
        .position(|(_, f)| matches!(f, Frame::Push { .. }))
        .expect("a push");
    let (_, frame) = l2.queue.remove(push).expect("there");
    l2.deliver(true, frame, &mut admin, &mut relay2, T0);
    assert_eq!(relay2.log.len(), 3, "the newcomer's envelope waits");
    l2.run(&mut admin, &mut relay2, T0);
    assert_eq!(relay2.held(), admin.held());
    assert!(relay2.held().contains(&(newcomer.id(), 1)));
}

#[test]
fn a_resumed_session_syncs_like_a_logged_in_one_and_only_a_relay_hands_out_tickets() {
    let mut t = team(63);
    let mut admin = Party::device(&t.admin, &t.log);
    let mut relay = Party::relay(&t.log);
    let key = t.key.clone();
    admin.write(t.ws, &key, 3, &mut t.rng);
    let mut link = Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng);
    link.run(&mut admin, &mut relay, T0);
    assert!(link.sa.is_synced(&admin.log));

    // The relay hands a ticket right behind its Welcome; the device's session passes it on.
    let issued =
        meridian_sync::IssuedTicket::issue(&mut t.rng, t.ws, t.admin.id(), admin.log.id(), T0);
    let step = admin.call(T0, |ctx| {
        link.sa.on_frame(issued.frame(), ctx).expect("mem log")
    });
    assert_eq!(step.ticket.as_ref(), Some(&issued.ticket));

    // The next connection resumes: one frame, then the relay's Welcome; what was written
    // meanwhile travels as after a login, and nothing travels twice.
    admin.write(t.ws, &key, 2, &mut t.rng);
    let (sa, resume) =
        Session::initiator_resume(t.ws, t.admin.id(), &issued.ticket, 1, admin.log.id(), T0);
    let Frame::Resume { counter, mac, .. } = resume else {
        panic!("expected Resume, got {resume:?}");
    };
    issued.check(counter, &mac, T0).expect("a valid resume");
    let mut sb = Session::responder(t.ws, nonce(&mut t.rng), relay.log.id(), T0);
    let welcome = relay.call(T0, |ctx| sb.on_resumed(t.admin.id(), admin.log.id(), ctx));
    let mut link = Link {
        sa,
        sb,
        ..Link::open(t.ws, &admin, &relay, PeerKind::Relay, &mut t.rng)
    };
    link.queue.clear();
    link.absorb(true, welcome);
    link.run(&mut admin, &mut relay, T0);
    assert!(link.sa.is_synced(&admin.log));
    assert_eq!(link.sent_to_b, 2, "only the two new envelopes travel");
    assert_eq!(relay.held(), admin.held());

    // A resume on a session that already started is refused; a LAN peer's ticket is not
    // taken.
    let again = relay.call(T0, |ctx| {
        link.sb.on_resumed(t.admin.id(), admin.log.id(), ctx)
    });
    assert!(again.closed.is_some());
    let mut editor = Party::device(&t.editor, &t.log);
    let mut lan = Link::open(t.ws, &admin, &editor, PeerKind::Device, &mut t.rng);
    lan.run(&mut admin, &mut editor, T0);
    assert!(lan.sa.is_ready());
    let step = admin.call(T0, |ctx| {
        lan.sa.on_frame(issued.frame(), ctx).expect("mem log")
    });
    assert!(step.ticket.is_none());
    assert_eq!(refused_code(&step.closed), Some(ErrorCode::Unexpected));
}
