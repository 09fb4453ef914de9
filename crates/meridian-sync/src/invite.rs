//! Invites: a copy-pasteable code that lets one new device ask to join, and the join
//! request it sends back.
//!
//! The admin creates an [`Invite`] and records [`Op::InviteCreated`] (holding only the
//! blake3 hash of the secret). The new device decodes the code, connects to the relay
//! named in it and sends a [`JoinRequest`] carrying a proof keyed by the secret and its
//! own signature. The relay can check everything except the proof
//! ([`JoinRequest::check_public`]); the admin device, which kept the secret, runs
//! [`verify_join`] and then [`admit`] to append `InviteUsed` and `AddDevice` with the
//! epoch keys wrapped for the new device.

use std::collections::BTreeMap;
use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use ed25519_dalek::Signature;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use chacha20poly1305::aead::Aead;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};

use crate::codec;
use crate::ids::{DeviceId, InviteId, WorkspaceId};
use crate::keys::{DeviceKeys, DevicePublic, EpochKey, verify_signature};
use crate::membership::{
    MAX_NAME_BYTES, MembershipError, MembershipLog, MembershipState, Op, Role, SignedOp,
};

/// Every invite code starts with this (the `1` is the code format's version).
pub const INVITE_PREFIX: &str = "mrd1-";
/// Longest invite code accepted, in characters.
pub const MAX_INVITE_CODE_CHARS: usize = 2048;
/// Largest encoded join request accepted.
pub const MAX_JOIN_REQUEST_BYTES: usize = 4096;

const CHECKSUM_BYTES: usize = 4;
const PROOF_DOMAIN: &[u8] = b"meridian/join-proof/v1";
const SIGNATURE_DOMAIN: &[u8] = b"meridian/join-request/v1";
const PROFILE_DOMAIN: &str = "meridian/join-profile/v1";
/// A sealed profile: two names of up to [`MAX_NAME_BYTES`], their length prefixes and
/// the authentication tag.
const MAX_PROFILE_BYTES: usize = 2 * MAX_NAME_BYTES + 2 * 10 + 16;

/// The invite's 32-byte secret. Zeroized when dropped; `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct InviteSecret(pub [u8; 32]);

impl fmt::Debug for InviteSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteSecret(..)")
    }
}

impl InviteSecret {
    /// blake3 of the secret, as recorded in the membership log.
    pub fn hash(&self) -> [u8; 32] {
        *blake3::hash(&self.0).as_bytes()
    }
}

/// Everything a new device needs to reach the workspace and ask to join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// Where the relay is (`wss://host:port`).
    pub relay_url: String,
    /// SHA-256 fingerprint of the relay's self-signed certificate, if it has one.
    pub cert_pin: Option<[u8; 32]>,
    /// The workspace.
    pub workspace: WorkspaceId,
    /// The admin device that created the invite (and will approve the join).
    pub admin: DevicePublic,
    /// This invite.
    pub invite_id: InviteId,
    /// The secret proving the holder received the invite.
    pub secret: InviteSecret,
    /// When it stops working.
    pub expires_ms: i64,
}

/// Why an invite code could not be read. Each message says what the user should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteCodeError {
    /// Does not start with `mrd1-`.
    #[error("this is not a Meridian invite code (it should start with \"{INVITE_PREFIX}\")")]
    NotAnInvite,
    /// A later code format.
    #[error("this invite code uses format {0}, which this version does not read; update Meridian")]
    UnsupportedVersion(String),
    /// Too long to be an invite.
    #[error("this invite code is too long ({0} characters); copy only the code")]
    TooLong(usize),
    /// A character outside the code's alphabet.
    #[error(
        "invite code has an invalid character {character:?} at position {position}: copy the code again"
    )]
    BadCharacter {
        /// Position in the code, counting the prefix.
        position: usize,
        /// The character found.
        character: char,
    },
    /// Too short, or cut off.
    #[error("invite code is incomplete (cut off when copying?): copy the whole code again")]
    Truncated,
    /// The checksum does not match: a character was changed.
    #[error(
        "invite code checksum does not match: a character was mistyped or changed; copy the code again"
    )]
    Checksum,
    /// Checksum fine but the content is not an invite (a bug on the sending side).
    #[error("invite code is readable but its content is invalid: {0}")]
    Malformed(String),
}

fn checksum(payload: &[u8]) -> [u8; CHECKSUM_BYTES] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"meridian/invite-code/v1");
    hasher.update(payload);
    let mut out = [0u8; CHECKSUM_BYTES];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..CHECKSUM_BYTES]);
    out
}

impl Invite {
    /// A new invite with a fresh id and secret from the caller's random generator.
    pub fn new<R: CryptoRng + RngCore>(
        relay_url: &str,
        cert_pin: Option<[u8; 32]>,
        workspace: WorkspaceId,
        admin: DevicePublic,
        expires_ms: i64,
        rng: &mut R,
    ) -> Invite {
        let mut invite_id = InviteId([0; 16]);
        rng.fill_bytes(&mut invite_id.0);
        let mut secret = InviteSecret([0; 32]);
        rng.fill_bytes(&mut secret.0);
        Invite {
            relay_url: relay_url.to_owned(),
            cert_pin,
            workspace,
            admin,
            invite_id,
            secret,
            expires_ms,
        }
    }

    /// The op the admin appends to the membership log to make this invite usable.
    pub fn created_op(&self, role: Role) -> Op {
        Op::InviteCreated {
            invite: self.invite_id,
            secret_hash: self.secret.hash(),
            role,
            expires_ms: self.expires_ms,
        }
    }

    /// The code to copy, paste or put in a QR code: `mrd1-` then base64url of the
    /// invite and a 4-byte checksum.
    pub fn encode(&self) -> String {
        let mut bytes = codec::encode(self);
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum);
        format!("{INVITE_PREFIX}{}", BASE64URL_NOPAD.encode(&bytes))
    }

    /// Reads a code made by [`Invite::encode`]; surrounding whitespace is ignored.
    pub fn decode(code: &str) -> Result<Invite, InviteCodeError> {
        let code = code.trim();
        if code.chars().count() > MAX_INVITE_CODE_CHARS {
            return Err(InviteCodeError::TooLong(code.chars().count()));
        }
        let Some(body) = code.strip_prefix(INVITE_PREFIX) else {
            return match code.split_once('-') {
                Some((version, _)) if version.starts_with("mrd") => {
                    Err(InviteCodeError::UnsupportedVersion(version.to_owned()))
                }
                _ => Err(InviteCodeError::NotAnInvite),
            };
        };
        let bytes = BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|e| match e.kind {
                data_encoding::DecodeKind::Symbol => {
                    let position = INVITE_PREFIX.len() + e.position;
                    let character = code
                        .get(position..)
                        .and_then(|s| s.chars().next())
                        .unwrap_or('?');
                    InviteCodeError::BadCharacter {
                        position,
                        character,
                    }
                }
                // Non-zero trailing bits: the last character was changed.
                data_encoding::DecodeKind::Trailing => InviteCodeError::Checksum,
                _ => InviteCodeError::Truncated,
            })?;
        if bytes.len() <= CHECKSUM_BYTES {
            return Err(InviteCodeError::Truncated);
        }
        let (payload, sum) = bytes.split_at(bytes.len() - CHECKSUM_BYTES);
        if checksum(payload) != sum {
            return Err(InviteCodeError::Checksum);
        }
        codec::decode_exact(payload).map_err(|e| InviteCodeError::Malformed(e.to_string()))
    }
}

/// A new device's request to join, sent through the relay to the admin device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// The invite being used.
    pub invite: InviteId,
    /// The new device's public keys.
    pub device: DevicePublic,
    /// The member name and time zone the person chose, sealed under a key only the
    /// invite's holders can derive: the relay passes the request on without reading them.
    pub profile: Vec<u8>,
    /// keyed blake3 of (workspace ‖ invite ‖ device keys) under the invite secret.
    pub proof: [u8; 32],
    /// The new device's signature over all the fields above.
    pub signature: Signature,
}

/// Why a join request was refused. Each kind is distinct so the app can say what happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// For another workspace.
    #[error("this join request is for workspace {got}, not {expected}")]
    WrongWorkspace {
        /// This workspace.
        expected: WorkspaceId,
        /// The request's workspace.
        got: WorkspaceId,
    },
    /// The invite is not in the membership log.
    #[error("invite {0} is unknown: it was never created here, or the log is not synced yet")]
    UnknownInvite(InviteId),
    /// The invite has expired.
    #[error("invite {invite} expired at {expires_ms} ms; ask an admin for a new invite")]
    Expired {
        /// The invite.
        invite: InviteId,
        /// When it expired.
        expires_ms: i64,
    },
    /// The invite was used already (invites are single-use).
    #[error("invite {invite} was already used by device {by}; ask an admin for a new invite")]
    AlreadyUsed {
        /// The invite.
        invite: InviteId,
        /// Who used it.
        by: DeviceId,
    },
    /// The device is a member already.
    #[error("device {0} is already a member of this workspace")]
    AlreadyMember(DeviceId),
    /// The proof was not made with the invite's secret.
    #[error("the join request does not prove knowledge of the invite secret")]
    BadProof,
    /// The new device's signature does not verify.
    #[error("the join request's signature does not match device {0}")]
    BadSignature(DeviceId),
    /// Names or time zone too long.
    #[error("member name and time zone are limited to {MAX_NAME_BYTES} bytes each")]
    NameTooLong,
    /// The sealed member name and time zone do not open with the invite secret.
    #[error("the join request's member name cannot be read with this invite's secret")]
    BadProfile,
    /// Not a valid encoding.
    #[error("join request is malformed: {0}")]
    Malformed(String),
    /// Appending the admission to the log failed.
    #[error(transparent)]
    Membership(#[from] MembershipError),
}

fn proof(
    secret: &InviteSecret,
    workspace: &WorkspaceId,
    invite: &InviteId,
    device: &DevicePublic,
) -> [u8; 32] {
    let mut msg = PROOF_DOMAIN.to_vec();
    msg.extend_from_slice(&workspace.0);
    msg.extend_from_slice(&invite.0);
    msg.extend_from_slice(&device.id.0);
    msg.extend_from_slice(&device.dh);
    *blake3::keyed_hash(&secret.0, &msg).as_bytes()
}

impl JoinRequest {
    /// The request a new device sends after decoding `invite`.
    pub fn new(invite: &Invite, keys: &DeviceKeys, member_name: &str, tz: &str) -> JoinRequest {
        let device = keys.public();
        let proof = proof(
            &invite.secret,
            &invite.workspace,
            &invite.invite_id,
            &device,
        );
        let mut req = JoinRequest {
            workspace: invite.workspace,
            invite: invite.invite_id,
            device,
            profile: seal_profile(&invite.secret, &device.id, member_name, tz),
            proof,
            signature: Signature::from_bytes(&[0; 64]),
        };
        req.signature = keys.sign(&req.signed_bytes());
        req
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut msg = SIGNATURE_DOMAIN.to_vec();
        let fields = (
            &self.workspace,
            &self.invite,
            &self.device,
            &self.profile,
            &self.proof,
        );
        msg.extend_from_slice(&codec::encode(&fields));
        msg
    }

    /// The wire encoding.
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Decodes a request, refusing oversized input before parsing.
    pub fn decode(bytes: &[u8]) -> Result<JoinRequest, JoinError> {
        if bytes.len() > MAX_JOIN_REQUEST_BYTES {
            return Err(JoinError::Malformed(format!(
                "{} bytes; the limit is {MAX_JOIN_REQUEST_BYTES}",
                bytes.len()
            )));
        }
        codec::decode_exact(bytes).map_err(|e| JoinError::Malformed(e.to_string()))
    }

    /// Every check that needs no secret: workspace, signature, names, and that the invite
    /// exists, is unused and unexpired at `now_ms`. The relay runs this before passing the
    /// request to the admin.
    pub fn check_public(&self, state: &MembershipState, now_ms: i64) -> Result<Role, JoinError> {
        if let Some(expected) = state.workspace().filter(|w| *w != self.workspace) {
            return Err(JoinError::WrongWorkspace {
                expected,
                got: self.workspace,
            });
        }
        if self.profile.len() > MAX_PROFILE_BYTES {
            return Err(JoinError::NameTooLong);
        }
        if !verify_signature(&self.device.id, &self.signed_bytes(), &self.signature) {
            return Err(JoinError::BadSignature(self.device.id));
        }
        if state.can_read(&self.device.id) {
            return Err(JoinError::AlreadyMember(self.device.id));
        }
        let invite = state
            .invite(&self.invite)
            .ok_or(JoinError::UnknownInvite(self.invite))?;
        if let Some(by) = invite.used_by {
            return Err(JoinError::AlreadyUsed {
                invite: self.invite,
                by,
            });
        }
        if now_ms > invite.expires_ms {
            return Err(JoinError::Expired {
                invite: self.invite,
                expires_ms: invite.expires_ms,
            });
        }
        Ok(invite.role)
    }
}

/// The key sealing a join request's profile: only holders of the invite secret derive it,
/// and it is unique to the joining device, so one fixed nonce is never reused under it.
fn profile_cipher(secret: &InviteSecret, device: &DeviceId) -> XChaCha20Poly1305 {
    let mut material = secret.0.to_vec();
    material.extend_from_slice(&device.0);
    let key = zeroize::Zeroizing::new(blake3::derive_key(PROFILE_DOMAIN, &material));
    material.zeroize();
    XChaCha20Poly1305::new((&*key).into())
}

fn seal_profile(secret: &InviteSecret, device: &DeviceId, member_name: &str, tz: &str) -> Vec<u8> {
    let plain = zeroize::Zeroizing::new(codec::encode(&(member_name, tz)));
    profile_cipher(secret, device)
        .encrypt(&XNonce::default(), plain.as_slice())
        .expect("XChaCha20-Poly1305 encrypts a short profile")
}

impl JoinRequest {
    /// The member name and time zone, opened with the invite secret (the admin's side).
    pub fn open_profile(&self, secret: &InviteSecret) -> Result<(String, String), JoinError> {
        let plain = profile_cipher(secret, &self.device.id)
            .decrypt(&XNonce::default(), self.profile.as_slice())
            .map_err(|_| JoinError::BadProfile)?;
        let (name, tz): (String, String) =
            codec::decode_exact(&plain).map_err(|_| JoinError::BadProfile)?;
        if name.len() > MAX_NAME_BYTES || tz.len() > MAX_NAME_BYTES {
            return Err(JoinError::NameTooLong);
        }
        Ok((name, tz))
    }
}

/// The admin's full check of a join request, with the invite secret it kept. Returns the
/// role the invite grants.
pub fn verify_join(
    state: &MembershipState,
    req: &JoinRequest,
    secret: &InviteSecret,
    now_ms: i64,
) -> Result<Role, JoinError> {
    let role = req.check_public(state, now_ms)?;
    let recorded = state.invite(&req.invite).map(|i| i.secret_hash);
    let expected = proof(secret, &req.workspace, &req.invite, &req.device);
    // blake3::Hash compares in constant time.
    let proof_ok = blake3::Hash::from(expected) == blake3::Hash::from(req.proof);
    if recorded != Some(secret.hash()) || !proof_ok {
        return Err(JoinError::BadProof);
    }
    req.open_profile(secret)?;
    Ok(role)
}

/// Admits a verified joiner as a device of `member` (the id the workspace knows the person
/// by): appends `InviteUsed` and `AddDevice` (with every epoch key in `epoch_keys` wrapped
/// for the new device) to `log`, signed by `admin`. Returns both ops to send to the relay;
/// applies neither if either fails.
#[allow(clippy::too_many_arguments)]
pub fn admit<R: CryptoRng + RngCore>(
    log: &mut MembershipLog,
    admin: &DeviceKeys,
    req: &JoinRequest,
    member: &str,
    secret: &InviteSecret,
    epoch_keys: &BTreeMap<u64, EpochKey>,
    now_ms: i64,
    rng: &mut R,
) -> Result<[SignedOp; 2], JoinError> {
    let role = verify_join(log.state(), req, secret, now_ms)?;
    let mut next = log.clone();
    let used = next.append(
        admin,
        Op::InviteUsed {
            invite: req.invite,
            device: req.device,
            member: member.to_owned(),
        },
        now_ms,
    )?;
    let added = next.add_device(admin, req.device, member, role, epoch_keys, now_ms, rng)?;
    *log = next;
    Ok([used, added])
}
