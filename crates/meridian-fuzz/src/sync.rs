//! Targets for what devices and the relay exchange: frames, envelopes, the membership log,
//! invite codes, join requests, and the key file a device keeps.

use meridian_sync::checkpoint::decode_body;
use meridian_sync::keyfile::{KdfParams, open_key_file, seal_key_file};
use meridian_sync::membership::{EpochGrant, MembershipLog, Op, SignedOp};
use meridian_sync::{DeviceKeys, Envelope, Frame, Invite, JoinRequest, WorkspaceId, verify_join};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::Input;
use crate::fixtures::{AT_MS, fixture};

/// A frame as a peer or the relay receives it: what decodes re-encodes to a frame that
/// decodes to the same value, every envelope it carries decodes alone, and every join
/// request it carries is at least safe to decode.
pub fn frame(data: &[u8]) {
    let Ok(frame) = Frame::decode(data) else {
        return;
    };
    let again = Frame::decode(&frame.encode()).expect("an encoded frame decodes");
    assert_eq!(again, frame, "a frame survives encode and decode");
    match &frame {
        Frame::Push { entries, .. } | Frame::Deliver { entries, .. } => {
            for (_, env) in entries {
                let alone = Envelope::decode(&env.encode()).expect("a carried envelope decodes");
                assert_eq!(&alone, env);
                let _ = env.header().checkpoint();
            }
        }
        Frame::Join { request } => {
            let _ = JoinRequest::decode(request);
        }
        Frame::JoinRequests { requests } => {
            for r in requests {
                let _ = JoinRequest::decode(r);
            }
        }
        _ => {}
    }
}

/// One envelope as stored or carried: decode, round trip, the header helpers, a
/// signature check, and the checkpoint body reader on the same bytes.
pub fn envelope(data: &[u8]) {
    if let Some((heads, saved)) = decode_body(data) {
        assert_eq!(4 + heads.len() * 32 + saved.len(), data.len());
    }
    let Ok(env) = Envelope::decode(data) else {
        return;
    };
    let again = Envelope::decode(&env.encode()).expect("an encoded envelope decodes");
    assert_eq!(again, env, "an envelope survives encode and decode");
    let h = env.header();
    if let Some((id, part)) = h.checkpoint() {
        assert!(id.seq + u64::from(part.part) == h.seq);
    }
    assert!(h.doc_seq().is_none_or(|s| s > 0));
    let _ = env.encoded_len_bound();
    let fx = fixture();
    if env.verify(&fx.workspace).is_ok() {
        // Signed by a fixture device (a seed, or a mutation the signature still covers):
        // it opens, or fails to decrypt with an error.
        let _ = env.open(&fx.workspace, &fx.epoch_key);
    }
    let elsewhere = WorkspaceId([0xee; 16]);
    assert!(
        env.verify(&elsewhere).is_err(),
        "a signature binds the workspace"
    );
}

/// A whole membership log as stored or sent: decode and verify, then round trip. With
/// the fixture's log as seed, mutations reach the verification of every op.
pub fn membership_log(data: &[u8]) {
    let Ok(log) = MembershipLog::decode(data, AT_MS) else {
        return;
    };
    let again = MembershipLog::decode(&log.encode(), AT_MS).expect("an encoded log verifies");
    assert_eq!(again.ops(), log.ops());
    assert_eq!(again.state(), log.state());
}

/// Membership rules beyond signatures: ops read from the input are re-signed by one of
/// the fixture's devices on the current head before they are applied, so every rule of
/// every kind of op (epochs, rotation, removal, invites, roles) is reached with valid
/// signatures. Whatever is accepted must replay to the same state.
pub fn membership_ops(data: &[u8]) {
    let fx = fixture();
    let mut input = Input::new(data);
    let mut log = fx.log.clone();
    let mut rng = StdRng::seed_from_u64(u64::from(input.byte()));
    let mut accepted = 0;
    while !input.is_empty() && accepted < 64 {
        let signer = &fx.devices[usize::from(input.byte() % 3)];
        let at_ms = AT_MS + i64::from(input.byte()) * 1000;
        let op = match input.byte() % 4 {
            // An op as encoded in the input (postcard, as in a log).
            0 => match decode_op(input.bytes(4096)) {
                Some(op) => op,
                None => continue,
            },
            // Well-formed ops about the fixture's devices, with fields from the input.
            1 => {
                let device = fx.devices[usize::from(input.byte() % 3)].id();
                Op::RemoveDevice { device }
            }
            2 => {
                let epoch = log.state().epoch() + u64::from(input.byte() % 3);
                let key = meridian_sync::EpochKey::generate(&mut rng);
                let ws = log.state().workspace().unwrap_or(fx.workspace);
                let recipients: Vec<_> = fx
                    .devices
                    .iter()
                    .filter(|_| !input.one_in(4))
                    .filter_map(|d| {
                        meridian_sync::wrap_epoch_key(&key, &ws, epoch, &d.public(), &mut rng)
                            .ok()
                            .map(|w| (d.id(), w))
                    })
                    .collect();
                Op::RotateKey {
                    epoch,
                    keys: recipients,
                }
            }
            _ => {
                let device = &fx.devices[usize::from(input.byte() % 3)];
                let ws = log.state().workspace().unwrap_or(fx.workspace);
                let keys = (1..=u64::from(input.byte() % 4))
                    .filter_map(|epoch| {
                        meridian_sync::wrap_epoch_key(
                            &fx.epoch_key,
                            &ws,
                            epoch,
                            &device.public(),
                            &mut rng,
                        )
                        .ok()
                        .map(|key| EpochGrant { epoch, key })
                    })
                    .collect();
                let role = match input.byte() % 3 {
                    0 => meridian_sync::Role::Admin,
                    1 => meridian_sync::Role::Editor,
                    _ => meridian_sync::Role::Viewer,
                };
                if input.one_in(2) {
                    Op::ChangeRole {
                        device: device.id(),
                        role,
                    }
                } else {
                    Op::AddDevice {
                        device: device.public(),
                        member: "someone".into(),
                        role,
                        keys,
                    }
                }
            }
        };
        let signed = SignedOp::sign(log.head(), signer, at_ms, op);
        if log.verify_and_apply(signed, at_ms).is_ok() {
            accepted += 1;
        }
    }
    let replayed = MembershipLog::from_ops(log.ops().to_vec(), i64::MAX)
        .expect("a log of accepted ops replays");
    assert_eq!(
        replayed.state(),
        log.state(),
        "replay derives the same state"
    );
    let decoded = MembershipLog::decode(&log.encode(), i64::MAX).expect("it decodes");
    assert_eq!(decoded.state(), log.state());
}

/// One op read from the input: the bytes of a signed op (postcard), read through the
/// frame that carries ops, so no private decoder is needed. Its signature is replaced.
fn decode_op(bytes: &[u8]) -> Option<Op> {
    // Version, variant 8 (`Membership`), start 0, one op.
    let mut frame = vec![meridian_sync::wire::PROTOCOL_VERSION, 8, 0, 1];
    frame.extend_from_slice(bytes);
    match Frame::decode(&frame) {
        Ok(Frame::Membership { mut ops, .. }) => ops.pop().map(|o| o.op),
        _ => None,
    }
}

/// An invite code as pasted: decode, round trip (the code is canonical: it encodes to the
/// same text, whitespace aside).
pub fn invite_code(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(invite) = Invite::decode(&text) else {
        return;
    };
    let code = invite.encode();
    assert_eq!(Invite::decode(&code).as_ref(), Ok(&invite));
}

/// A join request as the relay and then the admin device receive it: decode, round trip,
/// the relay's public checks and the admin's full check with the fixture's invite.
pub fn join_request(data: &[u8]) {
    let fx = fixture();
    let Ok(req) = JoinRequest::decode(data) else {
        return;
    };
    let again = JoinRequest::decode(&req.encode()).expect("an encoded request decodes");
    assert_eq!(again, req);
    let state = fx.log.state();
    let public = req.check_public(state, AT_MS);
    let full = verify_join(state, &req, &fx.invite.secret, AT_MS);
    if full.is_ok() {
        assert!(
            public.is_ok(),
            "the admin accepts only what the relay accepts"
        );
        assert!(req.open_profile(&fx.invite.secret).is_ok());
    }
    if req == fx.join {
        assert!(full.is_ok(), "the fixture's own request is accepted");
    }
}

/// A key file: the header and costs are read from the input, but a cost above a few KiB
/// and one pass is lowered first (a hostile cost is refused before hashing, which the
/// unit tests check; here it would only slow the fuzzer down). Whatever opens must seal
/// and open again to the same keys.
pub fn key_file(data: &[u8]) {
    let mut file = data.to_vec();
    if file.len() >= 19 {
        let memory = u32::from_le_bytes([file[7], file[8], file[9], file[10]]);
        if memory > 64 {
            file[7..11].copy_from_slice(&(memory % 64).to_le_bytes());
        }
        let iterations = u32::from_le_bytes([file[11], file[12], file[13], file[14]]);
        if iterations > 2 {
            file[11..15].copy_from_slice(&(iterations % 3).to_le_bytes());
        }
        let lanes = u32::from_le_bytes([file[15], file[16], file[17], file[18]]);
        if lanes > 2 {
            file[15..19].copy_from_slice(&(lanes % 3).to_le_bytes());
        }
    }
    let passphrase = b"correct horse";
    let Ok(keys) = open_key_file(&file, passphrase) else {
        return;
    };
    let params = KdfParams {
        memory_kib: 8,
        iterations: 1,
        lanes: 1,
    };
    let mut rng = StdRng::seed_from_u64(1);
    let sealed = seal_key_file(&keys, passphrase, params, &mut rng).expect("cheap params seal");
    let back: DeviceKeys = open_key_file(&sealed, passphrase).expect("a sealed file opens");
    assert_eq!(back.id(), keys.id());
}
