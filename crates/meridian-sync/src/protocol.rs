//! The sans-IO sync session: one per connection, the same for relay and LAN peers.
//!
//! The caller moves bytes: it decodes each incoming frame with [`Frame::decode`], passes it
//! to [`Session::on_frame`] with a [`Ctx`] (the envelope log, the membership log, its keys
//! and the time) and sends back every frame of the returned [`Step`]. After a local edit or
//! anything another session accepted, it calls [`Session::on_local_change`]; every few
//! seconds, [`Session::on_tick`].
//!
//! Handshake: `Hello` → `Challenge` → `Login` → `Welcome`, or with a relay's session ticket
//! `Resume` → `Welcome` ([`crate::resume`]). Then both sides are equal. Each
//! reads the other's log by position ([`crate::store`]): `Want{cursor}` asks for what
//! follows the cursor, envelopes travel in `Push` (from the initiator) or `Deliver` (from
//! the responder) frames, one batch at a time, and each is answered by an `Ack{upto}` that
//! names exactly how far the receiver now durably holds, so nothing is sent twice. Both
//! sides remember their cursor into the other's log, so a reconnect sends only what was
//! stored since. Envelopes may arrive in any order: Automerge waits for missing
//! dependencies, and checkpoints stand in for what they cover. Membership ops travel in
//! `Membership` frames whenever one side's log is longer.

use crate::envelope::{Envelope, EnvelopeError};
use crate::ids::{DeviceId, WorkspaceId};
use crate::keys::{DeviceKeys, verify_signature};
use crate::membership::{Denied, MembershipError, MembershipLog, MembershipState, SignedOp};
use crate::resume::Ticket;
use crate::store::{EnvelopeLog, Held, LogId, Peer, Verdict};
use crate::wire::{
    ErrorCode, Frame, MAX_BATCH_BYTES, MAX_VERDICTS_PER_FRAME, PROTOCOL_VERSION, PeerProof,
};

/// Ask again for what is missing (and resend what is unacknowledged) after this long
/// without hearing from the peer.
pub const RESYNC_AFTER_MS: i64 = 15_000;
/// Give up on a handshake that has not finished after this long.
pub const HANDSHAKE_TIMEOUT_MS: i64 = 30_000;
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
    /// Envelopes not stored because an applied checkpoint covers them, yet sent again:
    /// apply them without storing (the checkpoint may lack them).
    pub covered: Vec<Envelope>,
    /// The relay stored this many of the verdicts sent last.
    pub verdicts_noted: Option<u32>,
    /// Membership ops newly applied: persist them and tell the other sessions.
    pub membership_applied: Vec<SignedOp>,
    /// The relay gave this device a session ticket: keep it for the next connection.
    pub ticket: Option<Ticket>,
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
    /// This side's log, for the `Hello` (the initiator) or to check the peer's `Welcome`.
    my_log: LogId,
    state: State,
    peer: Option<DeviceId>,
    /// The peer's log, once known.
    their_log: Option<LogId>,
    /// The last position of the peer's log as the peer told it.
    their_head: u64,
    /// How far into the peer's log this side durably holds.
    recv_cursor: u64,
    /// How far into this side's log the peer acknowledged holding.
    their_ack: u64,
    /// How far into this side's log has been sent (acknowledged or in flight).
    sent_upto: u64,
    their_membership_len: u64,
    /// A batch awaits its `Ack` (one batch at a time).
    in_flight: bool,
    /// The peer said how far into this side's log it holds (`Welcome` or `Want`): until
    /// then a responder would send its log from the start.
    peer_cursor_known: bool,
    /// A batch was cut short because the membership log is behind: ask for the rest once
    /// it has caught up (asking otherwise would make the peer resend what is in flight).
    held_back: bool,
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

/// Records how far into `peer`'s log this side holds, unless another session of the same
/// owner (a second connection of the same device) already recorded more: a cursor that
/// went back would make the next connection send again what is already held.
fn advance_cursor<L: EnvelopeLog>(
    log: &mut L,
    peer: &Peer,
    their_log: &LogId,
    pos: u64,
) -> Result<(), L::Error> {
    if pos > log.cursor(peer, their_log) {
        log.set_cursor(peer, their_log, pos)?;
    }
    Ok(())
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
    /// random bytes; `log` is this side's log.
    pub fn initiator(
        workspace: WorkspaceId,
        device: DeviceId,
        expect: PeerKind,
        nonce: [u8; 32],
        log: LogId,
        now_ms: i64,
    ) -> (Session, Frame) {
        let hello = Frame::Hello {
            protocol: PROTOCOL_VERSION,
            workspace,
            device,
            nonce,
            log,
        };
        let mut session = Self::new(workspace, true, nonce, log, now_ms);
        session.expect = expect;
        session.state = State::AwaitChallenge;
        (session, hello)
    }

    /// Starts a session that connects out to a relay with a session ticket instead of the
    /// full handshake; send the returned `Resume`. `counter` must be above every counter
    /// used with the ticket before (keep it durably before sending). If the relay refuses
    /// with [`ErrorCode::TicketRefused`], forget the ticket and connect with
    /// [`Session::initiator`].
    pub fn initiator_resume(
        workspace: WorkspaceId,
        device: DeviceId,
        ticket: &Ticket,
        counter: u64,
        log: LogId,
        now_ms: i64,
    ) -> (Session, Frame) {
        let resume = ticket.resume(&workspace, &device, counter);
        let mut session = Self::new(workspace, true, [0; 32], log, now_ms);
        session.expect = PeerKind::Relay;
        session.state = State::AwaitWelcome;
        (session, resume)
    }

    /// Starts a session for an accepted connection; it waits for `Hello`. `nonce` must be
    /// fresh random bytes. A relay reads the `Hello`'s workspace first to pick which
    /// workspace (and membership log) the session serves.
    pub fn responder(workspace: WorkspaceId, nonce: [u8; 32], log: LogId, now_ms: i64) -> Session {
        Self::new(workspace, false, nonce, log, now_ms)
    }

    fn new(
        workspace: WorkspaceId,
        initiator: bool,
        nonce: [u8; 32],
        log: LogId,
        now_ms: i64,
    ) -> Session {
        Session {
            workspace,
            initiator,
            expect: PeerKind::Device,
            nonce,
            my_log: log,
            state: State::AwaitHello,
            peer: None,
            their_log: None,
            their_head: 0,
            recv_cursor: 0,
            their_ack: 0,
            sent_upto: 0,
            their_membership_len: 0,
            in_flight: false,
            peer_cursor_known: false,
            held_back: false,
            started_ms: now_ms,
            last_heard_ms: now_ms,
        }
    }

    /// A relay's responder session whose `Resume` the relay checked against the ticket it
    /// issued to `device` (with `their_log`): admits the device as a login would and
    /// answers `Welcome`. Only in the state [`Session::responder`] starts in.
    pub fn on_resumed<L: EnvelopeLog>(
        &mut self,
        device: DeviceId,
        their_log: LogId,
        ctx: &mut Ctx<'_, L>,
    ) -> Step {
        let mut step = Step::default();
        if self.initiator || self.state != State::AwaitHello {
            let msg = format!("unexpected Resume in state {:?}", self.state);
            self.refuse(&mut step, ErrorCode::Unexpected, msg);
            return step;
        }
        self.last_heard_ms = ctx.now_ms;
        self.their_log = Some(their_log);
        self.admit(device, ctx, &mut step);
        step
    }

    /// Ends a responder's handshake: `device` proved who it is; let it in if it may sync.
    fn admit<L: EnvelopeLog>(&mut self, device: DeviceId, ctx: &mut Ctx<'_, L>, step: &mut Step) {
        if let Err((code, msg)) = admission(ctx.membership.state(), &self.workspace, &device) {
            return self.refuse(step, code, msg);
        }
        self.state = State::Ready;
        self.peer = Some(device);
        let their_log = self.their_log.unwrap_or_default();
        self.recv_cursor = ctx.log.cursor(&self.peer_key(), &their_log);
        step.send.push(Frame::Welcome {
            log: self.my_log,
            head: ctx.log.head(),
            cursor: self.recv_cursor,
            membership_len: ctx.membership.len(),
        });
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

    /// The peer's log, once known.
    pub fn their_log(&self) -> Option<LogId> {
        self.their_log
    }

    /// Who the peer is, for cursors: a device, or the relay.
    pub fn peer_key(&self) -> Peer {
        match (self.initiator, self.expect, self.peer) {
            (true, PeerKind::Relay, _) | (_, _, None) => Peer::Relay,
            (_, _, Some(d)) => Peer::Device(d),
        }
    }

    /// How far into this side's log the peer acknowledged holding.
    pub fn their_ack(&self) -> u64 {
        self.their_ack
    }

    /// How far into the peer's log this side holds, and the peer's last position as told.
    pub fn received(&self) -> (u64, u64) {
        (self.recv_cursor, self.their_head)
    }

    /// Whether both sides hold what the other has, as far as acknowledged.
    pub fn is_synced<L: EnvelopeLog>(&self, log: &L) -> bool {
        self.is_ready()
            && self.their_log.is_some()
            && !self.in_flight
            && self.their_ack >= log.head()
            && self.recv_cursor >= self.their_head
    }

    /// Ends the session politely; send the returned `Bye`.
    pub fn close(&mut self) -> Frame {
        self.state = State::Closed;
        Frame::Bye
    }

    /// A frame reporting checkpoint verdicts (at most [`MAX_VERDICTS_PER_FRAME`] are
    /// taken), or `None` before the session is ready.
    pub fn verdicts(&self, verdicts: &[Verdict]) -> Option<Frame> {
        (self.is_ready() && !verdicts.is_empty()).then(|| Frame::Verdicts {
            verdicts: verdicts
                .iter()
                .take(MAX_VERDICTS_PER_FRAME)
                .copied()
                .collect(),
        })
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
                    log,
                },
            ) => {
                self.on_hello(protocol, workspace, device, &nonce, log, ctx, &mut step);
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
                } else {
                    self.admit(device, ctx, &mut step);
                }
            }
            (State::Ready, Frame::Ticket { id, secret })
                if self.initiator && self.expect == PeerKind::Relay =>
            {
                step.ticket = Some(Ticket { id, secret });
            }
            (
                State::AwaitWelcome,
                Frame::Welcome {
                    log,
                    head,
                    cursor,
                    membership_len,
                },
            ) => {
                self.state = State::Ready;
                self.their_log = Some(log);
                self.their_head = head;
                self.recv_cursor = ctx.log.cursor(&self.peer_key(), &log);
                self.their_ack = cursor;
                self.sent_upto = cursor;
                self.peer_cursor_known = true;
                self.their_membership_len = membership_len;
                self.send_membership(ctx.membership, &mut step);
                self.send_want(ctx, &mut step);
                self.flush(ctx, &mut step)?;
            }
            (State::Ready, Frame::Push { entries, upto } | Frame::Deliver { entries, upto }) => {
                self.on_envelopes(entries, upto, ctx, &mut step)?;
            }
            (State::Ready, Frame::Ack { upto, skip_to }) => {
                self.their_ack = self.their_ack.max(upto);
                self.sent_upto = self.sent_upto.max(self.their_ack);
                self.in_flight = false;
                if let Some(skip) = skip_to
                    && skip > self.recv_cursor
                {
                    // The peer stored only our own envelopes since it last sent us
                    // anything: its log up to `skip` holds nothing we lack.
                    self.recv_cursor = skip;
                    self.their_head = self.their_head.max(skip);
                    if let Some(log) = self.their_log {
                        advance_cursor(ctx.log, &self.peer_key(), &log, skip)?;
                    }
                }
                self.flush(ctx, &mut step)?;
            }
            (
                State::Ready,
                Frame::Want {
                    cursor,
                    membership_len,
                },
            ) => {
                // The peer says how far it holds: resend anything after, even if sent.
                self.their_ack = cursor;
                self.sent_upto = cursor;
                self.in_flight = false;
                self.peer_cursor_known = true;
                self.their_membership_len = membership_len;
                self.send_membership(ctx.membership, &mut step);
                self.flush(ctx, &mut step)?;
            }
            (State::Ready, Frame::Membership { start, ops }) => {
                self.on_membership(start, ops, ctx, &mut step)?;
            }
            (State::Ready, Frame::Verdicts { verdicts }) => {
                let Some(device) = self.peer else {
                    let msg = "only a device may report checkpoint verdicts".to_owned();
                    self.refuse(&mut step, ErrorCode::Unexpected, msg);
                    return Ok(step);
                };
                ctx.log.record_verdicts(&device, &verdicts)?;
                step.send.push(Frame::VerdictsNoted {
                    count: u32::try_from(verdicts.len()).unwrap_or(u32::MAX),
                });
            }
            (State::Ready, Frame::VerdictsNoted { count }) => {
                step.verdicts_noted = Some(count);
            }
            (state, frame) => {
                let msg = format!("unexpected {} frame in state {state:?}", frame.name());
                self.refuse(&mut step, ErrorCode::Unexpected, msg);
            }
        }
        Ok(step)
    }

    #[allow(clippy::too_many_arguments)] // The `Hello` fields, unpacked.
    fn on_hello<L>(
        &mut self,
        protocol: u8,
        workspace: WorkspaceId,
        device: DeviceId,
        their_nonce: &[u8; 32],
        their_log: LogId,
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
        self.their_log = Some(their_log);
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
        entries: Vec<(u64, Envelope)>,
        upto: u64,
        ctx: &mut Ctx<'_, L>,
        step: &mut Step,
    ) -> Result<(), L::Error> {
        let Some(their_log) = self.their_log else {
            return Ok(());
        };
        let from = self.peer_key();
        // Whether the peer has been sent everything of ours so far: then what we store now
        // came from the peer itself, and it may skip over it in our log.
        let caught_up = !self.in_flight && self.sent_upto >= ctx.log.head();
        let mut reached = upto;
        for (pos, env) in entries {
            if pos <= self.recv_cursor {
                continue;
            }
            match ctx.log.held(&env) {
                Held::Stored => continue,
                Held::Covered | Held::No => {}
            }
            if let Err(e) = env.verify(&self.workspace) {
                let code = match e {
                    EnvelopeError::BadSignature { .. } => ErrorCode::BadSignature,
                    _ => ErrorCode::Malformed,
                };
                self.refuse(step, code, e.to_string());
                return Ok(());
            }
            match ctx.membership.state().authorize_envelope(env.header()) {
                Ok(()) => {}
                // Perhaps our membership log is behind: stop before it, and ask for it
                // again once the membership has caught up.
                Err(Denied::UnknownDevice(_) | Denied::UnknownEpoch { .. }) => {
                    reached = pos - 1;
                    self.held_back = true;
                    break;
                }
                // Written without the right to write: never stored or passed on.
                Err(Denied::Removed(_) | Denied::ReadOnly(_)) => continue,
            }
            match ctx.log.held(&env) {
                Held::No => {
                    ctx.log.append(&env, &from)?;
                    step.accepted.push(env);
                }
                Held::Covered => step.covered.push(env),
                Held::Stored => {}
            }
        }
        if reached > self.recv_cursor {
            self.recv_cursor = reached;
            advance_cursor(ctx.log, &from, &their_log, reached)?;
        }
        self.their_head = self.their_head.max(upto);
        let skip_to = (caught_up && ctx.log.head() > self.sent_upto).then(|| {
            self.sent_upto = ctx.log.head();
            self.their_ack = self.their_ack.max(self.sent_upto);
            self.sent_upto
        });
        step.send.push(Frame::Ack {
            upto: self.recv_cursor,
            skip_to,
        });
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
            && self.held_back
        {
            // Envelopes skipped for want of membership can come now.
            self.held_back = false;
            self.send_want(ctx, step);
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
        step.send.push(Frame::Want {
            cursor: self.recv_cursor,
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

    /// Sends the next batch of what the peer needs, unless one is unacknowledged. A batch
    /// whose envelopes were all skipped still goes (empty), so the peer's cursor moves.
    fn flush<L: EnvelopeLog>(
        &mut self,
        ctx: &mut Ctx<'_, L>,
        step: &mut Step,
    ) -> Result<(), L::Error> {
        if self.in_flight
            || self.their_log.is_none()
            || self.state != State::Ready
            || !self.peer_cursor_known
        {
            return Ok(());
        }
        if self.sent_upto >= ctx.log.head() {
            return Ok(());
        }
        let batch = ctx
            .log
            .read_after(self.sent_upto, &self.peer_key(), MAX_BATCH_BYTES)?;
        if batch.upto <= self.sent_upto {
            return Ok(());
        }
        self.in_flight = true;
        self.sent_upto = batch.upto;
        let (entries, upto) = (batch.entries, batch.upto);
        step.send.push(if self.initiator {
            Frame::Push { entries, upto }
        } else {
            Frame::Deliver { entries, upto }
        });
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
        self.send_membership(ctx.membership, &mut step);
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
                    self.sent_upto = self.their_ack;
                    self.send_want(ctx, &mut step);
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
