//! B9: sync on the local network against sync through the relay, between network
//! namespaces joined by real veth links (`meridian_testkit::netns::Lan`: A at 10.77.0.1,
//! B at 10.77.0.2, the relay at 10.77.0.3, one bridge).
//!
//! 1. **From scratch.** Devices that joined while the workspace was empty; then A imports
//!    the handbook (`../shared/corpus/handbook/content`) and pushes it to the relay. A
//!    fresh device runs `meridian sync --once` in B's namespace: through the relay
//!    (`--no-lan`, A not running), or straight from A (`--no-lan --peer 10.77.0.1:7461`,
//!    A running `meridian sync --no-lan --listen 10.77.0.1:7461`, the relay stopped).
//!    Wall time from spawn to exit, and bytes on B's `lan0` (`/proc/<pid>/net/dev` of B's
//!    namespace: frames with their Ethernet, IP and TCP headers).
//! 2. **Edit to visible.** A and B each run this binary again in their namespace as a
//!    device (`B9_ROLE=device`): an open workspace with sync running, as in the desktop
//!    app. A creates a small page when told; B prints when the page's event fires (stored
//!    and merged). Latency: from A's `create_page` returning (durable) to B's event, both
//!    stamped with the system clock in the device process, so no polling floor. Through the
//!    relay only (both relay-only) and the local network only (relay stopped, both
//!    discovering each other by mDNS).
//!
//! Needs root (namespaces) and the release relay binary: `cargo build --release -p
//! meridian-relay` (or `MERIDIAN_RELAY_BIN`). `B9_REPS` (default 3) fresh devices per route
//! for part 1, `B9_EDITS` (default 30) edits per route for part 2. Prints a table and
//! writes `$CARGO_TARGET_DIR/bench-results/b9.json`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use meridian_app::sync::Routes;
use meridian_app::{NewPage, Workspace};
use meridian_testkit::netns::Lan;
use serde_json::{Value, json};

const ROLE: &str = "B9_ROLE";
const A: usize = 0;
const B: usize = 1;
const R: usize = 2;
const RELAY_PORT: u16 = 7447;
const LAN_PORT: u16 = 7461;
/// Titles of the pages part 2 writes start with this, so the devices report only them.
const MARK: &str = "b9-";

fn main() {
    if std::env::var(ROLE).as_deref() == Ok("device") {
        device();
        return;
    }
    if !Lan::available_or_skip("b9") {
        return;
    }
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/handbook/content");
    if !corpus.is_dir() {
        eprintln!(
            "b9: skipped: the handbook corpus is not at {} (shared/ beside the checkout)",
            corpus.display()
        );
        return;
    }
    let relay_bin = relay_binary();
    let reps: usize = env_num("B9_REPS", 3);
    let edits: usize = env_num("B9_EDITS", 30);
    let tmp = tempfile::Builder::new()
        .prefix("b9-")
        .tempdir()
        .expect("temp dir");
    let lan = Lan::new(3).expect("three namespaces on a bridge");
    let b = Bench {
        lan,
        cli: PathBuf::from(env!("CARGO_BIN_EXE_meridian")),
        relay_bin,
        root: tmp.path().to_owned(),
    };
    let pids = b.lan.holder_pids();
    let (pid_a, pid_b) = (pids[A], pids[B]);
    let relay_url = format!("ws://{}:{RELAY_PORT}/sync", b.lan.addr(R));
    let a = b.dir("a");

    // Devices join while the workspace is empty: joining syncs everything, and part 1
    // measures a device that has nothing yet.
    let relay = b.start_relay();
    b.cli_ok(
        None,
        &a,
        &["init", "--name", "Handbook", "--me", "Ada", "--tz", "UTC"],
    );
    // Invites first: `invite` syncs once to tell the relay, which should not overlap with
    // the `sync` that admits the devices below.
    let names: Vec<String> = (0..reps)
        .map(|k| format!("relay{k}"))
        .chain((0..reps).map(|k| format!("lan{k}")))
        .chain(["live".to_owned()])
        .collect();
    let codes: Vec<String> = names
        .iter()
        .map(|_| {
            let v = b.cli_json(
                Some(A),
                &a,
                &["invite", "--relay", &relay_url, "--expires", "1h"],
            );
            v["code"].as_str().expect("an invite code").to_owned()
        })
        .collect();
    let a_sync = b.spawn_cli(A, &a, &["sync", "--no-lan"]);
    let dirs: Vec<PathBuf> = names
        .iter()
        .zip(&codes)
        .map(|(name, code)| {
            let dir = b.dir(name);
            b.cli_ok(
                Some(B),
                &dir,
                &["join", code, "--me", name, "--tz", "UTC", "--wait", "60s"],
            );
            dir
        })
        .collect();
    let via_relay = &dirs[..reps];
    let via_lan = &dirs[reps..2 * reps];
    let live = dirs[2 * reps].clone();
    stop(a_sync);

    let started = Instant::now();
    let imported = b.cli_json(None, &a, &["import", corpus.to_str().expect("utf-8 path")]);
    let import_s = started.elapsed().as_secs_f64();
    let pages = count_pages(&b, &a);
    println!("A imported {pages} pages in {import_s:.1} s: {imported}");

    // A pushes the handbook to the relay.
    let push = b.measure(
        A,
        pid_a,
        &a,
        &["sync", "--once", "--no-lan", "--timeout", "10m"],
    );
    println!("A pushed to the relay: {push:?}");

    let mut from_relay = Vec::new();
    for dir in via_relay {
        let m = b.measure(
            B,
            pid_b,
            dir,
            &["sync", "--once", "--no-lan", "--timeout", "10m"],
        );
        check(&m, &b, dir, pages);
        println!("  relay: {m:?}");
        from_relay.push(m);
    }
    // The watcher of part 2 catches up through the relay too, so part 2 sends one page.
    b.cli_ok(
        Some(B),
        &live,
        &["sync", "--once", "--no-lan", "--timeout", "10m"],
    );

    let relay_live = edit_to_visible(
        &b,
        &a,
        &live,
        &Routes::relay_only(),
        &Routes::relay_only(),
        edits,
    );

    // The local network only: the relay is gone (connections to it are refused at once).
    stop(relay);
    let listen = format!("{}:{LAN_PORT}", b.lan.addr(A));
    let a_sync = b.spawn_cli(A, &a, &["sync", "--no-lan", "--listen", &listen]);
    wait_listening(pid_a, LAN_PORT);
    // A now also holds the pages part 2 wrote through the relay.
    let pages_now = count_pages(&b, &a);
    let mut from_lan = Vec::new();
    for dir in via_lan {
        let m = b.measure(
            B,
            pid_b,
            dir,
            &[
                "sync",
                "--once",
                "--no-lan",
                "--peer",
                &listen,
                "--timeout",
                "10m",
            ],
        );
        check(&m, &b, dir, pages_now);
        println!("  lan: {m:?}");
        from_lan.push(m);
    }
    stop(a_sync);

    // Both discover each other by mDNS; A listens on its address, B on the default port.
    let a_routes = Routes {
        listen: Some(listen.parse().expect("an address")),
        ..Routes::with_lan()
    };
    let lan_live = edit_to_visible(&b, &a, &live, &a_routes, &Routes::with_lan(), edits);

    // The floor of part 1: a CLI process that opens the workspace and does nothing more.
    let floor: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            b.cli_ok(None, &via_lan[0], &["sync-status", "--json"]);
            t.elapsed().as_secs_f64()
        })
        .collect();
    let floor_s = median(floor);

    report(
        &Report {
            pages,
            import_s,
            push,
            from_relay,
            from_lan,
            floor_s,
            relay_live,
            lan_live,
        },
        reps,
        edits,
    );
    // Dropping `b` tears the namespaces down; the temp dir goes after.
    drop(b);
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn relay_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("MERIDIAN_RELAY_BIN") {
        return bin.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
    let bin = Path::new(&target).join("release/meridian-relay");
    if !bin.is_file() {
        panic!(
            "b9 needs the release relay at {}: run `cargo build --release -p meridian-relay` \
             (same CARGO_TARGET_DIR) or set MERIDIAN_RELAY_BIN",
            bin.display()
        );
    }
    bin
}

struct Bench {
    lan: Lan,
    cli: PathBuf,
    relay_bin: PathBuf,
    root: PathBuf,
}

/// One `sync --once` of a fresh device: wall time and bytes on the device's `lan0`.
#[derive(Debug, Clone)]
struct Transfer {
    secs: f64,
    rx: u64,
    tx: u64,
    received: u64,
}

impl Bench {
    fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn cli(&self, ns: Option<usize>, dir: &Path) -> Command {
        let mut cmd = match ns {
            Some(i) => self.lan.command(i, &self.cli),
            None => Command::new(&self.cli),
        };
        cmd.env("MERIDIAN_KEYCHAIN", "off")
            .env_remove("MERIDIAN_NO_LAN")
            .env_remove("MERIDIAN_LAN_LISTEN")
            .arg("--data-dir")
            .arg(dir);
        cmd
    }

    fn cli_ok(&self, ns: Option<usize>, dir: &Path, args: &[&str]) -> Output {
        let out = self
            .cli(ns, dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run meridian");
        assert!(
            out.status.success(),
            "meridian {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        out
    }

    fn cli_json(&self, ns: Option<usize>, dir: &Path, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.cli_ok(ns, dir, &all);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "meridian {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn spawn_cli(&self, ns: usize, dir: &Path, args: &[&str]) -> Proc {
        Proc(
            self.cli(Some(ns), dir)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start meridian"),
        )
    }

    fn start_relay(&self) -> Proc {
        let data = self.dir("relay");
        let listen = format!("{}:{RELAY_PORT}", self.lan.addr(R));
        let child = self
            .lan
            .command(R, &self.relay_bin)
            .args(["--listen", &listen, "--insecure", "--data"])
            .arg(&data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start meridian-relay");
        wait_listening(self.lan.holder_pids()[R], RELAY_PORT);
        Proc(child)
    }

    /// Runs `meridian ARGS` in namespace `ns` (holder `pid`) and measures it.
    fn measure(&self, ns: usize, pid: u32, dir: &Path, args: &[&str]) -> Transfer {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let before = lan0_bytes(pid);
        let started = Instant::now();
        let out = self.cli_ok(Some(ns), dir, &all);
        let secs = started.elapsed().as_secs_f64();
        // The FIN/ACK exchange after exit belongs to this transfer too.
        thread::sleep(Duration::from_millis(300));
        let after = lan0_bytes(pid);
        let outcome: Value = serde_json::from_slice(&out.stdout).expect("sync --once JSON");
        Transfer {
            secs,
            rx: after.0 - before.0,
            tx: after.1 - before.1,
            received: outcome["received"].as_u64().unwrap_or(0),
        }
    }
}

fn check(m: &Transfer, b: &Bench, dir: &Path, pages: usize) {
    let got = count_pages(b, dir);
    assert_eq!(
        got, pages,
        "the device holds {got} of {pages} pages after sync"
    );
    assert!(m.received > 0, "nothing received");
}

fn count_pages(b: &Bench, dir: &Path) -> usize {
    b.cli_json(None, dir, &["list", "--kind", "page"])
        .as_array()
        .map_or(0, Vec::len)
}

/// (rx, tx) bytes of `lan0` in the namespace of `pid`.
fn lan0_bytes(pid: u32) -> (u64, u64) {
    let dev = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).expect("net/dev");
    let line = dev
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("lan0:"))
        .expect("lan0 in the namespace");
    let f: Vec<u64> = line
        .split_whitespace()
        .map(|x| x.parse().expect("a counter"))
        .collect();
    (f[0], f[8])
}

/// Waits until something in `pid`'s namespace listens on TCP `port`.
fn wait_listening(pid: u32, port: u16) {
    let want = format!(":{port:04X}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let tcp = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).expect("net/tcp");
        let listening = tcp.lines().skip(1).any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[1].ends_with(&want) && f[3] == "0A"
        });
        if listening {
            return;
        }
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// A background process, killed if the bench panics before stopping it.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        kill(&mut self.0);
    }
}

/// SIGTERM, then wait (a running `meridian sync` stops cleanly on it).
fn stop(mut proc: Proc) {
    let child = &mut proc.0;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    kill(child);
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos()
}

// ---- part 2: the device processes -------------------------------------------------

/// A device in its namespace: the workspace in `B9_DIR` open, sync running on the routes
/// in `B9_DISCOVER`/`B9_LISTEN`. Reads `write TITLE` lines on stdin (creates a page,
/// prints `wrote TITLE START_NS END_NS`), prints `seen TITLE NS` when an object whose
/// title starts with [`MARK`] is created or changed here, stops at EOF.
fn device() {
    let dir = PathBuf::from(std::env::var("B9_DIR").expect("B9_DIR"));
    let routes = Routes {
        discover: std::env::var("B9_DISCOVER").as_deref() == Ok("1"),
        peers: Vec::new(),
        listen: std::env::var("B9_LISTEN")
            .ok()
            .map(|a| a.parse().expect("B9_LISTEN is ADDR:PORT")),
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MERIDIAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    // As `meridian sync`: one thread for the runtime.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let ws = Workspace::open(&dir).await.expect("open the workspace");
        let mut events = ws.subscribe();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        let t = now_ns();
                        let title = &event.summary().title;
                        if title.starts_with(MARK) {
                            println!("seen {title} {t}");
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let (stop_tx, stopped) = tokio::sync::watch::channel(false);
        let sync = {
            let ws = ws.clone();
            tokio::spawn(async move { ws.run_sync_with(stopped, &routes).await })
        };
        let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
        thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        println!("ready");
        while let Some(line) = lines.recv().await {
            if let Some(title) = line.strip_prefix("write ") {
                let start = now_ns();
                ws.create_page(NewPage {
                    title: title.to_owned(),
                    body: "A short page written by B9.".to_owned(),
                    tags: Vec::new(),
                    parent: None,
                })
                .await
                .expect("create a page");
                let end = now_ns();
                println!("wrote {title} {start} {end}");
            }
        }
        let _ = stop_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), sync).await;
    });
}

/// A running device process and its stdout lines.
struct Device {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Device {
    fn start(b: &Bench, ns: usize, dir: &Path, routes: &Routes) -> Device {
        let mut cmd = b
            .lan
            .command(ns, std::env::current_exe().expect("this binary"));
        cmd.env(ROLE, "device")
            .env("B9_DIR", dir)
            .env("B9_DISCOVER", if routes.discover { "1" } else { "0" })
            .env("MERIDIAN_KEYCHAIN", "off")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(listen) = routes.listen {
            cmd.env("B9_LISTEN", listen.to_string());
        }
        let mut child = cmd.spawn().expect("start a device");
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut d = Device {
            child,
            stdin,
            lines,
        };
        d.expect("ready", Duration::from_secs(30));
        d
    }

    /// The first line starting with `prefix` within `limit`; others are dropped.
    fn expect(&mut self, prefix: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return Some(line),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    fn write(&mut self, title: &str) -> (u128, u128) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "write {title}").expect("tell the device");
        stdin.flush().expect("flush");
        let line = self
            .expect(&format!("wrote {title} "), Duration::from_secs(30))
            .expect("the device wrote the page");
        let f: Vec<&str> = line.split_whitespace().collect();
        (f[2].parse().expect("ns"), f[3].parse().expect("ns"))
    }

    fn seen(&mut self, title: &str, limit: Duration) -> Option<u128> {
        let line = self.expect(&format!("seen {title} "), limit)?;
        line.rsplit(' ').next().and_then(|t| t.parse().ok())
    }

    fn stop(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

/// Part 2 over one route: latencies in ms, plus how long the first page took (the devices
/// meeting: connecting to the relay, or finding each other on the network).
#[derive(Debug, Default)]
struct Live {
    first_ms: f64,
    write_ms: Vec<f64>,
    visible_ms: Vec<f64>,
    lost: usize,
}

fn edit_to_visible(
    b: &Bench,
    a_dir: &Path,
    b_dir: &Path,
    routes_a: &Routes,
    routes_b: &Routes,
    edits: usize,
) -> Live {
    let started = Instant::now();
    let mut writer = Device::start(b, A, a_dir, routes_a);
    let mut watcher = Device::start(b, B, b_dir, routes_b);
    let mut live = Live::default();
    let tag = now_ns();
    // The first page: until it shows, the devices have not met.
    let first = format!("{MARK}first-{tag}");
    writer.write(&first);
    if watcher.seen(&first, Duration::from_secs(20)).is_none() {
        let pages = b.cli_json(None, b_dir, &["list", "--kind", "page"]);
        let has = pages
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["title"] == first.as_str()));
        panic!("the first page did not show on B within 20 s (in B's store: {has})");
    }
    live.first_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut jitter = tag as u64;
    for i in 0..edits {
        let title = format!("{MARK}{i}-{tag}");
        let (start, end) = writer.write(&title);
        live.write_ms.push((end - start) as f64 / 1e6);
        match watcher.seen(&title, Duration::from_secs(30)) {
            Some(at) => live.visible_ms.push((at as f64 - end as f64) / 1e6),
            None => live.lost += 1,
        }
        // 200–500 ms apart, so that edits do not fall into one another's seal debounce.
        jitter = jitter
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        thread::sleep(Duration::from_millis(200 + (jitter >> 33) % 300));
    }
    writer.stop();
    watcher.stop();
    live
}

// ---- the report --------------------------------------------------------------------

struct Report {
    pages: usize,
    import_s: f64,
    push: Transfer,
    from_relay: Vec<Transfer>,
    from_lan: Vec<Transfer>,
    floor_s: f64,
    relay_live: Live,
    lan_live: Live,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[v.len() / 2]
}

/// Nearest-rank percentile.
fn pct(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn transfers_json(t: &[Transfer]) -> Value {
    json!(
        t.iter()
            .map(|t| json!({"secs": t.secs, "rx_bytes": t.rx, "tx_bytes": t.tx, "envelopes_received": t.received}))
            .collect::<Vec<_>>()
    )
}

fn live_json(l: &Live) -> Value {
    json!({
        "first_ms": l.first_ms,
        "visible_ms": l.visible_ms,
        "write_ms": l.write_ms,
        "p50_ms": pct(&l.visible_ms, 50.0),
        "p99_ms": pct(&l.visible_ms, 99.0),
        "max_ms": pct(&l.visible_ms, 100.0),
        "lost": l.lost,
    })
}

fn report(r: &Report, reps: usize, edits: usize) {
    let summary = |t: &[Transfer]| {
        let secs = median(t.iter().map(|t| t.secs).collect());
        let rx = median(t.iter().map(|t| t.rx as f64).collect());
        let tx = median(t.iter().map(|t| t.tx as f64).collect());
        (secs, rx, tx)
    };
    let (rs, rrx, rtx) = summary(&r.from_relay);
    let (ls, lrx, ltx) = summary(&r.from_lan);
    println!(
        "\nB9: the handbook ({} pages) from scratch to a fresh device, median of {reps}",
        r.pages
    );
    println!("| route | wall time | B received (lan0 rx) | B sent (lan0 tx) |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| relay (`sync --once --no-lan`) | {rs:.2} s | {:.2} MB | {:.2} MB |",
        rrx / 1e6,
        rtx / 1e6
    );
    println!(
        "| LAN (`sync --once --no-lan --peer`) | {ls:.2} s | {:.2} MB | {:.2} MB |",
        lrx / 1e6,
        ltx / 1e6
    );
    println!(
        "A's push to the relay: {:.2} s, A sent {:.2} MB, received {:.2} MB; import {:.1} s; \
         CLI floor (sync-status) {:.0} ms",
        r.push.secs,
        mb(r.push.tx),
        mb(r.push.rx),
        r.import_s,
        r.floor_s * 1e3
    );
    println!("\nB9: edit to visible, {edits} pages, A create_page returned → B's event");
    println!("| route | first page (devices meet) | p50 | p99 | max | lost | write p50 |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, l) in [("relay", &r.relay_live), ("LAN (mDNS)", &r.lan_live)] {
        println!(
            "| {name} | {:.0} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} | {:.1} ms |",
            l.first_ms,
            pct(&l.visible_ms, 50.0),
            pct(&l.visible_ms, 99.0),
            pct(&l.visible_ms, 100.0),
            l.lost,
            pct(&l.write_ms, 50.0)
        );
    }

    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
    let dir = PathBuf::from(target).join("bench-results");
    std::fs::create_dir_all(&dir).expect("results dir");
    let file = dir.join("b9.json");
    let value = json!({
        "bench": "b9",
        "pages": r.pages,
        "import_s": r.import_s,
        "cli_floor_s": r.floor_s,
        "push": transfers_json(std::slice::from_ref(&r.push)),
        "from_scratch": {"relay": transfers_json(&r.from_relay), "lan": transfers_json(&r.from_lan)},
        "edit_to_visible": {"relay": live_json(&r.relay_live), "lan": live_json(&r.lan_live)},
    });
    std::fs::write(&file, serde_json::to_string_pretty(&value).expect("json")).expect("write");
    println!("results written to {}", file.display());
}
