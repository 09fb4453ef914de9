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
