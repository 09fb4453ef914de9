//! Where envelopes are kept: a trait the app and the relay implement over SQLite, and an
//! in-memory [`MemLog`] for tests and simulations.

use std::collections::BTreeMap;

use crate::envelope::Envelope;
use crate::ids::DeviceId;
use crate::vector::{SeqRange, VersionVector};

/// A durable store of envelopes keyed by (author device, sequence number), holding for
/// each device a contiguous run 1..=n. The session only appends the next envelope of a
/// device, never one after a gap.
pub trait EnvelopeLog {
    /// What can go wrong in the backing store.
    type Error: std::error::Error + Send + Sync + 'static;

    /// What is held: device → highest sequence number. Cheap; called on every frame.
    fn vector(&self) -> &VersionVector;

    /// Stores `envelope`, whose sequence number is exactly `vector().get(device) + 1`.
    /// Must be durable when it returns: the peer is told it is held right after.
    fn append(&mut self, envelope: &Envelope) -> Result<(), Self::Error>;

    /// Reads envelopes in `range`, in order, stopping once their encoded size passes
    /// `max_bytes` (at least one is returned when the range is held).
    fn read(&self, range: &SeqRange, max_bytes: usize) -> Result<Vec<Envelope>, Self::Error>;
}

/// An in-memory envelope log.
#[derive(Debug, Clone, Default)]
pub struct MemLog {
    envelopes: BTreeMap<DeviceId, Vec<Envelope>>,
    vector: VersionVector,
}

/// [`MemLog`] was asked to store an envelope that does not follow the last one held.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "envelope {seq} from device {device} does not follow {held} (the log holds contiguous runs only)"
)]
pub struct NotContiguous {
    /// The author.
    pub device: DeviceId,
    /// The offered sequence number.
    pub seq: u64,
    /// The highest held.
    pub held: u64,
}

impl MemLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every envelope held, by device then sequence number.
    pub fn iter(&self) -> impl Iterator<Item = &Envelope> {
        self.envelopes.values().flatten()
    }
}

impl EnvelopeLog for MemLog {
    type Error = NotContiguous;

    fn vector(&self) -> &VersionVector {
        &self.vector
    }

    fn append(&mut self, envelope: &Envelope) -> Result<(), NotContiguous> {
        let (device, seq) = envelope.key();
        let held = self.vector.get(&device);
        if seq != held + 1 {
            return Err(NotContiguous { device, seq, held });
        }
        self.envelopes
            .entry(device)
            .or_default()
            .push(envelope.clone());
        self.vector.set(device, seq);
        Ok(())
    }

    fn read(&self, range: &SeqRange, max_bytes: usize) -> Result<Vec<Envelope>, NotContiguous> {
        let Some(all) = self.envelopes.get(&range.device) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut bytes = 0;
        for env in all
            .iter()
            .skip(usize::try_from(range.first.saturating_sub(1)).unwrap_or(usize::MAX))
        {
            if env.header().seq > range.last
                || (!out.is_empty() && bytes + env.encoded_len_bound() > max_bytes)
            {
                break;
            }
            bytes += env.encoded_len_bound();
            out.push(env.clone());
        }
        Ok(out)
    }
}
