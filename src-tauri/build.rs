//! Tauri's build step. The configuration lives at the repository root (DESIGN §4), so it is
//! named here; the app commands are declared so capabilities can allow exactly those.

const COMMANDS: &[&str] = &[
    "workspace_info",
    "list_objects",
    "show_object",
    "create_page",
    "update_page",
    "edit_page_body",
    "create_decision",
    "update_decision",
    "set_decision_status",
    "choose_option",
    "decision_next_steps",
    "trash_object",
    "restore_object",
    "inbox",
    "team",
    "members",
    "my_profile",
    "update_member",
    "add_focus_block",
    "add_out_of_office",
    "remove_member_entry",
    "preview_thread",
    "post_thread",
    "reply_thread",
    "ack_thread",
    "resolve_thread",
    "create_meeting",
    "meeting_times",
    "suggest_slots",
    "add_agenda_item",
    "update_agenda_item",
    "remove_agenda_item",
    "move_agenda_item",
    "edit_meeting_text",
    "set_meeting_state",
    "meeting_next_steps",
    "draft_meeting_decision",
    "record_meeting_decision",
    "add_action_item",
    "summarise_meeting",
    "task_list",
    "create_task",
    "update_task",
    "checkins",
    "create_checkin",
    "answer_checkin",
    "checkin_digest",
    "charter",
    "pending_notifications",
    "search",
    "first_run",
    "create_workspace",
    "join_workspace",
    "sync_status",
    "devices",
    "create_invite",
    "remove_device",
    "page_tree",
    "links",
    "thread_kinds",
    "give_feedback",
    "acknowledge_decision",
    "supersede_decision",
    "promote_thread",
];

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}
