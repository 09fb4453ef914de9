//! Catch-up on the engine with a fake clock: another device's changes (its own Automerge
//! actor, merged as sync merges them) over a "week"; what is mine does not count; a mention
//! notifies me, held by my quiet hours; seen survives a restart; follows sync as my member
//! data.

use chrono::{DateTime, Utc};
use meridian_app::core::{Member, Page, Thread};
use meridian_app::{NewPage, NewThread};
use meridian_testkit::TempWorkspace;

const DAY_MS: i64 = 24 * 3600 * 1000;
const OTHER: u8 = 0x42;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

#[tokio::test]
async fn a_week_of_another_devices_changes_then_seen_survives_a_restart() {
    let t = TempWorkspace::new().await;
    let ws = &t.ws;
    let me = ws.workspace_info().me.id;
    let (sam, _) = ws
        .create_object(Member::new(
            "Sam",
            "Australia/Sydney",
            meridian_app::core::Role::Editor,
        ))
        .await
        .expect("Sam");
    let (page, _) = ws
        .create_page(NewPage {
            title: "Runbook".into(),
            body: "Restart the relay.\n".into(),
            ..NewPage::default()
        })
        .await
        .expect("page");
    ws.update::<Page>(&page, |p| {
        p.owner = Some(me.to_string());
        Ok(())
    })
    .await
    .expect("own it");
    // First look: nothing (everything as it is now is seen).
    assert_eq!(ws.catch_up(None).await.expect("catch-up").count, 0);

    // My own edits never show.
    ws.update::<Page>(&page, |p| {
        p.body.push_str("My own note.\n");
        Ok(())
    })
    .await
    .expect("my edit");
    assert_eq!(ws.catch_up(None).await.expect("catch-up").count, 0);

    // A week passes; Sam's device asks me a question and edits my page, mentioning me.
    t.clock.advance_ms(7 * DAY_MS);
    let now = ws.now_ms();
    let question = ws
        .write_as_device_for_tests::<Thread>(OTHER, None, now - 3 * DAY_MS, |_| Thread {
            title: "Budget?".into(),
            message_kind: "question".into(),
            body: "Numbers look off.".into(),
            author: sam.to_string(),
            recipients: vec![me.to_string()],
            delivery: meridian_app::core::Delivery::Now,
            urgent_reason: None,
            messages: Vec::new(),
            acknowledgements: Vec::new(),
            state: meridian_app::core::ThreadState::Open,
            linked_decision: None,
            source_meeting: None,
            created_at_ms: now - 3 * DAY_MS,
        })
        .await
        .expect("question");
    ws.write_as_device_for_tests::<Page>(OTHER, Some(&page), now - DAY_MS, |p| {
        let mut p = p.expect("the page");
        p.body.push_str("\n@Ada please check the logs.\n");
        p
    })
    .await
    .expect("page edit");

    let view = ws.catch_up(None).await.expect("catch-up");
    let ids: Vec<(&str, &str)> = view
        .items
        .iter()
        .map(|i| (i.group.as_str(), i.id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [("reply", question.as_str()), ("mention", page.as_str())],
        "{view:#?}"
    );
    let page_item = &view.items[1];
    let diff = page_item.diff.as_ref().expect("a diff");
    assert_eq!((diff.added, diff.removed), (5, 0), "{diff:?}");
    // The edit was made a day ago on Sam's clock.
    assert_eq!(
        page_item.changed_at,
        meridian_app::core::norms::utc_rfc3339(at("2026-11-30T09:00:00Z"))
    );

    // The mention notifies me (Ada, Europe/London, quiet hours 20:00–08:00): at 09:00 it
    // is shown at once.
    let notes = ws
        .notifications(at("2026-11-30T08:59:00Z"), Some(at("2026-11-30T10:00:00Z")))
        .await
        .expect("notifications");
    let mention: Vec<_> = notes
        .direct
        .iter()
        .filter(|n| n.key.starts_with("mention:"))
        .collect();
    assert_eq!(mention.len(), 1, "{notes:#?}");
    assert_eq!(mention[0].id, page.as_str());

    // One item seen: the other stays; then all seen, across a restart.
    ws.mark_seen(&question, Some(&view.items[0].heads))
        .await
        .expect("seen");
    let view = ws.catch_up(None).await.expect("catch-up");
    assert_eq!(view.count, 1);
    ws.mark_all_seen().await.expect("all seen");
    assert_eq!(ws.catch_up(None).await.expect("catch-up").count, 0);
    let again = t.reopen().await;
    assert_eq!(again.catch_up(None).await.expect("catch-up").count, 0);

    // Sam edits the page again after it was seen: only that change shows.
    again
        .write_as_device_for_tests::<Page>(OTHER, Some(&page), now, |p| {
            let mut p = p.expect("the page");
            p.body = p.body.replace("Restart", "Reboot");
            p
        })
        .await
        .expect("edit");
    let view = again.catch_up(None).await.expect("catch-up");
    assert_eq!(view.count, 1);
    let d = view.items[0].diff.as_ref().expect("diff");
    assert_eq!((d.added, d.removed), (1, 1), "{d:?}");
    assert_eq!(view.items[0].group, "page");
    assert!(!view.items[0].mentioned);
}

#[tokio::test]
async fn following_is_my_member_data_and_brings_changes_in() {
    let t = TempWorkspace::new().await;
    let ws = &t.ws;
    let (page, _) = ws
        .create_page(NewPage {
            title: "Team notes".into(),
            body: "Hello.\n".into(),
            ..NewPage::default()
        })
        .await
        .expect("page");
    assert_eq!(ws.catch_up(None).await.expect("catch-up").count, 0);
    // Not mine, not followed: another device's edit does not concern me.
    ws.write_as_device_for_tests::<Page>(OTHER, Some(&page), ws.now_ms(), |p| {
        let mut p = p.expect("page");
        p.body.push_str("More.\n");
        p
    })
    .await
    .expect("edit");
    assert_eq!(ws.catch_up(None).await.expect("catch-up").count, 0);
    let f = ws.follow(&page, true).await.expect("follow");
    assert!(f.following);
    assert!(ws.following(&page).await.expect("following").following);
    // Following it now shows what changed since I last looked.
    let view = ws.catch_up(None).await.expect("catch-up");
    assert_eq!(view.count, 1);
    assert_eq!(view.items[0].group, "page");
    // The follow is in my member document, so it syncs to my other devices.
    let me = ws.workspace_info().me.id;
    let bytes = ws.automerge_bytes(&me).await.expect("bytes");
    assert!(
        bytes.windows(7).any(|w| w == b"follows"),
        "the member document holds the follows"
    );
    // A thread cannot be followed when it does not exist; the workspace not at all.
    let ws_id = ws.workspace_info().id;
    assert!(ws.follow(&ws_id, true).await.is_err());
    ws.follow(&page, false).await.expect("unfollow");
    assert!(!ws.following(&page).await.expect("following").following);
    assert_eq!(ws.catch_up(None).await.expect("catch-up").count, 0);
    // A thread I post is mine: creating it does not put it in my catch-up.
    ws.post_thread(NewThread {
        kind: "fyi".into(),
        to: vec![me.to_string()],
        title: "Note to self".into(),
        body: "x".into(),
        ..NewThread::default()
    })
    .await
    .ok();
    assert_eq!(ws.catch_up(None).await.expect("catch-up").count, 0);
}
