//! First run and every run after: open the workspace in the data directory; a directory
//! that holds none is a first run, where the UI offers to create a workspace or join one.

use std::sync::atomic::{AtomicBool, Ordering};

use meridian_app::{ApiError, Error, Workspace, default_data_dir};
use tauri::webview::{PageLoadEvent, PageLoadPayload};
use tauri::{AppHandle, Manager};

use crate::state::{AppState, Opened};
use crate::{commands, events, notifier};

pub const DEFAULT_NAME: &str = "My workspace";

pub async fn open_workspace() -> Opened {
    let dir = default_data_dir();
    tracing::info!(data_dir = %dir.display(), "opening workspace");
    match Workspace::open(&dir).await {
        Ok(ws) => Opened::Ready(ws),
        Err(Error::NotInitialised(_)) => Opened::FirstRun,
        Err(e) => {
            tracing::error!(error = %e, data_dir = %dir.display(), "cannot open the workspace");
            Opened::Failed(ApiError::from(e))
        }
    }
}

/// What runs beside an open workspace: events to the UI, notifications, search catch-up,
/// once the workspace is shared, sync, and once a Markdown folder is chosen, the mirror.
pub fn start_background(app: &AppHandle, ws: &Workspace) {
    events::forward(app.clone(), ws.subscribe());
    notifier::start(app.clone(), ws.clone());
    commands::search::catch_up(app.clone(), ws.clone());
    start_sync(app, ws);
    start_mirror(app, ws);
}

/// Starts the Markdown mirror if a folder is chosen and none runs yet (ADR 0008).
pub fn start_mirror(app: &AppHandle, ws: &Workspace) {
    let app = app.clone();
    let ws = ws.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<AppState>().start_mirror(&ws).await;
    });
}

/// Starts the sync task if the workspace is shared and none runs yet.
pub fn start_sync(app: &AppHandle, ws: &Workspace) {
    let app = app.clone();
    let ws = ws.clone();
    tauri::async_runtime::spawn(async move {
        if !ws.is_shared().await {
            return;
        }
        let Some(stop) = app.state::<AppState>().start_sync() else {
            return;
        };
        let routes = meridian_app::sync::Routes::from_env();
        if let Err(error) = ws.run_sync_with(stop, &routes).await {
            tracing::warn!(%error, "sync stopped");
        }
    });
}

/// The login name stands in for the member's display name until they change it.
pub fn my_name() -> String {
    std::env::var("USER")
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "Me".to_owned())
}

pub fn my_time_zone() -> String {
    iana_time_zone::get_timezone().unwrap_or_else(|error| {
        tracing::warn!(%error, "system time zone unknown; using UTC");
        "UTC".to_owned()
    })
}

/// Benchmark B7 (`benches/desktop`) times the app's start from spawn to the first page's
/// load; with `MERIDIAN_REPORT_PAGE_LOAD=1` this prints the lines it waits for, when the
/// window's first page starts loading and when it has loaded. The hello-world app it is
/// compared with (`benches/hello-tauri`) does the same.
pub fn report_page_load(payload: &PageLoadPayload<'_>) {
    static STARTED: AtomicBool = AtomicBool::new(false);
    static FINISHED: AtomicBool = AtomicBool::new(false);
    if std::env::var_os("MERIDIAN_REPORT_PAGE_LOAD").is_none_or(|v| v != "1") {
        return;
    }
    let (once, what) = match payload.event() {
        PageLoadEvent::Started => (&STARTED, "meridian-page-load-started"),
        PageLoadEvent::Finished => (&FINISHED, "meridian-page-loaded"),
    };
    if !once.swap(true, Ordering::Relaxed) {
        println!("{what} {}", payload.url());
    }
}
