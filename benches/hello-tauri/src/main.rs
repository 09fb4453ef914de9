//! A Tauri hello-world: one window showing one static page. Benchmark B7 compares
//! Meridian's start time and idle memory with it; it reports its first page's load exactly
//! as meridian-desktop does (`MERIDIAN_REPORT_PAGE_LOAD=1`: a line on stdout when the page
//! starts loading and one when it has loaded).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::webview::PageLoadEvent;

fn main() {
    static STARTED: AtomicBool = AtomicBool::new(false);
    static FINISHED: AtomicBool = AtomicBool::new(false);
    let report = std::env::var_os("MERIDIAN_REPORT_PAGE_LOAD").is_some_and(|v| v == "1");
    let result = tauri::Builder::default()
        .on_page_load(move |_, payload| {
            if !report {
                return;
            }
            let (once, what) = match payload.event() {
                PageLoadEvent::Started => (&STARTED, "meridian-page-load-started"),
                PageLoadEvent::Finished => (&FINISHED, "meridian-page-loaded"),
            };
            if !once.swap(true, Ordering::Relaxed) {
                println!("{what} {}", payload.url());
            }
        })
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("hello-tauri stopped: {error}");
        std::process::exit(1);
    }
}
