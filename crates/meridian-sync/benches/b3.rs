//! B3 (DESIGN §11): bytes and round trips to bring a device up to date with a document
//! through the relay — from scratch, after a small divergence, and after a reconnect with
//! nothing new — with our protocol, against automerge's own sync protocol on the same
//! documents in the same run.
//!
//! Ours: real [`Session`]s over an in-memory link, the device as initiator and the relay
//! as a responder without keys; envelopes really sealed, verified, opened and applied;
//! every frame encoded with the wire codec, decoded on the other side and counted in both
//! directions, handshake included. Automerge: `sync::State` with
//! `generate_sync_message`/`receive_sync_message` between the device and a server holding
//! the document, every message encoded and decoded (automerge-repo's own framing around
//! them is not counted). Both links run in lock step: each hop delivers everything in
//! flight both ways and the receivers answer at once; round trips are hops / 2, rounded up.
//!
//! `cargo bench -p meridian-sync --bench b3`; prints tables and writes
//! `$CARGO_TARGET_DIR/bench-results/b3.json`.

use std::path::PathBuf;
use std::time::Instant;

use automerge::sync::{self as am_sync, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, TextEncoding};
use meridian_sync::{
    Ctx, DeviceKeys, DocumentId, Envelope, EnvelopeLog, EpochKey, Frame, Header, Kind, MemLog,
    MembershipLog, PeerKind, Role, Session, WorkspaceId,
};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::json;

const T0: i64 = 1_800_000_000_000;

/// Keystroke transactions per envelope. The app seals after every save (ADR 0004) and,
/// at human typing speed, every keystroke is its own save (ADR 0002: keystrokes coalesce
/// only while a write is in flight, under a millisecond), so 1 is what it does today.
/// 6 is one envelope per second of typing at the load generator's 6 keystrokes/s (a
/// debounced sealer), 360 one per minute. A creation or import is always a save of its
/// own, sealed as a snapshot.
const CADENCES: [usize; 3] = [1, 6, 360];

fn corpus() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
}

// ---------------------------------------------------------------- documents

/// One keystroke transaction on the body: (position, characters deleted, text inserted),
/// in code points.
type Txn = Vec<(usize, usize, String)>;

/// A document's history: its creation, then keystrokes.
struct Source {
    name: String,
    title: String,
    /// The body when the document is created (an import, or empty).
    body: String,
    txns: Vec<Txn>,
    /// The body after every transaction (the trace's `endContent`).
    end: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Trace {
    start_content: String,
    end_content: String,
    txns: Vec<TraceTxn>,
}

#[derive(serde::Deserialize)]
struct TraceTxn {
    patches: Txn,
}

fn apply_txn(text: &mut Vec<char>, txn: &Txn) {
    for (pos, del, ins) in txn {
        text.splice(*pos..*pos + *del, ins.chars());
    }
}

/// Someone types `sentence` at `pos`, one keystroke per transaction, then takes back the
/// last `backspaces` characters one at a time.
fn typing(pos: usize, sentence: &str, backspaces: usize) -> Vec<Txn> {
    let typed = sentence
        .chars()
        .enumerate()
        .map(|(i, c)| vec![(pos + i, 0, c.to_string())]);
    let end = pos + sentence.chars().count();
    let erased = (0..backspaces).map(|i| vec![(end - 1 - i, 1, String::new())]);
    typed.chain(erased).collect()
}

/// The end of the paragraph nearest to `fraction` of the text: where people add a line.
fn paragraph_end(text: &[char], fraction: f64) -> usize {
    let target = (text.len() as f64 * fraction) as usize;
    text.windows(2)
        .enumerate()
        .filter(|(_, w)| w == &['\n', '\n'])
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(target))
        .unwrap_or(target)
}

const EDITS: [&str; 3] = [
    " Decisions go in the thread first; reply within your working hours.",
    " The summary is due within eight working hours of the meeting.",
    " Ask in the open channel before sending a direct message.",
];

impl Source {
    fn new(name: &str, title: &str, body: String, txns: Vec<Txn>) -> Source {
        let mut text: Vec<char> = body.chars().collect();
        for txn in &txns {
            apply_txn(&mut text, txn);
        }
        Source {
            name: name.to_owned(),
            title: title.to_owned(),
            body,
            txns,
            end: text.into_iter().collect(),
        }
    }

    /// The paper trace, or `None` when the corpus is absent.
    fn paper() -> Option<Source> {
        let path = corpus().join("traces/automerge-paper.json.gz");
        let file = std::fs::File::open(&path).ok()?;
        let trace: Trace = serde_json::from_reader(flate2::read::GzDecoder::new(file))
            .unwrap_or_else(|e| panic!("bad trace {}: {e}", path.display()));
        let txns = trace.txns.into_iter().map(|t| t.patches).collect();
        let source = Source::new("paper trace", "paper", trace.start_content, txns);
        assert_eq!(source.end, trace.end_content, "the replayed trace");
        Some(source)
    }

    fn handbook(path: &str) -> Option<String> {
        std::fs::read_to_string(corpus().join("handbook/content").join(path)).ok()
    }

    /// A handbook page typed into Meridian from an empty body, a keystroke at a time.
    fn typed(name: &str, path: &str) -> Option<Source> {
        let text = Self::handbook(path)?;
        let txns = text
            .chars()
            .enumerate()
            .map(|(i, c)| vec![(i, 0, c.to_string())])
            .collect();
        Some(Source::new(name, name, String::new(), txns))
    }

    /// A handbook page imported in one save, then edited in three typing sessions.
    fn imported(name: &str, path: &str) -> Option<Source> {
        let body = Self::handbook(path)?;
        let mut text: Vec<char> = body.chars().collect();
        let mut txns = Vec::new();
        for (i, sentence) in EDITS.iter().enumerate() {
            let pos = paragraph_end(&text, 0.2 + 0.3 * i as f64);
            for txn in typing(pos, sentence, 10) {
                apply_txn(&mut text, &txn);
                txns.push(txn);
            }
        }
        Some(Source::new(name, name, body, txns))
    }
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

fn splice(doc: &mut AutoCommit, body: &ObjId, txn: &Txn) {
    for (pos, del, ins) in txn {
        let del = isize::try_from(*del).expect("a few characters");
        doc.splice_text(body, *pos, del, ins).expect("splice");
    }
    doc.commit();
}

/// What one device seals while typing `txns` into `doc`: an envelope body every `every`
/// transactions (and after the last), each `save_after` the heads sealed before.
fn type_and_seal(doc: &mut AutoCommit, txns: &[Txn], every: usize) -> Vec<(Kind, Vec<u8>)> {
    let body = body_obj(doc);
    let mut sealed = doc.get_heads();
    let mut out = Vec::new();
    for (i, txn) in txns.iter().enumerate() {
        splice(doc, &body, txn);
        if (i + 1) % every == 0 || i + 1 == txns.len() {
            out.push((Kind::Changes, doc.save_after(&sealed)));
            sealed = doc.get_heads();
        }
    }
    out
}

/// The author's document and, per sealing cadence (then "one snapshot"), the envelope
/// bodies it sealed.
struct Authored {
    doc: AutoCommit,
    cadences: Vec<Cadence>,
}

struct Cadence {
    label: String,
    /// Keystroke transactions per envelope; `None` for the single snapshot.
    every: Option<usize>,
    bodies: Vec<(Kind, Vec<u8>)>,
}

fn new_doc(actor: &ActorId) -> AutoCommit {
    AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint).with_actor(actor.clone())
}

/// Writes the source's history once, sealing at every cadence along the way.
fn author(src: &Source, actor: &ActorId) -> Authored {
    let mut doc = new_doc(actor);
    doc.put(ROOT, "title", src.title.as_str()).expect("title");
    let body = doc.put_object(ROOT, "body", ObjType::Text).expect("body");
    doc.splice_text(&body, 0, 0, &src.body)
        .expect("initial body");
    let tags = doc.put_object(ROOT, "tags", ObjType::List).expect("tags");
    doc.insert(&tags, 0, "handbook").expect("tag");
    doc.commit();
    let created = doc.save();
    let mut sealed: Vec<Vec<ChangeHash>> = vec![doc.get_heads(); CADENCES.len()];
    let mut bodies: Vec<Vec<(Kind, Vec<u8>)>> =
        vec![vec![(Kind::Snapshot, created)]; CADENCES.len()];
    let last = src.txns.len();
    for (i, txn) in src.txns.iter().enumerate() {
        splice(&mut doc, &body, txn);
        for (c, every) in CADENCES.iter().enumerate() {
            if (i + 1) % every == 0 || i + 1 == last {
                bodies[c].push((Kind::Changes, doc.save_after(&sealed[c])));
                sealed[c] = doc.get_heads();
            }
        }
    }
    assert_eq!(body_text(&doc), src.end, "{}: the author's body", src.name);
    let mut cadences: Vec<Cadence> = CADENCES
        .iter()
        .zip(bodies)
        .map(|(every, bodies)| Cadence {
            label: if *every == 1 {
                "1 keystroke".to_owned()
            } else {
                format!("{every} keystrokes")
            },
            every: Some(*every),
            bodies,
        })
        .collect();
    cadences.push(Cadence {
        label: "one snapshot".to_owned(),
        every: None,
        bodies: vec![(Kind::Snapshot, doc.save())],
    });
    Authored { doc, cadences }
}

// ---------------------------------------------------------------- the workspace

/// The author device A, the syncing device B, and what every party shares.
struct Team {
    rng: StdRng,
    ws: WorkspaceId,
    key: EpochKey,
    membership: MembershipLog,
    author: DeviceKeys,
    reader: DeviceKeys,
}

fn team() -> Team {
    let mut rng = StdRng::seed_from_u64(3);
    let mut ws = WorkspaceId([0; 16]);
    rng.fill_bytes(&mut ws.0);
    let author = DeviceKeys::generate(&mut rng);
    let reader = DeviceKeys::generate(&mut rng);
    let key = EpochKey::generate(&mut rng);
    let mut membership =
        MembershipLog::create(&author, ws, "Acme", "Ada", &key, T0, &mut rng).expect("create");
    let keys = membership
        .state()
        .epoch_keys_for(&author)
        .expect("admin keys");
    membership
        .add_device(
            &author,
            reader.public(),
            "Ben",
            Role::Editor,
            &keys,
            T0,
            &mut rng,
        )
        .expect("add the reader");
    Team {
        rng,
        ws,
        key,
        membership,
        author,
        reader,
    }
}

const DOC: DocumentId = DocumentId([5; 16]);

/// Which device of the [`Team`] seals.
#[derive(Debug, Clone, Copy)]
enum Who {
    Author,
    Reader,
}

impl Team {
    /// Seals `bodies` as `who`'s next envelopes and appends them to `log`.
    fn seal(&mut self, who: Who, log: &mut MemLog, bodies: &[(Kind, Vec<u8>)]) {
        let keys = match who {
            Who::Author => &self.author,
            Who::Reader => &self.reader,
        };
        for (kind, body) in bodies {
            let seq = log.vector().get(&keys.id()) + 1;
            let header = Header::new(self.ws, DOC, 1, keys.id(), seq, *kind, T0);
            let env = Envelope::seal(header, body, keys, &self.key, &mut self.rng).expect("seal");
            log.append(&env).expect("contiguous");
        }
    }
}

/// Device B: its envelope log, its membership log and its copy of the document.
struct Device {
    log: MemLog,
    membership: MembershipLog,
    doc: AutoCommit,
}

impl Device {
    /// Opens what a session accepted and merges it, in one `load_incremental` per step.
    fn apply(&mut self, accepted: &[Envelope], key: &EpochKey) {
        let mut bytes = Vec::new();
        for env in accepted {
            bytes.extend(env.decrypt(key).expect("an accepted envelope opens"));
        }
        if !bytes.is_empty() {
            self.doc
                .load_incremental(&bytes)
                .expect("automerge loads it");
        }
    }
}

/// What crossed a link.
#[derive(Debug, Default, Clone, Copy)]
struct Traffic {
    up: usize,
    down: usize,
    messages: usize,
    hops: usize,
}

impl Traffic {
    fn bytes(&self) -> usize {
        self.up + self.down
    }

    fn round_trips(&self) -> usize {
        self.hops.div_ceil(2)
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "bytes": self.bytes(), "up": self.up, "down": self.down,
            "messages": self.messages, "round_trips": self.round_trips(),
        })
    }
}

/// One session between device B and the relay, in lock step until nothing is in flight.
fn sync_ours(team: &mut Team, dev: &mut Device, relay: &mut MemLog) -> Traffic {
    let mut relay_membership = team.membership.clone();
    let mut nonce = [0u8; 32];
    team.rng.fill_bytes(&mut nonce);
    let (mut ds, hello) = Session::initiator(team.ws, team.reader.id(), PeerKind::Relay, nonce, T0);
    team.rng.fill_bytes(&mut nonce);
    let mut rs = Session::responder(team.ws, nonce, T0);
    let mut up = vec![hello.encode()];
    let mut down: Vec<Vec<u8>> = Vec::new();
    let mut t = Traffic::default();
    while !up.is_empty() || !down.is_empty() {
        t.hops += 1;
        let (to_relay, to_dev) = (std::mem::take(&mut up), std::mem::take(&mut down));
        for bytes in to_relay {
            t.up += bytes.len();
            t.messages += 1;
            let frame = Frame::decode(&bytes).expect("our frames decode");
            let mut ctx = Ctx {
                log: &mut *relay,
                membership: &mut relay_membership,
                identity: None,
                now_ms: T0,
            };
            let step = rs.on_frame(frame, &mut ctx).expect("in-memory log");
            assert!(step.closed.is_none(), "the relay closed: {:?}", step.closed);
            down.extend(step.send.iter().map(Frame::encode));
        }
        for bytes in to_dev {
            t.down += bytes.len();
            t.messages += 1;
            let frame = Frame::decode(&bytes).expect("our frames decode");
            let mut ctx = Ctx {
                log: &mut dev.log,
                membership: &mut dev.membership,
                identity: Some(&team.reader),
                now_ms: T0,
            };
            let step = ds.on_frame(frame, &mut ctx).expect("in-memory log");
            assert!(
                step.closed.is_none(),
                "the device closed: {:?}",
                step.closed
            );
            dev.apply(&step.accepted, &team.key);
            up.extend(step.send.iter().map(Frame::encode));
        }
    }
    assert!(ds.is_synced(&dev.log), "the device is synced");
    assert_eq!(
        relay.vector(),
        dev.log.vector(),
        "both hold the same envelopes"
    );
    t
}

/// Automerge's sync protocol between device `dev` (which speaks first, as an
/// automerge-repo client asking for a document does) and `server`, in lock step.
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

fn persisted(state: &am_sync::State) -> am_sync::State {
    am_sync::State::decode(&state.encode()).expect("a sync state decodes")
}

// ---------------------------------------------------------------- one document

/// Automerge's figures for one document (they do not depend on our sealing cadence).
struct AutomergeRuns {
    scratch: Traffic,
    reconnect_fresh: Traffic,
    reconnect_persisted: Traffic,
    diverged_fresh: Traffic,
    diverged_persisted: Traffic,
}

struct CadenceRun {
    label: String,
    envelopes: usize,
    body_bytes: usize,
    scratch: Traffic,
    reconnect: Option<Traffic>,
    diverged: Option<Traffic>,
    diverged_envelopes: usize,
}

struct DocRun {
    name: String,
    keystrokes: usize,
    saved: usize,
    cadences: Vec<CadenceRun>,
    automerge: AutomergeRuns,
}

/// The small divergence: A adds a sentence near the start, B (offline) one near the end
/// and takes back a word.
fn divergence(text: &str) -> (Vec<Txn>, Vec<Txn>) {
    let text: Vec<char> = text.chars().collect();
    let a = typing(
        paragraph_end(&text, 0.3),
        " Agreed: we move the review to Thursday.",
        0,
    );
    let b = typing(
        paragraph_end(&text, 0.7),
        " Blocking: needs a decision by Friday noon.",
        6,
    );
    (a, b)
}

fn run_doc(team: &mut Team, src: &Source) -> DocRun {
    let started = Instant::now();
    let author_actor = ActorId::from(team.author.id().as_bytes()[..16].to_vec());
    let reader_actor = ActorId::from(team.reader.id().as_bytes()[..16].to_vec());
    let mut authored = author(src, &author_actor);
    let saved = authored.doc.save().len();
    let (a_edits, b_edits) = divergence(&src.end);
    println!(
        "  {}: {} keystrokes, saved {} bytes, written in {:.1} s",
        src.name,
        src.txns.len(),
        saved,
        started.elapsed().as_secs_f64()
    );

    let mut cadences = Vec::new();
    let mut diverged_docs = None;
    for cadence in &authored.cadences {
        let mut relay = MemLog::new();
        team.seal(Who::Author, &mut relay, &cadence.bodies);
        let mut dev = Device {
            log: MemLog::new(),
            membership: team.membership.clone(),
            doc: new_doc(&reader_actor),
        };
        let scratch = sync_ours(team, &mut dev, &mut relay);
        assert_eq!(body_text(&dev.doc), src.end, "{}: B's body", src.name);
        let mut run = CadenceRun {
            label: cadence.label.clone(),
            envelopes: cadence.bodies.len(),
            body_bytes: cadence.bodies.iter().map(|(_, b)| b.len()).sum(),
            scratch,
            reconnect: None,
            diverged: None,
            diverged_envelopes: 0,
        };
        // A single snapshot is how a document is shared, not how it is edited.
        if let Some(every) = cadence.every {
            run.reconnect = Some(sync_ours(team, &mut dev, &mut relay));
            let mut a_doc = authored.doc.clone();
            let a_bodies = type_and_seal(&mut a_doc, &a_edits, every);
            team.seal(Who::Author, &mut relay, &a_bodies);
            let b_bodies = type_and_seal(&mut dev.doc, &b_edits, every);
            team.seal(Who::Reader, &mut dev.log, &b_bodies);
            let mut merged = a_doc.clone();
            merged.merge(&mut dev.doc.clone()).expect("merge");
            if diverged_docs.is_none() {
                diverged_docs = Some((a_doc, dev.doc.clone()));
            }
            run.diverged = Some(sync_ours(team, &mut dev, &mut relay));
            run.diverged_envelopes = a_bodies.len() + b_bodies.len();
            assert_eq!(
                body_text(&dev.doc),
                body_text(&merged),
                "{}: merged",
                src.name
            );
        }
        cadences.push(run);
    }

    let (mut server_diverged, mut dev_diverged) = diverged_docs.expect("at least one cadence");
    let mut server = authored.doc.clone();
    let mut dev = new_doc(&reader_actor);
    let (mut ss, mut ds) = (am_sync::State::new(), am_sync::State::new());
    let scratch = sync_automerge(&mut server, &mut dev, &mut ss, &mut ds);
    let (ss, ds) = (persisted(&ss), persisted(&ds));
    let automerge = AutomergeRuns {
        scratch,
        reconnect_fresh: sync_automerge(
            &mut server,
            &mut dev,
            &mut am_sync::State::new(),
            &mut am_sync::State::new(),
        ),
        reconnect_persisted: sync_automerge(
            &mut server,
            &mut dev,
            &mut persisted(&ss),
            &mut persisted(&ds),
        ),
        diverged_persisted: sync_automerge(
            &mut server_diverged.clone(),
            &mut dev_diverged.clone(),
            &mut persisted(&ss),
            &mut persisted(&ds),
        ),
        diverged_fresh: sync_automerge(
            &mut server_diverged,
            &mut dev_diverged,
            &mut am_sync::State::new(),
            &mut am_sync::State::new(),
        ),
    };
    println!("    done in {:.1} s", started.elapsed().as_secs_f64());
    DocRun {
        name: src.name.clone(),
        keystrokes: src.txns.len(),
        saved,
        cadences,
        automerge,
    }
}

// ---------------------------------------------------------------- report

fn kb(bytes: usize) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
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
        format!("{r:.2}×")
    }
}

fn print_tables(runs: &[DocRun]) {
    println!(
        "\nFrom scratch: a fresh device B downloads the document from the relay (ours) or the server (automerge); bytes both ways; target ≤ 1.1× saved"
    );
    println!(
        "| document | saved | cadence (per envelope) | envelopes | bodies | ours | × saved | RT | automerge | × saved | RT |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for run in runs {
        let am = run.automerge.scratch;
        for c in &run.cadences {
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                run.name,
                kb(run.saved),
                c.label,
                c.envelopes,
                kb(c.body_bytes),
                kb(c.scratch.bytes()),
                ratio(c.scratch.bytes(), run.saved),
                c.scratch.round_trips(),
                kb(am.bytes()),
                ratio(am.bytes(), run.saved),
                am.round_trips(),
            );
        }
    }
    let (a, b) = divergence("");
    println!(
        "\nSmall divergence: A typed a sentence ({} keystrokes, already at the relay), B offline another and took back a word ({}); B reconnects; target ≤ 1.0× automerge",
        a.len(),
        b.len()
    );
    println!(
        "| document | cadence | envelopes | ours | RT | automerge, persisted state | RT | × | automerge, fresh state | RT | × |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for run in runs {
        let (p, f) = (
            run.automerge.diverged_persisted,
            run.automerge.diverged_fresh,
        );
        for c in &run.cadences {
            let Some(d) = c.diverged else { continue };
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                run.name,
                c.label,
                c.diverged_envelopes,
                kb(d.bytes()),
                d.round_trips(),
                kb(p.bytes()),
                p.round_trips(),
                ratio(d.bytes(), p.bytes()),
                kb(f.bytes()),
                f.round_trips(),
                ratio(d.bytes(), f.bytes()),
            );
        }
    }
    println!("\nReconnect with nothing new (ours includes the login handshake); target ≤ 10 KB");
    println!(
        "| document | ours | RT | automerge, persisted state | RT | automerge, fresh state | RT |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for run in runs {
        let (p, f) = (
            run.automerge.reconnect_persisted,
            run.automerge.reconnect_fresh,
        );
        let ours = run.cadences[0].reconnect.expect("a keystroke cadence");
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            run.name,
            kb(ours.bytes()),
            ours.round_trips(),
            kb(p.bytes()),
            p.round_trips(),
            kb(f.bytes()),
            f.round_trips(),
        );
    }
}

fn write_json(runs: &[DocRun]) {
    let docs: Vec<serde_json::Value> = runs
        .iter()
        .map(|r| {
            let am = &r.automerge;
            json!({
                "name": r.name,
                "keystrokes": r.keystrokes,
                "saved_bytes": r.saved,
                "ours": r.cadences.iter().map(|c| json!({
                    "cadence": c.label,
                    "envelopes": c.envelopes,
                    "body_bytes": c.body_bytes,
                    "from_scratch": c.scratch.json(),
                    "reconnect": c.reconnect.map(|t| t.json()),
                    "diverged": c.diverged.map(|t| t.json()),
                    "diverged_envelopes": c.diverged_envelopes,
                })).collect::<Vec<_>>(),
                "automerge": {
                    "from_scratch": am.scratch.json(),
                    "reconnect_fresh": am.reconnect_fresh.json(),
                    "reconnect_persisted": am.reconnect_persisted.json(),
                    "diverged_fresh": am.diverged_fresh.json(),
                    "diverged_persisted": am.diverged_persisted.json(),
                },
            })
        })
        .collect();
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
    let dir = PathBuf::from(target).join("bench-results");
    std::fs::create_dir_all(&dir).expect("results dir");
    let file = dir.join("b3.json");
    let value = json!({ "bench": "b3", "cadences": CADENCES, "documents": docs });
    std::fs::write(&file, serde_json::to_string_pretty(&value).expect("json")).expect("write");
    println!("\nresults written to {}", file.display());
}

fn main() {
    let Some(paper) = Source::paper() else {
        println!("SKIP: {} is absent (the shared corpus)", corpus().display());
        return;
    };
    let sources = [
        Source::imported(
            "handbook page, imported + 3 edits",
            "company-info-and-process/communication/retrospectives.md",
        ),
        Source::imported(
            "long handbook page, imported + 3 edits",
            "company-info-and-process/communication/asynchronous-communication.md",
        ),
        Source::typed(
            "handbook page, typed",
            "departments/product/design/ways_of_working/index.md",
        ),
    ];
    let mut team = team();
    let mut runs = Vec::new();
    println!("B3: sync bytes through the relay, ours against automerge's sync protocol");
    for src in sources.into_iter().flatten().chain([paper]) {
        runs.push(run_doc(&mut team, &src));
    }
    print_tables(&runs);
    write_json(&runs);
}
