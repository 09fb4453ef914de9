//! Device identity keys, workspace epoch keys, per-document keys and key wrapping.
//!
//! A device has an Ed25519 key (its [`DeviceId`], used to sign envelopes, membership ops
//! and logins) and an X25519 key (epoch keys are wrapped to it with HPKE). Keys are built
//! from bytes drawn from the caller's random generator, so tests are deterministic.

use std::fmt;

use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use x25519_dalek::StaticSecret;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::ids::{DeviceId, DocumentId, WorkspaceId};

/// Length of [`DeviceKeys::to_secret_bytes`]: the Ed25519 seed then the X25519 secret.
pub const DEVICE_SECRET_BYTES: usize = 64;

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The recipient's X25519 key is unusable (a low-order point): its device record is bad.
    #[error("device {0} has an unusable X25519 key; it cannot receive workspace keys")]
    BadRecipientKey(DeviceId),
    /// The wrapped key was not made for this device, or was altered.
    #[error("the key for epoch {epoch} was not wrapped for this device ({device}) or was altered")]
    Unwrap {
        /// The epoch whose key failed to open.
        epoch: u64,
        /// The device that tried.
        device: DeviceId,
    },
    /// The membership log holds no key for this device and epoch.
    #[error("no key for epoch {epoch} was wrapped for device {device}")]
    NoKeyForEpoch {
        /// The epoch asked for.
        epoch: u64,
        /// The device asked for.
        device: DeviceId,
    },
}

/// A device's secret keys. Zeroized when dropped; `Debug` shows only the device id.
#[derive(Clone)]
pub struct DeviceKeys {
    signing: SigningKey,
    dh: StaticSecret,
}

/// A device's public keys, as recorded in the membership log.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DevicePublic {
    /// The Ed25519 public key, which is the device's id.
    pub id: DeviceId,
    /// The X25519 public key that epoch keys are wrapped to.
    pub dh: [u8; 32],
}

impl fmt::Debug for DevicePublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DevicePublic({})", self.id.short())
    }
}

impl fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKeys({})", self.id().short())
    }
}

impl DeviceKeys {
    /// New keys from 64 bytes of the caller's cryptographic random generator.
    pub fn generate<R: CryptoRng + RngCore>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; DEVICE_SECRET_BYTES]);
        rng.fill_bytes(&mut bytes[..]);
        Self::from_secret_bytes(&bytes)
    }

    /// Rebuilds keys saved with [`DeviceKeys::to_secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8; DEVICE_SECRET_BYTES]) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        let mut dh = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&bytes[..32]);
        dh.copy_from_slice(&bytes[32..]);
        DeviceKeys {
            signing: SigningKey::from_bytes(&seed),
            dh: StaticSecret::from(*dh),
        }
    }

    /// The secret bytes, for the key file or the OS keychain; zeroized when dropped.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; DEVICE_SECRET_BYTES]> {
        let mut out = Zeroizing::new([0u8; DEVICE_SECRET_BYTES]);
        out[..32].copy_from_slice(self.signing.as_bytes());
        out[32..].copy_from_slice(self.dh.as_bytes());
        out
    }

    /// This device's id (its Ed25519 public key).
    pub fn id(&self) -> DeviceId {
        DeviceId(self.signing.verifying_key().to_bytes())
    }

    /// The public half, to put in the membership log or an invite.
    pub fn public(&self) -> DevicePublic {
        DevicePublic {
            id: self.id(),
            dh: x25519_dalek::PublicKey::from(&self.dh).to_bytes(),
        }
    }

    /// The X25519 secret, for a device-to-device Noise handshake on the LAN (its public half
    /// is [`DevicePublic::dh`], as recorded in the membership log); zeroized when dropped.
    pub fn dh_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(*self.dh.as_bytes())
    }

    /// Signs a message. Callers prefix a domain tag so one signature never means two things.
    pub(crate) fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }
}

/// Checks an Ed25519 signature by `device` (strict verification: no malleable signatures).
pub(crate) fn verify_signature(device: &DeviceId, message: &[u8], signature: &Signature) -> bool {
    VerifyingKey::from_bytes(&device.0)
        .and_then(|key| key.verify_strict(message, signature))
        .is_ok()
}

/// A workspace content key for one epoch. Zeroized when dropped; `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct EpochKey([u8; 32]);

impl fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EpochKey(..)")
    }
}

impl EpochKey {
    /// A fresh key from the caller's cryptographic random generator.
    pub fn generate<R: CryptoRng + RngCore>(rng: &mut R) -> Self {
        let mut key = EpochKey([0; 32]);
        rng.fill_bytes(&mut key.0);
        key
    }

    /// A key from stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        EpochKey(bytes)
    }

    /// The raw bytes, zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0)
    }

    /// The key for one document in one epoch (HKDF-SHA256), so a leaked document key
    /// opens nothing else.
    pub fn doc_key(&self, workspace: &WorkspaceId, doc: &DocumentId, epoch: u64) -> DocKey {
        let hk = Hkdf::<Sha256>::new(Some(b"meridian/doc-key/v1"), &self.0);
        let mut info = [0u8; 40];
        info[..16].copy_from_slice(&workspace.0);
        info[16..32].copy_from_slice(&doc.0);
        info[32..].copy_from_slice(&epoch.to_be_bytes());
        let mut key = DocKey([0; 32]);
        hk.expand(&info, &mut key.0)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        key
    }
}

/// The key that seals one document's envelopes in one epoch.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DocKey([u8; 32]);

impl fmt::Debug for DocKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DocKey(..)")
    }
}

impl DocKey {
    pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }
}

/// An epoch key sealed to one device's X25519 key with HPKE (RFC 9180, base mode,
/// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// The HPKE encapsulated ephemeral public key.
    pub enc: [u8; 32],
    /// The sealed epoch key (32 bytes and a 16-byte tag).
    #[serde(with = "crate::codec::bytes")]
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WrappedKey(..)")
    }
}

/// Binds a wrapped key to its workspace, epoch and recipient, so a wrapped key cannot be
/// replayed as another epoch's or another device's.
fn wrap_info(workspace: &WorkspaceId, epoch: u64, recipient: &DevicePublic) -> Vec<u8> {
    let mut info = b"meridian/epoch-key/v1".to_vec();
    info.extend_from_slice(&workspace.0);
    info.extend_from_slice(&epoch.to_be_bytes());
    info.extend_from_slice(&recipient.id.0);
    info.extend_from_slice(&recipient.dh);
    info
}

/// Seals `key` (the key of `epoch` in `workspace`) so only `recipient` can open it.
pub fn wrap_epoch_key<R: CryptoRng + RngCore>(
    key: &EpochKey,
    workspace: &WorkspaceId,
    epoch: u64,
    recipient: &DevicePublic,
    rng: &mut R,
) -> Result<WrappedKey, KeyError> {
    let bad = || KeyError::BadRecipientKey(recipient.id);
    let public =
        <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&recipient.dh).map_err(|_| bad())?;
    let info = wrap_info(workspace, epoch, recipient);
    let (enc, ciphertext) = hpke::single_shot_seal::<
        ChaCha20Poly1305,
        HkdfSha256,
        X25519HkdfSha256,
        R,
    >(&OpModeS::Base, &public, &info, &key.0, &[], rng)
    .map_err(|_| bad())?;
    let mut enc_bytes = [0u8; 32];
    enc_bytes.copy_from_slice(&enc.to_bytes());
    Ok(WrappedKey {
        enc: enc_bytes,
        ciphertext,
    })
}

/// Opens a key wrapped for `keys`' device by [`wrap_epoch_key`].
pub fn unwrap_epoch_key(
    wrapped: &WrappedKey,
    workspace: &WorkspaceId,
    epoch: u64,
    keys: &DeviceKeys,
) -> Result<EpochKey, KeyError> {
    let fail = || KeyError::Unwrap {
        epoch,
        device: keys.id(),
    };
    let secret = <X25519HkdfSha256 as hpke::Kem>::PrivateKey::from_bytes(keys.dh.as_bytes())
        .map_err(|_| fail())?;
    let enc = <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(&wrapped.enc)
        .map_err(|_| fail())?;
    let info = wrap_info(workspace, epoch, &keys.public());
    let plain = Zeroizing::new(
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &secret,
            &enc,
            &info,
            &wrapped.ciphertext,
            &[],
        )
        .map_err(|_| fail())?,
    );
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| fail())?;
    Ok(EpochKey(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn secret_bytes_round_trip() {
        let mut rng = StdRng::seed_from_u64(1);
        let keys = DeviceKeys::generate(&mut rng);
        let again = DeviceKeys::from_secret_bytes(&keys.to_secret_bytes());
        assert_eq!(keys.public(), again.public());
        assert_ne!(keys.public(), DeviceKeys::generate(&mut rng).public());
    }

    #[test]
    fn doc_keys_differ_by_workspace_doc_and_epoch() {
        let key = EpochKey::from_bytes([9; 32]);
        let ws = WorkspaceId([1; 16]);
        let doc = DocumentId([2; 16]);
        let base = key.doc_key(&ws, &doc, 1).0;
        assert_ne!(base, key.doc_key(&WorkspaceId([3; 16]), &doc, 1).0);
        assert_ne!(base, key.doc_key(&ws, &DocumentId([3; 16]), 1).0);
        assert_ne!(base, key.doc_key(&ws, &doc, 2).0);
        assert_eq!(base, key.doc_key(&ws, &doc, 1).0);
    }

    #[test]
    fn wrapped_keys_open_only_for_their_device_workspace_and_epoch() {
        let mut rng = StdRng::seed_from_u64(2);
        let alice = DeviceKeys::generate(&mut rng);
        let bob = DeviceKeys::generate(&mut rng);
        let ws = WorkspaceId([1; 16]);
        let key = EpochKey::generate(&mut rng);
        let wrapped = wrap_epoch_key(&key, &ws, 3, &alice.public(), &mut rng).expect("wrap");
        assert_eq!(unwrap_epoch_key(&wrapped, &ws, 3, &alice), Ok(key));
        assert_eq!(
            unwrap_epoch_key(&wrapped, &ws, 3, &bob),
            Err(KeyError::Unwrap {
                epoch: 3,
                device: bob.id()
            })
        );
        assert!(unwrap_epoch_key(&wrapped, &ws, 4, &alice).is_err());
        assert!(unwrap_epoch_key(&wrapped, &WorkspaceId([2; 16]), 3, &alice).is_err());
    }

    #[test]
    fn a_low_order_recipient_key_is_refused() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut public = DeviceKeys::generate(&mut rng).public();
        public.dh = [0; 32];
        let key = EpochKey::generate(&mut rng);
        let err = wrap_epoch_key(&key, &WorkspaceId([1; 16]), 1, &public, &mut rng);
        assert_eq!(err, Err(KeyError::BadRecipientKey(public.id)));
    }
}
