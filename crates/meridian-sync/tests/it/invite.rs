//! Invite codes and the join flow.

use meridian_sync::invite::{INVITE_PREFIX, InviteSecret};
use meridian_sync::{
    DeviceKeys, Invite, InviteCodeError, JoinError, JoinRequest, Role, WorkspaceId, admit,
    verify_join,
};

use crate::support::{T0, Team, team};

fn invite(t: &mut Team, expires_ms: i64) -> Invite {
    let invite = Invite::new(
        "wss://relay.example.org:7447",
        Some([9; 32]),
        t.ws,
        t.admin.public(),
        expires_ms,
        &mut t.rng,
    );
    t.log
        .append(&t.admin, invite.created_op(Role::Editor), T0)
        .expect("record invite");
    invite
}

#[test]
fn an_invite_code_round_trips() {
    let mut t = team(41);
    let inv = invite(&mut t, T0 + 60_000);
    let code = inv.encode();
    assert!(code.starts_with(INVITE_PREFIX), "{code}");
    assert!(
        code.len() < 400,
        "short enough to paste: {} chars",
        code.len()
    );
    assert_eq!(Invite::decode(&code), Ok(inv.clone()));
    assert_eq!(
        Invite::decode(&format!("  {code}\n")),
        Ok(inv),
        "surrounding whitespace is ignored"
    );
}

#[test]
fn any_one_character_typo_is_caught_by_the_checksum() {
    let mut t = team(42);
    let code = invite(&mut t, T0 + 60_000).encode();
    for (i, c) in code.char_indices().skip(INVITE_PREFIX.len()) {
        let replacement = if c == 'A' { 'B' } else { 'A' };
        let typo = format!("{}{replacement}{}", &code[..i], &code[i + 1..]);
        let err = Invite::decode(&typo).expect_err("typo");
        assert_eq!(err, InviteCodeError::Checksum, "typo at {i}");
    }
    let err = Invite::decode(&code.replacen('A', "B", 1)).expect_err("typo");
    assert!(err.to_string().contains("mistyped"), "{err}");
}

#[test]
fn damaged_codes_get_clear_errors() {
    let mut t = team(43);
    let code = invite(&mut t, T0 + 60_000).encode();
    let at = INVITE_PREFIX.len() + 10;
    let bad = format!("{}!{}", &code[..at], &code[at + 1..]);
    assert_eq!(
        Invite::decode(&bad),
        Err(InviteCodeError::BadCharacter {
            position: at,
            character: '!'
        })
    );
    let cut = &code[..code.len() - 5];
    assert!(matches!(
        Invite::decode(cut),
        Err(InviteCodeError::Truncated | InviteCodeError::Checksum)
    ));
    assert_eq!(Invite::decode("mrd1-"), Err(InviteCodeError::Truncated));
    assert_eq!(Invite::decode("hello"), Err(InviteCodeError::NotAnInvite));
    assert_eq!(
        Invite::decode(&code.replacen("mrd1-", "mrd2-", 1)),
        Err(InviteCodeError::UnsupportedVersion("mrd2".into()))
    );
    assert!(matches!(
        Invite::decode(&"A".repeat(5000)),
        Err(InviteCodeError::TooLong(5000))
    ));
}

#[test]
fn a_valid_join_is_admitted_with_every_epoch_key() {
    let mut t = team(44);
    t.log
        .rotate_key(
            &t.admin,
            &meridian_sync::EpochKey::generate(&mut t.rng),
            T0,
            &mut t.rng,
        )
        .expect("rotate");
    let inv = Invite::decode(&invite(&mut t, T0 + 60_000).encode()).expect("decode");
    let device = DeviceKeys::generate(&mut t.rng);
    let req =
        JoinRequest::decode(&JoinRequest::new(&inv, &device, "Grace", "Europe/Paris").encode())
            .expect("decode");
    assert_eq!(req.check_public(t.log.state(), T0 + 1), Ok(Role::Editor));
    assert_eq!(
        verify_join(t.log.state(), &req, &inv.secret, T0 + 1),
        Ok(Role::Editor)
    );
    let keys = t.log.state().epoch_keys_for(&t.admin).expect("admin keys");
    let [used, added] = admit(
        &mut t.log,
        &t.admin,
        &req,
        "member-grace",
        &inv.secret,
        &keys,
        T0 + 1,
        &mut t.rng,
    )
    .expect("admit");
    assert!(matches!(used.op, meridian_sync::Op::InviteUsed { .. }));
    assert!(matches!(
        added.op,
        meridian_sync::Op::AddDevice {
            role: Role::Editor,
            ..
        }
    ));
    let state = t.log.state();
    assert_eq!(state.role(&device.id()), Some(Role::Editor));
    assert_eq!(
        state.device(&device.id()).map(|d| d.member.as_str()),
        Some("member-grace")
    );
    assert_eq!(
        state
            .epoch_keys_for(&device)
            .expect("new device reads history"),
        keys
    );
    assert_eq!(keys.len(), 2);
    assert_eq!(state.open_invites(T0).count(), 0);
}

#[test]
fn join_failures_are_distinct() {
    let mut t = team(45);
    let inv = invite(&mut t, T0 + 60_000);
    let device = DeviceKeys::generate(&mut t.rng);
    let req = JoinRequest::new(&inv, &device, "Grace", "UTC");
    let state = t.log.state().clone();

    let late = T0 + 60_001;
    assert_eq!(
        verify_join(&state, &req, &inv.secret, late),
        Err(JoinError::Expired {
            invite: inv.invite_id,
            expires_ms: T0 + 60_000
        })
    );

    let wrong_secret = InviteSecret([1; 32]);
    assert_eq!(
        verify_join(&state, &req, &wrong_secret, T0),
        Err(JoinError::BadProof)
    );
    let mut forged_proof = req.clone();
    forged_proof.proof = [0; 32];
    let err = verify_join(&state, &forged_proof, &inv.secret, T0).expect_err("proof");
    assert_eq!(
        err,
        JoinError::BadSignature(device.id()),
        "the signature covers the proof"
    );

    let mut renamed = req.clone();
    renamed.profile[0] ^= 1;
    assert_eq!(
        verify_join(&state, &renamed, &inv.secret, T0),
        Err(JoinError::BadSignature(device.id()))
    );

    // A proof made for one device does not carry over to another (the signature binds it).
    let other = DeviceKeys::generate(&mut t.rng);
    let mut stolen = req.clone();
    stolen.device = other.public();
    assert_eq!(
        verify_join(&state, &stolen, &inv.secret, T0),
        Err(JoinError::BadSignature(other.id()))
    );

    let mut unknown = Invite::new(
        "wss://r",
        None,
        t.ws,
        t.admin.public(),
        T0 + 60_000,
        &mut t.rng,
    );
    unknown.secret = InviteSecret([2; 32]);
    let req_unknown = JoinRequest::new(&unknown, &device, "Grace", "UTC");
    assert_eq!(
        verify_join(&state, &req_unknown, &unknown.secret, T0),
        Err(JoinError::UnknownInvite(unknown.invite_id))
    );

    let mut elsewhere = inv.clone();
    elsewhere.workspace = WorkspaceId([0xee; 16]);
    let req_elsewhere = JoinRequest::new(&elsewhere, &device, "Grace", "UTC");
    assert_eq!(
        verify_join(&state, &req_elsewhere, &inv.secret, T0),
        Err(JoinError::WrongWorkspace {
            expected: t.ws,
            got: WorkspaceId([0xee; 16])
        })
    );

    // Used once: a replay of the same request, or another device with the same invite, fails.
    let keys = state.epoch_keys_for(&t.admin).expect("keys");
    admit(
        &mut t.log,
        &t.admin,
        &req,
        "member-grace",
        &inv.secret,
        &keys,
        T0,
        &mut t.rng,
    )
    .expect("first use");
    assert_eq!(
        verify_join(t.log.state(), &req, &inv.secret, T0),
        Err(JoinError::AlreadyMember(device.id()))
    );
    let again = JoinRequest::new(&inv, &other, "Other", "UTC");
    let err = admit(
        &mut t.log,
        &t.admin,
        &again,
        "member-grace",
        &inv.secret,
        &keys,
        T0,
        &mut t.rng,
    )
    .expect_err("replay");
    assert_eq!(
        err,
        JoinError::AlreadyUsed {
            invite: inv.invite_id,
            by: device.id()
        }
    );
    assert!(err.to_string().contains("new invite"), "{err}");
}

#[test]
fn a_relay_can_check_everything_but_the_proof() {
    let mut t = team(46);
    let inv = invite(&mut t, T0 + 60_000);
    let device = DeviceKeys::generate(&mut t.rng);
    let mut req = JoinRequest::new(&inv, &device, "Grace", "UTC");
    assert_eq!(req.check_public(t.log.state(), T0), Ok(Role::Editor));
    // The relay cannot read who is joining; the invite's holders can.
    assert!(!req.encode().windows(5).any(|w| w == b"Grace"));
    assert_eq!(
        req.open_profile(&inv.secret),
        Ok(("Grace".to_owned(), "UTC".to_owned()))
    );
    let other = invite(&mut t, T0 + 60_000);
    assert_eq!(req.open_profile(&other.secret), Err(JoinError::BadProfile));
    req.profile.push(0);
    assert_eq!(
        req.check_public(t.log.state(), T0),
        Err(JoinError::BadSignature(device.id()))
    );
}
