use std::collections::BTreeSet;

use automerge::ReadDoc;
use meridian_testkit::corpus;

use crate::{fails, init, json, ok};

#[test]
fn the_handbook_imports_completely() {
    let Some(handbook) = corpus("handbook/content") else {
        return;
    };
    let dir = init();
    let report = json(dir.path(), &["import", handbook.to_str().expect("utf8")]);
    let files = walk_md(&handbook);
    let pages = report["pages"].as_u64().expect("pages");
    let decisions = report["decisions"].as_u64().expect("decisions");
    assert_eq!(
        pages + decisions,
        files as u64,
        "every file imported: {report}"
    );
    assert!(
        report["skipped"].as_array().expect("skipped").is_empty(),
        "{report}"
    );
    let list = json(dir.path(), &["list", "--kind", "page"]);
    assert_eq!(list.as_array().expect("array").len() as u64, pages);
    // Titles are never empty, and a known page is there with its text.
    let titles: BTreeSet<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["title"].as_str().expect("title").to_owned())
        .collect();
    assert!(titles.iter().all(|t| !t.trim().is_empty()));
}

#[test]
fn madr_records_become_decisions_with_their_outcome() {
    let Some(madr) = corpus("madr") else { return };
    let dir = init();
    let report = json(dir.path(), &["import", madr.to_str().expect("utf8")]);
    assert_eq!(report["decisions"], 19, "{report}");
    let list = json(dir.path(), &["list", "--kind", "decision"]);
    let first = list
        .as_array()
        .expect("array")
        .iter()
        .find(|r| {
            r["title"]
                .as_str()
                .is_some_and(|t| t.contains("Markdown Architectural Decision Records"))
        })
        .expect("0000 imported");
    let shown = json(dir.path(), &["show", first["id"].as_str().expect("id")]);
    assert_eq!(shown["status"], "accepted");
    let chosen = shown["chosen_option"]
        .as_str()
        .expect("an option was chosen");
    let option = shown["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["id"] == chosen)
        .expect("chosen exists");
    assert!(
        option["title"].as_str().expect("title").contains("MADR"),
        "{option}"
    );
    assert!(shown["options"].as_array().expect("options").len() >= 3);
}

#[test]
fn export_and_reimport_keep_every_object() {
    let Some(madr) = corpus("madr") else { return };
    let dir = init();
    let d = dir.path();
    json(d, &["import", madr.to_str().expect("utf8")]);
    json(
        d,
        &[
            "page",
            "new",
            "--title",
            "Team norms",
            "--body",
            "# Team norms\n\nWrite things down.",
        ],
    );
    let out = tempfile::tempdir().expect("temp dir");
    let report = json(d, &["export", out.path().to_str().expect("utf8")]);
    assert_eq!(report["files"].as_array().expect("files").len(), 20);
    assert!(
        out.path()
            .join("decisions")
            .read_dir()
            .expect("decisions dir")
            .count()
            == 19
    );

    let again = init();
    let re = json(
        again.path(),
        &["import", out.path().to_str().expect("utf8")],
    );
    assert_eq!(re["decisions"], 19, "{re}");
    assert_eq!(re["pages"], 1, "{re}");
    // Ids travel in the front matter.
    let before: BTreeSet<String> = ids(d, "decision");
    let after: BTreeSet<String> = ids(again.path(), "decision");
    assert_eq!(before, after);
}

#[test]
fn automerge_export_loads_in_plain_automerge() {
    let dir = init();
    let d = dir.path();
    let page = json(
        d,
        &[
            "page",
            "new",
            "--title",
            "Plain",
            "--body",
            "Loadable anywhere",
        ],
    );
    let out = tempfile::tempdir().expect("temp dir");
    ok(
        d,
        &[
            "export",
            "--format",
            "automerge",
            out.path().to_str().expect("utf8"),
        ],
    );
    let file = out
        .path()
        .join("page")
        .join(format!("{}.automerge", page["id"].as_str().expect("id")));
    let doc = automerge::Automerge::load(&std::fs::read(&file).expect("read")).expect("loads");
    let (body, body_id) = doc
        .get(automerge::ROOT, "body")
        .expect("get")
        .expect("body");
    assert!(matches!(
        body,
        automerge::Value::Object(automerge::ObjType::Text)
    ));
    assert_eq!(doc.text(&body_id).expect("text"), "Loadable anywhere");
    // The workspace, charter and member documents are exported too.
    for kind in ["workspace", "charter", "member"] {
        assert_eq!(
            out.path().join(kind).read_dir().expect("dir").count(),
            1,
            "{kind}"
        );
    }
}

#[test]
fn hostile_markdown_is_reported_not_fatal() {
    let dir = init();
    let src = tempfile::tempdir().expect("temp dir");
    let p = src.path();
    std::fs::write(
        p.join("bad-yaml.md"),
        "---\ntitle: [unclosed\n---\n# Body\n",
    )
    .expect("write");
    std::fs::write(p.join("unterminated.md"), "---\ntitle: x\nno end\n").expect("write");
    std::fs::write(
        p.join("fenced.md"),
        "# Real title\n\n```\n---\ntitle: not metadata\n---\n```\n",
    )
    .expect("write");
    std::fs::write(p.join("binary.md"), [0xff, 0xfe, 0x00, 0x81]).expect("write");
    std::fs::write(p.join("empty.md"), "").expect("write");
    let report = json(dir.path(), &["import", p.to_str().expect("utf8")]);
    let imported =
        report["pages"].as_u64().expect("pages") + report["decisions"].as_u64().expect("decisions");
    let skipped = report["skipped"].as_array().expect("skipped");
    assert_eq!(
        imported + skipped.len() as u64,
        5,
        "every file accounted for: {report}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s["path"].as_str().is_some_and(|x| x.contains("binary"))),
        "{report}"
    );
    let pages = json(dir.path(), &["list", "--kind", "page"]);
    let fenced = pages
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["title"] == "Real title")
        .expect("fenced page");
    let shown = json(dir.path(), &["show", fenced["id"].as_str().expect("id")]);
    assert!(
        shown["body"]
            .as_str()
            .expect("body")
            .contains("title: not metadata")
    );
}

fn ids(d: &std::path::Path, kind: &str) -> BTreeSet<String> {
    json(d, &["list", "--kind", kind])
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

fn walk_md(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            n += walk_md(&p);
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("md")) {
            n += 1;
        }
    }
    n
}

#[test]
fn init_with_the_sample_lists_and_finds_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let created = json(
        d,
        &[
            "init", "--name", "Acme", "--me", "Ada", "--tz", "UTC", "--sample",
        ],
    );
    assert_eq!(created["name"], "Acme", "{created}");
    assert_eq!(created["sample"]["pages"], 5, "{created}");
    assert_eq!(created["sample"]["decisions"], 2, "{created}");
    let pages = json(d, &["list", "--kind", "page"]);
    let titles: BTreeSet<&str> = pages
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["title"].as_str().expect("title"))
        .collect();
    assert!(titles.contains("Start here"), "{titles:?}");
    assert_eq!(titles.len(), 5, "{titles:?}");
    let decisions = json(d, &["list", "--kind", "decision"]);
    assert_eq!(decisions.as_array().expect("array").len(), 2, "{decisions}");
    // Searchable at once: `init --sample` indexes before it returns.
    let hits = json(d, &["search", "prime directive"]);
    let first = &hits.as_array().expect("array")[0];
    assert_eq!(first["title"], "Retrospectives", "{hits}");
    // A second init is refused before anything is added: no second copy of the sample.
    let err = fails(
        d,
        &[
            "init", "--name", "Acme", "--me", "Ada", "--tz", "UTC", "--sample",
        ],
    );
    assert!(err.contains("already holds a workspace"), "{err}");
    let pages = json(d, &["list", "--kind", "page"]);
    assert_eq!(pages.as_array().expect("array").len(), 5, "{pages}");

    // Without --sample the workspace starts empty and says so.
    let plain = tempfile::tempdir().expect("temp dir");
    let created = json(
        plain.path(),
        &["init", "--name", "Bare", "--me", "Ada", "--tz", "UTC"],
    );
    assert!(created["sample"].is_null(), "{created}");
    let pages = json(plain.path(), &["list", "--kind", "page"]);
    assert!(pages.as_array().expect("array").is_empty(), "{pages}");
}
