use automerge::{AutoCommit, ReadDoc};
use meridian_core::*;

use crate::doc_with;

fn sample_decision() -> Decision {
    let mut d = Decision::new("Use SQLite for local storage", 1_700_000_000_000);
    d.context = "We need **durable** local storage.\n\nOffline first.".into();
    d.drivers = vec!["durability".into(), "no server".into()];
    d.options = vec![
        DecisionOption {
            id: "sqlite".into(),
            title: "SQLite".into(),
            description: "Embedded".into(),
            pros: vec!["mature".into()],
            cons: vec![],
        },
        DecisionOption {
            id: "files".into(),
            title: "Plain files".into(),
            description: String::new(),
            pros: vec![],
            cons: vec!["torn writes".into()],
        },
    ];
    d.chosen_option = Some("sqlite".into());
    d.rationale = "It is the most tested database there is.".into();
    d.status = DecisionStatus::Accepted;
    d
}

#[test]
fn every_kind_round_trips_through_a_document() {
    let page = Page {
        title: "Handbook".into(),
        body: "# Handbook\n\nWelcome — 欢迎 🎉".into(),
        tags: vec!["intro".into()],
        ..Page::default()
    };
    let doc = doc_with(&page);
    assert_eq!(read::<Page>(&doc).expect("read"), page);
    assert_eq!(kind_of(&doc).expect("kind"), Kind::Page);

    let d = sample_decision();
    let doc = doc_with(&d);
    assert_eq!(read::<Decision>(&doc).expect("read"), d);
    assert!(matches!(read_any(&doc).expect("any"), Object::Decision(x) if x == d));

    let charter = Charter::default();
    assert_eq!(read::<Charter>(&doc_with(&charter)).expect("read"), charter);
    let m = Member::new("Ada", "Asia/Kathmandu", Role::Admin);
    assert_eq!(read::<Member>(&doc_with(&m)).expect("read"), m);
}

#[test]
fn prose_fields_are_automerge_text_and_plain_fields_are_strings() {
    let doc = doc_with(&sample_decision());
    let (ctx, _) = doc
        .get(automerge::ROOT, "context")
        .expect("get")
        .expect("present");
    assert!(matches!(
        ctx,
        automerge::Value::Object(automerge::ObjType::Text)
    ));
    let (title, _) = doc
        .get(automerge::ROOT, "title")
        .expect("get")
        .expect("present");
    assert!(matches!(title, automerge::Value::Scalar(_)));
    let (status, _) = doc
        .get(automerge::ROOT, "status")
        .expect("get")
        .expect("present");
    assert_eq!(status.as_str(), Some("accepted"));
}

#[test]
fn reading_the_wrong_kind_is_an_error() {
    let doc = doc_with(&Page {
        title: "P".into(),
        ..Page::default()
    });
    assert!(matches!(
        read::<Decision>(&doc),
        Err(Error::WrongKind {
            expected: Kind::Decision,
            found: Kind::Page
        })
    ));
    assert!(matches!(
        read_any(&AutoCommit::new()),
        Err(Error::MissingKind)
    ));
}

#[test]
fn editor_splices_use_utf16_positions() {
    let mut doc = doc_with(&Page {
        title: "P".into(),
        body: "a🎉b".into(),
        ..Page::default()
    });
    // "a" is 1 unit, the emoji 2: inserting at 3 lands between the emoji and "b".
    splice_prose(
        &mut doc,
        "body",
        &[TextSplice {
            pos: 3,
            delete: 0,
            insert: "X".into(),
        }],
    )
    .expect("splice");
    splice_prose(
        &mut doc,
        "body",
        &[TextSplice {
            pos: 0,
            delete: 1,
            insert: "A".into(),
        }],
    )
    .expect("splice");
    assert_eq!(read::<Page>(&doc).expect("read").body, "A🎉Xb");
}

#[test]
fn a_splice_outside_the_text_is_refused() {
    let mut doc = doc_with(&Page {
        title: "P".into(),
        body: "abc".into(),
        ..Page::default()
    });
    let err = splice_prose(
        &mut doc,
        "body",
        &[TextSplice {
            pos: 2,
            delete: 5,
            insert: String::new(),
        }],
    );
    assert!(
        matches!(err, Err(Error::SpliceOutOfRange { len: 3, .. })),
        "{err:?}"
    );
    assert!(matches!(
        splice_prose(
            &mut doc,
            "title",
            &[TextSplice {
                pos: 0,
                delete: 0,
                insert: "x".into()
            }]
        ),
        Err(Error::NotProse(_))
    ));
}

#[test]
fn a_prose_field_written_as_a_plain_string_by_another_tool_still_reads() {
    use automerge::transaction::Transactable;
    let mut doc = AutoCommit::new();
    doc.put(automerge::ROOT, "kind", "page").expect("put");
    doc.put(automerge::ROOT, "title", "Foreign").expect("put");
    doc.put(automerge::ROOT, "body", "plain string body")
        .expect("put");
    doc.put_object(automerge::ROOT, "tags", automerge::ObjType::List)
        .expect("put");
    doc.put_object(automerge::ROOT, "properties", automerge::ObjType::Map)
        .expect("put");
    doc.put(automerge::ROOT, "created_at_ms", 0i64)
        .expect("put");
    for absent in ["parent", "owner", "review_by"] {
        doc.put(automerge::ROOT, absent, automerge::ScalarValue::Null)
            .expect("put");
    }
    let page = read::<Page>(&doc).expect("read");
    assert_eq!(page.body, "plain string body");
}

#[test]
fn ids_and_kinds_parse_strictly() {
    assert!("0123456789abcdef0123456789abcdef".parse::<DocId>().is_ok());
    for bad in [
        "",
        "xyz",
        "0123456789ABCDEF0123456789ABCDEF",
        "0123456789abcdef0123456789abcde",
    ] {
        assert!(bad.parse::<DocId>().is_err(), "{bad}");
    }
    assert_eq!("decisions".parse::<Kind>().ok(), Some(Kind::Decision));
    assert_eq!("check-in".parse::<Kind>().ok(), Some(Kind::Checkin));
    assert!("spaceship".parse::<Kind>().is_err());
    assert_eq!("Needs Decision".parse::<DecisionStatus>().ok(), None);
    assert_eq!(
        " Accepted ".parse::<DecisionStatus>().ok(),
        Some(DecisionStatus::Accepted)
    );
}

#[test]
fn page_links_are_extracted_from_the_body() {
    let page = Page {
        title: "P".into(),
        body: "See [a](pages/a.md) and [b](https://x.y \"t\") and [a again](pages/a.md).".into(),
        ..Page::default()
    };
    assert_eq!(
        page.links(),
        vec!["pages/a.md".to_owned(), "https://x.y".to_owned()]
    );
}

#[test]
fn wiki_links_are_read_but_not_from_code() {
    use meridian_core::links::{Link, links};
    let text = "Read [[Onboarding]] and [[Hiring plan|the plan]], twice: [[Onboarding]].\n\
                Inline `[[not a link]]` and [x](abc) here.\n\
                ```\n[[fenced]] [y](fenced.md)\n```\n\
                Empty [[ ]] and unclosed [[oops";
    assert_eq!(
        links(text),
        vec![
            Link::wiki("Onboarding"),
            Link::wiki("Hiring plan"),
            Link::markdown("abc"),
        ]
    );
}
