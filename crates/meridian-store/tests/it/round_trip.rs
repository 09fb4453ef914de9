//! Writes, loads, compaction, catalog and meta.

use automerge::{Automerge, TextEncoding};
use meridian_core::{DocId, Kind};
use meridian_store::{CatalogUpdate, DocWrite, Error, Store};

use crate::common::{Editing, body_of, doc_id, temp_store};

const ENC: TextEncoding = TextEncoding::UnicodeCodePoint;

#[test]
fn written_chunks_load_back_with_the_same_heads_and_text() {
    let (_dir, store) = temp_store();
    let mut ed = Editing::new(doc_id(1));
    for i in 0..20 {
        ed.type_text(&format!("line {i} ✓\n"));
        store.write_blocking(ed.write()).expect("write");
    }
    let mut loaded = store.load_blocking(&ed.id, ENC).expect("load");
    assert_eq!(loaded.get_heads(), ed.heads());
    assert_eq!(body_of(&loaded), ed.body());

    let exported = store.stored_bytes_blocking(&ed.id).expect("bytes");
    let plain = Automerge::load(&exported).expect("export loads with plain automerge");
    assert_eq!(plain.get_heads(), ed.heads());
}

#[test]
fn group_commit_keeps_submission_order_for_one_document() {
    let (_dir, store) = temp_store();
    let mut ed = Editing::new(doc_id(2));
    let mut acks = Vec::new();
    for i in 0..500 {
        ed.type_text(&format!("{i},"));
        acks.push(store.submit(ed.write()));
    }
    for ack in acks {
        ack.wait_blocking().expect("ack");
    }
    let loaded = store.load_blocking(&ed.id, ENC).expect("load");
    assert_eq!(body_of(&loaded), ed.body());
    let chunks = store.chunk_count_blocking(&ed.id).expect("count");
    assert!(
        (1..500).contains(&chunks),
        "500 queued writes should share commits, got {chunks} chunks"
    );
}

#[test]
fn compaction_replaces_the_chunks_and_the_document_still_loads() {
    let (_dir, store) = temp_store();
    let mut ed = Editing::new(doc_id(3));
    for i in 0..30 {
        ed.type_text(&format!("{i} "));
        store.write_blocking(ed.write()).expect("write");
    }
    assert_eq!(store.chunk_count_blocking(&ed.id).expect("count"), 30);
    let snapshot = ed.doc.save();
    store
        .compact_blocking(&ed.id.clone(), snapshot, ed.heads())
        .expect("compact");
    assert_eq!(store.chunk_count_blocking(&ed.id).expect("count"), 0);
    let mut loaded = store.load_blocking(&ed.id, ENC).expect("load");
    assert_eq!(loaded.get_heads(), ed.heads());

    ed.type_text("after");
    store
        .write_blocking(ed.write())
        .expect("write after compaction");
    assert_eq!(store.chunk_count_blocking(&ed.id).expect("count"), 1);
    let loaded = store.load_blocking(&ed.id, ENC).expect("load");
    assert_eq!(body_of(&loaded), ed.body());
}

#[test]
fn compaction_keeps_chunks_the_snapshot_does_not_cover() {
    let (_dir, store) = temp_store();
    let mut ed = Editing::new(doc_id(4));
    ed.type_text("one ");
    store.write_blocking(ed.write()).expect("write");
    let (snapshot, snapshot_heads) = (ed.doc.save(), ed.heads());
    // A write queued after the snapshot was taken, before the compaction ran.
    ed.type_text("two");
    let late = store.submit(ed.write());
    store
        .compact_blocking(&ed.id, snapshot, snapshot_heads)
        .expect("compact");
    late.wait_blocking().expect("late write");
    assert_eq!(store.chunk_count_blocking(&ed.id).expect("count"), 1);
    let mut loaded = store.load_blocking(&ed.id, ENC).expect("load");
    assert_eq!(loaded.get_heads(), ed.heads());
    assert_eq!(body_of(&loaded), "one two");
}

#[test]
fn compaction_refuses_a_snapshot_that_does_not_load_or_has_other_heads() {
    let (_dir, store) = temp_store();
    let mut ed = Editing::new(doc_id(5));
    ed.type_text("kept");
    store.write_blocking(ed.write()).expect("write");
    let heads = ed.heads();
    let refused = store.compact_blocking(&ed.id, b"not automerge".to_vec(), heads);
    assert!(
        matches!(refused, Err(Error::BadSnapshot { .. })),
        "{refused:?}"
    );

    let mut other = Editing::new(doc_id(5));
    let stale = other.doc.save();
    let (id, heads) = (ed.id.clone(), ed.heads());
    let refused = store.compact_blocking(&id, stale, heads);
    assert!(
        matches!(refused, Err(Error::BadSnapshot { .. })),
        "{refused:?}"
    );

    let loaded = store.load_blocking(&ed.id, ENC).expect("still loads");
    assert_eq!(body_of(&loaded), "kept");
}

#[test]
fn a_loaded_document_can_keep_being_written_even_with_duplicate_changes() {
    let (_dir, store) = temp_store();
    let mut ed = Editing::new(doc_id(6));
    ed.type_text("first ");
    store.write_blocking(ed.write()).expect("write");
    let mut doc = store.load_blocking(&ed.id, ENC).expect("load");
    // A freshly loaded AutoCommit has no save cursor: this chunk repeats the history.
    let text = automerge::ReadDoc::get(&doc, automerge::ROOT, "body")
        .expect("get")
        .expect("body")
        .1;
    automerge::transaction::Transactable::splice_text(&mut doc, &text, 6, 0, "second")
        .expect("splice");
    doc.commit();
    let write = DocWrite {
        id: ed.id.clone(),
        kind: Kind::Page,
        chunk: doc.save_incremental(),
        heads: doc.get_heads(),
        catalog: crate::common::catalog("p", 2),
    };
    store.write_blocking(write).expect("write");
    let mut again = store.load_blocking(&ed.id, ENC).expect("load again");
    assert_eq!(again.get_heads(), doc.get_heads());
    assert_eq!(body_of(&again), "first second");
}

#[test]
fn catalog_lists_newest_first_and_filters_kind_and_trash() {
    let (_dir, store) = temp_store();
    let rows = [
        (10, Kind::Page, "old page", false),
        (11, Kind::Decision, "a decision", false),
        (12, Kind::Page, "new page", false),
        (13, Kind::Page, "binned", true),
    ];
    for (i, (n, kind, title, trashed)) in rows.into_iter().enumerate() {
        store
            .write_blocking(DocWrite {
                id: doc_id(n),
                kind,
                chunk: Vec::new(),
                heads: Vec::new(),
                catalog: CatalogUpdate {
                    title: title.to_owned(),
                    status: (kind == Kind::Decision).then(|| "proposed".to_owned()),
                    updated_at_ms: 1_000 + i as i64,
                    trashed,
                },
            })
            .expect("write");
    }
    let titles = |entries: Vec<meridian_store::CatalogEntry>| {
        entries.into_iter().map(|e| e.title).collect::<Vec<_>>()
    };
    let all = store.list_blocking(None, false).expect("list");
    assert_eq!(titles(all), ["new page", "a decision", "old page"]);
    let pages = store.list_blocking(Some(Kind::Page), true).expect("list");
    assert_eq!(titles(pages), ["binned", "new page", "old page"]);
    let decision = store
        .entry_blocking(&doc_id(11))
        .expect("entry")
        .expect("exists");
    assert_eq!(decision.status.as_deref(), Some("proposed"));
    assert_eq!(decision.kind, Kind::Decision);
    assert!(store.entry_blocking(&doc_id(99)).expect("entry").is_none());
    // A document with no changes yet loads as an empty document.
    let mut empty = store.load_blocking(&doc_id(10), ENC).expect("empty loads");
    assert!(empty.get_heads().is_empty());
}

#[test]
fn meta_values_persist_across_reopen_and_backup_restores_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meridian.db");
    let mut ed = Editing::new(doc_id(7));
    {
        let store = Store::open(&path).expect("open");
        assert_eq!(store.get_meta_blocking("workspace_id").expect("get"), None);
        store.set_meta_blocking("workspace_id", "w1").expect("set");
        store
            .set_meta_blocking("workspace_id", "w2")
            .expect("overwrite");
        ed.type_text("backed up");
        store.write_blocking(ed.write()).expect("write");
        store
            .backup_blocking(&dir.path().join("backups").join("b.db"))
            .expect("backup");
        let clone = store.clone();
        drop(store);
        assert_eq!(clone.path(), path);
    }
    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store
            .get_meta_blocking("workspace_id")
            .expect("get")
            .as_deref(),
        Some("w2")
    );
    store.integrity_check_blocking().expect("integrity");

    let backup = Store::open(&dir.path().join("backups").join("b.db")).expect("open backup");
    let mut loaded = backup.load_blocking(&ed.id, ENC).expect("load from backup");
    assert_eq!(loaded.get_heads(), ed.heads());
    assert_eq!(
        backup
            .get_meta_blocking("workspace_id")
            .expect("get")
            .as_deref(),
        Some("w2")
    );
    let again = store.backup_blocking(&dir.path().join("backups").join("b.db"));
    assert!(matches!(again, Err(Error::Backup { .. })), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_writes_from_many_tasks_are_all_durable() {
    let (_dir, store) = temp_store();
    let mut tasks = Vec::new();
    for n in 0..8u8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ed = Editing::new(doc_id(100 + n));
            for i in 0..10 {
                ed.type_text(&format!("{i}"));
                store.write(ed.write()).await.expect("write");
            }
            (ed.id.clone(), ed.body())
        }));
    }
    for t in tasks {
        let (id, body) = t.await.expect("task");
        let loaded = store.load_blocking(&id, ENC).expect("load");
        assert_eq!(body_of(&loaded), body);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn async_read_and_compact_run_off_the_runtime_and_keep_the_document() {
    let (_dir, store) = temp_store();
    let mut ed = Editing::new(doc_id(120));
    for i in 0..5 {
        ed.type_text(&format!("{i}"));
        store.write(ed.write()).await.expect("write");
    }
    let id = ed.id.clone();
    let chunks = store
        .read({
            let id = id.clone();
            move |s| s.chunk_count_blocking(&id)
        })
        .await
        .expect("count");
    assert_eq!(chunks, 5);

    let snapshot = ed.doc.save();
    let heads = ed.heads();
    store.compact(&id, snapshot, heads).await.expect("compact");
    store.set_meta("k", "v").await.expect("set meta");

    // Several reads in one closure, on one blocking thread, with the caller's error type.
    let (body, chunks, meta) = store
        .read(move |s| -> Result<_, Error> {
            let doc = s.load_blocking(&id, ENC)?;
            Ok((
                body_of(&doc),
                s.chunk_count_blocking(&id)?,
                s.get_meta_blocking("k")?,
            ))
        })
        .await
        .expect("read");
    assert_eq!(body, ed.body());
    assert_eq!(chunks, 0);
    assert_eq!(meta.as_deref(), Some("v"));

    let missing = store
        .read(|s| s.load_blocking(&doc_id(121), ENC))
        .await
        .expect_err("no such document");
    assert!(matches!(missing, Error::DocNotFound(_)), "{missing:?}");
}

#[test]
fn the_generation_grows_with_each_batch_and_names_what_changed_since() {
    let (dir, store) = temp_store();
    let start = store.generation_blocking().expect("generation");
    assert_eq!(start.n, 0);
    assert_eq!(start.store.len(), 32, "a random id for this file");
    let mut a = Editing::new(doc_id(1));
    let mut b = Editing::new(doc_id(2));
    a.type_text("a");
    store.write_blocking(a.write()).expect("write a");
    let after_a = store.generation_blocking().expect("generation");
    assert!(after_a.n > start.n);
    b.type_text("b");
    store.write_blocking(b.write()).expect("write b");
    let after_b = store.generation_blocking().expect("generation");
    assert!(after_b.n > after_a.n);

    let ids = |since: i64| -> Vec<DocId> {
        let mut ids: Vec<DocId> = store
            .heads_since_blocking(since)
            .expect("heads since")
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(start.n), [doc_id(1), doc_id(2)]);
    assert_eq!(ids(after_a.n), [doc_id(2)]);
    assert!(ids(after_b.n).is_empty());
    // The heads given are the document's current ones, as `heads_blocking` gives them.
    let all = store.heads_blocking().expect("heads");
    let since = store.heads_since_blocking(start.n).expect("heads since");
    assert_eq!(
        all.iter().collect::<std::collections::BTreeSet<_>>(),
        since.iter().collect::<std::collections::BTreeSet<_>>()
    );

    // A compaction changes no heads: the generation stays.
    let snapshot = a.doc.save();
    let heads = a.heads();
    store
        .compact_blocking(&doc_id(1), snapshot, heads)
        .expect("compact");
    assert_eq!(store.generation_blocking().expect("generation"), after_b);

    // A mark is read against the same file only; another file counts from the start.
    assert_eq!(after_b.since(&after_a.mark()), Some(after_a.n));
    assert_eq!(
        after_a.since(&after_b.mark()),
        None,
        "a mark from the future"
    );
    drop(store);
    let other = Store::open(&dir.path().join("other.db")).expect("open");
    let fresh = other.generation_blocking().expect("generation");
    assert_ne!(fresh.store, after_b.store);
    assert_eq!(fresh.since(&start.mark()), None);
}
