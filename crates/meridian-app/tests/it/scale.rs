//! The derived views at scale read what changed, not every document: the objects the
//! views read are kept with their link facts (keyed by heads, in memory and in the
//! store), and a view with nothing changed in the store reads nothing again (B14).

use meridian_app::core::{Kind, Role};
use meridian_app::{NewThread, Workspace};

async fn post(ws: &Workspace, to: &str, title: &str) {
    ws.post_thread(NewThread {
        kind: "question".into(),
        to: vec![to.into()],
        title: title.into(),
        body: "What do you think?".into(),
        delivery: None,
        reason: None,
    })
    .await
    .expect("post");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_read_only_the_documents_that_changed_and_nothing_when_none_did() {
    let dir = tempfile::tempdir().expect("dir");
    let ws = Workspace::create(dir.path(), "Acme", "Ada", "Europe/Berlin")
        .await
        .expect("create");
    for i in 0..5 {
        ws.add_member(
            &format!("Member {i}"),
            "America/New_York",
            Role::Editor,
            None,
        )
        .await
        .expect("member");
    }
    for i in 0..20 {
        post(&ws, "Member 1", &format!("Question {i}")).await;
    }
    let inbox = ws.inbox(Some("Member 1"), None).await.expect("inbox");
    let team = ws.team(None).await.expect("team");
    drop(ws);

    // A new process: the objects come from the store's cache, no document is loaded.
    let ws = Workspace::open(dir.path()).await.expect("open");
    let before = ws.work();
    let again = ws.inbox(Some("Member 1"), None).await.expect("inbox");
    assert_eq!(again.items, inbox.items, "the same inbox from the cache");
    assert_eq!(ws.team(None).await.expect("team").rows, team.rows);
    let read = ws.work();
    // The charter, once per view (one document, whatever the workspace's size); none of
    // the 20 threads or 6 members.
    assert_eq!(
        read.hydrated - before.hydrated,
        2,
        "only the charter is loaded"
    );
    assert_eq!(read.link_facts, before.link_facts, "nothing derived again");

    // One new thread: only it is read.
    post(&ws, "Member 1", "One more").await;
    let before = ws.work();
    let after = ws.inbox(Some("Member 1"), None).await.expect("inbox");
    assert_eq!(after.items.len(), inbox.items.len() + 1);
    assert_eq!(
        ws.work().link_facts - before.link_facts,
        1,
        "only the new thread"
    );

    // Nothing changed: nothing is read, and the threads' backlinks index is reused.
    let before = ws.work();
    ws.inbox(Some("Member 1"), None).await.expect("inbox");
    ws.team(None).await.expect("team");
    assert_eq!(ws.work().link_facts, before.link_facts);
    assert_eq!(ws.work().hydrated - before.hydrated, 2);
    let threads = ws
        .list_objects(Some(Kind::Thread), false)
        .await
        .expect("threads");
    assert_eq!(threads.len(), 21);
}
