//! render → parse gives the object back.
//!
//! What is normalised (and so generated that way here): titles, option titles, drivers,
//! names and arguments are one line without leading/trailing whitespace; prose fields
//! (context, rationale, consequences, descriptions) are trimmed and contain no headings;
//! option ids are slugs of their titles (ids are derived on import, not stored).

use meridian_core::{Decision, DecisionOption, DecisionStatus, DocId, Page};
use meridian_vault::{parse_markdown, render_decision, render_page, slugify};
use proptest::prelude::*;

use crate::{decision, page};

fn line() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 ,.()éß中-]{0,24}[A-Za-z0-9)]"
        .prop_map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn prose() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 0..4).prop_map(|ls| ls.join("\n"))
}

fn status() -> impl Strategy<Value = DecisionStatus> {
    prop::sample::select(DecisionStatus::ALL.to_vec())
}

fn option() -> impl Strategy<Value = (String, String, Vec<String>, Vec<String>)> {
    (
        line(),
        prose(),
        prop::collection::vec(line(), 0..3),
        prop::collection::vec(line(), 0..3),
    )
}

prop_compose! {
    fn arb_decision()(
        title in line(), status in status(), context in prose(),
        drivers in prop::collection::vec(line(), 0..3),
        options in prop::collection::vec(option(), 0..4),
        chosen in any::<prop::sample::Index>(), rationale in prose(), consequences in prose(),
        deciders in prop::collection::vec(line(), 0..3),
        consulted in prop::collection::vec(line(), 0..2),
    ) -> Decision {
        let mut d = Decision::new(title, 0);
        let mut ids: Vec<String> = Vec::new();
        for (t, desc, pros, cons) in options {
            // Option titles must differ after normalisation to be told apart.
            if ids.contains(&slugify(&t.to_lowercase(), "option")) { continue; }
            let id = slugify(&t.to_lowercase(), "option");
            ids.push(id.clone());
            d.options.push(DecisionOption { id, title: t, description: desc, pros, cons });
        }
        if !d.options.is_empty() && status != DecisionStatus::Draft {
            d.chosen_option = Some(d.options[chosen.index(d.options.len())].id.clone());
        }
        d.status = if status == DecisionStatus::Accepted && d.chosen_option.is_none() { DecisionStatus::Proposed } else { status };
        d.context = context;
        d.drivers = drivers;
        d.rationale = rationale;
        d.consequences = consequences;
        d.deciders = deciders;
        d.consulted = consulted;
        d
    }
}

fn comparable(mut d: Decision) -> Decision {
    d.options
        .iter_mut()
        .for_each(|o| o.id = o.id.to_lowercase());
    d
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decisions_round_trip(d in arb_decision(), bytes in any::<[u8; 16]>()) {
        let id = DocId::from_bytes(bytes);
        let text = render_decision(&id, &d);
        let (got_id, parsed) = parse_markdown(&text, "whatever", 0).expect("parses");
        prop_assert_eq!(got_id, Some(id));
        let got = decision(parsed);
        prop_assert_eq!(comparable(got), comparable(d), "{}", text);
    }

    #[test]
    fn pages_round_trip(title in line(), body in "(?s).{0,200}", tags in prop::collection::vec(line(), 0..4), bytes in any::<[u8; 16]>()) {
        let id = DocId::from_bytes(bytes);
        let p = Page { title, body, tags, ..Page::default() };
        let text = render_page(&id, &p);
        let (got_id, parsed) = parse_markdown(&text, "stem", 0).expect("parses");
        prop_assert_eq!(got_id, Some(id));
        let got = page(parsed);
        // A body with MADR headings would import as a decision; the generator cannot make
        // one, and `page()` would fail loudly if it did.
        prop_assert_eq!(got, p, "{}", text);
    }
}

#[test]
fn numeric_looking_ids_survive_yaml() {
    for s in [
        "12345678901234567890123456789012",
        "1234567890123456789012345678e100",
        "00000000000000000000000000000000",
    ] {
        let id: DocId = s.parse().expect("id");
        let text = render_page(
            &id,
            &Page {
                title: "true".into(),
                ..Page::default()
            },
        );
        let (got, p) = parse_markdown(&text, "x", 0).expect("parses");
        assert_eq!(got, Some(id), "{text}");
        assert_eq!(page(p).title, "true");
    }
}

#[test]
fn page_keeps_front_matter_properties_and_maps_fields() {
    let text = "---\nid: 0123456789abcdef0123456789abcdef\ntags: x, y\nparent: Decisions\nreview-by: 2026-01-02\nextra: {a: 1}\n---\n# Head\n\nBody\n";
    let (id, p) = parse_markdown(text, "f", 3).expect("parses");
    let p = page(p);
    assert_eq!(
        id.map(|i| i.to_string()).as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(p.title, "Head");
    assert_eq!(p.tags, ["x", "y"]);
    assert_eq!(p.parent, None);
    assert_eq!(
        p.properties.get("parent").map(String::as_str),
        Some("\"Decisions\"")
    );
    assert_eq!(p.review_by.as_deref(), Some("2026-01-02"));
    assert_eq!(
        p.properties.get("extra").map(String::as_str),
        Some("{\"a\":1}")
    );
    assert_eq!(p.body, "# Head\n\nBody\n");
    let again = page(
        parse_markdown(
            &render_page(&"0123456789abcdef0123456789abcdef".parse().expect("id"), &p),
            "f",
            3,
        )
        .expect("parses")
        .1,
    );
    assert_eq!(again, p);
}
