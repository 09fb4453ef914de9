//! Heads as stored: the 32-byte change hashes concatenated, sorted.

use automerge::ChangeHash;

pub(crate) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    let mut sorted = heads.to_vec();
    sorted.sort_unstable();
    sorted.iter().flat_map(|h| h.0).collect()
}

/// `None` when the blob is not a whole number of hashes.
pub(crate) fn decode_heads(bytes: &[u8]) -> Option<Vec<ChangeHash>> {
    let chunks = bytes.chunks_exact(32);
    if !chunks.remainder().is_empty() {
        return None;
    }
    chunks.map(|c| ChangeHash::try_from(c).ok()).collect()
}

/// Heads compared as sets (automerge returns them sorted, callers may not).
pub(crate) fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    a.dedup();
    b.sort_unstable();
    b.dedup();
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip_and_reject_torn_blobs() {
        let heads = vec![ChangeHash([7; 32]), ChangeHash([1; 32])];
        let blob = encode_heads(&heads);
        let back = decode_heads(&blob).expect("whole hashes");
        assert!(same_heads(&back, &heads));
        assert_eq!(back[0], ChangeHash([1; 32]), "stored sorted");
        assert!(decode_heads(&blob[..40]).is_none());
        assert_eq!(decode_heads(&[]), Some(vec![]));
    }
}
