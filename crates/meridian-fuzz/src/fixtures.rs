//! A small workspace made once per process from a fixed seed: an admin that created it, an
//! editor, a device that holds an invite, and the membership log that says so. Targets
//! that need valid signatures (the relay, join requests, membership ops) build on it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use meridian_sync::{
    DeviceKeys, EpochKey, Invite, JoinRequest, MembershipLog, Role, SignedOp, WorkspaceId,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// When the fixture's ops were signed (2023): before any verifier's clock.
pub(crate) const AT_MS: i64 = 1_700_000_000_000;

pub(crate) struct Fixture {
    pub(crate) workspace: WorkspaceId,
    /// 0: the admin that created the workspace; 1: an editor; 2: a device with an invite.
    pub(crate) devices: [DeviceKeys; 3],
    pub(crate) epoch_key: EpochKey,
    pub(crate) log: MembershipLog,
    pub(crate) invite: Invite,
    pub(crate) join: JoinRequest,
}

impl Fixture {
    pub(crate) fn ops(&self) -> Vec<SignedOp> {
        self.log.ops().to_vec()
    }
}

pub(crate) fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(21);
        let devices = [
            DeviceKeys::generate(&mut rng),
            DeviceKeys::generate(&mut rng),
            DeviceKeys::generate(&mut rng),
        ];
        let workspace = WorkspaceId([21; 16]);
        let epoch_key = EpochKey::generate(&mut rng);
        let mut log = MembershipLog::create(
            &devices[0],
            workspace,
            "Fuzzing",
            "ada",
            &epoch_key,
            AT_MS,
            &mut rng,
        )
        .expect("the fixture creates a workspace");
        let keys = BTreeMap::from([(1, epoch_key.clone())]);
        log.add_device(
            &devices[0],
            devices[1].public(),
            "bob",
            Role::Editor,
            &keys,
            AT_MS,
            &mut rng,
        )
        .expect("the fixture adds an editor");
        let invite = Invite::new(
            "wss://relay.invalid:7447",
            Some([7; 32]),
            workspace,
            devices[0].public(),
            i64::MAX / 2,
            &mut rng,
        );
        log.append(&devices[0], invite.created_op(Role::Editor), AT_MS)
            .expect("the fixture records an invite");
        let join = JoinRequest::new(&invite, &devices[2], "cy", "Europe/Paris");
        Fixture {
            workspace,
            devices,
            epoch_key,
            log,
            invite,
            join,
        }
    })
}
