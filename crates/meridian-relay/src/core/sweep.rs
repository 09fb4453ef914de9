//! Garbage collection: deletes what a checkpoint made redundant, from headers and verdicts
//! alone ([`meridian_sync::Coverage::sweep`] decides; see `meridian_sync::checkpoint`).
//!
//! A `Changes` envelope goes once a complete checkpoint covering it was verified by a
//! member other than its author, and the envelope's own author agreed (it wrote or
//! verified that checkpoint) or was removed. A checkpoint goes once a vouched one
//! dominates it (or its author's newer one does, before anyone vouched), or once it was
//! rejected. The sweep is idempotent and runs on the tick: workspaces where something it
//! decides on changed (a verdict, a completed checkpoint, a removal) after at most
//! `Limits::sweep_delay`, every workspace every `Limits::sweep_interval` (a restart or a
//! rolled-back batch leaves nothing half done that the next one would not finish). After a
//! sweep that deleted something is committed, the store gives the space back.

use std::time::Instant;

use meridian_sync::{DocumentId, WorkspaceId};

use super::Core;
use crate::store::RelayStore;

impl<S: RelayStore> Core<S> {
    /// Sweeps the workspaces that are due, if it is time.
    pub(super) fn maybe_sweep(&mut self) {
        let full = self.last_full_sweep.elapsed() >= self.limits.sweep_interval;
        if !full && self.last_sweep.elapsed() < self.limits.sweep_delay {
            return;
        }
        let due: Vec<WorkspaceId> = self
            .workspaces
            .iter()
            .filter(|(_, w)| full || w.sweep_due)
            .map(|(id, _)| *id)
            .collect();
        if full {
            self.last_full_sweep = Instant::now();
        }
        if due.is_empty() {
            return;
        }
        self.last_sweep = Instant::now();
        for ws in due {
            self.sweep_workspace(ws);
        }
    }

    /// Deletes what the checkpoint rules allow in `ws`.
    pub(crate) fn sweep_workspace(&mut self, ws: WorkspaceId) {
        self.ensure_workspace(&ws);
        let Some(w) = self.workspaces.get_mut(&ws) else {
            return;
        };
        w.sweep_due = false;
        let docs: Vec<DocumentId> = w.coverage.docs().copied().collect();
        let (mut freed, mut checkpoints) = (0u64, 0usize);
        let mut failed = None;
        for doc in docs {
            let sweep = w.coverage.sweep(&doc, |d| w.removed.contains(d));
            if sweep.is_empty() {
                continue;
            }
            match self.store.delete_swept(&ws, &doc, &sweep) {
                Ok(bytes) => {
                    freed += bytes;
                    w.bytes_used = w.bytes_used.saturating_sub(bytes);
                    for id in &sweep.checkpoints {
                        w.coverage.remove(&doc, id);
                    }
                    checkpoints += sweep.checkpoints.len();
                }
                Err(err) => {
                    failed = Some(err);
                    break;
                }
            }
        }
        if let Some(err) = failed {
            return self.store_failed(&err);
        }
        if freed > 0 {
            tracing::info!(%ws, freed, checkpoints, "collected what checkpoints cover");
            self.reclaim = true;
        }
    }
}
