//! The engine on a real SQLite file: commands, persistence across restarts, events.

mod catchup;
mod checkins;
mod decisions;
mod disk_full;
mod history;
mod keystroke;
mod links;
mod meetings;
mod members;
mod merged;
mod pages;
mod sample;
mod scale;
mod search;
mod sync;
mod tasks;
mod trash;
mod views;
