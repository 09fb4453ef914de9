//! The first frame of a connection decides what it is for: `Hello` starts a sync session,
//! `Resume` starts one with a session ticket instead of the full login, `Register` records
//! a new workspace (then `Hello` follows), `Join` leaves a join request for the
//! workspace's admins.

use meridian_sync::wire::MAX_OPS_PER_FRAME;
use meridian_sync::{
    ErrorCode, Frame, JoinError, JoinRequest, MembershipError, MembershipLog, ResumeRefused,
    Session, SignedOp, WorkspaceId,
};

use rand::RngCore;

use super::{ConnId, Core, Phase, Workspace, nonce, now_ms};
use crate::store::{PendingJoin, RelayStore};

fn membership_code(err: &MembershipError) -> ErrorCode {
    match err {
        MembershipError::BrokenChain { .. } => ErrorCode::MembershipConflict,
        MembershipError::TooLarge { .. } => ErrorCode::TooLarge,
        MembershipError::Malformed(_) => ErrorCode::Malformed,
        MembershipError::BadSignature { .. } => ErrorCode::BadSignature,
        _ => ErrorCode::MembershipRejected,
    }
}

fn join_code(err: &JoinError) -> ErrorCode {
    match err {
        JoinError::WrongWorkspace { .. } => ErrorCode::WrongWorkspace,
        JoinError::BadSignature(_) => ErrorCode::BadSignature,
        JoinError::Malformed(_) | JoinError::NameTooLong => ErrorCode::Malformed,
        JoinError::UnknownInvite(_) => ErrorCode::UnknownInvite,
        _ => ErrorCode::MembershipRejected,
    }
}

fn unknown_workspace(ws: &WorkspaceId) -> String {
    format!(
        "this relay does not hold workspace {ws}: check the relay address in the invite, or register the workspace from its creating device first"
    )
}

impl<S: RelayStore> Core<S> {
    pub(super) fn on_first_frame(&mut self, conn: ConnId, frame: Frame, fresh: bool) {
        match frame {
            Frame::Hello { workspace, .. } => self.start_session(conn, workspace, frame),
            Frame::Resume {
                ticket,
                counter,
                mac,
            } if fresh => self.resume(conn, &ticket, counter, &mac),
            Frame::Register { ops } if fresh => self.register(conn, ops),
            Frame::Join { request } if fresh => self.join(conn, &request),
            other => {
                let expected = if fresh {
                    "Hello, Resume, Register or Join"
                } else {
                    "Hello after Registered"
                };
                let msg = format!("expected {expected}, got {}", other.name());
                self.refuse(conn, ErrorCode::Unexpected, msg);
            }
        }
    }

    fn start_session(&mut self, conn: ConnId, ws: WorkspaceId, hello: Frame) {
        self.ensure_workspace(&ws);
        let Some(w) = self.workspaces.get_mut(&ws) else {
            return self.refuse(conn, ErrorCode::WrongWorkspace, unknown_workspace(&ws));
        };
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let session = Session::responder(ws, nonce(), w.log_id, now_ms());
        c.phase = Phase::Session {
            ws,
            session: Box::new(session),
        };
        w.sessions.insert(conn);
        self.on_session_frame(conn, hello);
    }

    /// A device resumes with a session ticket: checked against the stored ticket, its
    /// counter recorded (committed with the batch, before the `Welcome` goes out), then the
    /// session starts as after a login.
    fn resume(&mut self, conn: ConnId, id: &[u8; 16], counter: u64, mac: &[u8; 16]) {
        let now = now_ms();
        let issued = match self.store.ticket(id) {
            Ok(issued) => issued,
            Err(err) => return self.store_failed(&err),
        };
        let checked = issued
            .ok_or(ResumeRefused::Unknown)
            .and_then(|t| t.check(counter, mac, now).map(|()| t));
        if let Ok(t) = &checked {
            self.ensure_workspace(&t.workspace);
        }
        let t = match checked {
            Ok(t) if self.workspaces.contains_key(&t.workspace) => t,
            Ok(_) => {
                return self.refuse(
                    conn,
                    ErrorCode::TicketRefused,
                    ResumeRefused::Unknown.to_string(),
                );
            }
            Err(why) => return self.refuse(conn, ErrorCode::TicketRefused, why.to_string()),
        };
        if let Err(err) = self.store.set_ticket_counter(id, counter) {
            return self.store_failed(&err);
        }
        let (Some(w), Some(c)) = (
            self.workspaces.get_mut(&t.workspace),
            self.conns.get_mut(&conn),
        ) else {
            return;
        };
        let session = Session::responder(t.workspace, nonce(), w.log_id, now);
        c.phase = Phase::Session {
            ws: t.workspace,
            session: Box::new(session),
        };
        w.sessions.insert(conn);
        self.on_resumed_session(conn, t.workspace, t.device, t.log);
    }

    fn register(&mut self, conn: ConnId, ops: Vec<SignedOp>) {
        if ops.is_empty() {
            let msg = "Register carries no membership ops: send the log from its first op";
            return self.refuse(conn, ErrorCode::Malformed, msg);
        }
        let log = match MembershipLog::from_ops(ops, now_ms()) {
            Ok(log) => log,
            Err(err) => {
                let msg =
                    format!("the membership log sent to register a workspace was refused: {err}");
                return self.refuse(conn, membership_code(&err), msg);
            }
        };
        let Some(ws) = log.state().workspace() else {
            let msg = "the membership log does not create a workspace";
            return self.refuse(conn, ErrorCode::MembershipRejected, msg);
        };
        self.ensure_workspace(&ws);
        if let Some(existing) = self.workspaces.get(&ws) {
            let held = existing.membership.ops();
            let n = held.len().min(log.ops().len());
            if held[..n] != log.ops()[..n] {
                let msg = format!(
                    "workspace {ws} is already registered at this relay with a different membership log: sync with the relay instead of registering again"
                );
                return self.refuse(conn, ErrorCode::MembershipConflict, msg);
            }
            // The same workspace (perhaps with ops the relay has not seen yet; they come in
            // the session that follows).
        } else {
            let mut log_id = [0u8; 16];
            rand::rng().fill_bytes(&mut log_id);
            if let Err(err) = self.store.create_workspace(&ws, &log_id, log.ops()) {
                return self.store_failed(&err);
            }
            tracing::info!(%ws, "workspace registered");
            self.workspaces.insert(ws, Workspace::new(log, log_id));
        }
        self.send(conn, &Frame::Registered { workspace: ws });
        if let Some(c) = self.conns.get_mut(&conn) {
            c.phase = Phase::Registered;
        }
    }

    fn join(&mut self, conn: ConnId, request: &[u8]) {
        let req = match JoinRequest::decode(request) {
            Ok(req) => req,
            Err(err) => return self.refuse(conn, join_code(&err), err.to_string()),
        };
        let ws = req.workspace;
        let now = now_ms();
        self.ensure_workspace(&ws);
        let Some(w) = self.workspaces.get(&ws) else {
            return self.refuse(conn, ErrorCode::WrongWorkspace, unknown_workspace(&ws));
        };
        if let Err(err) = req.check_public(w.membership.state(), now) {
            let msg = format!("join request refused: {err}");
            return self.refuse(conn, join_code(&err), msg);
        }
        let expires_ms = w
            .membership
            .state()
            .invite(&req.invite)
            .map_or(now, |i| i.expires_ms);
        let waiting = match self.store.joins(&ws) {
            Ok(joins) => joins,
            Err(err) => return self.store_failed(&err),
        };
        let others = waiting
            .iter()
            .filter(|j| {
                j.expires_ms >= now && !(j.invite == req.invite && j.device == req.device.id)
            })
            .count();
        if others >= self.limits.max_pending_joins {
            let msg = format!(
                "workspace {ws} already has {others} join requests waiting for an admin: ask an admin to handle them, then try again"
            );
            return self.refuse(conn, ErrorCode::StorageFull, msg);
        }
        let join = PendingJoin {
            invite: req.invite,
            device: req.device.id,
            expires_ms,
            request: request.to_vec(),
        };
        if let Err(err) = self.store.put_join(&ws, &join) {
            return self.store_failed(&err);
        }
        tracing::info!(%ws, device = %req.device.id.short(), "join request queued");
        self.send(conn, &Frame::JoinQueued);
        self.close(conn);
        let requests = Frame::JoinRequests {
            requests: vec![request.to_vec()],
        };
        for admin in self.admin_sessions(&ws) {
            self.send(admin, &requests);
        }
    }

    /// Join requests an admin of `ws` should see now: unexpired, invite unused, device
    /// not yet a member.
    pub(super) fn pending_joins(&mut self, ws: &WorkspaceId, now: i64) -> Vec<Vec<u8>> {
        let joins = match self.store.joins(ws) {
            Ok(joins) => joins,
            Err(err) => {
                self.store_failed(&err);
                return Vec::new();
            }
        };
        let Some(w) = self.workspaces.get(ws) else {
            return Vec::new();
        };
        let state = w.membership.state();
        joins
            .into_iter()
            .filter(|j| {
                j.expires_ms >= now
                    && state.invite(&j.invite).is_some_and(|i| i.used_by.is_none())
                    && !state.can_read(&j.device)
            })
            .map(|j| j.request)
            .take(MAX_OPS_PER_FRAME)
            .collect()
    }
}
