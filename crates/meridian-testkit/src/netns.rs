//! A local network of Linux network namespaces, for tests that need real multicast between
//! "hosts" on one machine (mDNS discovery). Needs root, `unshare`, `nsenter` and `ip`.
//!
//! Each namespace is held by an `unshare -n sleep 3600` process, not named with
//! `ip netns add`: a namespace and its interfaces vanish with the last process inside, so
//! nothing is left behind even if the test dies. [`Lan`] kills its holders when dropped.
//!
//! Two members are joined by one veth pair; three or more by a bridge in an extra namespace,
//! one veth per member. Member `i` has `lo` up and `lan0` at 10.77.0.(i+1)/24.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The interface each member namespace has on the shared segment.
pub const LAN_IF: &str = "lan0";

/// One namespace, held open by a `sleep` process.
#[derive(Debug)]
struct Holder(Child);

impl Holder {
    fn spawn() -> Result<Holder, String> {
        let child = Command::new("unshare")
            .args(["-n", "sleep", "3600"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run unshare: {e}"))?;
        let mut holder = Holder(child);
        // `unshare` enters the new namespace, then execs `sleep` under the same pid; until it
        // has, an interface moved "into" this pid would land in our own namespace.
        let ours = std::fs::read_link("/proc/self/ns/net").map_err(|e| e.to_string())?;
        let theirs = format!("/proc/{}/ns/net", holder.pid());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(status) = holder.0.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("unshare -n sleep exited at once: {status}"));
            }
            match std::fs::read_link(&theirs) {
                Ok(ns) if ns != ours => return Ok(holder),
                _ if Instant::now() > deadline => {
                    return Err("unshare did not enter a new network namespace".into());
                }
                _ => thread::sleep(Duration::from_millis(5)),
            }
        }
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a command to completion and turns failure into a message with its stderr.
pub fn run(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn in_ns(pid: u32, program: &str) -> Command {
    let mut cmd = Command::new("nsenter");
    cmd.args(["-t", &pid.to_string(), "-n", "--", program]);
    cmd
}

/// Network namespaces joined on one layer-2 segment, torn down on drop.
#[derive(Debug)]
pub struct Lan {
    members: Vec<Holder>,
    /// Holds the bridge when there are three or more members.
    _bridge: Option<Holder>,
}

impl Lan {
    /// `Ok` when this process can build a [`Lan`]; otherwise why not, for a test to print
    /// before it skips. Set `MERIDIAN_REQUIRE_NETNS=1` (CI) to make a skip a failure instead.
    pub fn available() -> Result<(), String> {
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|e| format!("not Linux? cannot read /proc/self/status: {e}"))?;
        let uid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?");
        if uid != "0" {
            return Err(format!(
                "network namespaces need root (effective uid {uid})"
            ));
        }
        for program in ["unshare", "nsenter", "ip"] {
            let found = std::env::var_os("PATH").is_some_and(|path| {
                std::env::split_paths(&path).any(|d| d.join(program).is_file())
            }) || Path::new("/usr/sbin").join(program).is_file()
                || Path::new("/sbin").join(program).is_file();
            if !found {
                return Err(format!(
                    "{program} is not installed (util-linux / iproute2)"
                ));
            }
        }
        run(Command::new("unshare").args(["-n", "true"]))
            .map_err(|e| format!("cannot create a network namespace: {e}"))?;
        Ok(())
    }

    /// Like [`Lan::available`], but panics instead of skipping when the environment asks
    /// for these tests to run (`MERIDIAN_REQUIRE_NETNS=1`). `false`: print and skip.
    pub fn available_or_skip(test: &str) -> bool {
        match Lan::available() {
            Ok(()) => true,
            Err(why) if std::env::var_os("MERIDIAN_REQUIRE_NETNS").is_some() => {
                panic!("{test}: network namespaces required but unavailable: {why}")
            }
            Err(why) => {
                eprintln!("{test}: skipped: {why}");
                false
            }
        }
    }

    /// `n` namespaces on one segment, `lo` and `lan0` up, addresses 10.77.0.1.. /24.
    pub fn new(n: usize) -> Result<Lan, String> {
        assert!((1..=200).contains(&n), "a Lan has 1 to 200 members");
        let members = (0..n)
            .map(|_| Holder::spawn())
            .collect::<Result<Vec<_>, _>>()?;
        let mut bridge = None;
        let pid = |i: usize| members[i].pid().to_string();
        if n == 2 {
            run(Command::new("ip").args([
                "link",
                "add",
                LAN_IF,
                "netns",
                &pid(0),
                "type",
                "veth",
                "peer",
                "name",
                LAN_IF,
                "netns",
                &pid(1),
            ]))?;
        } else if n >= 3 {
            let hub = Holder::spawn()?;
            let hub_pid = hub.pid();
            // Multicast snooping off: the bridge floods every group, as a plain switch would.
            run(in_ns(hub_pid, "ip").args([
                "link",
                "add",
                "br0",
                "type",
                "bridge",
                "mcast_snooping",
                "0",
            ]))?;
            run(in_ns(hub_pid, "ip").args(["link", "set", "br0", "up"]))?;
            for i in 0..n {
                let port = format!("p{i}");
                run(Command::new("ip").args([
                    "link",
                    "add",
                    LAN_IF,
                    "netns",
                    &pid(i),
                    "type",
                    "veth",
                    "peer",
                    "name",
                    &port,
                    "netns",
                    &hub_pid.to_string(),
                ]))?;
                run(in_ns(hub_pid, "ip").args(["link", "set", &port, "master", "br0", "up"]))?;
            }
            bridge = Some(hub);
        }
        let lan = Lan {
            members,
            _bridge: bridge,
        };
        for i in 0..n {
            let p = lan.members[i].pid();
            run(in_ns(p, "ip").args(["link", "set", "lo", "up"]))?;
            if n >= 2 {
                let cidr = format!("{}/24", lan.addr(i));
                run(in_ns(p, "ip").args(["addr", "add", &cidr, "dev", LAN_IF]))?;
                run(in_ns(p, "ip").args(["link", "set", LAN_IF, "up"]))?;
            }
        }
        // A veth has carrier only once both ends are up: wait after bringing all up.
        for i in (0..n).filter(|_| n >= 2) {
            lan.wait_up(i)?;
        }
        Ok(lan)
    }

    /// How many member namespaces there are.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there is no member (never, once built).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Member `i`'s address on the segment.
    pub fn addr(&self, i: usize) -> Ipv4Addr {
        assert!(i < self.members.len(), "no member {i}");
        Ipv4Addr::new(10, 77, 0, u8::try_from(i + 1).expect("at most 200 members"))
    }

    /// A command that runs `program` inside member `i`'s network namespace (the rest of the
    /// process — files, environment — is shared with the test).
    pub fn command(&self, i: usize, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args(["-t", &self.members[i].pid().to_string(), "-n", "--"])
            .arg(program);
        cmd
    }

    /// Brings member `i`'s `lan0` up or down (a device joining or leaving the network);
    /// up waits until the link reports carrier.
    pub fn set_link(&self, i: usize, up: bool) -> Result<(), String> {
        let pid = self.members[i].pid();
        let state = if up { "up" } else { "down" };
        run(in_ns(pid, "ip").args(["link", "set", LAN_IF, state]))?;
        if up { self.wait_up(i) } else { Ok(()) }
    }

    fn wait_up(&self, i: usize) -> Result<(), String> {
        let pid = self.members[i].pid();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let out = run(in_ns(pid, "ip").args(["-o", "link", "show", LAN_IF]))?;
            if String::from_utf8_lossy(&out.stdout).contains("state UP") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{LAN_IF} of member {i} did not come up"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The holder pids (to check that they are gone after drop).
    pub fn holder_pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self.members.iter().map(Holder::pid).collect();
        pids.extend(self._bridge.as_ref().map(Holder::pid));
        pids
    }
}

/// Whether process `pid` still runs.
pub fn alive(pid: u32) -> bool {
    // A killed and reaped holder has no /proc entry (pids are not reused this fast).
    Path::new(&format!("/proc/{pid}")).exists()
}
