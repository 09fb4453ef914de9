//! Import benchmark: the 883-page handbook through `Workspace::import_markdown` into a
//! fresh workspace on a real SQLite file (durable commits). Prints a table and writes JSON
//! to `$CARGO_TARGET_DIR/bench-results/import.json`. Not a test.

use std::path::PathBuf;
use std::time::Instant;

use meridian_app::Workspace;

fn main() {
    let Some(corpus) = meridian_testkit::corpus("handbook/content") else {
        println!(
            "skipping: the handbook corpus is absent (../shared must sit beside the checkout)"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let runs = 3;
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..runs {
        let dir = tempfile::tempdir().expect("temp dir");
        let (elapsed, r, bytes) = rt.block_on(async {
            let ws = Workspace::create(dir.path(), "Bench", "Ada", "UTC")
                .await
                .expect("create");
            let start = Instant::now();
            let r = ws.import_markdown(&corpus).await.expect("import");
            let elapsed = start.elapsed();
            let bytes = std::fs::metadata(dir.path().join("workspace.db"))
                .map(|m| m.len())
                .unwrap_or(0);
            (elapsed, r, bytes)
        });
        times.push(elapsed.as_secs_f64());
        report = Some((r, bytes));
    }
    let (r, bytes) = report.expect("ran");
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let corpus_bytes: u64 = walk(&corpus);
    println!("| what | value |");
    println!("| --- | --- |");
    println!(
        "| pages imported | {} (+{} decisions, {} skipped) |",
        r.pages,
        r.decisions,
        r.skipped.len()
    );
    println!("| corpus size | {:.1} MB |", corpus_bytes as f64 / 1e6);
    println!("| import time, median of {runs} | {median:.2} s |");
    println!(
        "| throughput | {:.0} pages/s, {:.1} MB/s |",
        r.pages as f64 / median,
        corpus_bytes as f64 / 1e6 / median
    );
    println!(
        "| database + WAL size after import | {:.1} MB |",
        bytes as f64 / 1e6
    );
    let out = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("bench-results");
    let _ = std::fs::create_dir_all(&out);
    let json = format!(
        "{{\"pages\":{},\"decisions\":{},\"skipped\":{},\"median_s\":{median},\"runs_s\":{times:?},\"db_bytes\":{bytes}}}\n",
        r.pages,
        r.decisions,
        r.skipped.len()
    );
    let _ = std::fs::write(out.join("import.json"), json);
}

fn walk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
