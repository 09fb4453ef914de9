//! Finding a workspace's devices on the local network with mDNS/DNS-SD (RFC 6762/6763),
//! revealing nothing to strangers.
//!
//! Each device advertises one `_meridian._tcp.local.` instance for the port of its channel
//! listener. The instance and host names are random per start; the TXT record holds
//!
//! - `v=1`;
//! - `t=` base64 of the first 8 bytes of HMAC-SHA256(tag key, "tag" ‖ UTC day as u64 BE):
//!   members recognise their workspace's adverts without trying to open every one, and the
//!   value changes every day;
//! - `e=` base64 of a random 24-byte nonce ‖ XChaCha20-Poly1305(seal key, nonce, device id),
//!   with the `t` value as associated data: only members learn which device it is.
//!
//! The keys come from the workspace's [`LanKey`]. To anyone else an advert is random-looking
//! bytes that change daily and at every start; they cannot tell which workspace or device it
//! belongs to, nor link two starts of one device. What they do see is that a Meridian
//! device listens on a port at an address.
//!
//! The mDNS daemon (mdns-sd) runs its own thread; [`Discovery::next`] awaits its events on
//! a channel, so nothing here blocks the async runtime.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use data_encoding::BASE64_NOPAD;
use mdns_sd::TxtProperties;
use mdns_sd::{Receiver, ResolvedService, ScopedIp, ServiceDaemon, ServiceEvent, ServiceInfo};
use meridian_sync::DeviceId;
use rand::{CryptoRng, Rng, RngCore};
use tracing::{debug, trace};

pub use crate::lan_key::LanKey;
use crate::lan_key::hmac_sha256;

/// The DNS-SD service type Meridian devices advertise.
pub const SERVICE_TYPE: &str = "_meridian._tcp.local.";

/// The advert format this code writes and reads (`v=`).
const VERSION: &str = "1";
/// Bytes of the HMAC kept in the tag.
const TAG_LEN: usize = 8;
const NONCE_LEN: usize = 24;
/// Nonce, sealed device id (32 bytes) and the Poly1305 tag (16 bytes).
const SEALED_LEN: usize = NONCE_LEN + 32 + 16;
/// A DNS TXT string holds at most 255 bytes; anything longer is not from a well-behaved peer.
const MAX_TXT_VALUE: usize = 255;
/// At most this many devices are tracked, so a flood of adverts cannot grow memory.
pub const MAX_DEVICES: usize = 64;
const SECONDS_PER_DAY: u64 = 86_400;

/// Why discovery could not run.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The mDNS daemon's thread could not start (the OS refused a poller or a thread).
    #[error("could not start the mDNS daemon (local-network discovery stays off): {0}")]
    Start(#[source] mdns_sd::Error),
    /// The daemon refused this device's advert.
    #[error(
        "the mDNS daemon refused this device's advert (local-network discovery stays off): {0}"
    )]
    Register(#[source] mdns_sd::Error),
    /// The daemon refused to browse for the workspace's devices.
    #[error(
        "the mDNS daemon could not browse for devices (local-network discovery stays off): {0}"
    )]
    Browse(#[source] mdns_sd::Error),
    /// The device id could not be sealed into the advert (cannot happen for 32 bytes).
    #[error("could not seal this device's id into its local-network advert")]
    Seal,
}

/// A device of this workspace seen on the local network, with the addresses of its listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The device, as sealed in its advert. Not authenticated: the channel's handshake is.
    pub device: DeviceId,
    /// Where its listener may be reached, IPv4 first.
    pub addrs: Vec<SocketAddr>,
}

/// The UTC day number (days since 1970-01-01) at `time`.
pub fn utc_day(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / SECONDS_PER_DAY)
        .unwrap_or(0)
}

fn tag(key: &LanKey, day: u64) -> [u8; TAG_LEN] {
    let tag_key = key.tag_key();
    let mac = hmac_sha256(&tag_key.0, &[b"tag", &day.to_be_bytes()]);
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&mac[..TAG_LEN]);
    out
}

/// The TXT properties advertising `me` on UTC day `day`: `v`, `t` and `e` (see the module
/// docs). A fresh nonce from `rng` makes every advert different.
pub fn advert_txt<R: CryptoRng + RngCore>(
    key: &LanKey,
    me: &DeviceId,
    day: u64,
    rng: &mut R,
) -> Result<Vec<(String, String)>, DiscoveryError> {
    let t = BASE64_NOPAD.encode(&tag(key, day));
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let seal_key = key.seal_key();
    let cipher = XChaCha20Poly1305::new((&seal_key.0).into());
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: me.as_bytes(),
                aad: t.as_bytes(),
            },
        )
        .map_err(|_| DiscoveryError::Seal)?;
    let mut e = Vec::with_capacity(SEALED_LEN);
    e.extend_from_slice(&nonce);
    e.extend_from_slice(&sealed);
    Ok(vec![
        ("v".to_owned(), VERSION.to_owned()),
        ("t".to_owned(), t),
        ("e".to_owned(), BASE64_NOPAD.encode(&e)),
    ])
}

/// The device an advert names, if it is a well-formed advert of this workspace whose tag is
/// for `today`, the day before or the day after (clocks differ and midnight passes).
/// Anything else — another workspace, another version, oversize or malformed values, an
/// altered `e` — gives `None`.
pub fn read_advert(key: &LanKey, txt: &TxtProperties, today: u64) -> Option<DeviceId> {
    if txt
        .iter()
        .any(|p| p.val().is_some_and(|v| v.len() > MAX_TXT_VALUE))
    {
        trace!("advert with an oversize TXT value ignored");
        return None;
    }
    if txt.get_property_val(VERSION_KEY)?? != VERSION.as_bytes() {
        trace!("advert of another version ignored");
        return None;
    }
    let t = txt.get_property_val("t")??;
    let given = decode_exact::<TAG_LEN>(t)?;
    let days = [today.checked_sub(1), Some(today), today.checked_add(1)];
    let known = days
        .into_iter()
        .flatten()
        .any(|day| equal_in_constant_time(&tag(key, day), &given));
    if !known {
        trace!("advert of another workspace (or a stale day) ignored");
        return None;
    }
    let e = decode_exact::<SEALED_LEN>(txt.get_property_val("e")??)?;
    let (nonce, sealed) = e.split_at(NONCE_LEN);
    let seal_key = key.seal_key();
    let cipher = XChaCha20Poly1305::new((&seal_key.0).into());
    let Ok(plain) = cipher.decrypt(
        XNonce::from_slice(nonce),
        Payload {
            msg: sealed,
            aad: t,
        },
    ) else {
        trace!("advert whose sealed device id does not open ignored");
        return None;
    };
    let id: [u8; 32] = plain.as_slice().try_into().ok()?;
    Some(DeviceId(id))
}

const VERSION_KEY: &str = "v";

/// Base64 (no padding) of exactly `N` bytes.
fn decode_exact<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != BASE64_NOPAD.encode_len(N) {
        return None;
    }
    let bytes = BASE64_NOPAD.decode(text).ok()?;
    bytes.as_slice().try_into().ok()
}

fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 16 random hex characters: instance and host names say nothing about the device.
fn random_label() -> String {
    let bytes: [u8; 8] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// This device's advert for `day`, under fresh random instance and host names.
fn service_info(
    key: &LanKey,
    me: &DeviceId,
    port: u16,
    day: u64,
) -> Result<ServiceInfo, DiscoveryError> {
    let txt = advert_txt(key, me, day, &mut rand::rng())?;
    let host = format!("{}.local.", random_label());
    let info = ServiceInfo::new(
        SERVICE_TYPE,
        &random_label(),
        &host,
        "",
        port,
        txt.as_slice(),
    )
    .map_err(DiscoveryError::Register)?;
    // The daemon fills in the addresses of every interface, and follows them as they change.
    Ok(info.enable_addr_auto())
}

/// How long without any news before the network is asked again.
const REQUERY: std::time::Duration = std::time::Duration::from_secs(5);

/// What was last reported for a device, to report again only what changed.
#[derive(Debug)]
struct Seen {
    instance: String,
    addrs: Vec<SocketAddr>,
}

/// Advertising this device and finding the workspace's others on the local network.
pub struct Discovery {
    daemon: ServiceDaemon,
    events: Receiver<ServiceEvent>,
    key: LanKey,
    me: DeviceId,
    seen: HashMap<DeviceId, Seen>,
    /// Dropping it (or sending) stops the thread that renews the advert every UTC midnight.
    renew_stop: mpsc::Sender<()>,
    renewer: Option<thread::JoinHandle<()>>,
    stopped: bool,
}

impl fmt::Debug for Discovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Discovery")
            .field("me", &self.me)
            .field("devices_seen", &self.seen.len())
            .finish_non_exhaustive()
    }
}

impl Discovery {
    /// Advertises `me` on `port` and browses for the workspace's other devices.
    pub fn start(key: LanKey, me: DeviceId, port: u16) -> Result<Discovery, DiscoveryError> {
        let daemon = ServiceDaemon::new().map_err(DiscoveryError::Start)?;
        let day = utc_day(SystemTime::now());
        let info = match service_info(&key, &me, port, day) {
            Ok(info) => info,
            Err(e) => {
                shut_down(&daemon, None);
                return Err(e);
            }
        };
        let fullname = info.get_fullname().to_owned();
        if let Err(e) = daemon.register(info) {
            shut_down(&daemon, None);
            return Err(DiscoveryError::Register(e));
        }
        let events = match daemon.browse(SERVICE_TYPE) {
            Ok(events) => events,
            Err(e) => {
                shut_down(&daemon, None);
                return Err(DiscoveryError::Browse(e));
            }
        };
        let (renew_stop, stopped) = mpsc::channel();
        let renewer = Renewer {
            daemon: daemon.clone(),
            key: key.clone(),
            me,
            port,
            fullname,
        };
        let renewer = thread::Builder::new()
            .name("meridian-lan-advert".to_owned())
            .spawn(move || renewer.run(&stopped))
            .ok();
        if renewer.is_none() {
            debug!(
                "no thread to renew the LAN advert at midnight; peers stop finding it in two days"
            );
        }
        Ok(Discovery {
            daemon,
            events,
            key,
            me,
            seen: HashMap::new(),
            renew_stop,
            renewer,
            stopped: false,
        })
    }

    /// The next device of this workspace found, or found again (a restart, new addresses).
    /// Never this device. Adverts of other workspaces and malformed or hostile ones are
    /// ignored. `None` once the daemon has stopped. Cancel-safe: an event is taken from the
    /// daemon's channel only when it is handled, with no await in between.
    pub async fn next(&mut self) -> Option<Found> {
        let mut browsed_again = false;
        loop {
            // Quiet for a while: ask the network again. A query or an announcement lost on
            // a busy network would otherwise hide a device until its advert is refreshed,
            // minutes later; a device already seen is not reported twice.
            let Ok(received) = tokio::time::timeout(REQUERY, self.events.recv_async()).await else {
                if let Ok(events) = self.daemon.browse(SERVICE_TYPE) {
                    self.events = events;
                }
                continue;
            };
            let Ok(event) = received else {
                // The daemon drops a subscriber that falls 1000 events behind; browse again
                // once, and give up if the daemon itself is gone.
                if browsed_again {
                    return None;
                }
                browsed_again = true;
                self.events = self.daemon.browse(SERVICE_TYPE).ok()?;
                continue;
            };
            browsed_again = false;
            if let Some(found) = self.handle(event, utc_day(SystemTime::now())) {
                return Some(found);
            }
        }
    }

    fn handle(&mut self, event: ServiceEvent, today: u64) -> Option<Found> {
        match event {
            ServiceEvent::ServiceResolved(service) => self.resolved(&service, today),
            ServiceEvent::ServiceRemoved(_, fullname) => {
                self.seen.retain(|_, seen| seen.instance != fullname);
                None
            }
            _ => None,
        }
    }

    fn resolved(&mut self, service: &ResolvedService, today: u64) -> Option<Found> {
        let device = read_advert(&self.key, &service.txt_properties, today)?;
        if device == self.me {
            return None;
        }
        let addrs = socket_addrs(service);
        if addrs.is_empty() {
            return None;
        }
        if let Some(seen) = self.seen.get(&device) {
            if seen.instance == service.fullname && seen.addrs == addrs {
                return None;
            }
        } else if self.seen.len() >= MAX_DEVICES {
            trace!("already tracking {MAX_DEVICES} devices; advert ignored");
            return None;
        }
        self.seen.insert(
            device,
            Seen {
                instance: service.fullname.clone(),
                addrs: addrs.clone(),
            },
        );
        debug!(device = %device.short(), ?addrs, "workspace device found on the LAN");
        Some(Found { device, addrs })
    }

    /// Unregisters this device's advert (the daemon sends goodbye packets, so peers drop it
    /// at once) and shuts the daemon down, waiting up to a second for it.
    pub fn stop(mut self) {
        self.stop_renewer();
        shut_down(&self.daemon, Some(Duration::from_secs(1)));
        self.stopped = true;
    }

    fn stop_renewer(&mut self) {
        let _ = self.renew_stop.send(());
        if let Some(renewer) = self.renewer.take() {
            let _ = renewer.join();
        }
    }
}

impl Drop for Discovery {
    /// Without [`Discovery::stop`] the daemon thread would outlive its owner; stop it here
    /// too, without waiting (drop may run on the async runtime).
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.renew_stop.send(());
            shut_down(&self.daemon, None);
        }
    }
}

/// Every `port` the advert names with each of its addresses, IPv4 first.
fn socket_addrs(service: &ResolvedService) -> Vec<SocketAddr> {
    let mut addrs: Vec<SocketAddr> = service
        .addresses
        .iter()
        .map(|ip| match ip {
            ScopedIp::V6(v6) => SocketAddr::V6(SocketAddrV6::new(
                *v6.addr(),
                service.port,
                0,
                v6.scope_id().index,
            )),
            other => SocketAddr::new(other.to_ip_addr(), service.port),
        })
        .collect();
    addrs.sort_by_key(|a| (matches!(a.ip(), IpAddr::V6(_)), *a));
    addrs.dedup();
    addrs
}

/// Unregisters everything (goodbye packets) and stops the daemon, waiting up to `wait`.
fn shut_down(daemon: &ServiceDaemon, wait: Option<Duration>) {
    match daemon.shutdown() {
        Ok(done) => {
            if let Some(wait) = wait {
                let _ = done.recv_timeout(wait);
            }
        }
        Err(e) => debug!("mDNS daemon already stopped: {e}"),
    }
}

/// Replaces the advert just after each UTC midnight so its tag stays within the day window
/// peers accept; the new advert also gets new random names, so days cannot be linked.
struct Renewer {
    daemon: ServiceDaemon,
    key: LanKey,
    me: DeviceId,
    port: u16,
    /// The advert currently registered.
    fullname: String,
}

impl Renewer {
    /// Runs until `stop` receives or its sender is dropped.
    fn run(mut self, stop: &mpsc::Receiver<()>) {
        loop {
            let now = SystemTime::now();
            let next_day = utc_day(now) + 1;
            let until = UNIX_EPOCH + Duration::from_secs(next_day * SECONDS_PER_DAY + 1);
            let wait = until.duration_since(now).unwrap_or(Duration::from_secs(1));
            match stop.recv_timeout(wait) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            let day = utc_day(SystemTime::now());
            let info = match service_info(&self.key, &self.me, self.port, day) {
                Ok(info) => info,
                Err(e) => {
                    debug!("LAN advert not renewed: {e}");
                    continue;
                }
            };
            let _ = self.daemon.unregister(&self.fullname);
            let name = info.get_fullname().to_owned();
            if let Err(e) = self.daemon.register(info) {
                debug!("LAN advert not renewed, the daemon has stopped: {e}");
                return;
            }
            self.fullname = name;
        }
    }
}

#[cfg(test)]
mod tests {
    use mdns_sd::{IntoTxtProperties, TxtProperty};
    use meridian_sync::WorkspaceId;
    use meridian_sync::keys::EpochKey;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const DAY: u64 = 20_000;

    fn key(n: u8) -> LanKey {
        LanKey::derive(&EpochKey::from_bytes([n; 32]), &WorkspaceId([n; 16]))
    }

    fn device() -> DeviceId {
        DeviceId([0x5a; 32])
    }

    fn props(pairs: &[(String, String)]) -> TxtProperties {
        pairs.into_txt_properties()
    }

    fn advert(key: &LanKey, day: u64, seed: u64) -> Vec<(String, String)> {
        advert_txt(key, &device(), day, &mut StdRng::seed_from_u64(seed)).expect("32 bytes seal")
    }

    fn with(pairs: &[(String, String)], k: &str, v: impl AsRef<str>) -> Vec<(String, String)> {
        let v = v.as_ref();
        pairs
            .iter()
            .map(|(key, val)| {
                (
                    key.clone(),
                    if key == k { v.to_owned() } else { val.clone() },
                )
            })
            .collect()
    }

    #[test]
    fn a_member_reads_the_device_id() {
        let txt = advert(&key(1), DAY, 1);
        assert_eq!(read_advert(&key(1), &props(&txt), DAY), Some(device()));
        // An advert fits in DNS TXT strings with room to spare.
        assert!(
            txt.iter()
                .all(|(k, v)| k.len() + 1 + v.len() <= MAX_TXT_VALUE)
        );
    }

    #[test]
    fn another_workspace_reads_nothing() {
        let txt = advert(&key(1), DAY, 1);
        assert_eq!(read_advert(&key(2), &props(&txt), DAY), None);
        // Not even with the right tag: the seal key differs too.
        let theirs = advert(&key(2), DAY, 1);
        let mixed = with(&txt, "t", theirs[1].1.clone());
        assert_eq!(read_advert(&key(2), &props(&mixed), DAY), None);
    }

    #[test]
    fn a_tag_is_accepted_from_the_day_before_to_the_day_after() {
        let txt = props(&advert(&key(1), DAY, 1));
        assert_eq!(read_advert(&key(1), &txt, DAY - 1), Some(device()));
        assert_eq!(read_advert(&key(1), &txt, DAY + 1), Some(device()));
        assert_eq!(read_advert(&key(1), &txt, DAY + 2), None);
        assert_eq!(read_advert(&key(1), &txt, DAY - 2), None);
        assert_ne!(tag(&key(1), DAY), tag(&key(1), DAY + 1));
    }

    #[test]
    fn adverts_differ_between_starts_and_reveal_no_ids_or_keys() {
        let k = key(1);
        let a = advert(&k, DAY, 1);
        let b = advert(&k, DAY, 2);
        assert_ne!(a, b);
        assert_eq!(a[1], b[1], "the tag is per day, the sealed part per start");

        let ws = WorkspaceId([1; 16]);
        let id = device();
        let secrets: Vec<Vec<u8>> = vec![
            id.0.to_vec(),
            ws.0.to_vec(),
            EpochKey::from_bytes([1; 32]).to_bytes().to_vec(),
            k.psk().to_vec(),
            k.tag_key().0.to_vec(),
            k.seal_key().0.to_vec(),
        ];
        let text: String = a
            .iter()
            .chain(&b)
            .map(|(k, v)| format!("{k}={v};"))
            .collect();
        let mut raw = Vec::new();
        for (_, v) in a.iter().chain(&b) {
            raw.extend(BASE64_NOPAD.decode(v.as_bytes()).unwrap_or_default());
        }
        for secret in &secrets {
            for window in [&secret[..8], &secret[8..16]] {
                assert!(
                    !raw.windows(8).any(|w| w == window),
                    "secret bytes in the advert"
                );
            }
            for encoding in [
                BASE64_NOPAD.encode(secret),
                data_encoding::HEXLOWER.encode(secret),
            ] {
                assert!(!text.contains(&encoding[..12]));
            }
        }
        assert!(!text.contains(&id.to_string()[..12]));
        assert!(!text.contains(&ws.to_string()[..12]));
    }

    #[test]
    fn an_altered_sealed_id_or_tag_is_refused() {
        let txt = advert(&key(1), DAY, 1);
        let mut e = BASE64_NOPAD
            .decode(txt[2].1.as_bytes())
            .expect("e is base64");
        for i in [0, NONCE_LEN, SEALED_LEN - 1] {
            e[i] ^= 1;
            let bad = with(&txt, "e", BASE64_NOPAD.encode(&e));
            assert_eq!(read_advert(&key(1), &props(&bad), DAY), None, "byte {i}");
            e[i] ^= 1;
        }
        // The tag is bound to the sealed id: yesterday's tag with today's `e` does not open.
        let other_day = with(&txt, "t", BASE64_NOPAD.encode(&tag(&key(1), DAY - 1)));
        assert_eq!(read_advert(&key(1), &props(&other_day), DAY), None);
    }

    #[test]
    fn malformed_and_oversize_adverts_are_refused() {
        let k = key(1);
        let txt = advert(&k, DAY, 1);
        let cases = [
            with(&txt, "v", "2"),
            with(&txt, "e", format!("{}A", txt[2].1)),
            with(&txt, "e", &txt[2].1[..40]),
            with(&txt, "e", "!".repeat(txt[2].1.len())),
            with(&txt, "t", String::new()),
            txt[1..].to_vec(),
            txt[..2].to_vec(),
            vec![],
        ];
        for (i, case) in cases.iter().enumerate() {
            assert_eq!(read_advert(&k, &props(case), DAY), None, "case {i}");
        }
        let mut oversize = txt.clone();
        oversize.push(("x".to_owned(), "a".repeat(MAX_TXT_VALUE + 1)));
        assert_eq!(read_advert(&k, &props(&oversize), DAY), None);
        // A key without a value is not a value.
        let no_value: TxtProperties = vec![
            TxtProperty::from("v"),
            TxtProperty::from(("t", txt[1].1.as_bytes())),
            TxtProperty::from(("e", txt[2].1.as_bytes())),
        ]
        .into_txt_properties();
        assert_eq!(read_advert(&k, &no_value, DAY), None);
    }

    #[test]
    fn days_are_utc_day_numbers() {
        assert_eq!(utc_day(UNIX_EPOCH), 0);
        assert_eq!(utc_day(UNIX_EPOCH + Duration::from_secs(86_399)), 0);
        assert_eq!(
            utc_day(UNIX_EPOCH + Duration::from_secs(86_400 * 20_000)),
            20_000
        );
    }
}
