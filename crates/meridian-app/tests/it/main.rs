//! The engine on a real SQLite file: commands, persistence across restarts, events.

mod checkins;
mod decisions;
mod meetings;
mod norms;
mod pages;
mod sync;
mod tasks;
