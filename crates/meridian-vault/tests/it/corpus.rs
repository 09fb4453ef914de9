use std::fs;

use meridian_core::DecisionStatus;
use meridian_vault::{Parsed, parse_markdown, scan_dir};

use crate::{corpus, decision};

fn madr(name: &str) -> Option<meridian_core::Decision> {
    let dir = corpus("madr")?;
    let text = fs::read_to_string(dir.join(name)).expect("corpus file readable");
    let (_, parsed) = parse_markdown(&text, name.trim_end_matches(".md"), 7).expect("parses");
    Some(decision(parsed))
}

#[test]
fn every_madr_file_becomes_a_decision() {
    let Some(dir) = corpus("madr") else { return };
    let scan = scan_dir(&dir, 1).expect("scan");
    assert_eq!(scan.files.len(), 19);
    assert!(scan.skipped.is_empty(), "{:?}", scan.skipped);
    for f in &scan.files {
        let Parsed::Decision(d) = &f.object else {
            panic!("{} is not a decision", f.rel_path.display())
        };
        assert!(!d.title.is_empty());
        assert!(
            !d.options.is_empty(),
            "{} has no options",
            f.rel_path.display()
        );
        assert!(
            d.chosen().is_some(),
            "{} has no chosen option",
            f.rel_path.display()
        );
        assert!(
            !d.context.is_empty(),
            "{} has no context",
            f.rel_path.display()
        );
        assert_eq!(
            d.properties.get("parent").map(String::as_str),
            Some("\"Decisions\"")
        );
    }
}

#[test]
fn madr_0000_chosen_option_matches_the_linked_bullet() {
    let Some(d) = madr("0000-use-markdown-architectural-decision-records.md") else {
        return;
    };
    assert_eq!(d.title, "Use Markdown Architectural Decision Records");
    assert_eq!(d.status, DecisionStatus::Accepted);
    assert_eq!(d.options.len(), 5);
    let chosen = d.chosen().expect("chosen");
    assert_eq!(
        chosen.title,
        "[MADR](https://adr.github.io/madr/) 4.0.0 – The Markdown Architectural Decision Records"
    );
    assert!(
        d.rationale
            .starts_with("* Implicit assumptions should be made explicit.")
    );
    assert!(d.rationale.ends_with("* The MADR project is vivid."));
    assert!(
        d.context
            .starts_with("We want to record architectural decisions")
    );
    assert_eq!(d.properties.get("nav_order").map(String::as_str), Some("0"));
    assert_eq!(d.created_at_ms, 7);
}

#[test]
fn madr_0001_rationale_after_because() {
    let Some(d) = madr("0001-use-CC0-or-MIT-as-license.md") else {
        return;
    };
    assert_eq!(d.title, "Dual License the Work");
    assert_eq!(
        d.chosen().map(|o| o.title.as_str()),
        Some("Dual license with MIT and CC0")
    );
    assert_eq!(
        d.rationale,
        "this lets users choose whether CC0 or MIT fits better on their work."
    );
    assert_eq!(d.options.len(), 6);
}

#[test]
fn madr_0003_front_matter_status_on_hold_is_proposed() {
    let Some(d) = madr("0003-provide-own-madr-tools.md") else {
        return;
    };
    assert_eq!(d.status, DecisionStatus::Proposed);
    assert_eq!(
        d.properties.get("original_status").map(String::as_str),
        Some("\"on hold\"")
    );
    assert!(d.chosen().is_some());
}

#[test]
fn madr_0004_consequences() {
    let Some(d) = madr("0004-write-own-toc-tool.md") else {
        return;
    };
    assert_eq!(
        d.chosen().map(|o| o.title.as_str()),
        Some("Write own tool `adr-log`")
    );
    assert!(
        d.consequences
            .starts_with("* Good, because `adr-log` is installable")
    );
    assert!(
        d.consequences
            .ends_with("* Bad, because another tool has to be maintained")
    );
    assert!(
        d.rationale
            .contains("We accept that changing `adr-tools` would also be possible.")
    );
}

#[test]
fn madr_0013_drivers_pros_and_cons_and_fenced_front_matter() {
    let Some(d) = madr("0013-use-yaml-front-matter-for-meta-data.md") else {
        return;
    };
    assert_eq!(d.drivers, ["Easy to read", "Easy to write"]);
    // The `status: accepted` example sits in a code fence: not metadata.
    assert_eq!(d.status, DecisionStatus::Accepted);
    assert!(!d.properties.contains_key("original_status"));
    let yaml = &d.options[0];
    assert_eq!(yaml.title, "Use YAML front matter");
    assert_eq!(d.chosen_option.as_deref(), Some(yaml.id.as_str()));
    assert_eq!(yaml.pros.len(), 3);
    assert_eq!(yaml.cons.len(), 3);
    assert_eq!(yaml.pros[0], "it shortens the body (essence of the ADR)");
    assert!(
        yaml.description
            .contains("### Context and problem statement")
    );
    assert_eq!(
        d.options[1].cons,
        [
            "special markdown parsing tooling is needed",
            "metadata is handled the same way as the content"
        ]
    );
    assert!(d.properties.contains_key("section:More Information"));
}

#[test]
fn madr_0016_headings_in_fences_do_not_split_sections() {
    let Some(d) = madr("0016-outcome-before-detailed-pros-cons.md") else {
        return;
    };
    assert_eq!(
        d.options.len(),
        2,
        "{:?}",
        d.options.iter().map(|o| &o.title).collect::<Vec<_>>()
    );
    assert_eq!(d.chosen_option.as_deref(), Some(d.options[0].id.as_str()));
    assert_eq!(d.options[1].cons.len(), 3);
}

#[test]
fn madr_0017_single_quoted_choice_with_inner_because() {
    let Some(d) = madr("0017-use-same-format-for-outcomes-and-options.md") else {
        return;
    };
    assert_eq!(
        d.chosen().map(|o| o.title.as_str()),
        Some(
            "Section \"Consequences\" listing positive and negative consequences as \"Good, because\" and \"Bad, because\""
        )
    );
    assert_eq!(d.rationale, "resolves all forces.");
}

#[test]
fn madr_0018_confirmation_section_is_kept() {
    let Some(d) = madr("0018-use-confirmation-as-heading.md") else {
        return;
    };
    // The bullet is `* "Confirmation"`; the outcome names it without the quotes.
    assert_eq!(
        d.chosen().map(|o| o.title.as_str()),
        Some("\"Confirmation\"")
    );
    let kept = d
        .properties
        .get("section:Decision Outcome/Confirmation")
        .expect("kept");
    assert!(kept.contains("Before next release"));
}

#[test]
fn madr_corpus_survives_render_and_parse() {
    let Some(dir) = corpus("madr") else { return };
    let id: meridian_core::DocId = "0123456789abcdef0123456789abcdef".parse().expect("id");
    for f in scan_dir(&dir, 1).expect("scan").files {
        let mut d = decision(f.object);
        // The record remembers its file; the file's location is its path, so the text
        // does not say it.
        assert_eq!(
            d.path.as_deref(),
            Some(f.rel_path.to_string_lossy().replace('\\', "/").as_str())
        );
        d.path = None;
        let text = meridian_vault::render_decision(&id, &d);
        let (got_id, again) = parse_markdown(&text, "x", 1).expect("reparse");
        assert_eq!(got_id.as_ref(), Some(&id));
        assert_eq!(decision(again), d, "{}\n{text}", f.rel_path.display());
    }
}

#[test]
fn handbook_imports_every_file_as_a_page() {
    let Some(dir) = corpus("handbook/content") else {
        return;
    };
    let scan = scan_dir(&dir, 1).expect("scan");
    assert!(scan.skipped.is_empty(), "{:?}", scan.skipped);
    assert_eq!(scan.files.len(), 883);
    let mut with_fm_title = 0;
    for f in &scan.files {
        // No handbook page has a `## Considered Options` / `## Decision Outcome` heading
        // (checked by hand with grep): none may become a decision.
        let Parsed::Page(p) = &f.object else {
            panic!("{} became a decision", f.rel_path.display())
        };
        assert!(!p.title.trim().is_empty(), "{}", f.rel_path.display());
        let raw = fs::read_to_string(dir.join(&f.rel_path)).expect("read");
        if raw.starts_with("---\n")
            && raw
                .lines()
                .skip(1)
                .take_while(|l| *l != "---")
                .any(|l| l.starts_with("title:"))
        {
            with_fm_title += 1;
        }
        if p.properties.is_empty() && !raw.starts_with("---") {
            assert_eq!(
                p.body,
                raw,
                "{}: body must be the file as written",
                f.rel_path.display()
            );
        }
    }
    // The handbook's front matter never sets `title:` (7 files have front matter, with
    // data_source, hide_sidebar, description…), so titles come from headings or stems.
    assert_eq!(with_fm_title, 0);
    let title_of = |rel: &str| {
        scan.files
            .iter()
            .find(|f| f.rel_path == std::path::Path::new(rel))
            .map(|f| match &f.object {
                Parsed::Page(p) => p.title.clone(),
                Parsed::Decision(d) => d.title.clone(),
                other => panic!("{rel} read as {other:?}"),
            })
    };
    assert_eq!(
        title_of("index.md").as_deref(),
        Some("Sourcegraph handbook")
    );
    assert_eq!(
        title_of("handbook/handbook-tips.md").as_deref(),
        Some("Handbook Usage Tips & Tricks")
    );
    // Empty file: title from the stem.
    assert_eq!(
        title_of("departments/sales/sales-enablement/contentmanagement.md").as_deref(),
        Some("contentmanagement")
    );
    let fm_pages = scan
        .files
        .iter()
        .filter(|f| matches!(&f.object, Parsed::Page(p) if !p.properties.is_empty()))
        .count();
    assert_eq!(fm_pages, 7);
}
