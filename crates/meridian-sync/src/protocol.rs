//! The sans-IO sync session: one per connection, the same for relay and LAN peers.
//!
//! The caller moves bytes: it decodes each incoming frame with [`Frame::decode`], passes it
//! to [`Session::on_frame`] with a [`Ctx`] (the envelope log, the membership log, its keys
//! and the time) and sends back every frame of the returned [`Step`]. After a local edit or
//! anything another session accepted, it calls [`Session::on_local_change`]; every few
//! seconds, [`Session::on_tick`].
//!
//! Handshake: `Hello` → `Challenge` → `Login` → `Welcome`. Then both sides are equal:
//! `Want{vector}` asks for what the sender lacks; envelopes travel in `Push` (from the
//! initiator) or `Deliver` (from the responder) frames, one batch at a time, each
//! answered by `Ack{vector}` once stored. Membership ops travel in `Membership` frames
//! whenever one side's log is longer. Envelopes that arrive ahead of a gap are held (up
//! to [`MAX_HELD_ENVELOPES`]) until the gap fills; duplicates are ignored.

use std::collections::BTreeMap;

use crate::envelope::{Envelope, EnvelopeError};
use crate::ids::{DeviceId, WorkspaceId};
use crate::keys::{DeviceKeys, verify_signature};
use crate::membership::{Denied, MembershipError, MembershipLog, MembershipState, SignedOp};
use crate::store::EnvelopeLog;
use crate::vector::{VersionVector, missing};
use crate::wire::{ErrorCode, Frame, MAX_BATCH_BYTES, PROTOCOL_VERSION, PeerProof};

/// Ask again for what is missing (and resend what is unacknowledged) after this long
/// without hearing from the peer.
pub const RESYNC_AFTER_MS: i64 = 15_000;
/// Give up on a handshake that has not finished after this long.
pub const HANDSHAKE_TIMEOUT_MS: i64 = 30_000;
/// Most envelopes held while waiting for a gap to fill; more are dropped and fetched later.
pub const MAX_HELD_ENVELOPES: usize = 1024;
/// Most bytes of envelopes held while waiting for a gap to fill.
pub const MAX_HELD_BYTES: usize = 16 * 1024 * 1024;
/// Most membership ops sent in one frame.
const OPS_PER_FRAME: usize = 64;

/// What an initiator expects to find at the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    /// A relay: authenticated by its pinned TLS certificate; it cannot prove a device key.
    Relay,
    /// Another device on the local network: it must prove it holds a member's key.
    Device,
}

/// What a session needs from its owner for one call.
#[derive(Debug)]
pub struct Ctx<'a, L> {
    /// The durable envelope log (shared by all sessions of the owner).
    pub log: &'a mut L,
    /// The membership log (shared by all sessions of the owner).
    pub membership: &'a mut MembershipLog,
    /// This device's keys; `None` on a relay.
    pub identity: Option<&'a DeviceKeys>,
    /// The owner's clock.
    pub now_ms: i64,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// Either side said goodbye.
    Bye,
    /// The peer refused us; its message says why.
    ByPeer {
        /// The peer's code.
        code: ErrorCode,
        /// The peer's message.
        message: String,
    },
    /// We refused the peer (the `Error` frame is in [`Step::send`]).
    Refused {
        /// Our code.
        code: ErrorCode,
        /// Our message.
        message: String,
    },
}

/// The effects of one call.
#[derive(Debug, Default)]
pub struct Step {
    /// Frames to send to the peer, in order.
    pub send: Vec<Frame>,
    /// Envelopes newly appended to the log, in the order appended: open and apply them,
    /// and tell the owner's other sessions ([`Session::on_local_change`]).
    pub accepted: Vec<Envelope>,
    /// Membership ops newly applied: persist them and tell the other sessions.
    pub membership_applied: Vec<SignedOp>,
    /// Set when the session ended in this call; drop the connection after sending.
    pub closed: Option<Closed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitHello,
    AwaitChallenge,
    AwaitLogin(DeviceId),
    AwaitWelcome,
    Ready,
    Closed,
}

/// One side of one connection.
#[derive(Debug)]
pub struct Session {
    workspace: WorkspaceId,
    initiator: bool,
    expect: PeerKind,
    nonce: [u8; 32],
    state: State,
    peer: Option<DeviceId>,
    their: VersionVector,
    their_known: bool,
    their_membership_len: u64,
    /// What the peer holds or was sent in this session: the next batch starts above it.
    sent: VersionVector,
    /// A batch awaits its `Ack` (one batch at a time).
    in_flight: bool,
    last_want: Option<VersionVector>,
    held: BTreeMap<(DeviceId, u64), Envelope>,
    held_bytes: usize,
    started_ms: i64,
    last_heard_ms: i64,
}

fn login_message(nonce: &[u8; 32], workspace: &WorkspaceId, device: &DeviceId) -> Vec<u8> {
    [
        b"meridian/login/v1".as_slice(),
        nonce,
        &workspace.0,
        &device.0,
    ]
    .concat()
}

fn peer_message(nonce: &[u8; 32], workspace: &WorkspaceId, device: &DeviceId) -> Vec<u8> {
    [
        b"meridian/peer/v1".as_slice(),
        nonce,
        &workspace.0,
        &device.0,
    ]
    .concat()
}

/// Whether `device` may sync this workspace at all, with the message to send if not.
fn admission(
    state: &MembershipState,
    workspace: &WorkspaceId,
    device: &DeviceId,
) -> Result<(), (ErrorCode, String)> {
    if state.is_removed(device) {
        let msg = format!(
            "device {device} was removed from workspace {workspace}; it keeps what it already synced but can no longer sync"
        );
        return Err((ErrorCode::Removed, msg));
    }
    if !state.can_read(device) {
        let msg = format!(
            "device {device} is not a member of workspace {workspace}: join with an invite first"
        );
        return Err((ErrorCode::NotAMember, msg));
    }
    Ok(())
}

impl Session {
    /// Starts a session that connects out; send the returned `Hello`. `nonce` must be fresh
    /// random bytes.
    pub fn initiator(
        workspace: WorkspaceId,
        device: DeviceId,
        expect: PeerKind,
        nonce: [u8; 32],
        now_ms: i64,
    ) -> (Session, Frame) {
        let hello = Frame::Hello {
            protocol: PROTOCOL_VERSION,
            workspace,
            device,
            nonce,
        };
        let mut session = Self::new(workspace, true, nonce, now_ms);
        session.expect = expect;
        session.state = State::AwaitChallenge;
        (session, hello)
    }

    /// Starts a session for an accepted connection; it waits for `Hello`. `nonce` must be
    /// fresh random bytes. A relay reads the `Hello`'s workspace first to pick which
    /// workspace (and membership log) the session serves.
    pub fn responder(workspace: WorkspaceId, nonce: [u8; 32], now_ms: i64) -> Session {
        Self::new(workspace, false, nonce, now_ms)
    }

    fn new(workspace: WorkspaceId, initiator: bool, nonce: [u8; 32], now_ms: i64) -> Session {
        Session {
            workspace,
            initiator,
            expect: PeerKind::Device,
            nonce,
            state: State::AwaitHello,
            peer: None,
            their: VersionVector::new(),
            their_known: false,
            their_membership_len: 0,
            sent: VersionVector::new(),
            in_flight: false,
            last_want: None,
            held: BTreeMap::new(),
            held_bytes: 0,
            started_ms: now_ms,
            last_heard_ms: now_ms,
        }
    }

    /// Whether the handshake finished and the session is open.
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready
    }

    /// Whether the session ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The authenticated peer device (`None` for a relay, or before the handshake ends).
    pub fn peer(&self) -> Option<DeviceId> {
        self.peer
    }

    /// What the peer has acknowledged holding (or told us it holds).
    pub fn their_vector(&self) -> &VersionVector {
        &self.their
    }

    /// How many envelopes in `log` the peer has not acknowledged.
    pub fn pending<L: EnvelopeLog>(&self, log: &L) -> u64 {
        missing(log.vector(), &self.their)
            .iter()
            .map(|r| r.len())
            .sum()
    }

    /// Whether both sides hold exactly the same envelopes, as far as acknowledged.
    pub fn is_synced<L: EnvelopeLog>(&self, log: &L) -> bool {
        self.is_ready() && self.their_known && *log.vector() == self.their
    }

    /// Ends the session politely; send the returned `Bye`.
    pub fn close(&mut self) -> Frame {
        self.state = State::Closed;
        Frame::Bye
    }

    fn refuse(&mut self, step: &mut Step, code: ErrorCode, message: String) {
        step.send.push(Frame::error(code, message.clone()));
        step.closed = Some(Closed::Refused { code, message });
        self.state = State::Closed;
    }

    /// Handles one frame from the peer. Errors are the log's own (storage) failures; a
    /// misbehaving peer is answered with an `Error` frame and [`Step::closed`].
    pub fn on_frame<L: EnvelopeLog>(
        &mut self,
        frame: Frame,
        ctx: &mut Ctx<'_, L>,
    ) -> Result<Step, L::Error> {
        let mut step = Step::default();
        if self.state == State::Closed {
            return Ok(step);
        }
        self.last_heard_ms = ctx.now_ms;
        match (self.state, frame) {
            (_, Frame::Error { code, message }) => {
                self.state = State::Closed;
                step.closed = Some(Closed::ByPeer { code, message });
            }
            (_, Frame::Bye) => {
                self.state = State::Closed;
                step.closed = Some(Closed::Bye);
            }
            (
                State::AwaitHello,
                Frame::Hello {
                    protocol,
                    workspace,
                    device,
                    nonce,
                },
            ) => {
                self.on_hello(protocol, workspace, device, &nonce, ctx, &mut step);
            }
            (State::AwaitChallenge, Frame::Challenge { nonce, peer }) => {
                self.on_challenge(&nonce, peer, ctx, &mut step);
            }
            (State::AwaitLogin(device), Frame::Login { signature }) => {
                if !verify_signature(
                    &device,
                    &login_message(&self.nonce, &self.workspace, &device),
                    &signature,
                ) {
                    let msg = format!(
                        "device {device} failed to prove it holds its key (bad login signature)"
                    );
                    self.refuse(&mut step, ErrorCode::BadSignature, msg);
                } else if let Err((code, msg)) =
                    admission(ctx.membership.state(), &self.workspace, &device)
                {
                    self.refuse(&mut step, code, msg);
                } else {
                    self.state = State::Ready;
                    self.peer = Some(device);
                    let vector = ctx.log.vector().clone();
                    step.send.push(Frame::Welcome {
                        vector,
                        membership_len: ctx.membership.len(),
                    });
                }
            }
            (
                State::AwaitWelcome,
                Frame::Welcome {
                    vector,
                    membership_len,
                },
            ) => {
                self.state = State::Ready;
                self.their.merge(&vector);
                self.sent = self.their.clone();
                self.their_known = true;
                self.their_membership_len = membership_len;
                self.send_membership(ctx.membership, &mut step);
                self.send_want(ctx, &mut step);
                self.flush(ctx, &mut step)?;
            }
            (State::Ready, Frame::Push { envelopes } | Frame::Deliver { envelopes }) => {
                self.on_envelopes(envelopes, ctx, &mut step)?;
            }
            (State::Ready, Frame::Ack { vector }) => {
                self.their.merge(&vector);
                self.sent.merge(&vector);
                self.in_flight = false;
                self.flush(ctx, &mut step)?;
                if !ctx.log.vector().dominates(&self.their)
                    && self.last_want.as_ref() != Some(ctx.log.vector())
                {
                    self.send_want(ctx, &mut step);
                }
            }
            (
                State::Ready,
                Frame::Want {
                    vector,
                    membership_len,
                },
            ) => {
                // The peer says what it holds: resend anything it lacks, even if sent.
                self.their.merge(&vector);
                self.sent = self.their.clone();
                self.their_known = true;
                self.in_flight = false;
                self.their_membership_len = membership_len;
                self.send_membership(ctx.membership, &mut step);
                self.flush(ctx, &mut step)?;
            }
            (State::Ready, Frame::Membership { start, ops }) => {
                self.on_membership(start, ops, ctx, &mut step)?;
            }
            (state, frame) => {
                let msg = format!("unexpected {} frame in state {state:?}", frame.name());
                self.refuse(&mut step, ErrorCode::Unexpected, msg);
            }
        }
        Ok(step)
    }

    fn on_hello<L>(
        &mut self,
        protocol: u8,
        workspace: WorkspaceId,
        device: DeviceId,
        their_nonce: &[u8; 32],
        ctx: &mut Ctx<'_, L>,
        step: &mut Step,
    ) {
        if protocol != PROTOCOL_VERSION {
            let msg = format!(
                "this side speaks sync protocol {PROTOCOL_VERSION}, the peer {protocol}: update the older side"
            );
            return self.refuse(step, ErrorCode::UnsupportedProtocol, msg);
        }
        if workspace != self.workspace {
            let msg = format!(
                "this side serves workspace {}, not {workspace}",
                self.workspace
            );
            return self.refuse(step, ErrorCode::WrongWorkspace, msg);
        }
        if let Err((code, msg)) = admission(ctx.membership.state(), &self.workspace, &device) {
            return self.refuse(step, code, msg);
        }
        let peer = ctx.identity.map(|keys| PeerProof {
            device: keys.id(),
            signature: keys.sign(&peer_message(their_nonce, &self.workspace, &keys.id())),
        });
        step.send.push(Frame::Challenge {
            nonce: self.nonce,
            peer,
        });
        self.state = State::AwaitLogin(device);
    }

    fn on_challenge<L>(
        &mut self,
        nonce: &[u8; 32],
        peer: Option<PeerProof>,
        ctx: &mut Ctx<'_, L>,
        step: &mut Step,
    ) {
        let Some(keys) = ctx.identity else {
            return self.refuse(
                step,
                ErrorCode::Internal,
                "this side has no device keys to log in with".into(),
            );
        };
        if self.expect == PeerKind::Device {
            let Some(proof) = peer else {
                let msg =
                    "expected a member device but the peer did not prove a device key".to_owned();
                return self.refuse(step, ErrorCode::BadSignature, msg);
            };
            let message = peer_message(&self.nonce, &self.workspace, &proof.device);
            if !verify_signature(&proof.device, &message, &proof.signature) {
                let msg = format!(
                    "peer claiming to be device {} has a bad signature",
                    proof.device
                );
                return self.refuse(step, ErrorCode::BadSignature, msg);
            }
            if let Err((code, msg)) =
                admission(ctx.membership.state(), &self.workspace, &proof.device)
            {
                return self.refuse(step, code, msg);
            }
            self.peer = Some(proof.device);
        }
        let signature = keys.sign(&login_message(nonce, &self.workspace, &keys.id()));
        step.send.push(Frame::Login { signature });
        self.state = State::AwaitWelcome;
    }

    fn on_envelopes<L: EnvelopeLog>(
        &mut self,
        envelopes: Vec<Envelope>,
        ctx: &mut Ctx<'_, L>,
        step: &mut Step,
    ) -> Result<(), L::Error> {
        for env in envelopes {
            let (device, seq) = env.key();
            if seq <= ctx.log.vector().get(&device) {
                // A duplicate: nothing to check or store.
                continue;
            }
            if let Err(e) = env.verify(&self.workspace) {
                let code = match e {
                    EnvelopeError::WrongWorkspace { .. } => ErrorCode::WrongWorkspace,
                    EnvelopeError::BadSignature { .. } => ErrorCode::BadSignature,
                    _ => ErrorCode::Malformed,
                };
                self.refuse(step, code, e.to_string());
                return Ok(());
            }
            // The sender's log is contiguous, so it holds everything up to `seq`.
            if seq > self.their.get(&device) {
                self.their.set(device, seq);
            }
            if seq > self.sent.get(&device) {
                self.sent.set(device, seq);
            }
            match ctx.membership.state().authorize_envelope(env.header()) {
                Ok(()) => {}
                // Perhaps our membership log is behind: skip it; it comes again after
                // the next `Want`.
                Err(Denied::UnknownDevice(_) | Denied::UnknownEpoch { .. }) => continue,
                // Written without the right to write: never stored or passed on.
                Err(Denied::Removed(_) | Denied::ReadOnly(_)) => continue,
            }
            let held = ctx.log.vector().get(&device);
            if seq == held + 1 {
                ctx.log.append(&env)?;
                step.accepted.push(env);
            } else if seq > held + 1 {
                self.hold(env);
            }
        }
        self.drain_held(ctx, step)?;
        step.send.push(Frame::Ack {
            vector: ctx.log.vector().clone(),
        });
        Ok(())
    }

    fn hold(&mut self, env: Envelope) {
        let size = env.encoded_len_bound();
        if self.held.len() >= MAX_HELD_ENVELOPES || self.held_bytes + size > MAX_HELD_BYTES {
            return; // Dropped; fetched again once the gap fills.
        }
        if self.held.insert(env.key(), env).is_none() {
            self.held_bytes += size;
        }
    }

    /// Appends held envelopes that now follow the log (the gap may have been filled by
    /// this session or by another one sharing the log), and forgets stale ones.
    fn drain_held<L: EnvelopeLog>(
        &mut self,
        ctx: &mut Ctx<'_, L>,
        step: &mut Step,
    ) -> Result<(), L::Error> {
        let keys: Vec<(DeviceId, u64)> = self.held.keys().copied().collect();
        for (device, seq) in keys {
            let have = ctx.log.vector().get(&device);
            if seq > have + 1 {
                continue;
            }
            let Some(env) = self.held.remove(&(device, seq)) else {
                continue;
            };
            self.held_bytes -= env.encoded_len_bound();
            if seq == have + 1 {
                ctx.log.append(&env)?;
                step.accepted.push(env);
            }
        }
        Ok(())
    }

    fn on_membership<L: EnvelopeLog>(
        &mut self,
        start: u64,
        ops: Vec<SignedOp>,
        ctx: &mut Ctx<'_, L>,
        step: &mut Step,
    ) -> Result<(), L::Error> {
        let end = start + ops.len() as u64;
        if start > ctx.membership.len() {
            // A gap (a frame was lost): ask again from what we hold.
            self.send_want(ctx, step);
            return Ok(());
        }
        for (index, op) in (start..).zip(ops) {
            if let Some(mine) = ctx.membership.ops().get(index as usize) {
                if mine.hash() != op.hash() {
                    let msg = format!(
                        "membership op #{index} differs from this side's: another admin changed membership at the same time; re-create the change on the current log"
                    );
                    self.refuse(step, ErrorCode::MembershipConflict, msg);
                    return Ok(());
                }
                continue;
            }
            match ctx.membership.verify_and_apply(op.clone(), ctx.now_ms) {
                Ok(()) => step.membership_applied.push(op),
                Err(e) => {
                    let code = match e {
                        MembershipError::BrokenChain { .. } => ErrorCode::MembershipConflict,
                        _ => ErrorCode::MembershipRejected,
                    };
                    self.refuse(step, code, e.to_string());
                    return Ok(());
                }
            }
        }
        self.their_membership_len = self.their_membership_len.max(end);
        if !step.membership_applied.is_empty()
            && self.check_peer_still_member(ctx.membership.state(), step)
        {
            // Envelopes skipped for want of membership can come now.
            self.send_want(ctx, step);
            self.drain_held(ctx, step)?;
        }
        Ok(())
    }

    /// Closes the session if the peer device was removed; true if it may go on.
    fn check_peer_still_member(&mut self, state: &MembershipState, step: &mut Step) -> bool {
        if let Some(peer) = self.peer
            && let Err((code, msg)) = admission(state, &self.workspace, &peer)
        {
            self.refuse(step, code, msg);
            return false;
        }
        true
    }

    fn send_want<L: EnvelopeLog>(&mut self, ctx: &Ctx<'_, L>, step: &mut Step) {
        let vector = ctx.log.vector().clone();
        self.last_want = Some(vector.clone());
        step.send.push(Frame::Want {
            vector,
            membership_len: ctx.membership.len(),
        });
    }

    fn send_membership(&mut self, membership: &MembershipLog, step: &mut Step) {
        let ops = membership.ops_from(self.their_membership_len);
        let mut start = self.their_membership_len;
        for chunk in ops.chunks(OPS_PER_FRAME) {
            step.send.push(Frame::Membership {
                start,
                ops: chunk.to_vec(),
            });
            start += chunk.len() as u64;
        }
        self.their_membership_len = self.their_membership_len.max(start);
    }

    /// Sends the next batch of envelopes the peer lacks, unless one is unacknowledged.
    fn flush<L: EnvelopeLog>(
        &mut self,
        ctx: &mut Ctx<'_, L>,
        step: &mut Step,
    ) -> Result<(), L::Error> {
        if self.in_flight || !self.their_known || self.state != State::Ready {
            return Ok(());
        }
        let mut batch = Vec::new();
        let mut bytes = 0;
        'ranges: for range in missing(ctx.log.vector(), &self.sent) {
            for env in ctx
                .log
                .read(&range, MAX_BATCH_BYTES.saturating_sub(bytes))?
            {
                let size = env.encoded_len_bound();
                if !batch.is_empty() && bytes + size > MAX_BATCH_BYTES {
                    break 'ranges;
                }
                bytes += size;
                batch.push(env);
            }
            if bytes >= MAX_BATCH_BYTES {
                break;
            }
        }
        if !batch.is_empty() {
            self.in_flight = true;
            for env in &batch {
                let (device, seq) = env.key();
                self.sent.set(device, seq.max(self.sent.get(&device)));
            }
            step.send.push(if self.initiator {
                Frame::Push { envelopes: batch }
            } else {
                Frame::Deliver { envelopes: batch }
            });
        }
        Ok(())
    }

    /// Call after the owner's log or membership changed outside this session (a local
    /// edit, or another session accepted something): sends what the peer now lacks, and
    /// closes the session if the peer was just removed.
    pub fn on_local_change<L: EnvelopeLog>(
        &mut self,
        ctx: &mut Ctx<'_, L>,
    ) -> Result<Step, L::Error> {
        let mut step = Step::default();
        if self.state != State::Ready {
            return Ok(step);
        }
        if !self.check_peer_still_member(ctx.membership.state(), &mut step) {
            return Ok(step);
        }
        if self.their_known {
            self.send_membership(ctx.membership, &mut step);
        }
        self.drain_held(ctx, &mut step)?;
        self.flush(ctx, &mut step)?;
        Ok(step)
    }

    /// Call every few seconds: times out a stuck handshake, and after
    /// [`RESYNC_AFTER_MS`] of silence asks the peer again for what is missing and resends
    /// anything unacknowledged (frames can be lost when a connection breaks).
    pub fn on_tick<L: EnvelopeLog>(&mut self, ctx: &mut Ctx<'_, L>) -> Result<Step, L::Error> {
        let mut step = Step::default();
        match self.state {
            State::Closed => {}
            State::Ready => {
                if ctx.now_ms - self.last_heard_ms >= RESYNC_AFTER_MS {
                    self.last_heard_ms = ctx.now_ms;
                    self.in_flight = false;
                    self.sent = self.their.clone();
                    self.send_want(ctx, &mut step);
                    self.drain_held(ctx, &mut step)?;
                    self.flush(ctx, &mut step)?;
                }
            }
            _ => {
                if ctx.now_ms - self.started_ms >= HANDSHAKE_TIMEOUT_MS {
                    let msg = "the sync handshake did not finish in time".to_owned();
                    self.refuse(&mut step, ErrorCode::Timeout, msg);
                }
            }
        }
        Ok(step)
    }
}
