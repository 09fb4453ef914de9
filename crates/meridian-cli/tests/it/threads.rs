//! Threads and their clocks from the command line: worked reply-by examples, threads
//! with their clocks landing in inboxes, the rules for urgent messages.
//! Expected instants are worked out by hand in the comments, not by the code under test.

use serde_json::Value;

use crate::{add_member, fails, init, json, ok, reply_by};

#[test]
fn worked_reply_by_examples() {
    let dir = init();
    let d = dir.path();
    add_member(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    add_member(
        d,
        "Priya",
        "Asia/Kathmandu",
        "mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00",
    );
    add_member(d, "Finn", "America/St_Johns", "mon-fri 09:00-17:00");
    add_member(d, "Tama", "Pacific/Chatham", "mon-fri 09:00-17:00");

    // A question sent Friday 16:30 in New York (EST, 21:30Z) reaches Sydney at 08:30 Saturday
    // (AEDT, +11). Sam's next working time is Monday 09:00 (Sunday 22:00Z); 8 working hours
    // end Monday 17:00 AEDT = 06:00Z.
    let r = reply_by(d, "Sam", "question", "2026-11-27T16:30:00-05:00");
    assert_eq!(r["reply_by"], "2026-11-30T06:00:00Z");
    assert_eq!(r["reply_by_local"], "2026-11-30T17:00:00+11:00");
    assert_eq!(r["recipient"], "Sam");
    assert_eq!(r["recipient_id"].as_str().map(str::len), Some(32));

    // The same in northern summer: Friday 2026-07-10 16:30 EDT = 20:30Z = Saturday 06:30 AEST
    // (+10). Monday 09:00–17:00 AEST → 2026-07-13T07:00:00Z.
    let r = reply_by(d, "Sam", "question", "2026-07-10T16:30:00-04:00");
    assert_eq!(r["reply_by"], "2026-07-13T07:00:00Z");
    assert_eq!(r["reply_by_local"], "2026-07-13T17:00:00+10:00");

    // Kathmandu (+05:45), a request (16 h) sent Thursday 2026-12-03 10:00 local (04:15Z):
    // Thu 10–12 (2 h) + 13–17 (4 h) = 6 h; Fri 09–13 = 4 h (10 h); Mon 08–12 = 4 h (14 h);
    // Mon 13–15 = 2 h (16 h) → Monday 2026-12-07 15:00 +05:45 = 09:15Z.
    let r = reply_by(d, "Priya", "request", "2026-12-03T04:15:00Z");
    assert_eq!(r["reply_by_local"], "2026-12-07T15:00:00+05:45");
    assert_eq!(r["reply_by"], "2026-12-07T09:15:00Z");

    // St John's (−03:30 in winter): a blocking message (4 h) at Monday 2026-01-12 15:00 local
    // (18:30Z): 2 h that day, then Tuesday 09:00–11:00 → 11:00 −03:30 = 14:30Z.
    let r = reply_by(d, "Finn", "blocking", "2026-01-12T18:30:00Z");
    assert_eq!(r["reply_by_local"], "2026-01-13T11:00:00-03:30");
    assert_eq!(r["reply_by"], "2026-01-13T14:30:00Z");

    // Chatham (+13:45 in January): an urgent (1 h) message at Wednesday 16:30 local
    // (2026-01-14T02:45Z): 30 min that day, 30 min from Thursday 09:00 → 09:30 +13:45 =
    // 2026-01-14T19:45Z.
    let r = reply_by(d, "Tama", "urgent", "2026-01-14T02:45:00Z");
    assert_eq!(r["reply_by_local"], "2026-01-15T09:30:00+13:45");
    assert_eq!(r["reply_by"], "2026-01-14T19:45:00Z");

    // FYI expects no reply.
    let r = reply_by(d, "Sam", "fyi", "2026-11-27T16:30:00-05:00");
    assert_eq!(r["reply_by"], Value::Null);

    // "In their morning": sent Monday 10:00 Sydney time (2026-11-29T23:00Z) it arrives Tuesday
    // 09:00 AEDT (22:00Z Monday) and a question is due Tuesday 17:00 AEDT (06:00Z).
    let r = json(
        d,
        &[
            "reply-by",
            "--to",
            "Sam",
            "--kind",
            "question",
            "--sent-at",
            "2026-11-29T23:00:00Z",
            "--deliver",
            "morning",
        ],
    );
    assert_eq!(r["delivered_at"], "2026-11-30T22:00:00Z");
    assert_eq!(r["reply_by"], "2026-12-01T06:00:00Z");

    // Human output names the local time.
    let text = ok(
        d,
        &[
            "reply-by",
            "--to",
            "Sam",
            "--kind",
            "question",
            "--sent-at",
            "2026-11-27T16:30:00-05:00",
        ],
    );
    assert!(text.contains("Mon 30 Nov 17:00 +11:00"), "{text}");
}

#[test]
fn threads_have_clocks_and_land_in_inboxes() {
    let dir = init(); // Ada, Europe/Berlin
    let d = dir.path();
    add_member(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    add_member(d, "Priya", "Asia/Kathmandu", "mon-fri 09:00-17:00");
    let posted = json(
        d,
        &[
            "thread",
            "post",
            "--kind",
            "question",
            "--to",
            "Sam,Priya",
            "--title",
            "Ship Friday?",
            "--body",
            "Can we?",
        ],
    );
    let id = posted["id"].as_str().expect("id").to_owned();
    let clocks = posted["reply_by"].as_array().expect("reply_by");
    assert_eq!(clocks.len(), 2);
    assert!(clocks.iter().all(|c| c["reply_by"].is_string()));

    // Far in the future, Sam's inbox has it, overdue; Ada waits on both.
    let at = "2030-01-07T12:00:00Z";
    let inbox = json(d, &["inbox", "--as", "Sam", "--at", at]);
    let items = inbox["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["section"], "reply");
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["overdue"], true);
    assert_eq!(items[0]["other"], "Ada");
    let mine = json(d, &["inbox", "--at", at]);
    assert_eq!(mine["waiting"].as_array().expect("waiting").len(), 2);

    // Sam acknowledges (still waiting for a reply), then replies: gone from Sam's inbox.
    ok(d, &["thread", "ack", &id, "--as", "Sam"]);
    let inbox = json(d, &["inbox", "--as", "Sam", "--at", at]);
    assert!(
        inbox["items"][0]["detail"]
            .as_str()
            .expect("detail")
            .contains("acknowledged")
    );
    ok(
        d,
        &["thread", "reply", &id, "--as", "Sam", "--body", "Yes, go."],
    );
    let inbox = json(d, &["inbox", "--as", "Sam", "--at", at]);
    assert_eq!(inbox["items"].as_array().expect("items").len(), 0);
    let t = json(d, &["show", &id]);
    assert_eq!(t["state"], "answered");
    assert_eq!(t["messages"][0]["body"], "Yes, go.");
    let mine = json(d, &["inbox", "--at", at]);
    let replied: Vec<bool> = mine["waiting"]
        .as_array()
        .expect("w")
        .iter()
        .map(|w| w["replied"] == true)
        .collect();
    assert!(
        replied.contains(&true) && replied.contains(&false),
        "{replied:?}"
    );

    ok(d, &["thread", "resolve", &id]);
    assert_eq!(
        json(d, &["inbox", "--as", "Priya", "--at", at])["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let err = fails(d, &["thread", "reply", &id, "--body", "   "]);
    assert!(err.contains("needs some text"), "{err}");
}

#[test]
fn urgent_needs_a_reason_respects_the_budget_and_escalates() {
    let dir = init();
    let d = dir.path();
    add_member(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    add_member(d, "Ops", "UTC", "mon-sun 00:00-24:00");
    ok(d, &["charter", "ladder", "Ops"]);
    let urgent = |reason: Option<&str>| {
        let mut args = vec![
            "thread",
            "post",
            "--kind",
            "urgent",
            "--to",
            "Sam",
            "--title",
            "Checkout down",
            "--body",
            "x",
        ];
        if let Some(r) = reason {
            args.extend(["--reason", r]);
        }
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let args = urgent(None);
    let err = fails(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("reason"), "{err}");
    for _ in 0..2 {
        let args = urgent(Some("payments fail for every customer"));
        let posted = json(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
        let e = &posted["escalation"];
        // Ops works around the clock: if Sam is off, the ladder reaches Ops now.
        let notify = e["notify"].as_array().expect("notify");
        assert_eq!(notify.len(), 1);
        assert!(e["reachable_at"].is_null(), "{e}");
    }
    let args = urgent(Some("still down"));
    let err = fails(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("urgent budget is spent: 2 of 2"), "{err}");
    // The charter change was recorded as an accepted decision.
    let decisions = json(d, &["list", "--kind", "decision"]);
    let titles: Vec<&str> = decisions
        .as_array()
        .expect("a")
        .iter()
        .filter_map(|x| x["title"].as_str())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("escalate along Ops")),
        "{titles:?}"
    );
}
