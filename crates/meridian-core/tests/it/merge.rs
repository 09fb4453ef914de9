//! Concurrent edits of the same object on two devices merge without losing either side.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ReadDoc};
use meridian_core::*;
use proptest::prelude::*;

use crate::doc_with;

fn option(id: &str, title: &str) -> DecisionOption {
    DecisionOption {
        id: id.into(),
        title: title.into(),
        description: String::new(),
        pros: vec![],
        cons: vec![],
    }
}

#[test]
fn concurrent_option_edits_and_text_edits_both_survive() {
    let mut d = Decision::new("Choose a queue", 0);
    d.context = "We need a queue.".into();
    d.options = vec![option("a", "Kafka"), option("b", "NATS")];
    let mut left = doc_with(&d);
    let mut right = left.fork().with_actor(ActorId::from(vec![9u8; 16]));

    // Left: adds a pro to option a and appends to the context.
    let mut l = read::<Decision>(&left).expect("read");
    l.options[0].pros.push("durable".into());
    l.context = "We need a queue. Soon.".into();
    write(&mut left, &l, &Context::default()).expect("write");
    left.commit();

    // Right: inserts an option at the front and prefixes the context.
    let mut r = read::<Decision>(&right).expect("read");
    r.options.insert(0, option("c", "Redis streams"));
    r.context = "Ops says: We need a queue.".into();
    write(&mut right, &r, &Context::default()).expect("write");
    right.commit();

    left.merge(&mut right).expect("merge");
    let merged = read::<Decision>(&left).expect("read");
    let titles: Vec<&str> = merged.options.iter().map(|o| o.title.as_str()).collect();
    assert_eq!(titles, ["Redis streams", "Kafka", "NATS"]);
    assert_eq!(merged.options[1].pros, ["durable"]);
    assert_eq!(merged.context, "Ops says: We need a queue. Soon.");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever two devices type into a page body, merging in either order gives the
    /// same text, and each side's inserted text is in it.
    #[test]
    fn body_edits_converge(
        base in "[a-z ]{0,20}",
        a in "[A-M🎉]{1,6}", pa in 0usize..=20,
        b in "[N-Z中]{1,6}", pb in 0usize..=20,
    ) {
        let page = Page { title: "P".into(), body: base.clone(), ..Page::default() };
        let mut one = doc_with(&page);
        let mut two = one.fork().with_actor(ActorId::from(vec![7u8; 16]));
        let len = base.len() as u32; // ASCII base: UTF-16 length == byte length
        splice_prose(&mut one, "body", &[TextSplice { pos: (pa as u32).min(len), delete: 0, insert: a.clone() }]).expect("splice");
        splice_prose(&mut two, "body", &[TextSplice { pos: (pb as u32).min(len), delete: 0, insert: b.clone() }]).expect("splice");
        one.commit();
        two.commit();
        let mut x = one.fork();
        x.merge(&mut two.fork()).expect("merge");
        let mut y = two.fork();
        y.merge(&mut one.fork()).expect("merge");
        let bx = read::<Page>(&x).expect("read").body;
        let by = read::<Page>(&y).expect("read").body;
        prop_assert_eq!(&bx, &by);
        prop_assert!(bx.contains(&a) && bx.contains(&b));
    }
}

/// Two copies of one page on two devices (distinct actors), as sync leaves them.
fn two_devices(page: &Page) -> (automerge::AutoCommit, automerge::AutoCommit) {
    let mut one = doc_with(page);
    let two = one.fork().with_actor(ActorId::from(vec![5u8; 16]));
    (one, two)
}

fn trash(doc: &mut automerge::AutoCommit, to: bool) {
    set_trashed(doc, to).expect("set trashed");
    doc.commit();
}

#[test]
fn a_document_that_was_never_trashed_says_nothing_about_the_trash() {
    let doc = doc_with(&Page {
        title: "P".into(),
        ..Page::default()
    });
    assert_eq!(trashed(&doc).expect("read"), None);
}

#[test]
fn trash_on_one_device_and_an_edit_on_another_keep_both() {
    let (mut left, mut right) = two_devices(&Page {
        title: "Plan".into(),
        body: "v1".into(),
        ..Page::default()
    });
    trash(&mut left, true);
    let mut p = read::<Page>(&right).expect("read");
    p.body = "v1 and more".into();
    p.title = "Plan (edited)".into();
    write(&mut right, &p, &Context::default()).expect("write");
    right.commit();

    for (mut a, mut b) in [(left.fork(), right.fork()), (right.fork(), left.fork())] {
        a.merge(&mut b).expect("merge");
        assert_eq!(trashed(&a).expect("read"), Some(true));
        let page = read::<Page>(&a).expect("read");
        assert_eq!(page.body, "v1 and more");
        assert_eq!(page.title, "Plan (edited)");
    }
}

#[test]
fn an_edit_written_through_the_schema_leaves_the_trash_flag_alone() {
    let mut doc = doc_with(&Page {
        title: "P".into(),
        ..Page::default()
    });
    trash(&mut doc, true);
    let mut p = read::<Page>(&doc).expect("read");
    p.body = "edited while in the trash".into();
    write(&mut doc, &p, &Context::default()).expect("write");
    doc.commit();
    assert_eq!(trashed(&doc).expect("read"), Some(true));
}

#[test]
fn concurrent_trash_and_restore_end_in_the_trash_whatever_the_merge_order() {
    let (mut left, mut right) = two_devices(&Page {
        title: "P".into(),
        ..Page::default()
    });
    trash(&mut left, true);
    right.merge(&mut left).expect("merge");
    // Right restores while left restores and trashes again, neither seeing the other.
    trash(&mut right, false);
    trash(&mut left, false);
    trash(&mut left, true);
    let mut x = left.fork();
    x.merge(&mut right.fork()).expect("merge");
    let mut y = right.fork();
    y.merge(&mut left.fork()).expect("merge");
    assert_eq!(trashed(&x).expect("read"), Some(true));
    assert_eq!(trashed(&y).expect("read"), Some(true));
    assert_eq!(x.get_heads(), y.get_heads());

    // A restore made after seeing both settles it.
    trash(&mut x, false);
    assert_eq!(trashed(&x).expect("read"), Some(false));
    y.merge(&mut x).expect("merge");
    assert_eq!(trashed(&y).expect("read"), Some(false));
}

#[test]
fn repeating_a_trash_makes_no_change() {
    let mut doc = doc_with(&Page {
        title: "P".into(),
        ..Page::default()
    });
    trash(&mut doc, true);
    let heads = doc.get_heads();
    trash(&mut doc, true);
    assert_eq!(doc.get_heads(), heads);
    trash(&mut doc, false);
    assert_ne!(doc.get_heads(), heads, "a restore is a change of its own");
}

fn focus(id: &str, start: &str, end: &str) -> FocusBlock {
    FocusBlock {
        id: id.into(),
        weekdays: vec![0, 1, 2, 3, 4],
        date: None,
        start: start.into(),
        end: end.into(),
    }
}

/// Deletes the stored `id` of every entry of the member's list `list`, as documents
/// written before entries had ids hold them.
fn strip_entry_ids(doc: &mut AutoCommit, list: &str) {
    let Some((_, list)) = doc.get(automerge::ROOT, list).expect("get") else {
        panic!("no list {list}");
    };
    for i in 0..doc.length(&list) {
        let (_, entry) = doc.get(&list, i).expect("get").expect("an entry");
        doc.delete(&entry, "id").expect("delete id");
    }
    doc.commit();
}

/// Whether every entry of `list` has an id stored in the document.
fn entry_ids_stored(doc: &AutoCommit, list: &str) -> bool {
    let Some((_, list)) = doc.get(automerge::ROOT, list).expect("get") else {
        return false;
    };
    (0..doc.length(&list)).all(|i| {
        let (_, entry) = doc.get(&list, i).expect("get").expect("an entry");
        doc.get(&entry, "id").expect("get").is_some()
    })
}

#[test]
fn entries_stored_without_ids_read_with_stable_ids_and_keep_them() {
    let mut m = Member::new("Ada", "Europe/Berlin", Role::Editor);
    // Two identical blocks: only their position told them apart before.
    m.focus_blocks = vec![
        focus("x", "09:00", "10:00"),
        focus("y", "09:00", "10:00"),
        focus("z", "14:00", "15:00"),
    ];
    m.out_of_office = vec![DateRange {
        id: "o".into(),
        from: "2026-12-21".into(),
        to: "2026-12-31".into(),
        note: "holidays".into(),
    }];
    let mut left = doc_with(&m);
    strip_entry_ids(&mut left, "focus_blocks");
    strip_entry_ids(&mut left, "out_of_office");
    assert!(!entry_ids_stored(&left, "focus_blocks"));
    let mut right = left.fork().with_actor(ActorId::from(vec![9u8; 16]));

    // Every device reads the same ids, distinct even for identical entries.
    let l = read::<Member>(&left).expect("old document reads");
    let r = read::<Member>(&right).expect("old document reads");
    let ids: Vec<String> = l.focus_blocks.iter().map(|f| f.id.clone()).collect();
    assert_eq!(
        ids,
        r.focus_blocks
            .iter()
            .map(|f| f.id.clone())
            .collect::<Vec<_>>()
    );
    assert!(ids.iter().all(|id| id.len() == 8), "{ids:?}");
    assert_ne!(ids[0], ids[1], "identical entries get distinct ids");
    assert_ne!(ids[1], ids[2]);
    assert_eq!(l.out_of_office[0].id, r.out_of_office[0].id);
    assert_eq!(l.out_of_office[0].note, "holidays");

    // Both edit at once: left removes the second block by its id, right adds one. Each
    // write stores the ids in place; neither re-creates the old entries.
    let mut l = l;
    l.focus_blocks.retain(|f| f.id != ids[1]);
    write(&mut left, &l, &Context::default()).expect("write");
    left.commit();
    let mut r = r;
    r.focus_blocks.push(focus("new", "16:00", "17:00"));
    write(&mut right, &r, &Context::default()).expect("write");
    right.commit();
    assert!(entry_ids_stored(&left, "focus_blocks"));
    assert!(entry_ids_stored(&left, "out_of_office"));

    left.merge(&mut right).expect("merge");
    let merged = read::<Member>(&left).expect("read");
    let merged_ids: Vec<&str> = merged.focus_blocks.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(merged_ids, [ids[0].as_str(), ids[2].as_str(), "new"]);
    assert_eq!(merged.out_of_office.len(), 1, "no entry duplicated");
    assert!(entry_ids_stored(&left, "focus_blocks"));
}
