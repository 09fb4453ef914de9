//! Desktop notifications, held during focus blocks and quiet hours. Every half minute (and
//! after each change) it asks the engine what became due since it last looked: direct
//! notifications are shown one by one, held ones as a single digest when the hold ends.
//! What was shown is remembered in the workspace, so a restart neither repeats nor drops
//! any. The same batch goes to the UI as the `notifications` event.

use std::time::Duration;

use chrono::{DateTime, Utc};
use meridian_app::{NotificationBatch, Workspace};
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

use crate::events;

pub fn start(app: AppHandle, ws: Workspace) {
    tauri::async_runtime::spawn(async move {
        let mut changes = ws.subscribe();
        loop {
            if let Err(error) = tick(&app, &ws).await {
                tracing::warn!(%error, "cannot compute notifications");
            }
            // Wake on the next change or after 30 s, whichever comes first.
            let _ = tokio::time::timeout(Duration::from_secs(30), changes.recv()).await;
        }
    });
}

async fn tick(app: &AppHandle, ws: &Workspace) -> Result<(), meridian_app::Error> {
    let now: DateTime<Utc> = DateTime::from_timestamp_millis(ws.now_ms()).unwrap_or_default();
    // First run: start from now rather than replay the workspace's history.
    let since = ws.notified_until()?.unwrap_or(now);
    let batch = ws.notifications(since, Some(now)).await?;
    show(app, &batch);
    ws.set_notified_until(now)?;
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
