//! Sync with the workspace's devices on the local network, beside or instead of the relay
//! (ARCHITECTURE: Sync and security).
//!
//! While sync runs, this device listens for devices of the workspace (an encrypted channel
//! authenticated by device keys, [`meridian_net::channel`]), advertises itself with mDNS
//! ([`meridian_net::discovery`]: readable by members only) and connects to the devices it
//! finds or is given (`--peer HOST:PORT`). Every connection runs the same sans-IO session
//! as the relay, through [`Net::drive`], on the same `sync.db`: what one route
//! brings, the others pass on, and an envelope that arrives twice is stored and applied
//! once. Of two devices that find each other, the one with the smaller id connects (the
//! other does too if no session started within [`DIAL_FALLBACK`]), so one session links
//! them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::channel::{Channel, ChannelError, Refusal};
use crate::discovery::{Discovery, LanKey};
use meridian_sync::{DeviceId, DeviceKeys, ErrorCode, PeerKind};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::SyncError;
use crate::client::{Net, sync_err};
use crate::db::key;
use crate::docs::Documents;
use crate::session::{Conn, Ended, Route, SyncReport, Until};

use crate::client::rfc3339;

/// A device found on the network that should connect to this one but has not is dialled
/// after this long anyway.
const DIAL_FALLBACK: Duration = Duration::from_secs(10);
/// Shortest wait before dialling the same device again.
const REDIAL: Duration = Duration::from_secs(5);
/// Longest wait between attempts to reach a device given by address.
const REDIAL_MAX: Duration = Duration::from_secs(30);
/// How long `sync --once` looks for devices on the network before syncing with those found.
const DISCOVERY_WINDOW: Duration = Duration::from_secs(3);
/// The same with a relay set (its session runs meanwhile).
const DISCOVERY_WINDOW_WITH_RELAY: Duration = Duration::from_millis(1500);
/// Once one device is found, how much longer `sync --once` waits for others.
const DISCOVERY_SETTLE: Duration = Duration::from_millis(700);
/// Most connections from devices handled at once.
const MAX_INBOUND: usize = 32;
/// Most of them from one address (a device needs one; a few while it reconnects).
const MAX_INBOUND_PER_HOST: usize = 4;
/// The port the desktop app and `meridian sync` listen on when free (any free port
/// otherwise); `--listen` or `MERIDIAN_LAN_LISTEN` choose another.
pub const DEFAULT_LAN_PORT: u16 = 7461;

/// The routes a sync takes besides the relay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    /// Find the workspace's devices on the local network (mDNS) and let them find this one.
    pub discover: bool,
    /// Devices to connect to directly, as `HOST:PORT`.
    pub peers: Vec<String>,
    /// Where to accept devices' connections. `None`: [`DEFAULT_LAN_PORT`] on every
    /// interface if free, else any free port (only when any LAN route is on).
    pub listen: Option<SocketAddr>,
}

impl Routes {
    /// The relay only: nothing on the local network.
    pub fn relay_only() -> Routes {
        Routes::default()
    }

    /// The relay and the local network: discovery on, listening on the default port.
    pub fn with_lan() -> Routes {
        Routes {
            discover: true,
            ..Routes::default()
        }
    }

    /// The desktop app's routes: the local network unless `MERIDIAN_NO_LAN` is set (then
    /// only the listener, if `MERIDIAN_LAN_LISTEN` names an address), devices to dial in
    /// `MERIDIAN_LAN_PEERS` (comma-separated `HOST:PORT`).
    pub fn from_env() -> Routes {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let off = var("MERIDIAN_NO_LAN").is_some_and(|v| v != "0" && v != "false");
        let listen = var("MERIDIAN_LAN_LISTEN").and_then(|v| match v.trim().parse() {
            Ok(addr) => Some(addr),
            Err(e) => {
                tracing::warn!(value = %v, error = %e, "MERIDIAN_LAN_LISTEN is not ADDR:PORT");
                None
            }
        });
        let peers = var("MERIDIAN_LAN_PEERS")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Routes {
            discover: !off,
            peers,
            listen,
        }
    }

    fn uses_lan(&self) -> bool {
        self.discover || !self.peers.is_empty() || self.listen.is_some()
    }
}

/// One device met on the local network, for `meridian peers` and Devices & sync.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LanPeer {
    pub device: String,
    /// The member the device belongs to (a name once the member's document arrived).
    pub member: String,
    /// How it was met: `mdns` (found on the network), `address` (given with `--peer`) or
    /// `inbound` (it connected here).
    pub how: String,
    pub addr: String,
    pub last_seen: String,
    /// When both last held the same (acknowledged by both sides).
    pub last_synced: Option<String>,
    /// Why a session was refused, by either side: `not a member of this workspace`,
    /// `removed from this workspace`, …
    pub refused: Option<String>,
    /// It acknowledged holding every change this device made.
    pub has_all_mine: bool,
}

/// What one party of `sync --once` did.
#[derive(Debug, Clone, Serialize)]
pub struct PartyOutcome {
    /// The relay's address, or the device's member and short id.
    pub name: String,
    /// Both sides held the same when the session ended.
    pub synced: bool,
    /// Why not, in words.
    pub error: Option<String>,
}

/// What `sync --once` did over every route.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncOutcome {
    /// Envelopes this device sealed.
    pub sealed: u64,
    /// Envelopes received, over every route.
    pub received: u64,
    /// The relay, when one is set.
    pub relay: Option<PartyOutcome>,
    /// The devices on the local network it synced with or tried to.
    pub peers: Vec<PartyOutcome>,
}

/// What this device needs to meet its workspace's devices: its keys, the workspace's LAN
/// key, and who is a member.
struct Lan {
    keys: DeviceKeys,
    key: LanKey,
}

/// The membership log at one moment, as the channel's gate reads it.
struct Roster(BTreeMap<DeviceId, ([u8; 32], bool)>);

impl Roster {
    fn admit(&self, device: &DeviceId, dh: &[u8; 32]) -> Result<(), Refusal> {
        match self.0.get(device) {
            None => Err(Refusal::NotAMember),
            Some((_, true)) => Err(Refusal::Removed),
            Some((key, false)) if key != dh => Err(Refusal::WrongKey),
            Some(_) => Ok(()),
        }
    }
}

/// A session with a device ended: how, for the record.
enum PeerEnd {
    Done(DeviceId, SyncReport),
    /// Never opened: the channel failed or was refused (`device` when known).
    Failed(Option<DeviceId>, String),
    /// Opened, then failed.
    Broke(DeviceId, Ended),
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl<D: Documents> Net<D> {
    /// Syncs until `stop` turns true over the relay (when one is set) and the local-network
    /// routes in `routes`. Returns early only if this device was removed or the workspace
    /// is not shared.
    pub async fn run_sync_with(
        &self,
        stop: watch::Receiver<bool>,
        routes: &Routes,
    ) -> Result<(), SyncError> {
        let has_relay = self.relay_url().await?.is_some();
        let lan = if routes.uses_lan() {
            self.lan().await?
        } else {
            None
        };
        match (has_relay, lan) {
            (_, None) => self.run_sync(stop).await,
            (false, Some(lan)) => self.lan_loop(lan, routes, stop).await,
            (true, Some(lan)) => {
                let (relay, local) = tokio::join!(
                    self.run_sync(stop.clone()),
                    self.lan_loop(lan, routes, stop)
                );
                relay.and(local)
            }
        }
    }

    /// Syncs once over every route: the relay (when set), the devices given by address and
    /// those found on the network within a few seconds. Succeeds once at least one party
    /// holds what this device holds; the outcome says how each route went.
    pub async fn sync_once_with(
        &self,
        timeout: Duration,
        routes: &Routes,
    ) -> Result<SyncOutcome, SyncError> {
        let relay = self.relay_url().await?;
        let lan = if routes.uses_lan() {
            self.lan().await?
        } else {
            None
        };
        let Some(lan) = lan else {
            let report = self.sync_once(timeout).await?;
            return Ok(SyncOutcome {
                sealed: report.sealed,
                received: report.received,
                relay: relay.map(|name| PartyOutcome {
                    name,
                    synced: true,
                    error: None,
                }),
                peers: Vec::new(),
            });
        };
        let deadline = Instant::now() + timeout;
        let lan = Arc::new(lan);
        let (stop_tx, stop) = watch::channel(false);
        let listener = bind(routes.listen).await?;
        let port = listener.local_addr().map_err(io_err)?.port();
        let mut tasks = JoinSet::new();
        tasks.spawn(self.clone().serve(lan.clone(), listener, stop.clone()));
        let mut discovery = if routes.discover {
            start_discovery(&lan, port)
        } else {
            None
        };

        let mut targets: Vec<(Option<DeviceId>, SocketAddr, &'static str)> = Vec::new();
        for peer in &routes.peers {
            targets.push((None, resolve(peer).await?, "address"));
        }
        let synced_until = move || Until::Synced {
            deadline,
            admitted: false,
        };
        let relay_party = move || async move {
            let r = self.session(synced_until()).await;
            self.record_outcome(&r).await;
            r.map_err(|e| e.into_error().to_string())
        };
        // The relay's first round runs while devices are looked for.
        let window = if relay.is_some() {
            DISCOVERY_WINDOW_WITH_RELAY
        } else {
            DISCOVERY_WINDOW
        };
        let look = async {
            let mut found = Vec::new();
            let Some(d) = discovery.as_mut() else {
                return found;
            };
            let mut until = Instant::now() + window.min(timeout / 2);
            let mut seen: HashMap<DeviceId, usize> = HashMap::new();
            while let Ok(Some(f)) = tokio::time::timeout_at(until, d.next()).await {
                let Some(addr) = best_addr(&f.addrs) else {
                    continue;
                };
                self.record_seen(&f.device, "mdns", addr).await;
                // A later report may add the IPv4 address to a link-local IPv6 one.
                match seen.get(&f.device) {
                    Some(&i) => {
                        let (_, known, _): &mut (Option<DeviceId>, SocketAddr, &str) =
                            &mut found[i];
                        if !known.is_ipv4() {
                            *known = addr;
                        }
                    }
                    None => {
                        seen.insert(f.device, found.len());
                        found.push((Some(f.device), addr, "mdns"));
                        until = until.min(Instant::now() + DISCOVERY_SETTLE);
                    }
                }
            }
            found
        };
        let first_relay = async {
            match relay {
                Some(_) => Some(relay_party().await),
                None => None,
            }
        };
        let (first_relay, found) = tokio::join!(first_relay, look);
        targets.extend(found);

        let mut outcome = SyncOutcome::default();
        let mut relay_ok = false;
        let mut received = 0;
        if let Some(result) = first_relay {
            relay_ok = result.is_ok();
            if let Ok(report) = &result {
                received += report.received;
                outcome.sealed += report.sealed;
            }
            outcome.relay = Some(PartyOutcome {
                name: relay.clone().unwrap_or_default(),
                synced: relay_ok,
                error: result.err(),
            });
        }
        let mut peer_ok: Vec<bool> = vec![true; targets.len()];
        let mut results: Vec<Option<PartyOutcome>> = vec![None; targets.len()];
        // A round syncs with every party at once; what one brought is passed to the
        // others in the next round (at most three). The relay had its first round already.
        for round in 0..3 {
            let mut parties: Vec<Boxed<'_, (usize, Result<SyncReport, String>)>> = Vec::new();
            if relay_ok && round > 0 {
                parties.push(Box::pin(async move { (usize::MAX, relay_party().await) }));
            }
            for (i, (expect, addr, how)) in targets.iter().enumerate() {
                if !peer_ok[i] || (round > 0 && results[i].is_none()) {
                    continue;
                }
                let lan = lan.clone();
                parties.push(Box::pin(async move {
                    let end = self.dial(&lan, *addr, *expect, how, synced_until()).await;
                    (i, peer_result(end))
                }));
            }
            if parties.is_empty() {
                break;
            }
            for (i, result) in futures_util::future::join_all(parties).await {
                let (synced, error) = match &result {
                    Ok(report) => {
                        received += report.received;
                        outcome.sealed += report.sealed;
                        (true, None)
                    }
                    Err(e) => (false, Some(e.clone())),
                };
                if i == usize::MAX {
                    relay_ok = synced;
                    outcome.relay = Some(PartyOutcome {
                        name: relay.clone().unwrap_or_default(),
                        synced,
                        error,
                    });
                } else {
                    peer_ok[i] = synced;
                    results[i] = Some(PartyOutcome {
                        name: targets[i].1.to_string(),
                        synced,
                        error,
                    });
                }
            }
            outcome.received += received;
            let parties_synced = usize::from(relay_ok) + peer_ok.iter().filter(|o| **o).count();
            // Nothing new arrived: every party that synced holds the same.
            if std::mem::take(&mut received) == 0 || parties_synced < 2 {
                break;
            }
        }
        let _ = stop_tx.send(true);
        if let Some(d) = discovery {
            d.stop();
        }
        while tasks.join_next().await.is_some() {}
        outcome.peers = results.into_iter().flatten().collect();
        self.name_peers(&mut outcome.peers, &targets).await;

        let any = outcome.relay.as_ref().is_some_and(|r| r.synced)
            || outcome.peers.iter().any(|p| p.synced);
        if any {
            return Ok(outcome);
        }
        if let Some(relay) = &outcome.relay
            && let Some(error) = &relay.error
        {
            let lan = match outcome.peers.first() {
                Some(p) => format!(
                    "and {} did not sync: {}",
                    p.name,
                    p.error.as_deref().unwrap_or("not synced")
                ),
                None => "and no device of this workspace was found on the local network".into(),
            };
            return Err(SyncError::Transport(format!("{error}; {lan}")));
        }
        Err(SyncError::Transport(match outcome.peers.first() {
            Some(p) => format!(
                "no relay is set and no device synced on the local network ({}: {})",
                p.name,
                p.error.as_deref().unwrap_or("not synced")
            ),
            None => "no relay is set and no device of this workspace was found on the local network: start `meridian sync` on another device, or give one with --peer HOST:PORT".into(),
        }))
    }

    /// The devices met on the local network, most recently seen first.
    pub async fn lan_peers(&self) -> Result<Vec<LanPeer>, SyncError> {
        let rows = {
            let mut guard = self.parts().await?;
            let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
            let mut rows = Vec::new();
            for row in parts.db.lan_peers().map_err(sync_err)? {
                let all = parts.db.own_after(row.has_mine).map_err(sync_err)? == 0;
                rows.push((row, all));
            }
            rows
        };
        let names = self.device_members().await?;
        Ok(rows
            .into_iter()
            .map(|(r, all)| LanPeer {
                device: r.device.to_string(),
                member: names
                    .get(&r.device.to_string())
                    .cloned()
                    .unwrap_or_else(|| "unknown".into()),
                how: r.how,
                addr: r.addr,
                last_seen: rfc3339(r.seen_ms),
                last_synced: r.synced_ms.map(rfc3339),
                has_all_mine: r.refused.is_none() && all,
                refused: r.refused,
            })
            .collect())
    }

    /// Member names by device id (the member's id until its document arrived).
    pub(super) async fn device_members(&self) -> Result<BTreeMap<String, String>, SyncError> {
        Ok(self
            .devices()
            .await?
            .into_iter()
            .map(|d| (d.id, d.member))
            .collect())
    }

    /// The relay's address, if one is set.
    async fn relay_url(&self) -> Result<Option<String>, SyncError> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        parts.db.get_str(key::RELAY).map_err(sync_err)
    }

    /// What this device needs on the local network; `None` while the workspace is not
    /// shared, or once this device was removed.
    async fn lan(&self) -> Result<Option<Lan>, SyncError> {
        let ws = self.docs.workspace()?;
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let Some(log) = parts.membership.as_ref().filter(|l| !l.is_empty()) else {
            return Ok(None);
        };
        if log.state().is_removed(&parts.keys.id()) {
            return Ok(None);
        }
        let keys = log.state().epoch_keys_for(&parts.keys).map_err(sync_err)?;
        let Some(first) = keys.get(&1) else {
            return Ok(None);
        };
        Ok(Some(Lan {
            keys: parts.keys.clone(),
            key: LanKey::derive(first, &ws),
        }))
    }

    /// Who may connect, from the membership log as it is now.
    async fn roster(&self) -> Result<Roster, SyncError> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        parts.reload_membership(self.docs.now_ms())?;
        let mut members = BTreeMap::new();
        if let Some(log) = &parts.membership {
            for (id, d) in log.state().devices() {
                members.insert(*id, (d.public.dh, d.removed));
            }
        }
        Ok(Roster(members))
    }

    /// The local-network half of `run_sync_with`: listens, advertises, finds and dials
    /// devices, and runs a session with each until `stop`.
    async fn lan_loop(
        &self,
        lan: Lan,
        routes: &Routes,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), SyncError> {
        let lan = Arc::new(lan);
        let me = lan.keys.id();
        let listener = bind(routes.listen).await?;
        let port = listener.local_addr().map_err(io_err)?.port();
        tracing::info!(port, "listening for devices of this workspace");
        let mut tasks = JoinSet::new();
        tasks.spawn(self.clone().serve(lan.clone(), listener, stop.clone()));
        for peer in &routes.peers {
            tasks.spawn(
                self.clone()
                    .keep_dialling(lan.clone(), peer.clone(), stop.clone()),
            );
        }
        let mut discovery = if routes.discover {
            start_discovery(&lan, port)
        } else {
            None
        };
        // Devices found: where, when first seen, when last dialled.
        let mut found: HashMap<DeviceId, (SocketAddr, Instant, Option<Instant>)> = HashMap::new();
        let active: Arc<Mutex<HashSet<DeviceId>>> = Arc::default();
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        while !*stop.borrow() {
            tokio::select! {
                next = async {
                    match discovery.as_mut() {
                        Some(d) => d.next().await,
                        None => std::future::pending().await,
                    }
                } => {
                    match next {
                        Some(f) => {
                            if let Some(addr) = best_addr(&f.addrs) {
                                self.record_seen(&f.device, "mdns", addr).await;
                                let entry = found.entry(f.device).or_insert((addr, Instant::now(), None));
                                entry.0 = addr;
                            }
                        }
                        None => discovery = None,
                    }
                }
                _ = tick.tick() => {}
                _ = stop.changed() => break,
                Some(_) = tasks.join_next() => {}
            }
            let now = Instant::now();
            for (device, (addr, first, dialled)) in &mut found {
                let busy = active.lock().map(|a| a.contains(device)).unwrap_or(true);
                let mine_to_dial = me.0 < device.0 || now.duration_since(*first) >= DIAL_FALLBACK;
                let due = dialled.is_none_or(|t| now.duration_since(t) >= REDIAL);
                if busy || !mine_to_dial || !due {
                    continue;
                }
                *dialled = Some(now);
                if let Ok(mut a) = active.lock() {
                    a.insert(*device);
                }
                let (ws, lan, addr, device, stop, active) = (
                    self.clone(),
                    lan.clone(),
                    *addr,
                    *device,
                    stop.clone(),
                    active.clone(),
                );
                tasks.spawn(async move {
                    let end = ws
                        .dial(&lan, addr, Some(device), "mdns", Until::Stopped(stop))
                        .await;
                    log_end(&end);
                    if let Ok(mut a) = active.lock() {
                        a.remove(&device);
                    }
                });
            }
        }
        if let Some(d) = discovery {
            d.stop();
        }
        tasks.shutdown().await;
        Ok(())
    }

    /// Dials `addr` again and again (with backoff) until `stop`: a device given by address.
    async fn keep_dialling(self, lan: Arc<Lan>, peer: String, mut stop: watch::Receiver<bool>) {
        let mut backoff = Duration::from_secs(1);
        while !*stop.borrow() {
            match resolve(&peer).await {
                Ok(addr) => {
                    let end = self
                        .dial(&lan, addr, None, "address", Until::Stopped(stop.clone()))
                        .await;
                    log_end(&end);
                    if matches!(end, PeerEnd::Done(..)) {
                        backoff = Duration::from_secs(1);
                    }
                }
                Err(e) => tracing::warn!(%peer, error = %e, "cannot resolve a peer's address"),
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => {}
            }
            backoff = (backoff * 2).min(REDIAL_MAX);
        }
    }

    /// Accepts devices' connections until `stop`, each in a session of its own.
    async fn serve(self, lan: Arc<Lan>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_INBOUND));
        // Connections per address: one host cannot take every slot.
        let per_host: Arc<Mutex<HashMap<std::net::IpAddr, usize>>> = Arc::default();
        let mut sessions = JoinSet::new();
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stop.changed() => break,
                Some(_) = sessions.join_next() => continue,
            };
            let Ok((stream, addr)) = accepted else {
                continue;
            };
            // A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`: name them plainly.
            let addr = SocketAddr::new(addr.ip().to_canonical(), addr.port());
            // Past the limit a connection is closed at once.
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                tracing::warn!(%addr, "too many devices connecting: closing one");
                continue;
            };
            let host = addr.ip();
            let admitted = per_host.lock().is_ok_and(|mut m| {
                let n = m.entry(host).or_default();
                *n += 1;
                *n <= MAX_INBOUND_PER_HOST
            });
            let (ws, lan, stop, per_host) =
                (self.clone(), lan.clone(), stop.clone(), per_host.clone());
            sessions.spawn(async move {
                if admitted {
                    let end = ws.answer(&lan, stream, addr, Until::Stopped(stop)).await;
                    log_end(&end);
                } else {
                    tracing::warn!(%addr, "too many connections from one address: closing one");
                }
                if let Ok(mut m) = per_host.lock()
                    && let Some(n) = m.get_mut(&host)
                {
                    *n -= 1;
                    if *n == 0 {
                        m.remove(&host);
                    }
                }
                drop(slot);
            });
        }
        sessions.shutdown().await;
    }

    /// Opens a channel to the device at `addr` and runs a session on it until `until`.
    async fn dial(
        &self,
        lan: &Lan,
        addr: SocketAddr,
        expect: Option<DeviceId>,
        how: &str,
        until: Until,
    ) -> PeerEnd {
        let roster = match self.roster().await {
            Ok(r) => r,
            Err(e) => return PeerEnd::Failed(expect, e.to_string()),
        };
        let psk = lan.key.psk();
        let gate = |d: &DeviceId, dh: &[u8; 32]| roster.admit(d, dh);
        let channel = match Channel::connect(addr, &lan.keys, &psk, expect, &gate).await {
            Ok(c) => c,
            Err(e) => {
                let reason = channel_reason(&e);
                if let (Some(device), ChannelError::Refused(_)) = (expect, &e) {
                    self.record_refused(&device, &reason).await;
                }
                return PeerEnd::Failed(expect, reason);
            }
        };
        let device = channel.peer();
        self.record_seen(&device, how, addr).await;
        self.peer_session(Conn::Peer(channel), device, Some(PeerKind::Device), until)
            .await
    }

    /// Runs a session on a connection a device opened to this one.
    async fn answer(
        &self,
        lan: &Lan,
        stream: tokio::net::TcpStream,
        addr: SocketAddr,
        until: Until,
    ) -> PeerEnd {
        let roster = match self.roster().await {
            Ok(r) => r,
            Err(e) => return PeerEnd::Failed(None, e.to_string()),
        };
        let psk = lan.key.psk();
        let refused: Mutex<Option<(DeviceId, Refusal)>> = Mutex::new(None);
        let gate = |d: &DeviceId, dh: &[u8; 32]| {
            let verdict = roster.admit(d, dh);
            if let (Err(r), Ok(mut slot)) = (&verdict, refused.lock()) {
                *slot = Some((*d, *r));
            }
            verdict
        };
        let channel = match Channel::accept(stream, &lan.keys, &psk, &gate).await {
            Ok(c) => c,
            Err(e) => {
                let who = refused.lock().ok().and_then(|mut r| r.take());
                if let Some((device, refusal)) = who {
                    self.record_seen(&device, "inbound", addr).await;
                    self.record_refused(&device, &refusal.to_string()).await;
                    return PeerEnd::Failed(Some(device), refusal.to_string());
                }
                return PeerEnd::Failed(None, channel_reason(&e));
            }
        };
        let device = channel.peer();
        self.record_seen(&device, "inbound", addr).await;
        self.peer_session(Conn::Peer(channel), device, None, until)
            .await
    }

    /// The protocol on an open channel: seal and apply first, then the shared loop.
    async fn peer_session(
        &self,
        mut conn: Conn,
        device: DeviceId,
        expect: Option<PeerKind>,
        until: Until,
    ) -> PeerEnd {
        let prepared = async {
            let mut guard = self.parts().await?;
            let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
            let sealed = self.seal_with(parts, true).await? as u64;
            self.apply_unapplied(parts).await?;
            Ok::<_, SyncError>(sealed)
        }
        .await;
        let sealed = match prepared {
            Ok(s) => s,
            Err(e) => return PeerEnd::Broke(device, Ended::Local(e)),
        };
        let session = match self.start_session(&mut conn, expect, None).await {
            Ok(s) => s,
            Err(e) => return PeerEnd::Broke(device, e),
        };
        match self.drive(conn, session, until, Route::Peer(device)).await {
            Ok(mut report) => {
                report.sealed += sealed;
                PeerEnd::Done(device, report)
            }
            Err(e) => {
                if let Ended::Refused { code, message } = &e {
                    let reason = match code {
                        ErrorCode::Removed => "removed from this workspace".to_owned(),
                        ErrorCode::NotAMember => "not a member of this workspace".to_owned(),
                        _ => message.clone(),
                    };
                    self.record_refused(&device, &reason).await;
                }
                PeerEnd::Broke(device, e)
            }
        }
    }

    async fn record_seen(&self, device: &DeviceId, how: &str, addr: SocketAddr) {
        let now = self.docs.now_ms();
        if let Ok(mut guard) = self.parts().await
            && let Some(parts) = guard.as_mut()
            && let Err(e) = parts.db.peer_seen(device, how, &addr.to_string(), now)
        {
            tracing::warn!(error = %e, "cannot record a device on the local network");
        }
    }

    async fn record_refused(&self, device: &DeviceId, reason: &str) {
        if let Ok(mut guard) = self.parts().await
            && let Some(parts) = guard.as_mut()
            && let Err(e) = parts.db.peer_refused(device, Some(reason))
        {
            tracing::warn!(error = %e, "cannot record a refusal");
        }
    }

    /// Names the devices `sync --once` reached by member.
    async fn name_peers(
        &self,
        peers: &mut [PartyOutcome],
        targets: &[(Option<DeviceId>, SocketAddr, &'static str)],
    ) {
        let Ok(names) = self.device_members().await else {
            return;
        };
        let rows = match self.parts().await {
            Ok(guard) => guard
                .as_ref()
                .and_then(|p| p.db.lan_peers().ok())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        for (p, (expect, addr, _)) in peers.iter_mut().zip(targets) {
            let device = expect.or_else(|| {
                rows.iter()
                    .find(|r| r.addr == addr.to_string())
                    .map(|r| r.device)
            });
            if let Some(d) = device {
                let member = names
                    .get(&d.to_string())
                    .cloned()
                    .unwrap_or_else(|| "a device".into());
                p.name = format!("{member}'s device {} at {addr}", d.short());
            }
        }
    }
}

/// Listens on `listen`, or on [`DEFAULT_LAN_PORT`] (any free port if taken).
async fn bind(listen: Option<SocketAddr>) -> Result<TcpListener, SyncError> {
    if let Some(addr) = listen {
        return TcpListener::bind(addr).await.map_err(|e| {
            SyncError::Transport(format!("cannot listen for devices on {addr}: {e}"))
        });
    }
    // Both IPv6 and IPv4 where the system allows it (Linux does by default): discovery
    // may report a device's link-local IPv6 address first.
    for port in [DEFAULT_LAN_PORT, 0] {
        if let Ok(l) = TcpListener::bind(("::", port)).await {
            return Ok(l);
        }
        if let Ok(l) = TcpListener::bind(("0.0.0.0", port)).await {
            return Ok(l);
        }
    }
    TcpListener::bind(("0.0.0.0", 0)).await.map_err(io_err)
}

/// The address to dial among those a device advertises: IPv4 first (every listener has
/// it), then the rest.
fn best_addr(addrs: &[SocketAddr]) -> Option<SocketAddr> {
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
}

/// `HOST:PORT` to an address.
async fn resolve(peer: &str) -> Result<SocketAddr, SyncError> {
    let invalid = || {
        SyncError::Invalid(format!(
            "{peer:?} is not a device address: use HOST:PORT (the port `meridian sync` prints)"
        ))
    };
    if let Ok(addr) = peer.parse() {
        return Ok(addr);
    }
    let mut addrs = tokio::net::lookup_host(peer).await.map_err(|_| invalid())?;
    addrs.next().ok_or_else(invalid)
}

/// Advertises this device and browses for the others; `None` (logged) when the network
/// does not allow it: the devices given by address still sync.
fn start_discovery(lan: &Lan, port: u16) -> Option<Discovery> {
    match Discovery::start(lan.key.clone(), lan.keys.id(), port) {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(error = %e, "local-network discovery is off");
            None
        }
    }
}

#[allow(clippy::needless_pass_by_value)] // Used as `map_err(io_err)`.
fn io_err(e: std::io::Error) -> SyncError {
    SyncError::Transport(format!("cannot listen for devices: {e}"))
}

/// A channel failure in words for the record.
fn channel_reason(e: &ChannelError) -> String {
    match e {
        ChannelError::Refused(r) => r.to_string(),
        other => other.to_string(),
    }
}

fn peer_result(end: PeerEnd) -> Result<SyncReport, String> {
    match end {
        PeerEnd::Done(_, report) => Ok(report),
        PeerEnd::Failed(_, reason) => Err(reason),
        PeerEnd::Broke(_, e) => Err(e.into_error().to_string()),
    }
}

fn log_end(end: &PeerEnd) {
    match end {
        PeerEnd::Done(device, _) => {
            tracing::debug!(device = %device.short(), "session with a device ended")
        }
        PeerEnd::Failed(device, reason) => {
            tracing::info!(device = ?device.map(|d| d.short()), %reason, "no session with a device");
        }
        PeerEnd::Broke(device, e) => {
            tracing::info!(device = %device.short(), error = ?e, "session with a device ended");
        }
    }
}
