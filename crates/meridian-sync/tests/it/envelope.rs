//! Sealing and opening envelopes, and every way a tampered one is refused.

use meridian_sync::envelope::{MAX_ENVELOPE_BYTES, MAX_PLAINTEXT_BYTES};
use meridian_sync::{
    DeviceId, DeviceKeys, DocumentId, Envelope, EnvelopeError, EpochKey, Header, Kind, WorkspaceId,
};

use crate::support::{T0, rng};

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
    let header = Header::new(ws, DocumentId([2; 16]), 1, alice.id(), 7, Kind::Changes, T0);
    let env = Envelope::seal(
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
    let bytes = env.encode();
    let original = env.header().encode();
    let mut tampered = header.encode();
    tampered.extend_from_slice(&bytes[original.len()..]);
    Envelope::decode(&tampered).expect("still well-formed")
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
    let snap = Header::new(
        f.ws,
        DocumentId([3; 16]),
        1,
        f.alice.id(),
        8,
        Kind::Snapshot,
        T0,
    );
    let env = Envelope::seal(snap, b"", &f.alice, &f.key, &mut rng).expect("empty snapshot body");
    assert_eq!(env.open(&f.ws, &f.key).expect("open"), b"");
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
        env.decrypt(&f.key),
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
            "kind",
            Header {
                kind: Kind::Snapshot,
                ..f.header.clone()
            },
        ),
        (
            "created_ms",
            Header {
                created_ms: T0 + 1,
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
            env.decrypt(&f.key).is_err(),
            "{field}: the AEAD binds the header too"
        );
    }
    let moved = with_header(
        &f.env,
        &Header {
            workspace: WorkspaceId([5; 16]),
            ..f.header.clone()
        },
    );
    assert_eq!(
        moved.verify(&f.ws),
        Err(EnvelopeError::WrongWorkspace {
            expected: f.ws,
            got: WorkspaceId([5; 16])
        })
    );
    let err = moved
        .verify(&WorkspaceId([5; 16]))
        .expect_err("signature covers the workspace");
    assert!(matches!(err, EnvelopeError::BadSignature { .. }), "{err}");
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
    let forged = Envelope::seal(own, b"evil", &f.mallory, &f.key, &mut rng).expect("seal");
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
    let err = Envelope::seal(f.header.clone(), b"x", &f.mallory, &f.key, &mut rng)
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
    assert!(matches!(
        Envelope::decode(&[0xff; 64]),
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
    let err = Envelope::seal(f.header.clone(), &body, &f.alice, &f.key, &mut rng(25))
        .expect_err("too big");
    assert_eq!(
        err,
        EnvelopeError::PlaintextTooLarge {
            size: MAX_PLAINTEXT_BYTES + 1,
            max: MAX_PLAINTEXT_BYTES
        }
    );
    let body = vec![7u8; MAX_PLAINTEXT_BYTES];
    let env =
        Envelope::seal(f.header, &body, &f.alice, &f.key, &mut rng(26)).expect("at the limit");
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
