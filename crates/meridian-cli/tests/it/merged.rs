//! Issue 19, parts 2 and 4, between two devices through a real relay: the what-merged list
//! after concurrent offline edits (the same paragraph, a title, a trash against an edit),
//! restore-as-new-edit of overwritten text on both devices, and the trash: who and when,
//! restore, the many-objects guard, and a purge no device or relay brings back.

use std::path::Path;

use serde_json::Value;

use crate::sync::{Relay, files_contain, join, once, page, page_id};
use crate::{fails, init, json, ok};

fn new_page(dir: &Path, title: &str, body: &str) -> String {
    json(dir, &["page", "new", "--title", title, "--body", body])["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn edit_body(dir: &Path, id: &str, body: &str) {
    ok(dir, &["page", "edit", id, "--body", body]);
}

/// The what-merged report of `id`, if any.
fn report(dir: &Path, id: &str) -> Option<Value> {
    json(dir, &["merged"])
        .as_array()
        .expect("a list")
        .iter()
        .find(|r| r["object"] == id)
        .cloned()
}

fn entries<'a>(report: &'a Value, what: &str) -> Vec<&'a Value> {
    report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["item"]["what"] == what)
        .collect()
}

fn index_of(report: &Value, entry: &Value) -> String {
    report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .position(|e| e == entry)
        .expect("entry in its report")
        .to_string()
}

const PLAN: &str = "Intro.\n\nWe ship on Monday at noon.\n\nEnd.\n";
const PLAN_A: &str = "Intro.\n\nWe ship on Tuesday at noon.\n\nEnd.\n";
const PLAN_B: &str = "Intro.\n\nWe ship on Friday after lunch.\n\nEnd.\n";

#[test]
fn what_merged_names_concurrent_edits_on_both_devices_and_restores_lost_text_on_both() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let (a, a_dir) = (a.path(), &a);
    let plan = new_page(a, "Plan", PLAN);
    let notes = new_page(a, "Notes", "Some notes.\n");
    let old = new_page(a, "Old ideas", "First idea.\n");
    let b_dir = join(a, &relay, "Bea", "editor");
    let b = b_dir.path();
    let _ = a_dir;

    // A sync without concurrency reports nothing.
    edit_body(a, &notes, "Some notes.\nMore.\n");
    once(a);
    once(b);
    once(a);
    assert_eq!(json(a, &["merged"]), serde_json::json!([]));
    assert_eq!(json(b, &["merged"]), serde_json::json!([]));

    // Offline from each other: the same paragraph, the same title, a trash against an edit.
    edit_body(a, &plan, PLAN_A);
    edit_body(b, &plan, PLAN_B);
    ok(a, &["page", "edit", &notes, "--title", "Notes (Ada)"]);
    ok(b, &["page", "edit", &notes, "--title", "Notes (Bea)"]);
    json(a, &["trash", &old]);
    edit_body(b, &old, "First idea.\nSecond idea.\n");
    once(a);
    once(b); // B merges A's changes into its own: B reports.
    once(a); // A merges B's: A reports too.

    for (dir, me, other) in [(b, PLAN_B, PLAN_A), (a, PLAN_A, PLAN_B)] {
        let r = report(dir, &plan).unwrap_or_else(|| panic!("no report of the plan"));
        let paragraphs = entries(&r, "paragraph");
        assert_eq!(paragraphs.len(), 1, "{r}");
        let p = &paragraphs[0]["item"];
        assert_eq!(p["base"], "We ship on Monday at noon.\n");
        assert_eq!(
            p["mine"],
            me.lines().nth(2).expect("line").to_owned() + "\n"
        );
        assert_eq!(
            p["theirs"],
            other.lines().nth(2).expect("line").to_owned() + "\n"
        );
        assert!(
            page(dir, &plan)["body"]
                .as_str()
                .expect("body")
                .contains(p["merged"].as_str().expect("merged")),
            "the merged paragraph is the page's"
        );

        let r = report(dir, &notes).expect("a report of the notes");
        let fields = entries(&r, "field");
        assert_eq!(fields.len(), 1, "{r}");
        let f = &fields[0]["item"];
        assert_eq!(f["field"], "title");
        let title = page(dir, &notes)["title"].clone();
        assert_eq!(f["merged"], title);
        let lost = f["overwritten"].as_str().expect("one side overwritten");
        assert_eq!(f[if lost == "mine" { "theirs" } else { "mine" }], title);

        let r = report(dir, &old).expect("a report of the trashed page");
        let t = entries(&r, "trashedWhileEdited");
        assert_eq!(t.len(), 1, "{r}");
        assert_eq!(t[0]["item"]["inTrash"], true);
        assert_eq!(t[0]["item"]["edited"], serde_json::json!(["body"]));
    }
    let on_b = report(b, &old).expect("report");
    assert_eq!(
        entries(&on_b, "trashedWhileEdited")[0]["item"]["trashedBy"],
        "theirs"
    );
    let on_a = report(a, &old).expect("report");
    assert_eq!(
        entries(&on_a, "trashedWhileEdited")[0]["item"]["trashedBy"],
        "mine"
    );
    let text = ok(b, &["merged"]);
    assert!(
        text.contains("both edited the same paragraph of body"),
        "{text}"
    );

    // B brings back the title it lost, or A does: either way, on both devices.
    let (loser, r) = [(a, report(a, &notes)), (b, report(b, &notes))]
        .into_iter()
        .find_map(|(dir, r)| {
            let r = r?;
            let f = entries(&r, "field")[0].clone();
            (f["item"]["overwritten"] == "mine").then_some((dir, r))
        })
        .expect("the device whose title lost");
    let f = entries(&r, "field")[0].clone();
    let want = f["item"]["mine"].clone();
    json(
        loser,
        &[
            "merged",
            "restore",
            &notes,
            "--entry",
            &index_of(&r, &f),
            "--side",
            "mine",
        ],
    );
    assert_eq!(page(loser, &notes)["title"], want);

    // And a paragraph: each side's words that the merge lost come back as a new edit.
    let r = report(b, &plan).expect("report");
    let p = entries(&r, "paragraph")[0].clone();
    let side = p["restorable"][0]
        .as_str()
        .expect("something was lost")
        .to_owned();
    let wanted = p["item"][&side].as_str().expect("version").to_owned();
    let restored = json(
        b,
        &[
            "merged",
            "restore",
            &plan,
            "--entry",
            &index_of(&r, &p),
            "--side",
            &side,
        ],
    );
    assert!(restored.to_string().contains(&side), "{restored}");
    assert!(
        page(b, &plan)["body"]
            .as_str()
            .expect("body")
            .contains(&wanted)
    );
    // The report records what was brought back.
    let again = entries(&report(b, &plan).expect("report"), "paragraph")[0].clone();
    assert_eq!(again["restored"], serde_json::json!([side]));

    once(b);
    once(a);
    once(b);
    once(a);
    for dir in [a, b] {
        assert!(
            page(dir, &plan)["body"]
                .as_str()
                .expect("body")
                .contains(&wanted),
            "the restored paragraph is on both devices"
        );
        assert_eq!(page(dir, &notes)["title"], want, "the restored title too");
    }
    assert_eq!(page(a, &plan), page(b, &plan));

    // Dismissed reports are gone, and stay gone after a restart (a new process).
    ok(b, &["merged", "dismiss", &plan]);
    assert!(report(b, &plan).is_none());
    assert!(report(b, &notes).is_some());
    let err = fails(b, &["merged", "dismiss", &plan]);
    assert!(err.contains("no report in the what-merged list"), "{err}");
    drop(relay);
}

#[test]
fn the_trash_says_who_and_when_asks_before_many_and_a_purge_never_comes_back() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let a = a.path().to_owned();
    let a = a.as_path();
    let doomed = new_page(a, "Doomed draft", "Secret plans.\n");
    let kept = new_page(a, "Kept", "Stays.\n");
    let b_dir = join(a, &relay, "Bea", "editor");
    let b = b_dir.path();

    // Trashed on A; B sees who and when.
    json(a, &["trash", &doomed]);
    once(a);
    once(b);
    for dir in [a, b] {
        let list = json(dir, &["trash", "list"]);
        let rows = list.as_array().expect("rows");
        assert_eq!(rows.len(), 1, "{list}");
        assert_eq!(rows[0]["id"], doomed.as_str());
        assert_eq!(rows[0]["trashed_by_name"], "Ada", "{list}");
        assert!(
            rows[0]["trashed_at"]
                .as_str()
                .is_some_and(|t| t.starts_with("20"))
        );
    }
    let text = ok(b, &["trash", "list"]);
    assert!(
        text.contains("Doomed draft") && text.contains("trashed by Ada"),
        "{text}"
    );

    // Restore and trash again through `trash restore`.
    json(b, &["trash", "restore", &doomed]);
    assert!(
        json(b, &["trash", "list"])
            .as_array()
            .expect("rows")
            .is_empty()
    );
    json(b, &["trash", &doomed]);

    // A purge is refused without --yes, and of an object not in the trash.
    let err = fails(a, &["trash", "purge", &kept]);
    assert!(err.contains("--yes"), "{err}");
    let err = fails(a, &["trash", "purge", &kept, "--yes"]);
    assert!(err.contains("not in the trash"), "{err}");

    // B edits the doomed page (in its trash) while A purges it.
    once(b);
    once(a);
    edit_body(b, &doomed, "Secret plans, revised.\n");
    let purged = json(a, &["trash", "purge", &doomed, "--yes"]);
    assert_eq!(purged["purged"]["id"], doomed.as_str());
    assert!(fails(a, &["show", &doomed]).contains("no object"));
    once(a);
    once(b); // B sends its edit, learns the purge, deletes its copy.
    once(a); // A receives B's edit of a purged object: ignored.
    once(b);
    for dir in [a, b] {
        let err = fails(dir, &["show", &doomed]);
        assert!(err.contains("no object"), "{err}");
        let all = json(dir, &["list", "--all"]).to_string();
        assert!(!all.contains(&doomed), "{all}");
        assert!(
            json(dir, &["trash", "list"])
                .as_array()
                .expect("rows")
                .is_empty()
        );
        assert_eq!(page(dir, &kept)["title"], "Kept");
    }

    // A device joining now downloads everything the relay holds: still no trace.
    let c_dir = join(a, &relay, "Cy", "editor");
    let c = c_dir.path();
    once(c);
    assert!(page_id(c, "Kept").len() == 32);
    assert!(!json(c, &["list", "--all"]).to_string().contains(&doomed));
    assert!(fails(c, &["show", &doomed]).contains("no object"));
    drop(relay);
    let hits = files_contain(relay_dir.path(), b"Secret plans");
    assert!(hits.is_empty(), "readable on the relay: {hits:?}");

    // The guard: one action that trashes more than five objects asks first.
    let parent = new_page(a, "Handbook", "Top.\n");
    for i in 0..5 {
        json(
            a,
            &[
                "page",
                "new",
                "--title",
                &format!("Chapter {i}"),
                "--body",
                "x\n",
                "--parent",
                &parent,
            ],
        );
    }
    let err = fails(a, &["trash", &parent, "--with-subpages"]);
    assert!(err.contains("6 objects") && err.contains("--yes"), "{err}");
    assert!(
        json(a, &["trash", "list"])
            .as_array()
            .expect("rows")
            .is_empty()
    );
    let moved = json(a, &["trash", &parent, "--with-subpages", "--yes"]);
    assert_eq!(moved.as_array().expect("rows").len(), 6);
    assert_eq!(
        json(a, &["trash", "list"]).as_array().expect("rows").len(),
        6
    );
}
