use meridian_app::core::{Kind, Object, TextSplice};
use meridian_app::{Event, NewPage, PagePatch};
use meridian_testkit::TempWorkspace;

fn splice(pos: u32, delete: u32, insert: &str) -> TextSplice {
    TextSplice {
        pos,
        delete,
        insert: insert.into(),
    }
}

#[tokio::test]
async fn typed_edits_survive_a_restart() {
    let t = TempWorkspace::new().await;
    let (id, _) =
        t.ws.create_page(NewPage {
            title: "Notes".into(),
            body: "Hi".into(),
            ..NewPage::default()
        })
        .await
        .expect("create");
    // Keystrokes as the editor sends them, in UTF-16 units: "Hi" → "Hi 👋 there".
    for (pos, text) in [(2, " "), (3, "👋"), (5, " there")] {
        t.ws.edit_page_body(&id, &[splice(pos, 0, text)])
            .await
            .expect("edit");
    }
    t.ws.edit_page_body(&id, &[splice(0, 1, "h"), splice(1, 0, "!")])
        .await
        .expect("edit");
    drop(t.ws.clone());
    let again = t.reopen().await;
    let Object::Page(page) = again.show_object(&id).await.expect("show").object else {
        panic!("a page")
    };
    assert_eq!(page.body, "h!i 👋 there");
    assert_eq!(page.title, "Notes");
}

#[tokio::test]
async fn a_stale_editor_position_is_refused_and_nothing_changes() {
    let t = TempWorkspace::new().await;
    let (id, _) =
        t.ws.create_page(NewPage {
            title: "P".into(),
            body: "abc".into(),
            ..NewPage::default()
        })
        .await
        .expect("create");
    let err =
        t.ws.edit_page_body(&id, &[splice(1, 0, "x"), splice(10, 0, "y")])
            .await;
    assert!(err.is_err());
    let Object::Page(page) = t
        .reopen()
        .await
        .show_object(&id)
        .await
        .expect("show")
        .object
    else {
        panic!("a page")
    };
    assert_eq!(
        page.body, "abc",
        "the first splice of the refused batch was rolled back too"
    );
    // The document still accepts edits afterwards, and they persist.
    t.ws.edit_page_body(&id, &[splice(3, 0, "d")])
        .await
        .expect("edit");
    let Object::Page(page) = t
        .reopen()
        .await
        .show_object(&id)
        .await
        .expect("show")
        .object
    else {
        panic!("a page")
    };
    assert_eq!(page.body, "abcd");
}

#[tokio::test]
async fn concurrent_edits_to_one_page_are_all_persisted() {
    let t = TempWorkspace::new().await;
    let (id, _) =
        t.ws.create_page(NewPage {
            title: "P".into(),
            ..NewPage::default()
        })
        .await
        .expect("create");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let ws = t.ws.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            ws.edit_page_body(&id, &[splice(0, 0, &format!("<{i}>"))])
                .await
                .expect("edit");
        }));
    }
    for task in tasks {
        task.await.expect("join");
    }
    let Object::Page(page) = t
        .reopen()
        .await
        .show_object(&id)
        .await
        .expect("show")
        .object
    else {
        panic!("a page")
    };
    for i in 0..20 {
        assert!(
            page.body.contains(&format!("<{i}>")),
            "{i} missing from {}",
            page.body
        );
    }
}

#[tokio::test]
async fn changes_are_announced_after_they_are_durable() {
    let t = TempWorkspace::new().await;
    let mut events = t.ws.subscribe();
    let (id, _) =
        t.ws.create_page(NewPage {
            title: "Draft".into(),
            ..NewPage::default()
        })
        .await
        .expect("create");
    t.ws.update_page(
        &id,
        PagePatch {
            title: Some("Final".into()),
            ..PagePatch::default()
        },
    )
    .await
    .expect("update");
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        if e.summary().id == id {
            seen.push(e);
        }
    }
    assert!(
        matches!(&seen[0], Event::ObjectCreated { summary } if summary.title == "Draft" && summary.kind == Kind::Page)
    );
    assert!(matches!(&seen[1], Event::ObjectChanged { summary } if summary.title == "Final"));
    // When an event arrives the change is already in the database another process reads.
    let other = t.reopen().await;
    assert_eq!(other.summary(&id).await.expect("summary").title, "Final");
}

#[tokio::test]
async fn a_large_page_compacts_and_reloads() {
    let t = TempWorkspace::new().await;
    let (id, _) =
        t.ws.create_page(NewPage {
            title: "Long".into(),
            ..NewPage::default()
        })
        .await
        .expect("create");
    let mut expected = String::new();
    for i in 0..700u32 {
        let s = format!("{} ", i % 10);
        t.ws.edit_page_body(&id, &[splice(expected.len() as u32, 0, &s)])
            .await
            .expect("edit");
        expected.push_str(&s);
    }
    assert!(
        t.ws.store().chunk_count_blocking(&id).expect("count") < 700,
        "compaction ran"
    );
    let Object::Page(page) = t
        .reopen()
        .await
        .show_object(&id)
        .await
        .expect("show")
        .object
    else {
        panic!("a page")
    };
    assert_eq!(page.body, expected);
}
