//! One workspace's envelope log as a [`meridian_sync::Session`] sees it ([`EnvelopeLog`]):
//! the head, coverage and usage live in the core's memory, the envelopes, cursors and
//! verdicts in the store.
//!
//! The relay's rules on top of the protocol's:
//! - An incoming `Changes` envelope is not stored again when the sweep would delete it at
//!   once: a usable checkpoint covers it, someone other than the checkpoint's author
//!   vouched for it, and its own author agreed (wrote or vouched for the checkpoint, or
//!   was removed). Anything short of that is stored, so a checkpoint that turns out to lie
//!   loses nothing.
//! - Appending checks the quota against retained bytes, and refuses a part of a new
//!   checkpoint when its author already has [`MAX_OPEN_CHECKPOINTS`] checkpoints of that
//!   document that nothing dominates (a flood; an honest device's new checkpoint dominates
//!   its previous one).
//! - A device that follows a document gets the envelopes a new checkpoint covers instead
//!   of the checkpoint when they are smaller ([`meridian_sync::delivery`]).
//! - A device that presents a log the relay holds nothing of gets its own envelopes back
//!   too, up to the head at its login (`own_upto`): it lost them (its `sync.db` was
//!   rebuilt after damage or loss) and needs them to rebuild its documents and to learn
//!   how far its numbering went before it seals anything new. A new device has none
//!   stored, and what it pushes after login lies beyond `own_upto`.
//! - A verdict `ok: false` marks the checkpoint rejected and moves the envelopes it
//!   claimed to cover to new positions, so every device gets them again.

use std::collections::BTreeSet;

use meridian_sync::checkpoint::MAX_OPEN_CHECKPOINTS;
use meridian_sync::delivery::{Entry, Plan, freed_by_verdict};
use meridian_sync::{
    Batch, CheckpointId, Coverage, DeviceId, DocumentId, Envelope, EnvelopeLog, Held, Kind, LogId,
    Peer, Verdict, WorkspaceId,
};

use crate::store::{EntryMeta, RelayStore};

/// A workspace's storage quota is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "workspace {workspace} has used its storage quota on this relay ({used} of {quota} bytes): remove old documents or ask the relay's operator to raise --quota-mb"
)]
pub(crate) struct QuotaExceeded {
    pub(crate) workspace: WorkspaceId,
    pub(crate) used: u64,
    pub(crate) quota: u64,
}

/// A device sent more open checkpoints of one document than any honest device has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "device {author} already has {MAX_OPEN_CHECKPOINTS} checkpoints of document {doc} that no newer one replaces; the relay refuses more: let them be verified and replaced, or update Meridian on that device"
)]
pub(crate) struct CheckpointFlood {
    pub(crate) author: DeviceId,
    pub(crate) doc: DocumentId,
}

/// Why [`WorkspaceLog`] could not go on.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LogError<E: std::error::Error + 'static> {
    /// The workspace is over its quota; nothing was written.
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    /// Too many open checkpoints; nothing was written.
    #[error(transparent)]
    Flood(#[from] CheckpointFlood),
    /// The relay's disk is nearly full; nothing was written.
    #[error(
        "the relay's disk is full, so it stores nothing new and refused this push: your changes stay on this device and are sent again once the relay's operator frees disk space; nothing it acknowledged was lost"
    )]
    DiskFull,
    /// The backend failed.
    #[error("relay storage failed: {0}")]
    Store(#[source] E),
}

/// A view of one workspace for one session call.
#[derive(Debug)]
pub(crate) struct WorkspaceLog<'a, S> {
    pub(crate) store: &'a mut S,
    pub(crate) workspace: WorkspaceId,
    pub(crate) log_id: LogId,
    pub(crate) head: &'a mut u64,
    pub(crate) coverage: &'a mut Coverage,
    pub(crate) bytes_used: &'a mut u64,
    pub(crate) removed: &'a BTreeSet<DeviceId>,
    pub(crate) sweep_due: &'a mut bool,
    pub(crate) quota: u64,
    /// For a restoring device's session: its own envelopes at positions up to here are
    /// sent to it as well (0: none).
    pub(crate) own_upto: u64,
}

impl<S: RelayStore> WorkspaceLog<'_, S> {
    fn check_flood(&self, envelope: &Envelope) -> Result<(), CheckpointFlood> {
        let h = envelope.header();
        let Some((id, _)) = h.checkpoint() else {
            return Ok(());
        };
        if self.coverage.get(&h.doc, &id).is_some() {
            return Ok(()); // Another part of a checkpoint already admitted.
        }
        let open = self
            .coverage
            .checkpoints(&h.doc)
            .iter()
            .filter(|c| {
                c.id.author == h.device && !c.rejected && !self.coverage.is_dominated(&h.doc, &c.id)
            })
            .count();
        if open >= MAX_OPEN_CHECKPOINTS {
            return Err(CheckpointFlood {
                author: h.device,
                doc: h.doc,
            });
        }
        Ok(())
    }

    fn reannounce(&mut self, doc: &DocumentId, id: &CheckpointId) -> Result<(), S::Error> {
        let Some(info) = self.coverage.get(doc, id) else {
            return Ok(());
        };
        let covers = info.covers.clone();
        *self.head = self
            .store
            .reannounce(&self.workspace, doc, &covers, *self.head)?;
        Ok(())
    }
}

impl<S: RelayStore> EnvelopeLog for WorkspaceLog<'_, S> {
    type Error = LogError<S::Error>;

    fn id(&self) -> LogId {
        self.log_id
    }

    fn head(&self) -> u64 {
        *self.head
    }

    fn cursor(&self, peer: &Peer, log: &LogId) -> u64 {
        let Peer::Device(device) = peer else {
            return 0; // A relay talks to devices only.
        };
        match self.store.cursor(&self.workspace, device, log) {
            Ok(pos) => pos,
            Err(err) => {
                // Reading from 0 is always correct, only slower.
                tracing::warn!(%err, "could not read a cursor; reading the device's log from the start");
                0
            }
        }
    }

    fn set_cursor(&mut self, peer: &Peer, log: &LogId, pos: u64) -> Result<(), Self::Error> {
        let Peer::Device(device) = peer else {
            return Ok(());
        };
        self.store
            .set_cursor(&self.workspace, device, log, pos)
            .map_err(LogError::Store)
    }

    fn held(&self, envelope: &Envelope) -> Held {
        let (device, seq) = envelope.key();
        match self.store.contains(&self.workspace, &device, seq) {
            Ok(true) => return Held::Stored,
            Ok(false) => {}
            Err(err) => {
                // Storing it again fails on the unique key and rolls the batch back.
                tracing::warn!(%err, "could not check whether an envelope is stored");
            }
        }
        let h = envelope.header();
        match h.kind {
            Kind::Changes { doc_seq }
                if self
                    .coverage
                    .collectable(&h.doc, &h.device, doc_seq, |d| self.removed.contains(d)) =>
            {
                Held::Covered
            }
            _ => Held::No,
        }
    }

    fn append(&mut self, envelope: &Envelope, from: &Peer) -> Result<u64, Self::Error> {
        let size = envelope.encoded_len_bound() as u64;
        if self.bytes_used.saturating_add(size) > self.quota {
            return Err(LogError::Quota(QuotaExceeded {
                workspace: self.workspace,
                used: *self.bytes_used,
                quota: self.quota,
            }));
        }
        self.check_flood(envelope)?;
        if self.store.disk_low() {
            return Err(LogError::DiskFull);
        }
        let pos = *self.head + 1;
        let stored = self
            .store
            .append_envelope(&self.workspace, pos, envelope, from)
            .map_err(LogError::Store)?;
        *self.head = pos;
        *self.bytes_used += stored;
        let h = envelope.header();
        if self.coverage.note(h.doc, h).is_some() {
            *self.sweep_due = true;
        }
        Ok(pos)
    }

    fn read_after(&self, after: u64, to: &Peer, max_bytes: usize) -> Result<Batch, Self::Error> {
        let coverage = &*self.coverage;
        let plan = match to {
            Peer::Device(device) if Plan::may_apply(coverage, to) => {
                let metas = self
                    .store
                    .metas_after(&self.workspace, after)
                    .map_err(LogError::Store)?;
                let entries = metas.iter().map(|m| Entry {
                    header: &m.header,
                    size: m.size,
                });
                Plan::new(coverage, to, entries, |doc, c| {
                    match self.store.doc_changes(&self.workspace, doc) {
                        Ok(changes) => freed_by_verdict(
                            coverage,
                            doc,
                            c,
                            device,
                            |d| self.removed.contains(d),
                            changes,
                        ),
                        Err(err) => {
                            // Sending the checkpoint is always correct, only larger.
                            tracing::warn!(%err, "could not read a document's envelopes; sending its checkpoint");
                            u64::MAX
                        }
                    }
                })
            }
            _ => Plan::none(),
        };
        let own_upto = self.own_upto;
        let mut skip = |meta: &EntryMeta| {
            if meta.pos <= own_upto && matches!(to, Peer::Device(d) if *d == meta.header.device) {
                return coverage.is_redundant(&meta.header);
            }
            plan.skips(&meta.header, &meta.source, to, coverage)
        };
        let read = self
            .store
            .read_after(&self.workspace, after, max_bytes, &mut skip)
            .map_err(LogError::Store)?;
        let upto = match read.stopped_at {
            Some(pos) => pos - 1,
            None => (*self.head).max(after),
        };
        Ok(Batch {
            entries: read.entries,
            upto,
        })
    }

    fn record_verdicts(
        &mut self,
        from: &DeviceId,
        verdicts: &[Verdict],
    ) -> Result<(), Self::Error> {
        for v in verdicts {
            let Some(info) = self.coverage.get_mut(&v.doc, &v.checkpoint) else {
                continue; // Unknown (or already collected): nothing to decide on.
            };
            let newly_rejected = !v.ok && !info.rejected;
            if v.ok {
                info.verifiers.insert(*from);
            } else {
                info.rejected = true;
            }
            self.store
                .put_verdict(&self.workspace, from, v)
                .map_err(LogError::Store)?;
            if newly_rejected {
                tracing::warn!(
                    checkpoint = %v.checkpoint,
                    device = %from.short(),
                    "a checkpoint was reported incomplete; sending what it claimed to cover again"
                );
                self.reannounce(&v.doc, &v.checkpoint)
                    .map_err(LogError::Store)?;
            }
            *self.sweep_due = true;
        }
        Ok(())
    }
}
