//! One workspace as the core holds it in memory: what every session decision needs without
//! a query (membership, the log's head and id, checkpoint coverage, usage). The envelopes
//! stay in the store.

use std::collections::{BTreeSet, HashMap};

use meridian_sync::{Coverage, DeviceId, LogId, MembershipLog, WorkspaceId};

use super::ConnId;
use crate::Error;
use crate::store::RelayStore;

/// What the relay keeps in memory for one workspace.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// The verified membership log.
    pub(crate) membership: MembershipLog,
    /// Devices the membership log removed (their envelopes need no further agreement to
    /// be collected under a checkpoint).
    pub(crate) removed: BTreeSet<DeviceId>,
    /// The envelope log's identity.
    pub(crate) log_id: LogId,
    /// The last position given to an envelope.
    pub(crate) head: u64,
    /// The checkpoints stored, their parts and verdicts.
    pub(crate) coverage: Coverage,
    /// Envelope bytes retained, against the quota.
    pub(crate) bytes_used: u64,
    /// How many ops of `membership` are in the store.
    pub(crate) persisted_ops: u64,
    /// Connections with a session in this workspace.
    pub(crate) sessions: BTreeSet<ConnId>,
    /// Sessions of devices restoring their own log (see [`super::log`]): up to which
    /// position of this log they get their own envelopes back.
    pub(crate) restoring: HashMap<ConnId, u64>,
    /// Something the sweep decides on changed (a verdict, a completed checkpoint, a
    /// removal): sweep soon rather than at the next periodic sweep.
    pub(crate) sweep_due: bool,
}

impl Workspace {
    pub(crate) fn new(membership: MembershipLog, log_id: LogId) -> Workspace {
        let mut w = Workspace {
            persisted_ops: membership.len(),
            membership,
            removed: BTreeSet::new(),
            log_id,
            head: 0,
            coverage: Coverage::new(),
            bytes_used: 0,
            sessions: BTreeSet::new(),
            restoring: HashMap::new(),
            sweep_due: false,
        };
        w.refresh_removed();
        w
    }

    /// Re-reads which devices were removed, after the membership log grew.
    pub(crate) fn refresh_removed(&mut self) {
        let state = self.membership.state();
        let removed: BTreeSet<DeviceId> = state
            .devices()
            .map(|(d, _)| *d)
            .filter(|d| state.is_removed(d))
            .collect();
        if removed != self.removed {
            self.removed = removed;
            self.sweep_due = true;
        }
    }

    /// Grows whenever the log or the membership log grows (envelopes moved to new
    /// positions included): the other sessions then have something to send.
    pub(crate) fn progress(&self) -> (u64, u64) {
        (self.head, self.membership.len())
    }
}

/// Loads every workspace from the store, verifies its membership log again and rebuilds
/// its checkpoint coverage from the stored parts and verdicts.
pub(crate) fn load_workspaces<S: RelayStore>(
    store: &mut S,
) -> Result<HashMap<WorkspaceId, Workspace>, Error> {
    let stored = store.load().map_err(|e| Error::Backend(Box::new(e)))?;
    let mut out = HashMap::with_capacity(stored.len());
    for w in stored {
        // The ops were checked against the clock when they arrived; a relay whose clock
        // moved back since must still load them, so no "from the future" check here.
        let membership =
            MembershipLog::from_ops(w.ops, i64::MAX).map_err(|source| Error::CorruptWorkspace {
                workspace: w.id,
                detail: source.to_string(),
            })?;
        if membership.state().workspace() != Some(w.id) {
            return Err(Error::CorruptWorkspace {
                workspace: w.id,
                detail: "its membership log creates another workspace".into(),
            });
        }
        let mut workspace = Workspace::new(membership, w.log_id);
        workspace.head = w.head;
        workspace.bytes_used = w.bytes_used;
        for header in &w.checkpoint_parts {
            workspace.coverage.note(header.doc, header);
        }
        for (from, v) in &w.verdicts {
            if let Some(info) = workspace.coverage.get_mut(&v.doc, &v.checkpoint) {
                if v.ok {
                    info.verifiers.insert(*from);
                } else {
                    // Its envelopes were moved when the verdict arrived.
                    info.rejected = true;
                }
            }
        }
        // Whatever a sweep interrupted by a stop left, the next one finishes.
        workspace.sweep_due = true;
        out.insert(w.id, workspace);
    }
    Ok(out)
}
