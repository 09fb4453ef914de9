//! B7 — app start time and idle memory, against a Tauri hello-world built the same way.
//!
//! Both apps (meridian-desktop and benches/hello-tauri: same tauri, profile and features,
//! built in one cargo invocation by scripts/bench-desktop.sh) run under their own Xvfb
//! display with temporary HOME/XDG folders and the end-to-end tests' WebKit settings.
//! Meridian opens a real workspace: the handbook (883 pages) imported with the CLI.
//!
//! - Start time: from spawning the process to the line both apps print when the window's
//!   first page has loaded (`MERIDIAN_REPORT_PAGE_LOAD=1`; Tauri's page-load hook, i.e.
//!   WebKit's load-finished reaching the app process). The line they print when the page
//!   starts loading splits it: process, Tauri and window set-up, then loading the page
//!   (its scripts run before the load finishes).
//! - Idle memory: `B7_IDLE_S` seconds later, the summed PSS (and RSS) of the app and every
//!   process below it (WebKitWebProcess, WebKitNetworkProcess), from /proc smaps_rollup.
//!
//! One unmeasured warm-up start each (WebKit's caches), then `B7_RUNS` starts each,
//! alternating. Prints medians and writes `$CARGO_TARGET_DIR/bench-results/b7.json`.
//! `B7_MERIDIAN`, `B7_HELLO`, `B7_CLI` name the binaries (default `$CARGO_TARGET_DIR/debug/…`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use meridian_desktop_bench::harness;
use meridian_desktop_bench::procs::{self, Memory};
use meridian_desktop_bench::*;
use serde_json::json;

const STARTED: &str = "meridian-page-load-started ";
const LOADED: &str = "meridian-page-loaded ";

/// A private X display and temporary HOME / XDG / data folders, removed on drop.
struct Session {
    xvfb: Option<Child>,
    display: String,
    root: tempfile::TempDir,
}

impl Session {
    fn start() -> BenchResult<Session> {
        let root = tempfile::tempdir()?;
        for dir in ["data", "home", "xdg/data", "xdg/cache", "xdg/config"] {
            std::fs::create_dir_all(root.path().join(dir))?;
        }
        let (xvfb, n) = harness::start_xvfb();
        Ok(Session {
            xvfb: Some(xvfb),
            display: format!(":{n}"),
            root,
        })
    }

    fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The app under the display, with the end-to-end tests' environment.
    fn command(&self, app: &Path) -> Command {
        let r = self.root.path();
        let mut cmd = Command::new(app);
        cmd.env("DISPLAY", &self.display)
            .env("HOME", r.join("home"))
            .env("XDG_DATA_HOME", r.join("xdg/data"))
            .env("XDG_CACHE_HOME", r.join("xdg/cache"))
            .env("XDG_CONFIG_HOME", r.join("xdg/config"))
            .env("MERIDIAN_DATA_DIR", self.data_dir())
            .env("MERIDIAN_KEYCHAIN", "off")
            .env("MERIDIAN_NO_LAN", "1")
            .env("MERIDIAN_REPORT_PAGE_LOAD", "1")
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("NO_AT_BRIDGE", "1")
            .env("GTK_A11Y", "none")
            .env("RUST_LOG", "warn")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cmd
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(xvfb) = self.xvfb.take() {
            harness::stop_xvfb(xvfb);
        }
    }
}

#[derive(Debug, Clone)]
struct Start {
    start_ms: f64,
    /// Spawn → the page began loading (process, Tauri and window set-up).
    load_started_ms: f64,
    total: Memory,
    /// Per process name: how many, and their memory.
    by_name: BTreeMap<String, (usize, Memory)>,
}

/// Starts `app`, waits for its page-load line, idles, measures the process tree, stops it.
fn start_once(s: &Session, app: &Path, idle: Duration) -> BenchResult<Start> {
    let t0 = Instant::now();
    let mut child = s.command(app).spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    // Keeps draining stdout afterwards so the app never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut started = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if started.is_none() && line.starts_with(STARTED) {
                started = Some(t0.elapsed());
            } else if line.starts_with(LOADED) {
                let _ = tx.send((started, t0.elapsed()));
            }
        }
    });
    let loaded = rx.recv_timeout(Duration::from_secs(60));
    let result = match loaded {
        Ok((None, _)) => Err(format!(
            "{} reported its page loaded but never that it started loading",
            app.display()
        )
        .into()),
        Ok((Some(load_started), elapsed)) => {
            std::thread::sleep(idle);
            let pid = child.id();
            let mut total = Memory::default();
            let mut by_name: BTreeMap<String, (usize, Memory)> = BTreeMap::new();
            for p in std::iter::once(pid).chain(procs::descendants(pid)) {
                if let Some(m) = procs::memory(p) {
                    total += m;
                    let e = by_name.entry(procs::name(p)).or_default();
                    e.0 += 1;
                    e.1 += m;
                }
            }
            Ok(Start {
                start_ms: elapsed.as_secs_f64() * 1000.0,
                load_started_ms: load_started.as_secs_f64() * 1000.0,
                total,
                by_name,
            })
        }
        Err(_) => Err(format!("{} did not report its page load within 60 s", app.display()).into()),
    };
    stop(&mut child);
    result
}

/// Kills the app and everything it started (WebKit's processes), children first.
fn stop(child: &mut Child) {
    let mut tree = procs::descendants(child.id());
    tree.reverse();
    for pid in tree {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    if let Err(e) = run() {
        eprintln!("B7 failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> BenchResult {
    let Some(handbook) = corpus("handbook/content") else {
        return Ok(());
    };
    let runs: usize = env_num("B7_RUNS", 5)?;
    let idle = Duration::from_secs(env_num("B7_IDLE_S", 5)?);
    let meridian_app = program("B7_MERIDIAN", "meridian-desktop")?;
    let hello = program("B7_HELLO", "hello-tauri")?;
    let cli = program("B7_CLI", "meridian")?;
    let load_before = load_average();
    let began = Instant::now();

    let s = Session::start()?;
    let data = s.data_dir();
    meridian(
        &cli,
        &data,
        &["init", "--name", "Handbook", "--me", "Bench", "--tz", "UTC"],
    )?;
    let imported = meridian(
        &cli,
        &data,
        &[
            "--json",
            "import",
            handbook.to_str().ok_or("corpus path is not UTF-8")?,
        ],
    )?;
    let imported: serde_json::Value = serde_json::from_str(&imported)?;
    eprintln!(
        "B7: workspace with {} pages and {} decisions",
        imported["pages"], imported["decisions"]
    );

    let apps = [
        ("hello-tauri", hello.as_path()),
        ("meridian", meridian_app.as_path()),
    ];
    for (name, app) in apps {
        eprintln!("B7: warm-up start of {name}");
        start_once(&s, app, Duration::from_secs(1))?;
    }
    let mut results: Vec<Vec<Start>> = vec![Vec::new(), Vec::new()];
    for run in 0..runs {
        // Alternate which app goes first, so drift in the machine's load hits both.
        let order: [usize; 2] = if run % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let r = start_once(&s, apps[i].1, idle)?;
            eprintln!(
                "B7: run {} {}: start {:.0} ms, PSS {:.1} MiB, RSS {:.1} MiB",
                run + 1,
                apps[i].0,
                r.start_ms,
                r.total.pss_kib as f64 / 1024.0,
                r.total.rss_kib as f64 / 1024.0
            );
            results[i].push(r);
        }
    }
    report(&apps, &results, idle, load_before, began.elapsed())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn report(
    apps: &[(&str, &Path); 2],
    results: &[Vec<Start>],
    idle: Duration,
    load_before: f64,
    took: Duration,
) -> BenchResult {
    let summary = |rs: &[Start]| {
        let starts: Vec<f64> = rs.iter().map(|r| r.start_ms).collect();
        let pss: Vec<f64> = rs.iter().map(|r| mib(r.total.pss_kib)).collect();
        let rss: Vec<f64> = rs.iter().map(|r| mib(r.total.rss_kib)).collect();
        (starts, pss, rss)
    };
    let (hs, hp, hr) = summary(&results[0]);
    let (ms, mp, mr) = summary(&results[1]);
    println!(
        "B7: start (spawn → first page loaded) and idle memory ({} s after), {} runs each, medians",
        idle.as_secs(),
        hs.len()
    );
    println!();
    println!(
        "| app | start ms (min–max) | spawn → page load starts / → loaded ms | idle PSS MiB (min–max) | idle RSS MiB | PSS MiB per process (file-backed) |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut rows = Vec::new();
    for (i, (starts, pss, rss)) in [(&hs, &hp, &hr), (&ms, &mp, &mr)].into_iter().enumerate() {
        // Per process, the medians over the runs: PSS (of which file-backed).
        let mut names: Vec<&String> = results[i].iter().flat_map(|r| r.by_name.keys()).collect();
        names.sort();
        names.dedup();
        let procs: Vec<String> = names
            .into_iter()
            .map(|n| {
                let of = |f: fn(&Memory) -> u64| -> f64 {
                    let v: Vec<f64> = results[i]
                        .iter()
                        .filter_map(|r| r.by_name.get(n))
                        .map(|(_, m)| mib(f(m)))
                        .collect();
                    median(&v)
                };
                format!(
                    "{n} {:.0} ({:.0} file)",
                    of(|m| m.pss_kib),
                    of(|m| m.pss_file_kib)
                )
            })
            .collect();
        let began: Vec<f64> = results[i].iter().map(|r| r.load_started_ms).collect();
        let loading: Vec<f64> = results[i]
            .iter()
            .map(|r| r.start_ms - r.load_started_ms)
            .collect();
        println!(
            "| {} | {:.0} ({:.0}–{:.0}) | {:.0} / {:.0} | {:.1} ({:.1}–{:.1}) | {:.1} | {} |",
            apps[i].0,
            median(starts),
            percentile(starts, 0.0),
            percentile(starts, 100.0),
            median(&began),
            median(&loading),
            median(pss),
            percentile(pss, 0.0),
            percentile(pss, 100.0),
            median(rss),
            procs.join(", ")
        );
        rows.push(json!({
            "app": apps[i].0,
            "binary": apps[i].1.display().to_string(),
            "start_ms": starts,
            "load_started_ms": began,
            "pss_mib": pss,
            "rss_mib": rss,
            "start_median_ms": median(starts),
            "pss_median_mib": median(pss),
            "rss_median_mib": median(rss),
            "processes": procs,
        }));
    }
    let start_delta = median(&ms) - median(&hs);
    let pss_delta = median(&mp) - median(&hp);
    println!();
    println!(
        "Meridian − hello-world: start {start_delta:+.0} ms (target ≤ +100 ms: {}), idle PSS {pss_delta:+.1} MiB (target ≤ +50 MB: {})",
        if start_delta <= 100.0 {
            "met"
        } else {
            "missed"
        },
        if pss_delta * 1.048_576 <= 50.0 {
            "met"
        } else {
            "missed"
        },
    );
    let load_after = load_average();
    println!(
        "load average {load_before:.2} before, {load_after:.2} after; {:.0} s in all",
        took.as_secs_f64()
    );
    let path = write_json(
        "b7",
        &json!({
            "idle_s": idle.as_secs(),
            "runs": hs.len(),
            "apps": rows,
            "start_delta_ms": start_delta,
            "pss_delta_mib": pss_delta,
            "load_average": [load_before, load_after],
        }),
    )?;
    println!("wrote {}", path.display());
    Ok(())
}
