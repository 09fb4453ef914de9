//! Tauri's build step for the hello-world app (its config is `tauri.conf.json` here).

fn main() {
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=dist");
    if let Err(error) = tauri_build::try_build(tauri_build::Attributes::new()) {
        panic!("tauri build step failed: {error:#}");
    }
}
