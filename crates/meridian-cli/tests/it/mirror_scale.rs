//! `meridian mirror` at scale and under stress (ADR 0008): ten thousand files, a watcher
//! whose event queue overflows, and every page of the handbook and every MADR record of
//! the corpus through a round trip. Every wait is bounded.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use serde_json::Value;

use crate::mirror::{Mirroring, count, listed, listing, read, reconcile, show, within, write};
use crate::{init, ok};

/// What a pass did, in one line for assertion messages (a 10,000-file report is long).
fn summary(r: &Value) -> String {
    let counts: Vec<String> = [
        "written", "applied", "created", "moved", "trashed", "removed",
    ]
    .iter()
    .map(|f| format!("{f} {}", count(r, f)))
    .collect();
    let refused = r["refused"].as_array().map_or(0, Vec::len);
    format!(
        "{}, {refused} refused (first: {}), held {}",
        counts.join(", "),
        r["refused"][0],
        r["held_deletes"]
    )
}

/// Everything a pass did to files or objects.
fn activity(r: &Value) -> u64 {
    [
        "written", "applied", "created", "moved", "trashed", "removed",
    ]
    .iter()
    .map(|f| count(r, f))
    .sum()
}

/// The `id:` of a file's front matter.
fn id_in(text: &str) -> Option<String> {
    text.strip_prefix("---\n")?
        .lines()
        .take_while(|l| *l != "---")
        .find_map(|l| l.strip_prefix("id: "))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_owned())
}

/// Every `.md` file under `folder`, sorted.
fn md_files(folder: &Path) -> Vec<PathBuf> {
    listing(folder)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| folder.join(p))
        .collect()
}

/// The heads of every document in the workspace's store, read as the store reads them
/// (the newest change chunk's, else the snapshot's): an object whose heads did not move
/// was not changed at all, not even to the same value.
fn store_heads(d: &Path) -> BTreeMap<String, Vec<u8>> {
    let db = rusqlite::Connection::open(d.join("workspace.db")).expect("open workspace.db");
    let mut stmt = db
        .prepare(
            "SELECT d.id, COALESCE((SELECT c.heads FROM chunks c WHERE c.doc_id = d.id
                                    ORDER BY c.seq DESC LIMIT 1), d.heads)
             FROM docs d",
        )
        .expect("the store's schema");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query heads")
        .collect::<Result<_, _>>()
        .expect("read heads")
}

/// The ids whose heads differ between two [`store_heads`].
fn moved(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
) -> BTreeSet<String> {
    after
        .iter()
        .filter(|(id, h)| before.get(*id) != Some(*h))
        .map(|(id, _)| id.clone())
        .chain(before.keys().filter(|id| !after.contains_key(*id)).cloned())
        .collect()
}

fn elapsed(t: Instant) -> String {
    format!("{:.1} s", t.elapsed().as_secs_f64())
}

/// A folder of 10,000 small files in 20 folders, mirrored with `--once` into a fresh
/// workspace: each becomes a page and gets its id written back; a pass with nothing
/// changed writes and applies nothing and changes no object; 1% of the files edited
/// change exactly those objects; 3 deleted (fewer than the guard holds back) are trashed.
#[test]
fn ten_thousand_files_become_pages_and_later_passes_touch_only_what_changed() {
    const FILES: usize = 10_000;
    const FOLDERS: usize = 20;
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let mut files = Vec::with_capacity(FILES);
    for i in 0..FILES {
        let dir = folder.join(format!("pages/group-{:02}", i % FOLDERS));
        if i < FOLDERS {
            std::fs::create_dir_all(&dir).expect("make the folder");
        }
        let file = dir.join(format!("note-{i:05}.md"));
        write(
            &file,
            &format!(
                "---\ntitle: Note {i}\ntags:\n- scale\n---\nNote {i} of {FILES}, in group {}.\n",
                i % FOLDERS
            ),
        );
        files.push(file);
    }

    let t = Instant::now();
    let r = reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    eprintln!(
        "{FILES} files, first --once: {} ({})",
        elapsed(t),
        summary(&r)
    );
    assert_eq!(count(&r, "created") as usize, FILES, "{}", summary(&r));
    assert_eq!(
        count(&r, "written") as usize,
        FILES,
        "every file gets its id written back: {}",
        summary(&r)
    );
    let pages: HashSet<String> = listed(d.path())
        .into_iter()
        .filter(|o| o.1 == "page" && !o.3)
        .map(|o| o.0)
        .collect();
    assert_eq!(pages.len(), FILES);
    let ids: Vec<String> = files
        .iter()
        .map(|f| id_in(&read(f)).unwrap_or_else(|| panic!("no id in {}", f.display())))
        .collect();
    assert_eq!(
        ids.iter().cloned().collect::<HashSet<_>>(),
        pages,
        "each file carries the id of its own page"
    );
    assert_eq!(md_files(&folder).len(), FILES, "no file was added or lost");

    // Nothing changed.
    let before = store_heads(d.path());
    let t = Instant::now();
    let r = reconcile(d.path(), &[]);
    eprintln!("{FILES} files, nothing changed: {}", elapsed(t));
    assert_eq!(activity(&r), 0, "{}", summary(&r));
    assert_eq!(
        moved(&before, &store_heads(d.path())),
        BTreeSet::new(),
        "a pass with nothing to do changes no object"
    );

    // 1% edited: exactly those objects change.
    let edited: Vec<usize> = (0..FILES).step_by(100).collect();
    for &i in &edited {
        let text = read(&files[i]);
        write(
            &files[i],
            &format!("{text}\nEdited in the scale test ({i}).\n"),
        );
    }
    let t = Instant::now();
    let r = reconcile(d.path(), &[]);
    eprintln!("{FILES} files, {} edited: {}", edited.len(), elapsed(t));
    assert_eq!(
        count(&r, "applied") as usize,
        edited.len(),
        "{}",
        summary(&r)
    );
    assert_eq!(
        count(&r, "created") + count(&r, "trashed") + count(&r, "moved"),
        0,
        "{}",
        summary(&r)
    );
    let after = store_heads(d.path());
    let expected: BTreeSet<String> = edited.iter().map(|&i| ids[i].clone()).collect();
    assert_eq!(
        moved(&before, &after),
        expected,
        "exactly the edited objects changed"
    );
    for &i in edited.iter().step_by(25) {
        let body = show(d.path(), &ids[i])["body"]
            .as_str()
            .expect("body")
            .to_owned();
        assert!(
            body.contains(&format!("Edited in the scale test ({i}).")),
            "{i}: {body}"
        );
    }

    // 3 deleted.
    let gone = [7, 4242, FILES - 1];
    for i in gone {
        std::fs::remove_file(&files[i]).expect("delete");
    }
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "trashed"), 3, "{}", summary(&r));
    assert_eq!(activity(&r), 3, "nothing else happened: {}", summary(&r));
    let trashed: BTreeSet<String> = listed(d.path())
        .into_iter()
        .filter(|o| o.3)
        .map(|o| o.0)
        .collect();
    assert_eq!(
        trashed,
        gone.iter()
            .map(|&i| ids[i].clone())
            .collect::<BTreeSet<_>>()
    );
}

/// `fs.inotify.max_queued_events` set low while it lives (it applies to inotify instances
/// made meanwhile, on the whole machine), put back when dropped, also when a test fails.
struct TinyInotifyQueue {
    old: String,
}

const MAX_QUEUED_EVENTS: &str = "/proc/sys/fs/inotify/max_queued_events";

impl TinyInotifyQueue {
    /// `None` when the setting cannot be changed here (not root, a read-only /proc).
    fn set(events: u32) -> Option<TinyInotifyQueue> {
        let old = std::fs::read_to_string(MAX_QUEUED_EVENTS).ok()?;
        std::fs::write(MAX_QUEUED_EVENTS, events.to_string()).ok()?;
        Some(TinyInotifyQueue {
            old: old.trim().to_owned(),
        })
    }
}

impl Drop for TinyInotifyQueue {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(MAX_QUEUED_EVENTS, &self.old) {
            eprintln!(
                "could not put {MAX_QUEUED_EVENTS} back to {}: {e}",
                self.old
            );
        }
    }
}

/// What the mirror's log says when the watcher reported that events may have been lost
/// (crates/meridian-app/src/mirror.rs, `run_mirror`).
const RESCAN_LOG: &str = "watcher may have missed changes";

/// The mirror running with a watcher whose inotify queue holds 16 events, then a few
/// hundred files created and changed at once: the queue overflows (the log says so), the
/// watcher asks for a rescan, and every file ends up applied.
#[test]
fn a_watcher_queue_overflow_loses_no_file() {
    const NEW: usize = 200;
    const CHANGED: usize = 100;
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let pages = folder.join("pages");
    std::fs::create_dir_all(&pages).expect("make the folder");
    for i in 0..CHANGED {
        write(
            &pages.join(format!("old-{i:03}.md")),
            &format!("---\ntitle: Old {i}\n---\nOld page {i}.\n"),
        );
    }
    let r = reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    assert_eq!(count(&r, "created") as usize, CHANGED, "{}", summary(&r));
    let old: Vec<(PathBuf, String)> = (0..CHANGED)
        .map(|i| {
            let f = pages.join(format!("old-{i:03}.md"));
            let id = id_in(&read(&f)).expect("id written back");
            (f, id)
        })
        .collect();

    let log = root.path().join("mirror.log");
    let mut live = {
        let Some(_tiny) = TinyInotifyQueue::set(16) else {
            eprintln!(
                "skipped: {MAX_QUEUED_EVENTS} cannot be changed here (run as root to force a watcher overflow)"
            );
            return;
        };
        let live = Mirroring::start_with(
            d.path(),
            &folder,
            &[
                ("MERIDIAN_LOG", "warn,meridian_app::mirror=debug"),
                ("NO_COLOR", "1"),
            ],
            Stdio::from(std::fs::File::create(&log).expect("log file")),
        );
        // The queue's size is taken when the watcher starts: once it has, the machine gets
        // its usual size back.
        assert!(
            within(30, || std::fs::read_to_string(&log)
                .is_ok_and(|l| l.contains("watching the mirror folder"))),
            "the mirror starts watching: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        live
    };
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log_text().contains("polling=false"),
        "the native watcher runs: {}",
        log_text()
    );
    // Its first pass (nothing to do) runs meanwhile. A rescan asked for before the burst
    // would prove nothing.
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(!log_text().contains(RESCAN_LOG), "{}", log_text());

    // The burst: new files and edits, as fast as they can be made, while the mirror process
    // is stopped, so its watcher cannot drain the 16-event queue (each file makes three or
    // four events): the kernel drops events and says so, for certain rather than by luck.
    live.signal("STOP");
    let t = Instant::now();
    for i in 0..NEW {
        write(
            &pages.join(format!("new-{i:03}.md")),
            &format!("---\ntitle: New {i}\n---\nNew page {i}, made in a burst.\n"),
        );
        if let Some((f, _)) = old.get(i) {
            write(f, &format!("{}\nChanged in the burst ({i}).\n", read(f)));
        }
    }
    eprintln!(
        "burst of {NEW} new and {CHANGED} changed files written in {}",
        elapsed(t)
    );
    live.signal("CONT");

    // A new file gets its id written back in the pass after the one that made its page;
    // that pass, or an earlier one, saw every change of the burst (the last new file was
    // written last) and applied them first (edits come before new files in a plan).
    let new_file = |i: usize| pages.join(format!("new-{i:03}.md"));
    let t = Instant::now();
    assert!(
        within(120, || (0..NEW)
            .all(|i| id_in(&read(&new_file(i))).is_some())),
        "every new file became a page: {}",
        log_text()
    );
    eprintln!("all applied {} after the burst", elapsed(t));
    let docs = documents(d.path());
    for i in 0..NEW {
        let id = id_in(&read(&new_file(i))).expect("id");
        assert_eq!(docs[&id]["title"], format!("New {i}"), "{id}");
    }
    for (i, (f, id)) in old.iter().enumerate() {
        let body = docs[id]["body"].as_str().unwrap_or_default();
        assert!(
            body.contains(&format!("Changed in the burst ({i}).")),
            "{}: {body}",
            f.display()
        );
    }
    assert!(
        log_text().contains(RESCAN_LOG),
        "the watcher's queue overflowed and it asked for a rescan: {}",
        log_text()
    );
    assert!(live.stop(), "the mirror stops on Ctrl-C");
    let r = reconcile(d.path(), &[]);
    assert_eq!(activity(&r), 0, "nothing left over: {}", summary(&r));
}

const ADDED: &str = "A line added in the mirror.";

/// The trivial edit: a line at the end of a page's body, a paragraph at the end of a
/// decision's context.
fn edit_trivially(rel: &Path, text: &str) -> String {
    if rel.starts_with("pages") {
        let text = if text.ends_with('\n') {
            text.to_owned()
        } else {
            format!("{text}\n")
        };
        return format!("{text}\n{ADDED}\n");
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let context = lines
        .iter()
        .position(|l| l.trim_end() == "## Context and Problem Statement")
        .unwrap_or_else(|| panic!("{}: no context section:\n{text}", rel.display()));
    let end = lines[context + 1..]
        .iter()
        .position(|l| l.starts_with('#'))
        .map_or(lines.len(), |n| context + 1 + n);
    let mut out: String = lines[..end].concat();
    out.push_str(&format!("{ADDED}\n\n"));
    out.push_str(&lines[end..].concat());
    out
}

/// Every object of the workspace as its saved Automerge document (`export --format
/// automerge`), as JSON, by id.
fn documents(d: &Path) -> BTreeMap<String, Value> {
    let dir = tempfile::tempdir().expect("temp dir");
    ok(
        d,
        &[
            "export",
            dir.path().to_str().expect("UTF-8"),
            "--format",
            "automerge",
        ],
    );
    let mut out = BTreeMap::new();
    for rel in listing(dir.path()) {
        let p = dir.path().join(&rel);
        if p.extension().is_none_or(|e| e != "automerge") {
            continue;
        }
        let doc = automerge::Automerge::load(&std::fs::read(&p).expect("read")).expect("loads");
        let id = p
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("named by id")
            .to_owned();
        out.insert(
            id,
            serde_json::to_value(automerge::AutoSerde::from(&doc)).expect("as JSON"),
        );
    }
    out
}

/// Every page of the handbook (883) and every MADR record of the corpus, imported, written
/// to the mirror folder, then (1) every file rewritten with its own bytes: nothing is
/// applied and no object changes; (2) every file edited trivially (a line added to a
/// page's body, a paragraph to a decision's context): each object changes in that field
/// alone, by that line alone.
#[test]
fn every_handbook_page_and_madr_record_round_trips_changing_only_the_edit() {
    let (Some(handbook), Some(madr)) = (
        meridian_testkit::corpus("handbook/content"),
        meridian_testkit::corpus("madr"),
    ) else {
        eprintln!("skipped: the corpus is absent (../shared must sit beside the checkout)");
        return;
    };
    let started = Instant::now();
    let d = init();
    ok(d.path(), &["import", handbook.to_str().expect("UTF-8")]);
    ok(d.path(), &["import", madr.to_str().expect("UTF-8")]);
    let objects: Vec<(String, String)> = listed(d.path())
        .into_iter()
        .filter(|o| !o.3)
        .map(|o| (o.0, o.1))
        .collect();
    let (n_pages, n_decisions) = (
        objects.iter().filter(|o| o.1 == "page").count(),
        objects.iter().filter(|o| o.1 == "decision").count(),
    );
    assert_eq!(n_pages, 883, "every handbook page imported");
    let madr_records = std::fs::read_dir(&madr)
        .expect("madr")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .count();
    assert_eq!(n_decisions, madr_records, "every MADR record imported");

    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let t = Instant::now();
    let r = reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    eprintln!("first --once, {} objects: {}", objects.len(), elapsed(t));
    assert_eq!(
        count(&r, "written") as usize,
        objects.len(),
        "{}",
        summary(&r)
    );
    let files = md_files(&folder);
    assert_eq!(files.len(), objects.len());
    let before = documents(d.path());
    let heads = store_heads(d.path());

    // (1) Every file saved again, bytes unchanged.
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        std::fs::write(f, &bytes).expect("rewrite");
    }
    let r = reconcile(d.path(), &[]);
    assert_eq!(activity(&r), 0, "{}", summary(&r));
    assert_eq!(moved(&heads, &store_heads(d.path())), BTreeSet::new());

    // (2) Every file edited trivially.
    let mut edited: BTreeMap<String, &'static str> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&folder).expect("inside");
        let text = read(f);
        let id = id_in(&text).unwrap_or_else(|| panic!("no id in {}", rel.display()));
        write(f, &edit_trivially(rel, &text));
        let field = if rel.starts_with("pages") {
            "body"
        } else {
            "context"
        };
        edited.insert(id, field);
    }
    let t = Instant::now();
    let r = reconcile(d.path(), &[]);
    eprintln!("{} files edited, --once: {}", files.len(), elapsed(t));
    assert_eq!(
        count(&r, "applied") as usize,
        files.len(),
        "{}",
        summary(&r)
    );
    assert_eq!(
        count(&r, "created") + count(&r, "trashed") + count(&r, "moved") + count(&r, "removed"),
        0,
        "{}",
        summary(&r)
    );
    if count(&r, "written") > 0 {
        eprintln!(
            "{} files were written back after their edit was applied",
            count(&r, "written")
        );
    }

    let after = documents(d.path());
    let mut wrong = Vec::new();
    for (id, field) in &edited {
        let (Some(Value::Object(old)), Some(Value::Object(new))) = (before.get(id), after.get(id))
        else {
            wrong.push(format!("{id}: missing from an export"));
            continue;
        };
        let (old_text, new_text) = (
            old.get(*field).and_then(Value::as_str).unwrap_or_default(),
            new.get(*field).and_then(Value::as_str).unwrap_or_default(),
        );
        let only_added = new_text
            .trim_end()
            .strip_suffix(ADDED)
            .is_some_and(|rest| rest.trim_end() == old_text.trim_end());
        if !only_added {
            wrong.push(format!(
                "{id}: {field} is not the old one plus the line:\n--- old\n{old_text}\n--- new\n{new_text}"
            ));
        }
        let others = |m: &serde_json::Map<String, Value>| {
            let mut m = m.clone();
            m.remove(*field);
            m
        };
        let (old_rest, new_rest) = (others(old), others(new));
        if old_rest != new_rest {
            let keys: Vec<&String> = old_rest
                .keys()
                .chain(new_rest.keys())
                .filter(|k| old_rest.get(*k) != new_rest.get(*k))
                .collect();
            wrong.push(format!("{id}: other fields changed too: {keys:?}"));
        }
    }
    let unedited: Vec<&String> = after
        .keys()
        .filter(|id| !edited.contains_key(*id) && before.get(*id) != after.get(*id))
        .collect();
    assert!(
        unedited.is_empty(),
        "objects without a file changed: {unedited:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} of {} objects changed otherwise than by the edit; the first:\n{}",
        wrong.len(),
        edited.len(),
        wrong
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    let r = reconcile(d.path(), &[]);
    assert_eq!(activity(&r), 0, "{}", summary(&r));
    eprintln!(
        "round trip of {} objects: {}",
        edited.len(),
        elapsed(started)
    );
}
