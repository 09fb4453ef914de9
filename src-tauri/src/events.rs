//! The events the shell sends the webview, each with the one payload type it carries, and
//! the forwarding of the engine's events. The engine announces a change only once it is
//! durable, so the UI can refresh lists from these without polling.
//!
//! The list below is the only place an event is named: the shell emits through these
//! constants (so a payload of another type does not build), and the TypeScript client
//! (`ui/src/lib/commands.gen.ts`) gets the names and payload types from it.

use std::marker::PhantomData;

use meridian_app::{Event, NotificationBatch};
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// A Tauri event whose payload is a `T`.
#[derive(Debug)]
pub struct Channel<T> {
    pub name: &'static str,
    payload: PhantomData<fn(&T)>,
}

impl<T: Serialize> Channel<T> {
    const fn new(name: &'static str) -> Self {
        Channel {
            name,
            payload: PhantomData,
        }
    }

    pub fn emit(&self, app: &AppHandle, payload: &T) -> tauri::Result<()> {
        app.emit(self.name, payload)
    }
}

/// One event of the list, as the TypeScript client sees it.
#[cfg(test)]
#[derive(Debug)]
pub struct EventSignature {
    pub name: &'static str,
    pub doc: &'static str,
    pub payload: String,
}

macro_rules! meridian_events {
    ($($(#[doc = $doc:literal])* $constant:ident = $name:literal: $payload:ty),* $(,)?) => {
        $(
            $(#[doc = $doc])*
            pub const $constant: Channel<$payload> = Channel::new($name);
        )*

        /// The list as the TypeScript client sees it.
        #[cfg(test)]
        pub fn signatures() -> Vec<EventSignature> {
            vec![$(EventSignature {
                name: $name,
                doc: concat!($($doc, "\n"),*),
                payload: <$payload as ts_rs::TS>::name(),
            }),*]
        }
    };
}

meridian_events! {
    /// Workspace changes, announced by the engine once durable.
    WORKSPACE_EVENT = "workspace-event": Event,
    /// Events were dropped because the UI fell behind (the payload says how many): reload
    /// what is shown.
    WORKSPACE_RESYNC = "workspace-resync": usize,
    /// Notifications released by the shell (direct ones, and digests after a hold).
    NOTIFICATIONS = "notifications": NotificationBatch,
    /// Progress of the search index catching up with the workspace: `[done, total]`.
    SEARCH_PROGRESS = "search-progress": (usize, usize),
}

pub fn forward(app: AppHandle, mut events: Receiver<Event>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let sent = match events.recv().await {
                Ok(event) => WORKSPACE_EVENT.emit(&app, &event),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "UI fell behind the workspace events");
                    WORKSPACE_RESYNC.emit(&app, &usize::try_from(missed).unwrap_or(usize::MAX))
                }
                Err(RecvError::Closed) => break,
            };
            if let Err(error) = sent {
                tracing::warn!(%error, "cannot forward a workspace event to the UI");
            }
        }
    });
}
