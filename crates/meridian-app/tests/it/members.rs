//! Members through the engine: profile changes checked before they are written, and focus
//! blocks and out-of-office ranges removed by id, so a removal clicked before a sync removes
//! the entry shown.

use meridian_app::core::{DocId, Role};
use meridian_app::{MemberView, NewFocus, Workspace};
use meridian_testkit::TempWorkspace;

#[tokio::test]
async fn my_profile_changes_are_checked() {
    let t = TempWorkspace::new().await;
    let ws = &t.ws;
    let me = ws.workspace_info().me.id;
    let err = ws
        .update_member(
            &me,
            meridian_app::MemberPatch {
                hours: Some("mon 09:00-12:00,11:30-14:00".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("overlap");
    assert!(err.to_string().contains("overlaps"), "{err}");
    let view = ws
        .update_member(
            &me,
            meridian_app::MemberPatch {
                tz: Some("Pacific/Chatham".into()),
                hours: Some("mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00".into()),
                ..Default::default()
            },
        )
        .await
        .expect("valid");
    assert_eq!(
        view.hours,
        "mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00"
    );
    assert_eq!(ws.workspace_info().me.tz, "Pacific/Chatham");
    let removed = ws.remove_focus_block(&me, "0").await.expect_err("none");
    assert!(
        removed
            .to_string()
            .contains("there is no focus block with id `0`"),
        "{removed}"
    );
}

#[tokio::test]
async fn my_profile_is_this_devices_member() {
    let t = TempWorkspace::new().await;
    let me = t.ws.workspace_info().me;
    let profile = t.ws.my_profile().await.expect("my profile");
    assert_eq!(profile.id, me.id);
    assert_eq!(profile.member.display_name, me.name);
    assert_eq!(profile.member.tz, me.tz);
}

fn weekdays(start: &str, end: &str) -> NewFocus {
    NewFocus {
        days: Some("mon-fri".into()),
        date: None,
        start: start.into(),
        end: end.into(),
    }
}

/// Merges everything `from` holds of document `id` into `into`, as the content of a sync
/// envelope is merged.
async fn merge(from: &Workspace, into: &Workspace, id: &DocId) {
    let bytes = from.automerge_bytes(id).await.expect("bytes");
    into.merge_changes_for_tests(id, &bytes)
        .await
        .expect("merge");
}

fn starts(view: &MemberView) -> Vec<&str> {
    view.member
        .focus_blocks
        .iter()
        .map(|f| f.start.as_str())
        .collect()
}

#[tokio::test]
async fn a_removal_clicked_before_a_sync_removes_the_entry_shown_not_its_old_position() {
    let (a, b) = (TempWorkspace::new().await, TempWorkspace::new().await);
    let sam =
        a.ws.add_member("Sam", "Australia/Sydney", Role::Editor, None)
            .await
            .expect("add Sam");
    for (start, end) in [("07:00", "08:00"), ("09:00", "10:00"), ("14:00", "15:00")] {
        a.ws.add_focus_block(&sam, weekdays(start, end))
            .await
            .expect("focus block");
    }
    merge(&a.ws, &b.ws, &sam).await;

    // A shows Sam's blocks [X, Y, Z]; its user is about to remove Y, the second.
    let shown = a.ws.member(&sam).await.expect("member");
    assert_eq!(starts(&shown), ["07:00", "09:00", "14:00"]);
    let (x, y) = (
        shown.member.focus_blocks[0].id.clone(),
        shown.member.focus_blocks[1].id.clone(),
    );

    // Meanwhile, unseen by each other, B removes X and A adds W.
    b.ws.remove_focus_block(&sam, &x)
        .await
        .expect("remove X on B");
    a.ws.add_focus_block(&sam, weekdays("16:00", "17:00"))
        .await
        .expect("add W on A");
    merge(&b.ws, &a.ws, &sam).await;
    merge(&a.ws, &b.ws, &sam).await;
    // After the sync, position 1 holds Z: removing "the second" would remove Z.
    let synced = a.ws.member(&sam).await.expect("member");
    assert_eq!(starts(&synced), ["09:00", "14:00", "16:00"]);

    // The click reaches the engine with the id A showed.
    a.ws.remove_focus_block(&sam, &y)
        .await
        .expect("remove Y on A");
    // X went on B; A's list said it was there, but removing it again says why it cannot.
    let err =
        a.ws.remove_focus_block(&sam, &x)
            .await
            .expect_err("X is gone");
    assert!(
        err.to_string()
            .contains(&format!("there is no focus block with id `{x}`")),
        "{err}"
    );
    merge(&a.ws, &b.ws, &sam).await;
    merge(&b.ws, &a.ws, &sam).await;

    // Exactly X and Y are gone, on both devices.
    for ws in [&a.ws, &b.ws] {
        let view = ws.member(&sam).await.expect("member");
        assert_eq!(starts(&view), ["14:00", "16:00"]);
    }
}

#[tokio::test]
async fn out_of_office_ranges_are_removed_by_id() {
    let t = TempWorkspace::new().await;
    let ws = &t.ws;
    let me = ws.workspace_info().me.id;
    ws.add_out_of_office(&me, "2026-12-21", "2026-12-31", "holidays")
        .await
        .expect("ooo");
    let view = ws
        .add_out_of_office(&me, "2027-02-01", "2027-02-05", "conference")
        .await
        .expect("ooo");
    let ids: Vec<String> = view
        .member
        .out_of_office
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|id| !id.is_empty()));

    let view = ws.remove_out_of_office(&me, &ids[0]).await.expect("remove");
    let notes: Vec<&str> = view
        .member
        .out_of_office
        .iter()
        .map(|r| r.note.as_str())
        .collect();
    assert_eq!(notes, ["conference"]);
    let err = ws
        .remove_out_of_office(&me, &ids[0])
        .await
        .expect_err("already removed");
    assert!(
        err.to_string().contains(&format!(
            "there is no out-of-office range with id `{}`",
            ids[0]
        )),
        "{err}"
    );
    // A focus block id is not an out-of-office id, nor the other way round.
    let err = ws
        .remove_focus_block(&me, &ids[1])
        .await
        .expect_err("not a focus block");
    assert!(err.to_string().contains("no focus block"), "{err}");
}
