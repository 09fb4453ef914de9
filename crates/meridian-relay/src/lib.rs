//! Meridian's relay: a blind party that devices of a workspace sync through. It speaks the
//! `meridian-sync` protocol over WebSocket (`/sync`), checks logins, signatures and the
//! membership log, stores sealed envelopes durably before acknowledging them, and passes
//! them on to the workspace's other connected devices. It never holds a content key, so
//! it can neither read nor forge what it stores.
//!
//! It depends on `meridian-sync` for the protocol and on nothing else of Meridian (never
//! on the app). Storage sits behind [`RelayStore`]; [`SqliteStore`] is the default, [`PgStore`]
//! a PostgreSQL database that several relay processes share (ADR 0009).
//!
//! ```no_run
//! # async fn run() -> Result<(), meridian_relay::Error> {
//! let config = meridian_relay::Config::new("127.0.0.1:0".parse().unwrap(), "/tmp/relay");
//! let server = meridian_relay::serve(config).await?;
//! println!("devices connect to {}", server.url());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

mod config;
mod conn;
mod core;
mod guard;
mod server;
pub mod store;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use config::{Config, Limits};
/// The core driven by hand, for fuzzing (`meridian-fuzz`).
#[cfg(feature = "fuzzing")]
pub use core::fuzzing;
pub use server::{Server, serve, serve_with_store};
pub use store::{PgError, PgStore, RelayStore, SqliteStore, StoreError};
pub use tls::{TlsError, TlsSetup, fingerprint_hex};

use meridian_sync::WorkspaceId;

/// Why a relay could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Plain WebSocket on a non-loopback address without `insecure`.
    #[error(
        "refusing to listen on {0} without TLS: devices would sync over an unencrypted connection. Pass --tls-self-signed or --tls-cert/--tls-key, listen on 127.0.0.1 behind a TLS proxy, or pass --insecure if this network is trusted"
    )]
    Insecure(SocketAddr),
    /// The data directory could not be created.
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source} (is another relay running there?)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The TLS certificate could not be loaded or generated.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The SQLite store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The PostgreSQL store failed (at start: unreachable, refused, or a newer schema).
    #[error(transparent)]
    Postgres(#[from] PgError),
    /// Another store backend failed.
    #[error("relay storage failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored membership log no longer verifies.
    #[error(
        "the stored membership log of workspace {workspace} does not verify ({detail}): restore the data directory from a backup"
    )]
    CorruptWorkspace {
        /// The workspace.
        workspace: WorkspaceId,
        /// Why.
        detail: String,
    },
    /// The core thread could not be started.
    #[error("cannot start the relay's store thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The core thread or a task stopped unexpectedly.
    #[error("the relay's store thread stopped unexpectedly; see the log")]
    CoreStopped,
    /// The HTTP server failed.
    #[error("the relay's listener failed: {0}")]
    Serve(#[source] std::io::Error),
}
