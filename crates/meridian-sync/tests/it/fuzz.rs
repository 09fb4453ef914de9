//! Hostile bytes: decoders return errors, never panic, on random and mutated input.

use meridian_sync::{
    CheckpointId, CheckpointPart, DeviceKeys, DocumentId, Envelope, Frame, Header, Invite,
    JoinRequest, Kind, MembershipLog, Verdict, VersionVector,
};
use proptest::prelude::*;

use crate::support::{T0, team};

fn sample_frames() -> Vec<Vec<u8>> {
    let mut t = team(31);
    let header = Header::changes(DocumentId([1; 16]), 1, t.editor.id(), 1, 1, T0);
    let env = Envelope::seal(&t.ws, header, b"body", &t.editor, &t.key, &mut t.rng).expect("seal");
    let mut covers = VersionVector::new();
    covers.set(t.editor.id(), 1);
    covers.set(t.admin.id(), 4);
    let part = Header::new(
        DocumentId([1; 16]),
        1,
        t.editor.id(),
        3,
        Kind::Checkpoint(CheckpointPart {
            covers,
            part: 1,
            parts: 2,
        }),
        T0,
    );
    let checkpoint =
        Envelope::seal(&t.ws, part, b"saved", &t.editor, &t.key, &mut t.rng).expect("seal");
    let invite = Invite::new(
        "wss://r",
        Some([3; 32]),
        t.ws,
        t.admin.public(),
        T0,
        &mut t.rng,
    );
    let frames = [
        Frame::Push {
            entries: vec![(3, env.clone()), (9, checkpoint)],
            upto: 12,
        },
        Frame::Deliver {
            entries: vec![(1, env)],
            upto: 1,
        },
        Frame::Verdicts {
            verdicts: vec![Verdict {
                doc: DocumentId([1; 16]),
                checkpoint: CheckpointId {
                    author: t.editor.id(),
                    seq: 2,
                },
                ok: false,
            }],
        },
        Frame::Membership {
            start: 0,
            ops: t.log.ops().to_vec(),
        },
        Frame::Want {
            cursor: 7,
            membership_len: 3,
        },
        Frame::Welcome {
            log: [4; 16],
            head: 12,
            cursor: 3,
            membership_len: 3,
        },
    ];
    let mut out: Vec<Vec<u8>> = frames.iter().map(Frame::encode).collect();
    out.push(t.log.encode());
    out.push(JoinRequest::new(&invite, &DeviceKeys::generate(&mut t.rng), "n", "UTC").encode());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Envelope::decode(&bytes);
        let _ = Frame::decode(&bytes);
        let mut with_version = vec![meridian_sync::wire::PROTOCOL_VERSION];
        with_version.extend_from_slice(&bytes);
        let _ = Frame::decode(&with_version);
        let _ = MembershipLog::decode(&bytes, T0);
        let _ = JoinRequest::decode(&bytes);
        let _ = Invite::decode(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn decoders_never_panic_on_mutated_valid_input(
        which in 0usize..8,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let samples = sample_frames();
        let mut bytes = samples[which].clone();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let end = cut.index(bytes.len() + 1);
        for input in [&bytes[..], &bytes[..end]] {
            let _ = Frame::decode(input);
            let _ = Envelope::decode(input.get(1..).unwrap_or_default());
            let _ = MembershipLog::decode(input, T0);
            let _ = JoinRequest::decode(input);
        }
    }
}
