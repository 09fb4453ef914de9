//! Seed inputs made with the crates' own encoders from the fixture workspace (frames,
//! envelopes, the membership log, invites, join requests, a key file, a saved document,
//! relay scripts) and from the shared corpus (Markdown). `UPDATE_SEEDS=1 cargo test -p
//! meridian-fuzz seeds` writes them to `fuzz/seeds/<target>/`; `scripts/fuzz.sh` also
//! builds a larger corpus from `../shared/corpus` at run time.

use std::collections::BTreeMap;
use std::path::Path;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};
use meridian_core::{
    AgendaItem, Delivery, DocId, Meeting, MeetingState, Message, Thread, ThreadState,
};
use meridian_sync::envelope::{CheckpointPart, Header, Kind};
use meridian_sync::keyfile::{KdfParams, seal_key_file};
use meridian_sync::wire::PROTOCOL_VERSION;
use meridian_sync::{CheckpointId, DocumentId, Envelope, ErrorCode, Frame, Verdict, VersionVector};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::fixtures::fixture;

/// One seed: its target, a file name, the bytes.
pub type Seed = (&'static str, String, Vec<u8>);

fn sealed(rng: &mut StdRng, seq: u64, kind: Kind, body: &[u8]) -> Envelope {
    let fx = fixture();
    let author = &fx.devices[0];
    let header = Header::new(
        DocumentId([1; 16]),
        1,
        author.id(),
        seq,
        kind,
        1_700_000_000_000,
    );
    Envelope::seal(&fx.workspace, header, body, author, &fx.epoch_key, rng)
        .expect("the fixture seals")
}

fn saved_document() -> (Vec<u8>, Vec<u8>) {
    let mut doc = AutoCommit::new();
    let text = doc
        .put_object(ROOT, "body", ObjType::Text)
        .expect("a text field");
    doc.splice_text(
        &text,
        0,
        0,
        "Meetings are for decisions; updates go in writing.",
    )
    .expect("splice");
    doc.put(ROOT, "title", "Async first").expect("put");
    doc.commit();
    let first = doc.save();
    doc.splice_text(&text, 0, 0, "Rule: ").expect("splice");
    doc.commit();
    let more = doc.save_incremental();
    (first, more)
}

/// The seeds made from the fixture, the encoders and (when present) the shared corpus.
pub fn generated(corpus: Option<&Path>) -> Vec<Seed> {
    let fx = fixture();
    let mut rng = StdRng::seed_from_u64(7);
    let mut out: Vec<Seed> = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        out.push((target, name.to_owned(), bytes));
    };

    // Envelopes and frames, as the tests' sessions send them.
    let changes = sealed(
        &mut rng,
        1,
        Kind::Changes { doc_seq: 1 },
        b"automerge changes",
    );
    let mut covers = VersionVector::new();
    covers.set(fx.devices[0].id(), 1);
    let part = Kind::Checkpoint(CheckpointPart {
        covers,
        part: 1,
        parts: 2,
    });
    let checkpoint = sealed(&mut rng, 3, part, &[0, 0, 0, 1, 9, 9, 9]);
    add("envelope", "changes", changes.encode());
    add("envelope", "checkpoint-part", checkpoint.encode());
    let frames = [
        (
            "hello",
            Frame::Hello {
                protocol: PROTOCOL_VERSION,
                workspace: fx.workspace,
                device: fx.devices[1].id(),
                nonce: [3; 32],
                log: [4; 16],
            },
        ),
        (
            "welcome",
            Frame::Welcome {
                log: [5; 16],
                head: 12,
                cursor: 3,
                membership_len: 3,
            },
        ),
        (
            "push",
            Frame::Push {
                entries: vec![(1, changes.clone()), (3, checkpoint.clone())],
                upto: 4,
            },
        ),
        (
            "ack",
            Frame::Ack {
                upto: 4,
                skip_to: Some(6),
            },
        ),
        (
            "membership",
            Frame::Membership {
                start: 0,
                ops: fx.ops(),
            },
        ),
        ("register", Frame::Register { ops: fx.ops() }),
        (
            "join",
            Frame::Join {
                request: fx.join.encode(),
            },
        ),
        (
            "verdicts",
            Frame::Verdicts {
                verdicts: vec![Verdict {
                    doc: DocumentId([1; 16]),
                    checkpoint: CheckpointId {
                        author: fx.devices[0].id(),
                        seq: 2,
                    },
                    ok: true,
                }],
            },
        ),
        (
            "error",
            Frame::error(ErrorCode::StorageFull, "the workspace's quota is used up"),
        ),
    ];
    for (name, frame) in frames {
        add("frame", name, frame.encode());
    }
    add(
        "frame",
        "legacy-error",
        Frame::legacy_error("update Meridian"),
    );

    add("membership_log", "fixture", fx.log.encode());
    add(
        "membership_ops",
        "mixed",
        vec![
            1, 0, 2, 3, 1, 1, 5, 1, 0, 9, 2, 2, 2, 2, 0, 1, 3, 3, 1, 1, 0, 1, 0, 2, 1,
        ],
    );
    add("invite_code", "fixture", fx.invite.encode().into_bytes());
    add("join_request", "fixture", fx.join.encode());
    let cheap = KdfParams {
        memory_kib: 8,
        iterations: 1,
        lanes: 1,
    };
    let file =
        seal_key_file(&fx.devices[1], b"correct horse", cheap, &mut rng).expect("a key file seals");
    add("key_file", "cheap", file);

    // Relay scripts: (seed, quota), then (action, connection, fields…) steps; see
    // `relay.rs`. Connect, Hello, pass the client's frames on, push, tick, verdicts.
    add(
        "relay_conn",
        "login-push",
        vec![
            0, 8, // rng seed, quota
            0, 0, // connect 1
            1, 0, 1, 0, 0, // Hello as the editor
            2, 0, 2, 0, 2, 0, // pass on Login and what follows
            5, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 8, b'h', b'i', 0, // a push
            6, 0, // tick
            9, 0, 2, 1, 1, 0, 1, 0, // verdicts
            2, 0, 7, 0, // pass on, disconnect
        ],
    );
    add(
        "relay_conn",
        "two-devices",
        vec![
            1, 200, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 0, 2, 1, 2, 0, 2, 1, 5, 1, 0, 0, 0,
            1, 2, 0, 0, 0, 0, 2, 1, 2, 0, 10, 0, 1, 0, 2, 0, 2, 1, 6, 0, 8, 2, 0, 3, 0, 0,
        ],
    );

    // Markdown: mode byte (0 any file, 1 meeting, 2 thread) then the text.
    let id = DocId::from_bytes([5; 16]);
    let member = DocId::from_bytes([6; 16]).to_string();
    let meeting = Meeting {
        title: "Weekly planning".into(),
        purpose: "Agree on the week's priorities".into(),
        decisions_sought: vec!["Ship on Friday?".into()],
        start_ms: 1_700_000_000_000,
        duration_min: 30,
        organiser_tz: "Europe/Berlin".into(),
        organiser: Some(member.clone()),
        weekly: true,
        attendees: vec![member.clone()],
        agenda: vec![AgendaItem {
            id: "0a1b2c3d".into(),
            title: "Release".into(),
            owner: Some(member.clone()),
            minutes: 10,
            notes: "* blockers".into(),
            pre_reads: vec!["https://example.com/plan".into()],
            resolved_async: false,
        }],
        notes: "Notes.".into(),
        summary: String::new(),
        decisions: vec![],
        tasks: vec![],
        state: MeetingState::ALL[0],
        async_thread: None,
        created_at_ms: 1_700_000_000_000,
    };
    let thread = Thread {
        title: "Release date".into(),
        message_kind: "question".into(),
        body: "Can we ship on Friday?".into(),
        author: member.clone(),
        recipients: vec![member.clone()],
        delivery: Delivery::ALL[0],
        urgent_reason: None,
        messages: vec![Message {
            id: "1a2b3c4d".into(),
            author: member.clone(),
            body: "Yes, if the tests pass.".into(),
            at_ms: 1_700_000_100_000,
        }],
        acknowledgements: vec![member],
        state: ThreadState::ALL[0],
        linked_decision: None,
        source_meeting: None,
        created_at_ms: 1_700_000_000_000,
    };
    let with_mode = |mode: u8, text: &str| [&[mode][..], text.as_bytes()].concat();
    add(
        "markdown",
        "meeting",
        with_mode(1, &meridian_vault::render_meeting(&id, &meeting)),
    );
    add(
        "markdown",
        "thread",
        with_mode(
            2,
            &meridian_vault::render_thread(&id, &thread, &BTreeMap::new()),
        ),
    );
    if let Some(corpus) = corpus {
        for rel in [
            "madr/0002-do-not-use-numbers-in-headings.md",
            "madr/0013-use-yaml-front-matter-for-meta-data.md",
            "foam-docs/user/recipes/web-clipper.md",
            "handbook/content/strategy-goals/index.md",
        ] {
            if let Ok(text) = std::fs::read_to_string(corpus.join(rel)) {
                let name = rel.replace('/', "-");
                add("markdown", &name, with_mode(0, &text));
            }
        }
    }

    for (name, q) in [
        ("words", "async meetings"),
        (
            "filters",
            "kind:decision status:accepted after:2023-01-01 madr",
        ),
        ("phrase", "\"decision outcome\" tag:onboarding handbo"),
        ("cjk", "会议 記録 before:2030-12-31"),
    ] {
        add("search_query", name, q.as_bytes().to_vec());
    }
    for (name, h) in [
        (
            "weekdays",
            "mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00",
        ),
        ("days", "Monday,wed,FRI 09:30-24:00"),
        ("none", "none"),
    ] {
        add("hours", name, h.as_bytes().to_vec());
    }

    // Store: mode (1: heads from the blob, 2: two chunks, 4: compact), head count, heads,
    // then length-prefixed chunks and the snapshot.
    let (first, more) = saved_document();
    let len = |b: &[u8]| u16::try_from(b.len()).expect("small").to_be_bytes();
    let mut doc = vec![3, 0];
    doc.extend_from_slice(&len(&first));
    doc.extend_from_slice(&first);
    doc.extend_from_slice(&len(&more));
    doc.extend_from_slice(&more);
    add("store_load", "two-chunks", doc);
    let mut compacted = vec![5, 0];
    compacted.extend_from_slice(&len(&first));
    compacted.extend_from_slice(&first);
    compacted.extend_from_slice(&first);
    add("store_load", "compacted", compacted);
    out
}
