//! The engine on a real SQLite file: commands, persistence across restarts, events.

mod decisions;
mod links;
mod norms;
mod pages;
mod sample;
mod sync;
