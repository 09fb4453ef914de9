//! Shared fixtures: a seeded generator and a small workspace with three devices.

use meridian_sync::{DeviceKeys, Envelope, EpochKey, Header, MembershipLog, Role, WorkspaceId};
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

/// `env` with its header replaced by `header` and signed again by `keys`, as a member
/// holding its own key (or a thief holding `keys`) could do: the signature is valid, so
/// only the AEAD's binding of the sealed header can catch it.
pub fn resign(ws: &WorkspaceId, env: &Envelope, header: &Header, keys: &DeviceKeys) -> Envelope {
    use ed25519_dalek::Signer;
    let bytes = env.encode();
    let old_header = env.header().encode();
    // The encoding is header ‖ nonce (24 bytes) ‖ ciphertext (length-prefixed) ‖ signature
    // (its last 64 bytes).
    let rest = &bytes[old_header.len()..bytes.len() - 64];
    let nonce = &rest[..24];
    let (len, prefix) = varint(&rest[24..]);
    let ciphertext = &rest[24 + prefix..24 + prefix + len];
    let new_header = header.encode();
    let mut msg = b"meridian/envelope/v2".to_vec();
    msg.extend_from_slice(&ws.0);
    msg.extend_from_slice(
        &u32::try_from(new_header.len())
            .expect("small")
            .to_be_bytes(),
    );
    msg.extend_from_slice(&new_header);
    msg.extend_from_slice(nonce);
    msg.extend_from_slice(ciphertext);
    let secret = keys.to_secret_bytes();
    let seed: [u8; 32] = secret[..32].try_into().expect("32 bytes");
    let signature = ed25519_dalek::SigningKey::from_bytes(&seed).sign(&msg);
    let mut out = new_header;
    out.extend_from_slice(rest);
    out.extend_from_slice(&signature.to_bytes());
    Envelope::decode(&out).expect("well-formed")
}

fn varint(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0usize;
    for (i, b) in bytes.iter().enumerate() {
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("truncated varint")
}
