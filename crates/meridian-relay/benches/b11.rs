//! B11 (BENCHMARKS.md; issue 20 calls it B9, a number B9 on the local network already had):
//! two relay processes on one PostgreSQL database against one relay on
//! SQLite, with the same clients on the same machine (issue 20, ADR 0009).
//!
//! B4's clients and latency definition: U real devices type `B11_CPS` keystrokes a second
//! into one shared document, one sealed envelope per keystroke; a keystroke's delivery
//! latency runs from its send time until a receiver has verified and merged it. Three
//! topologies in one run: `sqlite` (one relay, its embedded SQLite), `pg-1` (one relay on
//! PostgreSQL) and `pg-2` (two relays on one PostgreSQL database; clients alternate
//! between them, so about half of all deliveries cross relays). PostgreSQL is a real
//! server in a temporary folder with `fsync` and `synchronous_commit` on
//! (`meridian_testkit::postgres`), one fresh database per run.
//!
//! Reported per run: push→ack p50/p99 (from writing the `Push` to reading the `Ack` that
//! covers it: the durability latency), delivery p50/p99 split same-relay and cross-relay,
//! undelivered keystrokes (must be 0), the CPU of each relay process, of PostgreSQL (all
//! its processes), of the clients and of the machine. Target (issue 20): cross-relay p99
//! ≤ same-relay p99 + 20 ms.
//!
//! ```sh
//! cargo bench -p meridian-relay --bench b11
//! ```
//!
//! Settings (environment): `B11_USERS` (default `4,8,16`), `B11_DURATION` and `B11_WARMUP`
//! (seconds, default 15 and 3), `B11_CPS` (6), `B11_DRAIN_CAP` (seconds, 20), `B11_QUIET_CAP`
//! (seconds to wait for an idle machine before each run, 30). Prints tables and writes
//! `$CARGO_TARGET_DIR/bench-results/b11.json`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use meridian_sync::{
    Closed, Ctx, DeviceId, DeviceKeys, DocumentId, Envelope, EnvelopeLog, EpochKey, Frame, Header,
    MemLog, MembershipLog, Peer, PeerKind, Role, Session, Step, WorkspaceId,
};
use meridian_testkit::postgres::PgServer;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{WebSocketStream, client_async};

/// Cross-relay p99 may exceed same-relay p99 by this much (issue 20).
const CROSS_MARGIN_MS: f64 = 20.0;
const DOC: DocumentId = DocumentId([4; 16]);

#[derive(Debug, Clone)]
struct Settings {
    users: Vec<usize>,
    warmup: Duration,
    duration: Duration,
    cps: f64,
    drain_cap: Duration,
    quiet_cap: Duration,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a valid value")),
        Err(_) => default,
    }
}

impl Settings {
    fn from_env() -> Settings {
        let users = std::env::var("B11_USERS").unwrap_or_else(|_| "4,8,16".into());
        Settings {
            users: users
                .split(',')
                .map(|u| u.trim().parse().expect("B11_USERS is a list of numbers"))
                .collect(),
            warmup: Duration::from_secs_f64(env_or("B11_WARMUP", 3.0)),
            duration: Duration::from_secs_f64(env_or("B11_DURATION", 15.0)),
            cps: env_or("B11_CPS", 6.0),
            drain_cap: Duration::from_secs_f64(env_or("B11_DRAIN_CAP", 20.0)),
            quiet_cap: Duration::from_secs_f64(env_or("B11_QUIET_CAP", 30.0)),
        }
    }
}

/// CPU ticks of every process named `postgres` (the server and its backends).
fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(|e| cpu_ticks(e.file_name().to_str()?))
        .sum()
}

/// CPU use of the relays, PostgreSQL, this process and the machine, at one moment.
#[derive(Debug, Clone)]
struct Sample {
    at: std::time::Instant,
    relays: Vec<u64>,
    postgres: u64,
    me: u64,
    machine_busy: u64,
}

fn sample(relay_pids: &[String]) -> Sample {
    Sample {
        at: std::time::Instant::now(),
        relays: relay_pids
            .iter()
            .map(|p| cpu_ticks(p).unwrap_or(0))
            .collect(),
        postgres: postgres_ticks(),
        me: cpu_ticks("self").unwrap_or(0),
        machine_busy: machine_ticks().0,
    }
}

/// Percent of one core used between two samples.
fn pct_core(ticks: u64, from: &Sample, to: &Sample) -> f64 {
    ticks as f64 / CLK_TCK / (to.at - from.at).as_secs_f64() * 100.0
}

include!("common/typists.rs");

// ---------------------------------------------------------------- one run

/// Where the relays keep their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topology {
    Sqlite,
    Pg1,
    Pg2,
}

impl Topology {
    fn name(self) -> &'static str {
        match self {
            Topology::Sqlite => "sqlite (1 relay)",
            Topology::Pg1 => "pg-1 (1 relay)",
            Topology::Pg2 => "pg-2 (2 relays)",
        }
    }
}

/// Percentiles (ms); what never came counts as infinite.
#[derive(Debug, Clone, Copy)]
struct Pcts {
    n: usize,
    p50: f64,
    p99: f64,
}

fn pcts(mut v: Vec<f64>) -> Pcts {
    v.sort_by(f64::total_cmp);
    Pcts {
        n: v.len(),
        p50: pct(&v, 50.0),
        p99: pct(&v, 99.0),
    }
}

/// The figures of one run.
#[derive(Debug, Clone)]
struct RunResult {
    topology: Topology,
    users: usize,
    ack: Pcts,
    same: Pcts,
    cross: Pcts,
    undelivered: usize,
    unacked: usize,
    relay_cpu: Vec<f64>,
    postgres_cpu: f64,
    client_cpu: f64,
    machine_busy: f64,
    notes: Vec<String>,
}

async fn run(
    settings: &Settings,
    users: usize,
    topology: Topology,
    pg: Option<&PgServer>,
) -> RunResult {
    let relays: Vec<RelayProcess> = match (topology, pg) {
        (Topology::Sqlite, _) => vec![RelayProcess::start(&[])],
        (Topology::Pg1 | Topology::Pg2, Some(pg)) => {
            let db = pg.create_database(&format!(
                "b11_{}_{users}",
                if topology == Topology::Pg1 { 1 } else { 2 }
            ));
            let n = if topology == Topology::Pg1 { 1 } else { 2 };
            (0..n)
                .map(|_| RelayProcess::start(&["--postgres", &db]))
                .collect()
        }
        (_, None) => panic!("PostgreSQL topologies need a server"),
    };
    let pids: Vec<String> = relays.iter().map(RelayProcess::pid).collect();
    let urls: Vec<String> = relays.iter().map(|r| r.url.clone()).collect();
    let base = Instant::now();
    let (shared, membership, typists) = setup(&urls, users, base).await;

    let clients = open_clients(&shared, &membership, typists).await;

    let start = Instant::now() + Duration::from_secs(1);
    let window_start = start + settings.warmup;
    let end = window_start + settings.duration;
    let plan = Plan {
        start,
        end,
        cps: settings.cps,
    };
    let (stop, stopped) = watch::channel(false);
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(c.run(plan, stopped.clone())))
        .collect();
    sleep_until(window_start).await;
    let from = sample(&pids);
    sleep_until(end).await;
    let to = sample(&pids);

    // Drain: until every client has seen every other client's last keystroke.
    let drain_until = Instant::now() + settings.drain_cap;
    loop {
        let sent: Vec<usize> = shared
            .progress
            .iter()
            .map(|p| p.sent.load(Ordering::Relaxed))
            .collect();
        let total: usize = sent.iter().sum();
        let all_seen = shared
            .progress
            .iter()
            .zip(&sent)
            .all(|(p, own)| p.seen.load(Ordering::Relaxed) >= total - own);
        if (all_seen && Instant::now() > end + Duration::from_millis(500))
            || Instant::now() > drain_until
        {
            break;
        }
        sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    let mut records = Vec::with_capacity(users);
    for task in tasks {
        records.push(task.await.expect("a client task"));
    }
    drop(relays);

    let (ws, we) = (shared.ms(window_start), shared.ms(end));
    let (mut same, mut cross, mut acks) = (Vec::new(), Vec::new(), Vec::new());
    let (mut undelivered, mut unacked) = (0, 0);
    for sender in 0..users {
        for (seq, sent) in records[sender].sent.iter().enumerate() {
            if *sent < ws || *sent >= we {
                continue;
            }
            let written = records[sender]
                .written
                .get(seq)
                .copied()
                .unwrap_or(f64::NAN);
            match records[sender].acked.get(seq).copied() {
                Some(a) if a.is_finite() && written.is_finite() => acks.push(a - written),
                _ => {
                    unacked += 1;
                    acks.push(f64::INFINITY);
                }
            }
            for (receiver, record) in records.iter().enumerate() {
                if receiver == sender {
                    continue;
                }
                let latency = match record.visible[sender].get(seq) {
                    Some(seen) => seen - sent,
                    None => {
                        undelivered += 1;
                        f64::INFINITY
                    }
                };
                if shared.relay_of(receiver) == shared.relay_of(sender) {
                    same.push(latency);
                } else {
                    cross.push(latency);
                }
            }
        }
    }
    let mut notes: Vec<String> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.closed
                .as_ref()
                .map(|why| format!("client {i} closed: {why}"))
        })
        .collect();
    notes.dedup();
    let relay_cpu = to
        .relays
        .iter()
        .zip(&from.relays)
        .map(|(t, f)| pct_core(t.saturating_sub(*f), &from, &to))
        .collect();
    RunResult {
        topology,
        users,
        ack: pcts(acks),
        same: pcts(same),
        cross: pcts(cross),
        undelivered,
        unacked,
        relay_cpu,
        postgres_cpu: pct_core(to.postgres.saturating_sub(from.postgres), &from, &to),
        client_cpu: pct_core(to.me.saturating_sub(from.me), &from, &to),
        machine_busy: pct_core(
            to.machine_busy.saturating_sub(from.machine_busy),
            &from,
            &to,
        ),
        notes,
    }
}

fn ms(v: f64) -> String {
    if v.is_infinite() {
        "∞".into()
    } else if v.is_nan() {
        "–".into()
    } else if v >= 1000.0 {
        format!("{:.1} s", v / 1000.0)
    } else {
        format!("{v:.1}")
    }
}

fn finite(v: f64) -> serde_json::Value {
    if v.is_finite() { json!(v) } else { json!(null) }
}

fn pcts_json(p: &Pcts) -> serde_json::Value {
    json!({ "n": p.n, "p50": finite(p.p50), "p99": finite(p.p99) })
}

fn main() {
    let settings = Settings::from_env();
    println!(
        "B11: {} keystrokes/s per client, {:.0} s warm-up + {:.0} s measured, U = {:?}",
        settings.cps,
        settings.warmup.as_secs_f64(),
        settings.duration.as_secs_f64(),
        settings.users
    );
    let pg = PgServer::start();
    if pg.is_none() {
        println!("SKIP the PostgreSQL topologies: no PostgreSQL installed");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut results = Vec::new();
    for &users in &settings.users {
        for topology in [Topology::Sqlite, Topology::Pg1, Topology::Pg2] {
            if topology != Topology::Sqlite && pg.is_none() {
                continue;
            }
            let quiet = quiet_gate(settings.quiet_cap);
            let mut r = runtime.block_on(run(&settings, users, topology, pg.as_ref()));
            if !quiet {
                r.notes
                    .push("the machine was not idle before this run".into());
            }
            println!(
                "  {} U={users}: ack p99 {} ms, same-relay p99 {} ms, cross-relay p99 {} ms, undelivered {} {}",
                topology.name(),
                ms(r.ack.p99),
                ms(r.same.p99),
                ms(r.cross.p99),
                r.undelivered,
                r.notes.join("; ")
            );
            results.push(r);
        }
    }

    println!(
        "\n| topology | users/doc | push→ack p50 / p99 ms | delivery same-relay p50 / p99 ms (n) | cross-relay p50 / p99 ms (n) | undelivered | unacked | relay CPU % (each) | PostgreSQL CPU % | clients CPU % | machine busy % (of 200) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &results {
        let cross = if r.cross.n == 0 {
            "–".to_owned()
        } else {
            format!("{} / {} ({})", ms(r.cross.p50), ms(r.cross.p99), r.cross.n)
        };
        println!(
            "| {} | {} | {} / {} | {} / {} ({}) | {} | {} | {} | {} | {:.0} | {:.0} | {:.0} |",
            r.topology.name(),
            r.users,
            ms(r.ack.p50),
            ms(r.ack.p99),
            ms(r.same.p50),
            ms(r.same.p99),
            r.same.n,
            cross,
            r.undelivered,
            r.unacked,
            r.relay_cpu
                .iter()
                .map(|c| format!("{c:.0}"))
                .collect::<Vec<_>>()
                .join(" + "),
            r.postgres_cpu,
            r.client_cpu,
            r.machine_busy,
        );
    }
    for r in &results {
        for note in &r.notes {
            println!("note: {} U={}: {note}", r.topology.name(), r.users);
        }
    }
    for r in results.iter().filter(|r| r.topology == Topology::Pg2) {
        let margin = r.cross.p99 - r.same.p99;
        println!(
            "pg-2 U={}: cross-relay p99 − same-relay p99 = {} ms (target ≤ {CROSS_MARGIN_MS} ms): {}",
            r.users,
            ms(margin),
            if margin <= CROSS_MARGIN_MS {
                "met"
            } else {
                "missed"
            }
        );
    }
    let lost: usize = results.iter().map(|r| r.undelivered).sum();
    println!("undelivered keystrokes, all runs: {lost} (target: 0)");

    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
    let dir = PathBuf::from(target).join("bench-results");
    std::fs::create_dir_all(&dir).expect("results dir");
    let file = dir.join("b11.json");
    let value = json!({
        "bench": "b11",
        "cps": settings.cps,
        "warmup_s": settings.warmup.as_secs_f64(),
        "duration_s": settings.duration.as_secs_f64(),
        "runs": results.iter().map(|r| json!({
            "topology": r.topology.name(), "users": r.users,
            "push_ack_ms": pcts_json(&r.ack),
            "delivery_same_relay_ms": pcts_json(&r.same),
            "delivery_cross_relay_ms": pcts_json(&r.cross),
            "undelivered": r.undelivered, "unacked": r.unacked,
            "relay_cpu_pct": r.relay_cpu, "postgres_cpu_pct": r.postgres_cpu,
            "client_cpu_pct": r.client_cpu, "machine_busy_pct": r.machine_busy,
            "notes": r.notes,
        })).collect::<Vec<_>>(),
        "undelivered_total": lost,
    });
    std::fs::write(&file, serde_json::to_string_pretty(&value).expect("json")).expect("write");
    println!("results written to {}", file.display());
}
