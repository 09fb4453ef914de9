//! Desktop notifications, held during focus blocks and quiet hours. Every half minute (and
//! after each change) it asks the engine what became due since it last looked: direct
//! notifications are shown one by one, held ones as a single digest when the hold ends.
//! What was shown is remembered in the workspace, so a restart neither repeats nor drops
//! any. The same batch goes to the UI as the `notifications` event.

use std::time::Duration;

use chrono::{DateTime, Utc};
use meridian_app::core::Kind;
use meridian_app::{Event, NotificationBatch, Workspace};
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::TryRecvError;

use crate::events;

pub fn start(app: AppHandle, ws: Workspace) {
    tauri::async_runtime::spawn(async move {
        let mut changes = ws.subscribe();
        loop {
            if let Err(error) = tick(&app, &ws).await {
                tracing::warn!(%error, "cannot compute notifications");
            }
            // Wake on the next change notifications can depend on, or after 30 s, whichever
            // comes first. A page (every keystroke in the editor is a change) or the
            // workspace document never makes one: computing them reads every thread,
            // meeting, decision, check-in and task, far too much per keystroke.
            let _ = tokio::time::timeout(Duration::from_secs(30), async {
                loop {
                    match changes.recv().await {
                        Ok(event) if !concerns_notifications(&event) => continue,
                        _ => break,
                    }
                }
            })
            .await;
            // A burst of changes (an import, a sync) is one computation.
            tokio::time::sleep(SETTLE).await;
            while let Ok(_) | Err(TryRecvError::Lagged(_)) = changes.try_recv() {}
        }
    });
}

/// How long the notifier lets a burst of changes settle before computing again.
const SETTLE: Duration = Duration::from_millis(100);

/// Whether a change can make or release a notification (see `views::notifications`: pages
/// and the workspace document are not read).
fn concerns_notifications(event: &Event) -> bool {
    !matches!(event.summary().kind, Kind::Page | Kind::Workspace)
}

async fn tick(app: &AppHandle, ws: &Workspace) -> Result<(), meridian_app::Error> {
    let now: DateTime<Utc> = DateTime::from_timestamp_millis(ws.now_ms()).unwrap_or_default();
    // First run: start from now rather than replay the workspace's history. The mark is
    // read and written (a durable commit) off the async runtime.
    let w = ws.clone();
    let since = tokio::task::spawn_blocking(move || w.notified_until())
        .await
        .map_err(|_| meridian_app::Error::Stopped)??
        .unwrap_or(now);
    let batch = ws.notifications(since, Some(now)).await?;
    show(app, &batch);
    let w = ws.clone();
    tokio::task::spawn_blocking(move || w.set_notified_until(now))
        .await
        .map_err(|_| meridian_app::Error::Stopped)??;
    Ok(())
}

fn show(app: &AppHandle, batch: &NotificationBatch) {
    if batch.direct.is_empty() && batch.digests.is_empty() {
        return;
    }
    for n in &batch.direct {
        let title = if n.urgent {
            format!("Urgent: {}", n.title)
        } else {
            n.title.clone()
        };
        desktop(app, &title, &n.body);
    }
    for d in &batch.digests {
        let lines: Vec<String> = d
            .items
            .iter()
            .map(|n| format!("• {} — {}", n.title, n.body))
            .collect();
        let title = format!("{} notifications held while you focused", d.items.len());
        desktop(app, &title, &lines.join("\n"));
    }
    if let Err(error) = events::NOTIFICATIONS.emit(app, batch) {
        tracing::warn!(%error, "cannot send notifications to the UI");
    }
}

/// Shows a desktop notification; without a notification service (e.g. a headless
/// session) it is logged and the UI's copy is what the user sees.
fn desktop(app: &AppHandle, title: &str, body: &str) {
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        tracing::info!(%error, title, "no desktop notification service");
    }
}
