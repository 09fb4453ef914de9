//! The relay's core: one thread that owns the store, every workspace's membership log, log
//! head and checkpoint coverage, and every connection's [`Session`]. Connection tasks send it decoded frames;
//! it answers with encoded frames to send.
//!
//! One thread because SQLite has one writer anyway, and because it makes the batching
//! simple: the core takes every event waiting in its inbox, handles them all inside one
//! transaction, commits once, and only then releases the frames they produced. So
//! nothing is acknowledged before it is durable, and a burst of pushes costs one fsync.
//!
//! Garbage collection ([`sweep`]) runs here too, on the tick, never while a checkpoint is
//! being accepted: its deletes are committed with the batch like any other write.

mod fanout;
mod first;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod log;
mod shared;
mod sweep;
mod workspace;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use meridian_sync::{ErrorCode, Frame, Session, WorkspaceId};
use rand::RngCore;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use crate::config::Limits;
use crate::store::{RelayStore, Remote};
pub(crate) use workspace::{Workspace, load_workspaces};

/// Identifies one WebSocket connection for its lifetime.
pub(crate) type ConnId = u64;

/// Most events handled in one transaction.
const MAX_BATCH: usize = 256;

/// From connection tasks (and the ticker) to the core.
#[derive(Debug)]
pub(crate) enum Event {
    /// A connection was accepted; `out` carries what to send it.
    Open {
        conn: ConnId,
        out: mpsc::Sender<Outbound>,
    },
    /// A frame arrived (already size-checked and decoded). `budget` holds the frame's
    /// share of the inbox memory budget until the frame is handled.
    Frame {
        conn: ConnId,
        frame: Frame,
        budget: OwnedSemaphorePermit,
    },
    /// The connection ended.
    Gone { conn: ConnId },
    /// Time to tick sessions.
    Tick,
    /// Stop: say `Bye` to every session, commit, close the store.
    Shutdown { done: oneshot::Sender<()> },
    /// Another relay sharing the store wrote (a hint; ADR 0009).
    Remote(Remote),
    /// `/healthz`: is the store reachable and its schema current? Answered after the
    /// batch commits.
    Health {
        done: oneshot::Sender<Result<(), String>>,
    },
}

/// From the core to one connection task.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// An encoded frame.
    Frame(Bytes),
    /// Close the connection after what was sent before.
    Close,
}

enum Phase {
    /// Nothing received yet.
    Fresh,
    /// `Register` answered; `Hello` expected next.
    Registered,
    /// A sync session with a device of `ws`.
    Session {
        ws: WorkspaceId,
        session: Box<Session>,
    },
}

struct Conn {
    out: mpsc::Sender<Outbound>,
    opened: Instant,
    phase: Phase,
}

pub(crate) struct Core<S: RelayStore> {
    store: S,
    limits: Limits,
    workspaces: HashMap<WorkspaceId, Workspace>,
    conns: HashMap<ConnId, Conn>,
    /// Frames held back until the batch is committed.
    outbox: Vec<(ConnId, mpsc::Sender<Outbound>, Outbound)>,
    /// A store write failed: the batch must be rolled back.
    broken: bool,
    /// ... because the disk is full: devices are told so, not "an internal error".
    disk_full: bool,
    last_prune: Instant,
    /// When workspaces with something new to decide on were last swept.
    last_sweep: Instant,
    /// When every workspace was last swept.
    last_full_sweep: Instant,
    /// A sweep deleted something: give the space back once it is committed.
    reclaim: bool,
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// True when `err`, or an error it was caused by, says the disk (or the database's
/// allowed size) is full.
fn is_disk_full(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(sql) = e.downcast_ref::<rusqlite::Error>()
            && sql.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
        {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::StorageFull
        {
            return true;
        }
        cause = e.source();
    }
    false
}

fn nonce() -> [u8; 32] {
    let mut n = [0u8; 32];
    rand::rng().fill_bytes(&mut n);
    n
}

impl<S: RelayStore> Core<S> {
    pub(crate) fn new(
        store: S,
        limits: Limits,
        workspaces: HashMap<WorkspaceId, Workspace>,
    ) -> Self {
        Core {
            store,
            limits,
            workspaces,
            conns: HashMap::new(),
            outbox: Vec::new(),
            broken: false,
            disk_full: false,
            last_prune: Instant::now(),
            last_sweep: Instant::now(),
            last_full_sweep: Instant::now(),
            reclaim: false,
        }
    }

    /// Runs until `Shutdown` (or until every sender is gone). Blocks: call it on its own
    /// thread.
    pub(crate) fn run_blocking(mut self, mut inbox: mpsc::Receiver<Event>) {
        let mut done = Vec::new();
        while let Some(first) = inbox.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match inbox.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            self.prepare_batch(&batch);
            let mut health = Vec::new();
            for event in batch {
                match event {
                    Event::Shutdown { done: tx } => done.push(tx),
                    Event::Health { done: tx } => health.push(tx),
                    event => self.handle(event),
                }
            }
            self.commit_and_release();
            if !health.is_empty() {
                let answer = self.store.health().map_err(|e| e.to_string());
                for tx in health {
                    let _ = tx.send(answer.clone());
                }
            }
            if !done.is_empty() {
                break;
            }
        }
        inbox.close();
        self.shutdown();
        if let Err(err) = self.store.close() {
            tracing::error!(%err, "relay storage did not close cleanly");
        }
        for tx in done {
            let _ = tx.send(());
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Open { conn, out } => {
                let phase = Phase::Fresh;
                let opened = Instant::now();
                self.conns.insert(conn, Conn { out, opened, phase });
            }
            Event::Frame {
                conn,
                frame,
                budget,
            } => {
                self.on_frame(conn, frame);
                drop(budget);
            }
            Event::Gone { conn } => self.forget(conn),
            Event::Tick => self.on_tick(),
            // Prepared before the batch ran (`shared`): nothing more to do.
            Event::Remote(_) => {}
            Event::Shutdown { .. } | Event::Health { .. } => {}
        }
    }

    fn on_frame(&mut self, conn: ConnId, frame: Frame) {
        let Some(c) = self.conns.get(&conn) else {
            return; // Already closed by us; the task has not noticed yet.
        };
        match c.phase {
            Phase::Fresh => self.on_first_frame(conn, frame, true),
            Phase::Registered => self.on_first_frame(conn, frame, false),
            Phase::Session { .. } => self.on_session_frame(conn, frame),
        }
    }

    /// Queues `frame` for `conn`, to go out once the batch is committed.
    fn send(&mut self, conn: ConnId, frame: &Frame) {
        if let Some(c) = self.conns.get(&conn) {
            let bytes = Bytes::from(frame.encode());
            self.outbox
                .push((conn, c.out.clone(), Outbound::Frame(bytes)));
        }
    }

    /// Sends an `Error` frame, then closes.
    fn refuse(&mut self, conn: ConnId, code: ErrorCode, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(conn, ?code, %message, "refusing connection");
        self.send(conn, &Frame::error(code, message));
        self.close(conn);
    }

    /// Closes `conn` after what was queued for it, and forgets it.
    fn close(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get(&conn) {
            self.outbox.push((conn, c.out.clone(), Outbound::Close));
        }
        self.forget(conn);
    }

    fn forget(&mut self, conn: ConnId) {
        if let Some(Conn {
            phase: Phase::Session { ws, .. },
            ..
        }) = self.conns.remove(&conn)
            && let Some(w) = self.workspaces.get_mut(&ws)
        {
            w.sessions.remove(&conn);
            w.restoring.remove(&conn);
        }
    }

    fn on_tick(&mut self) {
        let now = now_ms();
        let timeout = self.limits.handshake_timeout;
        let late: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| {
                let ready =
                    matches!(&c.phase, Phase::Session { session, .. } if session.is_ready());
                !ready && c.opened.elapsed() >= timeout
            })
            .map(|(id, _)| *id)
            .collect();
        for conn in late {
            let msg = format!(
                "the handshake did not finish within {} s: check the network and the device clock, then reconnect",
                timeout.as_secs_f32()
            );
            self.refuse(conn, ErrorCode::Timeout, msg);
        }
        let ids: Vec<WorkspaceId> = self.workspaces.keys().copied().collect();
        for ws in ids {
            self.tick_workspace(ws, now);
        }
        if self.last_prune.elapsed() >= Duration::from_secs(60) {
            self.last_prune = Instant::now();
            if let Err(err) = self.store.delete_expired_joins(now) {
                self.store_failed(&err);
            }
            if let Err(err) = self.store.delete_expired_tickets(now) {
                self.store_failed(&err);
            }
        }
        self.maybe_sweep();
    }

    pub(crate) fn store_failed(&mut self, err: &(dyn std::error::Error + 'static)) {
        tracing::error!(%err, "relay storage failed; rolling back this batch");
        self.disk_full |= is_disk_full(err);
        self.broken = true;
    }

    /// Commits the batch, then releases its frames; on failure drops them and starts over
    /// from what is durable.
    fn commit_and_release(&mut self) {
        let committed = if self.broken {
            false
        } else {
            match self.store.commit() {
                Ok(()) => true,
                Err(err) => {
                    tracing::error!(%err, "relay storage failed to commit");
                    self.disk_full |= is_disk_full(&err);
                    false
                }
            }
        };
        if committed {
            self.release();
            if std::mem::take(&mut self.reclaim)
                && let Err(err) = self.store.reclaim_space()
            {
                // The space stays in the file and is reused; nothing is lost.
                tracing::warn!(%err, "could not give the space of collected envelopes back");
            }
        } else {
            self.recover();
        }
    }

    fn release(&mut self) {
        for (conn, out, msg) in std::mem::take(&mut self.outbox) {
            if let Err(mpsc::error::TrySendError::Full(_)) = out.try_send(msg) {
                // It does not read what it asked for; dropping its sender closes it.
                tracing::warn!(conn, "closing a connection that does not keep up");
                self.forget(conn);
            }
        }
    }

    /// After a failed write: nothing of the batch is durable, so nothing of it is sent;
    /// every connection is closed (sessions hold state about the log that is now wrong)
    /// and the workspaces are reloaded from the store.
    fn recover(&mut self) {
        self.store.rollback();
        self.outbox.clear();
        self.broken = false;
        self.reclaim = false;
        // Reads go on (devices reconnect and fetch what is stored); what they push is
        // refused, never acknowledged, until the operator frees space.
        let error = if std::mem::take(&mut self.disk_full) {
            Frame::error(
                ErrorCode::StorageFull,
                "the relay's disk is full, so it stored nothing new and dropped this connection: \
                 reconnect to keep receiving; changes waiting on this device stay here and are \
                 sent again once the relay's operator frees disk space; nothing it acknowledged \
                 was lost",
            )
        } else {
            Frame::error(
                ErrorCode::Internal,
                "the relay failed to store data and dropped this connection: reconnect; nothing it acknowledged was lost",
            )
        };
        let bytes = Bytes::from(error.encode());
        for (_, c) in self.conns.drain() {
            let _ = c.out.try_send(Outbound::Frame(bytes.clone()));
            let _ = c.out.try_send(Outbound::Close);
        }
        match load_workspaces(&mut self.store) {
            Ok(workspaces) => self.workspaces = workspaces,
            Err(err) => {
                tracing::error!(%err, "relay storage could not be reloaded; serving no workspace");
                self.workspaces.clear();
            }
        }
    }

    fn shutdown(&mut self) {
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in conns {
            if let Some(Conn {
                phase: Phase::Session { session, .. },
                ..
            }) = self.conns.get_mut(&conn)
                && !session.is_closed()
            {
                let bye = session.close();
                self.send(conn, &bye);
            }
            self.close(conn);
        }
        self.commit_and_release();
    }
}
