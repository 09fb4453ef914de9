//! The membership log: what verifies, what is refused, and key rotation on removal.

use meridian_sync::membership::{Denied, EpochGrant, MembershipError as E, OpHash};
use meridian_sync::{
    DeviceKeys, DocumentId, Envelope, EnvelopeError, EpochKey, Header, InviteId, KeyError,
    MembershipLog, Op, Role, SignedOp, unwrap_epoch_key,
};

use crate::support::{T0, team};

fn invite_op(id: u8, expires_ms: i64) -> Op {
    Op::InviteCreated {
        invite: InviteId([id; 16]),
        secret_hash: [id; 32],
        role: Role::Editor,
        expires_ms,
    }
}

#[test]
fn a_valid_log_verifies_and_round_trips() {
    let t = team(1);
    let state = t.log.state();
    assert_eq!(state.workspace(), Some(t.ws));
    assert_eq!(state.workspace_name(), Some("Acme"));
    assert_eq!(state.epoch(), 1);
    assert_eq!(state.role(&t.admin.id()), Some(Role::Admin));
    assert!(state.can_write(&t.editor.id()) && state.can_read(&t.editor.id()));
    assert!(!state.can_write(&t.viewer.id()) && state.can_read(&t.viewer.id()));
    assert_eq!(state.admins().collect::<Vec<_>>(), vec![&t.admin.id()]);
    let again = MembershipLog::decode(&t.log.encode(), T0).expect("decode");
    assert_eq!(again.state(), t.log.state());
    assert_eq!(again.head(), t.log.head());
    // Every device recovers the same epoch key.
    for keys in [&t.admin, &t.editor, &t.viewer] {
        assert_eq!(state.current_key_for(keys).expect("unwrap"), t.key);
    }
}

#[test]
fn an_op_by_a_non_admin_is_refused() {
    let mut t = team(2);
    let err = t
        .log
        .append(&t.editor, invite_op(1, T0 + 1), T0)
        .expect_err("editor");
    assert_eq!(
        err,
        E::NotAdmin {
            author: t.editor.id(),
            role: Role::Editor
        }
    );
    let stranger = DeviceKeys::generate(&mut t.rng);
    let err = t
        .log
        .append(&stranger, invite_op(1, T0 + 1), T0)
        .expect_err("stranger");
    assert_eq!(err, E::UnknownDevice(stranger.id()));
}

#[test]
fn an_editor_cannot_escalate_its_role() {
    let mut t = team(3);
    let op = Op::ChangeRole {
        device: t.editor.id(),
        role: Role::Admin,
    };
    let err = t.log.append(&t.editor, op, T0).expect_err("escalation");
    assert_eq!(
        err,
        E::NotAdmin {
            author: t.editor.id(),
            role: Role::Editor
        }
    );
    assert_eq!(t.log.state().role(&t.editor.id()), Some(Role::Editor));
}

#[test]
fn a_broken_chain_is_refused() {
    let t = team(4);
    let mut log = t.log.clone();
    let stale = SignedOp::sign(OpHash([7; 32]), &t.admin, T0, invite_op(1, T0 + 1));
    let err = log.verify_and_apply(stale, T0).expect_err("wrong prev");
    assert_eq!(
        err,
        E::BrokenChain {
            index: 3,
            expected: t.log.head(),
            got: OpHash([7; 32])
        }
    );
    // Reordered ops break the chain as well.
    let mut ops = t.log.ops().to_vec();
    ops.swap(1, 2);
    assert!(matches!(
        MembershipLog::from_ops(ops, T0),
        Err(E::BrokenChain { index: 1, .. })
    ));
    // So does a missing op.
    let mut ops = t.log.ops().to_vec();
    ops.remove(1);
    assert!(matches!(
        MembershipLog::from_ops(ops, T0),
        Err(E::BrokenChain { index: 1, .. })
    ));
}

#[test]
fn a_forged_signature_is_refused() {
    let t = team(5);
    // Signed by the editor but claiming the admin wrote it.
    let mut forged = SignedOp::sign(t.log.head(), &t.editor, T0, invite_op(1, T0 + 1));
    forged.author = t.admin.id();
    let mut log = t.log.clone();
    assert_eq!(
        log.verify_and_apply(forged, T0),
        Err(E::BadSignature {
            index: 3,
            author: t.admin.id()
        })
    );
    // An admin op altered after signing.
    let mut altered = SignedOp::sign(t.log.head(), &t.admin, T0, invite_op(1, T0 + 1));
    altered.op = invite_op(1, T0 + 1_000_000);
    assert!(matches!(
        log.verify_and_apply(altered, T0),
        Err(E::BadSignature { .. })
    ));
    assert_eq!(log.len(), 3, "nothing was applied");
}

#[test]
fn an_op_by_a_removed_device_is_refused() {
    let mut t = team(6);
    let keys = t.log.state().epoch_keys_for(&t.admin).expect("keys");
    let second = DeviceKeys::generate(&mut t.rng);
    t.log
        .add_device(
            &t.admin,
            second.public(),
            "Bo",
            Role::Admin,
            &keys,
            T0,
            &mut t.rng,
        )
        .expect("add admin");
    let new_key = EpochKey::generate(&mut t.rng);
    t.log
        .remove_device_and_rotate(&t.admin, second.id(), &new_key, T0, &mut t.rng)
        .expect("remove");
    let err = t
        .log
        .append(&second, invite_op(1, T0 + 1), T0)
        .expect_err("removed author");
    assert_eq!(err, E::AuthorRemoved(second.id()));
    assert!(t.log.state().is_removed(&second.id()));
    assert_eq!(t.log.state().role(&second.id()), None);
}

#[test]
fn invites_cannot_be_replayed_or_used_after_expiry() {
    let mut t = team(7);
    t.log
        .append(&t.admin, invite_op(1, T0 + 1_000), T0)
        .expect("invite");
    let a = DeviceKeys::generate(&mut t.rng).public();
    let b = DeviceKeys::generate(&mut t.rng).public();
    let used = |device| Op::InviteUsed {
        invite: InviteId([1; 16]),
        device,
        member: "x".into(),
    };
    t.log.append(&t.admin, used(a), T0 + 10).expect("first use");
    let err = t
        .log
        .append(&t.admin, used(b), T0 + 20)
        .expect_err("replay");
    assert_eq!(
        err,
        E::InviteAlreadyUsed {
            invite: InviteId([1; 16]),
            by: a.id
        }
    );
    t.log
        .append(&t.admin, invite_op(2, T0 + 1_000), T0)
        .expect("second invite");
    let late = Op::InviteUsed {
        invite: InviteId([2; 16]),
        device: b,
        member: "x".into(),
    };
    let err = t
        .log
        .append(&t.admin, late, T0 + 1_001)
        .expect_err("expired");
    assert_eq!(
        err,
        E::InviteExpired {
            invite: InviteId([2; 16]),
            expires_ms: T0 + 1_000,
            at_ms: T0 + 1_001
        }
    );
    let unknown = Op::InviteUsed {
        invite: InviteId([3; 16]),
        device: b,
        member: "x".into(),
    };
    assert_eq!(
        t.log.append(&t.admin, unknown, T0).expect_err("unknown"),
        E::UnknownInvite(InviteId([3; 16]))
    );
    assert_eq!(
        t.log
            .append(&t.admin, invite_op(2, T0), T0)
            .expect_err("dup"),
        E::DuplicateInvite(InviteId([2; 16]))
    );
}

#[test]
fn removal_rotates_the_key_and_the_removed_device_cannot_read_the_new_epoch() {
    let mut t = team(8);
    let new_key = EpochKey::generate(&mut t.rng);
    let [remove, rotate] = t
        .log
        .remove_device_and_rotate(&t.admin, t.editor.id(), &new_key, T0, &mut t.rng)
        .expect("remove");
    assert!(matches!(remove.op, Op::RemoveDevice { .. }));
    assert!(matches!(rotate.op, Op::RotateKey { epoch: 2, .. }));
    let state = t.log.state();
    assert_eq!(state.epoch(), 2);
    for keys in [&t.admin, &t.viewer] {
        assert_eq!(
            state.current_key_for(keys).expect("remaining device"),
            new_key
        );
        assert_eq!(state.epoch_keys_for(keys).expect("all epochs").len(), 2);
    }
    assert!(state.wrapped_key_for(&t.editor.id(), 2).is_none());
    assert_eq!(
        state.current_key_for(&t.editor),
        Err(KeyError::NoKeyForEpoch {
            epoch: 2,
            device: t.editor.id()
        })
    );
    // Even with another device's wrapped key in hand, the removed device cannot open it.
    let viewers = state.wrapped_key_for(&t.viewer.id(), 2).expect("viewer's");
    assert!(unwrap_epoch_key(viewers, &t.ws, 2, &t.editor).is_err());
    // Content sealed in epoch 2 is closed to the old key.
    let header = Header::changes(DocumentId([1; 16]), 2, t.admin.id(), 1, 1, T0);
    let env = Envelope::seal(
        &t.ws,
        header,
        b"after removal",
        &t.admin,
        &new_key,
        &mut t.rng,
    )
    .expect("seal");
    let old = state.epoch_keys_for(&t.editor).expect("old epochs")[&1].clone();
    assert!(matches!(
        env.open(&t.ws, &old),
        Err(EnvelopeError::Decrypt { .. })
    ));
    assert_eq!(
        env.open(&t.ws, &new_key).expect("members read it"),
        b"after removal"
    );
}

#[test]
fn a_removal_must_be_followed_by_a_correct_rotation() {
    let mut t = team(9);
    let mut log = t.log.clone();
    log.append(
        &t.admin,
        Op::RemoveDevice {
            device: t.editor.id(),
        },
        T0,
    )
    .expect("remove alone");
    assert_eq!(
        log.append(&t.admin, invite_op(1, T0), T0)
            .expect_err("not a rotation"),
        E::RotationRequired
    );
    let bad_epoch = Op::RotateKey {
        epoch: 3,
        keys: Vec::new(),
    };
    assert_eq!(
        log.append(&t.admin, bad_epoch, T0).expect_err("epoch"),
        E::EpochNotNext {
            got: 3,
            expected: 2
        }
    );
    let missing = Op::RotateKey {
        epoch: 2,
        keys: Vec::new(),
    };
    assert_eq!(
        log.append(&t.admin, missing, T0).expect_err("recipients"),
        E::RotationRecipients {
            missing: 2,
            unexpected: 0
        }
    );
    // A rotation that still wraps for the removed device is refused too.
    let key = EpochKey::generate(&mut t.rng);
    let ws = t.ws;
    let wrap = |d: &DeviceKeys, rng: &mut _| {
        (
            d.id(),
            meridian_sync::wrap_epoch_key(&key, &ws, 2, &d.public(), rng).expect("wrap"),
        )
    };
    let keys = vec![
        wrap(&t.admin, &mut t.rng),
        wrap(&t.viewer, &mut t.rng),
        wrap(&t.editor, &mut t.rng),
    ];
    let err = log
        .append(&t.admin, Op::RotateKey { epoch: 2, keys }, T0)
        .expect_err("removed recipient");
    assert_eq!(
        err,
        E::RotationRecipients {
            missing: 0,
            unexpected: 1
        }
    );
}

#[test]
fn the_last_admin_cannot_leave_or_be_demoted() {
    let mut t = team(10);
    let op = Op::ChangeRole {
        device: t.admin.id(),
        role: Role::Editor,
    };
    assert_eq!(
        t.log.append(&t.admin, op, T0).expect_err("demote"),
        E::LastAdmin(t.admin.id())
    );
    let op = Op::RemoveDevice {
        device: t.admin.id(),
    };
    assert_eq!(
        t.log.append(&t.admin, op, T0).expect_err("self"),
        E::SelfRemoval
    );
}

#[test]
fn an_added_device_must_get_every_epoch_key() {
    let mut t = team(11);
    t.log
        .rotate_key(&t.admin, &EpochKey::generate(&mut t.rng), T0, &mut t.rng)
        .expect("rotate");
    let device = DeviceKeys::generate(&mut t.rng);
    let only_first = t
        .log
        .state()
        .wrapped_key_for(&t.admin.id(), 1)
        .expect("wrapped")
        .clone();
    let op = Op::AddDevice {
        device: device.public(),
        member: "Cy".into(),
        role: Role::Editor,
        keys: vec![EpochGrant {
            epoch: 1,
            key: only_first,
        }],
    };
    assert_eq!(
        t.log.append(&t.admin, op, T0).expect_err("keys"),
        E::MissingEpochKeys {
            device: device.id(),
            epoch: 2
        }
    );
    let keys = t.log.state().epoch_keys_for(&t.admin).expect("keys");
    t.log
        .add_device(
            &t.admin,
            device.public(),
            "Cy",
            Role::Editor,
            &keys,
            T0,
            &mut t.rng,
        )
        .expect("add");
    assert_eq!(
        t.log.state().epoch_keys_for(&device).expect("new device"),
        keys
    );
}

#[test]
fn envelope_authorship_follows_the_log() {
    let mut t = team(12);
    let header = |device: &DeviceKeys, epoch| {
        Header::changes(DocumentId([1; 16]), epoch, device.id(), 1, 1, T0)
    };
    let h_editor_1 = header(&t.editor, 1);
    let h_viewer_1 = header(&t.viewer, 1);
    let h_editor_2 = header(&t.editor, 2);
    let state = t.log.state();
    assert_eq!(state.authorize_envelope(&h_editor_1), Ok(()));
    assert_eq!(
        state.authorize_envelope(&h_viewer_1),
        Err(Denied::ReadOnly(t.viewer.id()))
    );
    assert_eq!(
        state.authorize_envelope(&h_editor_2),
        Err(Denied::UnknownEpoch { got: 2, current: 1 })
    );
    let stranger = DeviceKeys::generate(&mut t.rng);
    assert_eq!(
        state.authorize_envelope(&header(&stranger, 1)),
        Err(Denied::UnknownDevice(stranger.id()))
    );
    let key = EpochKey::generate(&mut t.rng);
    t.log
        .remove_device_and_rotate(&t.admin, t.editor.id(), &key, T0, &mut t.rng)
        .expect("remove");
    // What the editor wrote before its removal stays valid history; nothing after.
    assert_eq!(t.log.state().authorize_envelope(&h_editor_1), Ok(()));
    assert_eq!(
        t.log.state().authorize_envelope(&h_editor_2),
        Err(Denied::Removed(t.editor.id()))
    );
}

#[test]
fn ops_from_the_future_and_oversized_logs_are_refused() {
    let t = team(13);
    let mut log = t.log.clone();
    let op = SignedOp::sign(log.head(), &t.admin, T0 + 3_600_000, invite_op(1, T0));
    assert_eq!(
        log.verify_and_apply(op, T0),
        Err(E::FromTheFuture {
            at_ms: T0 + 3_600_000,
            now_ms: T0
        })
    );
    let huge = vec![0u8; meridian_sync::membership::MAX_LOG_BYTES + 1];
    assert!(matches!(
        MembershipLog::decode(&huge, T0),
        Err(E::TooLarge { .. })
    ));
    let headless = MembershipLog::from_ops(t.log.ops()[1..].to_vec(), T0);
    assert!(matches!(headless, Err(E::BrokenChain { index: 0, .. })));
}

#[test]
fn a_log_must_start_by_creating_the_workspace_once() {
    let t = team(14);
    let first = SignedOp::sign(OpHash::default(), &t.admin, T0, invite_op(1, T0));
    assert_eq!(
        MembershipLog::from_ops(vec![first], T0).expect_err("no creation"),
        E::NotCreated
    );
    let mut again = t.log.clone();
    let create = t.log.ops()[0].op.clone();
    assert!(matches!(create, Op::CreateWorkspace { .. }));
    let recreate = SignedOp::sign(again.head(), &t.admin, T0, create.clone());
    assert_eq!(again.verify_and_apply(recreate, T0), Err(E::AlreadyCreated));
    // The creator must sign its own creation.
    let stolen = SignedOp::sign(OpHash::default(), &t.editor, T0, create);
    assert_eq!(
        MembershipLog::from_ops(vec![stolen], T0).expect_err("stolen"),
        E::CreatorMismatch
    );
}
