//! Meetings through the engine: the agenda builder (owners, minutes, pre-reads, removal,
//! order, resolved in writing), notes and summary typed as keystrokes, and summarising a
//! meeting into a decision and a task that name the meeting as their source.

use meridian_app::core::{
    Decision, DecisionStatus, Kind, Meeting, MeetingState, Role, Task, TextSplice,
};
use meridian_app::{
    AgendaItemPatch, Error, Event, MeetingOutcome, MeetingText, NewAgendaItem, NewDecision,
    NewMeeting, NewPage, NewTask,
};
use meridian_testkit::TempWorkspace;

fn splice(pos: u32, delete: u32, insert: &str) -> TextSplice {
    TextSplice {
        pos,
        delete,
        insert: insert.into(),
    }
}

async fn planning(t: &TempWorkspace) -> (meridian_app::core::DocId, String) {
    let bo =
        t.ws.add_member("Bo", "Asia/Kathmandu", Role::Editor, None)
            .await
            .expect("add Bo")
            .to_string();
    let (id, _) =
        t.ws.create_meeting(NewMeeting {
            title: "Relay planning".into(),
            purpose: "Decide where the relay runs.".into(),
            start: "2026-11-26T10:00:00Z".into(),
            duration_min: 45,
            attendees: vec!["Bo".into()],
            ..NewMeeting::default()
        })
        .await
        .expect("schedule");
    (id, bo)
}

#[tokio::test]
async fn the_agenda_builder_keeps_owners_minutes_pre_reads_and_order() {
    let t = TempWorkspace::new().await;
    let (id, bo) = planning(&t).await;
    let (spec, _) =
        t.ws.create_page(NewPage {
            title: "Relay spec".into(),
            ..NewPage::default()
        })
        .await
        .expect("page");

    let m =
        t.ws.add_agenda_item(
            &id,
            NewAgendaItem {
                title: "Pick the relay host".into(),
                owner: Some("bo".into()),
                minutes: 15,
                pre_reads: vec![
                    spec.to_string(),
                    " https://example.org/hosting ".into(),
                    spec.to_string(),
                ],
                notes: String::new(),
            },
        )
        .await
        .expect("add an item");
    let item = m.agenda[0].clone();
    assert_eq!(item.owner.as_deref(), Some(bo.as_str()));
    assert_eq!(item.minutes, 15);
    assert_eq!(
        item.pre_reads,
        [spec.to_string(), "https://example.org/hosting".to_owned()],
        "trimmed, duplicates dropped"
    );

    // Pre-reads must be objects of this workspace or web links.
    let bad =
        t.ws.add_agenda_item(
            &id,
            NewAgendaItem {
                title: "Budget".into(),
                pre_reads: vec!["the wiki".into()],
                ..NewAgendaItem::default()
            },
        )
        .await
        .expect_err("not a link");
    assert!(bad.to_string().contains("web link"), "{bad}");
    let missing = "0123456789abcdef0123456789abcdef";
    let gone =
        t.ws.update_agenda_item(
            &id,
            &item.id,
            AgendaItemPatch {
                pre_reads: Some(vec![missing.into()]),
                ..AgendaItemPatch::default()
            },
        )
        .await
        .expect_err("no such object");
    assert!(matches!(gone, Error::NotFound(_)), "{gone}");
    let blank =
        t.ws.add_agenda_item(&id, NewAgendaItem::default())
            .await
            .expect_err("no title");
    assert!(blank.to_string().contains("needs a title"), "{blank}");

    // Edit: settled in writing, shorter, owner cleared.
    let m =
        t.ws.update_agenda_item(
            &id,
            &item.id,
            AgendaItemPatch {
                resolved_async: Some(true),
                minutes: Some(5),
                owner: Some(None),
                title: Some("  Pick the relay host (Hetzner?) ".into()),
                ..AgendaItemPatch::default()
            },
        )
        .await
        .expect("edit");
    let it = &m.agenda[0];
    assert!(it.resolved_async && it.owner.is_none() && it.minutes == 5);
    assert_eq!(it.title, "Pick the relay host (Hetzner?)");

    // A second item moved to the top, then removed.
    let m =
        t.ws.add_agenda_item(&id, new_item("Costs", Some("Ada"), 0))
            .await
            .expect("add");
    assert_eq!(m.agenda[1].minutes, 10, "0 minutes means the default");
    let costs = m.agenda[1].id.clone();
    let m = t.ws.move_agenda_item(&id, &costs, 0).await.expect("move");
    let titles: Vec<&str> = m.agenda.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Costs", "Pick the relay host (Hetzner?)"]);
    t.ws.remove_agenda_item(&id, &costs).await.expect("remove");
    let again =
        t.ws.remove_agenda_item(&id, &costs)
            .await
            .expect_err("gone");
    assert!(again.to_string().contains("no agenda item"), "{again}");

    let m: Meeting = t.reopen().await.get(&id).await.expect("reopen");
    assert_eq!(m.agenda.len(), 1);
    assert!(m.agenda[0].resolved_async);
}

#[tokio::test]
async fn a_meeting_is_summarised_into_a_decision_and_a_task() {
    let t = TempWorkspace::new().await;
    let ada = t.ws.workspace_info().me.id.to_string();
    let (id, bo) = planning(&t).await;
    let m =
        t.ws.add_agenda_item(&id, new_item("Pick the relay host", Some("Bo"), 15))
            .await
            .expect("item");
    let item = m.agenda[0].id.clone();

    // Notes during the meeting, as the editor sends them; each is announced.
    let mut events = t.ws.subscribe();
    t.ws.edit_meeting_text(&id, MeetingText::Notes, &[splice(0, 0, "Bo: Hetzner")])
        .await
        .expect("notes");
    t.ws.edit_meeting_text(
        &id,
        MeetingText::Notes,
        &[splice(11, 0, " is cheapest"), splice(0, 0, "- ")],
    )
    .await
    .expect("notes");
    let e = events.recv().await.expect("an event");
    assert!(
        matches!(&e, Event::ObjectChanged { summary } if summary.id == id),
        "{e:?}"
    );
    let stale =
        t.ws.edit_meeting_text(&id, MeetingText::Summary, &[splice(5, 0, "x")])
            .await
            .expect_err("the summary is empty");
    assert!(stale.to_string().contains("outside the text"), "{stale}");

    // Not summarised without a summary, and never turned async by hand.
    let early =
        t.ws.set_meeting_state(&id, MeetingState::Summarised)
            .await
            .expect_err("no summary");
    assert!(
        early.to_string().contains("write the summary first"),
        "{early}"
    );
    let by_hand =
        t.ws.set_meeting_state(&id, MeetingState::ConvertedToAsync)
            .await
            .expect_err("automatic only");
    assert!(by_hand.to_string().contains("on its own"), "{by_hand}");
    t.ws.set_meeting_state(&id, MeetingState::Held)
        .await
        .expect("held");

    t.ws.edit_meeting_text(
        &id,
        MeetingText::Summary,
        &[splice(0, 0, "We run the relay on Hetzner.")],
    )
    .await
    .expect("summary");

    // The decision form starts from the agenda item and the meeting.
    let draft =
        t.ws.draft_meeting_decision(&id, Some(&item))
            .await
            .expect("draft");
    assert_eq!(draft.title, "Pick the relay host");
    assert!(
        draft.context.contains("Relay planning"),
        "{}",
        draft.context
    );
    assert!(draft.context.contains("Decide where the relay runs."));
    assert_eq!(draft.deciders, [ada.clone(), bo.clone()]);
    let unknown =
        t.ws.draft_meeting_decision(&id, Some("Lunch"))
            .await
            .expect_err("no such item");
    assert!(unknown.to_string().contains("not an item"), "{unknown}");

    // A bad task stops the whole outcome before anything is written.
    let outcome = |owner: &str| MeetingOutcome {
        summary: None,
        decision: Some(NewDecision {
            chosen: Some("Hetzner".into()),
            rationale: "Cheapest, in the EU.".into(),
            status: Some(DecisionStatus::Accepted),
            ..draft.clone()
        }),
        agenda_item: Some(item.clone()),
        tasks: vec![NewTask {
            title: "Provision the relay".into(),
            owner: Some(owner.into()),
            due: Some("2026-11-27".into()),
            source: None,
        }],
    };
    let refused =
        t.ws.summarise_meeting(&id, outcome("Nobody"))
            .await
            .expect_err("unknown owner");
    assert!(matches!(refused, Error::NoSuchMember { .. }), "{refused}");
    assert!(
        t.ws.list_objects(Some(Kind::Decision), false)
            .await
            .expect("list")
            .is_empty()
    );
    let m: Meeting = t.ws.get(&id).await.expect("get");
    assert_eq!(m.state, MeetingState::Held);

    let done =
        t.ws.summarise_meeting(&id, outcome("Bo"))
            .await
            .expect("summarise");
    assert_eq!(done.meeting.state, MeetingState::Summarised);
    let decision_id = done.decision.clone().expect("a decision");
    assert_eq!(done.meeting.decisions, [decision_id.to_string()]);
    assert_eq!(done.meeting.tasks.len(), 1);

    // What lands in the other sections, read back after a restart.
    let ws = t.reopen().await;
    let m: Meeting = ws.get(&id).await.expect("meeting");
    assert_eq!(m.notes, "- Bo: Hetzner is cheapest");
    assert_eq!(m.summary, "We run the relay on Hetzner.");
    assert_eq!(m.state, MeetingState::Summarised);
    let d: Decision = ws.get(&decision_id).await.expect("decision");
    assert_eq!(d.title, "Pick the relay host");
    assert_eq!(d.status, DecisionStatus::Accepted);
    assert_eq!(d.chosen().map(|o| o.title.as_str()), Some("Hetzner"));
    assert_eq!(d.source_meeting.as_deref(), Some(id.as_str()));
    assert_eq!(d.deciders, [ada, bo.clone()]);
    let task: Task = ws.get(&done.tasks[0]).await.expect("task");
    assert_eq!(task.owner.as_deref(), Some(bo.as_str()));
    assert_eq!(task.due.as_deref(), Some("2026-11-27"));
    let source = task.source.expect("a source");
    assert_eq!(
        (source.kind.as_str(), source.id.as_str()),
        ("meeting", id.as_str())
    );
    let listed = ws.task_list(false, None).await.expect("tasks");
    assert!(listed.rows.iter().any(|r| r.id == done.tasks[0].as_str()));

    // An action item added afterwards is listed on the meeting too.
    let extra = ws
        .add_action_item(
            &id,
            NewTask {
                title: "Write the runbook".into(),
                ..NewTask::default()
            },
        )
        .await
        .expect("action item");
    let m: Meeting = ws.get(&id).await.expect("meeting");
    assert_eq!(m.tasks, [done.tasks[0].to_string(), extra.to_string()]);
    // Reopened to amend: back to held, and summarised again.
    ws.set_meeting_state(&id, MeetingState::Held)
        .await
        .expect("reopen");
    ws.set_meeting_state(&id, MeetingState::Summarised)
        .await
        .expect("summarised again");
}

/// A new agenda item with a title, an owner and minutes, as the CLI adds them.
fn new_item(title: &str, owner: Option<&str>, minutes: u32) -> NewAgendaItem {
    NewAgendaItem {
        title: title.to_owned(),
        owner: owner.map(str::to_owned),
        minutes,
        ..NewAgendaItem::default()
    }
}
