//! What every party knows about a document's checkpoints, from their clear, signed headers
//! alone: which envelopes they cover, which checkpoints dominate others, and, on the relay,
//! what may be garbage-collected.
//!
//! A checkpoint is *usable* once all its parts are held and nobody reported it incomplete.
//! A usable checkpoint lets a party skip sending the `Changes` envelopes it covers and the
//! checkpoints it dominates. Deleting needs more: someone other than the checkpoint's
//! author verified it (loaded it and found every covered change it holds), and, for an
//! envelope of another author, that author verified it too (it knows exactly what it
//! wrote) or was removed. So a checkpoint that claims more than it holds costs bytes until
//! it is verified, never data.

use std::collections::{BTreeSet, HashMap};

use crate::envelope::{CheckpointId, Header, Kind};
use crate::ids::{DeviceId, DocumentId};
use crate::vector::VersionVector;

/// A `Changes` tail smaller than this never calls for a checkpoint: small documents are
/// cheap to send as they are.
pub const TAIL_FLOOR_BYTES: u64 = 4096;
/// A new checkpoint is due once the tail passes this share (in percent) of the newest
/// checkpoint: a new device then receives at most about that much more than one copy.
pub const TAIL_PERCENT: u64 = 6;
/// The most checkpoints of one document and author not dominated by another that a relay
/// keeps; an honest device never has more than one or two (each new one dominates its
/// previous one), so more is a flood and is refused.
pub const MAX_OPEN_CHECKPOINTS: usize = 8;

/// While someone is typing in a document, a checkpoint waits until the tail passes this
/// and the newest checkpoint's size: every checkpoint is a whole copy sent to every device
/// that follows the document, and envelopes (a hundred bytes or more each) grow far faster
/// than the document they change.
pub const ACTIVE_TAIL_FLOOR_BYTES: u64 = 64 * 1024;
/// A document with no local edit for this long is idle: its tail is then compacted down to
/// [`TAIL_PERCENT`].
pub const IDLE_MS: i64 = 5_000;

/// A document's `Changes` envelopes that its newest checkpoint does not cover, as the
/// checkpoint policy sees them (encoded sizes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tail {
    /// How many there are.
    pub envelopes: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The bytes of the newest of them this device wrote (its last flush).
    pub last_bytes: u64,
    /// The newest checkpoint's bytes (0 when there is none).
    pub base_bytes: u64,
}

/// Whether a device that wrote some of a document's uncovered `Changes` envelopes should
/// seal a checkpoint of it. `idle`: nobody has been typing in it here for [`IDLE_MS`] (or
/// this is a one-off sync).
///
/// While someone types, a checkpoint waits until the tail outgrows both
/// [`ACTIVE_TAIL_FLOOR_BYTES`] and the newest checkpoint, or until one flush alone is
/// larger than the newest checkpoint (and [`TAIL_FLOOR_BYTES`]): a burst of typing or a
/// paste into a small document, where a copy of the document is smaller than the change
/// and the checkpoint then goes out in the flush's place.
pub fn due(tail: &Tail, idle: bool) -> bool {
    let Tail {
        envelopes,
        bytes,
        last_bytes,
        base_bytes,
    } = *tail;
    // A document's first envelope is the whole document: alone, it is its own checkpoint.
    if envelopes == 0 || (envelopes == 1 && base_bytes == 0) {
        return false;
    }
    if idle {
        return bytes > TAIL_FLOOR_BYTES.max(base_bytes * TAIL_PERCENT / 100);
    }
    bytes > ACTIVE_TAIL_FLOOR_BYTES.max(base_bytes)
        || (base_bytes > 0 && last_bytes > TAIL_FLOOR_BYTES.max(base_bytes))
}

/// A checkpoint's plaintext: the heads of the saved document (so a loader can check it got
/// all of it) then the document (`save()` without orphans). Split into parts of at most
/// [`crate::envelope::MAX_PLAINTEXT_BYTES`] for sealing.
pub fn encode_body(heads: &[[u8; 32]], saved: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + heads.len() * 32 + saved.len());
    let n = u32::try_from(heads.len()).expect("a document has far fewer than 2^32 heads");
    out.extend_from_slice(&n.to_be_bytes());
    for h in heads {
        out.extend_from_slice(h);
    }
    out.extend_from_slice(saved);
    out
}

/// The heads and saved document of a checkpoint's joined plaintext.
pub fn decode_body(body: &[u8]) -> Option<(Vec<[u8; 32]>, &[u8])> {
    let (n, rest) = body.split_first_chunk::<4>()?;
    let n = usize::try_from(u32::from_be_bytes(*n)).ok()?;
    let heads_len = n.checked_mul(32)?;
    if rest.len() < heads_len {
        return None;
    }
    let (heads, saved) = rest.split_at(heads_len);
    let heads = heads
        .chunks_exact(32)
        .map(|c| <[u8; 32]>::try_from(c).expect("chunks of 32"))
        .collect();
    Some((heads, saved))
}

/// The parts a checkpoint body is sealed in.
pub fn split_body(body: &[u8]) -> Vec<&[u8]> {
    if body.is_empty() {
        return vec![body];
    }
    body.chunks(crate::envelope::MAX_PLAINTEXT_BYTES).collect()
}

/// One checkpoint of a document, as far as its headers tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// Its author and first sequence number.
    pub id: CheckpointId,
    /// The `Changes` envelopes it covers.
    pub covers: VersionVector,
    /// How many parts it has.
    pub parts: u32,
    /// The parts held.
    pub present: BTreeSet<u32>,
    /// Devices that verified it.
    pub verifiers: BTreeSet<DeviceId>,
    /// A member reported that it lacks changes it claims to cover: it is never used.
    pub rejected: bool,
}

impl CheckpointInfo {
    /// Every part is held.
    pub fn is_complete(&self) -> bool {
        self.present.len() as u64 == u64::from(self.parts)
    }

    /// Complete and not rejected: it may stand in for what it covers when sending.
    pub fn is_usable(&self) -> bool {
        self.is_complete() && !self.rejected
    }

    /// Verified by a device other than its author.
    pub fn is_vouched(&self) -> bool {
        self.verifiers.iter().any(|v| *v != self.id.author)
    }

    /// Whether this checkpoint makes `other` redundant: it covers at least as much, and
    /// equal coverage is broken by identity so that one of two equals survives.
    pub fn dominates(&self, other: &CheckpointInfo) -> bool {
        self.id != other.id
            && self.covers.dominates(&other.covers)
            && (self.covers != other.covers || self.id < other.id)
    }
}

/// What a sweep may delete from one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Per author, every `Changes` envelope with `doc_seq` up to this may go.
    pub envelopes: VersionVector,
    /// Checkpoints that may go (all their parts).
    pub checkpoints: Vec<CheckpointId>,
}

impl Sweep {
    /// Nothing to delete.
    pub fn is_empty(&self) -> bool {
        self.envelopes.is_empty() && self.checkpoints.is_empty()
    }
}

/// Checkpoints per document.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    docs: HashMap<DocumentId, Vec<CheckpointInfo>>,
}

impl Coverage {
    /// Nothing known.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that the checkpoint part in `header` is held (no-op for other envelopes).
    /// Returns the checkpoint's id if this completed it.
    pub fn note(&mut self, doc: DocumentId, header: &Header) -> Option<CheckpointId> {
        let (id, part) = header.checkpoint()?;
        let list = self.docs.entry(doc).or_default();
        let info = match list.iter_mut().position(|c| c.id == id) {
            Some(i) => &mut list[i],
            None => {
                list.push(CheckpointInfo {
                    id,
                    covers: part.covers.clone(),
                    parts: part.parts,
                    present: BTreeSet::new(),
                    verifiers: BTreeSet::new(),
                    rejected: false,
                });
                list.last_mut().expect("just pushed")
            }
        };
        // Parts of one checkpoint must agree; a part that does not is someone's bug or
        // forgery, and the whole checkpoint is then never used.
        if info.covers != part.covers || info.parts != part.parts {
            info.rejected = true;
            return None;
        }
        let was_complete = info.is_complete();
        info.present.insert(part.part);
        (!was_complete && info.is_complete()).then_some(id)
    }

    /// Forgets a checkpoint (it was deleted).
    pub fn remove(&mut self, doc: &DocumentId, id: &CheckpointId) {
        if let Some(list) = self.docs.get_mut(doc) {
            list.retain(|c| c.id != *id);
            if list.is_empty() {
                self.docs.remove(doc);
            }
        }
    }

    /// The checkpoints of `doc`.
    pub fn checkpoints(&self, doc: &DocumentId) -> &[CheckpointInfo] {
        self.docs.get(doc).map_or(&[], Vec::as_slice)
    }

    /// One checkpoint.
    pub fn get(&self, doc: &DocumentId, id: &CheckpointId) -> Option<&CheckpointInfo> {
        self.checkpoints(doc).iter().find(|c| c.id == *id)
    }

    /// One checkpoint, to record a verdict on it.
    pub fn get_mut(&mut self, doc: &DocumentId, id: &CheckpointId) -> Option<&mut CheckpointInfo> {
        self.docs.get_mut(doc)?.iter_mut().find(|c| c.id == *id)
    }

    /// A usable checkpoint covering the `Changes` envelope `doc_seq` of `author`.
    pub fn covering(
        &self,
        doc: &DocumentId,
        author: &DeviceId,
        doc_seq: u64,
    ) -> Option<CheckpointId> {
        self.checkpoints(doc)
            .iter()
            .find(|c| c.is_usable() && c.covers.get(author) >= doc_seq)
            .map(|c| c.id)
    }

    /// The highest `doc_seq` of `author` that some usable checkpoint of `doc` covers.
    pub fn covered(&self, doc: &DocumentId, author: &DeviceId) -> u64 {
        self.checkpoints(doc)
            .iter()
            .filter(|c| c.is_usable())
            .map(|c| c.covers.get(author))
            .max()
            .unwrap_or(0)
    }

    /// Whether a usable checkpoint of `doc` dominates checkpoint `id`.
    pub fn is_dominated(&self, doc: &DocumentId, id: &CheckpointId) -> bool {
        let list = self.checkpoints(doc);
        let Some(me) = list.iter().find(|c| c.id == *id) else {
            return false;
        };
        list.iter().any(|c| c.is_usable() && c.dominates(me))
    }

    /// Whether an envelope need not be sent to a party that receives everything else: a
    /// `Changes` envelope a usable checkpoint covers, or a part of a dominated or rejected
    /// checkpoint.
    pub fn is_redundant(&self, header: &Header) -> bool {
        match &header.kind {
            Kind::Changes { doc_seq } => self
                .covering(&header.doc, &header.device, *doc_seq)
                .is_some(),
            Kind::Checkpoint(_) => {
                let Some((id, _)) = header.checkpoint() else {
                    return false;
                };
                self.get(&header.doc, &id).is_some_and(|c| c.rejected)
                    || self.is_dominated(&header.doc, &id)
            }
        }
    }

    /// What may be deleted from `doc` now, from verdicts and headers alone (see the
    /// module's rules). `removed` tells whether a device was removed from the workspace.
    pub fn sweep(&self, doc: &DocumentId, removed: impl Fn(&DeviceId) -> bool) -> Sweep {
        let list = self.checkpoints(doc);
        let mut sweep = Sweep::default();
        for c in list.iter().filter(|c| c.is_usable() && c.is_vouched()) {
            for (author, doc_seq) in c.covers.iter() {
                let author_agrees =
                    *author == c.id.author || c.verifiers.contains(author) || removed(author);
                if author_agrees && *doc_seq > sweep.envelopes.get(author) {
                    sweep.envelopes.set(*author, *doc_seq);
                }
            }
        }
        for c in list {
            let redundant = c.rejected
                || list.iter().any(|d| {
                    d.is_usable()
                        && d.dominates(c)
                        // A vouched checkpoint replaces anything it dominates; an author's
                        // newer checkpoint replaces its older ones nobody vouched for yet
                        // (nothing was deleted on their strength).
                        && (d.is_vouched() || (d.id.author == c.id.author && !c.is_vouched()))
                });
            if redundant {
                sweep.checkpoints.push(c.id);
            }
        }
        sweep
    }

    /// Whether a sweep would delete the `Changes` envelope `doc_seq` of `author` in `doc`
    /// now: a usable checkpoint covers it, someone other than its author verified it, and
    /// `author` agreed (wrote or verified it, or was removed).
    pub fn collectable(
        &self,
        doc: &DocumentId,
        author: &DeviceId,
        doc_seq: u64,
        removed: impl Fn(&DeviceId) -> bool,
    ) -> bool {
        self.checkpoints(doc).iter().any(|c| {
            c.is_usable()
                && c.is_vouched()
                && c.covers.get(author) >= doc_seq
                && (*author == c.id.author || c.verifiers.contains(author) || removed(author))
        })
    }

    /// Every document with checkpoints.
    pub fn docs(&self) -> impl Iterator<Item = &DocumentId> {
        self.docs.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::CheckpointPart;

    const DOC: DocumentId = DocumentId([1; 16]);

    fn dev(n: u8) -> DeviceId {
        DeviceId([n; 32])
    }

    fn vv(entries: &[(u8, u64)]) -> VersionVector {
        let mut v = VersionVector::new();
        for (d, s) in entries {
            v.set(dev(*d), *s);
        }
        v
    }

    fn part(author: u8, seq: u64, covers: &[(u8, u64)], part: u32, parts: u32) -> Header {
        Header::new(
            DOC,
            1,
            dev(author),
            seq,
            Kind::Checkpoint(CheckpointPart {
                covers: vv(covers),
                part,
                parts,
            }),
            0,
        )
    }

    fn id(author: u8, seq: u64) -> CheckpointId {
        CheckpointId {
            author: dev(author),
            seq,
        }
    }

    #[test]
    fn bodies_round_trip_and_split_under_the_envelope_limit() {
        let saved = vec![7u8; crate::envelope::MAX_PLAINTEXT_BYTES + 10];
        let body = encode_body(&[[1; 32], [2; 32]], &saved);
        let parts = split_body(&body);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.concat(), body);
        let (heads, back) = decode_body(&body).expect("decodes");
        assert_eq!(heads, vec![[1; 32], [2; 32]]);
        assert_eq!(back, saved.as_slice());
        assert_eq!(decode_body(&[0, 0, 0, 9, 1]), None, "heads past the end");
        let t = |envelopes, bytes, base_bytes| Tail {
            envelopes,
            bytes,
            last_bytes: bytes / envelopes.max(1),
            base_bytes,
        };
        assert!(
            !due(&t(1, 1 << 20, 0), true),
            "one envelope is its own snapshot"
        );
        assert!(
            due(&t(1, 7000, 100_000), true),
            "a lone large envelope after a checkpoint"
        );
        assert!(!due(&t(5, 4000, 0), true));
        assert!(due(&t(5, 5000, 0), true));
        assert!(!due(&t(5, 5000, 100_000), true));
        assert!(due(&t(5, 6001, 100_000), true));
        // While typing: only once the tail outgrows both the floor and the checkpoint…
        assert!(!due(&t(500, 60_000, 10_000), false));
        assert!(due(&t(500, 70_000, 10_000), false));
        assert!(!due(&t(500, 90_000, 100_000), false));
        // …or one flush is larger than a copy of the document.
        let burst = Tail {
            envelopes: 3,
            bytes: 11_000,
            last_bytes: 10_500,
            base_bytes: 2_200,
        };
        assert!(due(&burst, false));
        assert!(!due(
            &Tail {
                last_bytes: 2_000,
                ..burst
            },
            false
        ));
        assert!(
            !due(
                &Tail {
                    last_bytes: 3_000,
                    base_bytes: 1_000,
                    ..burst
                },
                false
            ),
            "not below the floor"
        );
        assert!(
            !due(
                &Tail {
                    base_bytes: 0,
                    ..burst
                },
                false
            ),
            "no copy yet"
        );
    }

    #[test]
    fn a_checkpoint_covers_only_once_every_part_is_held() {
        let mut cov = Coverage::new();
        assert_eq!(cov.note(DOC, &part(1, 10, &[(1, 5), (2, 3)], 0, 2)), None);
        assert_eq!(cov.covering(&DOC, &dev(1), 5), None, "one part of two");
        assert_eq!(
            cov.note(DOC, &part(1, 11, &[(1, 5), (2, 3)], 1, 2)),
            Some(id(1, 10))
        );
        assert_eq!(cov.covering(&DOC, &dev(1), 5), Some(id(1, 10)));
        assert_eq!(cov.covering(&DOC, &dev(1), 6), None);
        assert_eq!(cov.covering(&DOC, &dev(2), 3), Some(id(1, 10)));
        assert_eq!(cov.covering(&DOC, &dev(3), 1), None);
        let changes = Header::changes(DOC, 1, dev(2), 40, 3, 0);
        assert!(cov.is_redundant(&changes));
    }

    #[test]
    fn parts_that_disagree_make_the_checkpoint_unusable() {
        let mut cov = Coverage::new();
        cov.note(DOC, &part(1, 10, &[(1, 5)], 0, 2));
        cov.note(DOC, &part(1, 11, &[(1, 9)], 1, 2));
        assert_eq!(cov.covering(&DOC, &dev(1), 1), None);
    }

    #[test]
    fn nothing_is_swept_until_someone_other_than_the_author_vouches() {
        let mut cov = Coverage::new();
        cov.note(DOC, &part(1, 10, &[(1, 5), (2, 3)], 0, 1));
        assert!(cov.sweep(&DOC, |_| false).is_empty());
        // The author's own word is not enough.
        cov.get_mut(&DOC, &id(1, 10))
            .expect("held")
            .verifiers
            .insert(dev(1));
        assert!(cov.sweep(&DOC, |_| false).is_empty());
        // Device 3 vouches: the author's envelopes may go, device 2's only once device 2
        // agrees or is removed.
        cov.get_mut(&DOC, &id(1, 10))
            .expect("held")
            .verifiers
            .insert(dev(3));
        assert_eq!(cov.sweep(&DOC, |_| false).envelopes, vv(&[(1, 5)]));
        assert_eq!(
            cov.sweep(&DOC, |d| *d == dev(2)).envelopes,
            vv(&[(1, 5), (2, 3)])
        );
        cov.get_mut(&DOC, &id(1, 10))
            .expect("held")
            .verifiers
            .insert(dev(2));
        assert_eq!(cov.sweep(&DOC, |_| false).envelopes, vv(&[(1, 5), (2, 3)]));
        // A rejected checkpoint covers nothing and goes itself.
        cov.get_mut(&DOC, &id(1, 10)).expect("held").rejected = true;
        let sweep = cov.sweep(&DOC, |_| false);
        assert!(sweep.envelopes.is_empty());
        assert_eq!(sweep.checkpoints, vec![id(1, 10)]);
    }

    #[test]
    fn dominated_checkpoints_go_and_one_of_two_equals_survives() {
        let mut cov = Coverage::new();
        cov.note(DOC, &part(1, 10, &[(1, 5)], 0, 1));
        cov.note(DOC, &part(2, 7, &[(1, 5)], 0, 1));
        cov.note(DOC, &part(1, 20, &[(1, 9), (2, 2)], 0, 1));
        cov.note(DOC, &part(2, 8, &[(2, 4)], 0, 1));
        // Unvouched: only the author's own older checkpoint goes.
        assert_eq!(cov.sweep(&DOC, |_| false).checkpoints, vec![id(1, 10)]);
        cov.get_mut(&DOC, &id(1, 20))
            .expect("held")
            .verifiers
            .insert(dev(2));
        let mut gone = cov.sweep(&DOC, |_| false).checkpoints;
        gone.sort();
        // (1,20) dominates both covers-{1:5} checkpoints; (2,8) covers more of device 2,
        // so it is incomparable and stays.
        assert_eq!(gone, vec![id(1, 10), id(2, 7)]);
        assert!(cov.is_dominated(&DOC, &id(2, 7)));
        assert!(!cov.is_dominated(&DOC, &id(2, 8)));
        assert!(!cov.is_dominated(&DOC, &id(1, 20)));
    }
}
