//! What every command shares: the one workspace of this data folder once it is open (or
//! why it could not be), and the background sync task.

use std::sync::{Mutex, RwLock};

use meridian_app::{ApiError, ErrorKind, Workspace};
use tokio::sync::watch;

/// Where the app stands with its data folder.
#[derive(Debug)]
pub enum Opened {
    Ready(Workspace),
    /// The folder holds no workspace yet: the UI offers to create one or join one.
    FirstRun,
    Failed(ApiError),
}

#[derive(Debug)]
pub struct AppState {
    opened: RwLock<Opened>,
    /// Stops the running sync task, if one runs.
    sync: Mutex<Option<watch::Sender<bool>>>,
}

impl AppState {
    pub fn new(opened: Opened) -> Self {
        AppState {
            opened: RwLock::new(opened),
            sync: Mutex::new(None),
        }
    }

    /// The open workspace, or the error that kept it closed (so the UI can show it).
    pub fn workspace(&self) -> Result<Workspace, ApiError> {
        match &*self.opened.read().unwrap_or_else(|p| p.into_inner()) {
            Opened::Ready(ws) => Ok(ws.clone()),
            Opened::FirstRun => Err(ApiError {
                kind: ErrorKind::NotInitialised,
                detail: "no workspace yet: create one or join one with an invite code".into(),
            }),
            Opened::Failed(e) => Err(e.clone()),
        }
    }

    pub fn is_first_run(&self) -> bool {
        matches!(
            *self.opened.read().unwrap_or_else(|p| p.into_inner()),
            Opened::FirstRun
        )
    }

    pub fn set_ready(&self, ws: Workspace) {
        *self.opened.write().unwrap_or_else(|p| p.into_inner()) = Opened::Ready(ws);
    }

    /// Claims the sync slot: `Some(receiver)` if no sync task runs yet.
    pub fn start_sync(&self) -> Option<watch::Receiver<bool>> {
        let mut slot = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|tx| !tx.is_closed()) {
            return None;
        }
        let (tx, rx) = watch::channel(false);
        *slot = Some(tx);
        Some(rx)
    }
}
