//! Meetings, tasks and check-ins from the command line: building an agenda, notes and
//! summary, action items, summarising into a decision; the task list grouped by each
//! owner's calendar; what my check-ins ask today.

use chrono::{TimeDelta, Utc};
use serde_json::Value;

use crate::{fails, init, json, ok};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

#[test]
fn an_agenda_is_built_and_the_meeting_summarised_into_a_decision_and_a_task() {
    let dir = init();
    let d = dir.path();
    json(
        d,
        &["member", "add", "--name", "Bo", "--tz", "Asia/Kathmandu"],
    );
    let page = id(&json(d, &["page", "new", "--title", "Relay spec"]));
    let meeting = json(
        d,
        &[
            "meeting",
            "new",
            "--title",
            "Relay planning",
            "--start",
            "2030-01-08T10:00:00Z",
            "--duration",
            "45m",
            "--with",
            "Bo",
        ],
    );
    let m = id(&meeting);
    let shown = json(
        d,
        &[
            "meeting",
            "item",
            &m,
            "Pick the relay host",
            "--owner",
            "Bo",
            "--minutes",
            "15",
            "--pre-read",
            &page,
            "--pre-read",
            "https://example.org/hosting",
        ],
    );
    let item = shown["agenda"][0]["id"]
        .as_str()
        .expect("item id")
        .to_owned();
    assert_eq!(
        shown["agenda"][0]["pre_reads"][1],
        "https://example.org/hosting"
    );
    let err = fails(
        d,
        &["meeting", "item", &m, "Costs", "--pre-read", "the wiki"],
    );
    assert!(err.contains("web link"), "{err}");
    let shown = json(d, &["meeting", "item", &m, "Costs"]);
    let costs = shown["agenda"][1]["id"].as_str().expect("id").to_owned();
    let shown = json(d, &["meeting", "item-move", &m, &costs, "--to", "1"]);
    assert_eq!(shown["agenda"][0]["title"], "Costs");
    let shown = json(
        d,
        &[
            "meeting",
            "item-edit",
            &m,
            &costs,
            "--resolved",
            "--minutes",
            "0",
        ],
    );
    assert_eq!(shown["agenda"][0]["resolved_async"], true);
    let shown = json(d, &["meeting", "item-remove", &m, &costs]);
    assert_eq!(shown["agenda"].as_array().map(Vec::len), Some(1));

    json(
        d,
        &["meeting", "note", &m, "--body", "Bo: Hetzner is cheapest"],
    );
    let err = fails(d, &["meeting", "summarise", &m, "--item", &item]);
    assert!(err.contains("write the summary first"), "{err}");
    json(d, &["meeting", "state", &m, "held"]);
    let task = json(
        d,
        &[
            "meeting",
            "action",
            &m,
            "--title",
            "Provision the relay",
            "--owner",
            "Bo",
            "--due",
            "2030-01-10",
        ],
    );
    assert_eq!(task["source"]["kind"], "meeting");
    assert_eq!(task["source"]["id"], m.as_str());
    let out = json(
        d,
        &[
            "meeting",
            "summarise",
            &m,
            "--summary",
            "We run the relay on Hetzner.",
            "--item",
            &item,
            "--option",
            "Hetzner",
            "--option",
            "Fly.io",
            "--chosen",
            "Hetzner",
            "--rationale",
            "Cheapest in the EU",
        ],
    );
    assert_eq!(out["meeting"]["state"], "summarised");
    assert_eq!(out["meeting"]["tasks"][0], task["id"]);
    let decision = out["decision"].as_str().expect("a decision").to_owned();
    assert_eq!(out["meeting"]["decisions"][0], decision.as_str());
    let d_shown = json(d, &["show", &decision]);
    assert_eq!(d_shown["title"], "Pick the relay host");
    assert_eq!(d_shown["status"], "accepted");
    assert_eq!(d_shown["source_meeting"], m.as_str());
    assert_eq!(d_shown["options"].as_array().map(Vec::len), Some(2));
    let text = ok(d, &["show", &m]);
    assert!(text.contains("Bo: Hetzner is cheapest"), "{text}");
}

/// Today's date in a zone with a fixed offset of `hours` from UTC (no DST there).
fn date_at_offset(hours: i64) -> String {
    (Utc::now() + TimeDelta::hours(hours))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn the_task_list_groups_by_due_date_on_each_owners_calendar() {
    let dir = init();
    let d = dir.path();
    // Kiritimati (UTC+14) is always at least a day ahead of Pago Pago (UTC-11).
    json(
        d,
        &[
            "member",
            "add",
            "--name",
            "Kiri",
            "--tz",
            "Pacific/Kiritimati",
        ],
    );
    json(
        d,
        &[
            "member",
            "add",
            "--name",
            "Pago",
            "--tz",
            "Pacific/Pago_Pago",
        ],
    );
    let list = loop {
        let pago_today = date_at_offset(-11);
        for (title, owner) in [("Kiri's", "Kiri"), ("Pago's", "Pago")] {
            json(
                d,
                &[
                    "task",
                    "new",
                    "--title",
                    title,
                    "--owner",
                    owner,
                    "--due",
                    &pago_today,
                ],
            );
        }
        let list = json(d, &["task", "list"]);
        if date_at_offset(-11) == pago_today {
            break list;
        }
        // Midnight passed in Pago Pago while the test ran: start over.
        for r in list["rows"].as_array().expect("rows") {
            json(d, &["trash", r["id"].as_str().expect("id")]);
        }
    };
    let rows = list["rows"].as_array().expect("rows");
    let bucket = |title: &str| {
        rows.iter()
            .find(|r| r["title"] == title)
            .map(|r| r["bucket"].clone())
            .expect("listed")
    };
    assert_eq!(bucket("Kiri's"), "overdue", "{list}");
    assert_eq!(bucket("Pago's"), "today", "{list}");

    let mine = id(&json(
        d,
        &[
            "task",
            "new",
            "--title",
            "Write the runbook",
            "--owner",
            "Ada",
        ],
    ));
    json(
        d,
        &["task", "new", "--title", "Someday", "--due", "2999-12-31"],
    );
    let text = ok(d, &["task", "list"]);
    let order: Vec<&str> = ["Overdue", "Today", "Later", "No date"]
        .into_iter()
        .filter(|h| text.lines().any(|l| l == *h))
        .collect();
    assert_eq!(order, ["Overdue", "Today", "Later", "No date"], "{text}");
    let mine_only = json(d, &["task", "list", "--mine"]);
    assert_eq!(mine_only["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine_only["rows"][0]["id"], mine.as_str());

    json(d, &["task", "state", &mine, "done"]);
    assert_eq!(
        json(d, &["task", "list", "--mine"])["rows"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "done tasks are left out"
    );
    let all = json(d, &["task", "list", "--mine", "--all"]);
    assert_eq!(all["rows"][0]["bucket"], "done");
    let edited = json(
        d,
        &["task", "edit", &mine, "--no-owner", "--due", "2030-01-01"],
    );
    assert_eq!(edited["owner"], Value::Null);
    assert_eq!(edited["due"], "2030-01-01");
    let err = fails(d, &["task", "edit", &mine, "--due", "soon"]);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    let from = fails(d, &["task", "new", "--title", "x", "--from", &mine]);
    assert!(from.contains("not a task"), "{from}");
}

#[test]
fn checkin_today_says_what_is_asked_and_what_i_answered() {
    let dir = init();
    let d = dir.path();
    let none = ok(d, &["checkin", "today"]);
    assert!(none.contains("No check-in asks you anything"), "{none}");
    let c = id(&json(
        d,
        &[
            "checkin",
            "new",
            "--title",
            "Daily",
            "--question",
            "Done?",
            "--days",
            "mon-sun",
            "--at",
            "00:00",
        ],
    ));
    let view = json(d, &["checkin", "today"]);
    let card = &view["cards"][0];
    assert_eq!(card["id"], c.as_str());
    assert_eq!(card["due"], true, "asked at midnight every day: {view}");
    ok(d, &["checkin", "answer", &c, "--answer", "The relay"]);
    let text = ok(d, &["checkin", "today"]);
    assert!(text.contains("answered today"), "{text}");
    assert!(text.contains("Done?  The relay"), "{text}");
    let err = fails(
        d,
        &[
            "checkin",
            "new",
            "--title",
            "Never",
            "--question",
            "?",
            "--days",
            "",
            "--at",
            "09:00",
        ],
    );
    assert!(err.contains("weekday"), "{err}");
}
