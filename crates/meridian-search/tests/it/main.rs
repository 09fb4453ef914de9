//! The search index on real text: English, CJK, the query language, snippets, and the
//! index as a cache on disk.

use meridian_search::{MAX_QUERY_CHARS, Opened, SearchDoc, SearchIndex, SearchOptions, search_doc};

fn doc(id: &str, kind: &str, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        id: id.into(),
        kind: kind.into(),
        title: title.into(),
        body: body.into(),
        date_ms: 1_780_000_000_000,
        heads: format!("h-{id}"),
        ..SearchDoc::default()
    }
}

fn opts() -> SearchOptions {
    SearchOptions {
        limit: 10,
        tz: chrono_tz::Europe::Berlin,
        now_ms: 1_780_000_000_000,
    }
}

fn ids(index: &SearchIndex, q: &str) -> Vec<String> {
    index
        .search(q, &opts())
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn sample() -> SearchIndex {
    let index = SearchIndex::in_memory().expect("index");
    let mut deploy = doc(
        "p1",
        "page",
        "Deploying the relay",
        "We deploy the relay with one command. Code review happens before every deployment.",
    );
    deploy.tags = vec!["ops".into()];
    deploy.people = vec!["ada".into()];
    index.upsert(deploy).expect("upsert");
    index
        .upsert(doc(
            "p2",
            "page",
            "Onboarding",
            "Welcome! Your first week: meet the team, read the handbook.",
        ))
        .expect("upsert");
    index
        .upsert(doc(
            "p3",
            "page",
            "会議の進め方",
            "私たちは会議の議事録を必ず共有します。決定事項は記録に残す。",
        ))
        .expect("upsert");
    index
        .upsert(doc(
            "p4",
            "page",
            "远程工作指南",
            "我们的团队在多个时区异步协作，每个人都应该写清楚决策。",
        ))
        .expect("upsert");
    index
        .upsert(doc(
            "p5",
            "page",
            "Café culture",
            "Le café est servi à neuf heures. Ёлка и мороз.",
        ))
        .expect("upsert");
    let mut d1 = doc(
        "d1",
        "decision",
        "Use SQLite for storage",
        "Context: we need durable storage on every laptop.",
    );
    d1.status = Some("accepted".into());
    let mut d2 = doc(
        "d2",
        "decision",
        "Use JSON files for storage",
        "Context: durable storage, an early idea.",
    );
    d2.status = Some("draft".into());
    index.upsert(d1).expect("upsert");
    index.upsert(d2).expect("upsert");
    index.flush().expect("flush");
    index
}

#[test]
fn words_stems_phrases_prefixes_and_typos() {
    let index = sample();
    assert_eq!(
        ids(&index, "deployment"),
        ["p1"],
        "stemmed: deployment ~ deploy"
    );
    assert_eq!(ids(&index, "relay command"), ["p1"], "all words must match");
    assert!(ids(&index, "relay welcome").is_empty());
    assert_eq!(ids(&index, "\"code review\""), ["p1"]);
    assert!(
        ids(&index, "\"review code\"").is_empty(),
        "phrase order matters"
    );
    assert_eq!(
        ids(&index, "\"CODE Review\""),
        ["p1"],
        "phrases ignore case"
    );
    assert!(
        ids(&index, "\"code reviews\"").is_empty(),
        "a phrase is the words as written, not their stems"
    );
    assert_eq!(ids(&index, "code reviews"), ["p1"], "words are stemmed");
    assert_eq!(
        ids(&index, "\"the relay\" deploy kind:page"),
        ["p1"],
        "a phrase with words and a filter"
    );
    assert!(ids(&index, "\"the relay\" kind:decision").is_empty());
    assert!(
        ids(&index, "\"relay we\"").is_empty(),
        "no phrase across the end of the title and the start of the body"
    );
    assert_eq!(ids(&index, "\"relay with one\""), ["p1"]);
    assert_eq!(ids(&index, "onboa"), ["p2"], "prefix on the last word");
    assert!(
        ids(&index, "onboa ").is_empty(),
        "a finished word is not a prefix"
    );
    assert_eq!(
        ids(&index, "handbok"),
        ["p2"],
        "one typo on a 5+ letter word"
    );
    assert!(
        ids(&index, "tema").is_empty(),
        "no typo tolerance under 5 letters"
    );
    assert_eq!(ids(&index, "café"), ["p5"], "accents are kept");
    assert_eq!(ids(&index, "ёлка"), ["p5"], "Cyrillic is searchable");
}

#[test]
fn cjk_words_are_found_inside_longer_runs() {
    let index = sample();
    assert_eq!(
        ids(&index, "議事"),
        ["p3"],
        "Japanese two-character word inside 議事録"
    );
    assert_eq!(ids(&index, "共有"), ["p3"]);
    assert_eq!(
        ids(&index, "时区"),
        ["p4"],
        "Chinese word inside a sentence"
    );
    assert_eq!(ids(&index, "决策"), ["p4"]);
    assert!(ids(&index, "議録").is_empty(), "not a substring");
    let hit = &index.search("時区 OR", &opts()).expect("search");
    assert!(hit.is_empty());
    let hits = index.search("議事", &opts()).expect("search");
    let chars: Vec<char> = hits[0].snippet.chars().collect();
    let [a, b] = hits[0].highlights[0];
    assert_eq!(chars[a..b].iter().collect::<String>(), "議事");
}

#[test]
fn filters_narrow_and_accepted_ranks_first() {
    let index = sample();
    assert_eq!(ids(&index, "storage"), ["d1", "d2"], "accepted above draft");
    assert_eq!(ids(&index, "storage status:draft"), ["d2"]);
    assert_eq!(ids(&index, "kind:page tag:ops"), ["p1"]);
    assert_eq!(ids(&index, "relay author:ada"), ["p1"]);
    assert!(ids(&index, "relay author:bo").is_empty());
    assert!(ids(&index, "storage kind:page").is_empty());
    // 1_780_000_000_000 ms is 2026-05-28 (UTC).
    assert_eq!(ids(&index, "storage after:2026-05-01").len(), 2);
    assert!(ids(&index, "storage after:2026-06-01").is_empty());
    assert!(ids(&index, "storage before:2026-05-01").is_empty());
    assert_eq!(ids(&index, "kind:decision before:2026-06-01").len(), 2);
    // Filters with the word being typed, alone and after other words.
    assert_eq!(ids(&index, "kind:decision stor"), ["d1", "d2"]);
    assert!(ids(&index, "kind:page stor").is_empty());
    assert_eq!(ids(&index, "kind:decision status:accepted use sto"), ["d1"]);
    assert_eq!(ids(&index, "after:2026-05-01 durable stor"), ["d1", "d2"]);
    assert!(ids(&index, "kind:page durable stor").is_empty());
    assert!(
        ids(&index, "sto kind:decision").is_empty(),
        "a word followed by a filter is finished, not a prefix"
    );
    assert_eq!(
        ids(&index, "kind:decision kind:page relay"),
        ["p1"],
        "kinds are alternatives"
    );
}

#[test]
fn snippets_show_why_a_result_matched() {
    let index = sample();
    let hits = index.search("deployment review", &opts()).expect("search");
    let h = &hits[0];
    let chars: Vec<char> = h.snippet.chars().collect();
    let words: Vec<String> = h
        .highlights
        .iter()
        .map(|[a, b]| chars[*a..*b].iter().collect())
        .collect();
    assert!(
        words.iter().any(|w| w == "deploy"),
        "{words:?} in {}",
        h.snippet
    );
    assert!(words.iter().any(|w| w == "review"), "{words:?}");
    assert!(words.iter().any(|w| w == "deployment"), "{words:?}");
}

#[test]
fn malformed_queries_are_errors_not_panics() {
    let index = sample();
    for q in [
        "\"unclosed",
        "kind:",
        "kind:rocket",
        "colour:red",
        "after:soon",
    ] {
        let err = index.search(q, &opts()).expect_err(q);
        assert!(!err.to_string().is_empty());
    }
    for q in ["", "   ", "!!!", "\"\"", "-", "***", "a", "\u{200b}"] {
        index
            .search(q, &opts())
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
}

#[test]
fn the_query_size_is_bounded_with_a_clear_error() {
    // Issue 21 (docs/limits.md). The grammar is flat, so the length bounds the work: the
    // costliest query at the limit (every word long enough for a typo, so the wide pass
    // runs a fuzzy term per word, plus every filter) is answered.
    let index = sample();
    let mut worst = String::from("kind:page status:draft tag:x author:y after:2020-01-01 ");
    let mut i = 0u32;
    while worst.chars().count() + 7 <= MAX_QUERY_CHARS {
        worst.push_str(&format!("relaz{} ", char::from(b'a' + (i % 26) as u8)));
        i += 1;
    }
    assert!(worst.chars().count() <= MAX_QUERY_CHARS);
    index
        .search(&worst, &opts())
        .unwrap_or_else(|e| panic!("at the limit: {e}"));
    // One character more (counted in characters, not bytes) is refused before parsing.
    let over = "é".repeat(MAX_QUERY_CHARS + 1);
    let err = index.search(&over, &opts()).expect_err("too long");
    assert_eq!(
        err.to_string(),
        format!("the query is too long (at most {MAX_QUERY_CHARS} characters)")
    );
    index
        .search(&"é".repeat(MAX_QUERY_CHARS), &opts())
        .expect("at the limit in characters");
}

#[test]
fn the_index_on_disk_is_a_cache_that_repairs_itself() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("search");
    {
        let (index, opened) = SearchIndex::open(&path).expect("open");
        assert_eq!(opened, Opened::Created);
        index
            .upsert(doc("a", "page", "Alpha", "first"))
            .expect("upsert");
        index
            .upsert(doc("b", "page", "Beta", "second"))
            .expect("upsert");
        index.flush().expect("flush");
        index
            .upsert(doc("a", "page", "Alpha", "first, edited"))
            .expect("upsert");
        index.delete("b").expect("delete");
    } // dropped: the writer commits what it holds
    let (index, opened) = SearchIndex::open(&path).expect("reopen");
    assert_eq!(opened, Opened::Existing);
    let indexed = index.indexed().expect("indexed");
    assert_eq!(indexed.len(), 1);
    assert_eq!(indexed.get("a").map(String::as_str), Some("h-a"));
    assert_eq!(ids(&index, "edited"), ["a"]);
    drop(index);

    // A damaged index is replaced by an empty one, never an error.
    std::fs::write(path.join("meta.json"), b"{ not json").expect("damage");
    let (index, opened) = SearchIndex::open(&path).expect("reopen damaged");
    assert!(matches!(opened, Opened::Replaced { .. }), "{opened:?}");
    assert!(index.is_empty());
}

#[test]
fn edits_are_searchable_within_the_commit_window() {
    let index = SearchIndex::in_memory().expect("index");
    index
        .upsert(doc("x", "page", "Quokka", "marsupial"))
        .expect("upsert");
    let start = std::time::Instant::now();
    while ids(&index, "quokka").is_empty() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "never became searchable"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_bulk_load_is_merged_into_one_segment_when_the_writer_is_idle() {
    let index = SearchIndex::in_memory().expect("index");
    // Committed in several batches, as an import or a rebuild would be.
    for batch in 0..6 {
        for i in 0..250 {
            let n = batch * 250 + i;
            index
                .upsert(doc(
                    &format!("{n:032x}"),
                    "page",
                    &format!("note {n}"),
                    "bulk text",
                ))
                .expect("upsert");
        }
        index.flush().expect("flush");
    }
    assert!(index.segments() > 1, "each flush commits a segment");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while index.segments() > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(index.segments(), 1);
    assert_eq!(index.len(), 1500);
    assert_eq!(
        ids(&index, "\"note 1499\"").first().map(String::as_str),
        Some(&*format!("{:032x}", 1499))
    );
}

/// The search document of a page, made the way the app makes it.
fn page_doc(id: &str, title: &str, body: &str) -> SearchDoc {
    let page = meridian_core::Page {
        title: title.into(),
        body: body.into(),
        ..meridian_core::Page::default()
    };
    search_doc(
        id,
        &meridian_core::Object::Page(page),
        1_780_000_000_000,
        "h",
    )
    .expect("pages are searched")
}

/// The snippet of the first hit for `q`, and its highlighted words.
fn snippet(index: &SearchIndex, q: &str) -> (String, Vec<String>) {
    let hits = index
        .search(q, &opts())
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    let h = hits
        .first()
        .unwrap_or_else(|| panic!("nothing found for {q}"));
    let chars: Vec<char> = h.snippet.chars().collect();
    let words = h
        .highlights
        .iter()
        .map(|[a, b]| chars[*a..*b].iter().collect())
        .collect();
    (h.snippet.clone(), words)
}

/// What a reader never sees in rendered Markdown: link addresses, emphasis markers,
/// heading hashes, quote markers, list bullets.
fn assert_reader_text(snippet: &str) {
    assert!(!snippet.contains("]("), "link syntax in {snippet:?}");
    assert!(!snippet.contains("**"), "emphasis markers in {snippet:?}");
    for word in snippet.split_whitespace() {
        let marker = word.chars().all(|c| c == '#') || word == ">" || word == "-";
        assert!(!marker, "Markdown marker {word:?} in {snippet:?}");
    }
}

#[test]
fn snippets_show_the_text_a_reader_sees_not_markdown() {
    let index = SearchIndex::in_memory().expect("index");
    index
        .upsert(page_doc(
            "p1",
            "Working remotely",
            "## How we work\n\n\
             > Sourcegraph is an [**all-remote**](../remote/index.md) company.\n\n\
             - Write it down in `the handbook`\n\
             - Prefer _async_ over meetings",
        ))
        .expect("upsert");
    index.flush().expect("flush");

    let (text, words) = snippet(&index, "all-remote");
    assert_eq!(
        text,
        "How we work\n\nSourcegraph is an all-remote company.\n\nWrite it down in the handbook\nPrefer async over meetings"
            .replace('\n', " ")
    );
    assert_reader_text(&text);
    assert_eq!(words, ["all", "remote"], "{text}");
    // Phrases run across what was markup, as the reader reads them.
    assert_eq!(ids(&index, "\"an all-remote company\""), ["p1"]);
    assert_eq!(ids(&index, "\"in the handbook\""), ["p1"]);
    // Link addresses are not words of the page.
    assert!(ids(&index, "index.md").is_empty());
}

#[test]
fn a_handbook_page_has_reader_snippets() {
    let root = std::path::Path::new(
        &std::env::var_os("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../../../shared/corpus/handbook/content");
    let path = root.join("company-info-and-process/communication/asynchronous-communication.md");
    let Ok(body) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: the handbook corpus is not at {}", root.display());
        return;
    };
    assert!(
        body.contains("[**all-remote**](../remote/index.md)"),
        "the page changed"
    );
    let index = SearchIndex::in_memory().expect("index");
    index
        .upsert(page_doc("p1", "Asynchronous communication", &body))
        .expect("upsert");
    index.flush().expect("flush");
    let (text, _) = snippet(&index, "all-remote company");
    assert!(
        text.contains("Sourcegraph is an all-remote company which means"),
        "{text}"
    );
    assert_reader_text(&text);
    for q in [
        "videos",
        "artifacts",
        "single sources of truth",
        "slack",
        "sync meetings",
        "caregiver",
    ] {
        let (text, words) = snippet(&index, q);
        assert!(!words.is_empty(), "{q}: nothing highlighted in {text}");
        assert_reader_text(&text);
    }
}
