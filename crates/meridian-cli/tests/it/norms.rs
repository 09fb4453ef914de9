//! Time and norms from the command line: worked reply-by examples, threads with their
//! clocks, urgent rules, meetings and slots, check-ins, the inbox and the team clock.
//! Expected instants are worked out by hand in the comments, not by the code under test.

use serde_json::Value;

use crate::{fails, init, json, ok};

fn add(d: &std::path::Path, name: &str, tz: &str, hours: &str) -> String {
    let m = json(
        d,
        &[
            "member", "add", "--name", name, "--tz", tz, "--hours", hours,
        ],
    );
    m["id"].as_str().expect("id").to_owned()
}

fn reply_by(d: &std::path::Path, to: &str, kind: &str, sent: &str) -> Value {
    json(
        d,
        &["reply-by", "--to", to, "--kind", kind, "--sent-at", sent],
    )
}

#[test]
fn worked_reply_by_examples() {
    let dir = init();
    let d = dir.path();
    add(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    add(
        d,
        "Priya",
        "Asia/Kathmandu",
        "mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00",
    );
    add(d, "Finn", "America/St_Johns", "mon-fri 09:00-17:00");
    add(d, "Tama", "Pacific/Chatham", "mon-fri 09:00-17:00");

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
fn calendars_reject_bad_input_with_clear_messages() {
    let dir = init();
    let d = dir.path();
    let err = fails(d, &["member", "add", "--name", "X", "--tz", "Mars/Olympus"]);
    assert!(err.contains("unknown time zone `Mars/Olympus`"), "{err}");
    for (hours, expected) in [
        ("mon 09:00-12:00,11:00-14:00", "overlaps"),
        ("mon-fri 17:00-09:00", "ends before it starts"),
        ("funday 09:00-17:00", "not a weekday"),
    ] {
        let args = [
            "member", "add", "--name", "X", "--tz", "UTC", "--hours", hours,
        ];
        let err = fails(d, &args);
        assert!(err.contains(expected), "{hours}: {err}");
    }
    let reply_by_fails = |to: &str, kind: &str, sent: &str| {
        fails(
            d,
            &["reply-by", "--to", to, "--kind", kind, "--sent-at", sent],
        )
    };

    // A member with no working hours at all: reply-by says so instead of looping.
    add(d, "Nobody", "UTC", "none");
    let err = reply_by_fails("Nobody", "question", "2026-11-27T12:00:00Z");
    assert!(err.contains("Nobody has no working hours"), "{err}");
    // FYI needs no working time, so it still works.
    let r = reply_by(d, "Nobody", "fyi", "2026-11-27T12:00:00Z");
    assert_eq!(r["reply_by"], Value::Null);
    // Out of office for years: no working time within the horizon.
    add(d, "Gone", "UTC", "mon-fri 09:00-17:00");
    let ooo = [
        "member",
        "ooo",
        "Gone",
        "--from",
        "2026-01-01",
        "--to",
        "2030-12-31",
    ];
    ok(d, &ooo);
    for (kind, sent, expected) in [
        ("question", "2026-11-27T12:00:00Z", "no working time"),
        (
            "gossip",
            "2026-11-27T12:00:00Z",
            "unknown message kind `gossip`",
        ),
        ("fyi", "yesterday", "RFC 3339"),
    ] {
        let err = reply_by_fails("Gone", kind, sent);
        assert!(err.contains(expected), "{kind} {sent}: {err}");
    }
}

#[test]
fn threads_have_clocks_and_land_in_inboxes() {
    let dir = init(); // Ada, Europe/Berlin
    let d = dir.path();
    add(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    add(d, "Priya", "Asia/Kathmandu", "mon-fri 09:00-17:00");
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
    add(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    add(d, "Ops", "UTC", "mon-sun 00:00-24:00");
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

#[test]
fn meetings_get_deadlines_slots_and_go_async_without_an_agenda() {
    let dir = init(); // Ada, Europe/Berlin, Mon–Fri 09–17
    let d = dir.path();
    add(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    // Tuesday 2026-12-01 08:00Z = 09:00 Berlin = 19:00 Sydney.
    let times = json(
        d,
        &[
            "meeting",
            "new",
            "--title",
            "Planning",
            "--start",
            "2026-12-01T08:00:00Z",
            "--duration",
            "30m",
            "--with",
            "Sam",
        ],
    );
    // 24 working hours before, in each zone, the earlier wins. Ada: Tue 09:00 Berlin has
    // none that day; Mon 8 h, Fri 8 h, Thu 8 h → Thursday 2026-11-26 09:00 CET = 08:00Z.
    // Sam: Tue 19:00 AEDT: Tue 09–17 (8), Mon (16), Fri 27 Nov (24) → Fri 09:00 AEDT =
    // Thursday 22:00Z. The earlier is Ada's.
    assert_eq!(times["agenda_due"], "2026-11-26T08:00:00Z");
    let id = times["id"].as_str().expect("id").to_owned();
    // Summary: 8 working hours of Ada after the 08:30Z end (09:30 Berlin) → Wednesday 09:30
    // CET = 08:30Z.
    assert_eq!(times["summary_due"], "2026-12-02T08:30:00Z");

    // Nothing happens before the deadline; after it, the empty meeting becomes a thread.
    assert_eq!(
        json(d, &["meeting", "convert", "--at", "2026-11-26T07:59:00Z"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let converted = json(d, &["meeting", "convert", "--at", "2026-11-26T08:00:00Z"]);
    assert_eq!(converted[0], id.as_str());
    let m = json(d, &["show", &id]);
    assert_eq!(m["state"], "converted-to-async");
    let thread = json(d, &["show", m["async_thread"].as_str().expect("thread id")]);
    assert_eq!(thread["source_meeting"], id.as_str());
    assert!(thread["title"].as_str().expect("t").starts_with("Planning"));

    // A meeting with an agenda stays a meeting.
    let t2 = json(
        d,
        &[
            "meeting",
            "new",
            "--title",
            "Retro",
            "--start",
            "2026-12-03T08:00:00Z",
            "--duration",
            "1h",
            "--with",
            "Sam",
            "--item",
            "What went well",
        ],
    );
    let id2 = t2["id"].as_str().expect("id").to_owned();
    json(d, &["meeting", "convert", "--at", "2026-12-03T07:00:00Z"]);
    assert_eq!(json(d, &["show", &id2])["state"], "scheduled");

    // Slots: Berlin and Sydney overlap nowhere in working hours; every slot lists both.
    let slots = json(
        d,
        &[
            "slots",
            "--with",
            "Sam",
            "--duration",
            "30m",
            "--within",
            "2d",
            "--from",
            "2026-12-07T00:00:00Z",
            "--limit",
            "3",
        ],
    );
    let slots = slots.as_array().expect("slots");
    assert_eq!(slots.len(), 3);
    for s in slots {
        assert_eq!(s["attendees"].as_array().expect("a").len(), 2);
        assert!(s["fairness"].as_u64().expect("f") <= 100);
    }
    // Best first: the cost never decreases down the list.
    let costs: Vec<u64> = slots
        .iter()
        .map(|s| s["cost"].as_u64().expect("c"))
        .collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
}

#[test]
fn fair_slots_rotate_the_burden() {
    let dir = init(); // Ada, Europe/Berlin
    let d = dir.path();
    add(d, "Sam", "America/Los_Angeles", "mon-fri 09:00-17:00");
    // Berlin 09–17 = 08–16Z; LA 09–17 PST = 17–01Z: no overlap, so someone is always out.
    let first = json(
        d,
        &[
            "slots",
            "--with",
            "Sam",
            "--duration",
            "60m",
            "--within",
            "1d",
            "--from",
            "2026-12-08T00:00:00Z",
            "--limit",
            "1",
        ],
    );
    let first = &first[0];
    let unlucky: Vec<&str> = first["attendees"]
        .as_array()
        .expect("a")
        .iter()
        .filter(|a| a["minutes_outside"].as_u64() > Some(0))
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(unlucky.len(), 1, "{first}");
    // Hold that meeting; next time the suggestion puts the burden on the other person.
    json(
        d,
        &[
            "meeting",
            "new",
            "--title",
            "Sync 1",
            "--start",
            first["start"].as_str().expect("s"),
            "--duration",
            "60m",
            "--with",
            "Sam",
            "--item",
            "x",
        ],
    );
    let next = json(
        d,
        &[
            "slots",
            "--with",
            "Sam",
            "--duration",
            "60m",
            "--within",
            "1d",
            "--from",
            "2026-12-09T00:00:00Z",
            "--limit",
            "1",
        ],
    );
    let next_unlucky: Vec<&str> = next[0]["attendees"]
        .as_array()
        .expect("a")
        .iter()
        .filter(|a| a["minutes_outside"].as_u64() > Some(0))
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(next_unlucky.len(), 1);
    assert_ne!(
        unlucky[0], next_unlucky[0],
        "the same person took the bad slot twice"
    );
}

#[test]
fn checkins_prompt_collect_and_digest() {
    let dir = init();
    let d = dir.path();
    add(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    let c = json(
        d,
        &[
            "checkin",
            "new",
            "--title",
            "Daily",
            "--question",
            "Done?",
            "--question",
            "Next?",
            "--with",
            "Ada,Sam",
            "--days",
            "mon-sun",
            "--at",
            "00:00",
        ],
    );
    let id = c["id"].as_str().expect("id").to_owned();
    ok(
        d,
        &[
            "checkin",
            "answer",
            &id,
            "--answer",
            "Shipped the relay",
            "--answer",
            "Search",
        ],
    );
    let err = fails(d, &["checkin", "answer", &id, "--answer", "only one"]);
    assert!(err.contains("1 answers for 2 questions"), "{err}");
    let digest = json(d, &["checkin", "digest", &id]);
    assert_eq!(digest["answers"].as_array().expect("a").len(), 1);
    assert_eq!(digest["answers"][0]["name"], "Ada");
    assert_eq!(digest["questions"].as_array().map(Vec::len), Some(2));
    // Sam's check-in is due in Sam's inbox (prompted at local midnight every day).
    let inbox = json(d, &["inbox", "--as", "Sam"]);
    assert!(
        inbox["items"]
            .as_array()
            .expect("i")
            .iter()
            .any(|i| i["section"] == "checkin"),
        "{inbox}"
    );
    let inbox = json(d, &["inbox"]);
    assert!(
        !inbox["items"]
            .as_array()
            .expect("i")
            .iter()
            .any(|i| i["section"] == "checkin"),
        "{inbox}"
    );
}

#[test]
fn the_team_clock_shows_states() {
    let dir = init(); // Ada, Europe/Berlin
    let d = dir.path();
    add(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    add(d, "Priya", "Asia/Kathmandu", "mon-fri 09:00-17:00");
    ok(
        d,
        &[
            "member", "focus", "Sam", "--days", "mon-fri", "--from", "09:00", "--to", "11:00",
        ],
    );
    ok(
        d,
        &[
            "member",
            "ooo",
            "Priya",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-04",
        ],
    );
    // Tuesday 2026-12-01 23:30Z: Sydney Wed 10:30 (focusing until 11:00), Kathmandu Wed
    // 05:15 (out of office), Berlin Wed 00:30 (off).
    let team = json(d, &["team", "--at", "2026-12-01T23:30:00Z"]);
    let rows = team["rows"].as_array().expect("rows");
    let state = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .map(|r| r["state"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(state("Sam").as_deref(), Some("focusing"));
    assert_eq!(state("Priya").as_deref(), Some("out-of-office"));
    assert_eq!(state("Ada").as_deref(), Some("off"));
    let sam = rows.iter().find(|r| r["name"] == "Sam").expect("sam");
    assert_eq!(sam["until"], "2026-12-02T00:00:00Z");
    assert_eq!(sam["local"], "2026-12-02T10:30:00+11:00");
    assert_eq!(sam["hours_today"], serde_json::json!([[540, 1020]]));
    let ada = rows.iter().find(|r| r["name"] == "Ada").expect("ada");
    assert_eq!(ada["next_reachable_at"], "2026-12-02T08:00:00Z");
}
