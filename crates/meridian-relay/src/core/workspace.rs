//! One workspace as the core holds it in memory.

use std::collections::{BTreeSet, HashMap};

use meridian_sync::{MembershipLog, VersionVector, WorkspaceId};

use super::ConnId;
use crate::Error;
use crate::store::RelayStore;

/// What the relay keeps in memory for one workspace; the envelopes stay in the store.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// The verified membership log.
    pub(crate) membership: MembershipLog,
    /// Device → highest sequence number stored.
    pub(crate) vector: VersionVector,
    /// Envelope bytes stored, against the quota.
    pub(crate) bytes_used: u64,
    /// How many ops of `membership` are in the store.
    pub(crate) persisted_ops: u64,
    /// Connections with a session in this workspace.
    pub(crate) sessions: BTreeSet<ConnId>,
}

impl Workspace {
    pub(crate) fn new(membership: MembershipLog) -> Workspace {
        Workspace {
            persisted_ops: membership.len(),
            membership,
            vector: VersionVector::new(),
            bytes_used: 0,
            sessions: BTreeSet::new(),
        }
    }

    /// Grows whenever an envelope or a membership op is added (both logs only grow).
    pub(crate) fn progress(&self) -> (u64, u64) {
        let envelopes = self.vector.iter().map(|(_, seq)| *seq).sum();
        (envelopes, self.membership.len())
    }
}

/// Loads every workspace from the store and verifies its membership log again.
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
        let mut workspace = Workspace::new(membership);
        workspace.vector = w.vector;
        workspace.bytes_used = w.bytes_used;
        out.insert(w.id, workspace);
    }
    Ok(out)
}
