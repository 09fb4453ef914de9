//! B1: replay the automerge-paper editing trace through the store (durable, group commit)
//! against a plain automerge replay in the same run.

#[path = "support/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, TextEncoding};
use meridian_core::{DocId, Kind};
use meridian_store::{CatalogUpdate, DocWrite, Store};

use common::{Trace, load_trace, ms, pct, us, write_json};

fn new_doc(trace: &Trace) -> (AutoCommit, automerge::ObjId) {
    let mut doc = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
    let text = doc.put_object(ROOT, "body", ObjType::Text).expect("text");
    doc.splice_text(&text, 0, 0, &trace.start_content)
        .expect("start");
    doc.commit();
    (doc, text)
}

fn apply(doc: &mut AutoCommit, text: &automerge::ObjId, txn: &common::Txn) {
    for (pos, del, ins) in &txn.patches {
        doc.splice_text(text, *pos, *del as isize, ins)
            .expect("splice");
    }
    doc.commit();
}

fn main() {
    let Some(trace) = load_trace() else { return };
    let patches: usize = trace.txns.iter().map(|t| t.patches.len()).sum();
    println!("B1: {} txns, {patches} patches", trace.txns.len());

    // Peer: plain automerge.
    let t0 = Instant::now();
    let (mut plain, text) = new_doc(&trace);
    for txn in &trace.txns {
        apply(&mut plain, &text, txn);
    }
    let plain_total = t0.elapsed();
    assert_eq!(
        plain.text(&text).expect("text"),
        trace.end_content,
        "plain replay"
    );

    // Ours: same edits, a durable store write per txn.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("b1.db")).expect("open");
    let id = DocId::from_bytes([1; 16]);
    let write = |doc: &mut AutoCommit, n: i64| DocWrite {
        id: id.clone(),
        kind: Kind::Page,
        chunk: doc.save_incremental(),
        heads: doc.get_heads(),
        catalog: CatalogUpdate {
            title: "automerge paper".to_owned(),
            status: None,
            updated_at_ms: n,
            trashed: false,
        },
    };
    let t0 = Instant::now();
    let (mut doc, text) = new_doc(&trace);
    store
        .write_blocking(write(&mut doc, 0))
        .expect("first write");
    let mut keystroke = Vec::with_capacity(trace.txns.len());
    let mut ack_latency = Vec::with_capacity(trace.txns.len());
    // Coalesced persistence, as an editor does it: a keystroke is applied to the document
    // at once; while a durable write is in flight, further keystrokes wait in the document
    // and go out together (one `save_incremental`, one chunk) when it is acknowledged.
    // A keystroke is acknowledged when the commit that holds it is durable.
    let mut in_flight: Option<(Vec<Instant>, meridian_store::Ack)> = None;
    let mut waiting: Vec<Instant> = Vec::new();
    let settle = |batch: Vec<Instant>, ack: meridian_store::Ack, lat: &mut Vec<Duration>| {
        ack.wait_blocking().expect("ack");
        lat.extend(batch.iter().map(|k| k.elapsed()));
    };
    for (n, txn) in trace.txns.iter().enumerate() {
        let k0 = Instant::now();
        apply(&mut doc, &text, txn);
        waiting.push(k0);
        if in_flight.as_ref().is_none_or(|(_, a)| a.is_resolved()) {
            if let Some((batch, ack)) = in_flight.take() {
                settle(batch, ack, &mut ack_latency);
            }
            let ack = store.submit(write(&mut doc, n as i64 + 1));
            in_flight = Some((std::mem::take(&mut waiting), ack));
        }
        keystroke.push(k0.elapsed());
    }
    if let Some((batch, ack)) = in_flight.take() {
        settle(batch, ack, &mut ack_latency);
    }
    if !waiting.is_empty() {
        let ack = store.submit(write(&mut doc, trace.txns.len() as i64 + 1));
        settle(std::mem::take(&mut waiting), ack, &mut ack_latency);
    }
    let durable = t0.elapsed();
    let chunks = store.chunk_count_blocking(&id).expect("count");
    let c0 = Instant::now();
    let heads = doc.get_heads();
    store
        .compact_blocking(&id, doc.save(), heads)
        .expect("compact");
    let compact = c0.elapsed();
    let ours_total = t0.elapsed();
    let loaded = store
        .load_blocking(&id, TextEncoding::UnicodeCodePoint)
        .expect("load");
    let (_, t) = loaded.get(ROOT, "body").expect("get").expect("body");
    assert_eq!(
        loaded.text(&t).expect("text"),
        trace.end_content,
        "stored replay"
    );

    keystroke.sort_unstable();
    ack_latency.sort_unstable();
    let ratio = ours_total.as_secs_f64() / plain_total.as_secs_f64();
    let p = |v: &[Duration], q| us(pct(v, q));
    println!();
    println!("| measure | value | target |");
    println!("| --- | --- | --- |");
    println!(
        "| plain automerge replay | {:.0} ms | peer |",
        ms(plain_total)
    );
    println!(
        "| store replay, durable (incl. compaction) | {:.0} ms | |",
        ms(ours_total)
    );
    println!("|   of which: last ack at | {:.0} ms | |", ms(durable));
    println!("|   of which: final compaction | {:.0} ms | |", ms(compact));
    println!("| ratio | {ratio:.2}x | <= 1.5x |");
    println!(
        "| keystroke (apply, commit, and save + submit when no write is in flight) p50 / p99 / max | {:.1} / {:.1} / {:.0} us | p99 <= 1000 us |",
        p(&keystroke, 0.5),
        p(&keystroke, 0.99),
        p(&keystroke, 1.0)
    );
    println!(
        "| durable ack p50 / p99 | {:.0} / {:.0} us | |",
        p(&ack_latency, 0.5),
        p(&ack_latency, 0.99)
    );
    println!("| chunks before compaction (commits) | {chunks} | |");
    write_json(
        "b1_trace_replay",
        &serde_json::json!({
            "txns": trace.txns.len(),
            "patches": patches,
            "plain_ms": ms(plain_total),
            "store_ms": ms(ours_total),
            "last_ack_ms": ms(durable),
            "compaction_ms": ms(compact),
            "ratio": ratio,
            "keystroke_us": {"p50": p(&keystroke, 0.5), "p99": p(&keystroke, 0.99), "max": p(&keystroke, 1.0)},
            "ack_us": {"p50": p(&ack_latency, 0.5), "p99": p(&ack_latency, 0.99)},
            "chunks_before_compaction": chunks,
        }),
    );
}
