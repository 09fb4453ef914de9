//! Catch-up through a real relay: Bea's device is offline while Ada decides, asks Bea a
//! question, edits Bea's page and mentions her; when Bea syncs, `catch-up` lists exactly
//! those, in order, with the page's diff; `seen --all` empties it, also in a new process;
//! following an object brings its changes in, `seen ID` takes one out.

use serde_json::Value;

use crate::sync::{Relay, join, once, page_id};
use crate::{fails, init, json, ok};

fn items(v: &Value) -> Vec<(String, String)> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["group"].as_str().expect("group").to_owned(),
                i["title"].as_str().expect("title").to_owned(),
            )
        })
        .collect()
}

#[test]
fn after_a_week_offline_catch_up_lists_what_needs_me_in_order_and_seen_empties_it() {
    let relay_dir = tempfile::tempdir().expect("test step");
    let relay = Relay::start(relay_dir.path());
    let a = init();
    let b = join(a.path(), &relay, "Bea", "editor");
    let (a, b) = (a.path(), b.path());

    // Bea writes her page, and both devices have everything.
    ok(
        b,
        &[
            "page",
            "new",
            "--title",
            "Bea's runbook",
            "--body",
            "Restart the relay.\n",
        ],
    );
    let runbook = page_id(b, "Bea's runbook");
    ok(b, &["page", "edit", &runbook, "--owner", "Bea"]);
    ok(
        a,
        &[
            "page",
            "new",
            "--title",
            "Ada's notes",
            "--body",
            "Hello.\n",
        ],
    );
    once(b);
    once(a);
    once(b);
    let notes = page_id(b, "Ada's notes");
    // Bea has looked: nothing new for her, and she follows Ada's notes.
    let start = json(b, &["catch-up"]);
    assert_eq!(start["count"], 0, "{start}");
    ok(b, &["follow", &notes]);
    assert!(fails(b, &["follow", "0123456789abcdef0123456789abcdef"]).contains("no object"));
    once(b);

    // The week Bea is away: Ada decides, asks, edits Bea's page mentioning her, and works
    // on things that do not concern Bea.
    ok(
        a,
        &[
            "decision",
            "new",
            "--title",
            "Adopt PostgreSQL",
            "--decider",
            "Bea",
            "--status",
            "proposed",
        ],
    );
    ok(
        a,
        &[
            "thread",
            "post",
            "--kind",
            "question",
            "--to",
            "Bea",
            "--title",
            "Budget for Q1?",
            "--body",
            "Can you check the numbers?",
        ],
    );
    ok(
        a,
        &[
            "page",
            "edit",
            &runbook,
            "--body",
            "Restart the relay.\n\nThen check the logs, @Bea please confirm.\n",
        ],
    );
    ok(
        a,
        &[
            "page",
            "new",
            "--title",
            "Unrelated",
            "--body",
            "Nothing for Bea.\n",
        ],
    );
    // Ada's own decision that does not name Bea.
    ok(
        a,
        &[
            "decision",
            "new",
            "--title",
            "Pick a logo",
            "--status",
            "proposed",
        ],
    );
    once(a);
    once(b);

    let view = json(b, &["catch-up"]);
    assert_eq!(
        items(&view),
        [
            ("decision".to_owned(), "Adopt PostgreSQL".to_owned()),
            ("reply".to_owned(), "Budget for Q1?".to_owned()),
            ("mention".to_owned(), "Bea's runbook".to_owned()),
        ],
        "{view:#}"
    );
    assert_eq!(view["count"], 3);
    let page = &view["items"][2];
    assert_eq!(page["mentioned"], true);
    assert_eq!(page["reasons"], serde_json::json!(["mention", "page"]));
    let diff = &page["diff"];
    // "Then check the logs, @Bea please confirm." is seven words.
    assert_eq!(diff["added"], 7, "{diff}");
    assert_eq!(diff["removed"], 0, "{diff}");
    let added: String = diff["hunks"]
        .as_array()
        .expect("hunks")
        .iter()
        .filter(|h| h["op"] == "added")
        .map(|h| h["text"].as_str().expect("text"))
        .collect();
    assert!(added.contains("@Bea please confirm."), "{diff}");
    // The thread is due by Bea's reply-by.
    assert!(view["items"][1]["due"].is_string(), "{view:#}");
    // The text form shows the same.
    let text = ok(b, &["catch-up"]);
    assert!(text.contains("Threads waiting on you (1)"), "{text}");
    assert!(text.contains("+ Then check the logs"), "{text}");

    // Ada edits the page Bea follows: it comes in; `seen ID` takes it out again.
    ok(
        a,
        &[
            "page",
            "edit",
            &notes,
            "--body",
            "Hello.\n\nWe meet on Friday.\n",
        ],
    );
    once(a);
    once(b);
    let view = json(b, &["catch-up"]);
    assert_eq!(items(&view).len(), 4, "{view:#}");
    assert_eq!(
        items(&view)[3],
        ("page".to_owned(), "Ada's notes".to_owned())
    );
    ok(b, &["seen", &notes]);
    assert_eq!(items(&json(b, &["catch-up"])).len(), 3);

    // Everything seen: empty, and still empty in the next process.
    let seen = json(b, &["seen", "--all"]);
    assert_eq!(seen["seen"].as_array().expect("seen").len(), 3, "{seen}");
    assert_eq!(json(b, &["catch-up"])["count"], 0);
    assert!(ok(b, &["catch-up"]).contains("Nothing new for you."));
    // `--since` looks back by time instead, whatever was seen.
    let back = json(b, &["catch-up", "--since", "2000-01-01T00:00:00Z"]);
    assert!(
        items(&back).len() >= 3,
        "everything is new since 2000: {back:#}"
    );

    // Unfollowed: Ada's next edit of her notes does not come in.
    ok(b, &["unfollow", &notes]);
    once(b);
    ok(
        a,
        &[
            "page",
            "edit",
            &notes,
            "--body",
            "Hello.\n\nMoved to Monday.\n",
        ],
    );
    once(a);
    once(b);
    assert_eq!(json(b, &["catch-up"])["count"], 0);
    assert!(fails(b, &["seen"]).contains("--all"));
}
