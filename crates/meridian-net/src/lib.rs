//! Meridian on the local network (ARCHITECTURE: Sync and security).
//!
//! - [`channel`]: an encrypted connection between two devices of a workspace (Noise XX
//!   over TCP), authenticated by their device keys and gated by the membership log during
//!   the handshake, carrying the same [`meridian_sync::Frame`]s as the relay path.
//! - [`discovery`]: advertising this device and finding the workspace's other devices with
//!   mDNS/DNS-SD, with nothing readable by strangers on the network.
//!
//! Both reach the workspace only through its keys and membership log; the sans-IO
//! [`meridian_sync::Session`] runs on top, exactly as with a relay.

pub mod channel;
pub mod discovery;
pub mod lan_key;
