//! Sealed envelopes: one batch of Automerge changes, or one snapshot, of one document.
//!
//! The body is sealed with XChaCha20-Poly1305 under the document's key for the epoch, with
//! the canonical header encoding as associated data, so a header cannot be moved to other
//! ciphertext (another workspace, document, epoch, author or sequence number). The author
//! then signs header ‖ nonce ‖ ciphertext with its Ed25519 key, so anyone holding the
//! membership log, the relay included, can check who wrote an envelope without opening it.
//!
//! Bodies are not compressed: Automerge already compresses its change and document
//! columns, and an uncompressed body needs no decompression bound.

use chacha20poly1305::XNonce;
use chacha20poly1305::aead::{Aead, Payload};
use ed25519_dalek::Signature;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::ids::{DeviceId, DocumentId, WorkspaceId};
use crate::keys::{DeviceKeys, EpochKey, verify_signature};

/// The envelope format this crate writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
/// The largest encoded envelope accepted, checked before any parsing.
pub const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;
/// The largest body that can be sealed; leaves room for the header, nonce, tag and signature.
pub const MAX_PLAINTEXT_BYTES: usize = MAX_ENVELOPE_BYTES - 4096;
/// Upper bound on an encoded envelope's size beyond its ciphertext.
pub(crate) const ENVELOPE_OVERHEAD: usize = 256;

const TAG_BYTES: usize = 16;
const SIGNATURE_DOMAIN: &[u8] = b"meridian/envelope/v1";

/// What an envelope's body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// Concatenated Automerge change chunks.
    Changes,
    /// A whole Automerge document (`save()` output).
    Snapshot,
}

/// The clear part of an envelope: authenticated, signed, readable by the relay.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Header {
    /// Always [`ENVELOPE_VERSION`] for envelopes this crate writes.
    pub version: u8,
    /// The workspace the envelope belongs to.
    pub workspace: WorkspaceId,
    /// The one document it changes.
    pub doc: DocumentId,
    /// The epoch whose key sealed it.
    pub epoch: u64,
    /// The author device.
    pub device: DeviceId,
    /// The author's sequence number: 1, 2, 3, … with no gaps, across all documents.
    pub seq: u64,
    /// What the body holds.
    pub kind: Kind,
    /// The author's clock when sealing (informational; nothing orders by it).
    pub created_ms: i64,
}

impl Header {
    /// A header for the current envelope format.
    pub fn new(
        workspace: WorkspaceId,
        doc: DocumentId,
        epoch: u64,
        device: DeviceId,
        seq: u64,
        kind: Kind,
        created_ms: i64,
    ) -> Self {
        Header {
            version: ENVELOPE_VERSION,
            workspace,
            doc,
            epoch,
            device,
            seq,
            kind,
            created_ms,
        }
    }

    /// The canonical encoding: the envelope's associated data, and the start of its
    /// encoding.
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self)
    }
}

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Bigger than [`MAX_ENVELOPE_BYTES`]; refused before parsing.
    #[error("envelope is {size} bytes; the limit is {max}")]
    TooLarge {
        /// The size offered.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A body bigger than [`MAX_PLAINTEXT_BYTES`]: split the changes or compact the document.
    #[error(
        "envelope body is {size} bytes; the limit is {max}: split the changes into smaller batches"
    )]
    PlaintextTooLarge {
        /// The size offered.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not a valid encoding.
    #[error("envelope is malformed: {0}")]
    Malformed(String),
    /// Written by a newer (or unknown) format.
    #[error(
        "envelope format {0} is not supported (this build reads version {ENVELOPE_VERSION}); update Meridian"
    )]
    UnsupportedVersion(u8),
    /// Sequence numbers start at 1.
    #[error("envelope sequence number must be at least 1")]
    ZeroSeq,
    /// The header names another device than the keys sealing it.
    #[error("header names device {header} but the envelope is being sealed by {signer}")]
    WrongAuthor {
        /// The device in the header.
        header: DeviceId,
        /// The device whose keys were given.
        signer: DeviceId,
    },
    /// The signature does not match the header's device: forged or altered in transit.
    #[error(
        "envelope {seq} claiming to be from device {device} has a bad signature: it was forged or altered"
    )]
    BadSignature {
        /// The device the header names.
        device: DeviceId,
        /// The sequence number the header claims.
        seq: u64,
    },
    /// Belongs to another workspace.
    #[error("envelope belongs to workspace {got}, not {expected}")]
    WrongWorkspace {
        /// The workspace the caller works in.
        expected: WorkspaceId,
        /// The workspace in the header.
        got: WorkspaceId,
    },
    /// The epoch key is wrong, or the ciphertext or header was altered.
    #[error(
        "envelope {seq} from device {device} (document {doc}, epoch {epoch}) could not be decrypted: wrong epoch key or altered contents"
    )]
    Decrypt {
        /// The device the header names.
        device: DeviceId,
        /// The sequence number.
        seq: u64,
        /// The document.
        doc: DocumentId,
        /// The epoch.
        epoch: u64,
    },
}

/// A sealed, signed envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    header: Header,
    nonce: [u8; 24],
    #[serde(with = "codec::bytes")]
    ciphertext: Vec<u8>,
    signature: Signature,
}

fn signed_message(header_bytes: &[u8], nonce: &[u8; 24], ciphertext: &[u8]) -> Vec<u8> {
    let mut msg =
        Vec::with_capacity(SIGNATURE_DOMAIN.len() + 4 + header_bytes.len() + 24 + ciphertext.len());
    msg.extend_from_slice(SIGNATURE_DOMAIN);
    let header_len = u32::try_from(header_bytes.len()).expect("a header is a few dozen bytes");
    msg.extend_from_slice(&header_len.to_be_bytes());
    msg.extend_from_slice(header_bytes);
    msg.extend_from_slice(nonce);
    msg.extend_from_slice(ciphertext);
    msg
}

impl Envelope {
    /// Seals `plaintext` under the document key derived from `key`, then signs it as `author`.
    pub fn seal<R: CryptoRng + RngCore>(
        header: Header,
        plaintext: &[u8],
        author: &DeviceKeys,
        key: &EpochKey,
        rng: &mut R,
    ) -> Result<Envelope, EnvelopeError> {
        if header.version != ENVELOPE_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(header.version));
        }
        if header.seq == 0 {
            return Err(EnvelopeError::ZeroSeq);
        }
        if header.device != author.id() {
            return Err(EnvelopeError::WrongAuthor {
                header: header.device,
                signer: author.id(),
            });
        }
        if plaintext.len() > MAX_PLAINTEXT_BYTES {
            return Err(EnvelopeError::PlaintextTooLarge {
                size: plaintext.len(),
                max: MAX_PLAINTEXT_BYTES,
            });
        }
        let header_bytes = codec::encode(&header);
        let mut nonce = [0u8; 24];
        rng.fill_bytes(&mut nonce);
        let cipher = key
            .doc_key(&header.workspace, &header.doc, header.epoch)
            .cipher();
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &header_bytes,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any body below its 256 GiB limit");
        let signature = author.sign(&signed_message(&header_bytes, &nonce, &ciphertext));
        Ok(Envelope {
            header,
            nonce,
            ciphertext,
            signature,
        })
    }

    /// The clear header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The author and sequence number, the envelope's identity in logs and vectors.
    pub fn key(&self) -> (DeviceId, u64) {
        (self.header.device, self.header.seq)
    }

    /// An upper bound of the encoded size, for batching.
    pub fn encoded_len_bound(&self) -> usize {
        self.ciphertext.len() + ENVELOPE_OVERHEAD
    }

    /// Checks that the envelope belongs to `workspace` and that its author (the header's
    /// device, whose id is its public key) signed it. Needs no content key: the relay
    /// calls this. Whether that device may write is the membership log's question.
    pub fn verify(&self, workspace: &WorkspaceId) -> Result<(), EnvelopeError> {
        self.check_format()?;
        if self.header.workspace != *workspace {
            return Err(EnvelopeError::WrongWorkspace {
                expected: *workspace,
                got: self.header.workspace,
            });
        }
        let msg = signed_message(&codec::encode(&self.header), &self.nonce, &self.ciphertext);
        if verify_signature(&self.header.device, &msg, &self.signature) {
            Ok(())
        } else {
            Err(EnvelopeError::BadSignature {
                device: self.header.device,
                seq: self.header.seq,
            })
        }
    }

    /// Verifies (as [`Envelope::verify`]) and decrypts the body with the epoch key named
    /// by the header's epoch.
    pub fn open(&self, workspace: &WorkspaceId, key: &EpochKey) -> Result<Vec<u8>, EnvelopeError> {
        self.verify(workspace)?;
        self.decrypt(key)
    }

    /// Decrypts the body without checking the signature again: only for envelopes already
    /// verified, such as those a [`crate::Session`] accepted or read back from the log.
    /// The AEAD still rejects a body or header altered since sealing.
    pub fn decrypt(&self, key: &EpochKey) -> Result<Vec<u8>, EnvelopeError> {
        let h = &self.header;
        let cipher = key.doc_key(&h.workspace, &h.doc, h.epoch).cipher();
        let aad = codec::encode(h);
        cipher
            .decrypt(
                XNonce::from_slice(&self.nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| EnvelopeError::Decrypt {
                device: h.device,
                seq: h.seq,
                doc: h.doc,
                epoch: h.epoch,
            })
    }

    /// The wire encoding (postcard).
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Decodes an envelope, refusing oversized input before parsing it.
    pub fn decode(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(EnvelopeError::TooLarge {
                size: bytes.len(),
                max: MAX_ENVELOPE_BYTES,
            });
        }
        let env: Envelope =
            codec::decode_exact(bytes).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        env.check_format()?;
        Ok(env)
    }

    /// Format checks that need no key: version, sequence number, body size.
    pub(crate) fn check_format(&self) -> Result<(), EnvelopeError> {
        if self.header.version != ENVELOPE_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(self.header.version));
        }
        if self.header.seq == 0 {
            return Err(EnvelopeError::ZeroSeq);
        }
        if self.ciphertext.len() > MAX_PLAINTEXT_BYTES + TAG_BYTES {
            return Err(EnvelopeError::TooLarge {
                size: self.encoded_len_bound(),
                max: MAX_ENVELOPE_BYTES,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Tampering tests that need the private fields: a malicious member re-signs an
    //! altered header with its own key, so only the AEAD binding can catch it.
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    struct Fixture {
        rng: StdRng,
        alice: DeviceKeys,
        key: EpochKey,
        env: Envelope,
    }

    fn fixture() -> Fixture {
        let mut rng = StdRng::seed_from_u64(11);
        let alice = DeviceKeys::generate(&mut rng);
        let key = EpochKey::generate(&mut rng);
        let header = Header::new(
            WorkspaceId([1; 16]),
            DocumentId([2; 16]),
            1,
            alice.id(),
            5,
            Kind::Changes,
            1_000,
        );
        let env = Envelope::seal(header, b"changes", &alice, &key, &mut rng).expect("seal");
        Fixture {
            rng,
            alice,
            key,
            env,
        }
    }

    fn resign(env: &mut Envelope, keys: &DeviceKeys) {
        let msg = signed_message(&codec::encode(&env.header), &env.nonce, &env.ciphertext);
        env.signature = keys.sign(&msg);
    }

    #[test]
    fn a_re_signed_altered_header_fails_decryption() {
        let mut f = fixture();
        let mallory = DeviceKeys::generate(&mut f.rng);
        type Edit = Box<dyn Fn(&mut Header)>;
        let edits: Vec<(&str, Edit)> = vec![
            ("doc", Box::new(|h| h.doc = DocumentId([9; 16]))),
            ("epoch", Box::new(|h| h.epoch = 2)),
            ("seq", Box::new(|h| h.seq = 6)),
            ("kind", Box::new(|h| h.kind = Kind::Snapshot)),
            ("created_ms", Box::new(|h| h.created_ms = 2_000)),
        ];
        for (field, edit) in edits {
            let mut env = f.env.clone();
            edit(&mut env.header);
            resign(&mut env, &f.alice);
            assert!(
                env.verify(&WorkspaceId([1; 16])).is_ok(),
                "{field}: signature is valid"
            );
            let err = env.open(&WorkspaceId([1; 16]), &f.key).expect_err(field);
            assert!(
                matches!(err, EnvelopeError::Decrypt { .. }),
                "{field}: {err}"
            );
        }
        // Claiming authorship: mallory re-signs alice's ciphertext under its own id.
        let mut env = f.env.clone();
        env.header.device = mallory.id();
        resign(&mut env, &mallory);
        let err = env
            .open(&WorkspaceId([1; 16]), &f.key)
            .expect_err("stolen authorship");
        assert!(matches!(err, EnvelopeError::Decrypt { .. }), "{err}");
        // Moving to another workspace also changes the derived key and the AAD.
        let mut env = f.env.clone();
        env.header.workspace = WorkspaceId([7; 16]);
        resign(&mut env, &f.alice);
        let err = env
            .open(&WorkspaceId([7; 16]), &f.key)
            .expect_err("moved workspace");
        assert!(matches!(err, EnvelopeError::Decrypt { .. }), "{err}");
    }

    #[test]
    fn a_zero_seq_or_future_version_is_refused_when_decoding() {
        let f = fixture();
        let mut env = f.env.clone();
        env.header.version = 2;
        assert_eq!(
            Envelope::decode(&env.encode()),
            Err(EnvelopeError::UnsupportedVersion(2))
        );
        let mut env = f.env;
        env.header.seq = 0;
        assert_eq!(Envelope::decode(&env.encode()), Err(EnvelopeError::ZeroSeq));
    }
}
