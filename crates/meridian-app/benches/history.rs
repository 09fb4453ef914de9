//! B12, history of the paper-trace document (issue 19): the automerge-paper trace (259,778
//! keystroke transactions) typed into a page of a workspace on a real SQLite file, then:
//! 1. the first page of the timeline (20 entries, newest first, each with what it
//!    changed in words);
//! 2. an earlier version shown, by change (early, middle, late points of the timeline);
//! 3. an earlier version shown by time (`--at`);
//! 4. the diff between the middle version and now.
//!
//! Each with the document already open (the app has it open while its history panel is),
//! p50 / p99 of 15 runs, after the first page was read once; that first time (the change
//! metadata read, every entry of the page summarised) is reported on its own, and so is a
//! reload after one more keystroke (the panel follows someone typing).
//!
//! The trace's own timestamps span 0.3 s (they were synthesised), which would make the
//! whole paper one entry; the bench spaces the keystrokes 250 ms apart (a typist at four
//! keys a second, 18 hours of typing) so the timeline has the entries a real paper would.
//!
//! Prints a table and writes JSON to `$CARGO_TARGET_DIR/bench-results/b12.json`. Not a test.

#[path = "../../meridian-store/benches/support/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ReadDoc, TextEncoding};
use meridian_app::core::Object;
use meridian_app::{NewPage, Workspace};
use meridian_testkit::FakeClock;

use common::{load_trace, ms, pct, write_json};

const RUNS: usize = 15;
const KEY_MS: i64 = 250;

fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort_unstable();
    (ms(pct(&samples, 0.5)), ms(pct(&samples, 0.99)))
}

fn main() {
    let Some(trace) = load_trace() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("dir");
        let start_ms = 1_700_000_000_000;
        let clock = FakeClock::at("2023-11-14T22:13:20Z");
        let ws = Workspace::create_with_clock(dir.path(), "Bench", "Ada", "UTC", clock.clone())
            .await
            .expect("create");
        let (id, _) = ws
            .create_page(NewPage {
                title: "The paper".into(),
                body: trace.start_content.clone(),
                ..NewPage::default()
            })
            .await
            .expect("page");

        // Another device of Ada's types the paper (the trace's positions are code points).
        let built = Instant::now();
        let bytes = ws.automerge_bytes(&id).await.expect("bytes");
        let mut doc = AutoCommit::load_with_options(
            &bytes,
            automerge::LoadOptions::new().text_encoding(TextEncoding::UnicodeCodePoint),
        )
        .expect("load");
        let me = ws.workspace_info().me.id.to_string();
        doc.set_author(Some(automerge::Author::from(me.into_bytes())));
        doc.set_actor(automerge::ActorId::from(vec![7u8; 16]));
        let (_, body) = doc
            .get(automerge::ROOT, "body")
            .expect("get")
            .expect("a body");
        for (i, txn) in trace.txns.iter().enumerate() {
            for (pos, del, ins) in &txn.patches {
                doc.splice_text(&body, *pos, *del as isize, ins)
                    .expect("splice");
            }
            let t = start_ms + i as i64 * KEY_MS;
            doc.commit_with(CommitOptions::default().with_time(t / 1000));
        }
        assert_eq!(doc.text(&body).expect("text"), trace.end_content);
        ws.merge_changes_for_tests(&id, &doc.save())
            .await
            .expect("merge");
        clock.advance_ms(trace.txns.len() as i64 * KEY_MS);
        // Compacted, as the store keeps a document typed into it (every 512 chunks).
        let full = ws.automerge_bytes(&id).await.expect("bytes");
        let heads = AutoCommit::load(&full).expect("load").get_heads();
        ws.store().compact(&id, full, heads).await.expect("compact");
        println!(
            "paper typed and merged into the workspace in {:.1} s",
            built.elapsed().as_secs_f64()
        );

        // Where the time goes, on a plain copy of the document.
        {
            let mut copy = AutoCommit::load(&ws.automerge_bytes(&id).await.expect("bytes"))
                .expect("load");
            let d = copy.document();
            let t = Instant::now();
            let metas = d.get_changes_meta(&[]).len();
            let t_meta = t.elapsed();
            let t = Instant::now();
            let changes = meridian_app::core::history::Changes::of(d);
            let t_changes = t.elapsed();
            let t = Instant::now();
            let spans = meridian_app::core::history::group(&changes.changes);
            let t_group = t.elapsed();
            let heads = d.get_heads();
            let t = Instant::now();
            let _ = meridian_app::core::history::read_any_at(d, &heads).expect("read");
            let t_read = t.elapsed();
            let t = Instant::now();
            let _ = meridian_app::core::read_any(&copy).expect("read");
            let t_now = t.elapsed();
            let d = copy.document();
            let mid = &changes.changes[changes.len() / 2];
            let t = Instant::now();
            let _ = d.get_change_meta_by_hash(&mid.hash);
            let t_one_meta = t.elapsed();
            println!(
                "breakdown: get_changes_meta ({metas}) {:.0} ms; Changes::of {:.0} ms; group ({} entries) {:.1} ms; one version read {:.1} ms (now, without heads: {:.1} ms); one change's metadata by hash {:.3} ms",
                ms(t_meta),
                ms(t_changes),
                spans.len(),
                ms(t_group),
                ms(t_read),
                ms(t_now),
                ms(t_one_meta)
            );
        }

        // Reopened: the first history page pays for loading the document once.
        drop(ws);
        let ws = Workspace::open_with_clock(dir.path(), clock.clone())
            .await
            .expect("open");
        let opened = Instant::now();
        ws.show_object(&id).await.expect("load");
        let load = opened.elapsed();
        let opened = Instant::now();
        let first = ws.history(&id, 0, 20).await.expect("history");
        let cold = opened.elapsed();
        println!("document loaded in {:.0} ms", ms(load));
        let total = first.total_entries as usize;
        println!(
            "{} changes in {} entries; first page, first time: {:.0} ms",
            first.total_changes,
            total,
            ms(cold)
        );
        assert_eq!(first.entries.len(), 20.min(total));

        let mut first_page = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let page = ws.history(&id, 0, 20).await.expect("history");
            first_page.push(t.elapsed());
            assert_eq!(page.entries.len(), first.entries.len());
        }

        // The panel reloads while someone types: one keystroke, then the first page.
        let mut typing = Vec::new();
        for i in 0..RUNS {
            clock.advance_ms(KEY_MS);
            ws.edit_page_body(
                &id,
                &[meridian_app::core::TextSplice {
                    pos: i as u32,
                    delete: 0,
                    insert: "x".into(),
                }],
            )
            .await
            .expect("type");
            let t = Instant::now();
            ws.history(&id, 0, 20).await.expect("history");
            typing.push(t.elapsed());
        }

        // Points across the timeline, oldest page last.
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let page = ws.history(&id, offset, 50).await.expect("history");
            all.extend(page.entries);
            match page.next {
                Some(n) => offset = n as usize,
                None => break,
            }
        }
        all.reverse();
        let point = |f: f64| all[((all.len() - 1) as f64 * f) as usize].point.clone();
        let mut rows: Vec<(String, (f64, f64))> = vec![
            (
                "first page of the timeline again (20 entries)".into(),
                stats(first_page),
            ),
            (
                "first page after one more keystroke".into(),
                stats(typing),
            ),
        ];
        for (name, f) in [("early", 0.1), ("middle", 0.5), ("late", 0.9)] {
            let p = point(f);
            let mut samples = Vec::new();
            for _ in 0..RUNS {
                let t = Instant::now();
                let v = ws.object_at(&id, &p).await.expect("version");
                samples.push(t.elapsed());
                assert!(matches!(v.object, Object::Page(_)));
            }
            rows.push((format!("show the {name} version (by change)"), stats(samples)));
        }
        let middle_time = meridian_app::core::history::rfc3339(
            start_ms + (trace.txns.len() as i64 / 2) * KEY_MS,
        );
        let mut samples = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            ws.object_at(&id, &middle_time).await.expect("by time");
            samples.push(t.elapsed());
        }
        rows.push(("show the middle version (by time)".into(), stats(samples)));
        let mid = point(0.5);
        let mut samples = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let d = ws.diff_versions(&id, &mid, "current").await.expect("diff");
            samples.push(t.elapsed());
            assert!(!d.changes.is_empty());
        }
        rows.push(("diff middle → now".into(), stats(samples)));

        println!();
        println!("| measure (paper trace, {} changes, {total} entries) | p50 | p99 | target |", first.total_changes);
        println!("| --- | --- | --- | --- |");
        let mut json = serde_json::Map::new();
        for (name, (p50, p99)) in &rows {
            let target = if name.starts_with("show") {
                "≤ 200 ms"
            } else {
                ""
            };
            println!("| {name} | {p50:.1} ms | {p99:.1} ms | {target} |");
            json.insert(
                name.clone(),
                serde_json::json!({ "p50_ms": p50, "p99_ms": p99 }),
            );
        }
        println!("| first page of the timeline, first time (document open; once) | {:.0} ms | | ≤ 200 ms |", ms(cold));
        println!("| opening the document itself (once, not included above) | {:.0} ms | | |", ms(load));
        json.insert("first_page_first_time_ms".into(), serde_json::json!(ms(cold)));
        json.insert("document_load_ms".into(), serde_json::json!(ms(load)));
        json.insert("changes".into(), serde_json::json!(first.total_changes));
        json.insert("entries".into(), serde_json::json!(total));
        write_json("b12", &serde_json::Value::Object(json));
    });
}
