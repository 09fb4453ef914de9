//! Check-ins from the command line: prompts on each participant's clock, answers, the
//! digest.
//! Expected instants are worked out by hand in the comments, not by the code under test.

use crate::{add_member, fails, init, json, ok};

#[test]
fn checkins_prompt_collect_and_digest() {
    let dir = init();
    let d = dir.path();
    add_member(d, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
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
