//! The search index as a cache of the store: a catch-up compares only the documents
//! changed since the index last caught up, and finds what another process wrote while
//! this index was not looking.

use std::path::Path;
use std::sync::Arc;

use meridian_app::core::TextSplice;
use meridian_app::{NewPage, Workspace};
use meridian_testkit::{FakeClock, TempWorkspace};

async fn open(dir: &Path, clock: &Arc<FakeClock>) -> Workspace {
    Workspace::open_with_clock(dir, clock.clone())
        .await
        .expect("open the workspace")
}

async fn found(ws: &meridian_app::Workspace, q: &str) -> Vec<String> {
    ws.search(q, 10)
        .await
        .expect("search")
        .into_iter()
        .map(|h| h.title)
        .collect()
}

#[tokio::test]
async fn a_catch_up_looks_only_at_what_changed_since_the_index_last_caught_up() {
    let t = TempWorkspace::new().await;
    let (alpha, _) =
        t.ws.create_page(NewPage {
            title: "Alpha".into(),
            body: "quokka".into(),
            ..NewPage::default()
        })
        .await
        .expect("create");
    t.ws.catch_up_search(|_, _| {}).await.expect("catch up");
    assert_eq!(found(&t.ws, "quokka").await, ["Alpha"]);
    // Nothing changed since: nothing to do.
    assert_eq!(t.ws.catch_up_search(|_, _| {}).await.expect("again"), 0);
    let TempWorkspace { ws, clock, dir } = t;
    // Closed: its index's writer is gone with it.
    drop(ws);
    let search = dir.path().join("search");
    let saved = dir.path().join("search.saved");
    std::fs::rename(&search, &saved).expect("set the index aside");

    // Another process writes while this index is not looking (its own index, made fresh
    // in the folder meanwhile, is thrown away afterwards).
    {
        let other = open(dir.path(), &clock).await;
        other
            .create_page(NewPage {
                title: "Beta".into(),
                body: "wombat".into(),
                ..NewPage::default()
            })
            .await
            .expect("create");
        other
            .edit_page_body(
                &alpha,
                &[TextSplice {
                    pos: 0,
                    delete: 6,
                    insert: "numbat".into(),
                }],
            )
            .await
            .expect("edit");
        other.flush_search().await.expect("flush");
    }
    std::fs::remove_dir_all(&search).expect("drop the other index");
    std::fs::rename(&saved, &search).expect("bring the index back");

    // The index caught up before those writes: exactly the two changed documents are
    // indexed again, the rest is not looked at.
    let ws = open(dir.path(), &clock).await;
    assert_eq!(ws.catch_up_search(|_, _| {}).await.expect("catch up"), 2);
    assert_eq!(found(&ws, "wombat").await, ["Beta"]);
    assert_eq!(found(&ws, "numbat").await, ["Alpha"]);
    assert!(found(&ws, "quokka").await.is_empty());
    assert_eq!(ws.catch_up_search(|_, _| {}).await.expect("again"), 0);

    // A rebuilt index has no mark: everything is compared and indexed again (the two
    // pages and my member record).
    assert_eq!(ws.reindex(|_, _| {}).await.expect("reindex"), 3);
    assert_eq!(found(&ws, "numbat").await, ["Alpha"]);
}
