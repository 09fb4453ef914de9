//! The engine on a real SQLite file: commands, persistence across restarts, events.

mod checkins;
mod decisions;
mod disk_full;
mod links;
mod meetings;
mod members;
mod pages;
mod sample;
mod search;
mod sync;
mod tasks;
mod trash;
mod views;
