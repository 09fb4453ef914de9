//! Links as vaults write them, imported from the shared corpus: Foam's wikilinks by file
//! name and the handbook's relative Markdown links keep the graph they had in the folder.

use std::collections::BTreeSet;
use std::path::Path;

use meridian_testkit::corpus;
use serde_json::Value;

use crate::{init, json, ok};

/// The id of the one page titled `title`.
fn page_titled(d: &Path, title: &str) -> String {
    let list = json(d, &["list", "--kind", "page"]);
    let found: Vec<&Value> = list
        .as_array()
        .expect("array")
        .iter()
        .filter(|r| r["title"] == title)
        .collect();
    assert_eq!(found.len(), 1, "pages titled {title:?}: {found:?}");
    found[0]["id"].as_str().expect("id").to_owned()
}

fn backlink_titles(d: &Path, id: &str) -> BTreeSet<String> {
    json(d, &["page", "links", id])["backlinks"]
        .as_array()
        .expect("backlinks")
        .iter()
        .map(|o| o["title"].as_str().expect("title").to_owned())
        .collect()
}

#[test]
fn foam_wikilinks_by_file_name_resolve_after_import() {
    let Some(foam) = corpus("foam-docs") else {
        return;
    };
    let dir = init();
    let d = dir.path();
    let report = json(d, &["import", foam.to_str().expect("utf8")]);
    assert_eq!(report["pages"], 86, "{report}");

    // The note is `user/features/graph-view.md`, titled "Graph Visualization": links name
    // its file, never its title. Counted by hand in the corpus (outside code): nine notes
    // link to it as `[[graph-view]]` and two more only by a relative Markdown link
    // (`[Explore the graph view](../features/graph-view.md)`), eleven in all.
    let graph = page_titled(d, "Graph Visualization");
    let shown = json(d, &["show", &graph]);
    assert_eq!(shown["path"], "user/features/graph-view.md");
    let expected: BTreeSet<String> = [
        "Note Properties",
        "Tags",
        "Wikilinks",
        "Installation",
        "Navigation in Foam",
        "Using Foam",
        "Coming from Obsidian",
        "Recipes",
        "Search and Navigate Notes",
        // By `../features/graph-view.md` only:
        "Creating Your First Workspace",
        "Note-Taking in Foam",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(backlink_titles(d, &graph), expected);

    // `[[name#heading]]`, `[[name|alias]]` and `![[embed]]` find their notes too.
    let templates = page_titled(d, "Note Templates");
    assert!(
        backlink_titles(d, &templates).len() >= 5,
        "{:?}",
        backlink_titles(d, &templates)
    );

    // What is left unresolved is what the corpus does not have: each target was checked
    // by hand (examples in prose such as `[[my-note]]`, notes of another vault, files
    // outside these docs).
    let unresolved = json(d, &["page", "links", "--unresolved"]);
    let unresolved = unresolved.as_array().expect("array");
    let listed: BTreeSet<(String, String)> = unresolved
        .iter()
        .map(|u| {
            (
                u["from"]["title"].as_str().expect("title").to_owned(),
                u["target"].as_str().expect("target").to_owned(),
            )
        })
        .collect();
    // Checked in the corpus: there is a `grep.md` but no `cli-grep.md`, a `publishing/`
    // folder but no `publishing.md`, and CONTRIBUTING.md lies outside these docs.
    let expected: BTreeSet<(String, String)> = [
        ("Contribution Guide", "../../CONTRIBUTING.md"),
        ("foam search", "cli-grep"),
        (
            "Static Site Publishing Research",
            "../../user/publishing/publishing.md",
        ),
        ("Using Foam", "publishing"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(listed, expected);
    for u in unresolved {
        let target = u["target"].as_str().expect("target");
        assert!(
            !corpus_has(&foam, target, u["wiki"] == true),
            "{target} is in the corpus but did not resolve (from {})",
            u["from"]["title"]
        );
    }
    let text = ok(d, &["page", "links", "--unresolved"]);
    assert!(text.contains("[["), "{text}");
}

/// Whether some note of the corpus is the one `target` names, by the loosest reading:
/// a file whose name (without `.md`) is the target's last component, in any case.
fn corpus_has(root: &Path, target: &str, wiki: bool) -> bool {
    let name = target
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(target);
    let name = name.strip_suffix(".md").unwrap_or(name).to_lowercase();
    if name.is_empty() || name == "." || name == ".." {
        // `./` and `../` name a folder's index.
        return !wiki && walk(root).iter().any(|p| p.ends_with("index.md"));
    }
    walk(root).iter().any(|p| {
        p.file_stem()
            .is_some_and(|s| s.to_string_lossy().to_lowercase() == name)
    })
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("corpus").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn handbook_relative_links_resolve_after_import() {
    let Some(handbook) = corpus("handbook/content") else {
        return;
    };
    let dir = init();
    let d = dir.path();
    json(d, &["import", handbook.to_str().expect("utf8")]);

    // Pairs read from the corpus: the linking page, and the page its `../x/index.md`
    // link names.
    // company-info-and-process/about-sourcegraph/index.md: `](../remote/index.md)`
    // company-info-and-process/communication/asynchronous-communication.md: the same
    let remote = page_titled(d, "All-remote");
    assert_eq!(
        json(d, &["show", &remote])["path"],
        "company-info-and-process/remote/index.md"
    );
    let back = backlink_titles(d, &remote);
    assert!(back.contains("About Sourcegraph"), "{back:?}");
    assert!(back.contains("Asynchronous communication"), "{back:?}");
    // team/ceo/roles.md: `](../../strategy-goals/strategy/index.md)`
    let strategy = page_titled(d, "Sourcegraph strategy");
    let back = backlink_titles(d, &strategy);
    assert!(back.contains("Roles of the CEO"), "{back:?}");

    // The link as the page shows it names the object.
    let roles = page_titled(d, "Roles of the CEO");
    let links = json(d, &["page", "links", &roles]);
    let to_strategy = links["outgoing"]
        .as_array()
        .expect("outgoing")
        .iter()
        .find(|l| l["target"] == "../../strategy-goals/strategy/index.md")
        .expect("the link is listed");
    assert_eq!(to_strategy["object"]["id"], strategy.as_str());

    // Of some 4,000 relative links, six name no file of the corpus (checked by hand: two
    // pages the digital-success folder lacks, a README and a security page outside it, a
    // release tool page `dev/tools/` does not have, a `people-ops` folder without an
    // index). `../people-talent/total-rewards/` names `total-rewards.md`, as the site
    // serves it.
    let unresolved = json(d, &["page", "links", "--unresolved"]);
    let targets: BTreeSet<&str> = unresolved
        .as_array()
        .expect("array")
        .iter()
        .map(|u| u["target"].as_str().expect("target"))
        .collect();
    assert_eq!(
        targets,
        [
            "../../../README.md",
            "../../../admin-exp/security/reporting-vulnerabilities.md",
            "career-growth/ta-career-development.md",
            "onboarding/ta-onboarding.md",
            "people-ops",
            "../../tools/release.md",
        ]
        .into_iter()
        .collect()
    );
}
