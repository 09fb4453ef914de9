//! `meridian mirror` as a user meets it (ADR 0008): a real folder changed the way editors,
//! git, scripts and a teammate on another device change it, reconciled with `--once` or by
//! the mirror running in the background. Every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::sync::{Relay, join, once as sync_once};
use crate::{init, json, meridian, ok};

/// `meridian --json mirror ARGS… --once`: whether it succeeded, its report, its stderr.
pub(crate) fn mirror_once(d: &Path, args: &[&str]) -> (bool, Value, String) {
    let mut all = vec!["--json", "mirror"];
    all.extend_from_slice(args);
    all.push("--once");
    let out = meridian(d, &all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("mirror {args:?} printed no JSON report ({e}): {stdout}"));
    (
        out.status.success(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `mirror --once` that must succeed; returns its report.
pub(crate) fn reconcile(d: &Path, args: &[&str]) -> Value {
    let (success, report, stderr) = mirror_once(d, args);
    assert!(success, "mirror {args:?} failed: {stderr}\n{report}");
    report
}

pub(crate) fn count(report: &Value, field: &str) -> u64 {
    report[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {report}"))
}

fn new_page(d: &Path, title: &str, body: &str) -> String {
    json(d, &["page", "new", "--title", title, "--body", body])["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

pub(crate) fn show(d: &Path, id: &str) -> Value {
    json(d, &["show", id])
}

fn body(d: &Path, id: &str) -> String {
    show(d, id)["body"].as_str().expect("body").to_owned()
}

/// `list --all`: (id, kind, title, trashed) of every page and decision.
pub(crate) fn listed(d: &Path) -> Vec<(String, String, String, bool)> {
    json(d, &["list", "--all"])
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["kind"] == "page" || r["kind"] == "decision")
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                r["kind"].as_str().expect("kind").to_owned(),
                r["title"].as_str().expect("title").to_owned(),
                r["trashed"].as_bool().expect("trashed"),
            )
        })
        .collect()
}

fn is_trashed(d: &Path, id: &str) -> bool {
    listed(d)
        .iter()
        .find(|r| r.0 == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
        .3
}

pub(crate) fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub(crate) fn write(p: &Path, text: &str) {
    std::fs::write(p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

/// Every file and folder under `dir`, relative, sorted (symlinks not followed).
pub(crate) fn listing(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read dir").flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).expect("inside").to_owned());
            if e.file_type().expect("file type").is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The `.md` file under `dir` whose front matter has `id: ID`.
pub(crate) fn file_of(dir: &Path, id: &str) -> PathBuf {
    listing(dir)
        .into_iter()
        .map(|p| dir.join(p))
        .find(|p| {
            p.extension().is_some_and(|e| e == "md")
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains(&format!("id: {id}\n")))
        })
        .unwrap_or_else(|| panic!("no file with id {id} in {:?}", listing(dir)))
}

/// Polls `f` until it holds or `secs` pass.
pub(crate) fn within(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    f()
}

/// `meridian mirror DIR` running in the background.
pub(crate) struct Mirroring(Child);

impl Mirroring {
    pub(crate) fn start(d: &Path, folder: &Path) -> Mirroring {
        Mirroring::start_with(d, folder, &[], Stdio::null())
    }

    /// As [`Mirroring::start`], with more environment (`MERIDIAN_LOG`, say) and its stderr
    /// sent to `stderr`.
    pub(crate) fn start_with(
        d: &Path,
        folder: &Path,
        env: &[(&str, &str)],
        stderr: Stdio,
    ) -> Mirroring {
        Mirroring(
            Command::new(env!("CARGO_BIN_EXE_meridian"))
                .arg("--data-dir")
                .arg(d)
                .arg("mirror")
                .arg(folder)
                .env_remove("MERIDIAN_DATA_DIR")
                .env("MERIDIAN_KEYCHAIN", "off")
                .env("MERIDIAN_NO_LAN", "1")
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .expect("start meridian mirror"),
        )
    }
}

impl Mirroring {
    /// Sends `signal` (e.g. `STOP`, `CONT`) to the mirror process.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.0.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal}");
    }

    /// Ctrl-C, as a person stops it: the pass under way finishes. Returns whether it
    /// exited cleanly within 10 s.
    pub(crate) fn stop(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.0.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Mirroring {
    fn drop(&mut self) {
        if !matches!(self.0.try_wait(), Ok(Some(_))) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

const ALPHA: &str = "Alpha paragraph: we plan in writing.";
const BETA: &str = "Beta paragraph: reviews happen on Fridays.";

fn two_paragraphs() -> String {
    format!("{ALPHA}\n\n{BETA}\n")
}

/// The file's text with the alpha paragraph replaced by `alpha`.
fn with_alpha(text: &str, alpha: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("Alpha"))
        .unwrap_or_else(|| panic!("no alpha paragraph in {text}"));
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == at {
            out.push_str(alpha);
            out.push('\n');
        } else {
            out.push_str(l);
        }
    }
    out
}

/// An editor's save strategies: each replaces `file` by `text`.
type Save = fn(&Path, &str);

fn save_in_place(file: &Path, text: &str) {
    write(file, text);
}

fn save_rename_over(file: &Path, text: &str) {
    let tmp = file.with_file_name("plans.md.tmp-4913");
    write(&tmp, text);
    std::fs::rename(&tmp, file).expect("rename over");
}

/// vim with `backupcopy=no`: the original becomes `file~`, a new file is written, the
/// backup is deleted.
fn save_vim_backup(file: &Path, text: &str) {
    let backup = file.with_file_name("plans.md~");
    std::fs::rename(file, &backup).expect("rename to backup");
    write(file, text);
    std::fs::remove_file(&backup).expect("remove backup");
}

#[test]
fn editor_saves_apply_the_edit_and_keep_everything_else() {
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let id = new_page(d.path(), "Plans", &two_paragraphs());
    let file = folder.join("pages/plans.md");

    // Live: the mirror runs in the background; in-place and rename-over saves flow in.
    {
        let mut live = Mirroring::start(d.path(), &folder);
        assert!(within(10, || file.exists()), "the mirror writes the page");
        let saves: [(&str, Save); 2] = [
            ("in place", save_in_place),
            ("rename over", save_rename_over),
        ];
        for (name, save) in saves {
            let alpha = format!("Alpha paragraph, saved {name}.");
            save(&file, &with_alpha(&read(&file), &alpha));
            assert!(
                within(5, || body(d.path(), &id).contains(&alpha)),
                "{name}: the save reached the object: {}",
                body(d.path(), &id)
            );
            assert!(body(d.path(), &id).contains(BETA), "{name}");
            let text = read(&file);
            assert!(
                text.contains(&alpha) && text.contains(BETA),
                "{name}: {text}"
            );
        }
        // Stopped as a person stops it, so no pass is cut off between storing the object
        // and the mirror's memory (a SIGKILL there makes the next edit merge against an
        // older base).
        assert!(live.stop(), "the mirror stops on Ctrl-C");
    }

    // Once: the same strategies and vim's backup dance, then a stale buffer.
    let saves: [(&str, Save); 3] = [
        ("in place (once)", save_in_place),
        ("rename over (once)", save_rename_over),
        ("vim backupcopy=no", save_vim_backup),
    ];
    for (name, save) in saves {
        let alpha = format!("Alpha paragraph, saved {name}.");
        save(&file, &with_alpha(&read(&file), &alpha));
        let r = reconcile(d.path(), &[]);
        assert_eq!(count(&r, "applied"), 1, "{name}: {r}");
        assert_eq!(
            count(&r, "created") + count(&r, "trashed"),
            0,
            "{name}: {r}"
        );
        let b = body(d.path(), &id);
        assert!(b.contains(&alpha) && b.contains(BETA), "{name}: {b}");
        let text = read(&file);
        assert!(
            text.contains(&alpha) && text.contains(BETA),
            "{name}: {text}"
        );
        assert!(!folder.join("pages/plans.md~").exists());
    }

    // A swap file appearing and vanishing is ignored.
    let before = listed(d.path());
    let swap = folder.join("pages/.plans.md.swp");
    write(&swap, "b0VIM 9.0\0\0binary swap");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "created") + count(&r, "applied"), 0, "{r}");
    std::fs::remove_file(&swap).expect("remove swap");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "created") + count(&r, "trashed"), 0, "{r}");
    assert_eq!(listed(d.path()), before, "nothing created or trashed");

    // A stale buffer: the editor loaded the file, then the object's other paragraph was
    // edited (here through `page edit`), then the editor saves its old text with its edit.
    let buffer = read(&file);
    let current = body(d.path(), &id);
    let remote_beta = "Beta paragraph, edited elsewhere meanwhile.";
    ok(
        d.path(),
        &[
            "page",
            "edit",
            &id,
            "--body",
            &current.replace(BETA, remote_beta),
        ],
    );
    let alpha = "Alpha paragraph, saved from a stale buffer.";
    write(&file, &with_alpha(&buffer, alpha));
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let b = body(d.path(), &id);
    assert!(b.contains(alpha) && b.contains(remote_beta), "{b}");
    let text = read(&file);
    assert!(
        text.contains(alpha) && text.contains(remote_beta),
        "the merged result is written back to the file:\n{text}"
    );
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "written") + count(&r, "applied"), 0, "{r}");
}

#[test]
fn a_file_edit_and_a_teammates_edit_through_the_relay_both_survive() {
    let relay_dir = tempfile::tempdir().expect("temp dir");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let id = new_page(a.path(), "Plans", &two_paragraphs());
    let b = join(a.path(), &relay, "Bea", "editor");
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    reconcile(a.path(), &[folder.to_str().expect("UTF-8")]);
    let file = folder.join("pages/plans.md");

    let remote_beta = "Beta paragraph, edited by Bea on her laptop.";
    ok(
        b.path(),
        &[
            "page",
            "edit",
            &id,
            "--body",
            &two_paragraphs().replace(BETA, remote_beta),
        ],
    );
    sync_once(b.path());
    let sed = Command::new("sed")
        .arg("-i")
        .arg("s/^Alpha paragraph: .*/Alpha paragraph, edited by Ada in her editor./")
        .arg(&file)
        .status()
        .expect("run sed");
    assert!(sed.success());
    sync_once(a.path());
    let r = reconcile(a.path(), &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    sync_once(a.path());
    sync_once(b.path());
    let alpha = "Alpha paragraph, edited by Ada in her editor.";
    for (who, d) in [("A", a.path()), ("B", b.path())] {
        let text = body(d, &id);
        assert!(
            text.contains(alpha) && text.contains(remote_beta),
            "{who}: {text}"
        );
    }
    let text = read(&file);
    assert!(
        text.contains(alpha) && text.contains(remote_beta),
        "A's file:\n{text}"
    );
}

#[test]
fn front_matter_changes_apply_and_invalid_values_are_refused_without_losing_the_file() {
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let id = new_page(d.path(), "Plans", &two_paragraphs());
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    let file = folder.join("pages/plans.md");

    let text = read(&file).replace(
        "title: Plans\n",
        "title: Plans for Q3\ntags:\n- q3\n- planning\n",
    );
    write(&file, &text);
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let page = show(d.path(), &id);
    assert_eq!(page["title"], "Plans for Q3", "{page}");
    assert_eq!(
        page["tags"],
        serde_json::json!(["q3", "planning"]),
        "{page}"
    );
    assert!(file.exists(), "a title change never renames the file");

    // A value the rules refuse (a decision going from draft to superseded) and a text edit
    // in the same save: the whole save is refused (a file is not applied field by field),
    // the object keeps what it had, and the file is left exactly as the person saved it,
    // so fixing the value applies the text edit too.
    let dec = json(
        d.path(),
        &[
            "decision",
            "new",
            "--title",
            "Use Postgres",
            "--context",
            "We need a DB.",
        ],
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    reconcile(d.path(), &[]);
    let dfile = file_of(&folder, &dec);
    let saved = read(&dfile)
        .replace("status: draft", "status: superseded")
        .replace("We need a DB.", "We need a database.");
    write(&dfile, &saved);
    let (success, r, _) = mirror_once(d.path(), &[]);
    assert!(!success, "{r}");
    let reason = r["refused"][0]["reason"].as_str().expect("reason");
    assert!(
        reason.contains("cannot go from draft to superseded"),
        "{reason}"
    );
    assert_eq!(
        r["refused"][0]["path"],
        format!(
            "decisions/{}",
            dfile.file_name().expect("name").to_str().expect("UTF-8")
        )
    );
    assert_eq!(read(&dfile), saved, "the file is not overwritten");
    let decision = show(d.path(), &dec);
    assert_eq!(decision["status"], "draft", "{decision}");
    assert_eq!(
        decision["context"], "We need a DB.",
        "nothing applied: {decision}"
    );
    let status = json(d.path(), &["mirror", "--status"]);
    assert_eq!(
        status["refused"].as_array().map(Vec::len),
        Some(1),
        "{status}"
    );
    write(
        &dfile,
        &saved.replace("status: superseded", "status: proposed"),
    );
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let decision = show(d.path(), &dec);
    assert_eq!(decision["status"], "proposed", "{decision}");
    assert!(
        decision["context"]
            .as_str()
            .expect("context")
            .contains("We need a database."),
        "{decision}"
    );
    let status = json(d.path(), &["mirror", "--status"]);
    assert_eq!(status["refused"], serde_json::json!([]), "{status}");
}

/// A `review_by:` that is no date refuses the whole file with the reason (the importer
/// would keep it as a property: right for a one-time import, not for an edit), and once it
/// is fixed the rest of the edit applies.
#[test]
fn an_invalid_review_by_in_a_page_file_is_refused() {
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let id = new_page(d.path(), "Plans for Q3", &two_paragraphs());
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    let file = folder.join("pages/plans-for-q3.md");
    let before = body(d.path(), &id);
    let saved = with_alpha(
        &read(&file).replace(
            "title: Plans for Q3\n",
            "title: Plans for Q3\nreview_by: not-a-date\n",
        ),
        "Alpha paragraph, edited together with a bad date.",
    );
    write(&file, &saved);
    let (success, r, stderr) = mirror_once(d.path(), &[]);
    assert!(!success, "{r}");
    let refused = &r["refused"][0];
    assert_eq!(refused["path"], "pages/plans-for-q3.md", "{r}");
    let reason = refused["reason"].as_str().expect("reason");
    assert!(
        reason.contains("review_by") || reason.contains("date"),
        "{reason}"
    );
    assert!(stderr.contains("could not be applied"), "{stderr}");
    assert_eq!(body(d.path(), &id), before, "nothing applied");
    assert_eq!(read(&file), saved, "the file is not overwritten");
    let status = json(d.path(), &["mirror", "--status"]);
    assert_eq!(
        status["refused"][0]["path"], "pages/plans-for-q3.md",
        "{status}"
    );
    write(
        &file,
        &saved.replace("review_by: not-a-date\n", "review_by: 2027-01-15\n"),
    );
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let page = show(d.path(), &id);
    assert!(
        page["body"]
            .as_str()
            .expect("body")
            .contains("edited together with a bad date"),
        "{page}"
    );
    assert!(
        page["review_by"]
            .as_str()
            .expect("review_by")
            .starts_with("2027-01-15"),
        "{page}"
    );
    let status = json(d.path(), &["mirror", "--status"]);
    assert_eq!(status["refused"], serde_json::json!([]), "{status}");
}

#[test]
fn new_deleted_and_moved_files_and_the_mass_delete_guard() {
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let ids: Vec<String> = (0..10)
        .map(|i| new_page(d.path(), &format!("Page {i}"), &format!("Body {i}.\n")))
        .collect();
    let r = reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    assert_eq!(count(&r, "written"), 10, "{r}");

    // Deleting 8 of 10 at once is held back; allowed, they go to the trash.
    let files: Vec<PathBuf> = ids.iter().map(|id| file_of(&folder, id)).collect();
    for f in &files[..8] {
        std::fs::remove_file(f).expect("remove");
    }
    let (success, r, stderr) = mirror_once(d.path(), &[]);
    assert!(!success, "{r}");
    assert_eq!(r["held_deletes"]["gone"], 8, "{r}");
    assert!(stderr.contains("held back 8 deletions"), "{stderr}");
    // Without --json the advice says how to let them through.
    let human = meridian(d.path(), &["mirror", "--once"]);
    assert!(!human.status.success());
    let advice = String::from_utf8_lossy(&human.stderr);
    assert!(advice.contains("--allow-mass-delete"), "{advice}");
    assert!(
        ids.iter().all(|id| !is_trashed(d.path(), id)),
        "nothing trashed"
    );
    let r = reconcile(d.path(), &["--allow-mass-delete"]);
    assert_eq!(count(&r, "trashed"), 8, "{r}");
    assert!(ids[..8].iter().all(|id| is_trashed(d.path(), id)));

    // One deleted file trashes its object.
    std::fs::remove_file(&files[8]).expect("remove");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "trashed"), 1, "{r}");
    assert!(is_trashed(d.path(), &ids[8]));

    // A moved file keeps its object; the entry follows (an edit at the new path applies,
    // nothing is written at the old one).
    let moved = folder.join("pages/renamed-page-9.md");
    std::fs::rename(&files[9], &moved).expect("mv");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "moved"), 1, "{r}");
    assert_eq!(
        count(&r, "created") + count(&r, "trashed") + count(&r, "written"),
        0,
        "{r}"
    );
    assert!(!files[9].exists());
    write(
        &moved,
        &read(&moved).replace("Body 9.", "Body 9, edited after the move."),
    );
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    assert!(body(d.path(), &ids[9]).contains("edited after the move"));
    assert!(!is_trashed(d.path(), &ids[9]));

    // Trashed in the workspace: an unchanged file is removed; an edited one is kept and
    // becomes a new object (with its own id written into it, once: later passes leave it).
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "written") + count(&r, "applied"), 0, "{r}");
    ok(d.path(), &["trash", &ids[9]]);
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "removed"), 1, "{r}");
    assert!(!moved.exists());
    ok(d.path(), &["restore", &ids[9]]);
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "written"), 1, "{r}");
    let back = file_of(&folder, &ids[9]);
    write(
        &back,
        &read(&back).replace("edited after the move", "edited while trashed"),
    );
    ok(d.path(), &["trash", &ids[9]]);
    let r = reconcile(d.path(), &[]);
    assert_eq!((count(&r, "created"), count(&r, "trashed")), (1, 0), "{r}");
    let text = read(&back);
    assert!(!text.contains(&ids[9]), "the file has a new id:\n{text}");
    assert!(text.contains("edited while trashed"), "{text}");
    let r = reconcile(d.path(), &[]);
    assert_eq!(
        count(&r, "created") + count(&r, "trashed") + count(&r, "written") + count(&r, "applied"),
        0,
        "{r}"
    );
    assert_eq!(
        listed(d.path())
            .iter()
            .filter(|r| r.2 == "Page 9" && !r.3)
            .count(),
        1,
        "one live copy"
    );

    // A new page file without an id becomes a page and gets its `id:`.
    let fresh = folder.join("pages/fresh-idea.md");
    write(
        &fresh,
        "---\ntitle: Fresh idea\n---\nWritten in an editor.\n",
    );
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "created"), 1, "{r}");
    let row = listed(d.path())
        .into_iter()
        .find(|r| r.2 == "Fresh idea")
        .expect("the new page");
    assert_eq!(row.1, "page");
    let text = read(&fresh);
    assert!(text.contains(&format!("id: {}", row.0)), "{text}");
    assert!(text.contains("Written in an editor."));

    // A new MADR file under decisions/ becomes a decision.
    let madr = folder.join("decisions/0007-use-sqlite.md");
    std::fs::create_dir_all(folder.join("decisions")).expect("mkdir");
    write(
        &madr,
        "---\nstatus: proposed\n---\n# Use SQLite\n\n## Context and Problem Statement\n\nWe need local storage.\n\n## Considered Options\n\n* SQLite\n* Files\n",
    );
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "created"), 1, "{r}");
    let row = listed(d.path())
        .into_iter()
        .find(|r| r.2 == "Use SQLite")
        .expect("the new decision");
    assert_eq!(row.1, "decision");
    assert_eq!(show(d.path(), &row.0)["status"], "proposed");
    assert!(read(&madr).contains(&format!("id: {}", row.0)));
    let r = reconcile(d.path(), &[]);
    assert_eq!(
        count(&r, "written") + count(&r, "applied") + count(&r, "created"),
        0,
        "{r}"
    );
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Ada", "-c", "user.email=ada@example.com"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn git_branches_checked_out_in_the_folder_flow_in() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let ids: Vec<String> = ["One", "Two", "Three"]
        .iter()
        .map(|t| new_page(d.path(), t, &format!("{t} on main.\n")))
        .collect();
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    assert!(git(&folder, &["init", "-q", "-b", "main"]));
    assert!(git(&folder, &["add", "-A"]));
    assert!(git(&folder, &["commit", "-q", "-m", "main"]));
    assert!(git(&folder, &["checkout", "-q", "-b", "draft"]));
    for (i, t) in [(0, "One"), (1, "Two")] {
        let f = file_of(&folder, &ids[i]);
        write(
            &f,
            &read(&f).replace(&format!("{t} on main."), &format!("{t} on draft.")),
        );
    }
    assert!(git(&folder, &["rm", "-q", "pages/three.md"]));
    assert!(git(&folder, &["commit", "-q", "-am", "draft"]));
    let r = reconcile(d.path(), &[]);
    assert_eq!((count(&r, "applied"), count(&r, "trashed")), (2, 1), "{r}");
    assert_eq!(body(d.path(), &ids[0]), "One on draft.\n");
    assert!(is_trashed(d.path(), &ids[2]));

    assert!(git(&folder, &["checkout", "-q", "main"]));
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "applied"), 2, "{r}");
    assert_eq!(body(d.path(), &ids[0]), "One on main.\n");
    assert_eq!(body(d.path(), &ids[1]), "Two on main.\n");
    // The file of the trashed page is back with its old id. What happens: the trashed
    // object still exists, so the file becomes a new page (a new id, written into the
    // file); the trashed one stays in the trash.
    assert_eq!(count(&r, "created"), 1, "{r}");
    let three: Vec<_> = listed(d.path())
        .into_iter()
        .filter(|r| r.2 == "Three")
        .collect();
    let live: Vec<_> = three.iter().filter(|r| !r.3).collect();
    assert_eq!(live.len(), 1, "{three:?}");
    eprintln!(
        "git checkout back: 'Three' is live again as {} (old id {}, {})",
        live[0].0,
        ids[2],
        if live[0].0 == ids[2] {
            "restored"
        } else {
            "re-created as a new object"
        }
    );
    assert_eq!(body(d.path(), &live[0].0), "Three on main.\n");
    let r = reconcile(d.path(), &[]);
    assert_eq!(
        count(&r, "written") + count(&r, "applied") + count(&r, "created"),
        0,
        "{r}"
    );
}

#[test]
fn hostile_files_are_refused_one_by_one_and_nothing_is_written_outside() {
    use std::os::unix::ffi::OsStrExt;

    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let id = new_page(d.path(), "Plans", &two_paragraphs());
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    let outside = root.path().join("outside.md");
    write(&outside, "---\ntitle: Outside\n---\nNot the mirror's.\n");
    let pages = folder.join("pages");

    let mut big = String::from("---\ntitle: Huge\n---\n");
    while big.len() < 9 << 20 {
        big.push_str("All work and no play makes a very long page.\n");
    }
    write(&pages.join("huge.md"), &big);
    std::fs::write(
        pages.join("binary.md"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0",
    )
    .expect("binary");
    write(
        &pages.join("broken.md"),
        "---\ntitle: [unclosed\ntags: {\n---\nBody.\n",
    );
    write(
        &pages.join("extra.md"),
        "---\ntitle: Extra keys\ncolor: blue\nreviewers: [ada, bea]\n---\nBody with extra keys.\n",
    );
    std::os::unix::fs::symlink(&outside, pages.join("link.md")).expect("symlink");
    std::fs::write(
        pages.join(std::ffi::OsStr::from_bytes(b"bad-\xff-name.md")),
        "---\ntitle: Bad name\n---\nBody.\n",
    )
    .expect("invalid UTF-8 name");
    write(&pages.join("..evil.md"), "---\ntitle: Dots\n---\nBody.\n");
    write(
        &pages.join("a..b.md"),
        "---\ntitle: Double dot\n---\nBody.\n",
    );
    let parent_before = listing(root.path())
        .into_iter()
        .filter(|p| !p.starts_with("notes"))
        .collect::<Vec<_>>();
    let outside_before = read(&outside);

    let (success, r, stderr) = mirror_once(d.path(), &[]);
    assert!(!success, "{r}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let refused: Vec<(String, String)> = r["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect();
    let reason = |name: &str| {
        refused
            .iter()
            .find(|(p, _)| p.contains(name))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{name} not refused: {refused:?}"))
    };
    assert!(reason("huge.md").contains("larger than 8 MiB"));
    assert!(reason("binary.md").contains("UTF-8") || reason("binary.md").contains("binary"));
    assert!(!reason("broken.md").is_empty());
    assert!(reason("link.md").contains("symlink"));
    assert!(reason("bad-").contains("not valid UTF-8"));
    assert_eq!(refused.len(), 5, "{refused:?}");
    let status = json(d.path(), &["mirror", "--status"]);
    assert_eq!(
        status["refused"].as_array().expect("refused").len(),
        5,
        "{status}"
    );

    // The usable ones became pages: unknown front matter keys are kept as properties;
    // a dot file is ignored like editor files; `a..b.md` is just a name.
    assert_eq!(count(&r, "created"), 2, "{r}");
    let titles: Vec<String> = listed(d.path()).into_iter().map(|r| r.2).collect();
    assert!(titles.contains(&"Double dot".to_owned()), "{titles:?}");
    assert!(
        !titles
            .iter()
            .any(|t| t == "Dots" || t == "Outside" || t == "Huge"),
        "{titles:?}"
    );
    let extra = listed(d.path())
        .into_iter()
        .find(|r| r.2 == "Extra keys")
        .expect("extra keys page");
    let page = show(d.path(), &extra.0);
    eprintln!(
        "unknown front matter keys: properties = {}",
        page["properties"]
    );
    // Properties hold each value as JSON text.
    assert_eq!(page["properties"]["color"], "\"blue\"", "{page}");
    let extra_text = read(&pages.join("extra.md"));
    assert!(
        extra_text.contains("color: blue"),
        "kept in the file:\n{extra_text}"
    );

    assert_eq!(
        read(&outside),
        outside_before,
        "the symlink's target is untouched"
    );
    let parent_after: Vec<_> = listing(root.path())
        .into_iter()
        .filter(|p| !p.starts_with("notes"))
        .collect();
    assert_eq!(
        parent_after, parent_before,
        "nothing written outside the folder"
    );
    assert!(body(d.path(), &id).contains(ALPHA));

    // Once the hostile files are gone, nothing is refused any more, and `--status` says so.
    for entry in std::fs::read_dir(&pages).expect("pages").flatten() {
        let name = entry.file_name();
        let keep = name
            .to_str()
            .is_some_and(|n| ["plans.md", "extra.md", "a..b.md"].contains(&n));
        if !keep {
            std::fs::remove_file(entry.path()).expect("remove");
        }
    }
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "trashed") + count(&r, "created"), 0, "{r}");
    let status = json(d.path(), &["mirror", "--status"]);
    assert_eq!(status["refused"], serde_json::json!([]), "{status}");
}

#[test]
fn a_crash_between_writing_a_file_and_recording_it_changes_nothing() {
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let id = new_page(d.path(), "Plans for Q3", &two_paragraphs());
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    let state = d.path().join("mirror.db");
    let before_pass = std::fs::read(&state).expect("mirror.db");
    ok(
        d.path(),
        &[
            "page",
            "edit",
            &id,
            "--body",
            "Alpha, rewritten in the app.\n\nBeta paragraph.\n",
        ],
    );
    let edited = body(d.path(), &id);
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "written"), 1, "{r}");
    // The crash: the file was written, the record of it lost.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(d.path().join(format!("mirror.db{suffix}")));
    }
    std::fs::write(&state, &before_pass).expect("restore mirror.db");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "applied"), 0, "{r}");
    assert_eq!(body(d.path(), &id), edited, "the text is not doubled");
    let r = reconcile(d.path(), &[]);
    assert_eq!(count(&r, "written") + count(&r, "applied"), 0, "{r}");
}

/// A status the app does not know refuses the file (the importer alone would read it as
/// `proposed`); the object and the file stay as they were.
#[test]
fn an_unknown_decision_status_in_a_file_is_refused() {
    let d = init();
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    let dec = json(
        d.path(),
        &[
            "decision",
            "new",
            "--title",
            "Use Postgres",
            "--context",
            "We need a DB.",
        ],
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    reconcile(d.path(), &[folder.to_str().expect("UTF-8")]);
    let dfile = file_of(&folder, &dec);
    let saved = read(&dfile).replace("status: draft", "status: nonsense");
    write(&dfile, &saved);
    let (success, r, _) = mirror_once(d.path(), &[]);
    assert!(!success, "{r}");
    let reason = r["refused"][0]["reason"].as_str().expect("reason");
    assert!(reason.contains("nonsense"), "{reason}");
    assert_eq!(show(d.path(), &dec)["status"], "draft");
    assert_eq!(read(&dfile), saved, "the file is not overwritten");
}
