//! B14: the views at scale. Generates a workspace of N pages and decisions from the
//! handbook and MADR corpora (imported again and again, as a large team's knowledge base
//! grows), 200 members across 30 time zones, N/5 threads and N/50 meetings, then opens it
//! as the app does and times every view. Prints a table; not a test.
//!
//! ```sh
//! cargo bench -p meridian-app --bench scale            # B14_SIZES (1000,10000), B14_RUNS (10)
//! B14_SIZES=100000 cargo bench -p meridian-app --bench scale
//! ```
//!
//! A generated workspace is kept in `$B14_DIR` (default `$CARGO_TARGET_DIR/b14`) and
//! reused by later runs: generating 100,000 objects takes many minutes. The generator is
//! deterministic (seeded), so a kept workspace and a new one are the same data.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use meridian_app::Workspace;
use meridian_app::core::{
    AgendaItem, Delivery, Kind, Meeting, MeetingState, Message, Role, Thread, ThreadState,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Thirty zones, from Honolulu to Auckland.
const ZONES: [&str; 30] = [
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Nairobi",
    "Europe/Istanbul",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Australia/Sydney",
    "Pacific/Auckland",
];
const MEMBERS: usize = 200;
const KINDS: [&str; 5] = ["fyi", "question", "request", "needs-decision", "blocking"];

fn main() {
    let (Some(handbook), Some(madr)) = (
        meridian_testkit::corpus("handbook/content"),
        meridian_testkit::corpus("madr"),
    ) else {
        println!("skipping: the corpora are absent (../shared must sit beside the checkout)");
        return;
    };
    let sizes: Vec<usize> = std::env::var("B14_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("B14_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let root = std::env::var_os("B14_DIR").map_or_else(
        || {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| PathBuf::from("target"), PathBuf::from)
                .join("b14")
        },
        PathBuf::from,
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if let Some(dir) = std::env::var_os("B14_MEASURE") {
        // The child: one fresh process per measurement, as the app starts.
        let only_open = std::env::var_os("B14_ONLY_OPEN").is_some();
        for (name, p50, p99) in rt.block_on(measure(Path::new(&dir), runs, only_open)) {
            println!("{name}\t{p50}\t{p99}");
        }
        return;
    }
    let mut tables = Vec::new();
    for n in sizes {
        let dir = root.join(format!("ws-{n}"));
        let generated = rt.block_on(generate(&dir, n, &handbook, &madr));
        // The first open after the generation reads every document once to fill the
        // store's derived cache (as the first start after an upgrade does); the
        // measurement is of a later start.
        let mut first = child(&dir, 1, true);
        for row in &mut first {
            row.0 = format!("{} (first start, caches cold)", row.0);
        }
        let mut rows = child(&dir, runs, false);
        rows.splice(0..0, first);
        tables.push((n, generated, rows));
    }
    println!("\n## B14: views at scale ({runs} runs each, release, in process)\n");
    for (n, generated, rows) in &tables {
        println!("### {n} pages and decisions ({generated})\n");
        println!("| view | p50 ms | p99 ms |");
        println!("| --- | --- | --- |");
        for (name, p50, p99) in rows {
            println!("| {name} | {p50:.1} | {p99:.1} |");
        }
        println!();
    }
}

/// Runs the measurement in a new process of this binary; its rows.
fn child(dir: &Path, runs: usize, only_open: bool) -> Vec<(String, f64, f64)> {
    let mut command = std::process::Command::new(std::env::current_exe().expect("this binary"));
    if only_open {
        command.env("B14_ONLY_OPEN", "1");
    }
    let out = command
        .env("B14_MEASURE", dir)
        .env("B14_RUNS", runs.to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run the measurement");
    assert!(out.status.success(), "the measurement failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let name = parts.next()?.to_owned();
            let p50 = parts.next()?.parse().ok()?;
            let p99 = parts.next()?.parse().ok()?;
            Some((name, p50, p99))
        })
        .collect()
}

/// Makes the workspace in `dir` unless a finished one is there; says what it holds.
async fn generate(dir: &Path, n: usize, handbook: &Path, madr: &Path) -> String {
    let done = dir.join("generated");
    if let Ok(text) = std::fs::read_to_string(&done) {
        return text;
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("dir");
    let started = Instant::now();
    let ws = Workspace::create(dir, "Scale", "Ada", "Europe/Berlin")
        .await
        .expect("create");
    let mut rng = StdRng::seed_from_u64(n as u64);
    let mut members = vec![ws.workspace_info().me.id.to_string()];
    for i in 1..MEMBERS {
        let zone = ZONES[i % ZONES.len()];
        let id = ws
            .add_member(
                &format!("Member {i:03}"),
                zone,
                Role::Editor,
                Some("Mon-Fri 09:00-17:00"),
            )
            .await
            .expect("member");
        members.push(id.to_string());
    }
    // Pages and decisions: the handbook and the MADR records, imported until there are
    // n of them, decisions about a twentieth.
    let (mut pages, mut decisions) = (0, 0);
    while decisions < n / 20 {
        let r = ws.import_markdown(madr).await.expect("import MADR");
        decisions += (r.decisions + r.pages) as usize;
        if r.decisions + r.pages == 0 {
            break;
        }
    }
    // Whole passes of the handbook (883 files), as many as come closest to n.
    let pass = 883;
    while pages + decisions + pass / 2 < n {
        let r = ws.import_markdown(handbook).await.expect("import handbook");
        pages += (r.pages + r.decisions) as usize;
        eprintln!(
            "  {n}: {} pages and decisions, {:.0} s",
            pages + decisions,
            started.elapsed().as_secs_f64()
        );
    }
    let now = chrono::Utc::now().timestamp_millis();
    let day = 86_400_000;
    let threads = n / 5;
    for i in 0..threads {
        let author = members[rng.random_range(0..MEMBERS)].clone();
        let mut recipients: Vec<String> = (0..rng.random_range(1..4))
            .map(|_| members[rng.random_range(0..MEMBERS)].clone())
            .filter(|m| *m != author)
            .collect();
        recipients.dedup();
        if recipients.is_empty() {
            recipients.push(members[rng.random_range(1..MEMBERS)].clone());
        }
        let created = now - rng.random_range(0..30 * day);
        let replies = rng.random_range(0..3);
        let messages = (0..replies)
            .map(|r| Message {
                id: format!("m{i}-{r}"),
                author: recipients[0].clone(),
                body: format!("Reply {r} to thread {i}: yes, see the handbook page."),
                at_ms: created + (r + 1) * 3_600_000,
            })
            .collect();
        let thread = Thread {
            title: format!("Thread {i}: how do we handle this?"),
            message_kind: KINDS[rng.random_range(0..KINDS.len())].into(),
            body: format!("Question {i} about our asynchronous process, with some context."),
            author,
            recipients,
            delivery: Delivery::Now,
            urgent_reason: None,
            messages,
            acknowledgements: Vec::new(),
            state: if replies > 0 {
                ThreadState::Answered
            } else {
                ThreadState::Open
            },
            linked_decision: None,
            source_meeting: None,
            created_at_ms: created,
        };
        ws.create_object(thread).await.expect("thread");
        if i % 2000 == 1999 {
            eprintln!(
                "  {n}: {} threads, {:.0} s",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let meetings = n / 50;
    for i in 0..meetings {
        let organiser = members[rng.random_range(0..MEMBERS)].clone();
        let mut attendees: Vec<String> = (0..rng.random_range(2..8))
            .map(|_| members[rng.random_range(0..MEMBERS)].clone())
            .collect();
        attendees.push(organiser.clone());
        attendees.sort();
        attendees.dedup();
        let start = now + rng.random_range(-14..14) * day + 3_600_000;
        let meeting = Meeting {
            title: format!("Meeting {i}"),
            purpose: "Decide what we cannot decide in writing.".into(),
            decisions_sought: vec!["What to do next".into()],
            start_ms: start - start % 1_800_000,
            duration_min: 30,
            organiser_tz: "Europe/Berlin".into(),
            organiser: Some(organiser.clone()),
            weekly: false,
            attendees,
            agenda: vec![AgendaItem {
                id: format!("a{i}"),
                title: "Where we are".into(),
                owner: Some(organiser),
                minutes: 10,
                notes: String::new(),
                pre_reads: Vec::new(),
                resolved_async: false,
            }],
            notes: String::new(),
            summary: String::new(),
            decisions: Vec::new(),
            tasks: Vec::new(),
            state: MeetingState::Scheduled,
            async_thread: None,
            created_at_ms: now - rng.random_range(0..30 * day),
        };
        ws.create_object(meeting).await.expect("meeting");
    }
    ws.flush_search().await.expect("search flushed");
    drop(ws);
    let text = format!(
        "{pages} pages, {decisions} decisions, {MEMBERS} members in {} zones, {threads} threads, {meetings} meetings; generated in {:.0} s",
        ZONES.len(),
        started.elapsed().as_secs_f64()
    );
    std::fs::write(&done, &text).expect("marker");
    text
}

/// Times each view; returns `(view, p50 ms, p99 ms)`.
async fn measure(dir: &Path, runs: usize, only_open: bool) -> Vec<(String, f64, f64)> {
    let mut rows = Vec::new();
    // Start: open as the app does, then the first inbox (time to an interactive inbox).
    let t = Instant::now();
    let ws = Workspace::open(dir).await.expect("open");
    let opened = t.elapsed();
    ws.inbox(None, None).await.expect("inbox");
    let first_inbox = t.elapsed();
    rows.push(("open the workspace".into(), ms(opened), ms(opened)));
    rows.push((
        "open + first inbox (interactive)".into(),
        ms(first_inbox),
        ms(first_inbox),
    ));
    if only_open {
        return rows;
    }
    let popular = ws
        .list_objects(Some(Kind::Page), false)
        .await
        .expect("pages")
        .into_iter()
        .find(|p| p.title.to_lowercase().contains("communication"))
        .map(|p| p.id);
    macro_rules! time {
        ($name:expr, $body:expr) => {{
            let mut samples = Vec::with_capacity(runs);
            for _ in 0..runs {
                let t = Instant::now();
                $body;
                samples.push(t.elapsed());
            }
            samples.sort();
            let p50 = samples[samples.len() / 2];
            let p99 = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
            rows.push(($name.to_owned(), ms(p50), ms(p99)));
        }};
    }
    time!("inbox", ws.inbox(None, None).await.expect("inbox"));
    time!("team clock", ws.team(None).await.expect("team"));
    time!("page tree", ws.page_tree().await.expect("tree"));
    if let Some(id) = &popular {
        time!("backlinks of a page", ws.links(id).await.expect("links"));
    }
    time!(
        "decision log",
        ws.list_objects(Some(Kind::Decision), false)
            .await
            .expect("decisions")
    );
    time!("sync status", ws.sync_status().await.expect("status"));
    time!(
        "search \"async communication\"",
        ws.search("async communication", 20).await.expect("search")
    );
    let rss = rss_mib();
    rows.push(("resident memory after the views (MiB)".into(), rss, rss));
    drop(ws);
    // Search catch-up after the index is lost (B14_REBUILD=0 skips it: at 100,000
    // objects it takes many minutes).
    if std::env::var("B14_REBUILD").is_ok_and(|v| v == "0") {
        return rows;
    }
    let index = dir.join("search");
    let kept = dir.join("search-kept");
    let _ = std::fs::remove_dir_all(&kept);
    std::fs::rename(&index, &kept).expect("set the index aside");
    let ws = Workspace::open(dir).await.expect("open");
    let t = Instant::now();
    ws.catch_up_search(|_, _| {}).await.expect("catch up");
    ws.flush_search().await.expect("flush");
    let rebuilt = t.elapsed();
    drop(ws);
    let _ = std::fs::remove_dir_all(&index);
    std::fs::rename(&kept, &index).expect("put the index back");
    rows.push((
        "search index rebuilt after a loss".into(),
        ms(rebuilt),
        ms(rebuilt),
    ));
    rows
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// This process's resident memory, in MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
