//! B10, the Markdown mirror (ADR 0008), in-process on the 883-page handbook imported into a
//! fresh workspace on a real SQLite file:
//! 1. a full reconcile (`mirror_once`) when nothing changed, after a first one wrote every
//!    file (median of 5);
//! 2. a full reconcile after 1% of the files (9) were edited on disk (median of 5 rounds,
//!    other files each round);
//! 3. with `run_mirror` running: a line appended to a file until the object's
//!    `ObjectChanged` event, body confirmed (30 samples);
//! 4. with `run_mirror` running: `update_page` until the file on disk holds the edit
//!    (polled every 5 ms; 30 samples).
//!
//! Prints a table and writes JSON to `$CARGO_TARGET_DIR/bench-results/b10.json`. Not a test.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use meridian_app::core::{DocId, Object};
use meridian_app::{Event, PagePatch, Workspace};

const ROUNDS: usize = 5;
const CHANGED: usize = 9;
const SAMPLES: usize = 30;
/// Longest wait for one latency sample before it counts as lost.
const TIMEOUT: Duration = Duration::from_secs(15);
/// Quiet time between latency samples, so that the pass a sample triggers (and the pass
/// its own write-back triggers) are over before the next one starts.
const GAP: Duration = Duration::from_millis(1200);

fn main() {
    let Some(corpus) = meridian_testkit::corpus("handbook/content") else {
        println!(
            "skipping: the handbook corpus is absent (../shared must sit beside the checkout)"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(&corpus));
}

async fn run(corpus: &Path) {
    let data = tempfile::tempdir().expect("temp dir");
    let folder = tempfile::tempdir().expect("temp dir");
    let root = folder.path().join("mirror");
    let ws = Workspace::create(data.path(), "Bench", "Ada", "UTC")
        .await
        .expect("create");
    let t = Instant::now();
    let imported = ws.import_markdown(corpus).await.expect("import");
    let import_s = t.elapsed().as_secs_f64();

    // The first reconcile writes every file.
    let t = Instant::now();
    let first = ws
        .mirror_once(Some(&root), false)
        .await
        .expect("first pass");
    let first_ms = ms(t.elapsed());
    assert!(first.in_sync(), "first pass refused files: {first:?}");
    let files = md_files(&root.join("pages"));
    let pages: Vec<(PathBuf, DocId)> = files
        .iter()
        .filter_map(|p| Some((p.clone(), id_of(p)?)))
        .collect();
    assert!(
        pages.len() >= ROUNDS * CHANGED + 2 * SAMPLES,
        "too few page files: {}",
        pages.len()
    );
    // Spread the picks over the folder (sorted by name), each file used once.
    let stride = [7, 11, 13]
        .into_iter()
        .find(|s| !pages.len().is_multiple_of(*s))
        .unwrap_or(1);
    let mut picks = (0..pages.len()).map(|i| &pages[(i * stride) % pages.len()]);

    // 1. Nothing changed.
    let mut idle = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = ws.mirror_once(None, false).await.expect("pass");
        idle.push(ms(t.elapsed()));
        assert_eq!(
            r.written + r.applied + r.created + r.moved + r.trashed + r.removed,
            0,
            "an idle pass did something: {r:?}"
        );
    }

    // 2. 1% of the files edited on disk.
    let mut changed = Vec::new();
    let (mut applied, mut written) = (0, 0);
    for round in 0..ROUNDS {
        let batch: Vec<&(PathBuf, DocId)> = picks.by_ref().take(CHANGED).collect();
        for (i, (path, _)) in batch.iter().enumerate() {
            append(path, &format!("b10-round-{round}-file-{i}"));
        }
        let t = Instant::now();
        let r = ws.mirror_once(None, false).await.expect("pass");
        changed.push(ms(t.elapsed()));
        assert_eq!(r.applied as usize, CHANGED, "round {round}: {r:?}");
        applied += r.applied;
        written += r.written;
        for (i, (_, id)) in batch.iter().enumerate() {
            assert!(
                body(&ws, id)
                    .await
                    .contains(&format!("b10-round-{round}-file-{i}")),
                "round {round}: file {i} not applied"
            );
        }
    }

    // 3 and 4 with the runner going, as the app runs it.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = {
        let ws = ws.clone();
        tokio::spawn(async move { ws.run_mirror(None, stop_rx).await })
    };
    // Its first pass (nothing to do) and the watcher starting.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 3. File save → object updated.
    let mut save = Vec::new();
    let mut searchable = Vec::new();
    let mut save_lost = 0;
    for n in 0..SAMPLES {
        let (path, id) = picks.next().expect("enough files");
        // One word no page has, so a search for it finds this page only once indexed.
        let word = format!("bten{n}x{}", rand_tag());
        let marker = format!("b10-save {word}");
        let mut events = ws.subscribe();
        let t = Instant::now();
        append(path, &marker);
        let seen = tokio::time::timeout(TIMEOUT, async {
            loop {
                match events.recv().await {
                    Ok(Event::ObjectChanged { summary }) if summary.id == *id => {
                        let at = t.elapsed();
                        if body(&ws, id).await.contains(&marker) {
                            return at;
                        }
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(e) => panic!("events: {e}"),
                }
            }
        })
        .await;
        match seen {
            Ok(at) => save.push(ms(at)),
            Err(_) => save_lost += 1,
        }
        // … and found by search (the indexer commits in batches after the store).
        let found = tokio::time::timeout(TIMEOUT, async {
            loop {
                let hits = ws.search(&word, 5).await.expect("search");
                if hits.iter().any(|h| h.id == id.as_str()) {
                    return t.elapsed();
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        if let Ok(at) = found {
            searchable.push(ms(at));
        }
        tokio::time::sleep(GAP).await;
    }

    // 4. App edit → file rewritten.
    let mut edit = Vec::new();
    let mut edit_call = Vec::new();
    let mut edit_lost = 0;
    for n in 0..SAMPLES {
        let (path, id) = picks.next().expect("enough files");
        let marker = format!("b10-edit-{n}-{}", rand_tag());
        let new_body = format!("{}\n{marker}\n", body(&ws, id).await.trim_end());
        let t = Instant::now();
        ws.update_page(
            id,
            PagePatch {
                body: Some(new_body),
                ..PagePatch::default()
            },
        )
        .await
        .expect("update");
        edit_call.push(ms(t.elapsed()));
        let mut seen = None;
        while t.elapsed() < TIMEOUT {
            if std::fs::read_to_string(path).is_ok_and(|s| s.contains(&marker)) {
                seen = Some(t.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        match seen {
            Some(at) => edit.push(ms(at)),
            None => edit_lost += 1,
        }
        tokio::time::sleep(GAP).await;
    }

    let _ = stop_tx.send(true);
    runner.await.expect("runner").expect("run_mirror");

    let idle_med = median(&idle);
    let changed_med = median(&changed);
    let (save_p50, save_p99) = (pct(&save, 50.0), pct(&save, 99.0));
    let (edit_p50, edit_p99) = (pct(&edit, 50.0), pct(&edit, 99.0));
    println!(
        "handbook: {} pages + {} decisions imported in {import_s:.1} s; mirror folder: {} page files",
        imported.pages,
        imported.decisions,
        pages.len()
    );
    println!("| measure | value | runs (ms) |");
    println!("| --- | --- | --- |");
    println!(
        "| first reconcile, writes every file ({} written) | {first_ms:.0} ms | |",
        first.written
    );
    println!(
        "| reconcile, nothing changed, median of {ROUNDS} | {idle_med:.0} ms | {} |",
        list(&idle)
    );
    println!(
        "| reconcile, {CHANGED} files edited (1%), median of {ROUNDS} | {changed_med:.0} ms | {} |",
        list(&changed)
    );
    println!(
        "| file save → object updated, p50 / p99 of {} ({save_lost} lost) | {save_p50:.0} / {save_p99:.0} ms | min {:.0}, max {:.0} |",
        save.len(),
        min(&save),
        max(&save)
    );
    println!(
        "| file save → found by search, p50 / p99 of {} | {:.0} / {:.0} ms | min {:.0}, max {:.0} |",
        searchable.len(),
        pct(&searchable, 50.0),
        pct(&searchable, 99.0),
        min(&searchable),
        max(&searchable)
    );
    println!(
        "| app edit → file rewritten, p50 / p99 of {} ({edit_lost} lost) | {edit_p50:.0} / {edit_p99:.0} ms | min {:.0}, max {:.0} |",
        edit.len(),
        min(&edit),
        max(&edit)
    );
    println!(
        "| `update_page` call itself, p50 | {:.1} ms | |",
        pct(&edit_call, 50.0)
    );
    println!("(1% rounds: {applied} files applied, {written} written back over {ROUNDS} rounds)");

    let json = serde_json::json!({
        "pages_imported": imported.pages,
        "decisions_imported": imported.decisions,
        "page_files": pages.len(),
        "first_reconcile_ms": first_ms,
        "first_reconcile_written": first.written,
        "idle_reconcile_ms": { "median": idle_med, "runs": idle },
        "changed_reconcile_ms": {
            "files_edited": CHANGED,
            "median": changed_med,
            "runs": changed,
            "applied": applied,
            "written_back": written,
        },
        "file_save_to_object_ms": {
            "p50": save_p50, "p99": save_p99, "lost": save_lost, "samples": save,
        },
        "file_save_to_searchable_ms": {
            "p50": pct(&searchable, 50.0), "p99": pct(&searchable, 99.0), "samples": searchable,
        },
        "app_edit_to_file_ms": {
            "p50": edit_p50, "p99": edit_p99, "lost": edit_lost, "samples": edit,
            "update_page_call_p50": pct(&edit_call, 50.0),
        },
    });
    let out = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("bench-results");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("b10.json"), format!("{json:#}\n"));
}

/// Appends a line as an editor's save would leave it: the bytes changed in place.
fn append(path: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open file");
    writeln!(f, "\n{line}").expect("append");
    f.sync_all().expect("sync");
}

async fn body(ws: &Workspace, id: &DocId) -> String {
    match ws.show_object(id).await.expect("show").object {
        Object::Page(p) => p.body,
        other => panic!("not a page: {other:?}"),
    }
}

/// The `id:` of a mirrored file's front matter.
fn id_of(path: &Path) -> Option<DocId> {
    let text = std::fs::read_to_string(path).ok()?;
    let fm = text.strip_prefix("---\n")?;
    fm.lines()
        .take_while(|l| *l != "---")
        .find_map(|l| l.strip_prefix("id:"))
        .and_then(|v| v.trim().trim_matches(['"', '\'']).parse().ok())
}

fn md_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(md_files(&p));
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rand_tag() -> u32 {
    rand::random()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(xs: &[f64]) -> f64 {
    pct(xs, 50.0)
}

/// Nearest-rank percentile (of 30 samples, p99 is the maximum).
fn pct(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn min(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn list(xs: &[f64]) -> String {
    xs.iter()
        .map(|x| format!("{x:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}
