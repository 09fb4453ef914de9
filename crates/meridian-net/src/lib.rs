//! Meridian's sync runtime (ARCHITECTURE: Sync and security): this device's keys and
//! `sync.db`, the relay and local-network transports, and the sessions that run the sans-IO
//! protocol of `meridian-sync` over them. It reaches the workspace's documents only through
//! the [`Documents`] trait, which the engine's `Workspace` implements; the engine wires.
//!
//! - [`Net`]: the handle every operation hangs off (share, invite, join, admit, remove,
//!   seal, sync once or until stopped, status).
//! - [`channel`]: an encrypted connection between two devices of a workspace (Noise XX over
//!   TCP), authenticated by their device keys and gated by the membership log.
//! - [`discovery`]: advertising this device and finding the workspace's other devices with
//!   mDNS/DNS-SD, with nothing readable by strangers on the network.

mod admission;
pub mod channel;
mod client;
mod db;
mod device;
pub mod discovery;
mod docs;
mod error;
mod join;
mod lan;
pub mod lan_key;
pub mod recover;
mod session;
mod transport;

pub use admission::PendingJoin;
pub use client::{DeviceInfo, Net, SyncClient, SyncStatus, normalise_relay_url, parse_role};
pub use db::{DbError, SyncDb};
pub use docs::{Documents, Merged, Unsealed};
pub use error::SyncError;
pub use lan::{DEFAULT_LAN_PORT, LanPeer, PartyOutcome, Routes, SyncOutcome};
pub use recover::RestoreReport;
pub use session::SyncReport;
