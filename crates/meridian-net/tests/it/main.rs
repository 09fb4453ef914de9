//! The local-network channel between two devices, over real TCP on loopback.

mod channel;
