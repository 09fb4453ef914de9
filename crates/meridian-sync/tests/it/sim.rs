//! Seeded deterministic simulation of protocol v2 with checkpoints and garbage collection.
//!
//! 3–6 devices each hold 1–3 Automerge documents, edit them concurrently and seal one
//! `Changes` envelope per edit; each seals checkpoints when [`checkpoint::due`] says so
//! (covering, per author, the highest contiguous `doc_seq` whose change is in its
//! document, plus what checkpoints it applied cover). They sync through a relay (a
//! [`MemLog`] behind responder sessions, holding no key) over a network that interleaves
//! connections at random but keeps each connection's frames in order, as TCP does. A lost
//! frame is a broken connection: both sessions are gone and the device reconnects. Ack
//! loss (a connection breaking right after a batch was stored), duplicate connections of
//! one device, device and relay restarts (sessions lost, logs, documents and verdict
//! outboxes kept), time passing and resyncs, a device offline through several
//! checkpoints, a device removed with a key rotation, and sweeps of the relay and of
//! devices at random times all happen.
//!
//! A device checks every checkpoint it gets (it loads; its heads are the body's; it holds
//! every change of every covered envelope the device holds) and reports a verdict.
//!
//! After healing the network and syncing until quiet: every live device's documents are
//! equal, every change any device ever authored is in every one of them, no envelope
//! crossed a connection twice except after a resync or on a duplicate connection, no
//! honest checkpoint was rejected, and once one more checkpoint is verified by everyone
//! the relay holds one envelope per document. A device that joins then gets everything
//! from that alone.
//!
//! `MERIDIAN_SIM_SEED=N cargo test -p meridian-sync --test it sim` reruns one seed;
//! `MERIDIAN_SIM_SEEDS=N` runs seeds 0..N (default 200); `MERIDIAN_SIM_STATS=1` prints
//! what each seed did; `MERIDIAN_SIM_SCALE=s` makes each seed larger (see [`scale`]).
//! `scripts/sim.sh [SEEDS] [SCALE] [FIRST]` runs thousands of seeds in release through
//! the ignored [`at_scale`] test and prints their throughput and any failing seed
//! (BENCHMARKS.md, "Simulation at scale").

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::convert::Infallible;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Automerge, ChangeHash, ObjType, ROOT, ReadDoc, Value};
use meridian_sync::checkpoint;
use meridian_sync::protocol::RESYNC_AFTER_MS;
use meridian_sync::{
    CheckpointId, CheckpointPart, Closed, Ctx, DeviceId, DeviceKeys, DocumentId, Envelope,
    EnvelopeLog, EpochKey, ErrorCode, Frame, Header, Kind, MemLog, MembershipLog, Peer, PeerKind,
    Role, Session, Step, Verdict, VersionVector, WorkspaceId,
};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

use crate::support::T0;

const SEEDS: u64 = 200;

struct Device {
    ws: WorkspaceId,
    keys: DeviceKeys,
    log: MemLog,
    membership: MembershipLog,
    epoch_keys: BTreeMap<u64, EpochKey>,
    docs: Vec<AutoCommit>,
    seq: u64,
    doc_seq: Vec<u64>,
    /// When this device last edited each document (the policy waits while it types).
    last_edit: Vec<i64>,
    /// Per document, per author: the highest `doc_seq` whose change (and every earlier
    /// one) this device's document holds: what its checkpoints may cover.
    vouch: Vec<VersionVector>,
    /// Per document: envelopes applied above `vouch`, with their change.
    pending: Vec<BTreeMap<(DeviceId, u64), ChangeHash>>,
    /// The change of every `Changes` envelope seen, by envelope key.
    hashes: HashMap<(DeviceId, u64), ChangeHash>,
    /// Checkpoints loaded (or sealed) already.
    handled: HashSet<CheckpointId>,
    /// Verdicts not yet noted by the relay, and how many of them are in flight on which
    /// connection.
    outbox: Vec<Verdict>,
    in_flight: Option<(u64, usize)>,
    removed: bool,
}

struct Relay {
    log: MemLog,
    membership: MembershipLog,
}

/// One device's connection to the relay. Each direction is a FIFO.
struct Conn {
    id: u64,
    dev: usize,
    sd: Session,
    sr: Session,
    to_relay: VecDeque<Vec<u8>>,
    to_dev: VecDeque<Vec<u8>>,
    /// Envelopes may legitimately arrive twice here (a resync, a second connection).
    excused: bool,
    /// Batches (`Push`, `Deliver`) sent so far towards the relay and towards the device.
    batches_to_relay: u64,
    batches_to_dev: u64,
    /// For each `Want` in flight, in order: how many batches the receiver had sent when
    /// the `Want` left.
    wants_to_relay: VecDeque<u64>,
    wants_to_dev: VecDeque<u64>,
}

impl Conn {
    /// Queues a frame towards the relay (`to_relay`) or the device.
    fn send(&mut self, to_relay: bool, frame: &Frame) {
        let batch = matches!(frame, Frame::Push { .. } | Frame::Deliver { .. });
        if to_relay {
            self.batches_to_relay += u64::from(batch);
            if matches!(frame, Frame::Want { .. }) {
                self.wants_to_relay.push_back(self.batches_to_dev);
            }
            self.to_relay.push_back(frame.encode());
        } else {
            self.batches_to_dev += u64::from(batch);
            if matches!(frame, Frame::Want { .. }) {
                self.wants_to_dev.push_back(self.batches_to_relay);
            }
            self.to_dev.push_back(frame.encode());
        }
    }

    /// A `Want` arrives: whether the receiver sent a batch after it left. The two crossed
    /// on the wire, and the receiver sends that batch again from the `Want`'s cursor (a
    /// resync), even though it may have arrived already.
    fn want_crossed(&mut self, to_relay: bool) -> bool {
        if to_relay {
            let sent = self.wants_to_relay.pop_front().expect("a Want in flight");
            self.batches_to_dev > sent
        } else {
            let sent = self.wants_to_dev.pop_front().expect("a Want in flight");
            self.batches_to_relay > sent
        }
    }

    /// A `Want` while frames are in flight asks the peer to send again from the cursor,
    /// including what it already sent: a resync.
    fn note_want(&mut self, step: &Step) {
        let busy = !self.to_relay.is_empty() || !self.to_dev.is_empty();
        if busy && step.send.iter().any(|f| matches!(f, Frame::Want { .. })) {
            self.excused = true;
        }
    }
}

#[derive(Default, Debug, Clone, Copy)]
struct Stats {
    /// Devices at the start (the joiner of the final check not counted) and documents.
    devices: usize,
    docs: usize,
    /// Chaos steps; `Changes` envelopes sealed (the length of the history).
    steps: u64,
    sealed: u64,
    checkpoints: u64,
    verdicts: u64,
    swept_in_chaos: usize,
    dupes: u64,
    excused_dupes: u64,
    drops: u64,
    lost_acks: u64,
    restarts: u64,
    /// Frames delivered over connections, and the envelopes they carried.
    frames: u64,
    moved: u64,
}

impl Stats {
    /// Counts one frame taken off a connection.
    fn delivered(&mut self, frame: &Frame) {
        self.frames += 1;
        if let Frame::Push { entries, .. } | Frame::Deliver { entries, .. } = frame {
            self.moved += entries.len() as u64;
        }
    }
}

/// How much larger than the CI runs (`MERIDIAN_SIM_SCALE`, default 1): up to `3 + 3 ×
/// scale` devices, `2 + scale` documents and `400 × scale` chaos steps. Scale 1 draws
/// exactly what the CI runs draw, so its seeds replay without the variable.
fn scale() -> usize {
    std::env::var("MERIDIAN_SIM_SCALE").map_or(1, |s| {
        s.parse::<usize>()
            .ok()
            .filter(|n| (1..=40).contains(n))
            .expect("MERIDIAN_SIM_SCALE must be a number from 1 to 40")
    })
}

/// What a session is asked to do.
enum Call {
    Frame(Frame),
    Local,
    Tick,
}

impl Call {
    fn run(self, s: &mut Session, ctx: &mut Ctx<'_, MemLog>) -> Result<Step, Infallible> {
        match self {
            Call::Frame(frame) => s.on_frame(frame, ctx),
            Call::Local => s.on_local_change(ctx),
            Call::Tick => s.on_tick(ctx),
        }
    }
}

struct Sim {
    seed: u64,
    rng: StdRng,
    now: i64,
    ws: WorkspaceId,
    devs: Vec<Device>,
    relay: Relay,
    conns: Vec<Conn>,
    next_conn: u64,
    ndocs: usize,
    offline: Option<usize>,
    /// Every change ever made, with its document.
    authored: Vec<(usize, ChangeHash)>,
    stats: Stats,
    events: Vec<String>,
}

fn doc_id(d: usize) -> DocumentId {
    DocumentId([u8::try_from(d).expect("few docs") + 1; 16])
}

fn doc_index(doc: &DocumentId) -> usize {
    usize::from(doc.0[0] - 1)
}

fn text_obj(doc: &AutoCommit) -> Option<automerge::ObjId> {
    match doc.get(ROOT, "text") {
        Ok(Some((Value::Object(ObjType::Text), id))) => Some(id),
        _ => None,
    }
}

fn dump(doc: &AutoCommit) -> String {
    let mut out = String::new();
    for key in doc.keys(ROOT) {
        match doc.get(ROOT, key.as_str()) {
            Ok(Some((Value::Object(ObjType::Text), id))) => {
                out += &format!("{key}=text:{:?};", doc.text(&id));
            }
            Ok(Some((Value::Scalar(v), _))) => out += &format!("{key}={v:?};"),
            other => out += &format!("{key}={other:?};"),
        }
    }
    out
}

fn sorted_heads(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut h = doc.get_heads();
    h.sort();
    h
}

impl Device {
    fn refresh_keys(&mut self) {
        if self.membership.state().is_removed(&self.keys.id()) {
            return;
        }
        self.epoch_keys = self
            .membership
            .state()
            .epoch_keys_for(&self.keys)
            .expect("unwrap epoch keys");
    }

    fn key(&self, epoch: u64) -> &EpochKey {
        self.epoch_keys
            .get(&epoch)
            .unwrap_or_else(|| panic!("no key for epoch {epoch}"))
    }

    /// Moves `vouch` forward over applied envelopes whose change is in the document.
    fn advance(&mut self, d: usize) {
        loop {
            let mut moved = false;
            let keys: Vec<(DeviceId, u64)> = self.pending[d].keys().copied().collect();
            for (author, s) in keys {
                let v = self.vouch[d].get(&author);
                let hash = self.pending[d][&(author, s)];
                if s <= v {
                    self.pending[d].remove(&(author, s));
                    moved = true;
                } else if s == v + 1 && self.docs[d].get_change_meta_by_hash(&hash).is_some() {
                    self.vouch[d].set(author, s);
                    self.pending[d].remove(&(author, s));
                    moved = true;
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Applies a `Changes` envelope (stored, or covered by a checkpoint already applied).
    fn apply_changes(&mut self, env: &Envelope) {
        let h = env.header();
        let doc_seq = h.doc_seq().expect("a Changes envelope");
        let body = env
            .decrypt(&self.ws, self.key(h.epoch))
            .expect("an accepted envelope decrypts");
        let hash = automerge::Change::try_from(&body[..])
            .expect("one change per envelope")
            .hash();
        let d = doc_index(&h.doc);
        // Automerge ignores a change it has; not loading it again only saves time.
        if self.docs[d].get_change_meta_by_hash(&hash).is_none() {
            self.docs[d]
                .load_incremental(&body)
                .expect("automerge accepts the change");
        }
        self.record(env, doc_seq, hash);
    }

    /// Notes the change of a `Changes` envelope now in (or on its way into) the document.
    fn record(&mut self, env: &Envelope, doc_seq: u64, hash: ChangeHash) {
        let h = env.header();
        let d = doc_index(&h.doc);
        self.hashes.insert(env.key(), hash);
        self.pending[d].insert((h.device, doc_seq), hash);
        self.advance(d);
    }

    /// Loads and checks a complete checkpoint; returns the verdict.
    fn apply_checkpoint(&mut self, doc: DocumentId, id: CheckpointId) -> Verdict {
        let d = doc_index(&doc);
        let mut parts: Vec<(u32, Envelope)> = self
            .log
            .iter()
            .filter_map(|e| {
                let (cid, part) = e.header().checkpoint()?;
                (cid == id && e.header().doc == doc).then(|| (part.part, e.clone()))
            })
            .collect();
        parts.sort_by_key(|(i, _)| *i);
        let covers = parts[0]
            .1
            .header()
            .checkpoint()
            .expect("a part")
            .1
            .covers
            .clone();
        let mut body = Vec::new();
        for (_, env) in &parts {
            body.extend(
                env.decrypt(&self.ws, self.key(env.header().epoch))
                    .expect("a member's checkpoint decrypts"),
            );
        }
        let ok = self.check_checkpoint(&body, doc, &covers);
        if ok {
            let (heads, saved) = checkpoint::decode_body(&body).expect("checked");
            // Loading a whole document again is the costly part; skip it when every head
            // is already here.
            let missing = heads.iter().any(|h| {
                self.docs[d]
                    .get_change_meta_by_hash(&ChangeHash(*h))
                    .is_none()
            });
            if missing {
                self.docs[d].load_incremental(saved).expect("checked");
            }
            self.vouch[d].merge(&covers);
            self.advance(d);
            if let Some(info) = self.log.coverage_mut().get_mut(&doc, &id) {
                info.verifiers.insert(self.keys.id());
            }
        } else if let Some(info) = self.log.coverage_mut().get_mut(&doc, &id) {
            info.rejected = true;
        }
        Verdict {
            doc,
            checkpoint: id,
            ok,
        }
    }

    fn check_checkpoint(&self, body: &[u8], doc: DocumentId, covers: &VersionVector) -> bool {
        let Some((heads, saved)) = checkpoint::decode_body(body) else {
            return false;
        };
        let Ok(loaded) = Automerge::load(saved) else {
            return false;
        };
        let mut got: Vec<[u8; 32]> = loaded.get_heads().iter().map(|h| h.0).collect();
        let mut claimed = heads;
        got.sort();
        claimed.sort();
        if got != claimed {
            return false;
        }
        self.log.iter().all(|e| {
            let h = e.header();
            match h.doc_seq() {
                // (The metadata lookup answers "is this change in it?" without
                // rebuilding the change as `get_change_by_hash` does.)
                Some(s) if h.doc == doc && s <= covers.get(&h.device) => loaded
                    .get_change_meta_by_hash(&self.hashes[&e.key()])
                    .is_some(),
                _ => true,
            }
        })
    }
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let mut rng = StdRng::seed_from_u64(seed);
        let scale = scale();
        let n = rng.random_range(3..=3 + 3 * scale);
        let ndocs = rng.random_range(1..=2 + scale);
        let mut ws = WorkspaceId([0; 16]);
        rng.fill_bytes(&mut ws.0);
        let keys: Vec<DeviceKeys> = (0..n).map(|_| DeviceKeys::generate(&mut rng)).collect();
        let key1 = EpochKey::generate(&mut rng);
        let mut membership =
            MembershipLog::create(&keys[0], ws, "Sim", "admin", &key1, T0, &mut rng)
                .expect("create");
        for (i, k) in keys.iter().enumerate().skip(1) {
            let epoch_keys = membership
                .state()
                .epoch_keys_for(&keys[0])
                .expect("admin keys");
            membership
                .add_device(
                    &keys[0],
                    k.public(),
                    &format!("m{i}"),
                    Role::Editor,
                    &epoch_keys,
                    T0,
                    &mut rng,
                )
                .expect("add");
        }
        let devs = keys
            .into_iter()
            .enumerate()
            .map(|(i, keys)| new_device(i, keys, &membership, ndocs))
            .collect();
        let offline = (rng.random_bool(0.7)).then(|| rng.random_range(1..n));
        let mut sim = Sim {
            seed,
            rng,
            now: T0,
            ws,
            devs,
            relay: Relay {
                log: MemLog::new([0xee; 16]),
                membership,
            },
            conns: Vec::new(),
            next_conn: 0,
            ndocs,
            offline,
            authored: Vec::new(),
            stats: Stats {
                devices: n,
                docs: ndocs,
                ..Stats::default()
            },
            events: Vec::new(),
        };
        // The admin creates each document's text object.
        for d in 0..ndocs {
            sim.edit(0, Some(d), true);
        }
        sim
    }
}

fn new_device(i: usize, keys: DeviceKeys, membership: &MembershipLog, ndocs: usize) -> Device {
    let actor = ActorId::from(vec![u8::try_from(i).expect("few devices") + 1; 16]);
    let mut dev = Device {
        ws: membership.state().workspace().expect("created"),
        log: MemLog::new([u8::try_from(i).expect("few devices") + 1; 16]),
        keys,
        membership: membership.clone(),
        epoch_keys: BTreeMap::new(),
        docs: (0..ndocs)
            .map(|_| AutoCommit::new().with_actor(actor.clone()))
            .collect(),
        seq: 0,
        doc_seq: vec![0; ndocs],
        last_edit: vec![i64::MIN / 2; ndocs],
        vouch: vec![VersionVector::new(); ndocs],
        pending: vec![BTreeMap::new(); ndocs],
        hashes: HashMap::new(),
        handled: HashSet::new(),
        outbox: Vec::new(),
        in_flight: None,
        removed: false,
    };
    dev.refresh_keys();
    dev
}

impl Sim {
    fn event(&mut self, e: String) {
        self.events.push(e);
    }

    fn live(&self) -> Vec<usize> {
        (0..self.devs.len())
            .filter(|r| !self.devs[*r].removed)
            .collect()
    }

    fn connected(&self, r: usize) -> bool {
        self.offline != Some(r) && !self.devs[r].removed
    }

    /// A local edit at device `r`, sealed as one envelope, then a checkpoint if due.
    fn edit(&mut self, r: usize, doc: Option<usize>, create: bool) {
        let d = doc.unwrap_or_else(|| self.rng.random_range(0..self.ndocs));
        let rng = &mut self.rng;
        let dev = &mut self.devs[r];
        let docu = &mut dev.docs[d];
        if create {
            docu.put_object(ROOT, "text", ObjType::Text)
                .expect("put text");
        } else {
            for _ in 0..rng.random_range(1..=3) {
                match text_obj(docu) {
                    Some(text) if rng.random_bool(0.7) => {
                        let len = docu.length(&text);
                        let pos = rng.random_range(0..=len);
                        let del = rng.random_range(0..=(len - pos).min(8));
                        let n = rng.random_range(10..120);
                        let word: String = (0..n)
                            .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                            .collect();
                        docu.splice_text(&text, pos, isize::try_from(del).expect("small"), &word)
                            .expect("splice");
                    }
                    _ => {
                        let key = format!("k{}", rng.random_range(0..4));
                        docu.put(ROOT, key, rng.random_range(0..1000i64))
                            .expect("put");
                    }
                }
            }
        }
        let Some(hash) = docu.commit_with(CommitOptions::default().with_time(0)) else {
            return;
        };
        let body = docu
            .get_change_by_hash(&hash)
            .expect("just made")
            .raw_bytes()
            .to_vec();
        dev.seq += 1;
        dev.doc_seq[d] += 1;
        dev.last_edit[d] = self.now;
        let epoch = dev.membership.state().epoch();
        let header = Header::changes(
            doc_id(d),
            epoch,
            dev.keys.id(),
            dev.seq,
            dev.doc_seq[d],
            self.now,
        );
        let env =
            Envelope::seal(&dev.ws, header, &body, &dev.keys, dev.key(epoch), rng).expect("seal");
        dev.log
            .append(&env, &Peer::Device(dev.keys.id()))
            .expect("mem log");
        dev.record(&env, dev.doc_seq[d], hash);
        self.authored.push((d, hash));
        self.stats.sealed += 1;
        self.maybe_checkpoint(r, d, false);
        self.notify_dev(r, None);
    }

    /// Seals a checkpoint of document `d` at device `r` if the policy says so (or `force`).
    fn maybe_checkpoint(&mut self, r: usize, d: usize, force: bool) {
        let dev = &mut self.devs[r];
        let idle = self.now - dev.last_edit[d] >= checkpoint::IDLE_MS;
        let doc = doc_id(d);
        let me = dev.keys.id();
        let cov = dev.log.coverage();
        let (mut tail, mut mine) = (checkpoint::Tail::default(), false);
        for e in dev.log.iter() {
            let h = e.header();
            if let Some(s) = h.doc_seq()
                && h.doc == doc
                && s > cov.covered(&doc, &h.device)
            {
                tail.envelopes += 1;
                tail.bytes += e.encoded_len_bound() as u64;
                if h.device == me {
                    mine = true;
                    tail.last_bytes = e.encoded_len_bound() as u64;
                }
            }
        }
        let newest = cov
            .checkpoints(&doc)
            .iter()
            .filter(|c| c.is_usable())
            .max_by_key(|c| c.covers.total())
            .map(|c| c.id);
        tail.base_bytes = dev
            .log
            .iter()
            .filter(|e| {
                e.header()
                    .checkpoint()
                    .is_some_and(|(id, _)| Some(id) == newest)
            })
            .map(|e| e.encoded_len_bound() as u64)
            .sum();
        let due = mine && checkpoint::due(&tail, idle);
        if !(due || force) || dev.vouch[d].is_empty() {
            return;
        }
        let heads: Vec<[u8; 32]> = dev.docs[d].get_heads().iter().map(|h| h.0).collect();
        let saved = dev.docs[d].save_with_options(automerge::SaveOptions {
            deflate: true,
            retain_orphans: false,
        });
        let body = checkpoint::encode_body(&heads, &saved);
        let parts = checkpoint::split_body(&body);
        let epoch = dev.membership.state().epoch();
        let covers = dev.vouch[d].clone();
        let n = u32::try_from(parts.len()).expect("few parts");
        for (i, part) in (0u32..).zip(parts) {
            dev.seq += 1;
            let header = Header::new(
                doc,
                epoch,
                me,
                dev.seq,
                Kind::Checkpoint(CheckpointPart {
                    covers: covers.clone(),
                    part: i,
                    parts: n,
                }),
                self.now,
            );
            let env = Envelope::seal(
                &dev.ws,
                header,
                part,
                &dev.keys,
                dev.key(epoch),
                &mut self.rng,
            )
            .expect("seal");
            dev.log.append(&env, &Peer::Device(me)).expect("mem log");
            if i == 0 {
                dev.handled
                    .insert(env.header().checkpoint().expect("a part").0);
            }
        }
        self.stats.checkpoints += 1;
        let total = covers.total();
        self.event(format!(
            "device {r} sealed a checkpoint of doc {d} covering {total}"
        ));
    }

    fn open_conn(&mut self, r: usize) {
        let mut na = [0u8; 32];
        let mut nb = [0u8; 32];
        self.rng.fill_bytes(&mut na);
        self.rng.fill_bytes(&mut nb);
        let dev = &self.devs[r];
        let (sd, hello) = Session::initiator(
            self.ws,
            dev.keys.id(),
            PeerKind::Relay,
            na,
            dev.log.id(),
            self.now,
        );
        let sr = Session::responder(self.ws, nb, self.relay.log.id(), self.now);
        let id = self.next_conn;
        self.next_conn += 1;
        self.conns.push(Conn {
            id,
            dev: r,
            sd,
            sr,
            to_relay: VecDeque::from([hello.encode()]),
            to_dev: VecDeque::new(),
            excused: false,
            batches_to_relay: 0,
            batches_to_dev: 0,
            wants_to_relay: VecDeque::new(),
            wants_to_dev: VecDeque::new(),
        });
    }

    fn connect_missing(&mut self) {
        for r in 0..self.devs.len() {
            if self.connected(r) && !self.conns.iter().any(|c| c.dev == r) {
                self.open_conn(r);
            }
        }
    }

    fn drop_conn(&mut self, id: u64) {
        if let Some(i) = self.conns.iter().position(|c| c.id == id) {
            let r = self.conns[i].dev;
            if self.devs[r].in_flight.is_some_and(|(c, _)| c == id) {
                self.devs[r].in_flight = None;
            }
            self.conns.remove(i);
        }
    }

    fn drop_dev_conns(&mut self, r: usize) {
        let ids: Vec<u64> = self
            .conns
            .iter()
            .filter(|c| c.dev == r)
            .map(|c| c.id)
            .collect();
        for id in ids {
            self.drop_conn(id);
        }
    }

    /// Runs one session call on the device side of connection `id`; returns how many
    /// frames it sent.
    fn drive_dev(&mut self, id: u64, call: Call) -> usize {
        let Some(ci) = self.conns.iter().position(|c| c.id == id) else {
            return 0;
        };
        let r = self.conns[ci].dev;
        let dev = &mut self.devs[r];
        let mut ctx = Ctx {
            log: &mut dev.log,
            membership: &mut dev.membership,
            identity: Some(&dev.keys),
            now_ms: self.now,
        };
        let Ok(step) = call.run(&mut self.conns[ci].sd, &mut ctx);
        let sent = step.send.len();
        self.conns[ci].note_want(&step);
        for frame in &step.send {
            self.conns[ci].send(true, frame);
        }
        if !step.membership_applied.is_empty() {
            dev.refresh_keys();
        }
        let mut completed = Vec::new();
        for env in &step.accepted {
            match env.header().kind {
                Kind::Changes { .. } => dev.apply_changes(env),
                Kind::Checkpoint(_) => {
                    let (cid, _) = env.header().checkpoint().expect("a part");
                    let doc = env.header().doc;
                    if !dev.handled.contains(&cid)
                        && dev
                            .log
                            .coverage()
                            .get(&doc, &cid)
                            .is_some_and(|c| c.is_complete())
                    {
                        completed.push((doc, cid));
                    }
                }
            }
        }
        for env in &step.covered {
            dev.apply_changes(env);
        }
        for (doc, cid) in completed {
            if dev.handled.insert(cid) {
                let verdict = dev.apply_checkpoint(doc, cid);
                dev.outbox.push(verdict);
                self.stats.verdicts += 1;
                assert!(verdict.ok, "device {r} rejected honest checkpoint {cid}");
            }
        }
        if let Some(count) = step.verdicts_noted
            && let Some((cid, n)) = dev.in_flight
            && cid == id
        {
            let n = n.min(count as usize);
            dev.outbox.drain(..n);
            dev.in_flight = None;
        }
        if let Some(closed) = &step.closed {
            self.check_close(r, closed);
            self.drop_conn(id);
            return sent;
        }
        if !step.accepted.is_empty() || !step.membership_applied.is_empty() {
            self.notify_dev(r, Some(id));
        }
        self.pump_verdicts(r);
        sent
    }

    /// Runs one session call on the relay side of connection `id`.
    fn drive_relay(&mut self, id: u64, call: Call) -> usize {
        let Some(ci) = self.conns.iter().position(|c| c.id == id) else {
            return 0;
        };
        let head = self.relay.log.head();
        let mut ctx = Ctx {
            log: &mut self.relay.log,
            membership: &mut self.relay.membership,
            identity: None,
            now_ms: self.now,
        };
        let Ok(step) = call.run(&mut self.conns[ci].sr, &mut ctx);
        let sent = step.send.len();
        self.conns[ci].note_want(&step);
        for frame in &step.send {
            self.conns[ci].send(false, frame);
        }
        if let Some(closed) = &step.closed {
            let r = self.conns[ci].dev;
            self.check_close(r, closed);
            self.drop_conn(id);
        }
        if self.relay.log.head() != head || !step.membership_applied.is_empty() {
            let ids: Vec<u64> = self
                .conns
                .iter()
                .map(|c| c.id)
                .filter(|c| *c != id)
                .collect();
            for other in ids {
                self.drive_relay(other, Call::Local);
            }
        }
        sent
    }

    fn notify_dev(&mut self, r: usize, except: Option<u64>) {
        let ids: Vec<u64> = self
            .conns
            .iter()
            .filter(|c| c.dev == r && Some(c.id) != except)
            .map(|c| c.id)
            .collect();
        for id in ids {
            self.drive_dev(id, Call::Local);
        }
        self.pump_verdicts(r);
    }

    /// Sends the device's outbox on one ready connection, one frame at a time.
    fn pump_verdicts(&mut self, r: usize) {
        let dev = &mut self.devs[r];
        if dev.in_flight.is_some() || dev.outbox.is_empty() {
            return;
        }
        for c in self.conns.iter_mut().filter(|c| c.dev == r) {
            if let Some(frame) = c.sd.verdicts(&dev.outbox) {
                let Frame::Verdicts { verdicts } = &frame else {
                    unreachable!("a verdicts frame")
                };
                dev.in_flight = Some((c.id, verdicts.len()));
                c.to_relay.push_back(frame.encode());
                return;
            }
        }
    }

    /// With connections kept in order, a session ends only when a removed device is cut
    /// off or a handshake takes too long; anything else is a bug.
    fn check_close(&mut self, r: usize, closed: &Closed) {
        self.event(format!("device {r}'s session closed: {closed:?}"));
        match closed {
            Closed::Bye => {}
            Closed::Refused { code, message } | Closed::ByPeer { code, message } => {
                let removed = self
                    .relay
                    .membership
                    .state()
                    .is_removed(&self.devs[r].keys.id());
                assert!(
                    *code == ErrorCode::Timeout || (*code == ErrorCode::Removed && removed),
                    "unexpected refusal {code:?}: {message}"
                );
            }
        }
    }

    /// Delivers the next frame of one direction of connection index `ci`.
    fn deliver(&mut self, ci: usize, to_relay: bool) {
        let c = &mut self.conns[ci];
        let id = c.id;
        let bytes = if to_relay {
            c.to_relay.pop_front()
        } else {
            c.to_dev.pop_front()
        };
        let Some(bytes) = bytes else { return };
        let frame = Frame::decode(&bytes).expect("frames we encoded decode");
        self.stats.delivered(&frame);
        if std::env::var("MERIDIAN_SIM_TRACE").is_ok_and(|t| t == id.to_string()) {
            let desc = match &frame {
                Frame::Push { entries, upto } | Frame::Deliver { entries, upto } => format!(
                    "{} {:?} upto {upto}",
                    frame.name(),
                    entries.iter().map(|(p, _)| *p).collect::<Vec<_>>()
                ),
                other => format!("{other:?}").chars().take(120).collect(),
            };
            let dir = if to_relay { "->relay" } else { "->dev" };
            eprintln!("t={} conn {id} {dir}: {desc}", self.now - T0);
        }
        // A `Want` sent while nothing was in flight can still cross a batch the other side
        // sent before it arrived (`note_want` sees only what was in flight when it left).
        if matches!(frame, Frame::Want { .. }) && c.want_crossed(to_relay) && !c.excused {
            c.excused = true;
            let r = c.dev;
            self.events
                .push(format!("conn {id} (device {r}): a Want crossed a batch"));
        }
        let batch = matches!(frame, Frame::Push { .. } | Frame::Deliver { .. });
        if let Frame::Push { entries, .. } | Frame::Deliver { entries, .. } = &frame {
            let log = if to_relay {
                &self.relay.log
            } else {
                &self.devs[c.dev].log
            };
            let dupes: Vec<String> = entries
                .iter()
                .filter(|(_, e)| log.held(e) == meridian_sync::Held::Stored)
                .map(|(p, e)| {
                    format!(
                        "@{p} {}#{} {:?}",
                        e.header().device.short(),
                        e.header().seq,
                        e.header().kind
                    )
                })
                .collect();
            let twice = dupes.len() as u64;
            if c.excused {
                self.stats.excused_dupes += twice;
            } else {
                self.stats.dupes += twice;
                if twice > 0 {
                    let dir = if to_relay { "to relay" } else { "to device" };
                    let r = c.dev;
                    self.event(format!(
                        "conn {id} (device {r}) {dir}: arrived twice: {dupes:?}"
                    ));
                }
            }
        }
        if to_relay {
            self.drive_relay(id, Call::Frame(frame));
        } else {
            self.drive_dev(id, Call::Frame(frame));
        }
        // Now and then the connection breaks right after a batch was stored, before its
        // Ack left.
        if batch && self.rng.random_bool(0.05) {
            self.stats.lost_acks += 1;
            self.drop_conn(id);
        }
    }

    fn deliver_random(&mut self) -> bool {
        let busy: Vec<(usize, bool)> = self
            .conns
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                let mut v = Vec::new();
                if !c.to_relay.is_empty() {
                    v.push((i, true));
                }
                if !c.to_dev.is_empty() {
                    v.push((i, false));
                }
                v
            })
            .collect();
        if busy.is_empty() {
            return false;
        }
        let (ci, to_relay) = busy[self.rng.random_range(0..busy.len())];
        self.deliver(ci, to_relay);
        true
    }

    fn tick(&mut self) {
        let ids: Vec<u64> = self.conns.iter().map(|c| c.id).collect();
        for id in ids {
            self.drive_dev(id, Call::Tick);
            self.drive_relay(id, Call::Tick);
        }
    }

    fn sweep_relay(&mut self) -> usize {
        let state = self.relay.membership.state().clone();
        self.relay.log.sweep(|d| state.is_removed(d))
    }

    fn sweep_dev(&mut self, r: usize) -> usize {
        let dev = &mut self.devs[r];
        let state = dev.membership.state().clone();
        dev.log.sweep(|d| state.is_removed(d))
    }

    /// Delivers every frame of device `r`'s connections in order until they are quiet.
    fn sync_alone(&mut self, r: usize) {
        self.drop_dev_conns(r);
        self.open_conn(r);
        let id = self.conns.last().expect("just opened").id;
        for _ in 0..100_000 {
            let Some(ci) = self.conns.iter().position(|c| c.id == id) else {
                panic!("device {r}'s connection closed while syncing alone");
            };
            let c = &self.conns[ci];
            if c.to_relay.is_empty() && c.to_dev.is_empty() {
                assert!(c.sd.is_synced(&self.devs[r].log), "device {r} synced");
                return;
            }
            let to_relay = !c.to_relay.is_empty();
            let bytes = if to_relay {
                self.conns[ci].to_relay.pop_front()
            } else {
                self.conns[ci].to_dev.pop_front()
            }
            .expect("non-empty");
            let frame = Frame::decode(&bytes).expect("decodes");
            self.stats.delivered(&frame);
            if matches!(frame, Frame::Want { .. }) {
                // (No duplicates are counted on a reliable network.)
                self.conns[ci].want_crossed(to_relay);
            }
            if to_relay {
                self.drive_relay(id, Call::Frame(frame));
            } else {
                self.drive_dev(id, Call::Frame(frame));
            }
        }
        panic!("device {r} never went quiet");
    }

    /// Removes device `victim` and rotates the key. It first syncs everything it wrote
    /// (otherwise its last edits are lost by design: a removed device cannot push).
    fn remove(&mut self, victim: usize) {
        self.sync_alone(victim);
        self.drop_dev_conns(victim);
        self.devs[victim].removed = true;
        let key = EpochKey::generate(&mut self.rng);
        let admin = &mut self.devs[0];
        let admin_keys = admin.keys.clone();
        let id = self.devs[victim].keys.id();
        let admin = &mut self.devs[0];
        admin
            .membership
            .remove_device_and_rotate(&admin_keys, id, &key, self.now, &mut self.rng)
            .expect("remove");
        admin.refresh_keys();
        let epoch = admin.membership.state().epoch();
        self.event(format!("removed device {victim}; epoch {epoch}"));
        self.notify_dev(0, None);
    }

    fn chaos(&mut self) {
        // (i32, the type these draws have always had, so seeds replay.)
        let scale = i32::try_from(scale()).expect("a small scale");
        let steps: i32 = self.rng.random_range(200 * scale..400 * scale);
        self.stats.steps = u64::try_from(steps).expect("positive");
        let remove_at = (self.devs.len() > 3 || self.rng.random_bool(0.5))
            .then(|| self.rng.random_range(steps / 4..steps * 3 / 4));
        let offline_from = self.rng.random_range(0..steps / 4);
        let offline_to = self.rng.random_range(steps / 2..steps);
        let offline = self.offline.take();
        for step in 0..steps {
            if step == offline_from && offline.is_some() {
                self.offline = offline;
                if let Some(o) = offline {
                    self.event(format!("device {o} goes offline"));
                    self.drop_dev_conns(o);
                }
            }
            if step == offline_to && self.offline.is_some() {
                self.event("the offline device comes back".into());
                self.offline = None;
            }
            if remove_at == Some(step) {
                let candidates: Vec<usize> = (1..self.devs.len())
                    .filter(|r| Some(*r) != self.offline && Some(*r) != offline)
                    .collect();
                if !candidates.is_empty() {
                    let victim = candidates[self.rng.random_range(0..candidates.len())];
                    self.remove(victim);
                }
            }
            let live = self.live();
            match self.rng.random_range(0..100) {
                0..25 => {
                    let r = live[self.rng.random_range(0..live.len())];
                    self.edit(r, None, false);
                }
                25..70 => {
                    self.deliver_random();
                }
                70..72 => {
                    let r = live[self.rng.random_range(0..live.len())];
                    self.stats.restarts += 1;
                    self.event(format!("device {r} restarts"));
                    self.drop_dev_conns(r);
                    self.devs[r].in_flight = None;
                }
                72 => {
                    self.event("the relay restarts".into());
                    self.stats.restarts += 1;
                    let ids: Vec<u64> = self.conns.iter().map(|c| c.id).collect();
                    for id in ids {
                        self.drop_conn(id);
                    }
                }
                73..83 => {
                    self.now += self.rng.random_range(1_000..8_000);
                    self.tick();
                    // Documents nobody typed in for a while get their checkpoints.
                    for r in self.live() {
                        for d in 0..self.ndocs {
                            self.maybe_checkpoint(r, d, false);
                        }
                        self.notify_dev(r, None);
                    }
                }
                83..92 => self.connect_missing(),
                92..94 => {
                    // A second connection while the first is still open (a reconnect
                    // before the old one was noticed dead).
                    let r = live[self.rng.random_range(0..live.len())];
                    if self.connected(r) {
                        for c in self.conns.iter_mut().filter(|c| c.dev == r) {
                            c.excused = true;
                        }
                        self.open_conn(r);
                        self.conns.last_mut().expect("opened").excused = true;
                    }
                }
                94..97 if !self.conns.is_empty() => {
                    let i = self.rng.random_range(0..self.conns.len());
                    let id = self.conns[i].id;
                    self.stats.drops += 1;
                    self.drop_conn(id);
                }
                97..99 => {
                    let gone = self.sweep_relay();
                    self.stats.swept_in_chaos += gone;
                    if gone > 0 {
                        self.event(format!("the relay swept {gone} envelopes"));
                    }
                }
                99 => {
                    let r = live[self.rng.random_range(0..live.len())];
                    self.sweep_dev(r);
                }
                _ => {}
            }
        }
        self.offline = None;
    }

    fn quiet(&mut self) -> bool {
        let live = self.live();
        let first = live[0];
        let mut heads: Vec<Vec<Vec<ChangeHash>>> = Vec::new();
        for &r in &live {
            let docs = self.devs[r].docs.iter_mut().map(sorted_heads).collect();
            heads.push(docs);
        }
        heads.iter().all(|h| *h == heads[0])
            && live.iter().all(|r| self.devs[*r].outbox.is_empty())
            && live.iter().all(|r| {
                self.conns
                    .iter()
                    .any(|c| c.dev == *r && c.sd.is_synced(&self.devs[*r].log))
            })
            && self.devs[first].membership.len() == self.relay.membership.len()
    }

    /// A reliable network: fresh connections, frames delivered in order, until quiet.
    fn settle(&mut self) {
        let ids: Vec<u64> = self.conns.iter().map(|c| c.id).collect();
        for id in ids {
            self.drop_conn(id);
        }
        for _round in 0..30 {
            self.connect_missing();
            let mut budget = 200_000;
            while let Some(ci) = self
                .conns
                .iter()
                .position(|c| !c.to_relay.is_empty() || !c.to_dev.is_empty())
            {
                let to_relay = !self.conns[ci].to_relay.is_empty();
                let id = self.conns[ci].id;
                let bytes = if to_relay {
                    self.conns[ci].to_relay.pop_front()
                } else {
                    self.conns[ci].to_dev.pop_front()
                }
                .expect("non-empty");
                let frame = Frame::decode(&bytes).expect("decodes");
                self.stats.delivered(&frame);
                if matches!(frame, Frame::Want { .. }) {
                    self.conns[ci].want_crossed(to_relay);
                }
                if to_relay {
                    self.drive_relay(id, Call::Frame(frame));
                } else {
                    self.drive_dev(id, Call::Frame(frame));
                }
                budget -= 1;
                assert!(budget > 0, "the network never went quiet");
            }
            if self.quiet() {
                return;
            }
            self.now += RESYNC_AFTER_MS;
            self.tick();
        }
        panic!("devices did not converge on a reliable network");
    }

    fn check_docs(&mut self, devices: &[usize]) {
        let first = devices[0];
        for &r in devices {
            for d in 0..self.ndocs {
                let a = sorted_heads(&mut self.devs[first].docs[d]);
                let b = sorted_heads(&mut self.devs[r].docs[d]);
                assert_eq!(a, b, "doc {d}: heads of devices {first} and {r} differ");
                assert_eq!(
                    dump(&self.devs[first].docs[d]),
                    dump(&self.devs[r].docs[d]),
                    "doc {d}: devices {first} and {r} differ"
                );
            }
            for (d, hash) in &self.authored {
                assert!(
                    self.devs[r].docs[*d]
                        .get_change_meta_by_hash(hash)
                        .is_some(),
                    "device {r} lacks change {hash} of doc {d}: it was lost"
                );
            }
        }
    }

    fn check(&mut self) {
        let live = self.live();
        self.check_docs(&live);
        assert_eq!(
            self.stats.dupes, 0,
            "envelopes were sent twice on connections without a resync"
        );

        // One more checkpoint per document. Devices that follow a document get the small
        // tail instead of it, so nobody may have verified it yet.
        let sealer = live[self.rng.random_range(0..live.len())];
        for d in 0..self.ndocs {
            self.maybe_checkpoint(sealer, d, true);
        }
        self.notify_dev(sealer, None);
        self.settle();

        // A device that joins now gets everything from the checkpoints alone.
        let new_keys = DeviceKeys::generate(&mut self.rng);
        let admin = &mut self.devs[0];
        let admin_keys = admin.keys.clone();
        let epoch_keys = admin
            .membership
            .state()
            .epoch_keys_for(&admin_keys)
            .expect("keys");
        admin
            .membership
            .add_device(
                &admin_keys,
                new_keys.public(),
                "new",
                Role::Editor,
                &epoch_keys,
                self.now,
                &mut self.rng,
            )
            .expect("add");
        self.notify_dev(0, None);
        self.settle();
        let joiner = self.devs.len();
        let membership = self.devs[0].membership.clone();
        self.devs
            .push(new_device(joiner, new_keys, &membership, self.ndocs));
        self.settle();
        assert_eq!(
            self.devs[joiner].log.len(),
            self.ndocs,
            "the new device got one envelope per document"
        );
        let mut all = self.live();
        all.retain(|r| *r != joiner);
        all.insert(0, joiner);
        self.check_docs(&all);

        // Every device reads the relay's log again from the start, as after losing its
        // sync data but not its keys: each gets the checkpoints, verifies them, and the
        // relay then keeps one envelope per document.
        let relay_log = self.relay.log.id();
        for r in self.live() {
            self.devs[r]
                .log
                .set_cursor(&Peer::Relay, &relay_log, 0)
                .expect("in memory");
        }
        self.settle();
        let before = self.relay.log.len();
        self.sweep_relay();
        let kept = self.relay.log.len();
        assert_eq!(
            kept,
            self.ndocs,
            "the relay keeps only the last checkpoints (had {before}; {} sealed): {:?}",
            self.stats.sealed,
            self.relay
                .log
                .iter()
                .map(|e| e.header().clone())
                .collect::<Vec<_>>()
        );
        assert!(
            kept as u64 * 4 <= self.stats.sealed,
            "{kept} of {}",
            self.stats.sealed
        );
        let live = self.live();
        for &r in &live {
            self.sweep_dev(r);
        }
        self.check_docs(&live);
    }
}

impl Drop for Sim {
    /// On failure, the seed and the last events tell the story.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let start = self.events.len().saturating_sub(30);
            eprintln!(
                "seed {}: last simulation events:\n  {}",
                self.seed,
                self.events[start..].join("\n  ")
            );
        }
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "wall time of a run, for MERIDIAN_SIM_STATS; the simulation's clock is its own"
)]
fn run(seed: u64) -> Stats {
    let started = std::time::Instant::now();
    let mut sim = Sim::new(seed);
    sim.chaos();
    sim.settle();
    sim.check();
    if std::env::var("MERIDIAN_SIM_STATS").is_ok() {
        eprintln!(
            "seed {seed}: {} devices, {} docs: {:?}; relay holds {} envelopes; {:?}",
            sim.devs.len() - 1,
            sim.ndocs,
            sim.stats,
            sim.relay.log.len(),
            started.elapsed()
        );
    }
    sim.stats
}

/// Runs the seeds of one half (`part` 0 or 1), so the two halves run on two threads.
fn run_part(part: u64) {
    let seeds: Vec<u64> = match std::env::var("MERIDIAN_SIM_SEED") {
        Ok(s) if part == 0 => vec![s.parse().expect("MERIDIAN_SIM_SEED must be a number")],
        Ok(_) => Vec::new(),
        Err(_) => {
            let total = std::env::var("MERIDIAN_SIM_SEEDS").map_or(SEEDS, |n| {
                n.parse().expect("MERIDIAN_SIM_SEEDS must be a number")
            });
            (0..total).filter(|s| s % 2 == part).collect()
        }
    };
    let mut total = Stats::default();
    for &seed in &seeds {
        match std::panic::catch_unwind(|| run(seed)) {
            Ok(s) => {
                total.checkpoints += s.checkpoints;
                total.swept_in_chaos += s.swept_in_chaos;
                total.lost_acks += s.lost_acks;
                total.excused_dupes += s.excused_dupes;
            }
            Err(panic) => {
                eprintln!(
                    "simulation failed for seed {seed}; rerun it alone with MERIDIAN_SIM_SEED={seed}"
                );
                std::panic::resume_unwind(panic);
            }
        }
    }
    // The seeds as a whole exercise what they are meant to.
    if seeds.len() >= 20 {
        assert!(total.checkpoints > seeds.len() as u64, "{total:?}");
        assert!(total.swept_in_chaos > 0, "{total:?}");
        assert!(total.lost_acks > 0, "{total:?}");
    }
}

/// The message of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |n| {
        n.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number"))
    })
}

/// The simulation at scale (issue 21): `MERIDIAN_SIM_SEEDS` seeds (default 2,000) from
/// `MERIDIAN_SIM_FIRST` (default 0) at `MERIDIAN_SIM_SCALE`, on `MERIDIAN_SIM_THREADS`
/// threads (default: every core). Every seed runs even after one fails; the table at the
/// end gives the throughput and each failing seed's replay command. Run it in release
/// through `scripts/sim.sh`.
#[test]
#[ignore = "long-running: scripts/sim.sh runs it in release"]
#[allow(
    clippy::disallowed_methods,
    reason = "wall time of the whole run, for the throughput table"
)]
#[allow(clippy::cast_precision_loss, reason = "counts printed as rates")]
fn at_scale() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    let seeds = env_number("MERIDIAN_SIM_SEEDS", 2_000);
    let first = env_number("MERIDIAN_SIM_FIRST", 0);
    let threads = env_number(
        "MERIDIAN_SIM_THREADS",
        std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
    )
    .max(1);
    let scale = scale();
    let next = AtomicU64::new(first);
    let done: Mutex<Vec<(u64, Stats)>> = Mutex::new(Vec::new());
    let failed: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= first + seeds {
                        return;
                    }
                    match std::panic::catch_unwind(|| run(seed)) {
                        Ok(stats) => done.lock().expect("not poisoned").push((seed, stats)),
                        Err(panic) => failed
                            .lock()
                            .expect("not poisoned")
                            .push((seed, panic_message(panic.as_ref()))),
                    }
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let done = done.into_inner().expect("not poisoned");
    let mut failed = failed.into_inner().expect("not poisoned");
    failed.sort_by_key(|(seed, _)| *seed);
    let sum = |f: fn(&Stats) -> u64| done.iter().map(|(_, s)| f(s)).sum::<u64>();
    let (sealed, moved, frames) = (sum(|s| s.sealed), sum(|s| s.moved), sum(|s| s.frames));
    let max_devices = done.iter().map(|(_, s)| s.devices).max().unwrap_or(0);
    let longest = done
        .iter()
        .max_by_key(|(_, s)| s.sealed)
        .map_or((0, 0), |(seed, s)| (*seed, s.sealed));
    let ran = done.len() + failed.len();
    let row = |what: &str, value: String| println!("| {what} | {value} |");
    println!();
    println!(
        "Simulation at scale {scale}: seeds {first}..{}, {threads} threads",
        first + seeds
    );
    println!();
    println!("| | |");
    println!("| --- | ---: |");
    row("seeds run", ran.to_string());
    row("wall time", format!("{secs:.1} s"));
    row("seeds/s", format!("{:.2}", ran as f64 / secs));
    row("changes sealed", sealed.to_string());
    row("envelopes delivered", moved.to_string());
    row("envelopes/s", format!("{:.0}", moved as f64 / secs));
    row("frames/s", format!("{:.0}", frames as f64 / secs));
    row("checkpoints", sum(|s| s.checkpoints).to_string());
    row("verdicts", sum(|s| s.verdicts).to_string());
    row("lost acks", sum(|s| s.lost_acks).to_string());
    row("dropped connections", sum(|s| s.drops).to_string());
    row("restarts", sum(|s| s.restarts).to_string());
    row("max replicas", max_devices.to_string());
    row(
        "max documents",
        done.iter()
            .map(|(_, s)| s.docs)
            .max()
            .unwrap_or(0)
            .to_string(),
    );
    row(
        "chaos steps (max)",
        done.iter()
            .map(|(_, s)| s.steps)
            .max()
            .unwrap_or(0)
            .to_string(),
    );
    row(
        "longest history",
        format!("{} changes (seed {})", longest.1, longest.0),
    );
    row("failing seeds", failed.len().to_string());
    println!();
    for (seed, message) in &failed {
        let message = message.lines().next().unwrap_or_default();
        println!("FAILED seed {seed}: {message}");
        println!(
            "  replay: MERIDIAN_SIM_SCALE={scale} MERIDIAN_SIM_SEED={seed} cargo test -p meridian-sync --test it sim::devices"
        );
    }
    assert!(failed.is_empty(), "{} seeds failed", failed.len());
}

/// Seeds of the runs at scale that once failed, replayed by CI: a resync `Want` that
/// crossed a batch the other side sent before it arrived, whose resent envelopes were
/// counted as duplicates (736: the batch had not arrived yet; 4108: it had).
#[test]
fn seeds_that_once_failed_pass() {
    if std::env::var("MERIDIAN_SIM_SCALE").is_err() {
        for seed in [736, 4108] {
            run(seed);
        }
    }
}

#[test]
fn devices_converge_and_lose_nothing_even_seeds() {
    run_part(0);
}

#[test]
fn devices_converge_and_lose_nothing_odd_seeds() {
    run_part(1);
}
