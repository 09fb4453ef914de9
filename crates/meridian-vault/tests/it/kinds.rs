//! Meetings and threads as mirror files: render → parse gives the object back, and a file
//! with a value that cannot be read is an error naming the field.
//!
//! What is normalised (and so generated that way here): titles are one line without
//! leading/trailing whitespace; prose (purpose, notes, summary, item notes, bodies) is
//! trimmed and holds no headings; `created_at_ms` is not in the file (the parse's `now`).

use std::collections::BTreeMap;

use meridian_core::{
    AgendaItem, Delivery, DocId, Kind, Meeting, MeetingState, Message, Thread, ThreadState,
};
use meridian_vault::{
    Error, Parsed, meeting_date, mirror_kind, parse_as, parse_markdown, render_meeting,
    render_thread,
};
use proptest::prelude::*;
use std::path::Path;

const NOW: i64 = 1_700_000_000_000;

fn line() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 ,.()éß中-]{0,24}[A-Za-z0-9)]"
        .prop_map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn prose() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            line(),
            Just(String::new()),
            Just("* a list item".to_owned())
        ],
        0..5,
    )
    .prop_map(|ls| ls.join("\n").trim().to_owned())
}

fn doc_id() -> impl Strategy<Value = String> {
    any::<[u8; 16]>().prop_map(|b| DocId::from_bytes(b).to_string())
}

fn item_id() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}"
}

fn ms() -> impl Strategy<Value = i64> {
    // 2001 to 2096, at any millisecond.
    1_000_000_000_000i64..4_000_000_000_000
}

fn agenda_item() -> impl Strategy<Value = AgendaItem> {
    (
        item_id(),
        line(),
        prop::option::of(doc_id()),
        0u32..300,
        prose(),
        prop::collection::vec(
            prop_oneof![doc_id(), Just("https://example.com/a?b=c".to_owned())],
            0..3,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(id, title, owner, minutes, notes, pre_reads, resolved_async)| AgendaItem {
                id,
                title,
                owner,
                minutes,
                notes,
                pre_reads,
                resolved_async,
            },
        )
}

prop_compose! {
    fn arb_meeting()(
        title in line(), purpose in prose(), decisions_sought in prop::collection::vec(line(), 0..3),
        start_ms in ms(), duration_min in 1u32..=1440,
        organiser_tz in prop::sample::select(vec!["Europe/Berlin", "Asia/Kathmandu", "America/St_Johns", "UTC", "Nowhere/Else"]),
        organiser in prop::option::of(doc_id()), weekly in any::<bool>(),
        attendees in prop::collection::vec(doc_id(), 0..4),
        agenda in prop::collection::vec(agenda_item(), 0..4),
        notes in prose(), summary in prose(),
        decisions in prop::collection::vec(doc_id(), 0..2), tasks in prop::collection::vec(doc_id(), 0..2),
        state in prop::sample::select(MeetingState::ALL.to_vec()),
        async_thread in prop::option::of(doc_id()),
    ) -> Meeting {
        Meeting {
            title, purpose, decisions_sought, start_ms, duration_min,
            organiser_tz: organiser_tz.to_owned(), organiser, weekly, attendees, agenda, notes,
            summary, decisions, tasks, state, async_thread, created_at_ms: NOW,
        }
    }
}

fn message() -> impl Strategy<Value = Message> {
    (item_id(), doc_id(), prose(), ms()).prop_map(|(id, author, body, at_ms)| Message {
        id,
        author,
        body,
        at_ms,
    })
}

prop_compose! {
    fn arb_thread()(
        title in line(), message_kind in prop::sample::select(vec!["fyi", "question", "needs-decision"]),
        body in prose(), author in doc_id(), recipients in prop::collection::vec(doc_id(), 0..3),
        delivery in prop::sample::select(Delivery::ALL.to_vec()),
        urgent_reason in prop::option::of(line()),
        messages in prop::collection::vec(message(), 0..4),
        acknowledgements in prop::collection::vec(doc_id(), 0..3),
        state in prop::sample::select(ThreadState::ALL.to_vec()),
        linked_decision in prop::option::of(doc_id()), source_meeting in prop::option::of(doc_id()),
    ) -> Thread {
        Thread {
            title, message_kind: message_kind.to_owned(), body, author, recipients, delivery,
            urgent_reason, messages, acknowledgements, state, linked_decision, source_meeting,
            created_at_ms: NOW,
        }
    }
}

fn names(t: &Thread) -> BTreeMap<String, String> {
    t.messages
        .iter()
        .take(1)
        .map(|m| (m.author.clone(), "Ada Lovelace".to_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn meetings_round_trip(m in arb_meeting(), bytes in any::<[u8; 16]>()) {
        let id = DocId::from_bytes(bytes);
        let text = render_meeting(&id, &m);
        let (got_id, parsed) = parse_as(Kind::Meeting, &text, "x", NOW).expect("parses");
        prop_assert_eq!(got_id, Some(id));
        prop_assert_eq!(parsed, Parsed::Meeting(m), "{}", text);
    }

    #[test]
    fn threads_round_trip(t in arb_thread(), bytes in any::<[u8; 16]>()) {
        let id = DocId::from_bytes(bytes);
        let text = render_thread(&id, &t, &names(&t));
        let (got_id, parsed) = parse_as(Kind::Thread, &text, "x", NOW).expect("parses");
        prop_assert_eq!(got_id, Some(id));
        prop_assert_eq!(parsed, Parsed::Thread(t), "{}", text);
    }
}

fn meeting() -> Meeting {
    Meeting {
        title: "Weekly sync".into(),
        purpose: "Agree the plan for Q1.".into(),
        decisions_sought: vec!["Which launch date".into()],
        // 2026-12-01T00:30:00Z: still the 30th of November in St John's.
        start_ms: 1_796_085_000_000,
        duration_min: 45,
        organiser_tz: "America/St_Johns".into(),
        organiser: None,
        weekly: false,
        attendees: Vec::new(),
        agenda: vec![AgendaItem {
            id: "0a1b2c3d".into(),
            title: "Budget".into(),
            owner: None,
            minutes: 15,
            notes: "Numbers first.".into(),
            pre_reads: vec!["https://example.com/budget".into()],
            resolved_async: false,
        }],
        notes: String::new(),
        summary: String::new(),
        decisions: Vec::new(),
        tasks: Vec::new(),
        state: MeetingState::Scheduled,
        async_thread: None,
        created_at_ms: NOW,
    }
}

#[test]
fn a_meeting_file_reads_as_documented() {
    // Not all digits, which YAML would quote.
    let id = DocId::from_bytes([0xab; 16]);
    let text = render_meeting(&id, &meeting());
    assert_eq!(
        text,
        format!(
            "---\nid: {id}\nkind: meeting\nstart: 2026-11-30T21:00:00-03:30\nduration_min: 45\norganiser_tz: America/St_Johns\nweekly: false\nstatus: scheduled\nattendees: []\ndecisions_sought:\n- Which launch date\n---\n# Weekly sync\n\nAgree the plan for Q1.\n\n## Agenda\n\n### Budget\n<!-- item: 0a1b2c3d -->\n- minutes: 15\n- pre-read: https://example.com/budget\n\nNumbers first.\n\n## Notes\n\n## Summary\n"
        )
    );
    assert_eq!(meeting_date(&meeting()), "2026-11-30");
}

/// Each bad value is an error naming the field; the rest of the file does not matter.
#[test]
fn unreadable_values_are_errors_naming_the_field() {
    let id = DocId::from_bytes([7; 16]);
    let good = render_meeting(&id, &meeting());
    for (from, to, field) in [
        ("duration_min: 45", "duration_min: -5", "duration_min"),
        ("duration_min: 45", "duration_min: soon", "duration_min"),
        (
            "start: 2026-11-30T21:00:00-03:30",
            "start: next tuesday",
            "start",
        ),
        ("start: 2026-11-30T21:00:00-03:30\n", "", "start"),
        ("status: scheduled", "status: postponed", "status"),
        ("weekly: false", "weekly: often", "weekly"),
        ("weekly: false", "weekly: false\ncolour: red", "colour"),
        ("- minutes: 15", "- minutes: a few", "minutes"),
        ("kind: meeting", "kind: thread", "kind"),
        ("# Weekly sync\n", "", "title"),
        ("## Agenda\n", "## Agenda\n\nStray text.\n", "Agenda"),
    ] {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        match parse_as(Kind::Meeting, &bad, "x", NOW) {
            Err(Error::InvalidField { field: f, detail }) => {
                assert_eq!(f, field, "{to}: {detail}");
                assert!(!detail.is_empty());
            }
            other => panic!("{to}: {other:?}"),
        }
    }
}

#[test]
fn new_sections_without_markers_read_as_new_entries() {
    let id = DocId::from_bytes([7; 16]);
    let text = render_meeting(&id, &meeting()).replace(
        "## Notes",
        "### Hiring\n- owner: Ada\n\nTwo roles.\n\n## Notes",
    );
    let Ok((_, Parsed::Meeting(m))) = parse_as(Kind::Meeting, &text, "x", NOW) else {
        panic!("parses");
    };
    assert_eq!(m.agenda.len(), 2);
    assert_eq!(m.agenda[1].id, "");
    assert_eq!(m.agenda[1].owner.as_deref(), Some("Ada"));
    assert_eq!(m.agenda[1].minutes, 10);
    assert_eq!(m.agenda[1].notes, "Two roles.");

    let t = Thread {
        title: "Launch?".into(),
        message_kind: "question".into(),
        body: "When do we launch?".into(),
        author: DocId::from_bytes([1; 16]).to_string(),
        recipients: vec![DocId::from_bytes([2; 16]).to_string()],
        delivery: Delivery::Now,
        urgent_reason: None,
        messages: Vec::new(),
        acknowledgements: Vec::new(),
        state: ThreadState::Open,
        linked_decision: None,
        source_meeting: None,
        created_at_ms: NOW,
    };
    let text = format!(
        "{}\n### Me\n\nIn March.\n",
        render_thread(&id, &t, &BTreeMap::new())
    );
    let Ok((_, Parsed::Thread(got))) = parse_as(Kind::Thread, &text, "x", NOW) else {
        panic!("parses");
    };
    assert_eq!(
        got.messages,
        [Message {
            id: String::new(),
            author: String::new(),
            body: "In March.".into(),
            at_ms: 0
        }]
    );
}

#[test]
fn the_folder_or_the_kind_key_makes_a_meeting_or_thread_and_import_is_unchanged() {
    let id = DocId::from_bytes([7; 16]);
    let text = render_meeting(&id, &meeting());
    assert_eq!(
        mirror_kind(Path::new("meetings/x.md"), "# x"),
        Some(Kind::Meeting)
    );
    assert_eq!(
        mirror_kind(Path::new("threads/x.md"), "# x"),
        Some(Kind::Thread)
    );
    assert_eq!(mirror_kind(Path::new("x.md"), &text), Some(Kind::Meeting));
    assert_eq!(mirror_kind(Path::new("pages/meetings.md"), "# x"), None);
    assert_eq!(mirror_kind(Path::new("meetings.md"), "# x"), None);
    // `meridian import` keeps making pages of any file, this one included.
    assert!(matches!(
        parse_markdown(&text, "x", NOW),
        Ok((_, Parsed::Page(_)))
    ));
}
