//! Helpers shared by the bench binaries (included with `#[path]`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

pub fn trace_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/traces/automerge-paper.json.gz"
    ))
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    pub start_content: String,
    pub end_content: String,
    pub txns: Vec<Txn>,
}

#[derive(Debug, serde::Deserialize)]
pub struct Txn {
    pub patches: Vec<(usize, usize, String)>,
}

/// The trace, or `None` (after printing why) when the corpus is absent.
pub fn load_trace() -> Option<Trace> {
    let path = trace_path();
    let Ok(file) = std::fs::File::open(&path) else {
        println!(
            "SKIP: trace not found at {} (the shared corpus is absent)",
            path.display()
        );
        return None;
    };
    let trace: Trace = serde_json::from_reader(flate2::read::GzDecoder::new(file))
        .unwrap_or_else(|e| panic!("bad trace {}: {e}", path.display()));
    Some(trace)
}

pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    pct(samples, 0.5)
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Writes `$CARGO_TARGET_DIR/bench-results/<name>.json`.
pub fn write_json(name: &str, value: &serde_json::Value) {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
    let dir = PathBuf::from(target).join("bench-results");
    std::fs::create_dir_all(&dir).expect("results dir");
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_string_pretty(value).expect("json")).expect("write json");
    println!("results written to {}", file.display());
}
