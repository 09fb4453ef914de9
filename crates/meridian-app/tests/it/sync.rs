//! Live sync sessions in one process, as the desktop app runs them: a relay on loopback,
//! an admin whose `run_sync` admits a joiner, changes delivered without asking, and a
//! removal that reaches the relay at once (the session is nudged, no edit needed).

use std::time::Duration;

use meridian_app::{NewPage, Workspace};
use meridian_sync::Role;
use tokio::sync::watch;

async fn relay(dir: &std::path::Path) -> meridian_relay::Server {
    let addr = "127.0.0.1:0".parse().expect("address");
    meridian_relay::serve(meridian_relay::Config::new(addr, dir))
        .await
        .expect("relay starts")
}

/// Polls `f` every 100 ms until it holds or `secs` pass.
async fn within<F: std::future::Future<Output = bool>>(
    secs: u64,
    mut f: impl FnMut() -> F,
) -> bool {
    for _ in 0..secs * 10 {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn has_page(ws: &Workspace, title: &str) -> bool {
    ws.list_objects(Some(meridian_app::core::Kind::Page), false)
        .await
        .is_ok_and(|rows| rows.iter().any(|r| r.title == title))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_session_admits_delivers_live_and_tells_the_relay_of_a_removal() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let server = relay(dirs[0].path()).await;
    let url = server.url();

    let a = Workspace::create(dirs[1].path(), "Acme", "Ada", "Europe/Berlin")
        .await
        .expect("create");
    let code = a
        .create_invite(&url, Role::Editor, 600_000)
        .await
        .expect("invite");
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn({
        let a = a.clone();
        async move { a.run_sync(stopped).await }
    });

    // The running session registers the workspace, admits the joiner, and sends it all.
    let b = Workspace::join(
        dirs[2].path(),
        &code,
        "Bea",
        "America/New_York",
        Duration::from_secs(30),
    )
    .await
    .expect("join");
    assert_eq!(b.workspace_info().name, "Acme");
    assert_eq!(b.workspace_info().me.name, "Bea");

    // An edit on A reaches the relay by itself; B fetches it.
    a.create_page(NewPage {
        title: "Pushed live".into(),
        ..NewPage::default()
    })
    .await
    .expect("page");
    assert!(
        within(20, || async {
            b.sync_once(Duration::from_secs(10)).await.is_ok() && has_page(&b, "Pushed live").await
        })
        .await,
        "A's running session sent the page"
    );
    let status = a.sync_status().await.expect("status");
    assert!(status.synced, "{status:?}");

    // Removing B nudges A's session: the relay refuses B within moments, without A
    // editing anything (un-nudged, it would wait for the session's periodic resync).
    let bea = a
        .devices()
        .await
        .expect("devices")
        .into_iter()
        .find(|d| d.member == "Bea")
        .expect("B is a device")
        .id;
    a.remove_device(&bea).await.expect("remove");
    assert!(
        within(6, || async {
            b.sync_once(Duration::from_secs(5))
                .await
                .is_err_and(|e| e.to_string().contains("removed"))
        })
        .await,
        "the relay refuses the removed device"
    );
    let status = b.sync_status().await.expect("status");
    assert!(
        status
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("removed")),
        "{status:?}"
    );

    stop.send(true).expect("stop");
    running.await.expect("task").expect("run_sync ends cleanly");
    server.shutdown().await.expect("relay stops");
}

#[tokio::test]
async fn sync_errors_are_typed_and_the_loop_ends_on_an_unshared_workspace() {
    use meridian_app::sync::{SyncError, parse_role};
    use meridian_app::{Error, ErrorKind};

    let t = meridian_testkit::TempWorkspace::new().await;
    // The loop decides on the variant, not on the text: it stops instead of retrying.
    let (_stop, rx) = watch::channel(false);
    let ended = tokio::time::timeout(Duration::from_secs(10), t.ws.run_sync(rx))
        .await
        .expect("the loop ends at once");
    assert!(
        matches!(ended, Err(Error::Sync(SyncError::NotShared { .. }))),
        "{ended:?}"
    );
    let once = t.ws.sync_once(Duration::from_secs(5)).await;
    assert!(
        matches!(once, Err(Error::Sync(SyncError::NotShared { .. }))),
        "{once:?}"
    );
    let remove =
        t.ws.remove_device(&"0".repeat(52))
            .await
            .expect_err("not shared");
    assert!(
        matches!(remove, Error::Sync(SyncError::NotShared { .. })),
        "{remove:?}"
    );
    assert_eq!(remove.kind(), ErrorKind::Sync);
    assert!(
        remove
            .to_string()
            .starts_with("this workspace is not shared")
    );

    // Bad input is `Invalid` for the UI, whatever layer found it.
    let bad_id = t.ws.remove_device("abcd").await.expect_err("not an id");
    assert_eq!(bad_id.kind(), ErrorKind::Invalid, "{bad_id}");
    let role = parse_role("boss").expect_err("no such role");
    assert!(
        matches!(role, Error::Sync(SyncError::Invalid(_))),
        "{role:?}"
    );
    assert_eq!(role.kind(), ErrorKind::Invalid);
    assert!(
        role.to_string().contains("use admin, editor or viewer"),
        "{role}"
    );
}
