//! The engine on a real SQLite file: commands, persistence across restarts, events.

mod checkins;
mod decisions;
mod links;
mod meetings;
mod members;
mod pages;
mod sample;
mod sync;
mod tasks;
mod trash;
mod views;
