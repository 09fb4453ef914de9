//! Search from the command line on the real handbook corpus: words, phrases, prefixes,
//! typos, filters and snippets; CJK pages; a malformed query; and an index killed while
//! it was being rebuilt.

use std::process::Command;
use std::time::Duration;

use meridian_testkit::corpus;
use serde_json::Value;

use crate::{fails, init, json, ok};

fn titles(hits: &Value) -> Vec<String> {
    hits.as_array()
        .expect("array")
        .iter()
        .map(|h| h["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The highlighted parts of every hit's snippet, lowercased.
fn highlighted(hits: &Value) -> Vec<Vec<String>> {
    hits.as_array()
        .expect("array")
        .iter()
        .map(|h| {
            let chars: Vec<char> = h["snippet"].as_str().expect("snippet").chars().collect();
            h["highlights"]
                .as_array()
                .expect("highlights")
                .iter()
                .map(|r| {
                    let (a, b) = (
                        r[0].as_u64().expect("a") as usize,
                        r[1].as_u64().expect("b") as usize,
                    );
                    chars[a..b].iter().collect::<String>().to_lowercase()
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_handbook_is_found_by_words_phrases_prefixes_typos_and_filters() {
    let Some(handbook) = corpus("handbook/content") else {
        return;
    };
    let dir = init();
    let d = dir.path();
    ok(d, &["import", handbook.to_str().expect("utf8")]);
    let search = |q: &str| json(d, &["search", q, "--limit", "5"]);

    let hits = search("vacation policy");
    assert!(
        titles(&hits).iter().any(|t| t.contains("Paid time off")),
        "{:?}",
        titles(&hits)
    );
    for h in highlighted(&hits) {
        assert!(
            h.iter()
                .any(|w| w.starts_with("polic") || w.starts_with("vacation")),
            "{h:?}"
        );
    }
    let first = &hits[0];
    for key in ["id", "kind", "title", "snippet", "highlights", "score"] {
        assert!(!first[key].is_null(), "{key} missing in {first}");
    }

    assert_eq!(titles(&search("\"all-remote\""))[0], "All-remote");
    assert_eq!(
        titles(&search("asynchronous communic"))[0],
        "Asynchronous communication"
    );
    let typo = search("handbok");
    assert!(!titles(&typo).is_empty());
    assert!(
        highlighted(&typo)
            .iter()
            .all(|h| h.iter().any(|w| w.contains("handbook"))),
        "{:?}",
        highlighted(&typo)
    );

    // Filters narrow: pages only, and there are no decisions in the handbook.
    assert!(
        search("hiring kind:page")
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    assert!(
        search("hiring kind:decision")
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    let kinded = json(d, &["search", "hiring", "--kind", "decision"]);
    assert!(kinded.as_array().is_some_and(Vec::is_empty));
    assert!(
        search("hiring after:2999-01-01")
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // An edit is found at once.
    let page = json(
        d,
        &[
            "page",
            "new",
            "--title",
            "Quokka care",
            "--body",
            "Feed them mangoes at noon.",
        ],
    );
    assert_eq!(titles(&search("quokkas"))[0], "Quokka care");
    assert_eq!(titles(&search("mango"))[0], "Quokka care");
    ok(
        d,
        &[
            "page",
            "edit",
            page["id"].as_str().expect("id"),
            "--body",
            "Feed them apricots at noon.",
        ],
    );
    assert!(!titles(&search("mangoes")).contains(&"Quokka care".to_owned()));
    assert_eq!(titles(&search("apricots"))[0], "Quokka care");

    // Kill a rebuild half-way: the next search repairs the index and finds what a fresh
    // rebuild finds.
    let before = search("vacation policy");
    let mut child = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(["--data-dir", d.to_str().expect("utf8"), "reindex"])
        .env_remove("MERIDIAN_DATA_DIR")
        .spawn()
        .expect("start reindex");
    std::thread::sleep(Duration::from_millis(700));
    let _ = child.kill();
    let _ = child.wait();
    let after_crash = search("vacation policy");
    ok(d, &["reindex"]);
    let fresh = search("vacation policy");
    assert_eq!(titles(&after_crash), titles(&fresh));
    assert_eq!(titles(&before), titles(&fresh));

    // Deleting the index folder loses nothing.
    std::fs::remove_dir_all(d.join("search")).expect("remove the index");
    assert_eq!(titles(&search("vacation policy")), titles(&fresh));
}

#[test]
fn japanese_and_chinese_pages_are_found_by_a_word_inside_a_sentence() {
    let dir = init();
    let d = dir.path();
    json(
        d,
        &[
            "page",
            "new",
            "--title",
            "会議の進め方",
            "--body",
            "私たちは会議の議事録を必ず共有します。",
        ],
    );
    json(
        d,
        &[
            "page",
            "new",
            "--title",
            "远程工作",
            "--body",
            "我们的团队在多个时区异步协作。",
        ],
    );
    json(
        d,
        &[
            "page",
            "new",
            "--title",
            "팀 규칙",
            "--body",
            "우리는 비동기적으로 일합니다.",
        ],
    );
    assert_eq!(titles(&json(d, &["search", "議事"])), ["会議の進め方"]);
    assert_eq!(titles(&json(d, &["search", "时区"])), ["远程工作"]);
    assert_eq!(titles(&json(d, &["search", "비동"])), ["팀 규칙"]);
    let hl = highlighted(&json(d, &["search", "共有"]));
    assert_eq!(hl, [vec!["共有".to_owned()]]);
}

#[test]
fn a_malformed_query_is_a_clear_error() {
    let dir = init();
    let d = dir.path();
    let err = fails(d, &["search", "\"unclosed"]);
    assert!(err.contains("quote is not closed"), "{err}");
    let err = fails(d, &["search", "kind:spaceship"]);
    assert!(err.contains("unknown kind"), "{err}");
    let err = fails(d, &["search", "before:soon"]);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    assert_eq!(json(d, &["search", "   "]), serde_json::json!([]));
}
