//! B8's engine half: one keystroke at a time through `Workspace::edit_page_body`, as the
//! desktop's `edit_page_body` command calls it, on a real SQLite file with the search
//! indexer running, on the two B8 pages of the handbook (6 KB and 86 KB). Prints, per page,
//! the call's p50/p95/max and the process's CPU time per key (the engine's work, including
//! what runs after the call returns: indexing, compaction), and the engine's work counters.
//! JSON goes to `$CARGO_TARGET_DIR/bench-results/keystroke.json`. Not a test.
//!
//!   cargo bench -p meridian-app --bench keystroke     # KS_KEYS (200), KS_INTERVAL_MS (100)
//!
//! For a profile of one keystroke: `perf record -g --call-graph dwarf` on the release bench
//! binary (see BENCHMARKS.md §B8).

use std::time::{Duration, Instant};

use meridian_app::{NewPage, Workspace};
use meridian_core::TextSplice;

const DOCUMENTS: [(&str, &str); 2] = [
    (
        "short page (6 KB)",
        "handbook/content/company-info-and-process/communication/retrospectives.md",
    ),
    (
        "long page (86 KB)",
        "handbook/content/departments/engineering/teams/devinfra/newsletter.md",
    ),
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of the whole process (every thread), from `/proc/self/stat`, in ms.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) * 10.0
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let Some(_) = meridian_testkit::corpus("handbook/content") else {
        println!(
            "skipping: the handbook corpus is absent (../shared must sit beside the checkout)"
        );
        return;
    };
    let keys = env_num("KS_KEYS", 200) as usize;
    let interval = Duration::from_millis(env_num("KS_INTERVAL_MS", 100));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let typed: Vec<char> = "Async communication means we write things down so that others can \
        read them when it suits them, not when it suits us. "
        .chars()
        .collect();
    let mut json = Vec::new();
    let mut firsts = Vec::new();
    println!(
        "| page | keys | call p50 ms | call p95 ms | call max ms | CPU per key ms | work per key |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (label, rel) in DOCUMENTS {
        let path = meridian_testkit::corpus(rel).expect("page in corpus");
        let body = std::fs::read_to_string(&path).expect("read page");
        let dir = tempfile::tempdir().expect("temp dir");
        let (times, cpu, work, (first_ms, load_ms)) = rt.block_on(async {
            let ws = Workspace::create(dir.path(), "Bench", "Ada", "UTC")
                .await
                .expect("create");
            let (id, _) = ws
                .create_page(NewPage {
                    title: label.to_owned(),
                    body: body.clone(),
                    ..NewPage::default()
                })
                .await
                .expect("page");
            ws.flush_search().await.expect("flush");
            let len = body.encode_utf16().count() as u32;
            let mut times = Vec::with_capacity(keys);
            let before = ws.work();
            let cpu0 = cpu_ms();
            for i in 0..keys {
                let c = typed[i % typed.len()].to_string();
                let splice = TextSplice {
                    pos: len + i as u32,
                    delete: 0,
                    insert: c,
                };
                let start = Instant::now();
                ws.edit_page_body(&id, &[splice]).await.expect("splice");
                times.push(start.elapsed().as_secs_f64() * 1000.0);
                tokio::time::sleep(interval).await;
            }
            // What the typing left to do (deferred indexing) is part of its cost.
            ws.flush_search().await.expect("flush");
            let cpu = cpu_ms() - cpu0;
            let work = ws.work().since(&before);
            drop(ws);
            // First text: a new process opens the page. The cached text against loading the
            // document (what `show_object` does), each on a freshly opened workspace.
            let mut first = Vec::new();
            let mut loaded = Vec::new();
            for _ in 0..7 {
                let ws = Workspace::open(dir.path()).await.expect("open");
                let start = Instant::now();
                let p = ws.page_preview(&id, Some(6000)).await.expect("preview");
                first.push(start.elapsed().as_secs_f64() * 1000.0);
                assert!(p.is_some(), "the page's text is cached");
                let start = Instant::now();
                ws.show_object(&id).await.expect("show");
                loaded.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            first.sort_by(f64::total_cmp);
            loaded.sort_by(f64::total_cmp);
            (
                times,
                cpu,
                work,
                (first[first.len() / 2], loaded[loaded.len() / 2]),
            )
        });
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let per_key = cpu / keys as f64;
        println!(
            "| {label} | {keys} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            pct(&sorted, 0.5),
            pct(&sorted, 0.95),
            sorted.last().copied().unwrap_or(0.0),
            per_key,
            work.describe(keys),
        );
        json.push(serde_json::json!({
            "page": label,
            "keys": keys,
            "interval_ms": interval.as_millis() as u64,
            "call_p50_ms": pct(&sorted, 0.5),
            "call_p95_ms": pct(&sorted, 0.95),
            "call_max_ms": sorted.last().copied().unwrap_or(0.0),
            "cpu_per_key_ms": per_key,
            "work": serde_json::to_value(work).unwrap_or_default(),
            "first_text_ms": first_ms,
            "show_object_ms": load_ms,
        }));
        firsts.push((label, first_ms, load_ms));
    }
    println!();
    println!("| page (after the typing above) | first text (cached) ms | show_object (load) ms |");
    println!("| --- | --- | --- |");
    for (label, first, load) in firsts {
        println!("| {label} | {first:.2} | {load:.2} |");
    }
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "target".into())
        .join("bench-results");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("keystroke.json"),
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    );
}
