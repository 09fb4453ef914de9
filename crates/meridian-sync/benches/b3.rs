//! B3 (BENCHMARKS.md): bytes to bring a device up to date through the relay with sync
//! protocol v2 — from scratch, after a small divergence and after a reconnect with nothing
//! new — against automerge's own sync protocol on the same documents in the same run; and
//! what checkpoints cost the writer and leave on the relay.
//!
//! Three parties: the writer A, the relay (a [`MemLog`] driven by responder sessions,
//! without keys) and the reader B, each with its own log and membership log. A types and
//! seals as the app does: one `Changes` envelope per document per flush (the first one the
//! whole `save()`), then a checkpoint when [`checkpoint::due`]`(.., idle = false)` says so
//! for the encoded `Changes` envelopes the newest checkpoint does not cover against that
//! checkpoint's encoded size; and whenever nobody has typed in a document for
//! [`checkpoint::IDLE_MS`] (a gap in the trace's timestamps, or the end of the trace), a
//! checkpoint when `due(.., idle = true)` says so. A keeps a live session to the relay and
//! pushes after every flush and every checkpoint. In the paper at the live cadence a
//! follower L stays connected through the whole trace and receives everything as it comes,
//! against an automerge peer kept in sync with a server after every flush. B
//! verifies, opens and merges what it receives, loads each checkpoint, checks its heads and
//! reports a verdict; the relay then sweeps. Every frame is encoded with the wire codec,
//! decoded on the other side and counted in both directions, handshake included.
//! Automerge: `sync::State` with `generate_sync_message`/`receive_sync_message` between
//! the device and a server holding the document, every message encoded and decoded
//! (automerge-repo's own framing is not counted). Both links run in lock step: each hop
//! delivers everything in flight both ways; round trips are hops / 2, rounded up.
//!
//! `cargo bench -p meridian-sync --bench b3`; prints tables and writes
//! `$CARGO_TARGET_DIR/bench-results/b3.json`.

#![allow(
    clippy::disallowed_methods,
    reason = "a benchmark measures wall time; the code it measures takes no clock"
)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use automerge::sync::{self as am_sync, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, SaveOptions, TextEncoding,
};
use meridian_sync::checkpoint::{self, decode_body, encode_body, split_body};
use meridian_sync::{
    CheckpointId, CheckpointPart, Ctx, DeviceKeys, DocumentId, Envelope, EnvelopeLog, EpochKey,
    Frame, Header, IssuedTicket, Kind, MemLog, MembershipLog, Peer, PeerKind, Role, Session,
    Ticket, Verdict, VersionVector, WorkspaceId,
};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::json;

const T0: i64 = 1_800_000_000_000;

/// Keystroke transactions per flush. The app flushes 150 ms after the last keystroke; at
/// typing speed (6 keystrokes/s, the load generator's rate) every keystroke is its own
/// flush, so 1 is the app's live cadence. 360 is one envelope per minute of typing.
const LIVE: usize = 1;
const PER_MINUTE: usize = 360;
/// The handbook has no timestamps: its paragraphs are typed at 6 keystrokes a second.
const KEYSTROKE_MS: i64 = 1000 / 6;
/// Automerge's live peer applies every change as it comes, and automerge 0.12 takes time
/// proportional to the document's history for each (about 5 ms a change at 20,000
/// changes on the development VM): the whole trace would take hours. So it runs for the
/// first this many flushes of the paper (`B3_AM_LIVE=N`, `all` for the whole trace), and
/// the rest is estimated from each later flush's change (exact) plus the per-flush
/// overhead measured on the first ones.
const AM_LIVE_FLUSHES: usize = 20_000;
/// Keystrokes typed in one flush for the small divergence.
const DIVERGENCE: [usize; 3] = [1, 10, 100];
/// Handbook pages typed into after the import, and what is typed into each.
const TYPED_PAGES: usize = 20;
const PARAGRAPH: &str = "\n\nRetro notes: we agreed to move the weekly review to Thursday \
    afternoons so that people in later time zones can join live. Anyone who cannot make it \
    adds their updates to the agenda document beforehand and reads the summary afterwards; \
    decisions still go in the thread first, and the owner links them from the handbook page.";

fn corpus() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
}

// ---------------------------------------------------------------- sources

/// One keystroke transaction on the body: (position, characters deleted, text inserted),
/// in code points.
type Txn = Vec<(usize, usize, String)>;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Trace {
    start_content: String,
    end_content: String,
    txns: Vec<TraceTxn>,
}

#[derive(serde::Deserialize)]
struct TraceTxn {
    time: String,
    patches: Txn,
}

/// Milliseconds since the Unix epoch of a trace timestamp (`2021-04-19T06:06:58.219Z`).
fn trace_ms(time: &str) -> i64 {
    let num = |r: std::ops::Range<usize>| -> i64 {
        time.get(r)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad trace time {time}"))
    };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = if time.len() > 20 { num(20..23) } else { 0 };
    ((days * 24 + num(11..13)) * 60 + num(14..16)) * 60_000 + num(17..19) * 1000 + ms
}

fn load_trace() -> Option<Trace> {
    let path = corpus().join("traces/automerge-paper.json.gz");
    let file = std::fs::File::open(&path).ok()?;
    Some(
        serde_json::from_reader(flate2::read::GzDecoder::new(file))
            .unwrap_or_else(|e| panic!("bad trace {}: {e}", path.display())),
    )
}

fn handbook_pages() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let root = corpus().join("handbook/content");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let title = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let body = std::fs::read_to_string(&p).expect("a handbook page reads");
            (title, body)
        })
        .collect()
}

/// The end of the paragraph nearest to `fraction` of the text: where people add a line.
fn paragraph_end(text: &str, fraction: f64) -> usize {
    let text: Vec<char> = text.chars().collect();
    let target = (text.len() as f64 * fraction) as usize;
    text.windows(2)
        .enumerate()
        .filter(|(_, w)| w == &['\n', '\n'])
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(target))
        .unwrap_or(target)
}

// ---------------------------------------------------------------- documents

fn new_doc(actor: &ActorId) -> AutoCommit {
    AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint).with_actor(actor.clone())
}

/// A page as the app creates it: title, body text, tags.
fn create_doc(actor: &ActorId, title: &str, body: &str) -> AutoCommit {
    let mut doc = new_doc(actor);
    doc.put(ROOT, "title", title).expect("title");
    let text = doc.put_object(ROOT, "body", ObjType::Text).expect("body");
    doc.splice_text(&text, 0, 0, body).expect("initial body");
    let tags = doc.put_object(ROOT, "tags", ObjType::List).expect("tags");
    doc.insert(&tags, 0, "handbook").expect("tag");
    doc.commit();
    doc
}

fn body_obj(doc: &AutoCommit) -> ObjId {
    match doc.get(ROOT, "body") {
        Ok(Some((automerge::Value::Object(ObjType::Text), id))) => id,
        other => panic!("the document has no body text: {other:?}"),
    }
}

fn body_text(doc: &AutoCommit) -> String {
    doc.text(body_obj(doc)).expect("body text")
}

fn splice(doc: &mut AutoCommit, body: &ObjId, txn: &[(usize, usize, String)]) {
    for (pos, del, ins) in txn {
        let del = isize::try_from(*del).expect("a few characters");
        doc.splice_text(body, *pos, del, ins).expect("splice");
    }
    doc.commit();
}

fn heads_bytes(heads: &[ChangeHash]) -> Vec<[u8; 32]> {
    heads.iter().map(|h| h.0).collect()
}

// ---------------------------------------------------------------- parties

/// The workspace: its id and key, and the generator for nonces.
struct Shared {
    ws: WorkspaceId,
    key: EpochKey,
    rng: StdRng,
    membership: MembershipLog,
    /// The encoded size of the membership op that added the follower (0: none).
    follower_op: usize,
}

/// The workspace with the writer and the reader, and with `follower` a third device (the
/// live follower L). Every device starts with the whole membership log.
fn workspace(seed: u64, follower: bool) -> (Shared, DeviceKeys, DeviceKeys, Option<DeviceKeys>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ws = WorkspaceId([0; 16]);
    rng.fill_bytes(&mut ws.0);
    let writer = DeviceKeys::generate(&mut rng);
    let reader = DeviceKeys::generate(&mut rng);
    let key = EpochKey::generate(&mut rng);
    let mut membership =
        MembershipLog::create(&writer, ws, "Acme", "Ada", &key, T0, &mut rng).expect("create");
    let keys = membership
        .state()
        .epoch_keys_for(&writer)
        .expect("admin keys");
    membership
        .add_device(
            &writer,
            reader.public(),
            "Ben",
            Role::Editor,
            &keys,
            T0,
            &mut rng,
        )
        .expect("add the reader");
    let before = membership.encode().len();
    let follower = follower.then(|| {
        let l = DeviceKeys::generate(&mut rng);
        membership
            .add_device(
                &writer,
                l.public(),
                "Lee",
                Role::Editor,
                &keys,
                T0,
                &mut rng,
            )
            .expect("add the follower");
        l
    });
    let follower_op = membership.encode().len() - before;
    (
        Shared {
            ws,
            key,
            rng,
            membership,
            follower_op,
        },
        writer,
        reader,
        follower,
    )
}

fn log_id(rng: &mut StdRng) -> [u8; 16] {
    let mut id = [0; 16];
    rng.fill_bytes(&mut id);
    id
}

/// One document on a device, with what the writer needs for its sealing policy.
struct DocState {
    doc: AutoCommit,
    doc_seq: u64,
    sealed: Vec<ChangeHash>,
    /// `Changes` envelopes not covered by the newest checkpoint, and their encoded bytes.
    tail_envelopes: u64,
    tail_bytes: u64,
    /// The newest checkpoint's encoded bytes (0: none yet).
    base_bytes: u64,
    /// The last flush's `Changes` envelope's bytes.
    last_bytes: u64,
}

impl DocState {
    fn tail(&self) -> checkpoint::Tail {
        checkpoint::Tail {
            envelopes: self.tail_envelopes,
            bytes: self.tail_bytes,
            last_bytes: self.last_bytes,
            base_bytes: self.base_bytes,
        }
    }
}

/// What a writer sealed.
#[derive(Debug, Default, Clone, Copy)]
struct Sealed {
    changes: usize,
    changes_bytes: usize,
    checkpoints: usize,
    /// Of `checkpoints`, those sealed by the idle rule.
    idle_checkpoints: usize,
    checkpoint_envelopes: usize,
    checkpoint_bytes: usize,
}

/// A checkpoint's document, its part count, and the parts opened so far.
type PendingCheckpoint = (DocumentId, u32, BTreeMap<u32, Vec<u8>>);

struct Device {
    keys: DeviceKeys,
    actor: ActorId,
    log: MemLog,
    membership: MembershipLog,
    seq: u64,
    docs: HashMap<DocumentId, DocState>,
    /// Checkpoint parts received, opened, waiting for the rest.
    parts: HashMap<CheckpointId, PendingCheckpoint>,
    /// Verdicts on the checkpoints loaded, not yet reported.
    verdicts: Vec<Verdict>,
    sealed: Sealed,
    /// Merge opened `Changes` into the document only before a checkpoint of it is loaded
    /// (and at the end), not at every step: the same bytes and checks, far less CPU for a
    /// follower that receives a quarter of a million single-change envelopes.
    defer_merge: bool,
    deferred: HashMap<DocumentId, Vec<u8>>,
    /// The relay's session ticket and the last counter used with it.
    ticket: Option<(Ticket, u64)>,
}

impl Device {
    fn new(keys: DeviceKeys, sh: &mut Shared) -> Device {
        let actor = ActorId::from(keys.id().as_bytes()[..16].to_vec());
        Device {
            keys,
            actor,
            log: MemLog::new(log_id(&mut sh.rng)),
            membership: sh.membership.clone(),
            seq: 0,
            docs: HashMap::new(),
            parts: HashMap::new(),
            verdicts: Vec::new(),
            sealed: Sealed::default(),
            defer_merge: false,
            deferred: HashMap::new(),
            ticket: None,
        }
    }

    fn doc(&mut self, id: &DocumentId) -> &mut AutoCommit {
        &mut self
            .docs
            .get_mut(id)
            .expect("a document of this device")
            .doc
    }

    fn create(&mut self, id: DocumentId, title: &str, body: &str) {
        let doc = create_doc(&self.actor, title, body);
        self.docs.insert(
            id,
            DocState {
                doc,
                doc_seq: 0,
                sealed: Vec::new(),
                tail_envelopes: 0,
                tail_bytes: 0,
                base_bytes: 0,
                last_bytes: 0,
            },
        );
    }

    fn store(&mut self, env: &Envelope) -> usize {
        let me = Peer::Device(self.keys.id());
        self.log.append(env, &me).expect("in-memory log");
        env.encode().len()
    }

    /// The app's flush: one `Changes` envelope of what was typed since the last one (the
    /// first is the whole document), then a checkpoint if the rule for a document being
    /// typed in says it is due. Returns whether there was anything to flush.
    fn flush(&mut self, sh: &mut Shared, id: DocumentId, now: i64) -> bool {
        let st = self.docs.get_mut(&id).expect("a document of this device");
        let body = if st.doc_seq == 0 {
            st.doc.save()
        } else {
            st.doc.save_after(&st.sealed)
        };
        if body.is_empty() {
            return false;
        }
        st.sealed = st.doc.get_heads();
        st.doc_seq += 1;
        self.seq += 1;
        let header = Header::changes(id, 1, self.keys.id(), self.seq, st.doc_seq, now);
        let env =
            Envelope::seal(&sh.ws, header, &body, &self.keys, &sh.key, &mut sh.rng).expect("seal");
        let size = env.encode().len() as u64;
        let st = self.docs.get_mut(&id).expect("held");
        st.tail_envelopes += 1;
        st.tail_bytes += size;
        self.sealed.changes += 1;
        self.sealed.changes_bytes += size as usize;
        self.store(&env);
        let st = self.docs.get_mut(&id).expect("held");
        st.last_bytes = size;
        if checkpoint::due(&st.tail(), false) {
            self.seal_checkpoint(sh, id, now);
        }
        true
    }

    /// Nobody has typed in `doc` for [`checkpoint::IDLE_MS`] (or the trace ended): a
    /// checkpoint if the idle rule says it is due. Returns whether one was sealed.
    fn idle(&mut self, sh: &mut Shared, id: DocumentId, now: i64) -> bool {
        let st = self.docs.get_mut(&id).expect("a document of this device");
        if !checkpoint::due(&st.tail(), true) {
            return false;
        }
        self.seal_checkpoint(sh, id, now);
        self.sealed.idle_checkpoints += 1;
        true
    }

    /// Seals a checkpoint of everything in `id` (covering all its `Changes` envelopes).
    fn seal_checkpoint(&mut self, sh: &mut Shared, id: DocumentId, now: i64) {
        let st = self.docs.get_mut(&id).expect("held");
        let heads = heads_bytes(&st.doc.get_heads());
        let saved = st.doc.save_with_options(SaveOptions {
            deflate: true,
            retain_orphans: false,
        });
        let body = encode_body(&heads, &saved);
        let parts = split_body(&body);
        let mut covers = VersionVector::new();
        covers.set(self.keys.id(), st.doc_seq);
        let n = u32::try_from(parts.len()).expect("a few parts");
        let mut bytes = 0;
        let mut envs = Vec::new();
        for (i, part) in (0..n).zip(parts) {
            self.seq += 1;
            let kind = Kind::Checkpoint(CheckpointPart {
                covers: covers.clone(),
                part: i,
                parts: n,
            });
            let header = Header::new(id, 1, self.keys.id(), self.seq, kind, now);
            let env = Envelope::seal(&sh.ws, header, part, &self.keys, &sh.key, &mut sh.rng)
                .expect("seal a checkpoint part");
            bytes += env.encode().len();
            envs.push(env);
        }
        for env in &envs {
            self.store(env);
        }
        let st = self.docs.get_mut(&id).expect("held");
        st.tail_envelopes = 0;
        st.tail_bytes = 0;
        st.base_bytes = bytes as u64;
        self.sealed.checkpoints += 1;
        self.sealed.checkpoint_envelopes += envs.len();
        self.sealed.checkpoint_bytes += bytes;
    }

    /// Opens what a session accepted (or sent again though covered) and merges it, one
    /// `load_incremental` per document per step; loads completed checkpoints and records
    /// a verdict for each.
    fn apply(&mut self, sh: &Shared, envs: &[Envelope]) {
        // Deferred changes are merged before the next checkpoint of their document is
        // loaded (or by `merge_deferred`), in one `load_incremental`.
        let mut pending = std::mem::take(&mut self.deferred);
        for env in envs {
            let h = env.header();
            let plain = env
                .decrypt(&sh.ws, &sh.key)
                .expect("an accepted envelope opens");
            match h.checkpoint() {
                None => pending.entry(h.doc).or_default().extend(plain),
                Some((id, part)) => {
                    let entry = self
                        .parts
                        .entry(id)
                        .or_insert_with(|| (h.doc, part.parts, BTreeMap::new()));
                    entry.2.insert(part.part, plain);
                    if entry.2.len() as u32 == entry.1 {
                        let (doc, _, parts) = self.parts.remove(&id).expect("just filled");
                        if let Some(bytes) = pending.remove(&doc) {
                            self.load(doc, &bytes);
                        }
                        self.load_checkpoint(
                            doc,
                            id,
                            &parts.into_values().collect::<Vec<_>>().concat(),
                        );
                    }
                }
            }
        }
        if self.defer_merge {
            self.deferred = pending;
        } else {
            for (doc, bytes) in pending {
                self.load(doc, &bytes);
            }
        }
    }

    /// Merges what `defer_merge` held back.
    fn merge_deferred(&mut self) {
        for (doc, bytes) in std::mem::take(&mut self.deferred) {
            self.load(doc, &bytes);
        }
    }

    fn load(&mut self, id: DocumentId, bytes: &[u8]) {
        let actor = self.actor.clone();
        let st = self.docs.entry(id).or_insert_with(|| DocState {
            doc: new_doc(&actor),
            doc_seq: 0,
            sealed: Vec::new(),
            tail_envelopes: 0,
            tail_bytes: 0,
            base_bytes: 0,
            last_bytes: 0,
        });
        st.doc.load_incremental(bytes).expect("automerge loads it");
    }

    /// What §7.5 asks of a verifier: the checkpoint loads and holds the heads it names.
    /// (B authored none of the `Changes` it covers, so there is nothing more to check.)
    fn load_checkpoint(&mut self, doc: DocumentId, id: CheckpointId, body: &[u8]) {
        let (heads, saved) = decode_body(body).expect("a checkpoint body");
        self.load(doc, saved);
        let d = self.doc(&doc);
        let ok = heads
            .iter()
            .all(|h| d.get_change_by_hash(&ChangeHash(*h)).is_some());
        assert!(ok, "checkpoint {id} holds the heads it names");
        self.verdicts.push(Verdict {
            doc,
            checkpoint: id,
            ok,
        });
    }
}

struct Relay {
    log: MemLog,
    membership: MembershipLog,
    /// Session tickets issued, as the relay keeps them.
    tickets: HashMap<[u8; 16], IssuedTicket>,
}

/// What crossed a link.
#[derive(Debug, Default, Clone, Copy)]
struct Traffic {
    up: usize,
    down: usize,
    messages: usize,
    hops: usize,
    /// Of `up + down`: the login handshake (`Hello`, `Challenge`, `Login`, then the
    /// relay's `Ticket`; or `Resume` with a ticket), which automerge's figures leave out (its framing and authentication belong to
    /// automerge-repo's network adapter).
    login: usize,
}

impl Traffic {
    fn bytes(&self) -> usize {
        self.up + self.down
    }

    fn round_trips(&self) -> usize {
        self.hops.div_ceil(2)
    }

    /// Bytes without the login handshake.
    fn sync_bytes(&self) -> usize {
        self.bytes() - self.login
    }

    fn add(&mut self, o: Traffic) {
        self.up += o.up;
        self.down += o.down;
        self.messages += o.messages;
        self.hops += o.hops;
        self.login += o.login;
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "bytes": self.bytes(), "up": self.up, "down": self.down, "login": self.login,
            "messages": self.messages, "round_trips": self.round_trips(),
        })
    }
}

/// A device's session with the relay, and the relay's session with it.
struct Link {
    ds: Session,
    rs: Session,
    total: Traffic,
}

/// `len` when `frame` is part of the login handshake, else 0.
fn login_bytes(frame: &Frame, len: usize) -> usize {
    match frame {
        Frame::Hello { .. }
        | Frame::Challenge { .. }
        | Frame::Login { .. }
        | Frame::Ticket { .. }
        | Frame::Resume { .. } => len,
        _ => 0,
    }
}

/// Delivers frames both ways in lock step until nothing is in flight.
fn pump(
    link: &mut Link,
    dev: &mut Device,
    relay: &mut Relay,
    sh: &Shared,
    mut up: Vec<Vec<u8>>,
    mut down: Vec<Vec<u8>>,
) -> Traffic {
    let mut t = Traffic::default();
    while !up.is_empty() || !down.is_empty() {
        t.hops += 1;
        let (to_relay, to_dev) = (std::mem::take(&mut up), std::mem::take(&mut down));
        for bytes in to_relay {
            t.up += bytes.len();
            t.messages += 1;
            let frame = Frame::decode(&bytes).expect("our frames decode");
            t.login += login_bytes(&frame, bytes.len());
            let mut ctx = Ctx {
                log: &mut relay.log,
                membership: &mut relay.membership,
                identity: None,
                now_ms: T0,
            };
            let step = match frame {
                // As the relay does: check the ticket, record the counter, admit.
                Frame::Resume {
                    ticket,
                    counter,
                    mac,
                } => {
                    let t = relay.tickets.get_mut(&ticket).expect("a ticket we issued");
                    t.check(counter, &mac, T0).expect("a valid resume");
                    t.counter = counter;
                    link.rs.on_resumed(t.device, t.log, &mut ctx)
                }
                frame => link.rs.on_frame(frame, &mut ctx).expect("in-memory log"),
            };
            assert!(step.closed.is_none(), "the relay closed: {:?}", step.closed);
            down.extend(step.send.iter().map(Frame::encode));
        }
        for bytes in to_dev {
            t.down += bytes.len();
            t.messages += 1;
            let frame = Frame::decode(&bytes).expect("our frames decode");
            t.login += login_bytes(&frame, bytes.len());
            let mut ctx = Ctx {
                log: &mut dev.log,
                membership: &mut dev.membership,
                identity: Some(&dev.keys),
                now_ms: T0,
            };
            let step = link.ds.on_frame(frame, &mut ctx).expect("in-memory log");
            assert!(
                step.closed.is_none(),
                "the device closed: {:?}",
                step.closed
            );
            dev.apply(sh, &step.accepted);
            dev.apply(sh, &step.covered);
            if let Some(ticket) = step.ticket {
                dev.ticket = Some((ticket, 0));
            }
            up.extend(step.send.iter().map(Frame::encode));
        }
    }
    link.total.add(t);
    t
}

/// A new connection from `dev` to the relay: handshake (`Resume` with the device's ticket
/// when it has one; else the full login, after which the relay issues a ticket right behind
/// its `Welcome`, as the relay does), then both sides read each other's log from their
/// cursors until quiet.
fn connect(sh: &mut Shared, dev: &mut Device, relay: &mut Relay) -> (Link, Traffic) {
    let mut nonce = [0u8; 32];
    sh.rng.fill_bytes(&mut nonce);
    let (ds, first) = match &mut dev.ticket {
        Some((ticket, counter)) => {
            *counter += 1;
            Session::initiator_resume(sh.ws, dev.keys.id(), ticket, *counter, dev.log.id(), T0)
        }
        None => Session::initiator(
            sh.ws,
            dev.keys.id(),
            PeerKind::Relay,
            nonce,
            dev.log.id(),
            T0,
        ),
    };
    let issue = dev.ticket.is_none();
    sh.rng.fill_bytes(&mut nonce);
    let rs = Session::responder(sh.ws, nonce, relay.log.id(), T0);
    let mut link = Link {
        ds,
        rs,
        total: Traffic::default(),
    };
    let mut t = pump(&mut link, dev, relay, sh, vec![first.encode()], Vec::new());
    if issue {
        let ticket = IssuedTicket::issue(&mut sh.rng, sh.ws, dev.keys.id(), dev.log.id(), T0);
        relay.tickets.insert(ticket.ticket.id, ticket.clone());
        t.add(pump(
            &mut link,
            dev,
            relay,
            sh,
            Vec::new(),
            vec![ticket.frame().encode()],
        ));
        assert!(dev.ticket.is_some(), "the device kept its ticket");
    }
    assert!(link.ds.is_synced(&dev.log), "the device is synced");
    (link, t)
}

/// After the device's log changed (a flush): push what the relay lacks.
fn push(link: &mut Link, dev: &mut Device, relay: &mut Relay, sh: &Shared) -> Traffic {
    let mut ctx = Ctx {
        log: &mut dev.log,
        membership: &mut dev.membership,
        identity: Some(&dev.keys),
        now_ms: T0,
    };
    let step = link.ds.on_local_change(&mut ctx).expect("in-memory log");
    let up = step.send.iter().map(Frame::encode).collect();
    pump(link, dev, relay, sh, up, Vec::new())
}

/// After the relay's log changed through another session: deliver it to this device.
fn deliver(link: &mut Link, dev: &mut Device, relay: &mut Relay, sh: &Shared) -> Traffic {
    let mut ctx = Ctx {
        log: &mut relay.log,
        membership: &mut relay.membership,
        identity: None,
        now_ms: T0,
    };
    let step = link.rs.on_local_change(&mut ctx).expect("in-memory log");
    let down = step.send.iter().map(Frame::encode).collect();
    pump(link, dev, relay, sh, Vec::new(), down)
}

/// Reports the device's checkpoint verdicts on an open link.
fn report_verdicts(link: &mut Link, dev: &mut Device, relay: &mut Relay, sh: &Shared) -> Traffic {
    let verdicts = std::mem::take(&mut dev.verdicts);
    let mut t = Traffic::default();
    for chunk in verdicts.chunks(meridian_sync::wire::MAX_VERDICTS_PER_FRAME) {
        let frame = link.ds.verdicts(chunk).expect("a ready session");
        t.add(pump(link, dev, relay, sh, vec![frame.encode()], Vec::new()));
    }
    t
}

// ---------------------------------------------------------------- automerge

/// Automerge's sync protocol between `dev` (which speaks first, as an automerge-repo
/// client asking for a document does) and `server`, in lock step.
fn sync_automerge(
    server: &mut AutoCommit,
    dev: &mut AutoCommit,
    ss: &mut am_sync::State,
    ds: &mut am_sync::State,
) -> Traffic {
    let mut up = dev.sync().generate_sync_message(ds).map(|m| m.encode());
    let mut down: Option<Vec<u8>> = None;
    let mut t = Traffic::default();
    while up.is_some() || down.is_some() {
        t.hops += 1;
        let (to_server, to_dev) = (up.take(), down.take());
        if let Some(bytes) = to_server {
            t.up += bytes.len();
            t.messages += 1;
            let msg = am_sync::Message::decode(&bytes).expect("automerge decodes its message");
            server
                .sync()
                .receive_sync_message(ss, msg)
                .expect("receive");
            down = server.sync().generate_sync_message(ss).map(|m| m.encode());
        }
        if let Some(bytes) = to_dev {
            t.down += bytes.len();
            t.messages += 1;
            let msg = am_sync::Message::decode(&bytes).expect("automerge decodes its message");
            dev.sync().receive_sync_message(ds, msg).expect("receive");
            up = dev.sync().generate_sync_message(ds).map(|m| m.encode());
        }
    }
    let (mut a, mut b) = (server.get_heads(), dev.get_heads());
    a.sort();
    b.sort();
    assert_eq!(a, b, "automerge converged");
    t
}

/// A live automerge peer kept in sync with a server after every flush (the sync states stay
/// in memory, as on an open connection). The server holds exactly the writer's flushed
/// changes, i.e. the writer's document after each flush, so that document stands in for it.
struct AmLive {
    peer: AutoCommit,
    ss: am_sync::State,
    ps: am_sync::State,
    /// `down`: what the peer received.
    total: Traffic,
}

impl AmLive {
    fn new() -> AmLive {
        AmLive {
            peer: AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint),
            ss: am_sync::State::new(),
            ps: am_sync::State::new(),
            total: Traffic::default(),
        }
    }

    /// The server got a flush (`server` is its document now); it tells the peer, which
    /// answers, until both are quiet.
    fn flushed(&mut self, server: &mut AutoCommit) {
        // The server speaks first: `sync_automerge`'s "device" role.
        let t = sync_automerge(&mut self.peer, server, &mut self.ps, &mut self.ss);
        self.total.add(Traffic {
            up: t.down,
            down: t.up,
            ..t
        });
    }
}

fn persisted(state: &am_sync::State) -> am_sync::State {
    am_sync::State::decode(&state.encode()).expect("a sync state decodes")
}

/// The device's copy of one document under automerge's protocol, with the sync states
/// both sides persisted after the last sync.
struct AmPeer {
    dev: AutoCommit,
    ss: am_sync::State,
    ds: am_sync::State,
}

impl AmPeer {
    /// Syncs from scratch with `server`.
    fn scratch(server: &AutoCommit) -> (AmPeer, Traffic) {
        let mut dev = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
        let (mut ss, mut ds) = (am_sync::State::new(), am_sync::State::new());
        let t = sync_automerge(&mut server.clone(), &mut dev, &mut ss, &mut ds);
        (AmPeer { dev, ss, ds }, t)
    }

    /// Syncs again with the states persisted after the last sync.
    fn resync(&mut self, server: &AutoCommit) -> Traffic {
        let (mut ss, mut ds) = (persisted(&self.ss), persisted(&self.ds));
        let t = sync_automerge(&mut server.clone(), &mut self.dev, &mut ss, &mut ds);
        (self.ss, self.ds) = (ss, ds);
        t
    }

    /// Syncs again with fresh states (the device lost them), without keeping the result.
    fn fresh(&self, server: &AutoCommit) -> Traffic {
        sync_automerge(
            &mut server.clone(),
            &mut self.dev.clone(),
            &mut am_sync::State::new(),
            &mut am_sync::State::new(),
        )
    }
}

// ---------------------------------------------------------------- scenarios

/// The live follower L: connected from before the first keystroke to the end of the
/// trace, it receives every envelope as the relay gets it, verifies every checkpoint and
/// reports its verdicts at once; and automerge's live peer for the same flushes.
struct Follower {
    dev: Device,
    link: Link,
    /// L's `Verdicts` frames (part of `link.total`).
    verdicts: Traffic,
    /// Automerge's live peer, for the first `am_flushes` flushes.
    am: Option<AmLive>,
    am_flushes: usize,
    /// Flushes so far, and the encoded bytes of their changes (what automerge's sync
    /// messages carry).
    flushes: usize,
    change_bytes: usize,
    /// When automerge's live peer stopped: L's link so far, automerge's peer link, and the
    /// flushes' change bytes.
    prefix: Option<(Traffic, Traffic, usize)>,
    /// Seconds spent delivering to L, and in automerge's live sync.
    secs: (f64, f64),
}

/// A world: the writer, the reader, the relay, the writer's live link, and perhaps the
/// live follower.
struct World {
    sh: Shared,
    a: Device,
    b: Device,
    relay: Relay,
    a_link: Link,
    live: Option<Follower>,
}

fn world(seed: u64, follower: bool) -> World {
    let (mut sh, writer, reader, follower) = workspace(seed, follower);
    let mut a = Device::new(writer, &mut sh);
    let b = Device::new(reader, &mut sh);
    let mut relay = Relay {
        log: MemLog::new(log_id(&mut sh.rng)),
        membership: sh.membership.clone(),
        tickets: HashMap::new(),
    };
    let (a_link, _) = connect(&mut sh, &mut a, &mut relay);
    let live = follower.map(|keys| {
        let mut dev = Device::new(keys, &mut sh);
        dev.defer_merge = true;
        let (link, _) = connect(&mut sh, &mut dev, &mut relay);
        Follower {
            dev,
            link,
            verdicts: Traffic::default(),
            am: Some(AmLive::new()),
            am_flushes: match std::env::var("B3_AM_LIVE").ok().as_deref() {
                Some("all") => usize::MAX,
                Some(n) => n.parse().expect("B3_AM_LIVE=N or all"),
                None => AM_LIVE_FLUSHES,
            },
            flushes: 0,
            change_bytes: 0,
            prefix: None,
            secs: (0.0, 0.0),
        }
    });
    World {
        sh,
        a,
        b,
        relay,
        a_link,
        live,
    }
}

impl World {
    /// A flushes `doc` (the rule for a document being typed in) and pushes over its live
    /// link.
    fn flush(&mut self, doc: DocumentId, now: i64) {
        let before = self.a.sealed.checkpoints;
        let flushed = self.a.flush(&mut self.sh, doc, now);
        self.pushed(before);
        if let (Some(f), true) = (&mut self.live, flushed) {
            let d = self.a.doc(&doc);
            f.flushes += 1;
            f.change_bytes += d.get_last_local_change().map_or(0, |c| c.raw_bytes().len());
            if let Some(am) = &mut f.am {
                let t = Instant::now();
                am.flushed(d);
                f.secs.1 += t.elapsed().as_secs_f64();
                if f.flushes >= f.am_flushes {
                    f.prefix = Some((f.link.total, am.total, f.change_bytes));
                    f.am = None;
                }
            }
        }
    }

    /// Nobody typed in `doc` for [`checkpoint::IDLE_MS`]: A applies the idle rule and
    /// pushes the checkpoint if it sealed one. Returns whether it did.
    fn idle(&mut self, doc: DocumentId, now: i64) -> bool {
        let before = self.a.sealed.checkpoints;
        let sealed = self.a.idle(&mut self.sh, doc, now);
        if sealed {
            self.pushed(before);
        }
        sealed
    }

    /// After A's log grew: push, deliver to the follower (which reports its verdicts), and
    /// now and then let both logs sweep (an author's older, unvouched checkpoints go, and
    /// whatever the follower's verdicts allow), as their sweeps would.
    fn pushed(&mut self, checkpoints_before: usize) {
        push(&mut self.a_link, &mut self.a, &mut self.relay, &self.sh);
        if let Some(f) = &mut self.live {
            let t = Instant::now();
            deliver(&mut f.link, &mut f.dev, &mut self.relay, &self.sh);
            f.secs.0 += t.elapsed().as_secs_f64();
            if !f.dev.verdicts.is_empty() {
                let t = report_verdicts(&mut f.link, &mut f.dev, &mut self.relay, &self.sh);
                f.verdicts.add(t);
            }
        }
        let n = self.a.sealed.checkpoints;
        if n != checkpoints_before && n.is_multiple_of(64) {
            self.relay.log.sweep(|_| false);
            self.a.log.sweep(|_| false);
        }
    }

    /// The relay's envelopes and encoded bytes.
    fn relay_held(&self) -> (usize, usize) {
        (self.relay.log.len(), self.relay.log.bytes())
    }
}

/// One small divergence: A types `k` keystrokes into `doc` in one flush; B receives them
/// over its open link (`live`) or by reconnecting.
#[derive(Debug, Clone, Copy)]
struct DivergenceRun {
    k: usize,
    live: bool,
    ours: Traffic,
    changes_bytes: usize,
    /// The flush sealed a checkpoint (the rule while typing).
    checkpoint_sealed: bool,
    /// [`checkpoint::IDLE_MS`] later the idle rule sealed one.
    idle_checkpoint: bool,
    /// Live: what B then received when that checkpoint went out.
    after_idle: Traffic,
    automerge: Traffic,
}

/// Runs the divergences on `doc`, starting with B's link open and synced, at `now`. Each
/// flush is followed by [`checkpoint::IDLE_MS`] without a keystroke: live, B receives the
/// flush and then whatever the idle rule seals; reconnecting, B was away longer than that
/// and reconnects after both.
fn divergences(
    w: &mut World,
    doc: DocumentId,
    mut b_link: Link,
    am: &mut AmPeer,
    mut now: i64,
) -> (Vec<DivergenceRun>, Link) {
    let mut runs = Vec::new();
    let sentence = "Agreed: we move the review to Thursday, and the notes go out the same day. ";
    for k in DIVERGENCE {
        for live in [true, false] {
            now += 60_000;
            let text = body_text(w.a.doc(&doc));
            let pos = paragraph_end(&text, 0.5);
            let d = w.a.doc(&doc);
            let body = body_obj(d);
            for (i, c) in sentence.chars().cycle().take(k).enumerate() {
                splice(d, &body, &[(pos + i, 0, c.to_string())]);
            }
            now += k as i64 * KEYSTROKE_MS;
            let (cps, changes) = (w.a.sealed.checkpoints, w.a.sealed.changes_bytes);
            w.flush(doc, now);
            let checkpoint_sealed = w.a.sealed.checkpoints != cps;
            let changes_bytes = w.a.sealed.changes_bytes - changes;
            let (ours, idle_checkpoint, after_idle) = if live {
                let ours = deliver(&mut b_link, &mut w.b, &mut w.relay, &w.sh);
                let idle = w.idle(doc, now + checkpoint::IDLE_MS);
                let after = if idle {
                    deliver(&mut b_link, &mut w.b, &mut w.relay, &w.sh)
                } else {
                    Traffic::default()
                };
                (ours, idle, after)
            } else {
                let idle = w.idle(doc, now + checkpoint::IDLE_MS);
                let (link, t) = connect(&mut w.sh, &mut w.b, &mut w.relay);
                b_link = link;
                (t, idle, Traffic::default())
            };
            // Verdicts are reported but not counted: the figure is what reaching the new
            // text costs.
            report_verdicts(&mut b_link, &mut w.b, &mut w.relay, &w.sh);
            assert_eq!(
                body_text(w.b.doc(&doc)),
                body_text(w.a.doc(&doc)),
                "B has A's text"
            );
            let server = w.a.doc(&doc).clone();
            let automerge = am.resync(&server);
            runs.push(DivergenceRun {
                k,
                live,
                ours,
                changes_bytes,
                checkpoint_sealed,
                idle_checkpoint,
                after_idle,
                automerge,
            });
        }
    }
    (runs, b_link)
}

/// What the live follower L received over the whole trace, against automerge's live peer.
struct LiveRun {
    /// L's link, both ways, from its login on.
    ours: Traffic,
    /// Of which L's `Verdicts` frames.
    verdicts: Traffic,
    /// Envelopes L accepted, and how many were checkpoint parts.
    envelopes: usize,
    checkpoint_parts: usize,
    /// The membership op that added L, encoded (every device here starts with the
    /// membership log, so no figure includes it).
    membership_op: usize,
    /// Flushes, and the encoded bytes of their changes.
    flushes: usize,
    change_bytes: usize,
    /// Automerge's live peer over the flushes it ran (`am_flushes`, all of them if
    /// `prefix` is `None`), and L's link over the same flushes.
    am_flushes: usize,
    automerge: Traffic,
    ours_prefix: Traffic,
    /// Automerge's peer link over the whole trace: measured, or the measured part plus
    /// the later flushes' changes plus the measured per-flush overhead for each of them.
    automerge_total: usize,
    automerge_estimated: bool,
}

/// How A's typing went: keystrokes, gaps of [`checkpoint::IDLE_MS`] found in the
/// timestamps (the end of the trace not counted), and when it ended.
struct Typing {
    keystrokes: usize,
    idle_gaps: usize,
    end_ms: i64,
}

struct ScenarioRun {
    name: String,
    cadence: String,
    docs: usize,
    keystrokes: usize,
    idle_gaps: usize,
    live: Option<LiveRun>,
    snapshot: usize,
    sealed: Sealed,
    upload: Traffic,
    scratch: Traffic,
    scratch_envelopes: usize,
    automerge_scratch: Traffic,
    verdicts: Traffic,
    relay_before: (usize, usize),
    relay_after: (usize, usize),
    reconnect: Traffic,
    automerge_reconnect_persisted: Traffic,
    automerge_reconnect_fresh: Traffic,
    divergence: Vec<DivergenceRun>,
    divergence_doc: String,
    seconds: f64,
}

/// After A wrote everything: B downloads from scratch, reports its verdicts, the relay
/// sweeps, B reconnects with nothing new; then the divergences on `div_doc`.
#[allow(
    clippy::needless_pass_by_value,
    reason = "benchmark helper; clarity over a borrow"
)]
fn finish(
    mut w: World,
    name: &str,
    cadence: &str,
    typing: Typing,
    div_doc: Option<(DocumentId, String)>,
    started: Instant,
) -> ScenarioRun {
    // The writer's figures before the divergences add to them.
    let (upload, sealed) = (w.a_link.total, w.a.sealed);
    let live = w.live.take().map(|mut f| {
        f.dev.merge_deferred();
        for (doc_id, st) in &f.dev.docs {
            assert_eq!(body_text(&st.doc), body_text(w.a.doc(doc_id)), "L's copy");
        }
        assert!(f.dev.parts.is_empty(), "L holds no partial checkpoint");
        let (am_flushes, ours_prefix, automerge, automerge_total) = match (f.prefix, &f.am) {
            (Some((ours, am, changes)), _) => {
                let n = f.am_flushes;
                let overhead = am.bytes() - changes;
                let rest = (f.change_bytes - changes) + overhead * (f.flushes - n) / n;
                (n, ours, am, am.bytes() + rest)
            }
            (None, Some(am)) => (f.flushes, f.link.total, am.total, am.total.bytes()),
            (None, None) => unreachable!("automerge's peer stops only with a prefix"),
        };
        let checkpoint_parts = f
            .dev
            .log
            .iter()
            .filter(|e| e.header().checkpoint().is_some())
            .count();
        LiveRun {
            ours: f.link.total,
            verdicts: f.verdicts,
            envelopes: f.dev.log.len(),
            checkpoint_parts,
            membership_op: w.sh.follower_op,
            flushes: f.flushes,
            change_bytes: f.change_bytes,
            am_flushes,
            automerge,
            ours_prefix,
            automerge_total,
            automerge_estimated: f.prefix.is_some(),
        }
    });
    let relay_before = w.relay_held();
    let t = Instant::now();
    let accepted_before = w.b.log.len();
    let (mut b_link, scratch) = connect(&mut w.sh, &mut w.b, &mut w.relay);
    let scratch_envelopes = w.b.log.len() - accepted_before;
    let ids: Vec<DocumentId> = w.a.docs.keys().copied().collect();
    let mut snapshot = 0;
    let mut automerge_scratch = Traffic::default();
    let mut automerge_reconnect_persisted = Traffic::default();
    let mut automerge_reconnect_fresh = Traffic::default();
    let mut am_peers = HashMap::new();
    for id in &ids {
        let a_doc = w.a.doc(id).clone();
        assert_eq!(body_text(w.b.doc(id)), body_text(&a_doc), "B's copy");
        snapshot += a_doc.clone().save().len();
        let (mut am, t) = AmPeer::scratch(&a_doc);
        automerge_scratch.add(t);
        automerge_reconnect_fresh.add(am.fresh(&a_doc));
        automerge_reconnect_persisted.add(am.resync(&a_doc));
        am_peers.insert(*id, am);
    }
    println!(
        "    B from scratch: {} in {:.1} s; automerge runs done",
        kb(scratch.bytes()),
        t.elapsed().as_secs_f64()
    );
    let verdicts = report_verdicts(&mut b_link, &mut w.b, &mut w.relay, &w.sh);
    w.relay.log.sweep(|_| false);
    let relay_after = w.relay_held();
    let (b_link, reconnect) = connect(&mut w.sh, &mut w.b, &mut w.relay);
    let (divergence, divergence_doc) = match div_doc {
        Some((doc, label)) => {
            let mut am = am_peers.remove(&doc).expect("the document");
            let now = typing.end_ms + 3_600_000;
            (divergences(&mut w, doc, b_link, &mut am, now).0, label)
        }
        None => (Vec::new(), String::new()),
    };
    ScenarioRun {
        name: name.to_owned(),
        cadence: cadence.to_owned(),
        docs: ids.len(),
        keystrokes: typing.keystrokes,
        idle_gaps: typing.idle_gaps,
        live,
        snapshot,
        sealed,
        upload,
        scratch,
        scratch_envelopes,
        automerge_scratch,
        verdicts,
        relay_before,
        relay_after,
        reconnect,
        automerge_reconnect_persisted,
        automerge_reconnect_fresh,
        divergence,
        divergence_doc,
        seconds: started.elapsed().as_secs_f64(),
    }
}

const PAPER: DocumentId = DocumentId([5; 16]);

/// The paper trace typed by A, a flush every `every` keystrokes, on the trace's clock: a
/// gap of [`checkpoint::IDLE_MS`] between two keystrokes makes the document idle (after
/// flushing what is pending), and so does the end of the trace. With `follow`, the live
/// follower L is connected throughout.
fn paper(trace: &Trace, every: usize, with_divergence: bool, follow: bool) -> ScenarioRun {
    let started = Instant::now();
    let mut w = world(3, follow);
    let times: Vec<i64> = trace.txns.iter().map(|t| trace_ms(&t.time)).collect();
    let t0 = times.first().copied().unwrap_or(0);
    let clock = |i: usize| T0 + times[i] - t0;
    w.a.create(PAPER, "paper", &trace.start_content);
    w.flush(PAPER, T0);
    let body = body_obj(w.a.doc(&PAPER));
    let last = trace.txns.len();
    let (mut pending, mut idle_gaps) = (false, 0);
    for (i, txn) in trace.txns.iter().enumerate() {
        if i > 0 && clock(i) - clock(i - 1) >= checkpoint::IDLE_MS {
            if pending {
                w.flush(PAPER, clock(i - 1));
            }
            w.idle(PAPER, clock(i - 1) + checkpoint::IDLE_MS);
            idle_gaps += 1;
        }
        splice(w.a.doc(&PAPER), &body, &txn.patches);
        pending = true;
        if (i + 1).is_multiple_of(every) || i + 1 == last {
            w.flush(PAPER, clock(i));
            pending = false;
        }
        if (i + 1).is_multiple_of(if follow { 10_000 } else { 50_000 }) {
            let (l, am) = w.live.as_ref().map_or((0.0, 0.0), |f| f.secs);
            println!(
                "    {} keystrokes, {} checkpoints, {:.1} s (delivering to L {l:.1} s, automerge live {am:.1} s)",
                i + 1,
                w.a.sealed.checkpoints,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let end_ms = clock(last - 1) + checkpoint::IDLE_MS;
    w.idle(PAPER, end_ms);
    assert_eq!(
        body_text(w.a.doc(&PAPER)),
        trace.end_content,
        "the replayed trace"
    );
    let mut cadence = cadence_label(every);
    if follow {
        cadence.push_str(", L live");
    }
    let div = with_divergence.then(|| (PAPER, "paper".to_owned()));
    let typing = Typing {
        keystrokes: last,
        idle_gaps,
        end_ms,
    };
    finish(w, "paper trace", &cadence, typing, div, started)
}

fn cadence_label(every: usize) -> String {
    if every == 1 {
        "1 keystroke (live)".to_owned()
    } else {
        format!("{every} keystrokes (1/min)")
    }
}

fn handbook_doc(i: usize) -> DocumentId {
    let mut id = [0x4b; 16];
    id[..8].copy_from_slice(&(i as u64).to_be_bytes());
    DocumentId(id)
}

/// All handbook pages imported by A (one envelope each), then `TYPED_PAGES` of them each
/// get a paragraph typed at the end a keystroke at a time, at the live cadence.
fn handbook(pages: &[(String, String)]) -> ScenarioRun {
    let started = Instant::now();
    let mut w = world(4, false);
    for (i, (title, body)) in pages.iter().enumerate() {
        w.a.create(handbook_doc(i), title, body);
        w.a.flush(&mut w.sh, handbook_doc(i), T0);
    }
    push(&mut w.a_link, &mut w.a, &mut w.relay, &w.sh);
    let step = pages.len() / TYPED_PAGES;
    let typed: Vec<usize> = (0..TYPED_PAGES).map(|i| i * step + step / 2).collect();
    // 6 keystrokes a second, one page after another: each page goes idle
    // `checkpoint::IDLE_MS` after its last keystroke (while the next one is being typed).
    let (mut keystrokes, mut idle_gaps, mut now) = (0, 0, T0);
    for &p in &typed {
        let id = handbook_doc(p);
        let d = w.a.doc(&id);
        let body = body_obj(d);
        let start = d.length(&body);
        for (i, c) in PARAGRAPH.chars().enumerate() {
            now += KEYSTROKE_MS;
            splice(w.a.doc(&id), &body, &[(start + i, 0, c.to_string())]);
            w.flush(id, now);
            keystrokes += 1;
        }
        w.idle(id, now + checkpoint::IDLE_MS);
        idle_gaps += 1;
    }
    // The end of the trace: every document is idle (the imported ones have one envelope
    // each, their own snapshot).
    let end_ms = now + checkpoint::IDLE_MS;
    for i in 0..pages.len() {
        w.idle(handbook_doc(i), end_ms);
    }
    // The divergence goes into a page nobody typed into: a mid-sized imported page.
    let mut sizes: Vec<(usize, usize)> = pages
        .iter()
        .enumerate()
        .filter(|(i, _)| !typed.contains(i))
        .map(|(i, (_, b))| (b.len(), i))
        .collect();
    sizes.sort();
    let (_, median) = sizes[sizes.len() / 2];
    let label = format!(
        "handbook page \"{}\" ({} B of Markdown)",
        pages[median].0,
        pages[median].1.len()
    );
    finish(
        w,
        &format!("handbook: {} pages, {TYPED_PAGES} typed into", pages.len()),
        "import, then 1 keystroke (live)",
        Typing {
            keystrokes,
            idle_gaps,
            end_ms,
        },
        Some((handbook_doc(median), label)),
        started,
    )
}

// ---------------------------------------------------------------- report

fn kb(bytes: usize) -> String {
    if bytes >= 1_000_000 {
        format!("{:.2} MB", bytes as f64 / 1e6)
    } else if bytes >= 10_000 {
        format!("{:.1} KB", bytes as f64 / 1e3)
    } else {
        format!("{bytes} B")
    }
}

fn ratio(a: usize, b: usize) -> String {
    let r = a as f64 / b as f64;
    if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.3}×")
    }
}

fn print_tables(runs: &[ScenarioRun]) {
    println!(
        "\nFrom scratch: fresh device B downloads from the relay (all frames both ways, login included); target ≤ 1.10× snapshot"
    );
    println!(
        "| workload | cadence | snapshot | envelopes received | ours | × snapshot | RT | automerge | × snapshot | RT |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in runs {
        println!(
            "| {} | {} | {} | {} | {} | **{}** | {} | {} | {} | {} |",
            r.name,
            r.cadence,
            kb(r.snapshot),
            r.scratch_envelopes,
            kb(r.scratch.bytes()),
            ratio(r.scratch.bytes(), r.snapshot),
            r.scratch.round_trips(),
            kb(r.automerge_scratch.bytes()),
            ratio(r.automerge_scratch.bytes(), r.snapshot),
            r.automerge_scratch.round_trips(),
        );
    }
    println!(
        "\nWriter cost: what A sealed and sent (upload = every frame A sent on its live link / its Changes envelopes' bytes)"
    );
    println!(
        "| workload | cadence | idle gaps | Changes envelopes | their bytes | checkpoints (envelopes) | of which idle | checkpoint bytes | A sent | upload × |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in runs {
        let s = r.sealed;
        println!(
            "| {} | {} | {} | {} | {} | {} ({}) | {} | {} | {} | **{}** |",
            r.name,
            r.cadence,
            r.idle_gaps,
            s.changes,
            kb(s.changes_bytes),
            s.checkpoints,
            s.checkpoint_envelopes,
            s.idle_checkpoints,
            kb(s.checkpoint_bytes),
            kb(r.upload.up),
            ratio(r.upload.up, s.changes_bytes),
        );
    }
    println!(
        "\nRelay storage: before B's verdicts and after the sweep; target ≤ 1.5× snapshot (the paper at the live cadence)"
    );
    println!(
        "| workload | cadence | held before | after sweep | × snapshot | B's verdicts frame(s) |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in runs {
        println!(
            "| {} | {} | {} env, {} | {} env, {} | **{}** | {} |",
            r.name,
            r.cadence,
            r.relay_before.0,
            kb(r.relay_before.1),
            r.relay_after.0,
            kb(r.relay_after.1),
            ratio(r.relay_after.1, r.snapshot),
            kb(r.verdicts.bytes()),
        );
    }
    println!(
        "\nLive follower L, connected through the whole paper trace (its login, acks and verdicts included), against automerge's live peer synced with a server after every flush (both ways)"
    );
    println!(
        "| span | flushes | their changes | ours: L received / sent (verdicts) | ours | automerge: peer received / sent | automerge | × | RT per flush (automerge) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in runs {
        let Some(l) = &r.live else { continue };
        if l.am_flushes < l.flushes {
            println!(
                "| first {} flushes (both measured) | {} | — | {} / {} | {} | {} / {} | {} | **{}** | {:.2} |",
                l.am_flushes,
                l.am_flushes,
                kb(l.ours_prefix.down),
                kb(l.ours_prefix.up),
                kb(l.ours_prefix.bytes()),
                kb(l.automerge.down),
                kb(l.automerge.up),
                kb(l.automerge.bytes()),
                ratio(l.ours_prefix.bytes(), l.automerge.bytes()),
                l.automerge.round_trips() as f64 / l.am_flushes as f64,
            );
        }
        println!(
            "| whole trace ({} envelopes accepted, {} checkpoint parts) | {} | {} | {} / {} ({}) | {} | {} | {}{} | **{}** | |",
            l.envelopes,
            l.checkpoint_parts,
            l.flushes,
            kb(l.change_bytes),
            kb(l.ours.down),
            kb(l.ours.up),
            kb(l.verdicts.up),
            kb(l.ours.bytes()),
            if l.automerge_estimated {
                "—"
            } else {
                "measured"
            },
            kb(l.automerge_total),
            if l.automerge_estimated {
                " (estimated)"
            } else {
                ""
            },
            ratio(l.ours.bytes(), l.automerge_total),
        );
        println!(
            "  (the membership op that added L: {} B; every device here starts with the membership log, so no figure includes it)",
            l.membership_op
        );
    }
    println!("\nReconnect with nothing new (login included); target ≤ 1 KB");
    println!(
        "| workload | ours | of which login | RT | automerge persisted (sum over docs) | automerge fresh |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in runs {
        println!(
            "| {} ({}) | **{}** | {} | {} | {} | {} |",
            r.name,
            r.cadence,
            kb(r.reconnect.bytes()),
            kb(r.reconnect.login),
            r.reconnect.round_trips(),
            kb(r.automerge_reconnect_persisted.bytes()),
            kb(r.automerge_reconnect_fresh.bytes()),
        );
    }
    println!(
        "\nSmall divergence: A types k keystrokes in one flush, B receives (live: over its open link; reconnect: login counted apart, as automerge's figure has none); target ≤ 1.10× automerge with persisted state"
    );
    println!(
        "| document | k | B | A's envelope | checkpoint at flush | idle checkpoint (before B reconnects) | ours | of which login | RT | automerge persisted | RT | × (login excluded) | × (login included) | live: B then received |"
    );
    println!(
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for r in runs {
        for d in &r.divergence {
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | **{}** | {} | {} |",
                r.divergence_doc,
                d.k,
                if d.live { "live" } else { "reconnect" },
                kb(d.changes_bytes),
                if d.checkpoint_sealed { "yes" } else { "no" },
                if d.idle_checkpoint { "yes" } else { "no" },
                kb(d.ours.bytes()),
                kb(d.ours.login),
                d.ours.round_trips(),
                kb(d.automerge.bytes()),
                d.automerge.round_trips(),
                ratio(d.ours.sync_bytes(), d.automerge.bytes()),
                ratio(d.ours.bytes(), d.automerge.bytes()),
                if d.live && d.idle_checkpoint {
                    kb(d.after_idle.bytes())
                } else {
                    "—".to_owned()
                },
            );
        }
    }
}

fn write_json(runs: &[ScenarioRun]) {
    let scenarios: Vec<serde_json::Value> = runs
        .iter()
        .map(|r| {
            let s = r.sealed;
            json!({
                "name": r.name,
                "cadence": r.cadence,
                "documents": r.docs,
                "keystrokes": r.keystrokes,
                "idle_gaps": r.idle_gaps,
                "snapshot_bytes": r.snapshot,
                "seconds": r.seconds,
                "sealed": {
                    "changes_envelopes": s.changes,
                    "changes_bytes": s.changes_bytes,
                    "checkpoints": s.checkpoints,
                    "idle_checkpoints": s.idle_checkpoints,
                    "checkpoint_envelopes": s.checkpoint_envelopes,
                    "checkpoint_bytes": s.checkpoint_bytes,
                },
                "upload": r.upload.json(),
                "upload_amplification": r.upload.up as f64 / s.changes_bytes as f64,
                "from_scratch": r.scratch.json(),
                "from_scratch_envelopes": r.scratch_envelopes,
                "from_scratch_ratio": r.scratch.bytes() as f64 / r.snapshot as f64,
                "verdicts": r.verdicts.json(),
                "relay_before": {"envelopes": r.relay_before.0, "bytes": r.relay_before.1},
                "relay_after_sweep": {"envelopes": r.relay_after.0, "bytes": r.relay_after.1},
                "relay_ratio": r.relay_after.1 as f64 / r.snapshot as f64,
                "reconnect": r.reconnect.json(),
                "automerge": {
                    "from_scratch": r.automerge_scratch.json(),
                    "reconnect_persisted": r.automerge_reconnect_persisted.json(),
                    "reconnect_fresh": r.automerge_reconnect_fresh.json(),
                },
                "live_follower": r.live.as_ref().map(|l| json!({
                    "ours": l.ours.json(),
                    "verdicts": l.verdicts.json(),
                    "envelopes": l.envelopes,
                    "checkpoint_parts": l.checkpoint_parts,
                    "membership_op_bytes": l.membership_op,
                    "flushes": l.flushes,
                    "change_bytes": l.change_bytes,
                    "automerge_live_flushes": l.am_flushes,
                    "automerge_live_peer": l.automerge.json(),
                    "ours_same_flushes": l.ours_prefix.json(),
                    "automerge_total_bytes": l.automerge_total,
                    "automerge_total_estimated": l.automerge_estimated,
                    "ratio": l.ours.bytes() as f64 / l.automerge_total as f64,
                })),
                "divergence_doc": r.divergence_doc,
                "divergence": r.divergence.iter().map(|d| json!({
                    "k": d.k,
                    "live": d.live,
                    "ours": d.ours.json(),
                    "changes_envelope_bytes": d.changes_bytes,
                    "checkpoint_sealed": d.checkpoint_sealed,
                    "idle_checkpoint": d.idle_checkpoint,
                    "live_after_idle": d.after_idle.json(),
                    "automerge_persisted": d.automerge.json(),
                    "ratio": d.ours.bytes() as f64 / d.automerge.bytes() as f64,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
    let dir = PathBuf::from(target).join("bench-results");
    std::fs::create_dir_all(&dir).expect("results dir");
    let file = dir.join("b3.json");
    let value = json!({
        "bench": "b3",
        "protocol": meridian_sync::wire::PROTOCOL_VERSION,
        "tail_floor_bytes": checkpoint::TAIL_FLOOR_BYTES,
        "tail_percent": checkpoint::TAIL_PERCENT,
        "active_tail_floor_bytes": checkpoint::ACTIVE_TAIL_FLOOR_BYTES,
        "idle_ms": checkpoint::IDLE_MS,
        "scenarios": scenarios,
    });
    std::fs::write(&file, serde_json::to_string_pretty(&value).expect("json")).expect("write");
    println!("\nresults written to {}", file.display());
}

fn main() {
    let Some(trace) = load_trace() else {
        println!("SKIP: {} is absent (the shared corpus)", corpus().display());
        return;
    };
    let pages = handbook_pages();
    assert_eq!(pages.len(), 883, "the handbook's pages");
    // B3_ONLY=handbook|paper-minute|paper-live runs one scenario (for quick checks).
    let only = std::env::var("B3_ONLY").ok();
    let wants = |name: &str| only.as_deref().is_none_or(|o| o == name);
    println!(
        "B3: sync bytes through the relay (protocol v2), ours against automerge's sync protocol"
    );
    let mut runs = Vec::new();
    if wants("handbook") {
        println!("  handbook workspace");
        runs.push(handbook(&pages));
    }
    if wants("paper-minute") {
        println!("  paper trace, one envelope per minute");
        runs.push(paper(&trace, PER_MINUTE, false, false));
    }
    if wants("paper-live") {
        println!("  paper trace, live cadence, with a live follower");
        runs.push(paper(&trace, LIVE, true, true));
    }
    for r in &runs {
        println!("  {} ({}): {:.1} s", r.name, r.cadence, r.seconds);
    }
    print_tables(&runs);
    write_json(&runs);
}
