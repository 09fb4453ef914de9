//! B6: per-operation cost of the store (durable append, small-document load) against raw
//! rusqlite on one connection with the same schema, pragmas and statements.

#[path = "support/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ROOT, TextEncoding};
use meridian_core::{DocId, Kind};
use meridian_store::{CatalogUpdate, DocWrite, Store};
use rusqlite::{Connection, OptionalExtension, params};

use common::{pct, us, write_json};

const OPS: usize = 1000;
const DOCS: u8 = 20;

fn heads_blob(heads: &[ChangeHash]) -> Vec<u8> {
    let mut h = heads.to_vec();
    h.sort_unstable();
    h.iter().flat_map(|h| h.0).collect()
}

/// The store's schema and pragmas, for the raw peer (kept in step with src/schema.rs).
fn raw_connection(path: &std::path::Path) -> Connection {
    let conn = Connection::open(path).expect("open raw");
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA mmap_size = 0;
         PRAGMA busy_timeout = 5000;
         CREATE TABLE docs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, snapshot BLOB NOT NULL,
            heads BLOB NOT NULL) STRICT;
         CREATE TABLE chunks (seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL
            REFERENCES docs(id) ON DELETE CASCADE, data BLOB NOT NULL, heads BLOB NOT NULL) STRICT;
         CREATE INDEX chunks_by_doc ON chunks(doc_id, seq);
         CREATE TABLE catalog (id TEXT PRIMARY KEY REFERENCES docs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL, title TEXT NOT NULL, status TEXT, updated_at_ms INTEGER NOT NULL,
            trashed INTEGER NOT NULL) STRICT;",
    )
    .expect("schema");
    conn
}

fn raw_append(conn: &mut Connection, w: &DocWrite) {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .expect("begin");
    let heads = heads_blob(&w.heads);
    tx.prepare_cached(
        "INSERT INTO docs (id, kind, snapshot, heads) VALUES (?1, ?2, x'', ?3)
         ON CONFLICT(id) DO UPDATE SET heads = excluded.heads",
    )
    .and_then(|mut s| s.execute(params![w.id.as_str(), w.kind.as_str(), heads]))
    .expect("docs");
    tx.prepare_cached("INSERT INTO chunks (doc_id, data, heads) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute(params![w.id.as_str(), w.chunk, heads]))
        .expect("chunk");
    let c = &w.catalog;
    tx.prepare_cached(
        "INSERT INTO catalog (id, kind, title, status, updated_at_ms, trashed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET title = excluded.title, status = excluded.status,
             updated_at_ms = excluded.updated_at_ms, trashed = excluded.trashed",
    )
    .and_then(|mut s| {
        s.execute(params![
            w.id.as_str(),
            w.kind.as_str(),
            c.title,
            c.status,
            c.updated_at_ms,
            c.trashed
        ])
    })
    .expect("catalog");
    tx.commit().expect("commit");
}

fn raw_load(conn: &mut Connection, id: &DocId) -> AutoCommit {
    let tx = conn.transaction().expect("begin");
    let (mut bytes, _heads): (Vec<u8>, Vec<u8>) = tx
        .prepare_cached("SELECT snapshot, heads FROM docs WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .expect("doc")
        .expect("exists");
    {
        let mut s = tx
            .prepare_cached("SELECT data FROM chunks WHERE doc_id = ?1 ORDER BY seq")
            .expect("prepare");
        let mut rows = s.query([id.as_str()]).expect("chunks");
        while let Some(r) = rows.next().expect("row") {
            bytes.extend_from_slice(r.get_ref(0).expect("data").as_blob().expect("blob"));
        }
    }
    tx.commit().expect("end");
    AutoCommit::load(&bytes).expect("load")
}

fn stats(v: &mut [Duration]) -> (f64, f64) {
    v.sort_unstable();
    (us(pct(v, 0.5)), us(pct(v, 0.99)))
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("store.db")).expect("open");
    let mut raw = raw_connection(&dir.path().join("raw.db"));
    let ids: Vec<DocId> = (0..DOCS).map(|n| DocId::from_bytes([n; 16])).collect();
    let mut docs: Vec<AutoCommit> = (0..DOCS).map(|_| AutoCommit::new()).collect();

    let (mut store_append, mut raw_append_t) = (Vec::new(), Vec::new());
    for i in 0..OPS {
        let d = i % usize::from(DOCS);
        docs[d]
            .put(ROOT, format!("field{}", i % 7), i as i64)
            .expect("put");
        docs[d].commit();
        let write = DocWrite {
            id: ids[d].clone(),
            kind: Kind::Task,
            chunk: docs[d].save_incremental(),
            heads: docs[d].get_heads(),
            catalog: CatalogUpdate {
                title: format!("task {d}"),
                status: Some("open".to_owned()),
                updated_at_ms: i as i64,
                trashed: false,
            },
        };
        // Alternate who goes first so neither always meets a warm disk cache.
        if i % 2 == 0 {
            let t = Instant::now();
            store.write_blocking(write.clone()).expect("store append");
            store_append.push(t.elapsed());
            let t = Instant::now();
            raw_append(&mut raw, &write);
            raw_append_t.push(t.elapsed());
        } else {
            let t = Instant::now();
            raw_append(&mut raw, &write);
            raw_append_t.push(t.elapsed());
            let t = Instant::now();
            store.write_blocking(write).expect("store append");
            store_append.push(t.elapsed());
        }
    }

    let (mut store_load, mut raw_load_t) = (Vec::new(), Vec::new());
    for i in 0..OPS {
        let id = &ids[i % usize::from(DOCS)];
        let t = Instant::now();
        let a = store
            .load_blocking(id, TextEncoding::UnicodeCodePoint)
            .expect("store load");
        store_load.push(t.elapsed());
        let t = Instant::now();
        let b = raw_load(&mut raw, id);
        raw_load_t.push(t.elapsed());
        drop((a, b));
    }

    let rows = [
        (
            "append (durable commit, chunk + heads + catalog)",
            stats(&mut store_append),
            stats(&mut raw_append_t),
        ),
        (
            "load small doc (~50 chunks, heads checked)",
            stats(&mut store_load),
            stats(&mut raw_load_t),
        ),
    ];
    println!("B6: {OPS} operations each, {DOCS} documents");
    println!();
    println!("| operation | store p50 / p99 | raw rusqlite p50 / p99 | ratio (p50) | target |");
    println!("| --- | --- | --- | --- | --- |");
    let mut json = serde_json::Map::new();
    for (name, (sp50, sp99), (rp50, rp99)) in rows {
        let ratio = sp50 / rp50;
        println!(
            "| {name} | {sp50:.0} / {sp99:.0} us | {rp50:.0} / {rp99:.0} us | {ratio:.2}x | <= 1.2x |"
        );
        json.insert(
            name.to_owned(),
            serde_json::json!({"store_p50_us": sp50, "store_p99_us": sp99, "raw_p50_us": rp50, "raw_p99_us": rp99, "ratio_p50": ratio}),
        );
    }
    write_json("b6_store_ops", &serde_json::Value::Object(json));
}
