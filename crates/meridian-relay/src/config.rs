//! What a relay is started with.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use meridian_sync::wire::MAX_FRAME_BYTES;

use crate::tls::TlsSetup;

/// How the relay listens and where it keeps its data.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port ([`crate::Server::local_addr`]).
    pub listen: SocketAddr,
    /// Directory holding `relay.sqlite3`; created if missing. With `postgres`, only the
    /// self-signed TLS certificate is kept there.
    pub data_dir: PathBuf,
    /// Keep everything in this PostgreSQL database instead of SQLite (a `postgresql://`
    /// URL or `key=value` pairs); any number of relays may share it (ADR 0009).
    pub postgres: Option<String>,
    /// Allow plain `ws://` on an address other than loopback.
    pub insecure: bool,
    /// Serve `wss://` with this certificate.
    pub tls: Option<TlsSetup>,
    /// Per-connection and per-workspace limits.
    pub limits: Limits,
}

impl Config {
    /// A relay on `listen` keeping its data in `data_dir`, with default limits.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Config {
        Config {
            listen,
            data_dir: data_dir.into(),
            postgres: None,
            insecure: false,
            tls: None,
            limits: Limits::default(),
        }
    }
}

/// Limits that keep one device or workspace from harming the others. Each breach is
/// answered with an `Error` frame saying which limit, then the connection is closed.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Frames carrying data (envelopes, membership ops, requests) a connection may send
    /// per second (also the burst).
    pub rate_frames: u32,
    /// Control frames (`Ack`, `Want`, `Verdicts`, `Bye`) a connection may send per second
    /// (also the burst). They are answers the protocol asks for, so they do not count
    /// against `rate_frames`; this generous cap only cuts off a flood of them.
    pub rate_control_frames: u32,
    /// Bytes a connection may send per second (the burst is at least one maximal frame).
    pub rate_bytes: u64,
    /// Bytes of envelopes a workspace may store.
    pub quota_bytes: u64,
    /// Open WebSocket connections at once; one more is told so in an `Error` frame.
    pub max_connections: usize,
    /// Sockets one address may hold open (logged in or not); one more is answered with
    /// HTTP 503 saying so.
    pub max_connections_per_ip: usize,
    /// Sockets that have not logged in yet, at once (each may hold up to
    /// `max_login_bytes`); one more is answered with HTTP 503 saying so.
    pub max_pending_logins: usize,
    /// Bytes a connection may send before it has logged in (any `Register` fits); more
    /// is answered with a `TooLarge` error and the connection closed.
    pub max_login_bytes: usize,
    /// Time from connecting to a finished login (or a `Register`/`Join` answered). A
    /// socket that has not upgraded to WebSocket by then is closed; one that has gets a
    /// `Timeout` error.
    pub handshake_timeout: Duration,
    /// How often sessions are ticked (resync after silence, timeouts).
    pub tick_interval: Duration,
    /// Join requests kept per workspace at once.
    pub max_pending_joins: usize,
    /// How often every workspace is swept for what checkpoints made redundant.
    pub sweep_interval: Duration,
    /// How soon a workspace is swept after a verdict, a completed checkpoint or a removal
    /// (and the least time between two such sweeps).
    pub sweep_delay: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rate_frames: 200,
            rate_control_frames: 2000,
            rate_bytes: 8 * 1024 * 1024,
            quota_bytes: 1024 * 1024 * 1024,
            max_connections: 10_000,
            max_connections_per_ip: 256,
            max_pending_logins: 1024,
            max_login_bytes: 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
            tick_interval: Duration::from_secs(2),
            max_pending_joins: 64,
            sweep_interval: Duration::from_secs(600),
            sweep_delay: Duration::from_secs(5),
        }
    }
}

impl Limits {
    /// The byte bucket's size: a maximal frame must always fit.
    pub(crate) fn byte_burst(&self) -> u64 {
        self.rate_bytes.max(MAX_FRAME_BYTES as u64)
    }
}
