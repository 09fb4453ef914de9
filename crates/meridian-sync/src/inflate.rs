//! How large a body from another device becomes once Automerge inflates it, measured
//! before Automerge sees it.
//!
//! Automerge inflates deflated change chunks and deflated document columns with
//! `read_to_end`, without a limit: deflate reaches about 1,000:1, so one 4 MiB envelope
//! could ask for 4 GiB and a 256 MiB checkpoint for far more. [`check`] walks the chunks of
//! a body (changes, compressed changes, documents), inflates every deflated part through a
//! reader that stops past the limit, and refuses the body past [`MAX_INFLATED_BYTES`] in
//! total. Meridian never sends Automerge bundles, so a bundle chunk is refused too.

use std::io::Read;

/// The most a body (one envelope's changes, or one checkpoint's saved document) may
/// inflate to. A saved document is its columns plus a little: the handbook's largest
/// document inflates to a few MB, so this is two orders of magnitude of headroom.
pub const MAX_INFLATED_BYTES: u64 = 256 * 1024 * 1024;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;
/// Column specs with this bit set hold deflated data.
const DEFLATE_BIT: u64 = 0b1000;

/// Why a body was refused before Automerge saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// It inflates past [`MAX_INFLATED_BYTES`].
    #[error(
        "the body of {compressed} bytes inflates past {max} bytes (the limit): refused before loading"
    )]
    TooLarge {
        /// The body's size as received.
        compressed: usize,
        /// [`MAX_INFLATED_BYTES`].
        max: u64,
    },
    /// Not a sequence of Automerge chunks, or a chunk Meridian never sends.
    #[error("the body is not a sequence of Automerge chunks: {0}")]
    Malformed(&'static str),
}

/// The size `body` inflates to (each chunk's data, deflated parts inflated), or why it is
/// refused: past [`MAX_INFLATED_BYTES`], or malformed. The work is bounded by the limit.
pub fn check(body: &[u8]) -> Result<u64, InflateError> {
    check_within(body, MAX_INFLATED_BYTES)
}

/// [`check`] with another limit.
pub fn check_within(body: &[u8], max: u64) -> Result<u64, InflateError> {
    let too_large = InflateError::TooLarge {
        compressed: body.len(),
        max,
    };
    let mut total = 0u64;
    let mut rest = body;
    while !rest.is_empty() {
        let mut r = Reader(rest);
        if r.take(4)? != MAGIC {
            return Err(InflateError::Malformed("a chunk without the magic bytes"));
        }
        r.take(4)?; // checksum
        let kind = r.take(1)?[0];
        let len = usize::try_from(r.leb()?)
            .map_err(|_| InflateError::Malformed("a chunk length overflows"))?;
        let data = r.take(len)?;
        rest = r.0;
        let size = match kind {
            CHANGE => len as u64,
            COMPRESSED_CHANGE => inflated(data, max - total).ok_or(too_large.clone())?,
            DOCUMENT => document(data, max - total)?.ok_or(too_large.clone())?,
            _ => return Err(InflateError::Malformed("a chunk type Meridian never sends")),
        };
        total = total.saturating_add(size);
        if total > max {
            return Err(too_large);
        }
    }
    Ok(total)
}

/// The change chunks of a body, each whole (header included), in order; `None` when it
/// holds a document chunk (a saved document carries its own dependencies) or is not a
/// sequence of chunks. What receiving devices use to tell which of a body's changes a
/// document holds, so one change waiting for a missing dependency does not hold back the
/// others.
pub fn change_chunks(body: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let mut r = Reader(rest);
        if r.take(4).ok()? != MAGIC {
            return None;
        }
        r.take(4).ok()?;
        let kind = r.take(1).ok()?[0];
        let len = usize::try_from(r.leb().ok()?).ok()?;
        r.take(len).ok()?;
        let whole = rest.len() - r.0.len();
        if !matches!(kind, CHANGE | COMPRESSED_CHANGE) {
            return None;
        }
        out.push(&rest[..whole]);
        rest = r.0;
    }
    Some(out)
}

/// The inflated size of deflated `data`, or `None` past `max`.
fn inflated(data: &[u8], max: u64) -> Option<u64> {
    let mut decoder = flate2::bufread::DeflateDecoder::new(data).take(max.saturating_add(1));
    let n = std::io::copy(&mut decoder, &mut std::io::sink()).ok()?;
    (n <= max).then_some(n)
}

/// A document chunk's size with its deflated columns inflated; `Ok(None)` past `max`.
fn document(data: &[u8], max: u64) -> Result<Option<u64>, InflateError> {
    let mut r = Reader(data);
    let actors = r.leb()?;
    for _ in 0..actors {
        let n = usize::try_from(r.leb()?)
            .map_err(|_| InflateError::Malformed("an actor length overflows"))?;
        r.take(n)?;
    }
    let heads = usize::try_from(r.leb()?)
        .ok()
        .and_then(|n| n.checked_mul(32))
        .ok_or(InflateError::Malformed("too many heads"))?;
    r.take(heads)?;
    let mut columns = Vec::new();
    for _ in 0..2 {
        // The change columns' metadata, then the op columns'.
        let n = r.leb()?;
        for _ in 0..n {
            let spec = r.leb()?;
            let len = usize::try_from(r.leb()?)
                .map_err(|_| InflateError::Malformed("a column length overflows"))?;
            columns.push((spec, len));
        }
    }
    let mut total = data.len() as u64;
    for (spec, len) in columns {
        let column = r.take(len)?;
        if spec & DEFLATE_BIT != 0 {
            let Some(n) = inflated(column, max.saturating_sub(total)) else {
                return Ok(None);
            };
            total = total.saturating_add(n);
        }
        if total > max {
            return Ok(None);
        }
    }
    Ok(Some(total))
}

/// Reads a chunk from the front.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], InflateError> {
        if n > self.0.len() {
            return Err(InflateError::Malformed("a chunk runs past the end"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    /// Unsigned LEB128, at most 64 bits.
    fn leb(&mut self) -> Result<u64, InflateError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f)
                .checked_shl(shift)
                .filter(|v| v >> shift == u64::from(byte & 0x7f))
                .ok_or(InflateError::Malformed("a number overflows"))?;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(InflateError::Malformed("a number overflows"))
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    fn deflate_zeros(n: u64) -> Vec<u8> {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::copy(&mut std::io::repeat(0).take(n), &mut enc).expect("in memory");
        enc.finish().expect("in memory")
    }

    fn leb(mut n: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn chunk(kind: u8, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([0; 4]);
        out.push(kind);
        leb(data.len() as u64, &mut out);
        out.extend(data);
        out
    }

    #[test]
    fn change_chunks_split_a_body_into_its_changes_and_refuse_documents() {
        let mut doc = AutoCommit::new();
        let text = doc
            .put_object(ROOT, "text", automerge::ObjType::Text)
            .expect("text");
        doc.commit();
        let base = doc.get_heads();
        for i in 0..3 {
            doc.splice_text(&text, 0, 0, &format!("{i} "))
                .expect("splice");
            doc.commit();
        }
        let mut body = doc.save_after(&base);
        // A large change travels as a compressed change chunk.
        doc.put(ROOT, "big", "x".repeat(100_000)).expect("put");
        doc.commit();
        let mut big = doc.get_last_local_change().expect("a change");
        body.extend_from_slice(big.bytes().as_ref());
        let chunks = change_chunks(&body).expect("change chunks");
        let hashes: Vec<_> = chunks
            .iter()
            .map(|c| automerge::Change::try_from(*c).expect("a change").hash())
            .collect();
        let expected: Vec<_> = doc
            .get_changes(&base)
            .iter()
            .map(automerge::Change::hash)
            .collect();
        assert_eq!(hashes, expected);
        assert!(chunks.iter().any(|c| c[8] == COMPRESSED_CHANGE));
        assert_eq!(change_chunks(&doc.save()), None, "a saved document");
        assert_eq!(change_chunks(&body[..body.len() - 1]), None, "truncated");
        assert_eq!(change_chunks(b"not automerge"), None);
        assert_eq!(change_chunks(&[]), Some(vec![]));
    }

    #[test]
    fn real_bodies_pass_with_their_inflated_size() {
        let mut doc = AutoCommit::new();
        let text = doc
            .put_object(ROOT, "text", automerge::ObjType::Text)
            .expect("text");
        for i in 0..200 {
            doc.splice_text(&text, 0, 0, &format!("line {i} of a document\n"))
                .expect("splice");
            doc.commit();
        }
        let saved = doc.save_with_options(automerge::SaveOptions {
            deflate: true,
            retain_orphans: false,
        });
        let n = check(&saved).expect("a saved document");
        assert!(n >= saved.len() as u64, "{n} < {}", saved.len());
        let changes = doc.save_after(&[]);
        assert!(check(&changes).expect("changes") > 0);
        // A large change is sent as a compressed change chunk.
        let mut big = AutoCommit::new();
        big.put(ROOT, "k", "x".repeat(100_000)).expect("put");
        big.commit();
        let mut change = big.get_last_local_change().expect("a change");
        let body = change.bytes().to_vec();
        assert_eq!(
            body[8], COMPRESSED_CHANGE,
            "automerge compresses large changes"
        );
        assert!(check(&body).expect("a compressed change") > 100_000);
        assert_eq!(check(&[]), Ok(0));
    }

    #[test]
    fn a_deflate_bomb_is_refused_before_automerge_inflates_it() {
        // 257 MiB of zeros deflate to 2.6 MB even at the fastest level: a compressed change
        // chunk of them fits one envelope.
        let bomb = chunk(
            COMPRESSED_CHANGE,
            &deflate_zeros(MAX_INFLATED_BYTES + (1 << 20)),
        );
        assert!(
            bomb.len() < crate::envelope::MAX_PLAINTEXT_BYTES,
            "{}",
            bomb.len()
        );
        let err = check(&bomb).expect_err("refused");
        assert_eq!(
            err,
            InflateError::TooLarge {
                compressed: bomb.len(),
                max: MAX_INFLATED_BYTES
            }
        );
        assert!(
            err.to_string().contains("inflates past 268435456 bytes"),
            "{err}"
        );
        // The same in a document's deflated column, and spread over several chunks.
        let mut doc = vec![0, 0]; // no actors, no heads
        let column = deflate_zeros(2 << 20);
        doc.push(1); // one change column …
        leb(0x10 | DEFLATE_BIT, &mut doc); // … deflated
        leb(column.len() as u64, &mut doc);
        doc.push(0); // no op columns
        doc.extend(&column);
        let doc = chunk(DOCUMENT, &doc);
        assert!(matches!(
            check_within(&doc, 1 << 20),
            Err(InflateError::TooLarge { .. })
        ));
        assert!(check_within(&doc, 4 << 20).expect("under the limit") > 2 << 20);
        let part = chunk(COMPRESSED_CHANGE, &deflate_zeros(400 << 10));
        let three = [part.clone(), part.clone(), part].concat();
        assert!(matches!(
            check_within(&three, 1 << 20),
            Err(InflateError::TooLarge { .. })
        ));
    }

    #[test]
    fn what_is_not_automerge_chunks_is_malformed() {
        for body in [
            b"not automerge".to_vec(),
            chunk(3, b"a bundle"),
            chunk(CHANGE, b"x")[..8].to_vec(),
            [chunk(CHANGE, b"x"), vec![0x85]].concat(),
        ] {
            assert!(
                matches!(check(&body), Err(InflateError::Malformed(_))),
                "{body:?}"
            );
        }
        let mut endless = MAGIC.to_vec();
        endless.extend([0, 0, 0, 0, CHANGE]);
        endless.extend([0xff; 12]);
        assert_eq!(
            check(&endless),
            Err(InflateError::Malformed("a number overflows"))
        );
        assert_eq!(check(&chunk(CHANGE, b"abc")), Ok(3));
    }
}
