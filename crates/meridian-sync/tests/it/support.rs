//! Shared fixtures: a seeded generator and a small workspace with three devices.

use meridian_sync::{DeviceKeys, EpochKey, MembershipLog, Role, WorkspaceId};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

pub const T0: i64 = 1_800_000_000_000;

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn workspace_id(rng: &mut StdRng) -> WorkspaceId {
    let mut id = WorkspaceId([0; 16]);
    rng.fill_bytes(&mut id.0);
    id
}

/// An admin, an editor and a viewer in one workspace at epoch 1.
pub struct Team {
    pub rng: StdRng,
    pub ws: WorkspaceId,
    pub admin: DeviceKeys,
    pub editor: DeviceKeys,
    pub viewer: DeviceKeys,
    pub log: MembershipLog,
    pub key: EpochKey,
}

pub fn team(seed: u64) -> Team {
    let mut rng = rng(seed);
    let ws = workspace_id(&mut rng);
    let admin = DeviceKeys::generate(&mut rng);
    let editor = DeviceKeys::generate(&mut rng);
    let viewer = DeviceKeys::generate(&mut rng);
    let key = EpochKey::generate(&mut rng);
    let mut log =
        MembershipLog::create(&admin, ws, "Acme", "Ada", &key, T0, &mut rng).expect("create");
    let keys = log.state().epoch_keys_for(&admin).expect("admin keys");
    log.add_device(
        &admin,
        editor.public(),
        "Ed",
        Role::Editor,
        &keys,
        T0,
        &mut rng,
    )
    .expect("add editor");
    log.add_device(
        &admin,
        viewer.public(),
        "Vi",
        Role::Viewer,
        &keys,
        T0,
        &mut rng,
    )
    .expect("add viewer");
    Team {
        rng,
        ws,
        admin,
        editor,
        viewer,
        log,
        key,
    }
}
