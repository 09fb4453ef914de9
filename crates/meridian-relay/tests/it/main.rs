//! The relay with real clients: `meridian_sync::Session` over WebSocket, against the
//! relay's library in this process and against its binary.

mod checkpoints;
mod limits;
mod migrate;
mod restart;
mod resume;
mod scaleout;
mod security;
mod storage;
mod support;
mod sync;
mod tls;
