//! Meridian's desktop shell. It opens the local workspace once at startup, holds it in
//! Tauri's managed state, exposes thin async commands over `meridian-app` and forwards the
//! engine's events to the Svelte UI. All rules live in the engine: a command here only
//! unpacks its arguments, calls one `Workspace` method and returns a typed result.
//!
//! It must not depend on the store, vault or any other adapter directly.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod client;
mod commands;
mod events;
mod notifier;
mod startup;
mod state;

use tauri::Manager;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .on_page_load(|_, payload| startup::report_page_load(payload))
        .setup(|app| {
            // Opened once, before the window loads; a failure is kept and shown by the UI.
            let opened = tauri::async_runtime::block_on(startup::open_workspace());
            let ready = match &opened {
                state::Opened::Ready(ws) => Some(ws.clone()),
                _ => None,
            };
            // Managed first: the background tasks find their slots in it.
            app.manage(state::AppState::new(opened));
            if let Some(ws) = ready {
                startup::start_background(app.handle(), &ws);
            }
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(error) = result {
        tracing::error!(%error, "the desktop app stopped");
        std::process::exit(1);
    }
}
