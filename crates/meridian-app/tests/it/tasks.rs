//! Tasks through the engine: created with an owner and a due date on the owner's
//! calendar, grouped by where that date falls for the owner (overdue in Auckland while it
//! is still today in Los Angeles), and changed in state, owner and date.

use meridian_app::core::views::tasks::DueBucket;
use meridian_app::core::{Kind, Role, TaskSource, TaskState};
use meridian_app::{Error, NewPage, NewTask, TaskPatch};
use meridian_testkit::TempWorkspace;

fn task(title: &str, owner: Option<&str>, due: Option<&str>) -> NewTask {
    NewTask {
        title: title.into(),
        owner: owner.map(Into::into),
        due: due.map(Into::into),
        source: None,
    }
}

#[tokio::test]
async fn due_dates_are_grouped_on_each_owners_calendar() {
    let t = TempWorkspace::new().await; // Ada, Europe/London
    let ws = &t.ws;
    ws.add_member("Kiri", "Pacific/Auckland", Role::Editor, None)
        .await
        .expect("Kiri");
    ws.add_member("Lou", "America/Los_Angeles", Role::Editor, None)
        .await
        .expect("Lou");
    // Tuesday 24 Nov 20:00 UTC: Wednesday 09:00 in Auckland, Tuesday 12:00 in LA, Tuesday
    // 20:00 in London.
    t.clock.advance_ms(11 * 3_600_000);
    let mut ids = Vec::new();
    for (title, owner, due) in [
        ("Kiri tuesday", Some("Kiri"), Some("2026-11-24")),
        ("Lou tuesday", Some("Lou"), Some("2026-11-24")),
        ("Lou sunday", Some("Lou"), Some("2026-11-29")),
        ("Lou next monday", Some("Lou"), Some("2026-11-30")),
        ("Mine, undated", Some("Ada"), None),
        ("Unassigned tuesday", None, Some(" 2026-11-24 ")),
    ] {
        ids.push(
            ws.create_task(task(title, owner, due))
                .await
                .expect("task")
                .0,
        );
    }
    let list = ws.task_list(false, None).await.expect("list");
    assert_eq!(list.at, "2026-11-24T20:00:00Z");
    let got: Vec<(&str, DueBucket)> = list
        .rows
        .iter()
        .map(|r| (r.title.as_str(), r.bucket))
        .collect();
    assert_eq!(
        got,
        [
            ("Kiri tuesday", DueBucket::Overdue),
            // Tuesday ends in London (00:00 UTC) before it ends in LA (08:00 UTC).
            ("Unassigned tuesday", DueBucket::Today),
            ("Lou tuesday", DueBucket::Today),
            ("Lou sunday", DueBucket::ThisWeek),
            ("Lou next monday", DueBucket::Later),
            ("Mine, undated", DueBucket::NoDate),
        ]
    );
    assert_eq!(list.rows[0].tz, "Pacific/Auckland");
    assert_eq!(list.rows[0].owner_name.as_deref(), Some("Kiri"));
    assert_eq!(list.rows[1].due.as_deref(), Some("2026-11-24"), "trimmed");
    assert_eq!(list.rows[1].tz, "Europe/London", "unassigned: my calendar");

    // Just after 08:00 UTC on Wednesday, Tuesday has ended in Los Angeles too.
    t.clock.advance_ms(12 * 3_600_000 + 60_000);
    let later = ws.task_list(false, None).await.expect("list");
    let lou = later
        .rows
        .iter()
        .find(|r| r.title == "Lou tuesday")
        .expect("listed");
    assert_eq!(lou.bucket, DueBucket::Overdue);
    assert_eq!(lou.days_left, Some(-1));

    // Mine only; done tasks leave the date groups.
    let mine = ws.task_list(true, None).await.expect("mine");
    assert_eq!(mine.rows.len(), 1);
    assert_eq!(mine.rows[0].title, "Mine, undated");
    let lou_id = &ids[1];
    let changed = ws
        .update_task(
            lou_id,
            TaskPatch {
                state: Some(TaskState::Done),
                ..TaskPatch::default()
            },
        )
        .await
        .expect("done");
    assert_eq!(changed.state, TaskState::Done);
    let after = ws.task_list(false, None).await.expect("list");
    let last = after.rows.last().expect("rows");
    assert_eq!(
        (last.title.as_str(), last.bucket),
        ("Lou tuesday", DueBucket::Done)
    );

    // Reassigned to me with a new date; then unassigned and undated.
    let moved = ws
        .update_task(
            &ids[0],
            TaskPatch {
                owner: Some(Some("ada".into())),
                due: Some(Some("2026-12-01".into())),
                title: Some(" Kiri's, now Ada's ".into()),
                ..TaskPatch::default()
            },
        )
        .await
        .expect("reassign");
    assert_eq!(
        moved.owner.as_deref(),
        Some(ws.workspace_info().me.id.as_str())
    );
    assert_eq!(moved.title, "Kiri's, now Ada's");
    let cleared = ws
        .update_task(
            &ids[0],
            TaskPatch {
                owner: Some(None),
                due: Some(None),
                ..TaskPatch::default()
            },
        )
        .await
        .expect("clear");
    assert!(cleared.owner.is_none() && cleared.due.is_none());
    let again = t.reopen().await;
    let rows = again.task_list(false, None).await.expect("list").rows;
    let row = rows.iter().find(|r| r.id == ids[0].as_str()).expect("row");
    assert_eq!(row.bucket, DueBucket::NoDate);
}

#[tokio::test]
async fn bad_owners_dates_and_sources_are_refused_with_what_to_do() {
    let t = TempWorkspace::new().await;
    let ws = &t.ws;
    let date = ws
        .create_task(task("Ship", None, Some("next friday")))
        .await
        .expect_err("not a date");
    assert!(date.to_string().contains("YYYY-MM-DD"), "{date}");
    let owner = ws
        .create_task(task("Ship", Some("Zed"), None))
        .await
        .expect_err("no such member");
    assert!(matches!(owner, Error::NoSuchMember { .. }), "{owner}");
    assert!(
        owner.to_string().contains("Ada"),
        "names who exists: {owner}"
    );
    let title = ws
        .create_task(task("  ", None, None))
        .await
        .expect_err("no title");
    assert!(title.to_string().contains("title"), "{title}");

    let (page, _) = ws
        .create_page(NewPage {
            title: "Not a source".into(),
            ..NewPage::default()
        })
        .await
        .expect("page");
    let mut from_page = task("Follow up", None, None);
    from_page.source = Some(TaskSource {
        kind: "page".into(),
        id: page.to_string(),
    });
    let e = ws
        .create_task(from_page)
        .await
        .expect_err("pages are no source");
    assert!(
        e.to_string().contains("meeting, a decision or a thread"),
        "{e}"
    );
    let mut wrong = task("Follow up", None, None);
    wrong.source = Some(TaskSource {
        kind: "decision".into(),
        id: page.to_string(),
    });
    let e = ws.create_task(wrong).await.expect_err("kind mismatch");
    assert!(
        matches!(
            e,
            Error::WrongKind {
                expected: Kind::Decision,
                found: Kind::Page,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        ws.list_objects(Some(Kind::Task), false)
            .await
            .expect("list")
            .is_empty()
    );
}

#[test]
fn a_patch_from_the_ui_tells_leaving_alone_from_clearing() {
    let clear: TaskPatch = serde_json::from_str(r#"{"owner":null,"due":null}"#).expect("json");
    assert_eq!((clear.owner, clear.due), (Some(None), Some(None)));
    let keep: TaskPatch = serde_json::from_str(r#"{"title":"x"}"#).expect("json");
    assert_eq!((keep.owner, keep.due), (None, None));
    let set: TaskPatch = serde_json::from_str(r#"{"due":"2026-12-01"}"#).expect("json");
    assert_eq!(set.due, Some(Some("2026-12-01".into())));
    let item: meridian_app::AgendaItemPatch =
        serde_json::from_str(r#"{"owner":null}"#).expect("json");
    assert_eq!(item.owner, Some(None));
}
