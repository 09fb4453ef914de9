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
//! what each seed did.

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
}

#[derive(Default, Debug, Clone, Copy)]
struct Stats {
    sealed: u64,
    checkpoints: u64,
    verdicts: u64,
    swept_in_chaos: usize,
    dupes: u64,
    excused_dupes: u64,
    drops: u64,
    lost_acks: u64,
    restarts: u64,
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
                } else if s == v + 1 && self.docs[d].get_change_by_hash(&hash).is_some() {
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
        self.hashes.insert(env.key(), hash);
        let d = doc_index(&h.doc);
        self.docs[d]
            .load_incremental(&body)
            .expect("automerge accepts the change");
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
        let covers = parts[0].1.header().checkpoint().expect("a part").1.covers.clone();
        let mut body = Vec::new();
        for (_, env) in &parts {
            body.extend(
                env.decrypt(&self.ws, self.key(env.header().epoch))
                    .expect("a member's checkpoint decrypts"),
            );
        }
        let ok = self.check_checkpoint(&body, doc, &covers);
        if ok {
            let (_, saved) = checkpoint::decode_body(&body).expect("checked");
            self.docs[d].load_incremental(saved).expect("checked");
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
                Some(s) if h.doc == doc && s <= covers.get(&h.device) => loaded
                    .get_change_by_hash(&self.hashes[&e.key()])
                    .is_some(),
                _ => true,
            }
        })
    }
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = rng.random_range(3..=6usize);
        let ndocs = rng.random_range(1..=3usize);
        let mut ws = WorkspaceId([0; 16]);
        rng.fill_bytes(&mut ws.0);
        let keys: Vec<DeviceKeys> = (0..n).map(|_| DeviceKeys::generate(&mut rng)).collect();
        let key1 = EpochKey::generate(&mut rng);
        let mut membership = MembershipLog::create(&keys[0], ws, "Sim", "admin", &key1, T0, &mut rng)
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
            stats: Stats::default(),
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
        ws: membership.state().workspace(),
        log: MemLog::new([u8::try_from(i).expect("few devices") + 1; 16]),
        keys,
        membership: membership.clone(),
        epoch_keys: BTreeMap::new(),
        docs: (0..ndocs)
            .map(|_| AutoCommit::new().with_actor(actor.clone()))
            .collect(),
        seq: 0,
        doc_seq: vec![0; ndocs],
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
