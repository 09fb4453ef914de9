//! Members' calendars from the command line: zones, working hours, absences and focus
//! blocks, and clear messages for bad input.
//! Expected instants are worked out by hand in the comments, not by the code under test.

use serde_json::Value;

use crate::{add_member, fails, init, ok, reply_by};

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
    add_member(d, "Nobody", "UTC", "none");
    let err = reply_by_fails("Nobody", "question", "2026-11-27T12:00:00Z");
    assert!(err.contains("Nobody has no working hours"), "{err}");
    // FYI needs no working time, so it still works.
    let r = reply_by(d, "Nobody", "fyi", "2026-11-27T12:00:00Z");
    assert_eq!(r["reply_by"], Value::Null);
    // Out of office for years: no working time within the horizon.
    add_member(d, "Gone", "UTC", "mon-fri 09:00-17:00");
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
