//! What merged, in the engine: two devices (two workspace folders, two Automerge actors)
//! exchange a page's changes the way sync merges an envelope. A merge that meets this
//! device's own concurrent edits is reported (and the report survives a restart); one that
//! builds on everything here, or only meets another device's edits, is not; restoring lost
//! text is a new change the other device receives by the same merge.

use meridian_app::core::DocId;
use meridian_app::core::merged::{MergeItem, Side};
use meridian_app::{Error, NewPage, PagePatch, Workspace};
use meridian_testkit::TempWorkspace;

async fn page_on_both(body: &str) -> (TempWorkspace, TempWorkspace, DocId) {
    let (a, b) = (TempWorkspace::new().await, TempWorkspace::new().await);
    let (id, _) =
        a.ws.create_page(NewPage {
            title: "Plan".into(),
            body: body.into(),
            ..NewPage::default()
        })
        .await
        .expect("create");
    send(&a.ws, &b.ws, &id).await;
    (a, b, id)
}

/// Merges `from`'s copy of `id` into `to`, as the content of a sync envelope.
async fn send(from: &Workspace, to: &Workspace, id: &DocId) {
    let bytes = from.automerge_bytes(id).await.expect("bytes");
    to.merge_changes_for_tests(id, &bytes).await.expect("merge");
}

async fn body(ws: &Workspace, id: &DocId, text: &str) {
    ws.update_page(
        id,
        PagePatch {
            body: Some(text.into()),
            ..PagePatch::default()
        },
    )
    .await
    .expect("edit");
}

async fn shown_body(ws: &Workspace, id: &DocId) -> String {
    ws.get::<meridian_app::core::Page>(id)
        .await
        .expect("page")
        .body
}

#[tokio::test]
async fn a_merge_that_builds_on_everything_here_reports_nothing() {
    let (a, b, id) = page_on_both("One.\n\nTwo.\n").await;
    body(&a.ws, &id, "One more.\n\nTwo.\n").await;
    send(&a.ws, &b.ws, &id).await;
    // B had changed nothing: a plain fast-forward.
    assert!(b.ws.merge_reports().await.expect("reports").is_empty());
    // Concurrent edits of different paragraphs merge cleanly: nothing to report either.
    body(&a.ws, &id, "One more, again.\n\nTwo.\n").await;
    body(&b.ws, &id, "One more.\n\nTwo, and three.\n").await;
    send(&a.ws, &b.ws, &id).await;
    assert!(b.ws.merge_reports().await.expect("reports").is_empty());
    assert_eq!(
        shown_body(&b.ws, &id).await,
        "One more, again.\n\nTwo, and three.\n"
    );
}

#[tokio::test]
async fn only_merges_that_meet_this_devices_own_edits_are_reported() {
    let (a, b, id) = page_on_both("Base.\n").await;
    let c = TempWorkspace::new().await;
    send(&a.ws, &c.ws, &id).await;
    // A and C edit the same paragraph; B edits nothing and receives both.
    body(&a.ws, &id, "Base, by A.\n").await;
    body(&c.ws, &id, "Base, by C.\n").await;
    send(&a.ws, &b.ws, &id).await;
    send(&c.ws, &b.ws, &id).await;
    assert!(b.ws.merge_reports().await.expect("reports").is_empty());
    // A receives C's: its own edit met C's.
    send(&c.ws, &a.ws, &id).await;
    let reports = a.ws.merge_reports().await.expect("reports");
    assert_eq!(reports.len(), 1);
    assert!(matches!(
        reports[0].entries[0].item,
        MergeItem::Paragraph { .. }
    ));
}

#[tokio::test]
async fn a_lost_paragraph_comes_back_as_an_edit_the_other_device_receives_and_reports_survive_a_restart()
 {
    let base = "Intro.\n\nWe ship on Monday at noon.\n\nEnd.\n";
    let (a, b, id) = page_on_both(base).await;
    body(
        &a.ws,
        &id,
        &base.replace("Monday at noon", "Tuesday at noon"),
    )
    .await;
    body(
        &b.ws,
        &id,
        &base.replace("Monday at noon", "Friday after lunch"),
    )
    .await;
    send(&b.ws, &a.ws, &id).await;

    let reports = a.reopen().await.merge_reports().await.expect("reports");
    assert_eq!(reports.len(), 1, "kept across a restart");
    let entry = &reports[0].entries[0];
    let MergeItem::Paragraph {
        mine,
        theirs,
        merged,
        ..
    } = &entry.item
    else {
        panic!("a paragraph: {entry:?}")
    };
    assert_eq!(mine, "We ship on Tuesday at noon.\n");
    assert_eq!(theirs, "We ship on Friday after lunch.\n");
    assert!(shown_body(&a.ws, &id).await.contains(merged.as_str()));
    assert!(entry.restorable.contains(&Side::Mine), "{entry:?}");

    let report =
        a.ws.restore_merged(&id, Some(0), Some(Side::Mine))
            .await
            .expect("restore");
    assert_eq!(report.entries[0].restored, vec![Side::Mine]);
    let want = base.replace("Monday at noon", "Tuesday at noon");
    assert_eq!(shown_body(&a.ws, &id).await, want);
    // The restore is an ordinary change: B gets it by the same merge.
    send(&a.ws, &b.ws, &id).await;
    assert_eq!(shown_body(&b.ws, &id).await, want);

    // Their version cannot come back over text that changed since (the merged paragraph
    // is gone now), nor a side that lost nothing; both say so.
    let theirs = a.ws.restore_merged(&id, Some(0), Some(Side::Theirs)).await;
    if entry.restorable.contains(&Side::Theirs) {
        assert!(
            matches!(
                theirs,
                Err(Error::Rule(meridian_app::core::Error::RestoreStale(_)))
            ),
            "{theirs:?}"
        );
    } else {
        assert!(
            matches!(
                theirs,
                Err(Error::Rule(meridian_app::core::Error::NothingToRestore))
            ),
            "{theirs:?}"
        );
    }
    assert_eq!(
        shown_body(&a.ws, &id).await,
        want,
        "a refused restore changes nothing"
    );
    // Dismissing empties the list, for good.
    a.ws.dismiss_merge(&id).await.expect("dismiss");
    assert!(
        a.reopen()
            .await
            .merge_reports()
            .await
            .expect("reports")
            .is_empty()
    );
    assert!(matches!(
        a.ws.dismiss_merge(&id).await,
        Err(Error::NoMergeReport(_))
    ));
}
