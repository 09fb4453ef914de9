//! The live mirror against real temporary folders: scan, atomic writes and removals,
//! the plan → write → scan loop, and the watcher.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use meridian_core::{DocId, Kind};
use meridian_vault::mirror::{
    Action, Change, DiskFile, Entry, Rendered, Watcher, hash, plan, remove_file, scan, write_file,
};

fn id(n: u8) -> DocId {
    DocId::from_bytes([n; 16])
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn write_file_is_atomic_and_returns_the_hash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rel = Path::new("pages/parent/child.md");
    let h = write_file(dir.path(), rel, "one\n").expect("write");
    assert_eq!(h, hash(b"one\n"));
    let h = write_file(dir.path(), rel, "two\n").expect("overwrite");
    assert_eq!(h, hash(b"two\n"));
    assert_eq!(
        fs::read_to_string(dir.path().join(rel)).expect("read"),
        "two\n"
    );
    // No temp file left beside it.
    assert_eq!(names(&dir.path().join("pages/parent")), vec!["child.md"]);
}

#[test]
fn write_file_refuses_to_leave_the_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outside = tempfile::tempdir().expect("outside");
    assert!(write_file(dir.path(), Path::new("../x.md"), "x").is_err());
    assert!(write_file(dir.path(), &outside.path().join("abs.md"), "x").is_err());
    assert!(write_file(dir.path(), Path::new(""), "x").is_err());
    assert!(write_file(&dir.path().join("missing"), Path::new("a.md"), "x").is_err());
    assert!(names(outside.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn write_and_remove_refuse_symlinks() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("temp dir");
    let outside = tempfile::tempdir().expect("outside");
    fs::write(outside.path().join("target.md"), "theirs").expect("write outside");
    symlink(outside.path(), dir.path().join("pages")).expect("folder link");
    fs::create_dir(dir.path().join("decisions")).expect("mkdir");
    symlink(
        outside.path().join("target.md"),
        dir.path().join("decisions/0001-x.md"),
    )
    .expect("file link");

    assert!(write_file(dir.path(), Path::new("pages/a.md"), "x").is_err());
    assert!(write_file(dir.path(), Path::new("decisions/0001-x.md"), "x").is_err());
    assert!(remove_file(dir.path(), Path::new("pages/target.md")).is_err());
    assert!(remove_file(dir.path(), Path::new("decisions/0001-x.md")).is_err());
    assert_eq!(names(outside.path()), vec!["target.md"]);
    assert_eq!(
        fs::read_to_string(outside.path().join("target.md")).expect("read"),
        "theirs"
    );
}

#[test]
fn remove_file_removes_emptied_folders_but_not_the_top_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_file(dir.path(), Path::new("pages/a/b/deep.md"), "x").expect("write");
    write_file(dir.path(), Path::new("pages/a/keep.md"), "x").expect("write");
    remove_file(dir.path(), Path::new("pages/a/b/deep.md")).expect("remove");
    assert!(!dir.path().join("pages/a/b").exists());
    assert!(dir.path().join("pages/a/keep.md").exists());
    remove_file(dir.path(), Path::new("pages/a/keep.md")).expect("remove");
    assert!(!dir.path().join("pages/a").exists());
    assert!(dir.path().join("pages").is_dir(), "top folders stay");
    // Already gone is fine; `..` is not.
    remove_file(dir.path(), Path::new("pages/a/keep.md")).expect("idempotent");
    assert!(remove_file(dir.path(), Path::new("../x.md")).is_err());
}

fn by_path<'a>(files: &'a [DiskFile], path: &str) -> &'a DiskFile {
    files
        .iter()
        .find(|f| f.path == Path::new(path))
        .unwrap_or_else(|| panic!("{path} not scanned: {files:?}"))
}

#[test]
fn scan_finds_markdown_and_skips_the_rest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let idv = id(7);
    let a_text = format!("---\nid: {idv}\n---\n# A\n");
    let files: &[(&str, &[u8])] = &[
        ("pages/a.md", a_text.as_bytes()),
        ("pages/B.MD", b"# B\n"),
        ("decisions/0001-x.md", b"# X\n"),
        (".git/objects/x.md", b"git"),
        (".obsidian/workspace.md", b"obsidian"),
        (".trash/old.md", b"trash"),
        ("pages/.a.md.swp", b"swap"),
        ("pages/a.md.swx", b"swap"),
        ("pages/a.md~", b"backup"),
        ("pages/.#a.md", b"emacs lock"),
        ("pages/#a.md#", b"emacs autosave"),
        ("pages/4913", b"vim probe"),
        ("pages/a.md.tmp", b"temp"),
        ("pages/notes.txt", b"text"),
        ("pages/bad.md", b"caf\xe9\n"),
        (
            "pages/conflict.md",
            b"<<<<<<< HEAD\na\n=======\nb\n>>>>>>> other\n",
        ),
        ("pages/broken.md", b"---\ntitle: [unclosed\n---\nbody\n"),
    ];
    for (p, bytes) in files {
        let p = root.join(p);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, bytes).expect("write");
    }
    fs::write(root.join("pages/big.md"), vec![b'a'; 9 * 1024 * 1024]).expect("big");

    let found = scan(root).expect("scan");
    let paths: Vec<&str> = found
        .iter()
        .map(|f| f.path.to_str().expect("utf-8"))
        .collect();
    assert_eq!(
        paths,
        vec![
            "decisions/0001-x.md",
            "pages/B.MD",
            "pages/a.md",
            "pages/bad.md",
            "pages/big.md",
            "pages/broken.md",
            "pages/conflict.md",
        ]
    );
    let a = by_path(&found, "pages/a.md");
    assert_eq!(a.id, Some(idv));
    assert_eq!(
        a.hash,
        hash(&fs::read(root.join("pages/a.md")).expect("read"))
    );
    assert!(a.text.is_ok());
    for (p, why) in [
        ("pages/bad.md", "UTF-8"),
        ("pages/big.md", "MiB"),
        ("pages/conflict.md", "conflict"),
        ("pages/broken.md", "YAML"),
    ] {
        let err = by_path(&found, p).text.as_ref().expect_err(p);
        assert!(err.contains(why), "{p}: {err}");
    }
}

#[cfg(unix)]
#[test]
fn scan_reports_symlinks_and_bad_names() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("temp dir");
    let outside = tempfile::tempdir().expect("outside");
    fs::write(outside.path().join("secret.md"), "secret").expect("write");
    let root = dir.path();
    fs::create_dir(root.join("pages")).expect("mkdir");
    symlink(outside.path().join("secret.md"), root.join("pages/link.md")).expect("link");
    symlink(outside.path(), root.join("linked-folder")).expect("link");
    let bad_name = root.join("pages").join(OsStr::from_bytes(b"bad\xff.md"));
    let utf8_name_is_enforced = fs::write(&bad_name, "x").is_ok();

    let found = scan(root).expect("scan");
    for p in ["pages/link.md", "linked-folder"] {
        let err = by_path(&found, p).text.as_ref().expect_err(p);
        assert!(err.contains("symlink"), "{p}: {err}");
    }
    assert!(found.iter().all(|f| f.text.as_deref() != Ok("secret")));
    if utf8_name_is_enforced {
        let bad = found
            .iter()
            .find(|f| f.path.to_string_lossy().starts_with("pages/bad"))
            .expect("bad name reported");
        assert!(bad.text.as_ref().expect_err("bad name").contains("UTF-8"));
    }
}

#[test]
fn scan_of_a_missing_folder_is_an_error_not_an_empty_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(scan(&dir.path().join("gone")).is_err());
}

/// The engine's loop in miniature: plan, carry out the writes, scan, plan again: the
/// second plan is empty (our own writes are no echo), and a user edit becomes an Apply.
#[test]
fn plan_write_scan_loop_settles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let objects = vec![Rendered {
        id: id(1),
        kind: Kind::Page,
        title: "Con".into(),
        folder: "pages".into(),
        path: None,
        number: None,
        text: format!("---\nid: {}\n---\n# Con\n", id(1)),
        heads: "h1".into(),
    }];
    let mut entries: Vec<Entry> = Vec::new();
    let first = plan(&entries, &scan(root).expect("scan"), &objects, false);
    for action in first.actions {
        let Action::Write {
            id,
            kind,
            path,
            text,
            heads,
        } = action
        else {
            panic!("expected only writes, got {action:?}");
        };
        let hash = write_file(root, &path, &text).expect("write");
        entries.push(Entry {
            id,
            kind,
            path,
            hash,
            base: text,
            heads,
        });
    }
    assert_eq!(entries[0].path, PathBuf::from("pages/con_.md"));
    let again = plan(&entries, &scan(root).expect("scan"), &objects, false);
    assert!(again.actions.is_empty(), "{:?}", again.actions);

    fs::write(
        root.join("pages/con_.md"),
        format!("---\nid: {}\n---\n# Con, edited\n", id(1)),
    )
    .expect("edit");
    let edited = plan(&entries, &scan(root).expect("scan"), &objects, false);
    assert!(
        matches!(&edited.actions[..], [Action::Apply { text, .. }] if text.contains("edited")),
        "{:?}",
        edited.actions
    );
}

/// Waits until a change that `wanted` accepts arrives (a `Rescan` always counts).
fn wait_for(rx: &Receiver<Change>, within: Duration, wanted: impl Fn(&[PathBuf]) -> bool) {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(Change::Rescan) => return,
            Ok(Change::Paths(paths)) if wanted(&paths) => return,
            Ok(other) => seen.push(other),
            Err(_) => break,
        }
    }
    panic!("no matching change within {within:?}; saw {seen:?}");
}

fn drain(rx: &Receiver<Change>) {
    while rx.recv_timeout(Duration::from_millis(400)).is_ok() {}
}

fn has(paths: &[PathBuf], p: &str) -> bool {
    paths.iter().any(|x| x == Path::new(p))
}

#[test]
fn watcher_sees_editor_saves_and_new_folders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::create_dir_all(root.join("pages")).expect("mkdir");
    fs::write(root.join("pages/a.md"), "one").expect("write");
    let (watcher, rx) = Watcher::start(root).expect("start");
    let within = Duration::from_secs(2);

    // In place (truncate + write).
    fs::write(root.join("pages/a.md"), "two").expect("write");
    wait_for(&rx, within, |p| has(p, "pages/a.md"));
    drain(&rx);

    // Temp file, then rename over (gedit, vim with backupcopy=no).
    fs::write(root.join("pages/.a.md.swp"), "three").expect("write temp");
    fs::rename(root.join("pages/.a.md.swp"), root.join("pages/a.md")).expect("rename");
    wait_for(&rx, within, |p| has(p, "pages/a.md"));
    drain(&rx);

    // A new folder with a file written at once (the watch on it may come too late).
    fs::create_dir_all(root.join("pages/new/deeper")).expect("mkdir");
    fs::write(root.join("pages/new/deeper/b.md"), "b").expect("write");
    wait_for(&rx, within, |p| has(p, "pages/new/deeper/b.md"));

    // Dropping stops it: the channel disconnects.
    drop(watcher);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            _ if Instant::now() > deadline => panic!("watcher still running after drop"),
            _ => {}
        }
    }
}

#[test]
fn polling_watcher_sees_a_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::create_dir_all(root.join("pages")).expect("mkdir");
    fs::write(root.join("pages/a.md"), "one").expect("write");
    let (watcher, rx) = Watcher::start_polling(root).expect("start");
    assert!(watcher.is_polling());
    // Let the first poll take its snapshot, then change the size (mtime granularity).
    std::thread::sleep(Duration::from_millis(300));
    fs::write(root.join("pages/a.md"), "one and more").expect("write");
    fs::write(root.join("pages/new.md"), "new").expect("write");
    wait_for(&rx, Duration::from_secs(6), |p| {
        has(p, "pages/a.md") || has(p, "pages/new.md")
    });
}
