//! What every command shares: the one workspace of this data folder once it is open (or
//! why it could not be), and the background sync and Markdown mirror tasks.

use std::sync::{Arc, Mutex, RwLock};

use meridian_app::{ApiError, Error, ErrorKind, Workspace};
use tauri::async_runtime::JoinHandle;
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
    /// The running background mirror, if one runs. Held across a pass the commands run, so
    /// that no two passes overlap (the mirror is single-process, ADR 0008).
    mirror: tokio::sync::Mutex<Option<MirrorTask>>,
    /// How the background mirror stands, as its task last said.
    mirror_health: Arc<Mutex<MirrorHealth>>,
}

/// Whether the background mirror runs, and why it stopped if it stopped on an error.
#[derive(Debug, Clone, Default)]
pub struct MirrorHealth {
    pub running: bool,
    pub error: Option<String>,
}

/// The background mirror: how to stop it and how to know it has stopped.
#[derive(Debug)]
struct MirrorTask {
    stop: watch::Sender<bool>,
    done: JoinHandle<()>,
}

impl MirrorTask {
    /// Runs `Workspace::run_mirror` on the folder chosen before, until stopped.
    fn spawn(ws: Workspace, health: Arc<Mutex<MirrorHealth>>) -> MirrorTask {
        let (stop, stopped) = watch::channel(false);
        *lock(&health) = MirrorHealth {
            running: true,
            error: None,
        };
        let done = tauri::async_runtime::spawn(async move {
            // While it runs, a pass the disk refused (full) is retried; its reason is shown.
            let (problem, mut problems) = watch::channel(None);
            let shown = health.clone();
            let forward = tauri::async_runtime::spawn(async move {
                while problems.changed().await.is_ok() {
                    let now = problems.borrow_and_update().clone();
                    lock(&shown).error = now;
                }
            });
            let result = ws.run_mirror_reporting(None, stopped, &problem).await;
            drop(problem);
            let _ = forward.await;
            let mut health = lock(&health);
            health.running = false;
            if let Err(error) = result {
                tracing::warn!(%error, "the Markdown mirror stopped");
                health.error = Some(error.to_string());
            }
        });
        MirrorTask { stop, done }
    }

    /// Asks the task to stop and waits until it has (a pass under way ends first).
    async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.done.await {
            tracing::warn!(%error, "the Markdown mirror task ended abnormally");
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    pub fn new(opened: Opened) -> Self {
        AppState {
            opened: RwLock::new(opened),
            sync: Mutex::new(None),
            mirror: tokio::sync::Mutex::new(None),
            mirror_health: Arc::default(),
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

    /// Stops the running sync task (it ends its session) and frees the slot, so the next
    /// [`AppState::start_sync`] starts a new one at once.
    pub fn stop_sync(&self) {
        let mut slot = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(stop) = slot.take() {
            let _ = stop.send(true);
        }
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

    /// Runs `pass` (a mirror pass a command asked for) with the background mirror stopped,
    /// then starts the background mirror again if a folder is chosen (the one `pass` chose,
    /// or the one before if it failed).
    pub async fn with_mirror_paused<T>(
        &self,
        ws: &Workspace,
        pass: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let mut slot = self.mirror.lock().await;
        if let Some(task) = slot.take() {
            task.stop().await;
        }
        let result = pass.await;
        *slot = self.spawn_mirror_if_chosen(ws).await;
        result
    }

    /// Starts the background mirror if a folder is chosen and none runs yet.
    pub async fn start_mirror(&self, ws: &Workspace) {
        let mut slot = self.mirror.lock().await;
        if slot.as_ref().is_some_and(|task| !task.stop.is_closed()) {
            return;
        }
        *slot = self.spawn_mirror_if_chosen(ws).await;
    }

    async fn spawn_mirror_if_chosen(&self, ws: &Workspace) -> Option<MirrorTask> {
        match ws.mirror_status().await {
            Ok(status) => status
                .folder
                .map(|_| MirrorTask::spawn(ws.clone(), self.mirror_health.clone())),
            Err(error) => {
                tracing::warn!(%error, "cannot read the mirror's state: the mirror does not run");
                *lock(&self.mirror_health) = MirrorHealth {
                    running: false,
                    error: Some(error.to_string()),
                };
                None
            }
        }
    }

    pub fn mirror_health(&self) -> MirrorHealth {
        lock(&self.mirror_health).clone()
    }
}
