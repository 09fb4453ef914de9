//! One task per WebSocket connection: it enforces the per-connection limits (message
//! size, rate), decodes frames and hands them to the core, and writes what the core sends
//! back. It holds no sync state of its own.
//!
//! The frame rate limit counts only frames that carry data (`Push`, `Membership`, `Join`,
//! …): `Ack`, `Want` and `Verdicts` are answers the protocol itself asks for, one per
//! batch received, so a device syncing hard would otherwise be cut off for keeping up.
//! They get a separate, generous cap that still stops a flood. A device that still speaks
//! protocol 1 is told, in an encoding it can read, to update.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use meridian_sync::{ErrorCode, Frame, WireError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::config::Limits;
use crate::core::{ConnId, Event, Outbound};
use crate::guard::{LOGIN_BYTES_MARKER, Ticket};

/// Decoded frames waiting for the core may hold this much memory (in KiB) across all
/// connections; a connection waits, and stops reading, while the budget is used up.
pub(crate) const INBOX_BUDGET_KIB: usize = 256 * 1024;

/// Frames the core may queue for one connection before it counts as not keeping up. The
/// protocol keeps one batch in flight per direction, so a reading peer never gets near.
pub(crate) const OUTBOX_FRAMES: usize = 256;

/// A token bucket refilled continuously at `rate` per second up to `burst`.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    burst: f64,
    rate: f64,
}

impl Bucket {
    fn new(rate: f64, burst: f64) -> Bucket {
        Bucket {
            tokens: burst,
            burst,
            rate,
        }
    }

    fn refill(&mut self, seconds: f64) {
        self.tokens = (self.tokens + seconds * self.rate).min(self.burst);
    }

    fn take(&mut self, n: f64) -> bool {
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

/// The per-connection rate limit: data frames, control frames and bytes per second.
#[derive(Debug)]
pub(crate) struct RateLimit {
    frames: Bucket,
    control: Bucket,
    bytes: Bucket,
    last: Instant,
}

/// Frames the protocol asks a device to send in answer to what it receives.
fn is_control(frame: &Frame) -> bool {
    matches!(
        frame,
        Frame::Ack { .. } | Frame::Want { .. } | Frame::Verdicts { .. } | Frame::Bye
    )
}

impl RateLimit {
    pub(crate) fn new(limits: &Limits) -> RateLimit {
        let frames = f64::from(limits.rate_frames.max(1));
        let control = f64::from(limits.rate_control_frames.max(1));
        let bytes = limits.rate_bytes.max(1) as f64;
        RateLimit {
            frames: Bucket::new(frames, frames),
            control: Bucket::new(control, control),
            bytes: Bucket::new(bytes, limits.byte_burst() as f64),
            last: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let seconds = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.frames.refill(seconds);
        self.control.refill(seconds);
        self.bytes.refill(seconds);
    }

    /// Whether a message of `size` bytes may be taken now (checked before decoding).
    pub(crate) fn admit_bytes(&mut self, size: usize, now: Instant) -> bool {
        self.refill(now);
        self.bytes.take(size as f64)
    }

    /// Whether a decoded frame may be taken now: control frames and data frames have
    /// buckets of their own.
    pub(crate) fn admit_frame(&mut self, control: bool, now: Instant) -> bool {
        self.refill(now);
        if control {
            self.control.take(1.0)
        } else {
            self.frames.take(1.0)
        }
    }
}

/// How long a closing connection waits for the peer's close.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Closes with the WebSocket closing handshake: sends a close, then reads (and drops)
/// what the peer still sends until its close, the end of the stream or [`CLOSE_WAIT`].
/// Dropping a socket that has unread input makes the kernel reset the connection, and a
/// reset peer may lose what it had not read yet: the last frames, `Bye` or `Error` among
/// them.
async fn close(ws: &mut WebSocket) {
    if ws.send(Message::Close(None)).await.is_err() {
        return;
    }
    let drained = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(msg)) = ws.recv().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    });
    let _ = drained.await;
}

/// Sends an `Error` frame, ignoring failures (the peer may be gone).
async fn send_error(ws: &mut WebSocket, conn: ConnId, code: ErrorCode, message: String) {
    tracing::info!(conn, ?code, %message, "refusing connection");
    let frame = Frame::error(code, message);
    let _ = ws.send(Message::Binary(frame.encode().into())).await;
}

/// Sends an `Error` frame and closes.
async fn refuse(ws: &mut WebSocket, conn: ConnId, code: ErrorCode, message: String) {
    send_error(ws, conn, code, message).await;
    close(ws).await;
}

/// What the reading side decided about one incoming message.
enum Incoming {
    /// A frame and its size on the wire.
    Frame(Frame, usize),
    Ignore,
    End,
    Refuse(ErrorCode, String),
    /// A device speaking protocol 1: send these bytes (an error it can read) and close.
    Legacy(Vec<u8>),
}

/// What a device that still speaks protocol 1 is told.
pub(crate) const LEGACY_MESSAGE: &str =
    "this relay speaks sync protocol 2; update Meridian on this device to keep syncing";

fn read(
    msg: Option<Result<Message, axum::Error>>,
    rate: &mut RateLimit,
    limits: &Limits,
) -> Incoming {
    let msg = match msg {
        None | Some(Ok(Message::Close(_))) => return Incoming::End,
        Some(Err(err)) => {
            // tungstenite reports a message over `max_message_size` as a capacity error,
            // and axum passes it on only as text.
            let text = err.to_string();
            if text.contains("Space limit exceeded") {
                let msg = format!(
                    "a message was larger than the relay accepts ({} bytes): {text}",
                    meridian_sync::wire::MAX_FRAME_BYTES
                );
                return Incoming::Refuse(ErrorCode::TooLarge, msg);
            }
            if text.contains(LOGIN_BYTES_MARKER) {
                let msg = format!(
                    "this connection sent more than {} bytes before logging in: log in first",
                    limits.max_login_bytes
                );
                return Incoming::Refuse(ErrorCode::TooLarge, msg);
            }
            tracing::debug!(%err, "websocket read failed");
            return Incoming::End;
        }
        Some(Ok(msg)) => msg,
    };
    let size = match &msg {
        Message::Binary(b) => b.len(),
        Message::Text(t) => t.len(),
        Message::Ping(b) | Message::Pong(b) => b.len(),
        Message::Close(_) => 0,
    };
    if !rate.admit_bytes(size, Instant::now()) {
        let msg = format!(
            "this connection sent more than {} bytes per second: slow down and reconnect",
            limits.rate_bytes
        );
        return Incoming::Refuse(ErrorCode::RateLimited, msg);
    }
    match msg {
        Message::Binary(bytes) => match Frame::decode(&bytes) {
            Ok(frame) => {
                let control = is_control(&frame);
                if rate.admit_frame(control, Instant::now()) {
                    return Incoming::Frame(frame, size);
                }
                let (kind, max) = if control {
                    (
                        "control frames (Ack, Want, Verdicts)",
                        limits.rate_control_frames,
                    )
                } else {
                    ("frames", limits.rate_frames)
                };
                let msg = format!(
                    "this connection sent more than {max} {kind} per second: slow down and reconnect"
                );
                Incoming::Refuse(ErrorCode::RateLimited, msg)
            }
            Err(WireError::UnsupportedVersion { got: 1 }) => {
                Incoming::Legacy(Frame::legacy_error(LEGACY_MESSAGE))
            }
            Err(err) => Incoming::Refuse(err.code(), err.to_string()),
        },
        Message::Text(_) => Incoming::Refuse(
            ErrorCode::Malformed,
            "text messages are not part of the sync protocol: send binary frames".into(),
        ),
        _ => Incoming::Ignore,
    }
}

/// Whether `bytes` (a frame from the core) is `Welcome`: the device logged in. Only the
/// few small frames before it are decoded.
fn is_welcome(bytes: &[u8]) -> bool {
    matches!(Frame::decode(bytes), Ok(Frame::Welcome { .. }))
}

/// Serves one connection until either side closes it. `slot` (its place under the
/// connection limit) is given back as soon as the connection is over, before the closing
/// handshake; `ticket` (its socket's place under the login bounds) learns of the login.
pub(crate) async fn serve(
    mut ws: WebSocket,
    conn: ConnId,
    core: mpsc::Sender<Event>,
    budget: Arc<Semaphore>,
    limits: Limits,
    slot: OwnedSemaphorePermit,
    ticket: Arc<Ticket>,
) {
    let mut logged_in = false;
    let (out, mut outbox) = mpsc::channel(OUTBOX_FRAMES);
    if core.send(Event::Open { conn, out }).await.is_err() {
        let msg = "the relay is shutting down: reconnect shortly".to_owned();
        return refuse(&mut ws, conn, ErrorCode::Internal, msg).await;
    }
    let mut rate = RateLimit::new(&limits);
    // Whether we end it (and owe the peer a closing handshake).
    let closing = loop {
        tokio::select! {
            next = outbox.recv() => match next {
                Some(Outbound::Frame(bytes)) => {
                    // Before the device can answer `Welcome` with a large frame.
                    if !logged_in && is_welcome(&bytes) {
                        logged_in = true;
                        ticket.logged_in();
                    }
                    if ws.send(Message::Binary(bytes)).await.is_err() {
                        break false;
                    }
                }
                Some(Outbound::Close) | None => break true,
            },
            msg = ws.recv() => match read(msg, &mut rate, &limits) {
                Incoming::Frame(frame, size) => {
                    let kib = u32::try_from(size / 1024 + 1).unwrap_or(u32::MAX);
                    let Ok(budget) = budget.clone().acquire_many_owned(kib).await else {
                        break true;
                    };
                    if core.send(Event::Frame { conn, frame, budget }).await.is_err() {
                        // The relay is stopping: the core queues `Bye` and a close for
                        // every session after it stops taking events. Deliver them: cut
                        // here, the peer would see the end of the stream and no `Bye`.
                        while let Some(Outbound::Frame(bytes)) = outbox.recv().await {
                            if ws.send(Message::Binary(bytes)).await.is_err() {
                                break;
                            }
                        }
                        break true;
                    }
                }
                Incoming::Ignore => {}
                Incoming::End => break false,
                Incoming::Refuse(code, message) => {
                    send_error(&mut ws, conn, code, message).await;
                    break true;
                }
                Incoming::Legacy(bytes) => {
                    tracing::info!(conn, "refusing a device that speaks sync protocol 1");
                    let _ = ws.send(Message::Binary(bytes.into())).await;
                    break true;
                }
            },
        }
    };
    let _ = core.send(Event::Gone { conn }).await;
    drop(slot);
    if closing {
        close(&mut ws).await;
    }
}

/// Serves a connection over the limit: one `Error` frame, then close.
pub(crate) async fn refuse_busy(mut ws: WebSocket, max: usize) {
    let msg = format!("the relay is at its limit of {max} connections: try again later");
    refuse(&mut ws, 0, ErrorCode::RateLimited, msg).await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let limits = Limits {
            rate_frames: 10,
            ..Limits::default()
        };
        let mut rate = RateLimit::new(&limits);
        let t0 = rate.last;
        for _ in 0..10 {
            assert!(rate.admit_frame(false, t0));
        }
        assert!(!rate.admit_frame(false, t0), "burst used up");
        assert!(rate.admit_frame(true, t0), "control frames count apart");
        assert!(
            rate.admit_frame(false, t0 + Duration::from_millis(150)),
            "refilled"
        );
    }

    #[test]
    fn a_maximal_frame_always_fits_the_byte_bucket() {
        let limits = Limits {
            rate_bytes: 1000,
            ..Limits::default()
        };
        let mut rate = RateLimit::new(&limits);
        let t0 = rate.last;
        assert!(rate.admit_bytes(meridian_sync::wire::MAX_FRAME_BYTES, t0));
        assert!(!rate.admit_bytes(1000, t0));
    }
}
