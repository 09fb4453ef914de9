//! B2: open the replayed paper document from the store, against `Automerge::load` on the
//! same bytes (compacted, and with ~1000 trailing chunks).

#[path = "support/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, TextEncoding};
use meridian_core::{DocId, Kind};
use meridian_store::{CatalogUpdate, DocWrite, Store};

use common::{load_trace, median, ms, write_json};

const RUNS: usize = 15;

fn main() {
    let Some(trace) = load_trace() else { return };
    let mut doc = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
    let text = doc.put_object(ROOT, "body", ObjType::Text).expect("text");
    doc.splice_text(&text, 0, 0, &trace.start_content)
        .expect("start");
    for txn in &trace.txns {
        for (pos, del, ins) in &txn.patches {
            doc.splice_text(&text, *pos, *del as isize, ins)
                .expect("splice");
        }
        doc.commit();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("b2.db")).expect("open");
    let id = DocId::from_bytes([2; 16]);
    let catalog = CatalogUpdate {
        title: "paper".to_owned(),
        status: None,
        updated_at_ms: 0,
        trashed: false,
    };
    let snapshot = doc.save();
    let heads = doc.get_heads();
    store
        .write_blocking(DocWrite {
            id: id.clone(),
            kind: Kind::Page,
            chunk: snapshot.clone(),
            heads: heads.clone(),
            catalog: catalog.clone(),
        })
        .expect("write");
    store
        .compact_blocking(&id, snapshot.clone(), heads)
        .expect("compact");

    let mut rows = Vec::new();
    let mut json = serde_json::Map::new();
    for case in ["compacted", "with 1000 trailing chunks"] {
        if case != "compacted" {
            // One durable write per chunk, so each stays its own row.
            for i in 0..1000 {
                doc.splice_text(&text, i, 0, "x").expect("splice");
                doc.commit();
                store
                    .write_blocking(DocWrite {
                        id: id.clone(),
                        kind: Kind::Page,
                        chunk: doc.save_incremental(),
                        heads: doc.get_heads(),
                        catalog: catalog.clone(),
                    })
                    .expect("write");
            }
        }
        let bytes = store.stored_bytes_blocking(&id).expect("bytes");
        let chunks = store.chunk_count_blocking(&id).expect("count");
        let expected = doc.text(&text).expect("text");
        let mut peer: Vec<Duration> = Vec::new();
        let mut ours: Vec<Duration> = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let d = automerge::Automerge::load(&bytes).expect("peer load");
            peer.push(t.elapsed());
            drop(d);
            let t = Instant::now();
            let d = store
                .load_blocking(&id, TextEncoding::UnicodeCodePoint)
                .expect("store load");
            ours.push(t.elapsed());
            let (_, t) = d.get(ROOT, "body").expect("get").expect("body");
            assert_eq!(d.text(&t).expect("text"), expected);
        }
        let (p, o) = (median(&mut peer), median(&mut ours));
        let ratio = o.as_secs_f64() / p.as_secs_f64();
        rows.push(format!(
            "| {case} ({chunks} chunks, {} KB) | {:.1} ms | {:.1} ms | {ratio:.2}x | <= 1.15x |",
            bytes.len() / 1024,
            ms(p),
            ms(o)
        ));
        json.insert(
            case.to_owned(),
            serde_json::json!({"chunks": chunks, "bytes": bytes.len(), "peer_ms": ms(p), "store_ms": ms(o), "ratio": ratio}),
        );
    }
    println!("B2: open the paper document, median of {RUNS} runs");
    println!();
    println!("| case | Automerge::load | Store::load_blocking | ratio | target |");
    println!("| --- | --- | --- | --- | --- |");
    for r in rows {
        println!("{r}");
    }
    write_json("b2_open", &serde_json::Value::Object(json));
}
