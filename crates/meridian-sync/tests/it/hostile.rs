//! Hostile and buggy members: checkpoints that claim more than they hold, forged coverage,
//! and floods. A bad checkpoint may cost bytes until it is checked, never data.

use automerge::{AutoCommit, Automerge, ChangeHash, ROOT, ReadDoc, transaction::Transactable};
use meridian_sync::checkpoint::{self, TAIL_FLOOR_BYTES};
use meridian_sync::envelope::{MAX_CHECKPOINT_PARTS, MAX_COVERS};
use meridian_sync::{
    CheckpointId, CheckpointPart, Coverage, DeviceId, Envelope, EnvelopeError, EnvelopeLog,
    EpochKey, ErrorCode, Frame, Header, Held, Kind, Peer, PeerKind, Verdict, VersionVector,
    WorkspaceId,
};
use rand::rngs::StdRng;

use crate::session::{DOC, Link, Party, ready_pair, refused_code};
use crate::support::{T0, resign, team};

/// Commits one change to `doc` and returns its hash and bytes (one envelope's body).
fn edit(doc: &mut AutoCommit, key: &str, value: i64) -> (ChangeHash, Vec<u8>) {
    doc.put(ROOT, key, value).expect("put");
    let hash = doc.commit().expect("a change");
    let bytes = doc
        .get_change_by_hash(&hash)
        .expect("just made")
        .raw_bytes()
        .to_vec();
    (hash, bytes)
}

fn covers(entries: &[(DeviceId, u64)]) -> VersionVector {
    let mut v = VersionVector::new();
    for (d, s) in entries {
        v.set(*d, *s);
    }
    v
}

/// Seals `doc` as a one-part checkpoint claiming `covers`, as `party`'s next envelope.
fn seal_checkpoint(
    party: &mut Party,
    ws: WorkspaceId,
    key: &EpochKey,
    doc: &mut AutoCommit,
    covers: VersionVector,
    rng: &mut StdRng,
) -> (CheckpointId, Envelope) {
    let heads: Vec<[u8; 32]> = doc.get_heads().iter().map(|h| h.0).collect();
    let saved = doc.save_with_options(automerge::SaveOptions {
        deflate: true,
        retain_orphans: false,
    });
    let body = checkpoint::encode_body(&heads, &saved);
    let keys = party.keys.clone().expect("a device");
    party.seq += 1;
    let header = Header::new(
        DOC,
        1,
        keys.id(),
        party.seq,
        Kind::Checkpoint(CheckpointPart {
            covers,
            part: 0,
            parts: 1,
        }),
        T0,
    );
    let env = Envelope::seal(&ws, header, &body, &keys, key, rng).expect("seal");
    party
        .log
        .append(&env, &Peer::Device(keys.id()))
        .expect("mem log");
    let (id, _) = env.header().checkpoint().expect("a checkpoint");
    (id, env)
}

/// What a device does with a checkpoint: load it, check its heads, and check that every
/// change of every covered `Changes` envelope it holds is in it.
fn check(
    ws: &WorkspaceId,
    key: &EpochKey,
    env: &Envelope,
    held: &[Envelope],
) -> Result<Automerge, String> {
    let body = env.decrypt(ws, key).map_err(|e| e.to_string())?;
    let (heads, saved) = checkpoint::decode_body(&body).ok_or("bad body")?;
    let doc = Automerge::load(saved).map_err(|e| e.to_string())?;
    let mut loaded: Vec<[u8; 32]> = doc.get_heads().iter().map(|h| h.0).collect();
    let mut claimed = heads;
    loaded.sort();
    claimed.sort();
    if loaded != claimed {
        return Err("heads differ".into());
    }
    let (_, part) = env.header().checkpoint().expect("a checkpoint");
    for h in held {
        let Some(doc_seq) = h.header().doc_seq() else {
            continue;
        };
        if doc_seq > part.covers.get(&h.header().device) {
            continue;
        }
        let change = automerge::Change::try_from(&h.decrypt(ws, key).expect("held")[..])
            .expect("one change");
        if doc.get_change_by_hash(&change.hash()).is_none() {
            return Err(format!("lacks {}#{doc_seq}", h.header().device.short()));
        }
    }
    Ok(doc)
}

#[test]
fn a_checkpoint_claiming_changes_it_lacks_never_loses_them() {
    let mut t = team(71);
    let (mut admin, mut relay, mut la) = ready_pair(&mut t);
    // The admin writes three changes and syncs them.
    let mut doc = AutoCommit::new();
    let mut hashes = Vec::new();
    let mut first = None;
    for i in 0..3 {
        let (hash, bytes) = edit(&mut doc, "k", i);
        hashes.push(hash);
        first.get_or_insert_with(|| bytes.clone());
        admin.write_body(t.ws, &t.key, &bytes, &mut t.rng);
    }
    la.local_change(false, &mut admin, T0);
    la.run(&mut admin, &mut relay, T0);
    assert_eq!(relay.log.len(), 3);

    // A buggy editor seals a checkpoint from a document holding only the first change,
    // yet claims all three.
    let mut editor = Party::device(&t.editor, &t.log);
    let mut partial = AutoCommit::new();
    partial
        .load_incremental(&first.expect("written"))
        .expect("load");
    let (bad, _) = seal_checkpoint(
        &mut editor,
        t.ws,
        &t.key,
        &mut partial,
        covers(&[(t.admin.id(), 3)]),
        &mut t.rng,
    );
    let mut le = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    le.run(&mut editor, &mut relay, T0);
    assert!(
        relay
            .log
            .coverage()
            .get(&DOC, &bad)
            .is_some_and(|c| c.is_usable())
    );

    // A new device gets the checkpoint instead of the envelopes, and cannot tell: it holds
    // none of them. It vouches for it.
    let mut viewer = Party::device(&t.viewer, &t.log);
    let mut lv = Link::open(t.ws, &viewer, &relay, PeerKind::Relay, &mut t.rng);
    lv.run(&mut viewer, &mut relay, T0);
    assert_eq!(lv.accepted_a.len(), 1, "only the checkpoint came down");
    let mut vdoc = AutoCommit::new();
    let loaded = check(&t.ws, &t.key, &lv.accepted_a[0], &[]).expect("nothing to contradict it");
    vdoc.load_incremental(&loaded.save()).expect("apply");
    let ok = Verdict {
        doc: DOC,
        checkpoint: bad,
        ok: true,
    };
    let frame = lv.sa.verdicts(&[ok]).expect("ready");
    lv.queue.push_back((true, frame));
    lv.run(&mut viewer, &mut relay, T0);
    assert_eq!(relay.log.verdicts().len(), 1);

    // One vouch is not enough to delete the admin's envelopes: the admin has not agreed.
    assert_eq!(relay.log.sweep(|_| false), 0);
    assert_eq!(relay.log.len(), 4);

    // The admin gets the checkpoint, finds it lacks its changes, and says so.
    la.local_change(true, &mut relay, T0);
    la.run(&mut admin, &mut relay, T0);
    let got = la.accepted_a.last().expect("the checkpoint").clone();
    let held: Vec<Envelope> = admin.log.iter().cloned().collect();
    let err = check(&t.ws, &t.key, &got, &held).expect_err("incomplete");
    assert!(err.contains("lacks"), "{err}");
    let frame = la
        .sa
        .verdicts(&[Verdict { ok: false, ..ok }])
        .expect("ready");
    la.queue.push_back((true, frame));
    la.run(&mut admin, &mut relay, T0);
    assert!(relay.log.coverage().get(&DOC, &bad).expect("kept").rejected);

    // The relay announced the covered envelopes again: the device that trusted the bad
    // checkpoint now gets them, and applies them although its own log counts them covered.
    lv.local_change(true, &mut relay, T0);
    lv.run(&mut viewer, &mut relay, T0);
    assert_eq!(lv.covered_a.len(), 3, "{:?}", lv.accepted_a.len());
    for env in &lv.covered_a {
        assert_eq!(viewer.log.held(env), Held::Covered);
        let body = env.decrypt(&t.ws, &t.key).expect("decrypt");
        vdoc.load_incremental(&body).expect("apply");
    }
    for h in &hashes {
        assert!(vdoc.get_change_by_hash(h).is_some(), "change {h} lost");
    }
    // The rejected checkpoint goes; the envelopes stay.
    assert_eq!(relay.log.sweep(|_| false), 1);
    assert_eq!(relay.log.len(), 3);
    assert!(relay.log.iter().all(|e| e.header().device == t.admin.id()));
    // A device arriving now gets the envelopes, not the bad checkpoint.
    let mut late = Party::device(&t.editor, &t.log);
    late.log = meridian_sync::MemLog::new([0x42; 16]);
    let mut ll = Link::open(t.ws, &late, &relay, PeerKind::Relay, &mut t.rng);
    ll.run(&mut late, &mut relay, T0);
    assert_eq!(ll.accepted_a.len(), 3);
}

#[test]
fn forged_coverage_is_refused_or_cannot_be_opened() {
    let mut t = team(72);
    let (mut admin, mut relay, mut la) = ready_pair(&mut t);
    let mut doc = AutoCommit::new();
    for i in 0..2 {
        let (_, bytes) = edit(&mut doc, "k", i);
        admin.write_body(t.ws, &t.key, &bytes, &mut t.rng);
    }
    let (_, honest) = seal_checkpoint(
        &mut admin,
        t.ws,
        &t.key,
        &mut doc,
        covers(&[(t.admin.id(), 2)]),
        &mut t.rng,
    );
    let mut wider = honest.header().clone();
    wider.kind = Kind::Checkpoint(CheckpointPart {
        covers: covers(&[(t.admin.id(), 2), (t.viewer.id(), 9)]),
        part: 0,
        parts: 1,
    });

    // Altered on the way (by the relay or the network): the signature breaks and the
    // session refuses it.
    let bytes = honest.encode();
    let mut tampered = wider.encode();
    tampered.extend_from_slice(&bytes[honest.header().encode().len()..]);
    let tampered = Envelope::decode(&tampered).expect("well-formed");
    la.queue.push_back((
        true,
        Frame::Push {
            entries: vec![(99, tampered)],
            upto: 99,
        },
    ));
    la.run(&mut admin, &mut relay, T0);
    assert_eq!(refused_code(&la.closed_b), Some(ErrorCode::BadSignature));
    assert!(relay.log.is_empty());

    // Re-signed by another member, claiming the checkpoint as its own with wider
    // coverage: the relay cannot tell and stores it, but no member can open it, so the
    // first one to try rejects it and nothing is ever deleted on its strength.
    let mut editor = Party::device(&t.editor, &t.log);
    let forged_header = Header {
        device: t.editor.id(),
        seq: 1,
        ..wider.clone()
    };
    let forged = resign(&t.ws, &honest, &forged_header, &t.editor);
    assert!(forged.verify(&t.ws).is_ok());
    editor
        .log
        .append(&forged, &Peer::Device(t.editor.id()))
        .expect("mem");
    let mut le = Link::open(t.ws, &editor, &relay, PeerKind::Relay, &mut t.rng);
    le.run(&mut editor, &mut relay, T0);
    assert_eq!(
        relay.log.len(),
        1,
        "stored: its header and signature are fine"
    );
    let mut viewer = Party::device(&t.viewer, &t.log);
    let mut lv = Link::open(t.ws, &viewer, &relay, PeerKind::Relay, &mut t.rng);
    lv.run(&mut viewer, &mut relay, T0);
    let got = lv.accepted_a.first().expect("delivered").clone();
    assert!(matches!(
        got.decrypt(&t.ws, &t.key),
        Err(EnvelopeError::Decrypt { .. })
    ));
    let (id, _) = got.header().checkpoint().expect("a checkpoint");
    let frame = lv
        .sa
        .verdicts(&[Verdict {
            doc: DOC,
            checkpoint: id,
            ok: false,
        }])
        .expect("ready");
    lv.queue.push_back((true, frame));
    lv.run(&mut viewer, &mut relay, T0);
    assert!(relay.log.coverage().get(&DOC, &id).expect("known").rejected);
    assert_eq!(relay.log.sweep(|_| false), 1, "the forgery goes");
    assert!(relay.log.is_empty());
}

#[test]
fn checkpoint_floods_are_bounded_by_the_policy_and_the_header_limits() {
    // An honest device seals only when `due`: at most one checkpoint per
    // TAIL_FLOOR_BYTES of new envelopes (idle or typing), never for its first envelope.
    let mut sealed = 0u64;
    let (mut tail_n, mut tail_bytes, mut base) = (0u64, 0u64, 0u64);
    let mut total = 0u64;
    for i in 0..2_000u64 {
        let size = 200 + (i * 37) % 900;
        total += size;
        tail_n += 1;
        tail_bytes += size;
        let tail = checkpoint::Tail {
            envelopes: tail_n,
            bytes: tail_bytes,
            last_bytes: size,
            base_bytes: base,
        };
        if checkpoint::due(&tail, true) || checkpoint::due(&tail, false) {
            sealed += 1;
            base = total / 3;
            (tail_n, tail_bytes) = (0, 0);
        }
    }
    assert!(sealed >= 1);
    assert!(sealed <= total / TAIL_FLOOR_BYTES, "{sealed} checkpoints");
    let huge = |envelopes, base_bytes| checkpoint::Tail {
        envelopes,
        bytes: u64::MAX / 2,
        last_bytes: u64::MAX / 2,
        base_bytes,
    };
    assert!(!checkpoint::due(&huge(1, 0), true));
    assert!(!checkpoint::due(&huge(0, 1), true));

    // A run of checkpoints from one author each dominating the last: everything but the
    // newest is redundant at once, before anyone vouches.
    let author = DeviceId([1; 32]);
    let other = DeviceId([2; 32]);
    let mut cov = Coverage::new();
    let part = |seq: u64, covers: VersionVector| {
        Header::new(
            DOC,
            1,
            author,
            seq,
            Kind::Checkpoint(CheckpointPart {
                covers,
                part: 0,
                parts: 1,
            }),
            T0,
        )
    };
    for seq in 1..=40 {
        cov.note(DOC, &part(seq, covers(&[(author, seq), (other, 3)])));
    }
    let sweep = cov.sweep(&DOC, |_| false);
    assert_eq!(sweep.checkpoints.len(), 39);
    assert!(sweep.envelopes.is_empty(), "nothing vouched yet");
    for seq in 1..40 {
        assert!(cov.is_redundant(&part(seq, covers(&[(author, seq), (other, 3)]))));
    }
    // Incomparable checkpoints are not redundant: capping them is the relay's job.
    let mut cov = Coverage::new();
    for seq in 1..=20 {
        cov.note(
            DOC,
            &part(seq, covers(&[(DeviceId([seq as u8 + 10; 32]), 1)])),
        );
    }
    assert!(cov.sweep(&DOC, |_| false).checkpoints.is_empty());
    const { assert!(checkpoint::MAX_OPEN_CHECKPOINTS < 20) };

    // One checkpoint cannot be made arbitrarily large in headers.
    let mut rng = crate::support::rng(73);
    let keys = meridian_sync::DeviceKeys::generate(&mut rng);
    let key = EpochKey::generate(&mut rng);
    let ws = WorkspaceId([3; 16]);
    let mut huge = VersionVector::new();
    for i in 0..=MAX_COVERS {
        let mut d = [0u8; 32];
        d[..8].copy_from_slice(&(i as u64).to_be_bytes());
        huge.set(DeviceId(d), 1);
    }
    for (covers, parts) in [
        (huge, 1),
        (covers(&[(author, 1)]), MAX_CHECKPOINT_PARTS + 1),
    ] {
        let header = Header::new(
            DOC,
            1,
            keys.id(),
            100,
            Kind::Checkpoint(CheckpointPart {
                covers,
                part: 0,
                parts,
            }),
            T0,
        );
        assert!(matches!(
            Envelope::seal(&ws, header, b"", &keys, &key, &mut rng),
            Err(EnvelopeError::BadHeader(_))
        ));
    }
}
