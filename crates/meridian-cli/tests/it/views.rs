//! Views from the command line: the team clock.
//! Expected instants are worked out by hand in the comments, not by the code under test.

use crate::{add_member, init, json, ok};

#[test]
fn the_team_clock_shows_states() {
    let dir = init(); // Ada, Europe/Berlin
    let d = dir.path();
    add_member(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    add_member(d, "Priya", "Asia/Kathmandu", "mon-fri 09:00-17:00");
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
