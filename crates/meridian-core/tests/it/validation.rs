use std::collections::BTreeSet;

use automerge::AutoCommit;
use meridian_core::*;
use rstest::rstest;

use crate::doc_with;

fn decision(status: DecisionStatus, chosen: Option<&str>) -> Decision {
    let mut d = Decision::new("Pick a database", 0);
    d.options = vec![DecisionOption {
        id: "a".into(),
        title: "A".into(),
        description: String::new(),
        pros: vec![],
        cons: vec![],
    }];
    d.chosen_option = chosen.map(Into::into);
    d.status = status;
    d
}

#[test]
fn a_decision_cannot_be_accepted_without_a_chosen_option() {
    let mut doc = AutoCommit::new();
    let err = write(
        &mut doc,
        &decision(DecisionStatus::Accepted, None),
        &Context::default(),
    );
    assert!(
        matches!(err, Err(Error::AcceptedWithoutChosenOption)),
        "{err:?}"
    );
    assert!(
        err.expect_err("refused")
            .to_string()
            .contains("choose one of its options")
    );
}

#[test]
fn the_chosen_option_must_be_one_of_the_options() {
    let mut doc = AutoCommit::new();
    let err = write(
        &mut doc,
        &decision(DecisionStatus::Proposed, Some("zzz")),
        &Context::default(),
    );
    assert!(
        matches!(err, Err(Error::ChosenOptionUnknown(ref o)) if o == "zzz"),
        "{err:?}"
    );
}

#[rstest]
#[case(DecisionStatus::Draft, DecisionStatus::Proposed, true)]
#[case(DecisionStatus::Proposed, DecisionStatus::Accepted, true)]
#[case(DecisionStatus::Proposed, DecisionStatus::Rejected, true)]
#[case(DecisionStatus::Accepted, DecisionStatus::Superseded, true)]
#[case(DecisionStatus::Accepted, DecisionStatus::Deprecated, true)]
#[case(DecisionStatus::Draft, DecisionStatus::Accepted, false)]
#[case(DecisionStatus::Accepted, DecisionStatus::Draft, false)]
#[case(DecisionStatus::Rejected, DecisionStatus::Accepted, false)]
#[case(DecisionStatus::Superseded, DecisionStatus::Accepted, false)]
fn status_transitions(
    #[case] from: DecisionStatus,
    #[case] to: DecisionStatus,
    #[case] allowed: bool,
) {
    let mut doc = doc_with(&decision(from, Some("a")));
    let result = write(&mut doc, &decision(to, Some("a")), &Context::default());
    assert_eq!(result.is_ok(), allowed, "{from} -> {to}: {result:?}");
    if !allowed {
        assert!(matches!(result, Err(Error::StatusTransition { .. })));
        // Nothing was written: the stored status is unchanged.
        doc.rollback();
        assert_eq!(read::<Decision>(&doc).expect("read").status, from);
    }
}

fn meeting(duration_min: u32, attendees: Vec<String>) -> Meeting {
    Meeting {
        title: "Planning".into(),
        purpose: String::new(),
        decisions_sought: vec![],
        start_ms: 1_764_000_000_000,
        duration_min,
        organiser_tz: "Europe/Berlin".into(),
        organiser: None,
        weekly: false,
        attendees,
        agenda: vec![],
        notes: String::new(),
        summary: String::new(),
        decisions: vec![],
        tasks: vec![],
        async_thread: None,
        state: MeetingState::Scheduled,
        created_at_ms: 0,
    }
}

#[test]
fn a_meeting_needs_a_duration() {
    let err = write(
        &mut AutoCommit::new(),
        &meeting(0, vec![]),
        &Context::default(),
    );
    assert!(matches!(err, Err(Error::MeetingDuration(0))), "{err:?}");
    assert!(
        write(
            &mut AutoCommit::new(),
            &meeting(30, vec![]),
            &Context::default()
        )
        .is_ok()
    );
}

#[test]
fn unknown_member_ids_are_rejected() {
    let known: BTreeSet<String> = ["aaaa".to_owned()].into();
    let ctx = Context {
        members: Some(&known),
        message_kinds: &[],
    };
    let ok = write(
        &mut AutoCommit::new(),
        &meeting(30, vec!["aaaa".into()]),
        &ctx,
    );
    assert!(ok.is_ok(), "{ok:?}");
    let err = write(
        &mut AutoCommit::new(),
        &meeting(30, vec!["aaaa".into(), "bbbb".into()]),
        &ctx,
    );
    assert!(
        matches!(err, Err(Error::UnknownMember(ref m)) if m == "bbbb"),
        "{err:?}"
    );
    let task = Task {
        title: "t".into(),
        owner: Some("nobody".into()),
        due: None,
        state: TaskState::Open,
        source: None,
        created_at_ms: 0,
    };
    assert!(matches!(
        write(&mut AutoCommit::new(), &task, &ctx),
        Err(Error::UnknownMember(_))
    ));
}

#[rstest]
#[case("Mars/Olympus")]
#[case("")]
#[case("UTC+5")]
fn unknown_time_zones_are_rejected(#[case] tz: &str) {
    let m = Member::new("Ada", tz, Role::Editor);
    assert!(matches!(
        write(&mut AutoCommit::new(), &m, &Context::default()),
        Err(Error::UnknownTimeZone(_))
    ));
}

#[rstest]
#[case("Asia/Kathmandu")]
#[case("Australia/Lord_Howe")]
#[case("Pacific/Chatham")]
#[case("America/St_Johns")]
fn unusual_zones_are_accepted(#[case] tz: &str) {
    assert!(
        write(
            &mut AutoCommit::new(),
            &Member::new("Ada", tz, Role::Editor),
            &Context::default()
        )
        .is_ok()
    );
}

#[test]
fn working_hours_and_dates_are_checked() {
    let mut m = Member::new("Ada", "Europe/Paris", Role::Editor);
    m.working_hours[0].end = "08:00".into();
    assert!(matches!(
        write(&mut AutoCommit::new(), &m, &Context::default()),
        Err(Error::InvalidRange { .. })
    ));
    let mut m = Member::new("Ada", "Europe/Paris", Role::Editor);
    m.out_of_office.push(DateRange {
        id: "away".into(),
        from: "2026-13-01".into(),
        to: "2026-12-02".into(),
        note: String::new(),
    });
    assert!(matches!(
        write(&mut AutoCommit::new(), &m, &Context::default()),
        Err(Error::InvalidDate { .. })
    ));
    let mut m = Member::new("Ada", "Europe/Paris", Role::Editor);
    m.working_hours[0].weekday = 7;
    assert!(matches!(
        write(&mut AutoCommit::new(), &m, &Context::default()),
        Err(Error::InvalidWeekday(7))
    ));
}

#[test]
fn thread_kinds_come_from_the_charter_and_urgent_needs_a_reason() {
    let charter = Charter::default();
    let ctx = Context {
        members: None,
        message_kinds: &charter.message_kinds,
    };
    let mut t = Thread {
        title: "Prod is down".into(),
        message_kind: "urgent".into(),
        body: String::new(),
        author: "a".into(),
        recipients: vec![],
        delivery: Delivery::Now,
        urgent_reason: None,
        messages: vec![],
        acknowledgements: vec![],
        state: ThreadState::Open,
        linked_decision: None,
        source_meeting: None,
        created_at_ms: 0,
    };
    assert!(matches!(
        write(&mut AutoCommit::new(), &t, &ctx),
        Err(Error::UrgentNeedsReason)
    ));
    t.urgent_reason = Some("customers cannot log in".into());
    assert!(write(&mut AutoCommit::new(), &t, &ctx).is_ok());
    t.message_kind = "gossip".into();
    assert!(matches!(
        write(&mut AutoCommit::new(), &t, &ctx),
        Err(Error::UnknownMessageKind { .. })
    ));
}

#[test]
fn empty_titles_are_rejected() {
    let err = write(
        &mut AutoCommit::new(),
        &Page {
            title: "  ".into(),
            ..Page::default()
        },
        &Context::default(),
    );
    assert!(matches!(err, Err(Error::EmptyTitle(Kind::Page))));
}

#[rstest]
#[case(
    "0123456789abcdef0123456789abcdef",
    Some(PreRead::Object("0123456789abcdef0123456789abcdef"))
)]
#[case(
    " https://example.org/spec ",
    Some(PreRead::Url("https://example.org/spec"))
)]
#[case("HTTP://Example.org", Some(PreRead::Url("HTTP://Example.org")))]
#[case("https://", None)]
#[case("https://example.org/a b", None)]
#[case("ftp://example.org", None)]
#[case("the wiki", None)]
fn pre_reads_are_objects_or_web_links(#[case] value: &str, #[case] expected: Option<PreRead<'_>>) {
    assert_eq!(parse_pre_read(value).ok(), expected);
}

fn meeting_with(items: Vec<AgendaItem>) -> Meeting {
    Meeting {
        title: "Planning".into(),
        purpose: "Agree the plan.".into(),
        decisions_sought: vec!["Which relay host".into()],
        start_ms: 0,
        duration_min: 30,
        organiser_tz: "UTC".into(),
        organiser: None,
        weekly: false,
        attendees: Vec::new(),
        agenda: items,
        notes: String::new(),
        summary: String::new(),
        decisions: Vec::new(),
        tasks: Vec::new(),
        state: MeetingState::Scheduled,
        async_thread: None,
        created_at_ms: 0,
    }
}

fn item(id: &str, title: &str, pre_reads: &[&str]) -> AgendaItem {
    AgendaItem {
        id: id.into(),
        title: title.into(),
        owner: None,
        minutes: 10,
        notes: "Costs attached.".into(),
        pre_reads: pre_reads.iter().map(|p| (*p).to_owned()).collect(),
        resolved_async: false,
    }
}

#[test]
fn agenda_items_need_titles_unique_ids_and_readable_pre_reads() {
    let ok = meeting_with(vec![item("a", "Costs", &["https://example.org"])]);
    assert!(write(&mut AutoCommit::new(), &ok, &Context::default()).is_ok());
    for bad in [
        meeting_with(vec![item("a", " ", &[])]),
        meeting_with(vec![item("a", "One", &[]), item("a", "Two", &[])]),
        meeting_with(vec![item("a", "One", &["see the wiki"])]),
    ] {
        let err = write(&mut AutoCommit::new(), &bad, &Context::default());
        assert!(matches!(err, Err(Error::InvalidRange { .. })), "{err:?}");
    }
}

#[test]
fn meeting_states_move_only_along_the_allowed_steps() {
    use MeetingState::*;
    assert!(Scheduled.can_become(Held) && Held.can_become(Summarised));
    assert!(Summarised.can_become(Held), "reopened to amend");
    assert!(!Cancelled.can_become(Summarised));
    assert!(
        !Scheduled.can_become(ConvertedToAsync),
        "only the deadline does that"
    );
    assert_eq!(ConvertedToAsync.next_steps(), [Cancelled]);
}

#[test]
fn a_decision_draft_starts_from_the_agenda_item_or_what_the_meeting_sought() {
    let m = meeting_with(vec![item(
        "a1",
        "Relay host",
        &["https://example.org/hosts"],
    )]);
    let (title, context) = m.decision_draft(Some("a1")).expect("an item");
    assert_eq!(title, "Relay host");
    assert!(context.starts_with("Decided in the meeting \u{201c}Planning\u{201d}."));
    assert!(context.contains("Agree the plan.") && context.contains("Costs attached."));
    assert!(context.contains("- https://example.org/hosts"));
    assert_eq!(
        m.decision_draft(Some("relay HOST")).map(|d| d.0),
        Some(title)
    );
    assert_eq!(
        m.decision_draft(None).map(|d| d.0).as_deref(),
        Some("Which relay host")
    );
    assert_eq!(m.decision_draft(Some("lunch")), None);
}

#[test]
fn a_checkin_needs_a_question_and_a_weekday() {
    let c = |questions: Vec<&str>, weekdays: Vec<u8>| Checkin {
        title: "Daily".into(),
        questions: questions.into_iter().map(Into::into).collect(),
        weekdays,
        prompt_time: "09:30".into(),
        participants: Vec::new(),
        entries: Vec::new(),
        created_at_ms: 0,
    };
    assert!(
        write(
            &mut AutoCommit::new(),
            &c(vec!["Shipped?"], vec![0]),
            &Context::default()
        )
        .is_ok()
    );
    for bad in [
        c(vec![], vec![0]),
        c(vec!["Shipped?", " "], vec![0]),
        c(vec!["Shipped?"], vec![]),
    ] {
        let err = write(&mut AutoCommit::new(), &bad, &Context::default());
        assert!(
            matches!(
                err,
                Err(Error::InvalidRange {
                    field: "check-in",
                    ..
                })
            ),
            "{err:?}"
        );
    }
}
