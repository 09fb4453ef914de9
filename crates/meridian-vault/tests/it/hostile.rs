use std::fs;

use meridian_vault::{Error, Parsed, parse_markdown, scan_dir};
use proptest::prelude::*;

use crate::{decision, page};

#[test]
fn malformed_front_matter_is_an_error_and_a_skip_reason() {
    let err = parse_markdown("---\ntitle: [oops\n---\n# T\n", "f", 0).expect_err("bad yaml");
    assert!(matches!(err, Error::FrontMatterYaml { .. }));
    assert!(
        err.to_string()
            .starts_with("front matter is not valid YAML")
    );
}

#[test]
fn unterminated_front_matter_is_body() {
    let text = "---\ntitle: Nope\n\n# Heading\n";
    let (id, p) = parse_markdown(text, "f", 0).expect("parses");
    let p = page(p);
    assert_eq!(id, None);
    assert_eq!(p.title, "Heading");
    assert_eq!(p.body, text);
}

#[test]
fn front_matter_in_a_code_fence_is_content() {
    let text =
        "# Real\n\n```yaml\n---\ntitle: Fake\nid: 0123456789abcdef0123456789abcdef\n---\n```\n";
    let (id, p) = parse_markdown(text, "f", 0).expect("parses");
    let p = page(p);
    assert_eq!(id, None);
    assert_eq!(p.title, "Real");
    assert!(p.properties.is_empty());
    assert_eq!(p.body, text);
}

#[test]
fn later_dash_block_is_body() {
    let text = "intro\n\n---\ntitle: Fake\n---\n";
    let p = page(parse_markdown(text, "stem", 0).expect("parses").1);
    assert_eq!(p.title, "stem");
    assert_eq!(p.body, text);
}

#[test]
fn dashes_only_empty_and_whitespace() {
    for text in ["---", "---\n", "---\n---\n", "", "   \n\n", "\u{feff}"] {
        let p = page(parse_markdown(text, "stem", 0).expect("parses").1);
        assert_eq!(p.title, "stem", "{text:?}");
    }
    let p = page(parse_markdown("", "", 0).expect("parses").1);
    assert_eq!(p.title, "Untitled");
}

#[test]
fn madr_heading_inside_fence_does_not_make_a_decision() {
    let text = "# Notes\n\n```\n## Decision Outcome\n```\n";
    page(parse_markdown(text, "f", 0).expect("parses").1);
}

#[test]
fn old_style_status_line_in_body() {
    let text = "# Use X\n\n* Status: superseded by [ADR-0005](0005-x.md)\n* Deciders: Ann, Bo\n* Date: 2020-01-02\n\nTechnical Story: #12\n\n## Context and Problem Statement\n\nWhy.\n\n## Considered Options\n\n* X\n* Y\n\n## Decision Outcome\n\nChosen option: \"X\", because it works.\n";
    let d = decision(parse_markdown(text, "f", 0).expect("parses").1);
    assert_eq!(d.status, meridian_core::DecisionStatus::Superseded);
    assert_eq!(d.deciders, ["Ann", "Bo"]);
    assert_eq!(
        d.properties.get("date").map(String::as_str),
        Some("\"2020-01-02\"")
    );
    assert_eq!(d.context, "Technical Story: #12\n\nWhy.");
    assert_eq!(d.chosen().map(|o| o.title.as_str()), Some("X"));
    assert_eq!(d.rationale, "it works.");
}

#[test]
fn accepted_without_a_choice_is_demoted() {
    let text = "---\nstatus: accepted\n---\n# T\n\n## Considered Options\n\n* A\n* B\n";
    let d = decision(parse_markdown(text, "f", 0).expect("parses").1);
    assert_eq!(d.status, meridian_core::DecisionStatus::Proposed);
    assert_eq!(d.chosen_option, None);
}

#[test]
fn unknown_chosen_option_is_added() {
    let text = "# T\n\n## Considered Options\n\n* A\n\n## Decision Outcome\n\nChosen option: \"Z\", because.\n";
    let d = decision(parse_markdown(text, "f", 0).expect("parses").1);
    assert_eq!(d.options.len(), 2);
    assert_eq!(d.chosen().map(|o| o.id.as_str()), Some("z"));
}

#[test]
fn duplicate_option_titles_get_unique_ids() {
    let text = "# T\n\n## Considered Options\n\n* Same\n* Same\n* same!\n";
    let d = decision(parse_markdown(text, "f", 0).expect("parses").1);
    let ids: Vec<_> = d.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["same", "same-2", "same-3"]);
}

#[test]
fn huge_line_and_deep_nesting_do_not_panic() {
    let huge = "a".repeat(5_000_000);
    let p = page(parse_markdown(&huge, "big", 0).expect("parses").1);
    assert_eq!(p.title, "big");
    let mut nested = String::new();
    for i in 0..2_000 {
        nested.push_str(&" ".repeat(i * 2));
        nested.push_str("* item\n");
    }
    let quotes = ">".repeat(10_000) + " deep\n";
    parse_markdown(&nested, "n", 0).expect("parses");
    parse_markdown(&quotes, "q", 0).expect("parses");
    let deep_yaml = format!("---\nk: {}{}\n---\n", "[".repeat(5_000), "]".repeat(5_000));
    let _ = parse_markdown(&deep_yaml, "y", 0);
}

#[test]
fn scan_reports_hostile_files_and_never_leaves_the_folder() {
    let outside = tempfile::tempdir().expect("tmp");
    fs::write(outside.path().join("secret.md"), "# Secret\n").expect("write");
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    fs::write(d.join("bad-yaml.md"), "---\ntitle: [x\n---\nbody").expect("w");
    fs::write(d.join("binary.md"), [0xff, 0xfe, 0x00, 0x41]).expect("w");
    fs::write(d.join("nul.md"), "a\0b").expect("w");
    fs::write(d.join("empty.md"), "").expect("w");
    fs::write(d.join("UPPER.MD"), "# Upper\n").expect("w");
    fs::write(d.join("notes.txt"), "# not markdown\n").expect("w");
    fs::create_dir(d.join("folder.md")).expect("dir");
    fs::write(d.join("folder.md").join("inner.md"), "# Inner\n").expect("w");
    fs::create_dir(d.join(".git")).expect("dir");
    fs::write(d.join(".git").join("x.md"), "# hidden\n").expect("w");
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(outside.path().join("secret.md"), d.join("leak.md")).expect("link");
        symlink(outside.path(), d.join("leakdir")).expect("link");
        symlink(d.join("UPPER.MD"), d.join("alias.md")).expect("link");
        symlink(d.join("nowhere.md"), d.join("broken.md")).expect("link");
    }
    let scan = scan_dir(d, 5).expect("scan");
    let files: Vec<String> = scan
        .files
        .iter()
        .map(|f| f.rel_path.display().to_string())
        .collect();
    let skipped: Vec<(String, String)> = scan
        .skipped
        .iter()
        .map(|s| (s.rel_path.display().to_string(), s.reason.clone()))
        .collect();
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|(p, _)| p == name)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{name} not skipped: {skipped:?}"))
    };
    assert!(reason("bad-yaml.md").starts_with("front matter is not valid YAML"));
    assert!(reason("binary.md").starts_with("not valid UTF-8"));
    assert!(reason("nul.md").contains("binary"));
    #[cfg(unix)]
    {
        assert_eq!(
            files,
            ["UPPER.MD", "alias.md", "empty.md", "folder.md/inner.md"]
        );
        assert_eq!(
            reason("leak.md"),
            "symlink leaving the folder, not followed"
        );
        assert_eq!(
            reason("leakdir"),
            "symlink leaving the folder, not followed"
        );
        assert_eq!(reason("broken.md"), "broken symlink");
        assert_eq!(skipped.len(), 6, "{skipped:?}");
    }
    assert!(scan.files.iter().all(|f| match &f.object {
        Parsed::Page(p) => p.title != "Secret" && p.title != "hidden",
        _ => false,
    }));
}

#[test]
fn scan_errors_only_for_the_folder_itself() {
    let dir = tempfile::tempdir().expect("tmp");
    assert!(matches!(
        scan_dir(&dir.path().join("missing"), 0),
        Err(Error::DirNotFound(_))
    ));
    let file = dir.path().join("f.md");
    fs::write(&file, "x").expect("w");
    assert!(matches!(scan_dir(&file, 0), Err(Error::NotADirectory(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics(text in any::<String>()) {
        let _ = parse_markdown(&text, "stem", 0);
    }

    #[test]
    fn parse_never_panics_on_markdownish(parts in prop::collection::vec(prop::sample::select(vec![
        "---\n", "# ", "## Decision Outcome\n", "## Considered Options\n", "### ", "* ", "Good, because ",
        "Chosen option: ", "\"", "'", "“", ", because", "```\n", "\n", "title: x\n", ": ", "[a](b)", "é", "\r\n",
        "  ", "1. ", "> ", "Status: ", "## Pros and Cons of the Options\n", "\u{feff}", "#",
    ]), 0..40)) {
        let text: String = parts.concat();
        let _ = parse_markdown(&text, "stem", 0);
    }
}
