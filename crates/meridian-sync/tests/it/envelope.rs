//! Sealing and opening envelopes, and every way a tampered one is refused.

use meridian_sync::envelope::{MAX_ENVELOPE_BYTES, MAX_PLAINTEXT_BYTES};
use meridian_sync::{
    CheckpointPart, DeviceId, DeviceKeys, DocumentId, Envelope, EnvelopeError, EpochKey, Header,
    Kind, VersionVector, WorkspaceId,
};

use crate::support::{T0, resign, rng};

struct Fixture {
    ws: WorkspaceId,
    alice: DeviceKeys,
    mallory: DeviceKeys,
    key: EpochKey,
    header: Header,
    env: Envelope,
}

fn fixture() -> Fixture {
    let mut rng = rng(21);
    let ws = WorkspaceId([1; 16]);
    let alice = DeviceKeys::generate(&mut rng);
    let mallory = DeviceKeys::generate(&mut rng);
    let key = EpochKey::generate(&mut rng);
    let header = Header::changes(DocumentId([2; 16]), 1, alice.id(), 7, 3, T0);
    let env = Envelope::seal(
        &ws,
        header.clone(),
        b"automerge change bytes",
        &alice,
        &key,
        &mut rng,
    )
    .expect("seal");
    Fixture {
        ws,
        alice,
        mallory,
        key,
        header,
        env,
    }
}

/// The envelope's encoding with its header swapped for `header` (the header is
/// encoded first), as a relay or network attacker could do without any key.
fn with_header(env: &Envelope, header: &Header) -> Envelope {
    Envelope::decode(&with_header_bytes(env, header)).expect("still well-formed")
}

fn with_header_bytes(env: &Envelope, header: &Header) -> Vec<u8> {
    let bytes = env.encode();
    let original = env.header().encode();
    let mut tampered = header.encode();
    tampered.extend_from_slice(&bytes[original.len()..]);
    tampered
}

#[test]
fn seal_then_open_round_trips_through_the_encoding() {
    let f = fixture();
    let back = Envelope::decode(&f.env.encode()).expect("decode");
    assert_eq!(back, f.env);
    assert_eq!(back.header(), &f.header);
    assert_eq!(
        back.open(&f.ws, &f.key).expect("open"),
        b"automerge change bytes"
    );
    assert!(back.verify(&f.ws).is_ok());
    let mut rng = rng(22);
    let checkpoint = Header::new(
        DocumentId([3; 16]),
        1,
        f.alice.id(),
        8,
        covers_part(&f, 0, 1),
        T0,
    );
    let env = Envelope::seal(&f.ws, checkpoint, b"", &f.alice, &f.key, &mut rng)
        .expect("empty checkpoint body");
    let back = Envelope::decode(&env.encode()).expect("decode");
    assert_eq!(back.open(&f.ws, &f.key).expect("open"), b"");
    let (id, part) = back.header().checkpoint().expect("a checkpoint part");
    assert_eq!((id.author, id.seq, part.parts), (f.alice.id(), 8, 1));
    assert_eq!(back.header().doc_seq(), None);
    assert_eq!(f.env.header().doc_seq(), Some(3));
    assert_eq!(
        f.header.created_s,
        T0 / 1000,
        "the clock travels in seconds"
    );
}

fn covers(entries: &[(DeviceId, u64)]) -> VersionVector {
    let mut v = VersionVector::new();
    for (d, s) in entries {
        v.set(*d, *s);
    }
    v
}

fn covers_part(f: &Fixture, part: u32, parts: u32) -> Kind {
    Kind::Checkpoint(CheckpointPart {
        covers: covers(&[(f.alice.id(), 3), (f.mallory.id(), 1)]),
        part,
        parts,
    })
}

#[test]
fn malformed_checkpoint_headers_are_refused() {
    let f = fixture();
    let mut rng = rng(27);
    let cases: Vec<(&str, Header)> = vec![
        (
            "no parts",
            Header::new(f.header.doc, 1, f.alice.id(), 8, covers_part(&f, 0, 0), T0),
        ),
        (
            "part past the end",
            Header::new(f.header.doc, 1, f.alice.id(), 8, covers_part(&f, 2, 2), T0),
        ),
        (
            "part before the author's first envelope",
            Header::new(f.header.doc, 1, f.alice.id(), 2, covers_part(&f, 2, 3), T0),
        ),
        (
            "too many parts",
            Header::new(
                f.header.doc,
                1,
                f.alice.id(),
                99,
                covers_part(&f, 0, 65),
                T0,
            ),
        ),
        (
            "covers nothing",
            Header::new(
                f.header.doc,
                1,
                f.alice.id(),
                8,
                Kind::Checkpoint(CheckpointPart {
                    covers: VersionVector::new(),
                    part: 0,
                    parts: 1,
                }),
                T0,
            ),
        ),
        (
            "doc_seq 0",
            Header::changes(f.header.doc, 1, f.alice.id(), 8, 0, T0),
        ),
    ];
    for (case, header) in cases {
        let err = Envelope::seal(&f.ws, header.clone(), b"x", &f.alice, &f.key, &mut rng)
            .expect_err(case);
        assert!(matches!(err, EnvelopeError::BadHeader(_)), "{case}: {err}");
        // Nor does one arrive: the decoder checks the header before anything else.
        let err = Envelope::decode(&with_header_bytes(&f.env, &header)).expect_err(case);
        assert!(matches!(err, EnvelopeError::BadHeader(_)), "{case}: {err}");
    }
}

#[test]
fn a_checkpoint_s_coverage_cannot_be_changed_or_claimed_by_another_member() {
    let f = fixture();
    let mut rng = rng(28);
    let header = Header::new(f.header.doc, 1, f.alice.id(), 8, covers_part(&f, 0, 1), T0);
    let env = Envelope::seal(
        &f.ws,
        header.clone(),
        b"saved doc",
        &f.alice,
        &f.key,
        &mut rng,
    )
    .expect("seal");
    // Claiming more than alice signed: the signature breaks.
    let mut more = header.clone();
    more.kind = Kind::Checkpoint(CheckpointPart {
        covers: covers(&[(f.alice.id(), 300), (f.mallory.id(), 1)]),
        part: 0,
        parts: 1,
    });
    assert!(matches!(
        with_header(&env, &more).verify(&f.ws),
        Err(EnvelopeError::BadSignature { .. })
    ));
    // A member re-signing it with its own key: the signature is now valid, but the AEAD
    // binds the header alice sealed, so no member will open it.
    for (case, device, keys) in [
        ("wider coverage", f.alice.id(), &f.alice),
        ("claimed by mallory", f.mallory.id(), &f.mallory),
    ] {
        let forged = Header {
            device,
            ..more.clone()
        };
        let env = resign(&f.ws, &env, &forged, keys);
        assert!(env.verify(&f.ws).is_ok(), "{case}: the signature is valid");
        assert!(
            matches!(env.open(&f.ws, &f.key), Err(EnvelopeError::Decrypt { .. })),
            "{case}"
        );
    }
}

#[test]
fn tampered_ciphertext_is_refused() {
    let f = fixture();
    let mut bytes = f.env.encode();
    // The signature is the last 64 bytes; the ciphertext's tag sits just before it.
    let at = bytes.len() - 65;
    bytes[at] ^= 0x01;
    let env = Envelope::decode(&bytes).expect("still well-formed");
    let err = env.open(&f.ws, &f.key).expect_err("tampered");
    assert_eq!(
        err,
        EnvelopeError::BadSignature {
            device: f.alice.id(),
            seq: 7
        }
    );
    // Without the signature check, the AEAD catches it too.
    assert!(matches!(
        env.decrypt(&f.ws, &f.key),
        Err(EnvelopeError::Decrypt { .. })
    ));
}

#[test]
fn each_tampered_header_field_is_refused() {
    let f = fixture();
    let cases: Vec<(&str, Header)> = vec![
        (
            "doc",
            Header {
                doc: DocumentId([9; 16]),
                ..f.header.clone()
            },
        ),
        (
            "epoch",
            Header {
                epoch: 2,
                ..f.header.clone()
            },
        ),
        (
            "device",
            Header {
                device: f.mallory.id(),
                ..f.header.clone()
            },
        ),
        (
            "seq",
            Header {
                seq: 8,
                ..f.header.clone()
            },
        ),
        (
            "doc_seq",
            Header {
                kind: Kind::Changes { doc_seq: 4 },
                ..f.header.clone()
            },
        ),
        (
            "kind",
            Header {
                kind: covers_part(&f, 0, 1),
                ..f.header.clone()
            },
        ),
        (
            "created_s",
            Header {
                created_s: f.header.created_s + 1,
                ..f.header.clone()
            },
        ),
    ];
    for (field, header) in cases {
        let env = with_header(&f.env, &header);
        let err = env.open(&f.ws, &f.key).expect_err(field);
        assert_eq!(
            err,
            EnvelopeError::BadSignature {
                device: header.device,
                seq: header.seq
            },
            "{field}"
        );
        assert!(
            env.decrypt(&f.ws, &f.key).is_err(),
            "{field}: the AEAD binds the header too"
        );
    }
    // The workspace is not on the wire, but the signature and the AEAD bind it: an
    // envelope replayed into another workspace is refused there.
    let other = WorkspaceId([5; 16]);
    let err = f
        .env
        .verify(&other)
        .expect_err("signature covers the workspace");
    assert!(matches!(err, EnvelopeError::BadSignature { .. }), "{err}");
    assert!(matches!(
        f.env.decrypt(&other, &f.key),
        Err(EnvelopeError::Decrypt { .. })
    ));
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let f = fixture();
    let mut rng = rng(23);
    // Mallory seals its own envelope, then claims alice wrote it.
    let own = Header {
        device: f.mallory.id(),
        ..f.header.clone()
    };
    let forged = Envelope::seal(&f.ws, own, b"evil", &f.mallory, &f.key, &mut rng).expect("seal");
    let forged = with_header(&forged, &f.header);
    assert_eq!(forged.header().device, f.alice.id());
    assert_eq!(
        forged.verify(&f.ws),
        Err(EnvelopeError::BadSignature {
            device: f.alice.id(),
            seq: 7
        })
    );
    // And sealing as someone else is refused up front.
    let err = Envelope::seal(&f.ws, f.header.clone(), b"x", &f.mallory, &f.key, &mut rng)
        .expect_err("wrong author");
    assert_eq!(
        err,
        EnvelopeError::WrongAuthor {
            header: f.alice.id(),
            signer: f.mallory.id()
        }
    );
    // A header naming a device id that is not a valid public key cannot verify either.
    let bogus = with_header(
        &f.env,
        &Header {
            device: DeviceId([0xff; 32]),
            ..f.header.clone()
        },
    );
    assert!(matches!(
        bogus.verify(&f.ws),
        Err(EnvelopeError::BadSignature { .. })
    ));
}

#[test]
fn the_wrong_epoch_key_cannot_decrypt() {
    let f = fixture();
    let other = EpochKey::generate(&mut rng(24));
    let err = f.env.open(&f.ws, &other).expect_err("wrong key");
    assert_eq!(
        err,
        EnvelopeError::Decrypt {
            device: f.alice.id(),
            seq: 7,
            doc: DocumentId([2; 16]),
            epoch: 1
        }
    );
    assert!(err.to_string().contains("wrong epoch key"), "{err}");
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    // Garbage that would be malformed if parsed: the size check must come first.
    let bytes = vec![0xff; MAX_ENVELOPE_BYTES + 1];
    assert_eq!(
        Envelope::decode(&bytes),
        Err(EnvelopeError::TooLarge {
            size: MAX_ENVELOPE_BYTES + 1,
            max: MAX_ENVELOPE_BYTES
        })
    );
    // A version byte from the future is named as such; garbage after the right one is
    // malformed.
    assert_eq!(
        Envelope::decode(&[0xff; 64]),
        Err(EnvelopeError::UnsupportedVersion(0xff))
    );
    let mut garbage = vec![0xff; 64];
    garbage[0] = meridian_sync::envelope::ENVELOPE_VERSION;
    assert!(matches!(
        Envelope::decode(&garbage),
        Err(EnvelopeError::Malformed(_))
    ));
    let f = fixture();
    let mut bytes = f.env.encode();
    bytes.push(0);
    assert!(
        matches!(Envelope::decode(&bytes), Err(EnvelopeError::Malformed(_))),
        "trailing bytes"
    );
}

#[test]
fn bodies_over_the_limit_are_not_sealed() {
    let f = fixture();
    let body = vec![0u8; MAX_PLAINTEXT_BYTES + 1];
    let err = Envelope::seal(
        &f.ws,
        f.header.clone(),
        &body,
        &f.alice,
        &f.key,
        &mut rng(25),
    )
    .expect_err("too big");
    assert_eq!(
        err,
        EnvelopeError::PlaintextTooLarge {
            size: MAX_PLAINTEXT_BYTES + 1,
            max: MAX_PLAINTEXT_BYTES
        }
    );
    let body = vec![7u8; MAX_PLAINTEXT_BYTES];
    let env = Envelope::seal(&f.ws, f.header, &body, &f.alice, &f.key, &mut rng(26))
        .expect("at the limit");
    let bytes = env.encode();
    assert!(bytes.len() <= MAX_ENVELOPE_BYTES);
    assert_eq!(
        Envelope::decode(&bytes)
            .expect("decode")
            .open(&f.ws, &f.key)
            .expect("open"),
        body
    );
}
