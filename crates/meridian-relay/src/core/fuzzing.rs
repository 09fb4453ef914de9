//! The relay's core driven by hand, for fuzzing (`meridian-fuzz`): connections opened,
//! frames delivered, ticks and departures in the order a test chooses, with what the core
//! sends back collected after each commit. Only with the `fuzzing` feature; the server
//! never uses it.
//!
//! It runs the same [`Core`] the server runs (the same store, sessions, fan-out and
//! sweep) on the caller's thread, without sockets, and without the connection task's rate
//! limits (the fuzzer checks the state machine, not the buckets).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use meridian_sync::Frame;
use tokio::sync::{Semaphore, mpsc};

use super::{Core, Event, Outbound, load_workspaces};
use crate::Error;
use crate::config::Limits;
use crate::store::{RelayStore, SqliteStore};

/// What the core sent one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// A frame (already decoded again from the bytes the core would send).
    Frame(Frame),
    /// The core closed the connection.
    Close,
}

/// A relay core with a SQLite store, driven one event at a time.
pub struct Harness {
    core: Core<SqliteStore>,
    outs: BTreeMap<u64, mpsc::Receiver<Outbound>>,
    budget: Arc<Semaphore>,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness").finish_non_exhaustive()
    }
}

impl Harness {
    /// A core over the store at `path` (created if missing), with `limits`.
    pub fn open_blocking(path: &Path, limits: Limits) -> Result<Harness, Error> {
        let mut store = SqliteStore::open_blocking_without_reserve(path)?;
        let workspaces = load_workspaces(&mut store)?;
        Ok(Harness {
            core: Core::new(store, limits, workspaces),
            outs: BTreeMap::new(),
            budget: Arc::new(Semaphore::new(1 << 20)),
        })
    }

    /// A connection was accepted (again, if `conn` was open: the old one is gone first).
    pub fn connect(&mut self, conn: u64) {
        if self.outs.contains_key(&conn) {
            self.disconnect(conn);
        }
        let (out, rx) = mpsc::channel(crate::conn::OUTBOX_FRAMES);
        self.outs.insert(conn, rx);
        self.core.handle(Event::Open { conn, out });
    }

    /// The connection ended on the device's side.
    pub fn disconnect(&mut self, conn: u64) {
        self.outs.remove(&conn);
        self.core.handle(Event::Gone { conn });
    }

    /// A decoded frame arrived on `conn` (ignored, as by the server, if it is closed).
    pub fn frame(&mut self, conn: u64, frame: Frame) {
        if !self.outs.contains_key(&conn) {
            return;
        }
        let Ok(budget) = self.budget.clone().try_acquire_owned() else {
            return;
        };
        self.core.handle(Event::Frame {
            conn,
            frame,
            budget,
        });
    }

    /// The ticker fired.
    pub fn tick(&mut self) {
        self.core.handle(Event::Tick);
    }

    /// Commits the batch and returns what each connection was sent, in order. A frame
    /// the core encoded that does not decode again is an error.
    pub fn flush(&mut self) -> Result<Vec<(u64, Sent)>, String> {
        self.core.commit_and_release();
        let mut sent = Vec::new();
        let mut closed = Vec::new();
        for (conn, rx) in &mut self.outs {
            loop {
                match rx.try_recv() {
                    Ok(Outbound::Frame(bytes)) => {
                        let frame = Frame::decode(&bytes).map_err(|e| {
                            format!(
                                "the relay sent connection {conn} a frame that does not decode: {e}"
                            )
                        })?;
                        sent.push((*conn, Sent::Frame(frame)));
                    }
                    Ok(Outbound::Close) => {
                        sent.push((*conn, Sent::Close));
                        closed.push(*conn);
                        break;
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        // The core dropped it (it did not keep up): closed.
                        sent.push((*conn, Sent::Close));
                        closed.push(*conn);
                        break;
                    }
                }
            }
        }
        for conn in closed {
            self.disconnect(conn);
        }
        Ok(sent)
    }

    /// Says `Bye` to every session and closes the store, as the server does at shutdown.
    pub fn shutdown_blocking(mut self) -> Result<(), Error> {
        self.core.shutdown();
        self.core.store.close().map_err(Error::Store)
    }
}
