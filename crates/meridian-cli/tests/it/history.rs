//! `history`, `show --at`, `diff` and `restore --to`, as a user runs them; `restore ID`
//! alone still brings an object back from the trash.

use std::time::Duration;

use crate::{fails, init, json, ok};

#[test]
fn history_show_at_diff_and_restore_to_in_text_and_json() {
    let dir = init();
    let d = dir.path();
    let page = json(
        d,
        &[
            "page",
            "new",
            "--title",
            "Plan",
            "--body",
            "We launch on Friday.\n",
        ],
    );
    let id = page["id"].as_str().expect("id").to_owned();
    // Change times are kept to the second: the edit lands in a later one.
    std::thread::sleep(Duration::from_millis(1100));
    json(
        d,
        &[
            "page",
            "edit",
            &id,
            "--body",
            "We launch on Monday, after review.\n",
        ],
    );

    let h = json(d, &["history", &id]);
    let entries = h["entries"].as_array().expect("entries");
    assert_eq!(
        entries.len(),
        1,
        "typing by one device soon after is one entry: {h}"
    );
    let e = &entries[0];
    assert_eq!(e["created"], true);
    assert_eq!(e["author_name"], "Ada");
    assert_eq!(e["this_device"], true);
    assert_eq!(h["total_changes"], 2);
    // On my clock: Europe/Berlin's offset.
    let started = e["started_at"].as_str().expect("a time").to_owned();
    assert!(started.ends_with("+01:00"), "{started}");
    let text = ok(d, &["history", &id]);
    assert!(text.contains("History of page \"Plan\""), "{text}");
    assert!(text.contains("Ada (this device): created"), "{text}");

    // As it was when created, by time; now, by the entry's point.
    let old = json(d, &["show", &id, "--at", &started]);
    assert_eq!(old["object"]["body"], "We launch on Friday.\n");
    let old_point = old["point"].as_str().expect("point").to_owned();
    let now = json(
        d,
        &["show", &id, "--at", e["point"].as_str().expect("point")],
    );
    assert_eq!(
        now["object"]["body"],
        "We launch on Monday, after review.\n"
    );
    let shown = ok(d, &["show", &id, "--at", &old_point[..12]]);
    assert!(shown.contains("read-only"), "{shown}");
    assert!(shown.contains("We launch on Friday."), "{shown}");

    // The diff, field by field, prose in words.
    let diff = json(d, &["diff", &id, &old_point, "current"]);
    let changes = diff["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{diff}");
    assert_eq!(changes[0]["field"], "body");
    assert_eq!(changes[0]["change"]["type"], "text");
    assert_eq!(changes[0]["change"]["diff"]["added"], 3);
    assert_eq!(changes[0]["change"]["diff"]["removed"], 1);
    let text = ok(d, &["diff", &id, &old_point, "current"]);
    assert!(text.contains("body: +3 −1 words"), "{text}");
    assert!(
        text.contains("[-Friday.-]{+Monday, after review.+}"),
        "{text}"
    );

    // Restore: a new edit, its own entry, naming what it restored.
    let restored = json(d, &["restore", &id, "--to", &started]);
    assert_eq!(restored["restored_to"], old_point.as_str());
    assert_eq!(json(d, &["show", &id])["body"], "We launch on Friday.\n");
    let h = json(d, &["history", &id]);
    let entries = h["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{h}");
    assert_eq!(entries[0]["restored_from"], old_point.as_str());
    assert_eq!(entries[0]["summary"]["fields"][0], "body");
    assert!(ok(d, &["history", &id]).contains("restored"));
    // The version before the restore is still there.
    let before = json(
        d,
        &[
            "show",
            &id,
            "--at",
            entries[0]["before"].as_str().expect("before"),
        ],
    );
    assert_eq!(
        before["object"]["body"],
        "We launch on Monday, after review.\n"
    );

    // Paging: one entry per page, the advice names the next offset.
    let first = json(d, &["history", &id, "--limit", "1"]);
    assert_eq!(first["entries"].as_array().expect("entries").len(), 1);
    assert_eq!(first["next"], 1);
    let second = json(d, &["history", &id, "--limit", "1", "--offset", "1"]);
    assert_eq!(second["entries"][0]["created"], true);
    assert!(second["next"].is_null());
}

#[test]
fn bad_points_are_refused_with_what_to_do_and_restore_from_trash_still_works() {
    let dir = init();
    let d = dir.path();
    let page = json(d, &["page", "new", "--title", "Plan", "--body", "Text.\n"]);
    let id = page["id"].as_str().expect("id").to_owned();

    let err = fails(d, &["show", &id, "--at", "yesterday"]);
    assert!(err.contains("is not a point in history"), "{err}");
    assert!(err.contains("RFC 3339"), "{err}");
    let err = fails(d, &["show", &id, "--at", "2001-01-01T00:00:00Z"]);
    assert!(err.contains("did not exist yet"), "{err}");
    let err = fails(d, &["diff", &id, "abcdef1234", "current"]);
    assert!(err.contains("no change `abcdef1234`"), "{err}");
    let err = fails(d, &["restore", &id, "--to", "zz"]);
    assert!(err.contains("is not a point in history"), "{err}");
    let err = fails(d, &["history", "0123456789abcdef0123456789abcdef"]);
    assert!(!err.is_empty());
    // Nothing changed.
    assert_eq!(json(d, &["history", &id])["total_changes"], 1);

    // `restore ID` alone is still the trash's restore.
    ok(d, &["trash", &id]);
    assert_eq!(json(d, &["show", &id])["id"], id.as_str());
    let back = ok(d, &["restore", &id]);
    assert!(back.contains("from the trash"), "{back}");
}
