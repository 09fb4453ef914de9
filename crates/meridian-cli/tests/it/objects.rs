use crate::{init, json, ok};

#[test]
fn pages_are_created_listed_shown_and_edited() {
    let dir = init();
    let d = dir.path();
    let body = d.join("body.md");
    std::fs::write(&body, "# Onboarding\n\nWelcome to Acme — 欢迎.\n").expect("write");
    let page = json(
        d,
        &[
            "page",
            "new",
            "--title",
            "Onboarding",
            "--body-file",
            body.to_str().expect("utf8"),
            "--tag",
            "people",
        ],
    );
    let id = page["id"].as_str().expect("id").to_owned();
    assert_eq!(page["kind"], "page");
    assert_eq!(page["body"], "# Onboarding\n\nWelcome to Acme — 欢迎.\n");

    let list = json(d, &["list", "--kind", "page"]);
    let rows = list.as_array().expect("array");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(rows[0]["title"], "Onboarding");

    json(
        d,
        &[
            "page",
            "edit",
            &id,
            "--title",
            "Onboarding guide",
            "--body",
            "New body",
        ],
    );
    let shown = json(d, &["show", &id]);
    assert_eq!(shown["title"], "Onboarding guide");
    assert_eq!(shown["body"], "New body");
    assert_eq!(shown["tags"][0], "people");

    // Human output mentions the title.
    assert!(ok(d, &["list"]).contains("Onboarding guide"));
}

#[test]
fn a_decision_goes_from_draft_to_accepted_with_a_chosen_option() {
    let dir = init();
    let d = dir.path();
    let dec = json(
        d,
        &[
            "decision",
            "new",
            "--title",
            "Pick a database",
            "--context",
            "We need storage",
            "--option",
            "SQLite",
            "--option",
            "Postgres",
        ],
    );
    let id = dec["id"].as_str().expect("id").to_owned();
    assert_eq!(dec["status"], "draft");
    assert_eq!(dec["options"].as_array().expect("options").len(), 2);

    let err = crate::fails(d, &["decision", "status", &id, "accepted"]);
    assert!(err.contains("cannot go from draft to accepted"), "{err}");
    json(d, &["decision", "status", &id, "proposed"]);
    let err = crate::fails(d, &["decision", "status", &id, "accepted"]);
    assert!(err.contains("without a chosen option"), "{err}");

    json(
        d,
        &[
            "decision",
            "option",
            &id,
            "--title",
            "Files",
            "--con",
            "torn writes",
        ],
    );
    json(
        d,
        &[
            "decision",
            "choose",
            &id,
            "sqlite",
            "--rationale",
            "Embedded and tested",
        ],
    );
    let done = json(d, &["decision", "status", &id, "accepted"]);
    assert_eq!(done["status"], "accepted");
    let chosen = done["chosen_option"].as_str().expect("chosen");
    let options = done["options"].as_array().expect("options");
    assert_eq!(options.len(), 3);
    let sqlite = options
        .iter()
        .find(|o| o["id"] == chosen)
        .expect("chosen is an option");
    assert_eq!(sqlite["title"], "SQLite");
    assert_eq!(done["rationale"], "Embedded and tested");

    let list = json(d, &["list", "--kind", "decision"]);
    assert_eq!(list[0]["status"], "accepted");
}

#[test]
fn every_other_kind_can_be_created_from_the_cli() {
    let dir = init();
    let d = dir.path();
    json(
        d,
        &["member", "add", "--name", "Bo", "--tz", "Asia/Kathmandu"],
    );
    let members = json(d, &["member", "list"]);
    assert_eq!(members.as_array().expect("array").len(), 2);

    let m = json(
        d,
        &[
            "meeting",
            "new",
            "--title",
            "Planning",
            "--start",
            "2026-12-01T15:00:00Z",
            "--duration",
            "45m",
            "--with",
            "Bo",
            "--item",
            "Roadmap",
        ],
    );
    let m = json(d, &["show", m["id"].as_str().expect("id")]);
    assert_eq!(m["duration_min"], 45);
    assert_eq!(m["attendees"].as_array().expect("attendees").len(), 2);
    assert_eq!(m["agenda"][0]["title"], "Roadmap");

    let t = json(
        d,
        &[
            "thread",
            "new",
            "--kind",
            "question",
            "--to",
            "bo",
            "--title",
            "Release date?",
            "--body",
            "When?",
        ],
    );
    let t = json(d, &["show", t["id"].as_str().expect("id")]);
    assert_eq!(t["kind"], "thread");
    assert_eq!(t["message_kind"], "question");
    let err = crate::fails(
        d,
        &[
            "thread", "new", "--kind", "urgent", "--to", "Bo", "--title", "Down", "--body", "x",
        ],
    );
    assert!(err.contains("reason"), "{err}");

    let task = json(
        d,
        &[
            "task",
            "new",
            "--title",
            "Write summary",
            "--owner",
            "Bo",
            "--due",
            "2026-12-02",
        ],
    );
    let task_id = task["id"].as_str().expect("id").to_owned();
    assert_eq!(
        json(d, &["task", "state", &task_id, "done"])["state"],
        "done"
    );

    let c = json(
        d,
        &[
            "checkin",
            "new",
            "--title",
            "Weekly",
            "--question",
            "What did you ship?",
            "--days",
            "mon,thu",
        ],
    );
    assert_eq!(c["weekdays"], serde_json::json!([0, 3]));

    let all = json(d, &["list"]);
    let kinds: Vec<&str> = all
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    for k in ["member", "charter", "meeting", "thread", "task", "checkin"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }

    json(d, &["trash", &task_id]);
    let tasks = json(d, &["list", "--kind", "task"]);
    assert!(tasks.as_array().expect("array").is_empty());
    let tasks = json(d, &["list", "--kind", "task", "--all"]);
    assert_eq!(tasks[0]["trashed"], true);
}

#[test]
fn every_kind_can_be_edited_from_the_cli() {
    let dir = init();
    let d = dir.path();
    json(
        d,
        &["member", "add", "--name", "Bo", "--tz", "Asia/Kathmandu"],
    );
    let bo = json(
        d,
        &[
            "member",
            "edit",
            "bo",
            "--tz",
            "Pacific/Chatham",
            "--role",
            "reader",
        ],
    );
    assert_eq!(bo["tz"], "Pacific/Chatham");
    assert_eq!(bo["role"], "reader");
    let err = crate::fails(d, &["member", "edit", "Bo", "--tz", "Nowhere/Town"]);
    assert!(err.contains("IANA"), "{err}");

    let m = json(
        d,
        &[
            "meeting",
            "new",
            "--title",
            "Sync",
            "--start",
            "2026-12-01T15:00:00Z",
            "--duration",
            "30m",
        ],
    );
    let id = m["id"].as_str().expect("id").to_owned();
    let m = json(
        d,
        &[
            "meeting",
            "edit",
            &id,
            "--duration",
            "1h",
            "--item",
            "Retro",
            "--state",
            "held",
        ],
    );
    assert_eq!(m["duration_min"], 60);
    assert_eq!(m["agenda"][0]["title"], "Retro");
    assert_eq!(m["state"], "held");
    let err = crate::fails(d, &["meeting", "edit", &id, "--duration", "0m"]);
    assert!(err.contains("duration"), "{err}");

    let t = json(
        d,
        &[
            "thread", "new", "--kind", "fyi", "--to", "Bo", "--title", "Note", "--body", "v1",
        ],
    );
    let t = json(
        d,
        &[
            "thread",
            "edit",
            t["id"].as_str().expect("id"),
            "--body",
            "v2",
        ],
    );
    assert_eq!(t["body"], "v2");

    let task = json(d, &["task", "new", "--title", "Draft"]);
    let task = json(
        d,
        &[
            "task",
            "edit",
            task["id"].as_str().expect("id"),
            "--owner",
            "Bo",
            "--due",
            "2026-12-24",
        ],
    );
    assert_eq!(task["due"], "2026-12-24");
    let err = crate::fails(
        d,
        &[
            "task",
            "edit",
            task["id"].as_str().expect("id"),
            "--due",
            "24/12/2026",
        ],
    );
    assert!(err.contains("YYYY-MM-DD"), "{err}");

    let c = json(
        d,
        &[
            "checkin",
            "new",
            "--title",
            "Daily",
            "--question",
            "Blockers?",
        ],
    );
    let c = json(
        d,
        &[
            "checkin",
            "edit",
            c["id"].as_str().expect("id"),
            "--days",
            "tue",
            "--at",
            "10:15",
        ],
    );
    assert_eq!(c["weekdays"], serde_json::json!([1]));
    assert_eq!(c["prompt_time"], "10:15");
}

#[test]
fn a_trashed_object_is_restored_with_its_content_and_found_again() {
    let dir = init();
    let d = dir.path();
    let page = json(
        d,
        &[
            "page",
            "new",
            "--title",
            "Retro notes",
            "--body",
            "What went well: the quokka launch.",
        ],
    );
    let id = page["id"].as_str().expect("id").to_owned();
    let found = |q: &str| {
        json(d, &["search", q])
            .as_array()
            .expect("array")
            .iter()
            .any(|h| h["id"] == id.as_str())
    };
    assert!(found("quokka"));

    let trashed = json(d, &["trash", &id]);
    assert_eq!(trashed["trashed"], true);
    assert!(!found("quokka"), "trashed objects are not searched");
    assert!(
        json(d, &["list", "--kind", "page"])
            .as_array()
            .expect("array")
            .is_empty()
    );

    let restored = json(d, &["restore", &id]);
    assert_eq!(restored["id"], id.as_str());
    assert_eq!(restored["trashed"], false);
    assert_eq!(restored["title"], "Retro notes");
    let rows = json(d, &["list", "--kind", "page"]);
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(
        json(d, &["show", &id])["body"],
        "What went well: the quokka launch."
    );
    assert!(found("quokka"), "searchable again");
    // Without --json it says what it did.
    ok(d, &["trash", &id]);
    assert!(ok(d, &["restore", &id]).contains("Restored page \"Retro notes\""));
}

#[test]
fn the_workspace_itself_cannot_be_trashed() {
    let dir = init();
    let d = dir.path();
    let ws = json(d, &["list", "--kind", "workspace"]);
    let id = ws[0]["id"].as_str().expect("id");
    let err = crate::fails(d, &["trash", id]);
    assert!(err.contains("cannot be moved to the trash"), "{err}");
}
