//! Version vectors: per device, a sequence number (a checkpoint's coverage is one).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::DeviceId;

/// Device → highest contiguous sequence number held. Absent means 0 (nothing held).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionVector(BTreeMap<DeviceId, u64>);

impl VersionVector {
    /// An empty vector.
    pub fn new() -> Self {
        Self::default()
    }

    /// The highest contiguous sequence number held from `device` (0 if none).
    pub fn get(&self, device: &DeviceId) -> u64 {
        self.0.get(device).copied().unwrap_or(0)
    }

    /// Sets a device's entry (0 removes it, so equal holdings give equal vectors).
    pub fn set(&mut self, device: DeviceId, seq: u64) {
        if seq == 0 {
            self.0.remove(&device);
        } else {
            self.0.insert(device, seq);
        }
    }

    /// Whether the envelope `(device, seq)` is held.
    pub fn covers(&self, device: &DeviceId, seq: u64) -> bool {
        seq <= self.get(device)
    }

    /// Raises each entry to the other's where the other is higher.
    pub fn merge(&mut self, other: &VersionVector) {
        for (device, seq) in &other.0 {
            if *seq > self.get(device) {
                self.0.insert(*device, *seq);
            }
        }
    }

    /// Whether this vector holds everything `other` holds.
    pub fn dominates(&self, other: &VersionVector) -> bool {
        other.0.iter().all(|(d, s)| self.get(d) >= *s)
    }

    /// The entries, by device.
    pub fn iter(&self) -> impl Iterator<Item = (&DeviceId, &u64)> {
        self.0.iter()
    }

    /// How many devices have an entry.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The total number of envelopes held.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vv(entries: &[(u8, u64)]) -> VersionVector {
        let mut v = VersionVector::new();
        for (d, s) in entries {
            v.set(DeviceId([*d; 32]), *s);
        }
        v
    }

    #[test]
    fn merge_takes_the_maximum_and_zero_entries_vanish() {
        let mut a = vv(&[(1, 5), (2, 1)]);
        a.merge(&vv(&[(1, 3), (2, 4), (3, 2)]));
        assert_eq!(a, vv(&[(1, 5), (2, 4), (3, 2)]));
        assert!(a.dominates(&vv(&[(1, 5)])));
        assert!(!vv(&[(1, 5)]).dominates(&a));
        a.set(DeviceId([3; 32]), 0);
        assert_eq!(a, vv(&[(1, 5), (2, 4)]));
        assert_eq!(a.total(), 9);
    }
}
