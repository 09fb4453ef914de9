//! Devices of one workspace find each other on a local network with
//! `meridian_net::discovery`, across network namespaces (real multicast, one mDNS daemon
//! per "host"), and a device of another workspace finds nobody and is found by nobody.
//!
//! Each device is this test binary run again inside a namespace (see [`netns`]) as the
//! ignored test [`child`], configured through environment variables. A child prints
//! `found <device hex> <addr,..>` for each device it finds, and stops when its stdin closes
//! or after [`CHILD_LIMIT`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use meridian_net::discovery::{Discovery, LanKey};
use meridian_sync::keys::{DeviceKeys, EpochKey};
use meridian_sync::{DeviceId, WorkspaceId};
use rand::RngCore;

use meridian_testkit::netns::Lan;

const ROLE: &str = "MERIDIAN_TEST_LAN_ROLE";
const EPOCH1: &str = "MERIDIAN_TEST_LAN_EPOCH1";
const WORKSPACE: &str = "MERIDIAN_TEST_LAN_WORKSPACE";
const DEVICE: &str = "MERIDIAN_TEST_LAN_DEVICE";
const PORT: &str = "MERIDIAN_TEST_LAN_PORT";
/// A child gives up on its own after this long.
const CHILD_LIMIT: Duration = Duration::from_secs(20);
/// The parent waits this long for everyone to find everyone.
const PARENT_LIMIT: Duration = Duration::from_secs(25);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    assert_eq!(text.len(), 2 * N, "{text:?} is not {N} hex bytes");
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}

/// One device: the child role. Ignored so that it runs only when a parent starts it.
#[test]
#[ignore = "run by the lan_discovery tests inside a network namespace"]
fn child() {
    if std::env::var(ROLE).as_deref() != Ok("child") {
        return;
    }
    let env = |name| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
    let workspace = Workspace {
        epoch1: unhex(&env(EPOCH1)),
        id: unhex(&env(WORKSPACE)),
    };
    let me = DeviceId(unhex(&env(DEVICE)));
    let port: u16 = env(PORT).parse().expect("port");

    // The parent closes stdin to say "done".
    let done = Arc::new(AtomicBool::new(false));
    {
        let done = done.clone();
        thread::spawn(move || {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            done.store(true, Ordering::SeqCst);
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut discovery =
            Discovery::start(workspace.lan_key(), me, port).expect("discovery starts");
        let started = Instant::now();
        while !done.load(Ordering::SeqCst) && started.elapsed() < CHILD_LIMIT {
            // `next` is cancel-safe, so polling it with a timeout loses nothing.
            if let Ok(Some(found)) =
                tokio::time::timeout(Duration::from_millis(100), discovery.next()).await
            {
                let addrs: Vec<String> = found.addrs.iter().map(|a| a.to_string()).collect();
                let mut out = std::io::stdout().lock();
                writeln!(out, "found {} {}", hex(&found.device.0), addrs.join(","))
                    .expect("stdout");
                out.flush().expect("stdout");
            }
        }
        discovery.stop();
    });
}

/// A running child and what it has reported.
struct Device {
    process: Child,
    id: DeviceId,
    found: BTreeMap<DeviceId, String>,
}

/// Starts one child per (namespace, key, device) and collects what each finds until
/// `expected` holds for all (or [`PARENT_LIMIT`]); then stops them all.
fn run_devices(
    lan: &Lan,
    devices: &[(usize, Workspace, DeviceId)],
    expected: &[BTreeSet<DeviceId>],
    meanwhile: impl FnOnce(),
) -> Vec<Device> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let (lines, reports) = mpsc::channel::<(usize, String)>();
    let mut running = Vec::new();
    for (n, (ns, workspace, id)) in devices.iter().enumerate() {
        let mut process = lan
            .command(*ns, &exe)
            .args([
                "--exact",
                "lan_discovery::child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ROLE, "child")
            .env(EPOCH1, hex(&workspace.epoch1))
            .env(WORKSPACE, hex(&workspace.id))
            .env(DEVICE, hex(&id.0))
            .env(PORT, (7400 + n).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test binary starts in the namespace");
        let stdout = process.stdout.take().expect("piped");
        let lines = lines.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send((n, line)).is_err() {
                    break;
                }
            }
        });
        running.push(Device {
            process,
            id: *id,
            found: BTreeMap::new(),
        });
    }
    drop(lines);
    meanwhile();

    let record = |running: &mut Vec<Device>, (n, line): (usize, String)| {
        if let Some(rest) = line.strip_prefix("found ") {
            let (device, addrs) = rest.split_once(' ').unwrap_or((rest, ""));
            running[n]
                .found
                .insert(DeviceId(unhex(device)), addrs.to_owned());
        }
    };
    let deadline = Instant::now() + PARENT_LIMIT;
    let all_found = |running: &Vec<Device>| {
        running
            .iter()
            .zip(expected)
            .all(|(d, want)| want.iter().all(|w| d.found.contains_key(w)))
    };
    while !all_found(&running) {
        let left = deadline.saturating_duration_since(Instant::now());
        match reports.recv_timeout(left) {
            Ok(report) => record(&mut running, report),
            Err(_) => break,
        }
    }
    // Give late or unwanted finds (an outsider found) a moment to show up, then stop all.
    let settle = Instant::now() + Duration::from_millis(1500);
    while let Ok(report) = reports.recv_timeout(settle.saturating_duration_since(Instant::now())) {
        record(&mut running, report);
    }
    for device in &mut running {
        drop(device.process.stdin.take());
    }
    let stop_by = Instant::now() + Duration::from_secs(5);
    for device in &mut running {
        while device.process.try_wait().ok().flatten().is_none() && Instant::now() < stop_by {
            thread::sleep(Duration::from_millis(20));
        }
        if device.process.try_wait().ok().flatten().is_none() {
            let _ = device.process.kill();
        }
        let status = device.process.wait().expect("child reaped");
        assert!(status.success(), "a device process failed: {status}");
    }
    // Everything printed before exit.
    while let Ok(report) = reports.try_recv() {
        record(&mut running, report);
    }
    running
}

/// A workspace as the children need it: the epoch-1 key and the id its LAN key comes from.
#[derive(Clone, Copy)]
struct Workspace {
    epoch1: [u8; 32],
    id: [u8; 16],
}

impl Workspace {
    fn random() -> Workspace {
        let mut rng = rand::rng();
        let mut ws = Workspace {
            epoch1: [0; 32],
            id: [0; 16],
        };
        rng.fill_bytes(&mut ws.epoch1);
        rng.fill_bytes(&mut ws.id);
        ws
    }

    /// The LAN key, derived as every member device derives it.
    fn lan_key(&self) -> LanKey {
        LanKey::derive(&EpochKey::from_bytes(self.epoch1), &WorkspaceId(self.id))
    }
}

fn device_id() -> DeviceId {
    DeviceKeys::generate(&mut rand::rng()).id()
}

fn set(ids: &[DeviceId]) -> BTreeSet<DeviceId> {
    ids.iter().copied().collect()
}

/// Checks that device `n` found exactly `want[n]`, each at its listener's address.
fn assert_found(
    lan: &Lan,
    ns_of: &BTreeMap<DeviceId, usize>,
    got: &[Device],
    want: &[BTreeSet<DeviceId>],
) {
    for (n, (device, want)) in got.iter().zip(want).enumerate() {
        eprintln!("device {n} found {:?}", device.found);
        let found: BTreeSet<DeviceId> = device.found.keys().copied().collect();
        assert_eq!(
            &found, want,
            "device {n} ({:?}) found {:?}",
            device.id, device.found
        );
        assert!(!found.contains(&device.id), "device {n} found itself");
        for (other, addrs) in &device.found {
            let m = got
                .iter()
                .position(|d| d.id == *other)
                .expect("a known device");
            let at = format!("{}:{}", lan.addr(ns_of[other]), 7400 + m);
            assert!(
                addrs.split(',').any(|a| a == at),
                "device {n} found {other:?} at {addrs}, not {at}"
            );
        }
    }
}

#[test]
fn two_devices_find_each_other() {
    let _turn = crate::lan_sync::one_at_a_time();
    if !Lan::available_or_skip("lan_discovery::two_devices_find_each_other") {
        return;
    }
    let lan = Lan::new(2).expect("two namespaces");
    let ws = Workspace::random();
    let (a, b) = (device_id(), device_id());
    let want = [set(&[b]), set(&[a])];
    let got = run_devices(&lan, &[(0, ws, a), (1, ws, b)], &want, || {});
    assert_found(&lan, &BTreeMap::from([(a, 0), (b, 1)]), &got, &want);
}

#[test]
fn three_devices_find_each_other_and_not_an_outsider() {
    let _turn = crate::lan_sync::one_at_a_time();
    if !Lan::available_or_skip("lan_discovery::three_devices_find_each_other_and_not_an_outsider") {
        return;
    }
    let lan = Lan::new(4).expect("four namespaces on a bridge");
    let (ours, theirs) = (Workspace::random(), Workspace::random());
    let ids: Vec<DeviceId> = (0..4).map(|_| device_id()).collect();
    let devices: Vec<(usize, Workspace, DeviceId)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (i, if i < 3 { ours } else { theirs }, *id))
        .collect();
    let want = [
        set(&[ids[1], ids[2]]),
        set(&[ids[0], ids[2]]),
        set(&[ids[0], ids[1]]),
        set(&[]),
    ];
    let got = run_devices(&lan, &devices, &want, || {});
    let ns_of = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    assert_found(&lan, &ns_of, &got, &want);
}

/// A device whose network comes up after discovery started (a laptop joining the Wi-Fi) is
/// found once it is there: the daemon notices the new address and announces.
#[test]
fn a_device_joining_the_network_later_is_found() {
    let _turn = crate::lan_sync::one_at_a_time();
    if !Lan::available_or_skip("lan_discovery::a_device_joining_the_network_later_is_found") {
        return;
    }
    let lan = Lan::new(2).expect("two namespaces");
    lan.set_link(1, false).expect("link down");
    let ws = Workspace::random();
    let (a, b) = (device_id(), device_id());
    let want = [set(&[b]), set(&[a])];
    let got = run_devices(&lan, &[(0, ws, a), (1, ws, b)], &want, || {
        thread::sleep(Duration::from_secs(2));
        lan.set_link(1, true).expect("link up");
    });
    assert_found(&lan, &BTreeMap::from([(a, 0), (b, 1)]), &got, &want);
}
