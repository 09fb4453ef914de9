//! A Tauri hello-world: one window showing one static page. Benchmark B7 compares
//! Meridian's start time and idle memory with it; it reports its first page's load exactly
//! as meridian-desktop does (`MERIDIAN_REPORT_PAGE_LOAD=1`, one line on stdout).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::webview::PageLoadEvent;

fn main() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    let result = tauri::Builder::default()
        .on_page_load(|_, payload| {
            if payload.event() == PageLoadEvent::Finished
                && std::env::var_os("MERIDIAN_REPORT_PAGE_LOAD").is_some_and(|v| v == "1")
                && !REPORTED.swap(true, Ordering::Relaxed)
            {
                println!("meridian-page-loaded {}", payload.url());
            }
        })
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("hello-tauri stopped: {error}");
        std::process::exit(1);
    }
}
