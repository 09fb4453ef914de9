//! The workspace's local-network key: what members share to recognise each other on a LAN.
//!
//! Derived from the workspace's *first* epoch key, which every member device holds (members
//! keep epochs 1..=current), so all of them derive the same key without another exchange.
//! A removed device keeps epoch 1 too: this key hides the workspace from strangers, it does
//! not keep former members out — the channel's handshake against the membership log does.

use std::fmt;

use hmac::digest::KeyInit;
use hmac::digest::generic_array::GenericArray;
use hmac::{Hmac, Mac};
use meridian_sync::WorkspaceId;
use meridian_sync::keys::EpochKey;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// HKDF salt of the LAN key (HKDF-SHA256 over the epoch-1 key, info = the workspace id).
const SALT: &[u8] = b"meridian/lan/v1";
/// HKDF info labels of the sub-keys, one per use, so a key never serves two purposes.
const PSK_LABEL: &[u8] = b"meridian/lan/v1/psk";
const TAG_LABEL: &[u8] = b"meridian/lan/v1/tag";
const SEAL_LABEL: &[u8] = b"meridian/lan/v1/seal";

/// The 32-byte local-network key of one workspace. Zeroized when dropped; `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct LanKey([u8; 32]);

impl fmt::Debug for LanKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LanKey(..)")
    }
}

impl LanKey {
    /// The workspace's LAN key: HKDF-SHA256(salt "meridian/lan/v1", key = the epoch-1 key,
    /// info = the workspace id).
    pub fn derive(epoch1: &EpochKey, workspace: &WorkspaceId) -> LanKey {
        LanKey(hkdf_sha256_32(SALT, &epoch1.to_bytes()[..], &workspace.0))
    }

    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> LanKey {
        LanKey(bytes)
    }

    /// The Noise pre-shared key of the device-to-device channel.
    pub fn psk(&self) -> [u8; 32] {
        self.sub_key(PSK_LABEL)
    }

    /// The key of the daily advert tag (HMAC-SHA256).
    pub(crate) fn tag_key(&self) -> SubKey {
        SubKey(self.sub_key(TAG_LABEL))
    }

    /// The key that seals the device id in an advert (XChaCha20-Poly1305).
    pub(crate) fn seal_key(&self) -> SubKey {
        SubKey(self.sub_key(SEAL_LABEL))
    }

    fn sub_key(&self, label: &[u8]) -> [u8; 32] {
        // HKDF-Expand of one block with the LAN key as the pseudo-random key.
        hmac_sha256(&self.0, &[label, &[1]])
    }
}

/// A key derived from the LAN key for one purpose. Zeroized when dropped.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct SubKey(pub(crate) [u8; 32]);

/// HMAC-SHA256 over the concatenation of `parts`, for keys of at most one block (64 bytes).
///
/// HMAC pads a short key with zeros to the block size, so building it from the padded block
/// is the same function — and infallible, unlike `new_from_slice`, which keeps `expect` out.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    let len = key.len().min(64);
    debug_assert_eq!(len, key.len(), "HMAC keys here are at most one block");
    block[..len].copy_from_slice(&key[..len]);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
    block.zeroize();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HKDF-SHA256 (RFC 5869) with a 32-byte output: extract, then one expand block.
fn hkdf_sha256_32(salt: &[u8], ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut prk = hmac_sha256(salt, &[ikm]);
    let okm = hmac_sha256(&prk, &[info, &[1]]);
    prk.zeroize();
    okm
}

#[cfg(test)]
mod tests {
    use hkdf::Hkdf;

    use super::*;

    fn workspace(n: u8) -> WorkspaceId {
        WorkspaceId([n; 16])
    }

    #[test]
    fn derivation_is_rfc_5869_hkdf_sha256() {
        let epoch1 = EpochKey::from_bytes([7; 32]);
        let ws = workspace(3);
        let hk = Hkdf::<Sha256>::new(Some(SALT), &[7; 32]);
        let mut lan = [0u8; 32];
        hk.expand(&ws.0, &mut lan).expect("32-byte output");
        assert_eq!(LanKey::derive(&epoch1, &ws), LanKey::from_bytes(lan));

        let hk = Hkdf::<Sha256>::from_prk(&lan).expect("32-byte PRK");
        let mut psk = [0u8; 32];
        hk.expand(PSK_LABEL, &mut psk).expect("32-byte output");
        assert_eq!(LanKey::from_bytes(lan).psk(), psk);
    }

    #[test]
    fn keys_differ_by_workspace_epoch_key_and_purpose() {
        let a = LanKey::derive(&EpochKey::from_bytes([1; 32]), &workspace(1));
        let b = LanKey::derive(&EpochKey::from_bytes([1; 32]), &workspace(2));
        let c = LanKey::derive(&EpochKey::from_bytes([2; 32]), &workspace(1));
        assert_ne!(a, b);
        assert_ne!(a, c);
        let subs = [a.psk(), a.tag_key().0, a.seal_key().0, a.0];
        for (i, x) in subs.iter().enumerate() {
            for y in &subs[i + 1..] {
                assert_ne!(x, y);
            }
        }
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let key = LanKey::from_bytes([0xab; 32]);
        assert_eq!(format!("{key:?}"), "LanKey(..)");
    }
}
