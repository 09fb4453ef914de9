//! Driving sessions: each call gets its workspace's log and membership as context; after
//! anything grew the workspace, every other session is told (`on_local_change`), which
//! sends the new envelopes and ops on and cuts off a device that was just removed.

use meridian_sync::{
    Closed, Ctx, DeviceId, Frame, IssuedTicket, LogId, Op, Role, Session, Step, WorkspaceId,
};

use super::log::{LogError, WorkspaceLog};
use super::{Conn, ConnId, Core, Phase, Workspace, now_ms};
use crate::store::RelayStore;

/// Rounds of telling sessions about changes; a round only grows the log when a session
/// could append envelopes it held back, so this is never reached in practice.
const MAX_ROUNDS: usize = 8;

enum Call {
    Frame(Frame),
    /// The relay checked the device's session ticket.
    Resumed(DeviceId, LogId),
    LocalChange,
    Tick,
}

type Outcome<E> = Result<Step, LogError<E>>;

impl<S: RelayStore> Core<S> {
    fn session(&self, conn: ConnId) -> Option<(WorkspaceId, &Session)> {
        match self.conns.get(&conn) {
            Some(Conn {
                phase: Phase::Session { ws, session },
                ..
            }) => Some((*ws, session)),
            _ => None,
        }
    }

    /// Runs one call on `conn`'s session with its workspace as context.
    fn call(&mut self, conn: ConnId, call: Call, now: i64) -> Option<Outcome<S::Error>> {
        let Some(Conn {
            phase: Phase::Session { ws, session },
            ..
        }) = self.conns.get_mut(&conn)
        else {
            return None;
        };
        let Workspace {
            membership,
            removed,
            log_id,
            head,
            coverage,
            bytes_used,
            sweep_due,
            restoring,
            ..
        } = self.workspaces.get_mut(ws)?;
        let mut log = WorkspaceLog {
            store: &mut self.store,
            workspace: *ws,
            log_id: *log_id,
            head,
            coverage,
            bytes_used,
            removed,
            sweep_due,
            quota: self.limits.quota_bytes,
            own_upto: restoring.get(&conn).copied().unwrap_or(0),
        };
        let mut ctx = Ctx {
            log: &mut log,
            membership,
            identity: None,
            now_ms: now,
        };
        Some(match call {
            Call::Frame(frame) => session.on_frame(frame, &mut ctx),
            Call::Resumed(device, log) => Ok(session.on_resumed(device, log, &mut ctx)),
            Call::LocalChange => session.on_local_change(&mut ctx),
            Call::Tick => session.on_tick(&mut ctx),
        })
    }

    /// Queues what the session wants sent and closes the connection if it ended.
    fn apply(&mut self, conn: ConnId, outcome: Outcome<S::Error>) {
        match outcome {
            Ok(step) => {
                for frame in &step.send {
                    self.send(conn, frame);
                }
                if let Some(closed) = step.closed {
                    match &closed {
                        Closed::Refused { code, message } => {
                            tracing::info!(conn, ?code, %message, "session refused");
                        }
                        Closed::ByPeer { code, message } => {
                            tracing::info!(conn, ?code, %message, "device gave up on the session");
                        }
                        Closed::Bye => tracing::debug!(conn, "session closed"),
                    }
                    self.close(conn);
                }
            }
            Err(LogError::Quota(quota)) => {
                self.refuse(
                    conn,
                    meridian_sync::ErrorCode::StorageFull,
                    quota.to_string(),
                );
            }
            Err(LogError::Flood(flood)) => {
                self.refuse(
                    conn,
                    meridian_sync::ErrorCode::RateLimited,
                    flood.to_string(),
                );
            }
            Err(e @ LogError::DiskFull) => {
                self.refuse(conn, meridian_sync::ErrorCode::StorageFull, e.to_string());
            }
            Err(LogError::Store(err)) => self.store_failed(&err),
        }
    }

    pub(super) fn on_session_frame(&mut self, conn: ConnId, frame: Frame) {
        let now = now_ms();
        let Some((ws, session)) = self.session(conn) else {
            return;
        };
        let was_ready = session.is_ready();
        let Some(before) = self.workspaces.get(&ws).map(Workspace::progress) else {
            return;
        };
        // A session sends on what its own frame made new, except what verdicts moved to
        // new positions: that must reach this device too.
        let origin = (!matches!(frame, Frame::Verdicts { .. })).then_some(conn);
        if let Some(outcome) = self.call(conn, Call::Frame(frame), now) {
            self.apply(conn, outcome);
        }
        if !was_ready
            && let Some((_, session)) = self.session(conn)
            && session.is_ready()
        {
            self.on_login(conn, ws, now, false);
        }
        self.after_change(ws, before, origin, now);
    }

    /// Starts the session of a device whose session ticket was checked.
    pub(super) fn on_resumed_session(
        &mut self,
        conn: ConnId,
        ws: WorkspaceId,
        device: DeviceId,
        log: LogId,
    ) {
        let now = now_ms();
        let Some(before) = self.workspaces.get(&ws).map(Workspace::progress) else {
            return;
        };
        if let Some(outcome) = self.call(conn, Call::Resumed(device, log), now) {
            self.apply(conn, outcome);
        }
        if self.session(conn).is_some_and(|(_, s)| s.is_ready()) {
            self.on_login(conn, ws, now, true);
        }
        self.after_change(ws, before, Some(conn), now);
    }

    /// A device is in. After a full login it gets a session ticket for its next connection
    /// (replacing its earlier one).
    fn on_login(&mut self, conn: ConnId, ws: WorkspaceId, now: i64, resumed: bool) {
        let Some((device, their_log)) = self
            .session(conn)
            .and_then(|(_, s)| s.peer().zip(s.their_log()))
        else {
            return;
        };
        tracing::info!(conn, %ws, device = %device.short(), resumed, "device logged in");
        // A device presenting a log this relay holds nothing of, while the relay holds
        // envelopes, lost its own log (its `sync.db` was rebuilt): what it wrote before
        // goes back to it with the rest ([`super::log`]).
        if self
            .store
            .cursor(&ws, &device, &their_log)
            .is_ok_and(|c| c == 0)
            && let Some(w) = self.workspaces.get_mut(&ws)
            && w.head > 0
        {
            w.restoring.insert(conn, w.head);
        }
        if !resumed {
            let ticket = IssuedTicket::issue(&mut rand::rng(), ws, device, their_log, now);
            if let Err(err) = self.store.put_ticket(&ticket) {
                return self.store_failed(&err);
            }
            self.send(conn, &ticket.frame());
        }
        let admin = self
            .workspaces
            .get(&ws)
            .is_some_and(|w| w.membership.state().role(&device) == Some(Role::Admin));
        if admin {
            let requests = self.pending_joins(&ws, now);
            if !requests.is_empty() {
                self.send(conn, &Frame::JoinRequests { requests });
            }
        }
    }

    /// Connections of `ws` whose logged-in device is an admin.
    pub(super) fn admin_sessions(&self, ws: &WorkspaceId) -> Vec<ConnId> {
        let Some(w) = self.workspaces.get(ws) else {
            return Vec::new();
        };
        w.sessions
            .iter()
            .copied()
            .filter(|conn| {
                self.session(*conn)
                    .and_then(|(_, s)| s.peer().filter(|_| s.is_ready()))
                    .is_some_and(|d| w.membership.state().role(&d) == Some(Role::Admin))
            })
            .collect()
    }

    pub(super) fn tick_workspace(&mut self, ws: WorkspaceId, now: i64) {
        let Some(w) = self.workspaces.get(&ws) else {
            return;
        };
        let before = w.progress();
        let sessions: Vec<ConnId> = w.sessions.iter().copied().collect();
        for conn in sessions {
            if let Some(outcome) = self.call(conn, Call::Tick, now) {
                self.apply(conn, outcome);
            }
        }
        self.after_change(ws, before, None, now);
    }

    /// Persists new membership ops and tells the sessions other than `origin` about
    /// whatever grew since `before`, until nothing more grows.
    pub(super) fn after_change(
        &mut self,
        ws: WorkspaceId,
        before: (u64, u64),
        origin: Option<ConnId>,
        now: i64,
    ) {
        let mut seen = before;
        let mut skip = origin;
        for _ in 0..MAX_ROUNDS {
            self.persist_membership(ws);
            let Some(w) = self.workspaces.get(&ws) else {
                return;
            };
            let progress = w.progress();
            if progress == seen {
                return;
            }
            seen = progress;
            let others: Vec<ConnId> = w
                .sessions
                .iter()
                .copied()
                .filter(|c| Some(*c) != skip)
                .collect();
            skip = None;
            for conn in others {
                if let Some(outcome) = self.call(conn, Call::LocalChange, now) {
                    self.apply(conn, outcome);
                }
            }
        }
    }

    /// Stores the ops sessions applied since the last call, and drops the join requests
    /// whose invite they used.
    fn persist_membership(&mut self, ws: WorkspaceId) {
        let Some(w) = self.workspaces.get_mut(&ws) else {
            return;
        };
        if w.membership.len() <= w.persisted_ops {
            return;
        }
        let start = w.persisted_ops;
        let ops = w.membership.ops_from(start).to_vec();
        w.persisted_ops = w.membership.len();
        w.refresh_removed();
        if let Err(err) = self.store.append_ops(&ws, start, &ops) {
            return self.store_failed(&err);
        }
        for op in &ops {
            match &op.op {
                Op::InviteUsed { invite, .. } => {
                    if let Err(err) = self.store.delete_joins(&ws, invite) {
                        return self.store_failed(&err);
                    }
                }
                Op::RemoveDevice { device } => {
                    tracing::info!(%ws, device = %device.short(), "device removed; closing its sessions");
                }
                _ => {}
            }
        }
    }
}
