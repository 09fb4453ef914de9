//! What a log sends a device after its cursor: a document's new checkpoint, or the
//! envelopes that checkpoint covers when the device already holds the rest and they are
//! smaller.
//!
//! By default a log sends the newest usable checkpoints and skips the `Changes` envelopes
//! they cover: right for a device that is new to a document. A device that follows a
//! document already holds most of what a new checkpoint covers, and a checkpoint is a
//! whole copy of the document: after a small edit, the tail is a few hundred bytes and
//! the checkpoint a hundred kilobytes. [`Plan`] sends such a device the tail instead,
//! when it can prove from clear facts that the tail makes the device whole:
//!
//! - the device reported an `ok` verdict on a checkpoint of the document that is still
//!   usable and that it received before its cursor (so it holds everything that one
//!   covers; a device whose log was wiped reads from an earlier cursor and does not
//!   qualify);
//! - every `Changes` envelope the new checkpoints cover beyond that is stored after the
//!   cursor, so it is sent now (an envelope an author never pushed, or one deleted, makes
//!   the device need the checkpoint);
//! - the tail is smaller than the checkpoints; and
//! - the log does not need the device's verdict: what that verdict would let the log
//!   delete (envelopes nobody else vouched for, and the device's own envelopes, which go
//!   only once their author agrees) is smaller than the checkpoint. Otherwise the device
//!   gets the checkpoint and checks it, so the log's storage stays within a few copies of
//!   the document between verdicts.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::checkpoint::{CheckpointInfo, Coverage};
use crate::envelope::{CheckpointId, Header, Kind};
use crate::ids::{DeviceId, DocumentId};
use crate::store::Peer;
use crate::vector::VersionVector;

/// An envelope after the cursor, as far as choosing what to send needs.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Its header.
    pub header: &'a Header,
    /// Its encoded size.
    pub size: u64,
}

/// A document whose new checkpoints the device does not get.
#[derive(Debug, Clone, Default)]
struct Tail {
    /// What the device holds of the document already: these `Changes` envelopes are not
    /// sent either.
    holds: VersionVector,
    /// The checkpoints the tail stands in for.
    instead_of: BTreeSet<CheckpointId>,
}

/// The documents for which a device gets the tail instead of new checkpoints.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    tails: HashMap<DocumentId, Tail>,
}

/// What one document's entries after the cursor are.
#[derive(Default)]
struct Seen {
    /// `Changes` envelopes by (author, `doc_seq`), with their sizes.
    changes: HashMap<(DeviceId, u64), u64>,
    /// Checkpoint parts seen, and their bytes.
    checkpoints: HashMap<CheckpointId, (u32, u64)>,
}

impl Plan {
    /// Nothing replaced: every document is sent the default way.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether a plan can replace anything for `to`: only a device that verified some
    /// checkpoint can be sent a tail, so a log need not read ahead for anyone else.
    pub fn may_apply(coverage: &Coverage, to: &Peer) -> bool {
        let Peer::Device(device) = to else {
            return false;
        };
        coverage.docs().any(|doc| {
            coverage
                .checkpoints(doc)
                .iter()
                .any(|c| c.is_usable() && c.verifiers.contains(device))
        })
    }

    /// Chooses, per document, between its new checkpoints and their tail for `to`, from
    /// the entries after `to`'s cursor and what `coverage` knows. `freed(doc, c)` is the
    /// encoded size of what `to`'s verdict on `c` would let the log delete
    /// ([`freed_by_verdict`]).
    pub fn new<'a>(
        coverage: &Coverage,
        to: &Peer,
        entries: impl IntoIterator<Item = Entry<'a>>,
        mut freed: impl FnMut(&DocumentId, &CheckpointInfo) -> u64,
    ) -> Self {
        let Peer::Device(device) = to else {
            return Self::none(); // A relay gets everything.
        };
        let mut docs: HashMap<DocumentId, Seen> = HashMap::new();
        for e in entries {
            let h = e.header;
            let seen = docs.entry(h.doc).or_default();
            match (&h.kind, h.checkpoint()) {
                (Kind::Changes { doc_seq }, _) => {
                    seen.changes.insert((h.device, *doc_seq), e.size);
                }
                (_, Some((id, _))) => {
                    let c = seen.checkpoints.entry(id).or_default();
                    c.0 += 1;
                    c.1 += e.size;
                }
                _ => {}
            }
        }
        let mut plan = Self::none();
        for (doc, seen) in docs {
            if seen.checkpoints.is_empty() {
                continue;
            }
            if let Some(tail) = tail_for(coverage, device, &doc, &seen, &mut freed) {
                plan.tails.insert(doc, tail);
            }
        }
        plan
    }

    /// Whether the envelope with `header`, which `source` sent, is not sent to `to`: it
    /// came from `to` or `to` wrote it, the tail stands in for it (or `to` holds it), or,
    /// by default, a checkpoint makes it redundant.
    pub fn skips(&self, header: &Header, source: &Peer, to: &Peer, coverage: &Coverage) -> bool {
        if source == to || matches!(to, Peer::Device(d) if *d == header.device) {
            return true;
        }
        let Some(tail) = self.tails.get(&header.doc) else {
            return coverage.is_redundant(header);
        };
        match (&header.kind, header.checkpoint()) {
            (Kind::Changes { doc_seq }, _) => *doc_seq <= tail.holds.get(&header.device),
            (_, Some((id, _))) => tail.instead_of.contains(&id) || coverage.is_redundant(header),
            _ => coverage.is_redundant(header),
        }
    }
}

/// The tail plan for one document, when every condition in the module's doc holds.
fn tail_for(
    coverage: &Coverage,
    device: &DeviceId,
    doc: &DocumentId,
    seen: &Seen,
    freed: &mut impl FnMut(&DocumentId, &CheckpointInfo) -> u64,
) -> Option<Tail> {
    // What the device holds: the checkpoints it verified and received before its cursor.
    let mut holds = VersionVector::new();
    for c in coverage.checkpoints(doc) {
        if c.is_usable() && c.verifiers.contains(device) && !seen.checkpoints.contains_key(&c.id) {
            holds.merge(&c.covers);
        }
    }
    if holds.is_empty() {
        return None;
    }
    // The checkpoints it would get by default: usable, new, not dominated, not its own.
    let new: Vec<&CheckpointInfo> = coverage
        .checkpoints(doc)
        .iter()
        .filter(|c| {
            c.is_usable()
                && c.id.author != *device
                && seen.checkpoints.contains_key(&c.id)
                && !coverage.is_dominated(doc, &c.id)
        })
        .collect();
    if new.is_empty() {
        return None;
    }
    let mut tail: HashSet<(DeviceId, u64)> = HashSet::new();
    let mut tail_bytes = 0u64;
    let mut checkpoint_bytes = 0u64;
    for c in &new {
        let (parts, bytes) = seen.checkpoints[&c.id];
        if parts != c.parts {
            return None; // Some parts came before the cursor: keep to the default.
        }
        checkpoint_bytes += bytes;
        for (author, upto) in c.covers.iter() {
            if author == device {
                continue; // It wrote them.
            }
            let from = holds.get(author);
            if upto.saturating_sub(from) > seen.changes.len() as u64 {
                return None; // More missing than the whole tail holds.
            }
            for doc_seq in from + 1..=*upto {
                let size = seen.changes.get(&(*author, doc_seq))?;
                if tail.insert((*author, doc_seq)) {
                    tail_bytes += size;
                }
            }
        }
    }
    if tail_bytes >= checkpoint_bytes {
        return None;
    }
    for c in &new {
        let (_, bytes) = seen.checkpoints[&c.id];
        if freed(doc, c) >= bytes {
            return None; // The log needs a verdict on it: the device checks it.
        }
    }
    holds.set(*device, u64::MAX);
    Some(Tail {
        holds,
        instead_of: new.iter().map(|c| c.id).collect(),
    })
}

/// The `Changes` bytes `device`'s verdict on `c` would let a log delete, from the log's
/// `Changes` entries of `c`'s document as (author, `doc_seq`, size): those `c` covers that
/// the log may not delete now but could once `device` vouched for `c` (as a verifier other
/// than its author, and as their author agreeing). `removed` tells whether a device was
/// removed from the workspace.
pub fn freed_by_verdict(
    coverage: &Coverage,
    doc: &DocumentId,
    c: &CheckpointInfo,
    device: &DeviceId,
    removed: impl Fn(&DeviceId) -> bool,
    changes: impl IntoIterator<Item = (DeviceId, u64, u64)>,
) -> u64 {
    if !c.is_usable() || c.id.author == *device {
        return 0;
    }
    changes
        .into_iter()
        .filter(|(author, doc_seq, _)| {
            *doc_seq <= c.covers.get(author)
                && (*author == c.id.author
                    || *author == *device
                    || c.verifiers.contains(author)
                    || removed(author))
                && !coverage.collectable(doc, author, *doc_seq, &removed)
        })
        .map(|(_, _, size)| size)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::CheckpointPart;

    const DOC: DocumentId = DocumentId([1; 16]);
    const A: DeviceId = DeviceId([1; 32]);
    const B: DeviceId = DeviceId([2; 32]);
    const C: DeviceId = DeviceId([3; 32]);

    fn vv(entries: &[(DeviceId, u64)]) -> VersionVector {
        let mut v = VersionVector::new();
        for (d, s) in entries {
            v.set(*d, *s);
        }
        v
    }

    fn checkpoint(author: DeviceId, seq: u64, covers: &[(DeviceId, u64)]) -> Header {
        Header::new(
            DOC,
            1,
            author,
            seq,
            Kind::Checkpoint(CheckpointPart {
                covers: vv(covers),
                part: 0,
                parts: 1,
            }),
            0,
        )
    }

    fn changes(author: DeviceId, seq: u64, doc_seq: u64) -> Header {
        Header::changes(DOC, 1, author, seq, doc_seq, 0)
    }

    /// A's first checkpoint covers its envelopes 1–10 and B verified it; A then wrote
    /// envelope 11 and a checkpoint covering 1–11. Returns the coverage and the new
    /// entries (after B's cursor).
    fn follower() -> (Coverage, Vec<Header>) {
        let mut cov = Coverage::new();
        let old = checkpoint(A, 20, &[(A, 10)]);
        cov.note(DOC, &old);
        cov.get_mut(&DOC, &old.checkpoint().expect("a checkpoint").0)
            .expect("noted")
            .verifiers
            .insert(B);
        let new = vec![changes(A, 21, 11), checkpoint(A, 22, &[(A, 11)])];
        for h in &new {
            cov.note(DOC, h);
        }
        (cov, new)
    }

    fn plan(cov: &Coverage, to: DeviceId, new: &[Header], sizes: &[u64], freed: u64) -> Plan {
        Plan::new(
            cov,
            &Peer::Device(to),
            new.iter().zip(sizes).map(|(header, size)| Entry {
                header,
                size: *size,
            }),
            |_, _| freed,
        )
    }

    fn sent(plan: &Plan, cov: &Coverage, to: DeviceId, new: &[Header]) -> Vec<u64> {
        new.iter()
            .filter(|h| !plan.skips(h, &Peer::Device(A), &Peer::Device(to), cov))
            .map(|h| h.seq)
            .collect()
    }

    #[test]
    fn a_follower_gets_the_small_tail_instead_of_the_new_checkpoint() {
        let (cov, new) = follower();
        let p = plan(&cov, B, &new, &[300, 100_000], 300);
        assert_eq!(sent(&p, &cov, B, &new), vec![21]);
        // The same entries through the relay as A's source: nothing changes for B.
        assert!(!p.skips(&new[0], &Peer::Relay, &Peer::Device(B), &cov));
    }

    #[test]
    fn a_device_new_to_the_document_or_a_large_tail_gets_the_checkpoint() {
        let (cov, new) = follower();
        // C never verified anything of the document.
        let p = plan(&cov, C, &new, &[300, 100_000], 300);
        assert_eq!(sent(&p, &cov, C, &new), vec![22]);
        // The tail is larger than the checkpoint.
        let p = plan(&cov, B, &new, &[200_000, 100_000], 200_000);
        assert_eq!(sent(&p, &cov, B, &new), vec![22]);
    }

    #[test]
    fn a_checkpoint_the_log_needs_a_verdict_on_goes_to_the_follower() {
        let (cov, new) = follower();
        let p = plan(&cov, B, &new, &[300, 100_000], 100_000);
        assert_eq!(sent(&p, &cov, B, &new), vec![22]);
    }

    #[test]
    fn a_gap_in_the_tail_means_the_checkpoint() {
        let (mut cov, _) = follower();
        // A's envelope 11 was never pushed: only its checkpoint covering 1–12 and 12.
        let new = vec![changes(A, 23, 12), checkpoint(A, 24, &[(A, 12)])];
        for h in &new {
            cov.note(DOC, h);
        }
        let p = plan(&cov, B, &new, &[300, 100_000], 300);
        assert_eq!(sent(&p, &cov, B, &new), vec![24]);
    }

    #[test]
    fn a_verified_checkpoint_after_the_cursor_proves_nothing() {
        // B's log was wiped: it reads from 0, and its old verdict is no evidence.
        let (cov, mut new) = follower();
        new.insert(0, checkpoint(A, 20, &[(A, 10)]));
        let p = plan(&cov, B, &new, &[90_000, 300, 100_000], 300);
        assert_eq!(sent(&p, &cov, B, &new), vec![22]);
    }

    #[test]
    fn a_verdict_frees_what_nobody_vouched_for_and_the_verifiers_own_envelopes() {
        let mut cov = Coverage::new();
        let old = checkpoint(A, 20, &[(A, 10), (B, 3)]);
        let new = checkpoint(A, 22, &[(A, 11), (B, 4)]);
        cov.note(DOC, &old);
        cov.note(DOC, &new);
        let id = |h: &Header| h.checkpoint().expect("a checkpoint").0;
        let info = |cov: &Coverage| cov.get(&DOC, &id(&new)).expect("noted").clone();
        let entries = [
            (A, 10, 50),
            (A, 11, 300),
            (A, 12, 70),
            (B, 3, 20),
            (B, 4, 9),
        ];
        let none = |_: &DeviceId| false;
        // Nothing is vouched: C's verdict frees A's 10 and 11; B's envelopes wait for B.
        assert_eq!(
            freed_by_verdict(&cov, &DOC, &info(&cov), &C, none, entries),
            350
        );
        // B's verdict frees its own envelopes too.
        assert_eq!(
            freed_by_verdict(&cov, &DOC, &info(&cov), &B, none, entries),
            379
        );
        // Or C's, once B was removed.
        let b_removed = |d: &DeviceId| *d == B;
        assert_eq!(
            freed_by_verdict(&cov, &DOC, &info(&cov), &C, b_removed, entries),
            379
        );
        // C vouched for the old one: A's 10 is gone already, B's 3 still waits for B.
        cov.get_mut(&DOC, &id(&old))
            .expect("noted")
            .verifiers
            .insert(C);
        assert_eq!(
            freed_by_verdict(&cov, &DOC, &info(&cov), &C, none, entries),
            300
        );
        assert_eq!(
            freed_by_verdict(&cov, &DOC, &info(&cov), &B, none, entries),
            329
        );
        // The author's own verdict frees nothing.
        assert_eq!(
            freed_by_verdict(&cov, &DOC, &info(&cov), &A, none, entries),
            0
        );
    }
}
