use std::fs;

use meridian_core::{Decision, DecisionOption, DecisionStatus, DocId, Page};
use meridian_vault::{Error, ExportItem, ExportObject, Parsed, export_markdown, scan_dir};

fn id(n: u8) -> DocId {
    DocId::from_bytes([n; 16])
}

fn page(title: &str, body: &str) -> Page {
    Page {
        title: title.into(),
        body: body.into(),
        tags: vec!["a".into(), "b c".into()],
        ..Page::default()
    }
}

fn decision(title: &str) -> Decision {
    let mut d = Decision::new(title, 0);
    d.context = "Why we must choose.".into();
    d.drivers = vec!["speed".into()];
    d.options = vec![DecisionOption {
        id: "fast".into(),
        title: "Fast".into(),
        description: "The quick one.".into(),
        pros: vec!["quick".into(), "Neutral: odd".into()],
        cons: vec!["costly".into()],
    }];
    d.chosen_option = Some("fast".into());
    d.rationale = "it is quick.".into();
    d.status = DecisionStatus::Accepted;
    d.deciders = vec!["Ann".into()];
    // Decided in a meeting: the link survives the Markdown round trip.
    d.source_meeting = Some("00112233445566778899aabbccddeeff".into());
    d
}

#[test]
fn writes_named_files_and_rescans_to_the_same_objects() {
    let dir = tempfile::tempdir().expect("tmp");
    let pages = [
        page("Hello World", "# Hello World\n\nHi.\n"),
        page("hello world!", "x\n"),
        page("", ""),
    ];
    let decisions = [decision("Pick a DB"), decision("Pick a DB")];
    let ids: Vec<DocId> = (1..=5).map(id).collect();
    let items = vec![
        ExportItem {
            id: &ids[0],
            object: ExportObject::Page(&pages[0]),
        },
        ExportItem {
            id: &ids[1],
            object: ExportObject::Decision(&decisions[0]),
        },
        ExportItem {
            id: &ids[2],
            object: ExportObject::Page(&pages[1]),
        },
        ExportItem {
            id: &ids[3],
            object: ExportObject::Decision(&decisions[1]),
        },
        ExportItem {
            id: &ids[4],
            object: ExportObject::Page(&pages[2]),
        },
    ];
    let written = export_markdown(dir.path(), &items).expect("export");
    let rel: Vec<String> = written
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path().canonicalize().expect("canon"))
                .expect("inside")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        rel,
        [
            "pages/hello-world.md",
            "decisions/0001-pick-a-db.md",
            "pages/hello-world-2.md",
            "decisions/0002-pick-a-db-2.md",
            "pages/untitled.md",
        ]
    );
    let leftovers: Vec<_> = fs::read_dir(dir.path().join("pages"))
        .expect("rd")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left behind");

    let scan = scan_dir(dir.path(), 0).expect("scan");
    assert!(scan.skipped.is_empty(), "{:?}", scan.skipped);
    assert_eq!(scan.files.len(), 5);
    for (item, path) in items.iter().zip(&rel) {
        let f = scan
            .files
            .iter()
            .find(|f| f.rel_path.display().to_string() == *path)
            .expect("scanned");
        assert_eq!(f.id.as_ref(), Some(item.id));
        match (item.object, &f.object) {
            (ExportObject::Page(want), Parsed::Page(got)) => {
                let title = if want.title.is_empty() {
                    "untitled".to_owned()
                } else {
                    want.title.clone()
                };
                assert_eq!(got.title, title);
                assert_eq!(got.body, want.body);
                assert_eq!(got.tags, want.tags);
            }
            // A scanned file remembers where it was found; the rest is what was exported.
            (ExportObject::Decision(want), Parsed::Decision(got)) => assert_eq!(
                got,
                &meridian_core::Decision {
                    path: Some((*path).to_owned()),
                    ..want.clone()
                }
            ),
            _ => panic!("{path} changed kind"),
        }
    }

    // A second export overwrites in place.
    let again = export_markdown(dir.path(), &items).expect("export again");
    assert_eq!(again, written);
}

#[cfg(unix)]
#[test]
fn refuses_to_write_through_a_symlinked_folder_or_file() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().expect("tmp");
    let dir = tempfile::tempdir().expect("tmp");
    symlink(outside.path(), dir.path().join("pages")).expect("link");
    let p = page("Hi", "body");
    let i = id(9);
    let items = [ExportItem {
        id: &i,
        object: ExportObject::Page(&p),
    }];
    let err = export_markdown(dir.path(), &items).expect_err("must refuse");
    assert!(matches!(err, Error::SymlinkInTheWay(_)), "{err}");
    assert_eq!(
        fs::read_dir(outside.path()).expect("rd").count(),
        0,
        "nothing written outside"
    );

    let dir2 = tempfile::tempdir().expect("tmp");
    fs::create_dir(dir2.path().join("pages")).expect("dir");
    symlink(
        outside.path().join("target.md"),
        dir2.path().join("pages/hi.md"),
    )
    .expect("link");
    let err = export_markdown(dir2.path(), &items).expect_err("must refuse");
    assert!(matches!(err, Error::SymlinkInTheWay(_)), "{err}");
    assert!(!outside.path().join("target.md").exists());
}

#[test]
fn export_dir_that_is_a_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("file");
    fs::write(&f, "x").expect("w");
    assert!(matches!(
        export_markdown(&f, &[]),
        Err(Error::NotADirectory(_))
    ));
}

#[test]
fn the_path_is_where_the_file_is_not_what_it_says() {
    // A page remembers its file, but the file does not say it: moving the file moves it.
    let mut p = page("Graph", "Body\n");
    p.path = Some("features/graph-view.md".into());
    let text = meridian_vault::render_page(&id(1), &p);
    assert!(!text.contains("graph-view"), "{text}");
    let mut d = decision("Use it");
    d.path = Some("adr/0001-use-it.md".into());
    let text = meridian_vault::render_decision(&id(2), &d);
    assert!(!text.contains("0001-use-it"), "{text}");

    // A folder's files remember their paths, `/`-separated; an author's own `path:` key
    // is theirs, kept as a property, and does not move the page.
    let dir = tempfile::tempdir().expect("dir");
    fs::create_dir_all(dir.path().join("a/b")).expect("mkdir");
    fs::write(
        dir.path().join("a/b/note.md"),
        "---\npath: /somewhere/else\n---\n# Note\n",
    )
    .expect("write");
    let scan = scan_dir(dir.path(), 0).expect("scan");
    let Parsed::Page(p) = &scan.files[0].object else {
        panic!("a page")
    };
    assert_eq!(p.path.as_deref(), Some("a/b/note.md"));
    assert_eq!(
        p.properties.get("path").map(String::as_str),
        Some("\"/somewhere/else\"")
    );
    let (_, again) =
        meridian_vault::parse_markdown(&meridian_vault::render_page(&id(3), p), "note", 0)
            .expect("parse");
    let Parsed::Page(again) = again else {
        panic!("a page")
    };
    assert_eq!(again.path, None);
    assert_eq!(again.properties.get("path"), p.properties.get("path"));
}
