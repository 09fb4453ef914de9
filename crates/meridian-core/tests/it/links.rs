//! Links as people write them: wikilinks in their vault forms, Markdown links with
//! relative paths, and the path helpers links are resolved and rewritten with.

use automerge::ReadDoc;
use meridian_core::links::*;
use meridian_core::{Decision, Object, Page, read};

use crate::doc_with;

fn wiki_spans(text: &str) -> Vec<(Link, &str)> {
    link_spans(text)
        .into_iter()
        .map(|s| (s.link, &text[s.target]))
        .collect()
}

#[test]
fn wikilink_forms() {
    let text = "[[graph-view]] ![[embed]] [[features/graph-view]] [[name#Heading]] \
                [[name|alias]] [[note#^block|shown]] | [[a\\|b]] | [[ spaced ]] [[#local]]";
    let got = wiki_spans(text);
    assert_eq!(
        got,
        vec![
            (Link::wiki("graph-view"), "graph-view"),
            (Link::wiki("embed").embedded(), "embed"),
            (Link::wiki("features/graph-view"), "features/graph-view"),
            (Link::wiki("name").with_fragment("Heading"), "name"),
            (Link::wiki("name"), "name"),
            (Link::wiki("note").with_fragment("^block"), "note"),
            (Link::wiki("a"), "a"),
            (Link::wiki("spaced"), "spaced"),
        ]
    );
}

#[test]
fn markdown_link_forms() {
    let text = "[a](../remote/index.md) [b](My%20Note.md#Some%20Part) [c](<with space.md>) \
                ![img](pic.png \"t\") [d](https://x.y/a_(b)) [e](#local) [f](dir/) \
                [![badge](b.svg)](target.md) [g](wiki/Page_(x).md 'title')";
    let got: Vec<(Link, &str, bool)> = link_spans(text)
        .into_iter()
        .map(|s| (s.link, &text[s.target], s.angle))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Link::markdown("../remote/index.md"),
                "../remote/index.md",
                false
            ),
            (
                Link::markdown("My Note.md").with_fragment("Some Part"),
                "My%20Note.md",
                false
            ),
            (Link::markdown("with space.md"), "with space.md", true),
            (Link::markdown("pic.png").embedded(), "pic.png", false),
            (
                Link::markdown("https://x.y/a_(b)"),
                "https://x.y/a_(b)",
                false
            ),
            (Link::markdown("dir/"), "dir/", false),
            (Link::markdown("b.svg").embedded(), "b.svg", false),
            (Link::markdown("target.md"), "target.md", false),
            (
                Link::markdown("wiki/Page_(x).md"),
                "wiki/Page_(x).md",
                false
            ),
        ]
    );
}

#[test]
fn reference_definitions_are_links_and_footnotes_are_not() {
    let text = "Use the [[graph-view]].\n\n\
                [graph-view]: ../features/graph-view.md 'Graph Visualization'\n\
                [spaced]: <My Note.md>\n\
                [^1]: a footnote with [x](y.md)\n    [code]: z.md\n";
    let got: Vec<(Link, &str)> = link_spans(text)
        .into_iter()
        .map(|s| (s.link, &text[s.target]))
        .collect();
    assert_eq!(
        got,
        vec![
            (Link::wiki("graph-view"), "graph-view"),
            (
                Link::markdown("../features/graph-view.md"),
                "../features/graph-view.md"
            ),
            (Link::markdown("My Note.md"), "My Note.md"),
            (Link::markdown("y.md"), "y.md"),
        ]
    );
}

#[test]
fn code_is_not_prose() {
    let text = "a `[[no]]` b\n```md\n[[fenced]]\n~~~\n[[still fenced]]\n```\n\
                ~~~~\n[x](y.md)\n~~~~\n[[yes]] ``[[no]] ` x`` [z](z.md)\n";
    assert_eq!(links(text), vec![Link::wiki("yes"), Link::markdown("z.md")]);
}

#[test]
fn which_links_can_name_objects() {
    assert!(Link::markdown("https://x.y").is_external());
    assert!(Link::markdown("mailto:a@b.c").is_external());
    assert!(!Link::markdown("../a.md").is_external());
    assert!(!Link::markdown("C:/notes.md").is_external());
    assert!(Link::markdown("img/a.png").is_attachment());
    assert!(!Link::markdown("a.md").is_attachment());
    assert!(!Link::markdown("a").is_attachment());
    assert!(!Link::markdown("v1.2").is_attachment());
    assert!(Link::wiki("screenshot.png").is_attachment());
    assert!(!Link::wiki("Node.js").is_attachment());
    assert!(Link::wiki("Node.js").may_name_object());
}

#[test]
fn rewriting_replaces_only_the_target() {
    let text = "See [[old#H|shown]], [x](../f/old.md#part) and `[[old]]`.";
    let got = rewrite_links(text, |s| match s.link.kind {
        LinkKind::Wiki => Some("new".into()),
        LinkKind::Markdown => Some("../g/new.md".into()),
    });
    assert_eq!(
        got.as_deref(),
        Some("See [[new#H|shown]], [x](../g/new.md#part) and `[[old]]`.")
    );
    assert_eq!(rewrite_links(text, |_| None), None);
}

#[test]
fn paths() {
    assert_eq!(
        join_path("user/recipes", "../features/graph-view.md"),
        ("user/features/graph-view.md".into(), 0)
    );
    assert_eq!(join_path("a", "./b/../c.md"), ("a/c.md".into(), 0));
    assert_eq!(
        join_path("", "../decisions/x.md"),
        ("decisions/x.md".into(), 1)
    );
    assert_eq!(join_path("a/b", "/c.md"), ("c.md".into(), 0));
    assert_eq!(join_path("a", "b/"), ("a/b/".into(), 0));
    assert_eq!(relative_path("a/b", "a/c/d.md"), "../c/d.md");
    assert_eq!(relative_path("", "x/y.md"), "x/y.md");
    assert_eq!(relative_path("x", "x/y.md"), "y.md");
    assert_eq!(relative_path("x/z", "y.md"), "../../y.md");
    assert_eq!(file_stem("a/b/Graph View.MD"), "Graph View");
    assert_eq!(
        normalize_path("\\a\\./b.md").ok().as_deref(),
        Some("a/b.md")
    );
    assert!(normalize_path("../x.md").is_err());
    assert!(normalize_path("/").is_err());
    assert_eq!(percent_decode("a%20b%zz"), "a b%zz");
    assert_eq!(percent_encode_path("a b(1).md"), "a%20b%281%29.md");
}

#[test]
fn objects_written_before_paths_existed_still_read() {
    // A page and a decision as an older version wrote them: no `path` key at all.
    for kind in ["page", "decision"] {
        let mut doc = if kind == "page" {
            doc_with(&Page {
                title: "Old".into(),
                path: Some("x.md".into()),
                ..Page::default()
            })
        } else {
            let mut d = Decision::new("Old", 0);
            d.path = Some("x.md".into());
            doc_with(&d)
        };
        automerge::transaction::Transactable::delete(&mut doc, automerge::ROOT, "path")
            .expect("delete");
        doc.commit();
        assert!(doc.get(automerge::ROOT, "path").expect("get").is_none());
        let object = meridian_core::read_any(&doc).expect("an old document reads");
        assert_eq!(object.path(), None);
        if kind == "page" {
            assert_eq!(read::<Page>(&doc).expect("read").title, "Old");
        }
    }
    // And the path a newer one wrote reads back.
    let doc = doc_with(&Page {
        title: "New".into(),
        path: Some("features/graph-view.md".into()),
        ..Page::default()
    });
    assert_eq!(
        meridian_core::read_any(&doc).expect("read").path(),
        Some("features/graph-view.md")
    );
    assert!(matches!(meridian_core::read_any(&doc), Ok(Object::Page(_))));
}
