//! Meetings from the command line: agenda deadlines on every attendee's clock, going
//! async without an agenda, and fair slots.
//! Expected instants are worked out by hand in the comments, not by the code under test.

use crate::{add_member, init, json};

#[test]
fn meetings_get_deadlines_slots_and_go_async_without_an_agenda() {
    let dir = init(); // Ada, Europe/Berlin, Mon–Fri 09–17
    let d = dir.path();
    add_member(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
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
    add_member(d, "Sam", "America/Los_Angeles", "mon-fri 09:00-17:00");
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
