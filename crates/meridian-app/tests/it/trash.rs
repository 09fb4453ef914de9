//! The trash lives in each object's document: trash and restore are changes like any edit,
//! kept in the history, and they reach other devices by the same merge as edits (here
//! without the network: one device's document is merged into the other as the content of
//! a sync envelope is).

use std::time::Duration;

use automerge::AutoCommit;
use meridian_app::core::{DocId, Kind, Object};
use meridian_app::{Error, Event, NewPage, PagePatch, Workspace};
use meridian_store::{CatalogUpdate, DocWrite};
use meridian_testkit::TempWorkspace;
use tokio::sync::broadcast::Receiver;

async fn new_page(ws: &Workspace, title: &str, body: &str) -> DocId {
    ws.create_page(NewPage {
        title: title.into(),
        body: body.into(),
        ..NewPage::default()
    })
    .await
    .expect("create")
    .0
}

/// The document as stored, loaded by plain Automerge.
async fn stored_doc(ws: &Workspace, id: &DocId) -> AutoCommit {
    AutoCommit::load(&ws.automerge_bytes(id).await.expect("bytes")).expect("an Automerge file")
}

async fn change_count(ws: &Workspace, id: &DocId) -> usize {
    stored_doc(ws, id).await.get_changes(&[]).len()
}

async fn listed(ws: &Workspace, id: &DocId, include_trashed: bool) -> bool {
    ws.list_objects(Some(Kind::Page), include_trashed)
        .await
        .expect("list")
        .iter()
        .any(|s| &s.id == id)
}

/// Whether searching `word` finds `id`, waiting (up to a few seconds) for the background
/// indexer to settle on `expected`.
async fn search_finds(ws: &Workspace, word: &str, id: &DocId, expected: bool) -> bool {
    let mut found = !expected;
    for _ in 0..50 {
        ws.flush_search().await.expect("flush");
        let hits = ws.search(word, 10).await.expect("search");
        found = hits.iter().any(|h| h.id == id.as_str());
        if found == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    found
}

/// What was announced about `id` since the last call.
fn announced(events: &mut Receiver<Event>, id: &DocId) -> Vec<Event> {
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        if &e.summary().id == id {
            seen.push(e);
        }
    }
    seen
}

/// Merges everything `from` holds of document `id` into `into`.
async fn merge(from: &Workspace, into: &Workspace, id: &DocId) {
    let bytes = from.automerge_bytes(id).await.expect("bytes");
    into.merge_changes_for_tests(id, &bytes)
        .await
        .expect("merge");
}

async fn body(ws: &Workspace, id: &DocId) -> String {
    match ws.show_object(id).await.expect("show").object {
        Object::Page(p) => p.body,
        other => panic!("a page, not {other:?}"),
    }
}

#[tokio::test]
async fn trash_and_restore_are_changes_in_the_history_and_search_follows() {
    let t = TempWorkspace::new().await;
    let ws = &t.ws;
    let id = new_page(ws, "Quarterly plan", "The budget numbers.").await;
    assert!(search_finds(ws, "budget", &id, true).await);
    let mut events = ws.subscribe();
    let before = change_count(ws, &id).await;

    let trashed = ws.trash_object(&id).await.expect("trash");
    assert!(trashed.trashed);
    assert!(matches!(
        announced(&mut events, &id).as_slice(),
        [Event::ObjectTrashed { summary }] if summary.trashed
    ));
    assert!(!listed(ws, &id, false).await, "gone from lists");
    assert!(listed(ws, &id, true).await, "still there with the trash");
    assert!(ws.summary(&id).await.expect("summary").trashed);
    assert!(!search_finds(ws, "budget", &id, false).await);
    assert_eq!(
        change_count(ws, &id).await,
        before + 1,
        "trashing is one more change"
    );
    assert_eq!(
        meridian_app::core::trashed(&stored_doc(ws, &id).await).expect("read"),
        Some(true),
        "the stored document says so, not only the catalog"
    );
    // The object, with its content, is still there to read.
    assert_eq!(body(ws, &id).await, "The budget numbers.");

    // Trashing again changes nothing and announces nothing.
    ws.trash_object(&id).await.expect("trash again");
    assert_eq!(change_count(ws, &id).await, before + 1);
    assert!(announced(&mut events, &id).is_empty());

    // A restarted process sees it trashed too.
    let again = t.reopen().await;
    assert!(again.summary(&id).await.expect("summary").trashed);
    drop(again);

    let restored = ws.restore_object(&id).await.expect("restore");
    assert!(!restored.trashed);
    assert!(matches!(
        announced(&mut events, &id).as_slice(),
        [Event::ObjectRestored { summary }] if !summary.trashed
    ));
    assert!(listed(ws, &id, false).await, "back in lists");
    assert!(
        search_finds(ws, "budget", &id, true).await,
        "searchable again"
    );
    assert_eq!(change_count(ws, &id).await, before + 2, "nothing deleted");
    assert_eq!(body(ws, &id).await, "The budget numbers.");
    assert!(
        !t.reopen()
            .await
            .summary(&id)
            .await
            .expect("summary")
            .trashed
    );
}

#[tokio::test]
async fn the_workspace_and_its_charter_cannot_be_trashed() {
    let t = TempWorkspace::new().await;
    let ws_id = t.ws.workspace_info().id;
    let err = t.ws.trash_object(&ws_id).await.expect_err("refused");
    assert!(
        matches!(
            err,
            Error::NotTrashable {
                kind: Kind::Workspace,
                ..
            }
        ),
        "{err:?}"
    );
    let charter =
        t.ws.list_objects(Some(Kind::Charter), false)
            .await
            .expect("list")[0]
            .id
            .clone();
    assert!(matches!(
        t.ws.trash_object(&charter).await,
        Err(Error::NotTrashable {
            kind: Kind::Charter,
            ..
        })
    ));
    let missing: DocId = "00112233445566778899aabbccddeeff".parse().expect("an id");
    assert!(matches!(
        t.ws.restore_object(&missing).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn an_object_trashed_only_in_the_catalog_by_an_older_version_stays_trashed() {
    let t = TempWorkspace::new().await;
    let id = new_page(&t.ws, "Old trash", "trashed before the flag existed").await;
    // What the local-only trash wrote: the catalog row, no change to the document.
    let entry =
        t.ws.store()
            .entry_blocking(&id)
            .expect("entry")
            .expect("exists");
    let heads = stored_doc(&t.ws, &id).await.get_heads();
    t.ws.store()
        .write(DocWrite {
            id: id.clone(),
            kind: entry.kind,
            chunk: Vec::new(),
            heads,
            catalog: CatalogUpdate {
                title: entry.title,
                status: entry.status,
                updated_at_ms: entry.updated_at_ms,
                trashed: true,
            },
        })
        .await
        .expect("write the catalog");
    assert_eq!(
        meridian_app::core::trashed(&stored_doc(&t.ws, &id).await).expect("read"),
        None
    );

    // Opening the workspace writes the flag into the document, so it travels from now on.
    let ws = t.reopen().await;
    assert!(ws.summary(&id).await.expect("summary").trashed);
    assert!(!listed(&ws, &id, false).await);
    assert_eq!(
        meridian_app::core::trashed(&stored_doc(&ws, &id).await).expect("read"),
        Some(true)
    );
    let other = TempWorkspace::new().await;
    merge(&ws, &other.ws, &id).await;
    assert!(other.ws.summary(&id).await.expect("summary").trashed);

    // And it can be restored like any other.
    ws.restore_object(&id).await.expect("restore");
    assert!(listed(&ws, &id, false).await);
}

#[tokio::test]
async fn trash_and_restore_on_one_device_reach_the_other_by_merge() {
    let (a, b) = (TempWorkspace::new().await, TempWorkspace::new().await);
    let id = new_page(&a.ws, "Shared plan", "Launch on Friday.").await;
    let mut events = b.ws.subscribe();
    merge(&a.ws, &b.ws, &id).await;
    assert!(listed(&b.ws, &id, false).await);
    assert!(matches!(
        announced(&mut events, &id).as_slice(),
        [Event::ObjectCreated { summary }] if !summary.trashed
    ));
    assert!(search_finds(&b.ws, "friday", &id, true).await);

    a.ws.trash_object(&id).await.expect("trash on A");
    merge(&a.ws, &b.ws, &id).await;
    assert!(b.ws.summary(&id).await.expect("summary").trashed);
    assert!(!listed(&b.ws, &id, false).await);
    assert!(listed(&b.ws, &id, true).await);
    assert!(matches!(
        announced(&mut events, &id).as_slice(),
        [Event::ObjectTrashed { summary }] if summary.trashed
    ));
    assert!(!search_finds(&b.ws, "friday", &id, false).await);

    a.ws.restore_object(&id).await.expect("restore on A");
    merge(&a.ws, &b.ws, &id).await;
    assert!(!b.ws.summary(&id).await.expect("summary").trashed);
    assert!(listed(&b.ws, &id, false).await);
    assert!(matches!(
        announced(&mut events, &id).as_slice(),
        [Event::ObjectRestored { summary }] if !summary.trashed
    ));
    assert!(search_finds(&b.ws, "friday", &id, true).await);
    assert_eq!(
        change_count(&b.ws, &id).await,
        change_count(&a.ws, &id).await,
        "B holds A's whole history"
    );
    // B's restart agrees with its catalog.
    assert!(
        !b.reopen()
            .await
            .summary(&id)
            .await
            .expect("summary")
            .trashed
    );
}

#[tokio::test]
async fn an_edit_made_while_another_device_trashes_is_kept_in_the_trash() {
    let (a, b) = (TempWorkspace::new().await, TempWorkspace::new().await);
    let id = new_page(&a.ws, "Roadmap", "Q1: search.").await;
    merge(&a.ws, &b.ws, &id).await;

    // Neither sees the other: B edits, A trashes.
    b.ws.update_page(
        &id,
        PagePatch {
            body: Some("Q1: search.\nQ2: sync.".into()),
            ..PagePatch::default()
        },
    )
    .await
    .expect("edit on B");
    a.ws.trash_object(&id).await.expect("trash on A");

    merge(&a.ws, &b.ws, &id).await;
    merge(&b.ws, &a.ws, &id).await;
    for ws in [&a.ws, &b.ws] {
        assert!(ws.summary(&id).await.expect("summary").trashed);
        assert!(!listed(ws, &id, false).await);
        assert_eq!(body(ws, &id).await, "Q1: search.\nQ2: sync.");
    }
    assert_eq!(
        stored_doc(&a.ws, &id).await.get_heads(),
        stored_doc(&b.ws, &id).await.get_heads(),
        "both devices hold the same document"
    );

    // Restored on B, the edit is there on both.
    b.ws.restore_object(&id).await.expect("restore on B");
    merge(&b.ws, &a.ws, &id).await;
    assert!(listed(&a.ws, &id, false).await);
    assert_eq!(body(&a.ws, &id).await, "Q1: search.\nQ2: sync.");
}
