//! The engine on a real, small file system (tmpfs) that fills up: a change the disk refuses
//! is a clear error of kind `unsaved`, stays in memory (reads show it), and is saved on its
//! own once space returns, without another edit; nothing saved before is lost and the
//! database passes `PRAGMA integrity_check`. Needs root (CI is root): skipped otherwise.

use std::time::Duration;

use meridian_app::core::{Object, TextSplice};
use meridian_app::{ApiError, ErrorKind, NewPage, Workspace};
use meridian_testkit::tmpfs::SmallDisk;

fn page_body(obj: &meridian_app::Shown) -> String {
    match &obj.object {
        Object::Page(p) => p.body.clone(),
        other => panic!("a page, not {other:?}"),
    }
}

/// Letters no compression squeezes below the disk's slack.
fn noise(len: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_keeps_the_edit_in_memory_and_saves_it_once_space_returns() {
    let disk = match SmallDisk::mount("6m") {
        Ok(d) => d,
        Err(reason) => {
            eprintln!("skipping the disk-full engine test: {reason}");
            return;
        }
    };
    let dir = disk.path().join("ws");
    let ws = Workspace::create(&dir, "Full", "Ada", "Europe/Berlin")
        .await
        .expect("create on the small disk");
    let (id, _) = ws
        .create_page(NewPage {
            title: "Notes".into(),
            body: "saved before. ".into(),
            ..NewPage::default()
        })
        .await
        .expect("create a page");
    assert_eq!(ws.storage_status().unsaved, 0);

    let filled = disk.fill();
    assert!(filled > 0, "the filler took the free space");
    let big = noise(600_000, 1);
    let err = ws
        .edit_page_body(
            &id,
            &[TextSplice {
                pos: 14,
                delete: 0,
                insert: big.clone(),
            }],
        )
        .await
        .expect_err("the disk is full");
    let api = ApiError::from(err);
    assert_eq!(api.kind, ErrorKind::Unsaved, "{api:?}");
    assert!(api.detail.contains("full"), "{}", api.detail);
    assert!(api.detail.contains("free some space"), "{}", api.detail);
    let status = ws.storage_status();
    assert!(status.unsaved >= 1, "{status:?}");
    assert!(
        status.error.as_deref().is_some_and(|e| e.contains("full")),
        "{status:?}"
    );

    // The edit is in memory: reading shows it, and a later edit builds on it.
    let shown = ws.show_object(&id).await.expect("read while full");
    assert_eq!(page_body(&shown), format!("saved before. {big}"));
    let more = ws
        .edit_page_body(
            &id,
            &[TextSplice {
                pos: 0,
                delete: 0,
                insert: "still full: ".into(),
            }],
        )
        .await;
    if let Err(e) = more {
        assert_eq!(ApiError::from(e).kind, ErrorKind::Unsaved);
    }
    let expected = format!("still full: saved before. {big}");

    // Space returns; no edit follows: the writer saves what it kept on its own.
    disk.free();
    let mut health = ws.watch_storage();
    tokio::time::timeout(Duration::from_secs(20), health.wait_for(|h| h.unsaved == 0))
        .await
        .expect("the kept edits are saved within 20 s of space returning")
        .expect("the store is still running");
    assert_eq!(ws.storage_status().error, None);

    let db = dir.join("workspace.db");
    drop(ws);
    let again = Workspace::open(&dir).await.expect("reopen");
    assert_eq!(
        page_body(&again.show_object(&id).await.expect("show")),
        expected
    );
    drop(again);
    meridian_store::Store::open(&db)
        .expect("open the database")
        .integrity_check_blocking()
        .expect("integrity_check is ok");
}
