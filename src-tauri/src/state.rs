//! What every command shares: the one workspace opened at startup, or why it could not be.

use meridian_app::{ApiError, Workspace};

#[derive(Debug)]
pub struct AppState {
    opened: Result<Workspace, ApiError>,
}

impl AppState {
    pub fn new(opened: Result<Workspace, ApiError>) -> Self {
        AppState { opened }
    }

    /// The open workspace, or the error that kept it closed (so the UI can show it).
    pub fn workspace(&self) -> Result<&Workspace, ApiError> {
        self.opened.as_ref().map_err(Clone::clone)
    }
}
