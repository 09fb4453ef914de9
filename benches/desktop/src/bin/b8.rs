//! B8 — keypress to paint in the editor, against the same UI over a plain string.
//!
//! Drives the real desktop app (built by scripts/build-desktop.sh) under Xvfb through
//! WebDriver, as the end-to-end tests do. For each document (a short and a long handbook
//! page) it opens the app's `bench.html` (ui/src/bench) twice: `engine`, the real
//! MarkdownEditor wired to the engine exactly as PageEditor does (orderedSender →
//! `edit_page_body` over IPC into the page's Automerge document), and `plain`, the same
//! editor and layout whose splices only update a JS string. It types the same keys into
//! both, one every `B8_INTERVAL_MS`, and the page measures each key from its `keydown`
//! (`event.timeStamp`) to the end of the first frame after the editor applied it
//! (ui/src/bench/paintProbe.ts explains the frame). Both modes must end with the same text,
//! and the engine's stored body must be that text.
//!
//! Prints a table (p50/p95/p99/max per document and mode) and writes
//! `$CARGO_TARGET_DIR/bench-results/b8.json`. Environment: `B8_KEYS` (300 per run),
//! `B8_ROUNDS` (2; modes swap order each round), `B8_INTERVAL_MS` (100), `B8_WARMUP` (20),
//! `B8_APP`, `B8_CLI` (default: `$CARGO_TARGET_DIR/debug/…`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use meridian_desktop_bench::harness::{Config, Harness};
use meridian_desktop_bench::*;
use serde_json::{Value, json};

const DOCUMENTS: [(&str, &str); 2] = [
    (
        "short page (retrospectives, 6 KB)",
        "handbook/content/company-info-and-process/communication/retrospectives.md",
    ),
    (
        "long page (devinfra newsletter, 86 KB)",
        "handbook/content/departments/engineering/teams/devinfra/newsletter.md",
    ),
];
/// What is typed: the "Why async?" section of the handbook's async-communication page.
const TYPED_FROM: &str =
    "handbook/content/company-info-and-process/communication/asynchronous-communication.md";
const MODES: [&str; 2] = ["plain", "engine"];
const WARMUP_TEXT: &str = "Warming up the editor before measuring. ";

#[derive(Debug)]
struct Run {
    document: usize,
    mode: &'static str,
    latencies: Vec<f64>,
    queued: Vec<f64>,
    saves: Vec<f64>,
    missed: u64,
    text: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("B8 failed: {e}");
        std::process::exit(1);
    }
}

async fn run() -> BenchResult {
    let (Some(_), Some(typed_from)) = (corpus("handbook"), corpus(TYPED_FROM)) else {
        return Ok(());
    };
    let keys: usize = env_num("B8_KEYS", 300)?;
    let rounds: usize = env_num("B8_ROUNDS", 2)?;
    let interval = Duration::from_millis(env_num("B8_INTERVAL_MS", 100)?);
    let warmup: usize = env_num("B8_WARMUP", 20)?;
    let app = program("B8_APP", "meridian-desktop")?;
    let cli = program("B8_CLI", "meridian")?;
    let typed = typing_text(&std::fs::read_to_string(typed_from)?, keys);
    let artifacts = target_dir().join("bench-results/b8-driver");
    std::fs::create_dir_all(&artifacts)?;
    let config = Config {
        app: app.clone(),
        driver: find_driver()?,
        artifacts,
        cli: cli.clone(),
        // The relay is for the sync tests; B8 does not start one.
        relay: PathBuf::new(),
    };
    let load_before = load_average();
    let started = Instant::now();

    let h = Harness::start(config);
    let data = h.data_dir();
    meridian(
        &cli,
        &data,
        &["init", "--name", "B8", "--me", "Bench", "--tz", "UTC"],
    )?;
    // A fresh page per round, document and mode, all with the document's text: every run
    // starts from the same text (plain mode stores nothing it could continue from).
    let mut pages: Vec<Vec<[String; 2]>> = vec![Vec::new(); rounds];
    let mut sizes = Vec::new();
    for (label, rel) in DOCUMENTS {
        let path = corpus(rel).ok_or_else(|| format!("{rel} is missing from the corpus"))?;
        sizes.push(std::fs::read_to_string(&path)?.encode_utf16().count());
        for (round, of_round) in pages.iter_mut().enumerate() {
            let mut ids = [String::new(), String::new()];
            for (i, mode) in MODES.iter().enumerate() {
                let title = format!("B8 {label} ({mode}, round {})", round + 1);
                ids[i] = new_page(&cli, &data, &title, &path)?;
            }
            of_round.push(ids);
        }
    }

    let client = h.launch().await?;
    let outcome = measure(&client, &pages, &typed, interval, warmup).await;
    let closed = client.close().await;
    h.stop();
    let runs = outcome?;
    closed?;

    check(&runs, &typed, rounds)?;
    report(
        &runs,
        &sizes,
        keys,
        rounds,
        interval,
        &app,
        load_before,
        started.elapsed(),
    )
}

async fn measure(
    c: &Client,
    pages: &[Vec<[String; 2]>],
    typed: &str,
    interval: Duration,
    warmup: usize,
) -> BenchResult<Vec<Run>> {
    // The app opens on its workspace; let its start-up work (search catch-up) finish.
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-testid=status-bar]"))
        .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let warm: String = WARMUP_TEXT.chars().cycle().take(warmup).collect();
    let mut runs = Vec::new();
    for (round, of_round) in pages.iter().enumerate() {
        for (document, ids) in of_round.iter().enumerate() {
            let mut order = [0, 1];
            if round % 2 == 1 {
                order.reverse();
            }
            for m in order {
                let mode = MODES[m];
                eprintln!("B8: round {}, {}, {mode}", round + 1, DOCUMENTS[document].0);
                open_bench(c, mode, &ids[m]).await?;
                // Type at the end, in a new paragraph.
                press(c, &[Key::Control.into(), Key::End.into()]).await?;
                for key in ["\n", "\n"].into_iter().chain([warm.as_str()]) {
                    type_keys(c, key, interval).await?;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                c.execute("window.meridianBench.reset()", vec![]).await?;
                type_keys(c, typed, interval).await?;
                let result = c
                    .execute_async(
                        "const done = arguments[arguments.length - 1];\
                         window.meridianBench.finish().then(done, (e) => done({ error: String(e) }));",
                        vec![],
                    )
                    .await?;
                runs.push(parse_run(document, mode, &result)?);
            }
        }
    }
    Ok(runs)
}

async fn open_bench(c: &Client, mode: &str, page: &str) -> BenchResult {
    c.goto(&format!(
        "tauri://localhost/bench.html?mode={mode}&page={page}"
    ))
    .await?;
    let start = Instant::now();
    loop {
        let state = c
            .execute(
                "const b = window.meridianBench; return b ? [b.ready, b.error] : null",
                vec![],
            )
            .await?;
        if let Some(error) = state.get(1).and_then(Value::as_str) {
            return Err(format!("the bench page failed: {error}").into());
        }
        if state.get(0).and_then(Value::as_bool) == Some(true) {
            break;
        }
        if start.elapsed() > Duration::from_secs(30) {
            return Err(format!("bench.html ({mode}) was not ready within 30 s").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.find(Locator::Css(".cm-content")).await?.click().await?;
    Ok(())
}

/// Presses `keys` together (modifiers first) and releases them.
async fn press(c: &Client, keys: &[char]) -> BenchResult {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for &k in keys {
        actions = actions.then(KeyAction::Down { value: k });
    }
    for &k in keys.iter().rev() {
        actions = actions.then(KeyAction::Up { value: k });
    }
    c.perform_actions(actions).await?;
    Ok(())
}

/// Types `text` one key every `interval` ("\n" is Enter).
async fn type_keys(c: &Client, text: &str, interval: Duration) -> BenchResult {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for ch in text.chars() {
        tick.tick().await;
        let key = if ch == '\n' { Key::Enter.into() } else { ch };
        press(c, &[key]).await?;
    }
    Ok(())
}

fn parse_run(document: usize, mode: &'static str, v: &Value) -> BenchResult<Run> {
    if let Some(error) = v.get("error").and_then(Value::as_str) {
        return Err(format!("finishing the {mode} run failed: {error}").into());
    }
    let numbers = |key: &str| -> BenchResult<Vec<f64>> {
        v.get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("the result has no {key}: {v}"))?
            .iter()
            .map(|n| {
                n.as_f64()
                    .ok_or_else(|| format!("{key}: {n} is no number").into())
            })
            .collect()
    };
    Ok(Run {
        document,
        mode,
        latencies: numbers("latencies")?,
        queued: numbers("queued")?,
        saves: numbers("saves")?,
        missed: v.get("missed").and_then(Value::as_u64).unwrap_or(u64::MAX),
        text: v
            .get("text")
            .and_then(Value::as_str)
            .ok_or("the result has no text")?
            .to_owned(),
    })
}

/// Every key was measured once, and both modes hold the same text, with what was typed.
fn check(runs: &[Run], typed: &str, rounds: usize) -> BenchResult {
    let keys = typed.chars().count();
    for r in runs {
        if r.missed != 0 || r.latencies.len() != keys {
            return Err(format!(
                "{} {}: {} of {keys} keys measured, {} missed",
                DOCUMENTS[r.document].0,
                r.mode,
                r.latencies.len(),
                r.missed
            )
            .into());
        }
        if !r.text.contains(typed) {
            return Err(format!(
                "{} {}: the final text lacks what was typed",
                DOCUMENTS[r.document].0, r.mode
            )
            .into());
        }
    }
    for (document, (label, _)) in DOCUMENTS.iter().enumerate() {
        let texts: Vec<&str> = runs
            .iter()
            .filter(|r| r.document == document)
            .map(|r| r.text.as_str())
            .collect();
        if texts.len() != 2 * rounds {
            return Err(format!("{} runs of {label}", texts.len()).into());
        }
        // Every run typed the same keys into the same text.
        if texts.iter().any(|t| *t != texts[0]) {
            return Err(format!("{label}: the engine's text and the plain string differ").into());
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn report(
    runs: &[Run],
    sizes: &[usize],
    keys: usize,
    rounds: usize,
    interval: Duration,
    app: &Path,
    load_before: f64,
    took: Duration,
) -> BenchResult {
    println!(
        "B8: keypress to paint, {keys} keys × {rounds} rounds per cell, one key every {} ms ({})",
        interval.as_millis(),
        app.display()
    );
    println!();
    println!(
        "| document | mode | keys | p50 ms | p95 ms | p99 ms | max ms | queued p95 ms | save p50 / p95 ms | target p95 ≤ 16 ms |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut rows = Vec::new();
    for (document, (label, _)) in DOCUMENTS.iter().enumerate() {
        for mode in MODES {
            let cell: Vec<&Run> = runs
                .iter()
                .filter(|r| r.document == document && r.mode == mode)
                .collect();
            let lat: Vec<f64> = cell.iter().flat_map(|r| r.latencies.clone()).collect();
            let queued: Vec<f64> = cell.iter().flat_map(|r| r.queued.clone()).collect();
            let saves: Vec<f64> = cell.iter().flat_map(|r| r.saves.clone()).collect();
            let p = |q| percentile(&lat, q);
            let save = if mode == "engine" {
                format!(
                    "{:.0} / {:.0}",
                    percentile(&saves, 50.0),
                    percentile(&saves, 95.0)
                )
            } else {
                "–".to_owned()
            };
            println!(
                "| {label} | {mode} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {save} | {} |",
                lat.len(),
                p(50.0),
                p(95.0),
                p(99.0),
                p(100.0),
                percentile(&queued, 95.0),
                if p(95.0) <= 16.0 { "met" } else { "missed" }
            );
            rows.push(json!({
                "document": label,
                "utf16_units": sizes[document],
                "mode": mode,
                "keys": lat.len(),
                "p50_ms": p(50.0),
                "p95_ms": p(95.0),
                "p99_ms": p(99.0),
                "max_ms": p(100.0),
                "queued_p95_ms": percentile(&queued, 95.0),
                "save_p50_ms": if saves.is_empty() { Value::Null } else { json!(percentile(&saves, 50.0)) },
                "save_p95_ms": if saves.is_empty() { Value::Null } else { json!(percentile(&saves, 95.0)) },
                "saves": saves.len(),
                "latencies_ms": lat,
            }));
        }
    }
    let load_after = load_average();
    println!();
    println!(
        "load average {load_before:.2} before, {load_after:.2} after; {:.0} s in all",
        took.as_secs_f64()
    );
    let path = write_json(
        "b8",
        &json!({
            "keys_per_run": keys,
            "rounds": rounds,
            "interval_ms": interval.as_millis() as u64,
            "app": app.display().to_string(),
            "load_average": [load_before, load_after],
            "rows": rows,
        }),
    )?;
    println!("wrote {}", path.display());
    Ok(())
}

/// `keys` characters of plain ASCII prose from the page's "Why async?" section, paragraphs
/// separated by one newline (Enter), without Markdown marks or links.
fn typing_text(page: &str, keys: usize) -> String {
    let section = page
        .split("\n## ")
        .find(|s| s.starts_with("Why async?"))
        .unwrap_or(page);
    let mut paragraphs = Vec::new();
    for p in section.split("\n\n").skip(1) {
        let mut plain = String::new();
        let mut chars = p.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                // `[text](url)` → `text`
                ']' if chars.peek() == Some(&'(') => {
                    for c in chars.by_ref() {
                        if c == ')' {
                            break;
                        }
                    }
                }
                '[' | ']' | '*' | '_' | '`' => {}
                '\u{2019}' | '\u{2018}' => plain.push('\''),
                '\u{201c}' | '\u{201d}' => plain.push('"'),
                '\u{2014}' | '\u{2013}' => plain.push('-'),
                '\n' => plain.push(' '),
                c if c.is_ascii() && !c.is_ascii_control() => plain.push(c),
                _ => {}
            }
        }
        let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
        if !plain.is_empty() {
            paragraphs.push(plain);
        }
    }
    let all = paragraphs.join("\n");
    all.chars().cycle().take(keys).collect()
}

/// `tauri-driver` on PATH or in ~/.cargo/bin (`cargo install tauri-driver --locked`).
fn find_driver() -> BenchResult<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("tauri-driver"))
            .find(|p| p.is_file())
    });
    let in_cargo = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver"))
        .filter(|p| p.is_file());
    on_path.or(in_cargo).ok_or_else(|| {
        "tauri-driver not found: `cargo install tauri-driver --version 2.1.0 --locked`".into()
    })
}

fn new_page(cli: &Path, data: &Path, title: &str, body: &Path) -> BenchResult<String> {
    let body = body.to_str().ok_or("corpus path is not UTF-8")?;
    let out = meridian(
        cli,
        data,
        &[
            "--json",
            "page",
            "new",
            "--title",
            title,
            "--body-file",
            body,
        ],
    )?;
    let v: Value = serde_json::from_str(&out)?;
    v.get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("`page new` printed no id: {out}").into())
}
