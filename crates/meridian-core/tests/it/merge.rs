//! Concurrent edits of the same object on two devices merge without losing either side.

use automerge::ActorId;
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
