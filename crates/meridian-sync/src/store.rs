//! Where envelopes are kept: a trait the app and the relay implement over SQLite, and an
//! in-memory [`MemLog`] for tests and simulations.
//!
//! Every party keeps one log: the envelopes it holds, each at a *position* given when it
//! was stored (1, 2, 3, …, never reused; gaps appear when envelopes are deleted). A peer
//! remembers how far into our log it holds (its cursor), so a reconnect sends only what
//! was stored since, and a log sends a peer only what that peer needs: nothing it authored
//! or sent us, no `Changes` envelope a checkpoint it also gets covers, no checkpoint
//! another one dominates, and no new checkpoint when the peer holds the rest and the
//! envelopes it covers are smaller ([`crate::delivery`]).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Coverage, Sweep};
use crate::delivery::{Entry, Plan, freed_by_verdict};
use crate::envelope::{CheckpointId, Envelope, Kind};
use crate::ids::{DeviceId, DocumentId};

/// A log's identity, random and fixed when the log is created. A cursor is only valid
/// for the log it was taken in: a relay whose data was replaced is read again from 0.
pub type LogId = [u8; 16];

/// The party at the other end of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Peer {
    /// The workspace's relay.
    Relay,
    /// A device.
    Device(DeviceId),
}

/// Whether an envelope is already held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// New: store it and apply it.
    No,
    /// The same envelope is stored: nothing to do.
    Stored,
    /// Not stored, but a checkpoint already applied covers it. Apply it again without
    /// storing (harmless, Automerge ignores known changes): it is sent again only when the
    /// checkpoint was found to lack what it claims.
    Covered,
}

/// A checkpoint's check by a device, reported to the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The checkpoint's document.
    pub doc: DocumentId,
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// It loaded, and held every change this device holds that it claims to cover.
    pub ok: bool,
}

/// Envelopes read for a peer.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The envelopes, with their positions in this log, in order.
    pub entries: Vec<(u64, Envelope)>,
    /// Everything up to this position was considered (what was skipped included).
    pub upto: u64,
}

/// A durable store of envelopes at positions.
pub trait EnvelopeLog {
    /// What can go wrong in the backing store.
    type Error: std::error::Error + Send + Sync + 'static;

    /// This log's identity.
    fn id(&self) -> LogId;

    /// The position of the last envelope stored (0 if none).
    fn head(&self) -> u64;

    /// How far into `peer`'s log `log` this side holds (0 if never, or another log).
    fn cursor(&self, peer: &Peer, log: &LogId) -> u64;

    /// Records how far into `peer`'s log this side now holds, after storing what it sent.
    fn set_cursor(&mut self, peer: &Peer, log: &LogId, pos: u64) -> Result<(), Self::Error>;

    /// Whether `envelope` is already held.
    fn held(&self, envelope: &Envelope) -> Held;

    /// Stores an envelope received from `from` and returns its position. Must be durable
    /// before the peer is told (the relay commits before it sends anything).
    fn append(&mut self, envelope: &Envelope, from: &Peer) -> Result<u64, Self::Error>;

    /// The envelopes after position `after` that `to` needs, in order, stopping once
    /// their encoded size passes `max_bytes` (at least one when any is needed).
    fn read_after(&self, after: u64, to: &Peer, max_bytes: usize) -> Result<Batch, Self::Error>;

    /// Records checkpoint verdicts a device reported (the relay); devices ignore them.
    fn record_verdicts(
        &mut self,
        _from: &DeviceId,
        _verdicts: &[Verdict],
    ) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// An in-memory envelope log, with the relay's verdict and sweep rules, for tests and
/// simulations.
#[derive(Debug, Clone, Default)]
pub struct MemLog {
    id: LogId,
    head: u64,
    entries: BTreeMap<u64, (Envelope, Peer)>,
    keys: HashMap<(DeviceId, u64), u64>,
    cursors: HashMap<(Peer, LogId), u64>,
    coverage: Coverage,
    verdicts: Vec<(DeviceId, Verdict)>,
}

impl MemLog {
    /// An empty log with identity `id`.
    pub fn new(id: LogId) -> Self {
        MemLog {
            id,
            ..Self::default()
        }
    }

    /// Every envelope held, by position.
    pub fn iter(&self) -> impl Iterator<Item = &Envelope> {
        self.entries.values().map(|(env, _)| env)
    }

    /// How many envelopes are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Encoded bytes held.
    pub fn bytes(&self) -> usize {
        self.iter().map(|e| e.encode().len()).sum()
    }

    /// What the log knows of checkpoints.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// The checkpoint knowledge, to record a device's own verification.
    pub fn coverage_mut(&mut self) -> &mut Coverage {
        &mut self.coverage
    }

    /// The verdicts reported to this log, oldest first.
    pub fn verdicts(&self) -> &[(DeviceId, Verdict)] {
        &self.verdicts
    }

    /// Deletes what the checkpoint rules allow; returns how many envelopes went.
    pub fn sweep(&mut self, removed: impl Fn(&DeviceId) -> bool) -> usize {
        let docs: Vec<DocumentId> = self.coverage.docs().copied().collect();
        let mut gone = 0;
        for doc in docs {
            let Sweep {
                envelopes,
                checkpoints,
            } = self.coverage.sweep(&doc, &removed);
            let doomed: Vec<u64> = self
                .entries
                .iter()
                .filter(|(_, (env, _))| {
                    let h = env.header();
                    h.doc == doc
                        && match h.doc_seq() {
                            Some(s) => s <= envelopes.get(&h.device),
                            None => h
                                .checkpoint()
                                .is_some_and(|(id, _)| checkpoints.contains(&id)),
                        }
                })
                .map(|(pos, _)| *pos)
                .collect();
            for pos in doomed {
                if let Some((env, _)) = self.entries.remove(&pos) {
                    self.keys.remove(&env.key());
                    gone += 1;
                }
            }
            for id in &checkpoints {
                self.coverage.remove(&doc, id);
            }
        }
        gone
    }

    /// What [`EnvelopeLog::read_after`] returns under `plan`.
    fn read_with(&self, after: u64, to: &Peer, max_bytes: usize, plan: &Plan) -> Batch {
        let mut batch = Batch {
            entries: Vec::new(),
            upto: self.head.max(after),
        };
        let mut bytes = 0;
        for (pos, (env, from)) in self.entries.range(after + 1..) {
            if plan.skips(env.header(), from, to, &self.coverage) {
                continue;
            }
            let size = env.encoded_len_bound();
            if !batch.entries.is_empty() && bytes + size > max_bytes {
                batch.upto = pos - 1;
                break;
            }
            bytes += size;
            batch.entries.push((*pos, env.clone()));
        }
        batch
    }

    /// Gives the envelopes a rejected checkpoint claimed to cover new positions, so that
    /// every peer whose cursor passed them receives them again.
    fn reannounce(&mut self, doc: &DocumentId, id: &CheckpointId) {
        let Some(info) = self.coverage.get(doc, id) else {
            return;
        };
        let covers = info.covers.clone();
        let moved: Vec<u64> = self
            .entries
            .iter()
            .filter(|(_, (env, _))| {
                let h = env.header();
                h.doc == *doc && h.doc_seq().is_some_and(|s| s <= covers.get(&h.device))
            })
            .map(|(pos, _)| *pos)
            .collect();
        for pos in moved {
            if let Some(entry) = self.entries.remove(&pos) {
                self.head += 1;
                self.keys.insert(entry.0.key(), self.head);
                self.entries.insert(self.head, entry);
            }
        }
    }
}

impl EnvelopeLog for MemLog {
    type Error = std::convert::Infallible;

    fn id(&self) -> LogId {
        self.id
    }

    fn head(&self) -> u64 {
        self.head
    }

    fn cursor(&self, peer: &Peer, log: &LogId) -> u64 {
        self.cursors.get(&(*peer, *log)).copied().unwrap_or(0)
    }

    fn set_cursor(&mut self, peer: &Peer, log: &LogId, pos: u64) -> Result<(), Self::Error> {
        self.cursors.insert((*peer, *log), pos);
        Ok(())
    }

    fn held(&self, envelope: &Envelope) -> Held {
        if self.keys.contains_key(&envelope.key()) {
            return Held::Stored;
        }
        let h = envelope.header();
        match h.kind {
            Kind::Changes { doc_seq }
                if self.coverage.covering(&h.doc, &h.device, doc_seq).is_some() =>
            {
                Held::Covered
            }
            _ => Held::No,
        }
    }

    fn append(&mut self, envelope: &Envelope, from: &Peer) -> Result<u64, Self::Error> {
        self.head += 1;
        self.keys.insert(envelope.key(), self.head);
        self.coverage.note(envelope.header().doc, envelope.header());
        self.entries.insert(self.head, (envelope.clone(), *from));
        Ok(self.head)
    }

    fn read_after(&self, after: u64, to: &Peer, max_bytes: usize) -> Result<Batch, Self::Error> {
        if !Plan::may_apply(&self.coverage, to) {
            return Ok(self.read_with(after, to, max_bytes, &Plan::none()));
        }
        let plan = Plan::new(
            &self.coverage,
            to,
            self.entries.range(after + 1..).map(|(_, (env, _))| Entry {
                header: env.header(),
                size: env.encoded_len_bound() as u64,
            }),
            |doc, c| {
                let Peer::Device(device) = to else {
                    return 0;
                };
                let changes = self.entries.values().filter_map(|(env, _)| {
                    let h = env.header();
                    let size = env.encoded_len_bound() as u64;
                    (h.doc == *doc).then_some((h.device, h.doc_seq()?, size))
                });
                // A memory log does not know who was removed: it counts them as members,
                // so it asks for a verdict sooner, never later.
                freed_by_verdict(&self.coverage, doc, c, device, |_| false, changes)
            },
        );
        Ok(self.read_with(after, to, max_bytes, &plan))
    }

    fn record_verdicts(
        &mut self,
        from: &DeviceId,
        verdicts: &[Verdict],
    ) -> Result<(), Self::Error> {
        for v in verdicts {
            self.verdicts.push((*from, *v));
            let Some(info) = self.coverage.get_mut(&v.doc, &v.checkpoint) else {
                continue;
            };
            if v.ok {
                info.verifiers.insert(*from);
            } else if !info.rejected {
                info.rejected = true;
                self.reannounce(&v.doc, &v.checkpoint);
            }
        }
        Ok(())
    }
}
