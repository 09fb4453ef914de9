//! Meridian's desktop shell. It opens the local workspace once at startup, holds it in
//! Tauri's managed state, exposes thin async commands over `meridian-app` and forwards the
//! engine's events to the Svelte UI. All rules live in the engine: a command here only
//! unpacks its arguments, calls one `Workspace` method and returns a typed result.
//!
//! It must not depend on the store, vault or any other adapter directly.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

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
            if let state::Opened::Ready(ws) = &opened {
                startup::start_background(app.handle(), ws);
            }
            app.manage(state::AppState::new(opened));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace::workspace_info,
            commands::workspace::list_objects,
            commands::workspace::show_object,
            commands::workspace::trash_object,
            commands::workspace::restore_object,
            commands::pages::create_page,
            commands::pages::update_page,
            commands::pages::edit_page_body,
            commands::pages::page_tree,
            commands::pages::links,
            commands::pages::thread_kinds,
            commands::decisions::create_decision,
            commands::decisions::update_decision,
            commands::decisions::set_decision_status,
            commands::decisions::choose_option,
            commands::decisions::decision_next_steps,
            commands::decisions::give_feedback,
            commands::decisions::acknowledge_decision,
            commands::decisions::supersede_decision,
            commands::decisions::promote_thread,
            commands::norms::inbox,
            commands::norms::team,
            commands::norms::members,
            commands::norms::my_profile,
            commands::norms::update_member,
            commands::norms::add_focus_block,
            commands::norms::add_out_of_office,
            commands::norms::remove_focus_block,
            commands::norms::remove_out_of_office,
            commands::norms::preview_thread,
            commands::norms::post_thread,
            commands::norms::reply_thread,
            commands::norms::ack_thread,
            commands::norms::resolve_thread,
            commands::norms::create_meeting,
            commands::norms::meeting_times,
            commands::norms::suggest_slots,
            commands::meetings::add_agenda_item,
            commands::meetings::update_agenda_item,
            commands::meetings::remove_agenda_item,
            commands::meetings::move_agenda_item,
            commands::meetings::edit_meeting_text,
            commands::meetings::set_meeting_state,
            commands::meetings::meeting_next_steps,
            commands::meetings::draft_meeting_decision,
            commands::meetings::record_meeting_decision,
            commands::meetings::add_action_item,
            commands::meetings::summarise_meeting,
            commands::tasks::task_list,
            commands::tasks::create_task,
            commands::tasks::update_task,
            commands::checkins::checkins,
            commands::checkins::create_checkin,
            commands::checkins::answer_checkin,
            commands::checkins::checkin_digest,
            commands::norms::charter,
            commands::norms::pending_notifications,
            commands::search::search,
            commands::sync::first_run,
            commands::sync::create_workspace,
            commands::sync::join_workspace,
            commands::sync::sync_status,
            commands::sync::devices,
            commands::sync::create_invite,
            commands::sync::remove_device,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(error) = result {
        tracing::error!(%error, "the desktop app stopped");
        std::process::exit(1);
    }
}
