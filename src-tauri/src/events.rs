//! Forwards the engine's events to the webview. The engine announces a change only once it
//! is durable, so the UI can refresh lists from these without polling.

use meridian_app::Event;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// Name of the Tauri event carrying one [`Event`].
pub const WORKSPACE_EVENT: &str = "workspace-event";
/// Sent when events were dropped because the UI fell behind: reload what is shown.
pub const WORKSPACE_RESYNC: &str = "workspace-resync";

pub fn forward(app: AppHandle, mut events: Receiver<Event>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let sent = match events.recv().await {
                Ok(event) => app.emit(WORKSPACE_EVENT, event),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "UI fell behind the workspace events");
                    app.emit(WORKSPACE_RESYNC, missed)
                }
                Err(RecvError::Closed) => break,
            };
            if let Err(error) = sent {
                tracing::warn!(%error, "cannot forward a workspace event to the UI");
            }
        }
    });
}
