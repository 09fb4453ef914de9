//! Session tickets: after a full login (`Hello` → `Challenge` → `Login`), a relay gives
//! the device a ticket; the device's next connection opens with one `Resume` frame instead
//! of the three-frame handshake, which saves a round trip and about 160 bytes on every
//! reconnect (a laptop waking up, a flaky network).
//!
//! A ticket is an id and a 32-byte secret the relay made at random and sent inside the
//! TLS connection. A `Resume` carries the id, a counter and a MAC over both (and the
//! workspace and device) under the secret. The relay accepts a counter only above the last
//! one it accepted, so a recorded `Resume` cannot be replayed even where the transport is
//! not encrypted, and the secret never crosses the wire again. A ticket proves what the
//! login proved (this device, this workspace); membership is checked again on every
//! resume, so a removed device is refused as before. The relay keeps one ticket per device
//! and workspace, replaced at each full login and dropped after [`TICKET_LIFETIME_MS`].
//! A refused resume ([`crate::ErrorCode::TicketRefused`]) tells the device to forget the
//! ticket and log in fully.
//!
//! LAN peers do not use tickets: both sides prove their device keys on every connection.

use rand::{CryptoRng, RngCore};

use crate::ids::{DeviceId, WorkspaceId};
use crate::store::LogId;
use crate::wire::Frame;

/// How long a relay honours a ticket after issuing it.
pub const TICKET_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

/// A ticket as the device keeps it: what it needs to write `Resume` frames.
#[derive(Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Names the ticket at the relay.
    pub id: [u8; 16],
    /// The MAC key; never sent again after the relay issued it.
    pub secret: [u8; 32],
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Ticket {
    /// A new ticket from fresh random bytes (the relay's).
    pub fn new<R: CryptoRng + RngCore>(rng: &mut R) -> Ticket {
        let mut id = [0u8; 16];
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut id);
        rng.fill_bytes(&mut secret);
        Ticket { id, secret }
    }

    /// The MAC a `Resume` with `counter` carries.
    pub fn mac(&self, workspace: &WorkspaceId, device: &DeviceId, counter: u64) -> [u8; 16] {
        let mut h = blake3::Hasher::new_keyed(&self.secret);
        h.update(b"meridian/resume/v1");
        h.update(&self.id);
        h.update(&workspace.0);
        h.update(&device.0);
        h.update(&counter.to_le_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize().as_bytes()[..16]);
        out
    }

    /// The first frame of a resumed connection; `counter` must be above every counter this
    /// device used with the ticket before.
    pub fn resume(&self, workspace: &WorkspaceId, device: &DeviceId, counter: u64) -> Frame {
        Frame::Resume {
            ticket: self.id,
            counter,
            mac: self.mac(workspace, device, counter),
        }
    }

    /// The id then the secret (48 bytes), for a device's own storage.
    pub fn to_bytes(&self) -> [u8; 48] {
        let mut out = [0u8; 48];
        out[..16].copy_from_slice(&self.id);
        out[16..].copy_from_slice(&self.secret);
        out
    }

    /// Reads [`Ticket::to_bytes`]; `None` for anything else.
    pub fn from_bytes(bytes: &[u8]) -> Option<Ticket> {
        let (id, secret) = (bytes.get(..16)?, bytes.get(16..)?);
        Some(Ticket {
            id: id.try_into().ok()?,
            secret: secret.try_into().ok()?,
        })
    }
}

/// A ticket as the relay keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    /// The ticket.
    pub ticket: Ticket,
    /// The workspace the device logged into.
    pub workspace: WorkspaceId,
    /// The device that logged in.
    pub device: DeviceId,
    /// The device's log as its `Hello` named it; a device with another log logs in fully.
    pub log: LogId,
    /// The highest counter accepted so far (0 when none).
    pub counter: u64,
    /// When the ticket stops being honoured.
    pub expires_ms: i64,
}

/// Why a `Resume` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeRefused {
    /// No such ticket (never issued, replaced by a newer login, or dropped).
    #[error("this relay does not know the session ticket: log in again")]
    Unknown,
    /// The ticket is too old.
    #[error("the session ticket expired: log in again")]
    Expired,
    /// The MAC does not match.
    #[error("the session ticket's proof does not match: log in again")]
    BadMac,
    /// The counter was used before (a replay, or two connections racing).
    #[error("the session ticket's counter {got} is not above {last}: log in again")]
    Replayed {
        /// The counter offered.
        got: u64,
        /// The last counter accepted.
        last: u64,
    },
}

impl IssuedTicket {
    /// Issues a ticket to `device` that just logged in with a full handshake.
    pub fn issue<R: CryptoRng + RngCore>(
        rng: &mut R,
        workspace: WorkspaceId,
        device: DeviceId,
        log: LogId,
        now_ms: i64,
    ) -> IssuedTicket {
        IssuedTicket {
            ticket: Ticket::new(rng),
            workspace,
            device,
            log,
            counter: 0,
            expires_ms: now_ms.saturating_add(TICKET_LIFETIME_MS),
        }
    }

    /// The frame that gives the ticket to the device.
    pub fn frame(&self) -> Frame {
        Frame::Ticket {
            id: self.ticket.id,
            secret: self.ticket.secret,
        }
    }

    /// Checks a `Resume`; on success the caller stores `counter` as the last accepted
    /// before answering.
    pub fn check(&self, counter: u64, mac: &[u8; 16], now_ms: i64) -> Result<(), ResumeRefused> {
        if now_ms > self.expires_ms {
            return Err(ResumeRefused::Expired);
        }
        let expected = self.ticket.mac(&self.workspace, &self.device, counter);
        if !constant_time_eq(&expected, mac) {
            return Err(ResumeRefused::BadMac);
        }
        if counter <= self.counter {
            return Err(ResumeRefused::Replayed {
                got: counter,
                last: self.counter,
            });
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8; 16], b: &[u8; 16]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn issued() -> IssuedTicket {
        IssuedTicket::issue(
            &mut StdRng::seed_from_u64(7),
            WorkspaceId([1; 16]),
            DeviceId([2; 32]),
            [3; 16],
            1_000,
        )
    }

    fn resume(t: &IssuedTicket, counter: u64) -> [u8; 16] {
        match t.ticket.resume(&t.workspace, &t.device, counter) {
            Frame::Resume { mac, .. } => mac,
            other => panic!("not a Resume: {other:?}"),
        }
    }

    #[test]
    fn a_fresh_counter_is_accepted_and_a_used_one_is_not() {
        let mut t = issued();
        let mac = resume(&t, 1);
        assert_eq!(t.check(1, &mac, 2_000), Ok(()));
        t.counter = 1;
        assert_eq!(
            t.check(1, &mac, 2_000),
            Err(ResumeRefused::Replayed { got: 1, last: 1 })
        );
        assert_eq!(t.check(2, &resume(&t, 2), 2_000), Ok(()));
    }

    #[test]
    fn a_mac_for_another_counter_device_or_secret_is_refused() {
        let t = issued();
        let mac = resume(&t, 5);
        assert_eq!(t.check(6, &mac, 2_000), Err(ResumeRefused::BadMac));
        let mut other_device = t.clone();
        other_device.device = DeviceId([9; 32]);
        assert_eq!(
            other_device.check(5, &mac, 2_000),
            Err(ResumeRefused::BadMac)
        );
        let mut other_secret = t.clone();
        other_secret.ticket.secret[0] ^= 1;
        assert_eq!(
            other_secret.check(5, &mac, 2_000),
            Err(ResumeRefused::BadMac)
        );
    }

    #[test]
    fn an_expired_ticket_is_refused() {
        let t = issued();
        let mac = resume(&t, 1);
        assert_eq!(
            t.check(1, &mac, 1_000 + TICKET_LIFETIME_MS + 1),
            Err(ResumeRefused::Expired)
        );
    }

    #[test]
    fn a_ticket_round_trips_through_its_bytes() {
        let t = issued().ticket;
        assert_eq!(Ticket::from_bytes(&t.to_bytes()), Some(t));
        assert_eq!(Ticket::from_bytes(&[0; 47]), None);
        assert_eq!(Ticket::from_bytes(&[0; 49]), None);
    }

    #[test]
    fn a_resume_frame_is_small() {
        let t = issued();
        let bytes = t.ticket.resume(&t.workspace, &t.device, 300).encode();
        assert!(bytes.len() <= 40, "Resume is {} bytes", bytes.len());
    }
}
