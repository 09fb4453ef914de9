//! The mirror's folders as a user meets them: the page tree as folders (a sub-page is
//! written in its parent's folder, a file moved into a page's folder gets that page as its
//! parent, an imported page is written where it was imported from), the folder's marker
//! (an unmounted or replaced folder, or another workspace's, is never read as "every file
//! deleted"), and deletions held back by the guard shown by `--status`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::mirror::{count, file_of, listing, mirror_once, reconcile, show};
use crate::{init, json, meridian, ok};

fn page(d: &Path, title: &str, parent: Option<&str>) -> String {
    let mut args = vec!["page", "new", "--title", title, "--body", "Some text.\n"];
    if let Some(p) = parent {
        args.extend(["--parent", p]);
    }
    json(d, &args)["id"].as_str().expect("id").to_owned()
}

fn rel(folder: &Path, p: &Path) -> String {
    p.strip_prefix(folder)
        .expect("inside the folder")
        .to_string_lossy()
        .into_owned()
}

/// The Markdown files under `folder`, relative, `/`-separated, sorted.
fn md_files(folder: &Path) -> Vec<String> {
    listing(folder)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

fn parent_of(d: &Path, id: &str) -> Value {
    show(d, id)["parent"].clone()
}

#[test]
fn sub_pages_live_in_their_parents_folder_and_moving_a_file_moves_the_page() {
    let d = init();
    let remote = page(d.path(), "Remote work", None);
    let async_ = page(d.path(), "Async first", Some(&remote));
    let writing = page(d.path(), "Writing things down", Some(&async_));
    let hiring = page(d.path(), "Hiring", None);
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let r = reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    assert_eq!(count(&r, "written"), 4, "{r}");
    assert_eq!(
        rel(&folder, &file_of(&folder, &remote)),
        "pages/remote-work.md"
    );
    assert_eq!(
        rel(&folder, &file_of(&folder, &async_)),
        "pages/remote-work/async-first.md"
    );
    assert_eq!(
        rel(&folder, &file_of(&folder, &writing)),
        "pages/remote-work/async-first/writing-things-down.md"
    );

    // Moving a file into another page's folder makes that page its parent; the file's
    // own sub-pages stay where they are (their parent is still the same page).
    let from = file_of(&folder, &async_);
    std::fs::create_dir_all(folder.join("pages/hiring")).expect("mkdir");
    let to = folder.join("pages/hiring/async-first.md");
    std::fs::rename(&from, &to).expect("mv");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "moved"), 1, "{r}");
    assert_eq!(parent_of(d.path(), &async_), Value::from(hiring.clone()));
    assert_eq!(parent_of(d.path(), &writing), Value::from(async_.clone()));
    // The front matter says the new parent (written back), and nothing else was made.
    let text = std::fs::read_to_string(&to).expect("read");
    assert!(text.contains(&format!("parent: {hiring}")), "{text}");
    assert_eq!(md_files(&folder).len(), 4, "{:?}", md_files(&folder));

    // Moving it to the top of `pages/` makes it a top-level page.
    let top = folder.join("pages/async-first.md");
    std::fs::rename(&to, &top).expect("mv");
    reconcile(d.path(), &[]);
    assert_eq!(parent_of(d.path(), &async_), Value::Null);

    // A new file in a page's folder becomes a sub-page of it.
    std::fs::write(
        folder.join("pages/hiring/interviews.md"),
        "# Interviews\n\nHow we interview.\n",
    )
    .expect("write");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "created"), 1, "{r}");
    let tree = json(d.path(), &["page", "tree"]);
    let interviews = tree
        .as_array()
        .expect("tree")
        .iter()
        .find(|n| n["title"] == "Interviews")
        .unwrap_or_else(|| panic!("{tree}"));
    assert_eq!(interviews["parent"], Value::from(hiring));
}

#[test]
fn an_imported_folder_is_mirrored_where_its_files_were() {
    let source = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(source.path().join("guide/remote")).expect("mkdir");
    std::fs::write(
        source.path().join("guide/remote/index.md"),
        "# Remote\n\nSee [async](../async/index.md) and [[tools]].\n",
    )
    .expect("write");
    std::fs::create_dir_all(source.path().join("guide/async")).expect("mkdir");
    std::fs::write(source.path().join("guide/async/index.md"), "# Async\n").expect("write");
    std::fs::write(source.path().join("guide/tools.md"), "# Our tools\n").expect("write");
    let d = init();
    ok(
        d.path(),
        &["import", source.path().to_str().expect("UTF-8")],
    );
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let r = reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    assert_eq!(count(&r, "written"), 3, "{r}");
    assert_eq!(
        md_files(&folder),
        [
            "pages/guide/async/index.md",
            "pages/guide/remote/index.md",
            "pages/guide/tools.md"
        ]
    );
    // The relative link in the file still points at the file it named.
    let remote = std::fs::read_to_string(folder.join("pages/guide/remote/index.md")).expect("read");
    assert!(remote.contains("[async](../async/index.md)"), "{remote}");
}

#[test]
fn a_replaced_or_foreign_folder_is_refused_and_nothing_is_trashed() {
    let d = init();
    let ids: Vec<String> = (0..3)
        .map(|i| page(d.path(), &format!("Page {i}"), None))
        .collect();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    assert!(folder.join(".meridian-mirror").is_file());

    // The disk is unmounted and an empty folder is left in its place: three files is
    // under the mass-delete guard, so only the marker keeps them from the trash.
    let away = root.path().join("away");
    std::fs::rename(&folder, &away).expect("mv");
    std::fs::create_dir(&folder).expect("mkdir");
    let out = meridian(d.path(), &["mirror", "--once"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unmounted or replaced"), "{stderr}");
    let trashed = json(d.path(), &["list", "--all"]);
    assert!(
        trashed
            .as_array()
            .expect("list")
            .iter()
            .all(|o| o["trashed"] != true),
        "{trashed}"
    );

    // Mounted again: back in step, nothing to do.
    std::fs::remove_dir(&folder).expect("rmdir");
    std::fs::rename(&away, &folder).expect("mv");
    let r = reconcile(d.path(), &[]);
    assert_eq!(
        count(&r, "trashed") + count(&r, "written") + count(&r, "created"),
        0,
        "{r}"
    );

    // Another workspace may not mirror into this folder.
    let other = init();
    let out = meridian(
        other.path(),
        &["mirror", folder.to_str().expect("UTF-8"), "--once"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another workspace"), "{stderr}");
    assert!(ids.iter().all(|id| file_of(&folder, id).is_file()));
}

#[test]
fn held_deletions_are_shown_by_status_until_they_are_allowed() {
    let d = init();
    let ids: Vec<String> = (0..8)
        .map(|i| page(d.path(), &format!("Page {i}"), None))
        .collect();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    let files: Vec<PathBuf> = ids.iter().map(|id| file_of(&folder, id)).collect();
    for f in &files[..7] {
        std::fs::remove_file(f).expect("rm");
    }
    let (success, _, _) = mirror_once(d.path(), &[]);
    assert!(!success);
    let status = json(d.path(), &["mirror", "--status"]);
    assert_eq!(status["held_deletes"]["gone"], 7, "{status}");
    let human = ok(d.path(), &["mirror", "--status"]);
    assert!(human.contains("held      7 of 8"), "{human}");
    reconcile(d.path(), &["--allow-mass-delete"]);
    let status = json(d.path(), &["mirror", "--status"]);
    assert_eq!(status["held_deletes"], Value::Null, "{status}");
}

#[test]
fn renaming_a_file_rewrites_the_links_that_named_it_in_the_other_files() {
    let source = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(source.path().join("features")).expect("mkdir");
    std::fs::write(
        source.path().join("features/graph-view.md"),
        "# Graph Visualization\n\nThe graph.\n",
    )
    .expect("write");
    std::fs::write(
        source.path().join("index.md"),
        "# Home\n\nSee [[graph-view#Usage|the graph]] and [the graph](features/graph-view.md).\n",
    )
    .expect("write");
    let d = init();
    ok(
        d.path(),
        &["import", source.path().to_str().expect("UTF-8")],
    );
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    assert!(folder.join("pages/features/graph-view.md").is_file());

    std::fs::create_dir_all(folder.join("pages/views")).expect("mkdir");
    std::fs::rename(
        folder.join("pages/features/graph-view.md"),
        folder.join("pages/views/graph.md"),
    )
    .expect("mv");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "moved"), 1, "{r}");
    let home = std::fs::read_to_string(folder.join("pages/index.md")).expect("read");
    assert!(
        home.contains("[[graph#Usage|the graph]]") && home.contains("[the graph](views/graph.md)"),
        "{home}"
    );
    // The links still find the page, and nothing is left unresolved.
    let unresolved = json(d.path(), &["page", "links", "--unresolved"]);
    assert_eq!(unresolved, serde_json::json!([]), "{unresolved}");
}
