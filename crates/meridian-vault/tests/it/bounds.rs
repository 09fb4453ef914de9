//! Issue 21: what a Markdown file can make the importer do is bounded, and past a bound
//! the file is refused with a clear reason instead of a panic, a stack overflow, minutes
//! of work or an unbounded allocation (docs/limits.md lists every bound).

use std::fs;

use meridian_vault::{
    Error, MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_DEPTH, Parsed, parse_markdown, scan_dir,
};

fn refusal(text: &str) -> Error {
    match parse_markdown(text, "f", 0) {
        Err(e) => e,
        Ok((_, parsed)) => panic!("accepted: {parsed:?}"),
    }
}

fn front(yaml: &str) -> String {
    format!("---\n{yaml}\n---\nbody\n")
}

#[test]
fn deeply_nested_front_matter_is_refused_before_the_yaml_parser() {
    // 100,000 `[` kept the YAML scanner busy for 82 s (debug build) before it gave up at
    // its recursion limit; counted first, they are refused at once.
    for yaml in [
        format!("k: {}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("k: {}{}", "{a: ".repeat(50_000), "}".repeat(50_000)),
        format!("k: {}", "[".repeat(MAX_FRONT_MATTER_DEPTH + 1)),
    ] {
        let err = refusal(&front(&yaml));
        assert!(
            matches!(err, Error::FrontMatterTooDeep { max } if max == MAX_FRONT_MATTER_DEPTH),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains(&format!("more than {MAX_FRONT_MATTER_DEPTH} levels deep")),
            "{err}"
        );
    }
    // At the bound the YAML parser has the last word (and accepts it).
    let at = format!(
        "k: {}x{}",
        "[".repeat(MAX_FRONT_MATTER_DEPTH),
        "]".repeat(MAX_FRONT_MATTER_DEPTH)
    );
    parse_markdown(&front(&at), "f", 0).expect("at the bound");
    // Balanced brackets side by side are not depth.
    let wide = format!("k: [{}x]", "[x], ".repeat(10_000));
    parse_markdown(&front(&wide), "f", 0).expect("wide, not deep");
}

#[test]
fn block_nesting_and_alias_bombs_are_yaml_errors() {
    // Indentation nesting: the YAML parser's recursion limit (128) says so.
    let mut block = String::new();
    for i in 0..200 {
        block.push_str(&" ".repeat(i));
        block.push_str("- \n");
    }
    let err = refusal(&front(&block));
    assert!(
        matches!(&err, Error::FrontMatterYaml { detail } if detail.contains("recursion limit exceeded")),
        "{err:?}"
    );
    // A billion laughs: nine aliases of nine aliases … (9^9 strings once expanded).
    let mut bomb = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut prev = 'a';
    for name in 'b'..='i' {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(", ")
        ));
        prev = name;
    }
    let err = refusal(&front(&bomb));
    assert!(
        matches!(&err, Error::FrontMatterYaml { detail } if detail.contains("repetition limit exceeded")),
        "{err:?}"
    );
}

#[test]
fn huge_front_matter_is_refused_before_parsing() {
    let over = format!("k: \"{}\"", "x".repeat(MAX_FRONT_MATTER_BYTES));
    let err = refusal(&front(&over));
    assert!(
        matches!(err, Error::FrontMatterTooLarge { max, .. } if max == MAX_FRONT_MATTER_BYTES),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("at most {MAX_FRONT_MATTER_BYTES} are read")),
        "{err}"
    );
    // The same text as body is fine.
    parse_markdown(&format!("# T\n\n{over}\n"), "f", 0).expect("a long body");
    let at = format!("k: \"{}\"", "x".repeat(MAX_FRONT_MATTER_BYTES - 16));
    parse_markdown(&front(&at), "f", 0).expect("under the bound");
}

#[test]
fn markdown_nested_100_000_levels_parses_without_overflowing_the_stack() {
    // The importer walks Markdown events in a loop (no recursion per level), so nesting
    // needs no bound of its own: each of these is a page.
    for (what, text) in [
        ("block quotes", ">".repeat(100_000) + " deep\n"),
        ("bullet lists", "- ".repeat(100_000) + "deep\n"),
        ("ordered lists", "1. ".repeat(100_000) + "deep\n"),
        ("quotes in lists", "- > ".repeat(50_000) + "deep\n"),
        ("emphasis", "*a ".repeat(100_000) + &" b*".repeat(100_000)),
        ("links", "[".repeat(100_000) + &"](x)".repeat(100_000)),
    ] {
        let (_, parsed) = parse_markdown(&text, "n", 0).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(matches!(parsed, Parsed::Page(_)), "{what}");
    }
}

#[test]
fn an_import_skips_files_over_its_size_bound() {
    let dir = tempfile::tempdir().expect("tmp");
    let big = fs::File::create(dir.path().join("big.md")).expect("create");
    // Sparse: the size is checked before a byte is read.
    big.set_len((64 << 20) + 1).expect("grow");
    fs::write(dir.path().join("small.md"), "# Small\n").expect("write");
    let scan = scan_dir(dir.path(), 0).expect("scan");
    assert_eq!(scan.files.len(), 1);
    assert_eq!(scan.skipped.len(), 1);
    assert_eq!(
        scan.skipped[0].reason,
        "larger than 64 MiB; split it into smaller pages"
    );
}
