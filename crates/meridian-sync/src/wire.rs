//! Wire frames shared by the relay and clients (and LAN peers): one protocol-version byte,
//! then a postcard-encoded [`Frame`]. Sizes are checked before anything is parsed.

use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::envelope::{Envelope, EnvelopeError, MAX_ENVELOPE_BYTES};
use crate::ids::{DeviceId, WorkspaceId};
use crate::membership::SignedOp;
use crate::store::{LogId, Verdict};

/// The protocol version this crate speaks; the first byte of every frame. Version 1 numbered
/// envelopes per device only and exchanged version vectors; version 2 reads logs by
/// position and knows checkpoints.
pub const PROTOCOL_VERSION: u8 = 2;
/// The most checkpoint verdicts in one frame.
pub const MAX_VERDICTS_PER_FRAME: usize = 256;
/// The largest frame accepted, checked before decoding. One envelope always fits.
pub const MAX_FRAME_BYTES: usize = MAX_ENVELOPE_BYTES + 64 * 1024;
/// The most envelope bytes put in one `Push` or `Deliver` frame (a single larger
/// envelope still travels alone).
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// The most membership ops in one `Membership` frame.
pub const MAX_OPS_PER_FRAME: usize = 256;
/// The longest error message carried, in bytes.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;

/// A device's proof, in a `Challenge`, that it is who the initiator wanted to reach (LAN
/// peers; a relay is authenticated by its pinned TLS certificate instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerProof {
    /// The responding device.
    pub device: DeviceId,
    /// Its signature over the initiator's nonce and the workspace.
    pub signature: Signature,
}

/// What went wrong, for the other side's code to switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The peer speaks another protocol version.
    UnsupportedProtocol,
    /// A frame could not be decoded.
    Malformed,
    /// A frame or envelope is over the limits.
    TooLarge,
    /// The device is not a member of the workspace.
    NotAMember,
    /// The device was removed from the workspace.
    Removed,
    /// A login, envelope or peer proof had a bad signature.
    BadSignature,
    /// The frame names another workspace.
    WrongWorkspace,
    /// A frame arrived that the protocol does not allow at this point.
    Unexpected,
    /// A membership op conflicts with the log (re-create it on the current head).
    MembershipConflict,
    /// A membership op was refused.
    MembershipRejected,
    /// The relay limits how fast a device may send.
    RateLimited,
    /// The workspace's storage quota on the relay is used up.
    StorageFull,
    /// The handshake did not finish in time.
    Timeout,
    /// Something failed on the sending side.
    Internal,
    /// The relay does not know the invite (yet): the admin's device has not told it.
    UnknownInvite,
    /// A `Resume` was refused: forget the ticket and log in with `Hello`.
    TicketRefused,
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// Initiator → responder: who I am and where I want in.
    Hello {
        /// [`PROTOCOL_VERSION`].
        protocol: u8,
        /// The workspace.
        workspace: WorkspaceId,
        /// The initiating device.
        device: DeviceId,
        /// A fresh random nonce a device responder signs in its [`PeerProof`].
        nonce: [u8; 32],
        /// The initiator's log, so the responder can say how far into it it holds.
        log: LogId,
    },
    /// Responder → initiator: sign this to log in.
    Challenge {
        /// A fresh random nonce.
        nonce: [u8; 32],
        /// Present when the responder is a device (LAN); absent for a relay.
        peer: Option<PeerProof>,
    },
    /// Initiator → responder: the signed challenge.
    Login {
        /// Signature over the responder's nonce, the workspace and the device.
        signature: Signature,
    },
    /// Responder → initiator: logged in; where my log stands and how far into yours I hold.
    Welcome {
        /// The responder's log.
        log: LogId,
        /// The position of the responder's last envelope.
        head: u64,
        /// How far into the initiator's log the responder holds.
        cursor: u64,
        /// How many membership ops the responder holds.
        membership_len: u64,
    },
    /// Envelopes of the sender's log the receiver needs (sent by the initiator).
    Push {
        /// Positions in the sender's log, and the envelopes, in order.
        entries: Vec<(u64, Envelope)>,
        /// Everything up to this position was considered (skipped ones included).
        upto: u64,
    },
    /// The receiver now durably holds the sender's log up to `upto`.
    Ack {
        /// How far into the other side's log the sender of the `Ack` holds.
        upto: u64,
        /// Set when the `Ack`'s sender stored only the other side's own envelopes since it
        /// last sent: its log up to here holds nothing the other side lacks.
        skip_to: Option<u64>,
    },
    /// Send me your log after `cursor`.
    Want {
        /// How far into the receiver's log the sender holds.
        cursor: u64,
        /// How many membership ops the sender holds.
        membership_len: u64,
    },
    /// Envelopes of the sender's log the receiver needs (sent by the responder).
    Deliver {
        /// Positions in the sender's log, and the envelopes, in order.
        entries: Vec<(u64, Envelope)>,
        /// Everything up to this position was considered (skipped ones included).
        upto: u64,
    },
    /// Membership ops from position `start` on.
    Membership {
        /// Position of the first op in the log.
        start: u64,
        /// The ops, oldest first.
        ops: Vec<SignedOp>,
    },
    /// The sender gives up on the session; the message says what to do.
    Error {
        /// What went wrong.
        code: ErrorCode,
        /// For people.
        message: String,
    },
    /// The sender closes the session normally.
    Bye,
    /// Device → relay: checkpoints this device loaded and checked.
    Verdicts {
        /// At most [`MAX_VERDICTS_PER_FRAME`].
        verdicts: Vec<Verdict>,
    },
    /// Relay → device: the verdicts of the last `Verdicts` frame are stored.
    VerdictsNoted {
        /// How many.
        count: u32,
    },
    // ----- Relay-only frames: the relay and its clients handle these themselves, outside
    // [`crate::Session`] (a session refuses them as unexpected).
    /// First frame of a connection that registers a new workspace at a relay with the
    /// start of its membership log (creation and the creator's device). The relay verifies
    /// the log and answers [`Frame::Registered`] (also when it already holds the same
    /// workspace) or an `Error`; the client then sends `Hello` on the same connection.
    Register {
        /// The membership log from its first op.
        ops: Vec<SignedOp>,
    },
    /// The relay holds the workspace.
    Registered {
        /// The workspace.
        workspace: WorkspaceId,
    },
    /// First frame of a connection from a device holding an invite: an encoded
    /// [`crate::JoinRequest`]. The relay checks what it can without the secret
    /// ([`crate::JoinRequest::check_public`]), keeps it for the workspace's admin devices
    /// and answers [`Frame::JoinQueued`]; the device then retries `Hello` until an admin
    /// has added it.
    Join {
        /// `JoinRequest::encode()`.
        request: Vec<u8>,
    },
    /// The relay keeps the join request until an admin device handles it or it expires.
    JoinQueued,
    /// Relay → admin device, after `Welcome` and whenever one arrives: join requests waiting
    /// for approval (each `JoinRequest::encode()`). Requests are dropped once the log holds
    /// their `InviteUsed` op or the invite expired.
    JoinRequests {
        /// Encoded join requests.
        requests: Vec<Vec<u8>>,
    },
    /// Relay → device, right after the `Welcome` of a full login: a session ticket for the
    /// next connection ([`crate::resume`]).
    Ticket {
        /// Names the ticket at the relay.
        id: [u8; 16],
        /// The MAC key for `Resume` frames.
        secret: [u8; 32],
    },
    /// Device → relay, instead of `Hello`: resume with a ticket ([`crate::resume`]). The
    /// relay answers `Welcome`, or `Error` with [`ErrorCode::TicketRefused`].
    Resume {
        /// The ticket's id.
        ticket: [u8; 16],
        /// Above every counter used with this ticket before.
        counter: u64,
        /// [`crate::Ticket::mac`] of the counter.
        mac: [u8; 16],
    },
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Bigger than [`MAX_FRAME_BYTES`]; refused before parsing.
    #[error("frame is {size} bytes; the limit is {MAX_FRAME_BYTES}")]
    TooLarge {
        /// The size offered.
        size: usize,
    },
    /// No bytes at all.
    #[error("empty frame")]
    Empty,
    /// Another protocol version.
    #[error(
        "the peer speaks sync protocol {got}; this build speaks {PROTOCOL_VERSION}: update the older side"
    )]
    UnsupportedVersion {
        /// The version byte received.
        got: u8,
    },
    /// Not a valid encoding.
    #[error("frame is malformed: {0}")]
    Malformed(String),
    /// A frame carried an invalid envelope.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

impl WireError {
    /// The code to send back when refusing such a frame.
    pub fn code(&self) -> ErrorCode {
        match self {
            WireError::TooLarge { .. } => ErrorCode::TooLarge,
            WireError::UnsupportedVersion { .. } => ErrorCode::UnsupportedProtocol,
            WireError::Envelope(EnvelopeError::TooLarge { .. }) => ErrorCode::TooLarge,
            WireError::Empty | WireError::Malformed(_) | WireError::Envelope(_) => {
                ErrorCode::Malformed
            }
        }
    }
}

impl Frame {
    /// The frame's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Frame::Hello { .. } => "Hello",
            Frame::Challenge { .. } => "Challenge",
            Frame::Login { .. } => "Login",
            Frame::Welcome { .. } => "Welcome",
            Frame::Push { .. } => "Push",
            Frame::Ack { .. } => "Ack",
            Frame::Want { .. } => "Want",
            Frame::Deliver { .. } => "Deliver",
            Frame::Membership { .. } => "Membership",
            Frame::Error { .. } => "Error",
            Frame::Bye => "Bye",
            Frame::Verdicts { .. } => "Verdicts",
            Frame::VerdictsNoted { .. } => "VerdictsNoted",
            Frame::Register { .. } => "Register",
            Frame::Registered { .. } => "Registered",
            Frame::Join { .. } => "Join",
            Frame::JoinQueued => "JoinQueued",
            Frame::JoinRequests { .. } => "JoinRequests",
            Frame::Ticket { .. } => "Ticket",
            Frame::Resume { .. } => "Resume",
        }
    }

    /// An error frame, its message cut to [`MAX_ERROR_MESSAGE_BYTES`].
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Frame {
        let mut message = message.into();
        if message.len() > MAX_ERROR_MESSAGE_BYTES {
            let mut end = MAX_ERROR_MESSAGE_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        Frame::Error { code, message }
    }

    /// The version byte then the postcard body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![PROTOCOL_VERSION];
        out.extend_from_slice(&codec::encode(self));
        out
    }

    /// An `UnsupportedProtocol` error in the encoding of protocol version 1, which a
    /// device that has not been updated can still read: its message says to update.
    pub fn legacy_error(message: &str) -> Vec<u8> {
        // Version byte 1, then postcard: variant 9 (`Error`) of the version-1 `Frame`,
        // code 0 (`UnsupportedProtocol`), then the message as a string.
        let mut message = message.to_owned();
        if message.len() > MAX_ERROR_MESSAGE_BYTES {
            let mut end = MAX_ERROR_MESSAGE_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        let mut out = vec![1u8, 9, 0];
        out.extend_from_slice(&codec::encode(&message));
        out
    }

    /// Decodes a frame: size first, then the version byte, then the body, then the
    /// format of every envelope it carries.
    pub fn decode(bytes: &[u8]) -> Result<Frame, WireError> {
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(WireError::TooLarge { size: bytes.len() });
        }
        let (&version, body) = bytes.split_first().ok_or(WireError::Empty)?;
        if version != PROTOCOL_VERSION {
            return Err(WireError::UnsupportedVersion { got: version });
        }
        let frame: Frame =
            codec::decode_exact(body).map_err(|e| WireError::Malformed(e.to_string()))?;
        match &frame {
            Frame::Push { entries, upto } | Frame::Deliver { entries, upto } => {
                let mut last = 0;
                for (pos, env) in entries {
                    if *pos <= last || *pos > *upto {
                        return Err(WireError::Malformed(
                            "envelope positions must increase and end by upto".into(),
                        ));
                    }
                    last = *pos;
                    env.check_format()?;
                }
            }
            Frame::Verdicts { verdicts } if verdicts.len() > MAX_VERDICTS_PER_FRAME => {
                return Err(WireError::Malformed(format!(
                    "{} verdicts; the limit is {MAX_VERDICTS_PER_FRAME}",
                    verdicts.len()
                )));
            }
            Frame::Membership { ops, .. } if ops.len() > MAX_OPS_PER_FRAME => {
                return Err(WireError::Malformed(format!(
                    "{} membership ops; the limit is {MAX_OPS_PER_FRAME}",
                    ops.len()
                )));
            }
            Frame::Register { ops } if ops.len() > MAX_OPS_PER_FRAME => {
                return Err(WireError::Malformed(format!(
                    "{} membership ops; the limit is {MAX_OPS_PER_FRAME}",
                    ops.len()
                )));
            }
            Frame::JoinRequests { requests } if requests.len() > MAX_OPS_PER_FRAME => {
                return Err(WireError::Malformed(format!(
                    "{} join requests; the limit is {MAX_OPS_PER_FRAME}",
                    requests.len()
                )));
            }
            Frame::Error { message, .. } if message.len() > MAX_ERROR_MESSAGE_BYTES => {
                return Err(WireError::Malformed("error message too long".into()));
            }
            _ => {}
        }
        Ok(frame)
    }
}
