//! The commands the UI invokes, one file per feature. Each is a few lines: take typed
//! arguments, call one `Workspace` method, return its typed result or an `ApiError`.

pub mod checkins;
pub mod decisions;
pub mod meetings;
pub mod norms;
pub mod pages;
pub mod search;
pub mod sync;
pub mod tasks;
pub mod workspace;

use crate::state::AppState;

type State<'a> = tauri::State<'a, AppState>;
