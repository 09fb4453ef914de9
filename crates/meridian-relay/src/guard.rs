//! Bounds on connections that have not logged in yet: how many there are (per address and in
//! all), how long they may take and how much they may send. A stranger can open sockets
//! for free, so until a connection has logged in it gets a [`Ticket`] at accept time and
//! its socket is wrapped in [`GuardedIo`]:
//!
//! - a socket that has not finished its WebSocket upgrade within
//!   [`Limits::handshake_timeout`] is closed (once upgraded, the core's own timeout takes
//!   over and says so in an `Error` frame);
//! - until login, a connection may send at most [`Limits::max_login_bytes`]: enough for any
//!   `Register` (at most 256 membership ops), far below the 4 MiB a logged-in device may
//!   send in one frame, so a crowd of strangers cannot each park a 4 MiB half-message;
//! - an address may hold [`Limits::max_connections_per_ip`] sockets, and the relay
//!   [`Limits::max_pending_logins`] sockets that have not logged in; a socket over either is
//!   answered with HTTP 503 and the reason, or closed at once when even the answers are
//!   flooded.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::config::Limits;

/// Sockets over a limit that are still being answered with a 503; past this many, more are
/// closed without an answer.
const MAX_REFUSING: usize = 256;
/// How long a refused socket has to send its request and read the answer.
const REFUSE_WAIT: Duration = Duration::from_secs(1);
/// Bytes a refused socket may send (an upgrade request is a few hundred).
const REFUSE_BYTES: usize = 8 * 1024;

/// The text in the I/O error a connection gets when it sent too much before logging in;
/// `conn` recognises it to answer with an `Error` frame.
pub(crate) const LOGIN_BYTES_MARKER: &str = "sent more than the relay accepts before logging in";

#[derive(Debug, Default)]
struct Counts {
    per_ip: HashMap<IpAddr, usize>,
    pending: usize,
    refusing: usize,
}

/// Counts the sockets that are open, per address, and of those not logged in.
#[derive(Debug)]
pub(crate) struct Gate {
    limits: Limits,
    counts: Mutex<Counts>,
}

/// Why a socket is not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    PerIp(usize),
    Pending(usize),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::PerIp(max) => write!(
                f,
                "this address already has {max} connections open to the relay: close some and try again"
            ),
            Refusal::Pending(max) => write!(
                f,
                "the relay already has {max} connections that have not logged in: try again shortly"
            ),
        }
    }
}

enum Admission {
    Refuse(Refusal),
    Drop(Refusal),
}

impl Gate {
    pub(crate) fn new(limits: Limits) -> Arc<Gate> {
        Arc::new(Gate {
            limits,
            counts: Mutex::new(Counts::default()),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        // The counts stay consistent whatever panicked while holding them.
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes a place for a socket from `ip`, or says why there is none.
    fn admit(self: &Arc<Gate>, ip: IpAddr) -> Result<Arc<Ticket>, Admission> {
        let mut counts = self.counts();
        let here = counts.per_ip.get(&ip).copied().unwrap_or(0);
        let refusal = if here >= self.limits.max_connections_per_ip {
            Some(Refusal::PerIp(self.limits.max_connections_per_ip))
        } else if counts.pending >= self.limits.max_pending_logins {
            Some(Refusal::Pending(self.limits.max_pending_logins))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            if counts.refusing >= MAX_REFUSING {
                return Err(Admission::Drop(refusal));
            }
            counts.refusing += 1;
            return Err(Admission::Refuse(refusal));
        }
        *counts.per_ip.entry(ip).or_insert(0) += 1;
        counts.pending += 1;
        Ok(Arc::new(Ticket {
            gate: self.clone(),
            ip,
            refused: None,
            upgraded: AtomicBool::new(false),
            pending: AtomicBool::new(true),
        }))
    }

    fn refusing(self: &Arc<Gate>, ip: IpAddr, refusal: Refusal) -> Arc<Ticket> {
        Arc::new(Ticket {
            gate: self.clone(),
            ip,
            refused: Some(refusal),
            upgraded: AtomicBool::new(false),
            pending: AtomicBool::new(false),
        })
    }
}

/// One socket's place under the limits, given back when the socket closes.
#[derive(Debug)]
pub(crate) struct Ticket {
    gate: Arc<Gate>,
    ip: IpAddr,
    /// Over a limit: answer the request with this, then close.
    refused: Option<Refusal>,
    upgraded: AtomicBool,
    /// Counted among the connections that have not logged in.
    pending: AtomicBool,
}

impl Ticket {
    /// Why this socket is not served, if it is not.
    pub(crate) fn refused(&self) -> Option<&Refusal> {
        self.refused.as_ref()
    }

    /// The WebSocket upgrade is done: from now on the core times the login out.
    pub(crate) fn upgraded(&self) {
        self.upgraded.store(true, Ordering::Release);
    }

    /// The device logged in: no more login bounds, and its place among the connections
    /// that have not logged in is free.
    pub(crate) fn logged_in(&self) {
        if self.pending.swap(false, Ordering::AcqRel) {
            self.gate.counts().pending -= 1;
        }
    }

    fn is_logged_in(&self) -> bool {
        !self.pending.load(Ordering::Acquire) && self.refused.is_none()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = self.gate.counts();
        if self.refused.is_some() {
            counts.refusing -= 1;
            return;
        }
        if *self.pending.get_mut() {
            counts.pending -= 1;
        }
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

/// What a request handler learns of its socket (axum's `ConnectInfo`).
#[derive(Debug, Clone)]
pub(crate) struct Peer(pub(crate) Arc<Ticket>);

impl<L> Connected<IncomingStream<'_, Guarded<L>>> for Peer
where
    L: Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    fn connect_info(stream: IncomingStream<'_, Guarded<L>>) -> Self {
        Peer(stream.io().ticket.clone())
    }
}

/// A listener that gives every socket a [`Ticket`] (or refuses it).
pub(crate) struct Guarded<L> {
    inner: L,
    gate: Arc<Gate>,
}

impl<L> Guarded<L> {
    pub(crate) fn new(inner: L, gate: Arc<Gate>) -> Guarded<L> {
        Guarded { inner, gate }
    }
}

impl<L> Listener for Guarded<L>
where
    L: Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    type Io = GuardedIo<L::Io>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, addr) = self.inner.accept().await;
            let limits = &self.gate.limits;
            match self.gate.admit(addr.ip()) {
                Ok(ticket) => {
                    let io = GuardedIo::new(
                        io,
                        ticket,
                        limits.handshake_timeout,
                        limits.max_login_bytes,
                    );
                    return (io, addr);
                }
                Err(Admission::Refuse(refusal)) => {
                    tracing::debug!(%addr, %refusal, "refusing a connection");
                    let ticket = self.gate.refusing(addr.ip(), refusal);
                    return (GuardedIo::new(io, ticket, REFUSE_WAIT, REFUSE_BYTES), addr);
                }
                Err(Admission::Drop(refusal)) => {
                    tracing::debug!(%addr, %refusal, "closing a connection at once");
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A socket under its ticket's bounds until it logs in.
pub(crate) struct GuardedIo<T> {
    io: T,
    ticket: Arc<Ticket>,
    deadline: Pin<Box<Sleep>>,
    timeout: Duration,
    read: usize,
    max_read: usize,
    /// Over `max_read`: what still arrives is read and dropped, so the relay can close
    /// with its `Error` frame delivered instead of resetting a peer that is still sending.
    tripped: bool,
}

impl<T> GuardedIo<T> {
    fn new(io: T, ticket: Arc<Ticket>, timeout: Duration, max_read: usize) -> GuardedIo<T> {
        GuardedIo {
            io,
            ticket,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
            read: 0,
            max_read,
            tripped: false,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.tripped {
            return discard(Pin::new(&mut this.io), cx);
        }
        let bounded = !this.ticket.is_logged_in();
        if bounded {
            if this.read >= this.max_read {
                this.tripped = true;
                let msg = format!("{LOGIN_BYTES_MARKER} ({} bytes)", this.max_read);
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, msg)));
            }
            if !this.ticket.upgraded.load(Ordering::Acquire)
                && this.deadline.as_mut().poll(cx).is_ready()
            {
                let msg = format!(
                    "no WebSocket upgrade within {} s",
                    this.timeout.as_secs_f32()
                );
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, msg)));
            }
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if bounded && let Poll::Ready(Ok(())) = polled {
            this.read += buf.filled().len() - before;
        }
        polled
    }
}

/// Reads and drops what `io` has until it would block (`Pending`) or ends (`Ok(())`
/// with nothing read: the end of the stream). A peer that never stops sending gets a
/// 64 KiB turn per poll, so it cannot hold the task.
fn discard<T: AsyncRead>(mut io: Pin<&mut T>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    let mut scratch = [0u8; 4096];
    for _ in 0..16 {
        let mut buf = ReadBuf::new(&mut scratch);
        match io.as_mut().poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
    }
    cx.waker().wake_by_ref();
    Poll::Pending
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
