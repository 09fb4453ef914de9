//! Sealed envelopes: one batch of Automerge changes of one document, or one part of a
//! document's checkpoint.
//!
//! The body is sealed with XChaCha20-Poly1305 under the document's key for the epoch, with
//! the workspace and the canonical header encoding as associated data, so a header cannot
//! be moved to other ciphertext (another workspace, document, epoch, author or sequence
//! number). The author then signs workspace ‖ header ‖ nonce ‖ ciphertext with its Ed25519
//! key, so anyone holding the membership log, the relay included, can check who wrote an
//! envelope without opening it. The workspace is not on the wire: both sides of a
//! connection know it, and it is bound by the AAD and the signature.
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
use crate::vector::VersionVector;

/// The envelope format this crate writes and reads (1: numbered per device only, with the
/// workspace in the header; 2: also numbered per document, with checkpoints).
pub const ENVELOPE_VERSION: u8 = 2;
/// The largest encoded envelope accepted, checked before any parsing.
pub const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;
/// The largest body that can be sealed; leaves room for the header, nonce, tag and signature.
pub const MAX_PLAINTEXT_BYTES: usize = MAX_ENVELOPE_BYTES - 64 * 1024;
/// The most parts one checkpoint may have (a document of up to about 256 MiB).
pub const MAX_CHECKPOINT_PARTS: u32 = 64;
/// The most devices a checkpoint's coverage may name.
pub const MAX_COVERS: usize = 4096;
/// Upper bound on an encoded envelope's size beyond its ciphertext and coverage.
pub(crate) const ENVELOPE_OVERHEAD: usize = 256;

const TAG_BYTES: usize = 16;
const SIGNATURE_DOMAIN: &[u8] = b"meridian/envelope/v2";

/// One part of a checkpoint: together, the parts' bodies (in part order) are a saved
/// Automerge document holding every change of every `Changes` envelope of the document
/// whose `(author, doc_seq)` is within `covers`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CheckpointPart {
    /// Per author device, the highest per-document sequence number covered.
    pub covers: VersionVector,
    /// This part's index, from 0. Parts are sealed with consecutive sequence numbers, so
    /// the checkpoint's identity is its author and `seq - part`.
    pub part: u32,
    /// How many parts the checkpoint has.
    pub parts: u32,
}

/// What an envelope's body holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// Automerge changes of the document (or, the first time, the whole saved document):
    /// the author's `doc_seq`-th envelope of this document.
    Changes {
        /// 1, 2, 3, … per (author, document), with no gaps.
        doc_seq: u64,
    },
    /// One part of a checkpoint of the document.
    Checkpoint(CheckpointPart),
}

/// A checkpoint's identity: its author and the sequence number of its first part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CheckpointId {
    /// The device that sealed it.
    pub author: DeviceId,
    /// The sequence number of its part 0.
    pub seq: u64,
}

impl std::fmt::Display for CheckpointId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.author.short(), self.seq)
    }
}

/// The clear part of an envelope: authenticated, signed, readable by the relay.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Header {
    /// Always [`ENVELOPE_VERSION`] for envelopes this crate writes.
    pub version: u8,
    /// The one document it changes.
    pub doc: DocumentId,
    /// The epoch whose key sealed it.
    pub epoch: u64,
    /// The author device.
    pub device: DeviceId,
    /// The author's sequence number: 1, 2, 3, … across all documents; the envelope's
    /// identity with `device`.
    pub seq: u64,
    /// What the body holds.
    pub kind: Kind,
    /// The author's clock when sealing, in seconds (informational; nothing orders by it).
    pub created_s: i64,
}

impl Header {
    /// A header for a batch of changes, the author's `doc_seq`-th of `doc`.
    pub fn changes(
        doc: DocumentId,
        epoch: u64,
        device: DeviceId,
        seq: u64,
        doc_seq: u64,
        created_ms: i64,
    ) -> Self {
        Self::new(
            doc,
            epoch,
            device,
            seq,
            Kind::Changes { doc_seq },
            created_ms,
        )
    }

    /// A header for the current envelope format.
    pub fn new(
        doc: DocumentId,
        epoch: u64,
        device: DeviceId,
        seq: u64,
        kind: Kind,
        created_ms: i64,
    ) -> Self {
        Header {
            version: ENVELOPE_VERSION,
            doc,
            epoch,
            device,
            seq,
            kind,
            created_s: created_ms.div_euclid(1000),
        }
    }

    /// The canonical encoding: with the workspace, the envelope's associated data.
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// The per-document sequence number of a `Changes` envelope.
    pub fn doc_seq(&self) -> Option<u64> {
        match self.kind {
            Kind::Changes { doc_seq } => Some(doc_seq),
            Kind::Checkpoint(_) => None,
        }
    }

    /// The checkpoint part this envelope carries, if any.
    pub fn checkpoint(&self) -> Option<(CheckpointId, &CheckpointPart)> {
        match &self.kind {
            Kind::Checkpoint(part) => Some((
                CheckpointId {
                    author: self.device,
                    seq: self.seq - u64::from(part.part),
                },
                part,
            )),
            Kind::Changes { .. } => None,
        }
    }
}

fn aad(workspace: &WorkspaceId, header_bytes: &[u8]) -> Vec<u8> {
    [workspace.0.as_slice(), header_bytes].concat()
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
    /// A `Changes` envelope numbered 0 in its document, or a checkpoint whose parts or
    /// coverage do not add up.
    #[error("envelope header is inconsistent: {0}")]
    BadHeader(&'static str),
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

fn signed_message(
    workspace: &WorkspaceId,
    header_bytes: &[u8],
    nonce: &[u8; 24],
    ciphertext: &[u8],
) -> Vec<u8> {
    let mut msg = Vec::with_capacity(
        SIGNATURE_DOMAIN.len() + 16 + 4 + header_bytes.len() + 24 + ciphertext.len(),
    );
    msg.extend_from_slice(SIGNATURE_DOMAIN);
    msg.extend_from_slice(&workspace.0);
    let header_len = u32::try_from(header_bytes.len()).expect("a header is a few dozen bytes");
    msg.extend_from_slice(&header_len.to_be_bytes());
    msg.extend_from_slice(header_bytes);
    msg.extend_from_slice(nonce);
    msg.extend_from_slice(ciphertext);
    msg
}

impl Envelope {
    /// Seals `plaintext` for `workspace` under the document key derived from `key`, then
    /// signs it as `author`.
    pub fn seal<R: CryptoRng + RngCore>(
        workspace: &WorkspaceId,
        header: Header,
        plaintext: &[u8],
        author: &DeviceKeys,
        key: &EpochKey,
        rng: &mut R,
    ) -> Result<Envelope, EnvelopeError> {
        check_header(&header)?;
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
        let cipher = key.doc_key(workspace, &header.doc, header.epoch).cipher();
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad(workspace, &header_bytes),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any body below its 256 GiB limit");
        let signature = author.sign(&signed_message(
            workspace,
            &header_bytes,
            &nonce,
            &ciphertext,
        ));
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

    /// The author and sequence number, the envelope's identity in logs.
    pub fn key(&self) -> (DeviceId, u64) {
        (self.header.device, self.header.seq)
    }

    /// An upper bound of the encoded size, for batching.
    pub fn encoded_len_bound(&self) -> usize {
        let covers = match &self.header.kind {
            Kind::Checkpoint(part) => part.covers.len() * 48,
            Kind::Changes { .. } => 0,
        };
        self.ciphertext.len() + ENVELOPE_OVERHEAD + covers
    }

    /// Checks that its author (the header's device, whose id is its public key) signed it
    /// for `workspace`. Needs no content key: the relay calls this. Whether that device
    /// may write is the membership log's question.
    pub fn verify(&self, workspace: &WorkspaceId) -> Result<(), EnvelopeError> {
        self.check_format()?;
        let msg = signed_message(
            workspace,
            &codec::encode(&self.header),
            &self.nonce,
            &self.ciphertext,
        );
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
        self.decrypt(workspace, key)
    }

    /// Decrypts the body without checking the signature again: only for envelopes already
    /// verified, such as those a [`crate::Session`] accepted or read back from the log.
    /// The AEAD still rejects a body or header altered since sealing, or moved from
    /// another workspace.
    pub fn decrypt(
        &self,
        workspace: &WorkspaceId,
        key: &EpochKey,
    ) -> Result<Vec<u8>, EnvelopeError> {
        let h = &self.header;
        let cipher = key.doc_key(workspace, &h.doc, h.epoch).cipher();
        let header_bytes = codec::encode(h);
        cipher
            .decrypt(
                XNonce::from_slice(&self.nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: &aad(workspace, &header_bytes),
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
        if let Some(&version) = bytes.first()
            && version != ENVELOPE_VERSION
        {
            return Err(EnvelopeError::UnsupportedVersion(version));
        }
        let env: Envelope =
            codec::decode_exact(bytes).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        env.check_format()?;
        Ok(env)
    }

    /// Format checks that need no key: version, numbering, coverage, body size.
    pub(crate) fn check_format(&self) -> Result<(), EnvelopeError> {
        check_header(&self.header)?;
        if self.ciphertext.len() > MAX_PLAINTEXT_BYTES + TAG_BYTES {
            return Err(EnvelopeError::TooLarge {
                size: self.encoded_len_bound(),
                max: MAX_ENVELOPE_BYTES,
            });
        }
        Ok(())
    }
}

fn check_header(h: &Header) -> Result<(), EnvelopeError> {
    if h.version != ENVELOPE_VERSION {
        return Err(EnvelopeError::UnsupportedVersion(h.version));
    }
    if h.seq == 0 {
        return Err(EnvelopeError::ZeroSeq);
    }
    match &h.kind {
        Kind::Changes { doc_seq: 0 } => Err(EnvelopeError::BadHeader(
            "per-document sequence numbers start at 1",
        )),
        Kind::Changes { .. } => Ok(()),
        Kind::Checkpoint(part) => {
            if part.parts == 0 || part.parts > MAX_CHECKPOINT_PARTS {
                return Err(EnvelopeError::BadHeader(
                    "a checkpoint has between 1 and 64 parts",
                ));
            }
            if part.part >= part.parts || u64::from(part.part) >= h.seq {
                return Err(EnvelopeError::BadHeader(
                    "a checkpoint part's index is out of range",
                ));
            }
            if part.covers.is_empty() || part.covers.len() > MAX_COVERS {
                return Err(EnvelopeError::BadHeader(
                    "a checkpoint covers between 1 and 4096 devices",
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    //! Tampering tests that need the private fields: a malicious member re-signs an
    //! altered header with its own key, so only the AEAD binding can catch it.
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const WS: WorkspaceId = WorkspaceId([1; 16]);

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
        let header = Header::changes(DocumentId([2; 16]), 1, alice.id(), 5, 3, 1_000);
        let env = Envelope::seal(&WS, header, b"changes", &alice, &key, &mut rng).expect("seal");
        Fixture {
            rng,
            alice,
            key,
            env,
        }
    }

    fn resign(env: &mut Envelope, keys: &DeviceKeys) {
        let msg = signed_message(
            &WS,
            &codec::encode(&env.header),
            &env.nonce,
            &env.ciphertext,
        );
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
            (
                "doc_seq",
                Box::new(|h| h.kind = Kind::Changes { doc_seq: 4 }),
            ),
            ("created_s", Box::new(|h| h.created_s = 2)),
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
        // Another workspace: the signature covers the workspace, and so do the derived key
        // and the AAD.
        let env = f.env.clone();
        let other = WorkspaceId([7; 16]);
        assert!(matches!(
            env.verify(&other),
            Err(EnvelopeError::BadSignature { .. })
        ));
        let err = env.decrypt(&other, &f.key).expect_err("moved workspace");
        assert!(matches!(err, EnvelopeError::Decrypt { .. }), "{err}");
    }

    #[test]
    fn a_zero_seq_or_future_version_is_refused_when_decoding() {
        let f = fixture();
        let mut env = f.env.clone();
        env.header.version = 3;
        assert_eq!(
            Envelope::decode(&env.encode()),
            Err(EnvelopeError::UnsupportedVersion(3))
        );
        let mut env = f.env.clone();
        env.header.kind = Kind::Changes { doc_seq: 0 };
        assert!(matches!(
            Envelope::decode(&env.encode()),
            Err(EnvelopeError::BadHeader(_))
        ));
        let mut env = f.env;
        env.header.seq = 0;
        assert_eq!(Envelope::decode(&env.encode()), Err(EnvelopeError::ZeroSeq));
    }
}
