//! Damaged stored documents: truncations, bit flips, empty blobs and lost rows must load
//! with the stored heads or fail loudly, never load partially.

use automerge::{ChangeHash, TextEncoding};
use meridian_store::{Error, Store};
use rusqlite::{Connection, params};

use crate::common::{Editing, body_of, doc_id, temp_store};

/// A document stored as a snapshot plus four chunks; returns the expected heads and text.
fn stored_doc(store: &Store) -> (Editing, Vec<ChangeHash>, String) {
    let mut ed = Editing::new(doc_id(1));
    ed.type_text("the snapshot part, with some text ✓ ");
    store.write_blocking(ed.write()).expect("write");
    let snapshot = ed.doc.save();
    store
        .compact_blocking(&ed.id.clone(), snapshot, ed.heads())
        .expect("compact");
    for i in 0..4 {
        ed.type_text(&format!("chunk {i}; "));
        store.write_blocking(ed.write()).expect("write");
    }
    let heads = ed.heads();
    let body = ed.body();
    (ed, heads, body)
}

/// Where a blob lives: `None` is the snapshot, `Some(seq)` a chunk.
fn blobs(conn: &Connection) -> Vec<(Option<i64>, Vec<u8>)> {
    let mut out: Vec<(Option<i64>, Vec<u8>)> = vec![(
        None,
        conn.query_row("SELECT snapshot FROM docs", [], |r| r.get(0))
            .expect("snapshot"),
    )];
    let mut stmt = conn
        .prepare("SELECT seq, data FROM chunks ORDER BY seq")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok((Some(r.get(0)?), r.get(1)?)))
        .expect("query");
    out.extend(rows.map(|r| r.expect("row")));
    out
}

fn put(conn: &Connection, at: Option<i64>, bytes: &[u8]) {
    match at {
        None => conn.execute("UPDATE docs SET snapshot = ?1", params![bytes]),
        Some(seq) => conn.execute(
            "UPDATE chunks SET data = ?1 WHERE seq = ?2",
            params![bytes, seq],
        ),
    }
    .expect("tamper");
}

#[test]
fn truncated_flipped_and_emptied_blobs_never_load_silently() {
    let (dir, store) = temp_store();
    let (ed, heads, body) = stored_doc(&store);
    let conn = Connection::open(dir.path().join("ws").join("meridian.db")).expect("tamper conn");
    conn.execute_batch("PRAGMA synchronous = OFF")
        .expect("pragma");
    let (mut loud, mut intact) = (0usize, 0usize);
    for (at, original) in blobs(&conn) {
        let mut cases: Vec<Vec<u8>> = Vec::new();
        cases.push(Vec::new());
        // Every truncation offset (the blobs here are small).
        for cut in 1..original.len() {
            cases.push(original[..cut].to_vec());
        }
        for i in 0..original.len() {
            let mut flipped = original.clone();
            flipped[i] ^= 1 << (i % 8);
            cases.push(flipped);
        }
        for case in cases {
            put(&conn, at, &case);
            match store.load_blocking(&ed.id, TextEncoding::UnicodeCodePoint) {
                Ok(mut doc) => {
                    assert_eq!(doc.get_heads(), heads, "a damaged blob loaded other heads");
                    assert_eq!(body_of(&doc), body, "a damaged blob loaded other text");
                    intact += 1;
                }
                Err(Error::CorruptDoc { .. } | Error::HeadsMismatch { .. }) => loud += 1,
                Err(other) => panic!("unexpected error kind: {other}"),
            }
        }
        put(&conn, at, &original);
    }
    eprintln!("damaged blobs: {loud} failed loudly, {intact} still loaded the stored heads");
    assert!(loud > 100);
    let mut doc = store
        .load_blocking(&ed.id, TextEncoding::UnicodeCodePoint)
        .expect("restored blobs load again");
    assert_eq!(doc.get_heads(), heads);
}

#[test]
fn a_lost_chunk_or_snapshot_row_fails_loudly() {
    let (dir, store) = temp_store();
    let (ed, _, _) = stored_doc(&store);
    let conn = Connection::open(dir.path().join("ws").join("meridian.db")).expect("tamper conn");
    let seqs: Vec<i64> = blobs(&conn).into_iter().filter_map(|(s, _)| s).collect();
    assert_eq!(seqs.len(), 4);

    // The last chunk: what remains loads cleanly, only the heads tell.
    conn.execute("DELETE FROM chunks WHERE seq = ?1", [seqs[3]])
        .expect("delete");
    let r = store.load_blocking(&ed.id, TextEncoding::UnicodeCodePoint);
    assert!(
        matches!(r, Err(Error::HeadsMismatch { .. })),
        "{:?}",
        r.err()
    );

    // A middle chunk: later changes miss their dependencies.
    conn.execute("DELETE FROM chunks WHERE seq = ?1", [seqs[1]])
        .expect("delete");
    let r = store.load_blocking(&ed.id, TextEncoding::UnicodeCodePoint);
    assert!(r.is_err(), "loaded without a middle chunk");

    // The snapshot: `Automerge::load(&[])` would happily return an empty document.
    conn.execute("UPDATE docs SET snapshot = x''", [])
        .expect("empty");
    conn.execute("DELETE FROM chunks", []).expect("delete all");
    let r = store.load_blocking(&ed.id, TextEncoding::UnicodeCodePoint);
    assert!(
        matches!(r, Err(Error::HeadsMismatch { .. })),
        "{:?}",
        r.err()
    );
}
