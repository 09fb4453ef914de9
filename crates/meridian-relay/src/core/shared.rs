//! Several relays on one store (ADR 0009). What the core keeps of a workspace in memory
//! is a cache: before a batch decides anything on a workspace, the core locks it in the
//! store ([`RelayStore::lock_workspaces`], in id order, held until the batch commits) and
//! takes in what other relays changed since: the head, usage, new membership ops, and
//! checkpoints and verdicts when they changed. Sessions of this relay are then told, as
//! after a local change, so envelopes stored through another relay reach them and a device
//! removed through another relay is cut off before any of its frames is handled.
//!
//! With a store only one relay uses ([`RelayStore::shared`] false) none of this runs.

use meridian_sync::{Coverage, Frame, Header, MembershipLog, WorkspaceId};

use super::{Conn, Core, Event, Phase, Workspace, now_ms};
use crate::store::{Refresh, RelayStore, Remote, StoredWorkspace};

/// Rebuilds checkpoint coverage from the stored parts and verdicts.
fn coverage_from(
    parts: &[Header],
    verdicts: &[(meridian_sync::DeviceId, meridian_sync::Verdict)],
) -> Coverage {
    let mut coverage = Coverage::new();
    for header in parts {
        coverage.note(header.doc, header);
    }
    for (from, v) in verdicts {
        if let Some(info) = coverage.get_mut(&v.doc, &v.checkpoint) {
            if v.ok {
                info.verifiers.insert(*from);
            } else {
                info.rejected = true;
            }
        }
    }
    coverage
}

impl<S: RelayStore> Core<S> {
    /// The workspaces a batch will decide on, locked and brought up to date before any of
    /// its events is handled. Events whose workspace cannot be told in advance (a first
    /// frame naming a workspace this relay has not loaded) lock it when handled.
    pub(super) fn prepare_batch(&mut self, batch: &[Event]) {
        if !self.store.shared() {
            return;
        }
        let mut wanted: Vec<WorkspaceId> = Vec::new();
        for event in batch {
            match event {
                Event::Frame { conn, frame, .. } => match (self.conns.get(conn), frame) {
                    (
                        Some(Conn {
                            phase: Phase::Session { ws, .. },
                            ..
                        }),
                        _,
                    ) => wanted.push(*ws),
                    (_, Frame::Hello { workspace, .. }) => wanted.push(*workspace),
                    _ => {}
                },
                Event::Tick | Event::Remote(Remote::All) => {
                    // Ticks drive every session and the sweep; a lost hint may concern any
                    // workspace with sessions.
                    let sweeping = matches!(event, Event::Tick);
                    wanted.extend(
                        self.workspaces
                            .iter()
                            .filter(|(_, w)| !w.sessions.is_empty() || (sweeping && w.sweep_due))
                            .map(|(id, _)| *id),
                    );
                }
                Event::Remote(Remote::Workspace(ws))
                    if self
                        .workspaces
                        .get(ws)
                        .is_some_and(|w| !w.sessions.is_empty()) =>
                {
                    wanted.push(*ws);
                }
                _ => {}
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        self.lock(&wanted);
    }

    /// Locks `wanted` (those this relay holds) and takes in what changed.
    fn lock(&mut self, wanted: &[WorkspaceId]) {
        let held: Vec<(WorkspaceId, u64)> = wanted
            .iter()
            .filter_map(|ws| self.workspaces.get(ws).map(|w| (*ws, w.membership.len())))
            .collect();
        if held.is_empty() {
            return;
        }
        let refreshed = match self.store.lock_workspaces(&held) {
            Ok(refreshed) => refreshed,
            Err(err) => return self.store_failed(&err),
        };
        let now = now_ms();
        for (ws, refresh) in refreshed {
            let joins = refresh.joins;
            if let Some(before) = self.take_in(ws, refresh) {
                self.after_change(ws, before, None, now);
            }
            if joins {
                self.pass_on_joins(ws, now);
            }
        }
    }

    /// Sends the join requests waiting in `ws` to its admins connected here (one arrived
    /// through another relay).
    fn pass_on_joins(&mut self, ws: WorkspaceId, now: i64) {
        let admins = self.admin_sessions(&ws);
        if admins.is_empty() {
            return;
        }
        let requests = self.pending_joins(&ws, now);
        if requests.is_empty() {
            return;
        }
        let frame = Frame::JoinRequests { requests };
        for admin in admins {
            self.send(admin, &frame);
        }
    }

    /// Applies another relay's changes to `ws`; returns its progress before them.
    fn take_in(&mut self, ws: WorkspaceId, r: Refresh) -> Option<(u64, u64)> {
        let w = self.workspaces.get_mut(&ws)?;
        let before = w.progress();
        w.head = r.head;
        w.bytes_used = r.bytes_used;
        let mut broken = None;
        for op in r.ops {
            // Verified by the relay that stored it; checked again as at load.
            if let Err(err) = w.membership.verify_and_apply(op, i64::MAX) {
                broken = Some(err);
                break;
            }
        }
        w.persisted_ops = w.membership.len();
        w.refresh_removed();
        if let Some((parts, verdicts)) = r.coverage {
            w.coverage = coverage_from(&parts, &verdicts);
            w.sweep_due = true;
        }
        if let Some(err) = broken {
            tracing::warn!(%ws, %err, "membership ops stored by another relay do not follow this relay's copy; reloading the workspace");
            self.reload(ws);
        }
        Some(before)
    }

    /// Replaces the memory of `ws` with what the store holds (keeping its sessions).
    fn reload(&mut self, ws: WorkspaceId) {
        match self.store.load_workspace(&ws) {
            Ok(Some(stored)) => {
                self.install(stored);
            }
            Ok(None) => {
                tracing::warn!(%ws, "workspace no longer stored");
            }
            Err(err) => self.store_failed(&err),
        }
    }

    /// Puts a workspace loaded from the store in memory; false if it does not verify.
    fn install(&mut self, stored: StoredWorkspace) -> bool {
        let id = stored.id;
        let membership = match MembershipLog::from_ops(stored.ops, i64::MAX) {
            Ok(m) if m.state().workspace() == Some(id) => m,
            Ok(_) | Err(_) => {
                tracing::error!(workspace = %id, "the stored membership log does not verify; not serving this workspace");
                return false;
            }
        };
        let coverage = coverage_from(&stored.checkpoint_parts, &stored.verdicts);
        let w = match self.workspaces.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let w = e.into_mut();
                w.membership = membership;
                w
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Workspace::new(membership, stored.log_id))
            }
        };
        w.persisted_ops = w.membership.len();
        w.log_id = stored.log_id;
        w.head = stored.head;
        w.bytes_used = stored.bytes_used;
        w.coverage = coverage;
        w.sweep_due = true;
        w.refresh_removed();
        true
    }

    /// Before deciding on `ws` outside a prepared batch: locks it and takes in what
    /// changed, or loads it if another relay registered it. Whether it is in memory now.
    pub(super) fn ensure_workspace(&mut self, ws: &WorkspaceId) -> bool {
        if !self.store.shared() {
            return self.workspaces.contains_key(ws);
        }
        if self.workspaces.contains_key(ws) {
            self.lock(&[*ws]);
            return true;
        }
        match self.store.load_workspace(ws) {
            Ok(Some(stored)) => {
                tracing::info!(%ws, "workspace loaded (registered through another relay)");
                self.install(stored)
            }
            Ok(None) => false,
            Err(err) => {
                self.store_failed(&err);
                false
            }
        }
    }
}
