//! Meridian's desktop shell. It opens the local workspace once at startup, holds it in
//! Tauri's managed state, exposes thin async commands over `meridian-app` and forwards the
//! engine's events to the Svelte UI. All rules live in the engine: a command here only
//! unpacks its arguments, calls one `Workspace` method and returns a typed result.
//!
//! It must not depend on the store, vault or any other adapter directly.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod events;
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
        .setup(|app| {
            // Opened once, before the window loads; a failure is kept and shown by the UI.
            let opened = tauri::async_runtime::block_on(startup::open_workspace());
            if let Ok(ws) = &opened {
                events::forward(app.handle().clone(), ws.subscribe());
            }
            app.manage(state::AppState::new(opened));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace::workspace_info,
            commands::workspace::list_objects,
            commands::workspace::show_object,
            commands::workspace::trash_object,
            commands::pages::create_page,
            commands::pages::update_page,
            commands::pages::edit_page_body,
            commands::decisions::create_decision,
            commands::decisions::update_decision,
            commands::decisions::set_decision_status,
            commands::decisions::choose_option,
            commands::decisions::decision_next_steps,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(error) = result {
        tracing::error!(%error, "the desktop app stopped");
        std::process::exit(1);
    }
}
