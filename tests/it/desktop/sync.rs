//! Sync in the app, against a real `meridian-relay` process and a `meridian` CLI device:
//! the app invites (code and QR) and the CLI joins; with the relay gone, the CLI syncs with
//! the app directly on the local network (loopback here); a second app joins on its first
//! run; changes from the other device appear in the app without reloading.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use fantoccini::Client;

use super::harness::{Harness, TestResult};
use super::ui::*;

/// A relay process on loopback; killed on drop.
struct Relay {
    child: Child,
    url: String,
    data: Option<tempfile::TempDir>,
}

impl Relay {
    fn start(h: &Harness) -> TestResult<Relay> {
        Relay::start_in(h, tempfile::tempdir()?)
    }

    /// A relay on the data folder `data` (perhaps another relay's, as after a move).
    fn start_in(h: &Harness, data: tempfile::TempDir) -> TestResult<Relay> {
        let mut child = Command::new(&h.config.relay)
            .args(["--listen", "127.0.0.1:0", "--insecure", "--data"])
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("relay stdout")?;
        let url = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("listening on ").map(str::to_owned))
            .ok_or("the relay did not say where it listens")?;
        Ok(Relay {
            child,
            url,
            data: Some(data),
        })
    }

    /// Stops the relay and keeps its data folder.
    fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.data.take().expect("the relay's data folder")
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the CLI on `dir` off the async runtime; fails with its stderr.
async fn cli(h: &Harness, dir: &Path, args: &[&str]) -> TestResult<String> {
    let mut cmd = Command::new(&h.config.cli);
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("MERIDIAN_KEYCHAIN", "off")
        .env("MERIDIAN_NO_LAN", "1");
    let out: Output = tokio::task::spawn_blocking(move || cmd.output()).await??;
    if !out.status.success() {
        return Err(format!(
            "meridian {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A loopback address for the app to listen for devices on (`MERIDIAN_LAN_LISTEN`): a port
/// that was free a moment ago.
pub fn lan_listen_addr() -> TestResult<String> {
    let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
    Ok(format!("127.0.0.1:{port}"))
}

/// The app invites; a CLI device joins, writes, and its page appears in the app live. Then
/// the relay stops and the CLI reaches the app at `lan` (where the harness made it listen).
pub async fn invite_a_cli_device(h: &Harness, lan: &str) -> TestResult {
    let relay = Relay::start(h)?;
    let client = h.launch().await?;
    let result = invite_flow(h, &client, relay, lan).await;
    if let Err(e) = &result {
        eprintln!("sync invite flow failed: {e:?}");
        let _ = h.screenshot(&client, "sync-failure").await;
    }
    let closed = client.close().await;
    result?;
    closed?;
    Ok(())
}

async fn invite_flow(h: &Harness, c: &Client, relay: Relay, lan: &str) -> TestResult {
    step("sync: create an invite in the app");
    wait_for(c, "[data-testid=status-bar]").await?;
    wait_text(c, "[data-testid=status-sync]", "Local only").await?;
    click(c, "[data-testid=nav-sync]").await?;
    wait_for(c, "[data-testid=sync-view]").await?;
    type_into(c, "[data-testid=invite-relay]", &relay.url).await?;
    click(c, "[data-testid=invite-submit]").await?;
    wait_for(c, "[data-testid=invite-qr] svg").await?;
    let code = wait_for(c, "[data-testid=invite-code]")
        .await?
        .prop("value")
        .await?
        .ok_or("the invite code field is empty")?;
    assert!(code.starts_with("mrd1-"), "{code}");
    h.screenshot(c, "20-invite").await?;

    step("sync: a CLI device joins with the code; the app admits it");
    let device = tempfile::tempdir()?;
    cli(
        h,
        device.path(),
        &["join", &code, "--me", "Cli", "--tz", "UTC", "--wait", "2m"],
    )
    .await?;
    let pages = cli(h, device.path(), &["list", "--kind", "page"]).await?;
    assert!(
        pages.contains("Launch plan"),
        "the app's page reached the CLI: {pages}"
    );

    step("sync: the CLI writes; the page appears in the app without a reload");
    cli(
        h,
        device.path(),
        &[
            "page",
            "new",
            "--title",
            "Written on the CLI",
            "--body",
            "hello from the terminal",
        ],
    )
    .await?;
    cli(h, device.path(), &["sync", "--once"]).await?;
    click(c, "[data-testid=nav-pages]").await?;
    wait_text(c, "[data-testid=page-list]", "Written on the CLI").await?;

    step("sync: the status panel says synced, with both devices");
    click(c, "[data-testid=nav-sync]").await?;
    wait_text(c, "[data-testid=sync-state]", "Synced").await?;
    wait_for_count(c, "[data-testid=device-item]", 2).await?;
    wait_text(c, "[data-testid=device-list]", "Cli").await?;
    wait_text(c, "[data-testid=status-sync]", "Synced").await?;
    h.screenshot(c, "21-synced").await?;

    step("sync: the relay stops; the CLI syncs with the app on the local network");
    let relay_data = relay.stop();
    cli(
        h,
        device.path(),
        &[
            "page",
            "new",
            "--title",
            "Written beside the app",
            "--body",
            "no relay in between",
        ],
    )
    .await?;
    cli(h, device.path(), &["sync", "--once", "--peer", lan]).await?;
    click(c, "[data-testid=nav-pages]").await?;
    wait_text(c, "[data-testid=page-list]", "Written beside the app").await?;

    step("sync: Devices & sync lists the CLI device as met on the local network");
    click(c, "[data-testid=nav-sync]").await?;
    wait_text(c, "[data-testid=lan-peer-item]", "Cli").await?;
    wait_text(c, "[data-testid=lan-peer-item]", "connected here, synced").await?;
    // Without the relay, the CLI device is the one route holding what the app made.
    wait_text(c, "[data-testid=status-sync]", "Synced with Cli's device").await?;
    wait_text(c, "[data-testid=status-sync]", "on the local network").await?;
    h.screenshot(c, "22-lan-peer").await?;

    step("sync: the relay comes back at another address; the app and the CLI move there");
    let moved = Relay::start_in(h, relay_data)?;
    type_into(c, "[data-testid=relay-address]", &moved.url).await?;
    click(c, "[data-testid=relay-set]").await?;
    wait_text(c, "[data-testid=sync-view]", &moved.url).await?;
    cli(h, device.path(), &["relay", "set", &moved.url]).await?;
    cli(
        h,
        device.path(),
        &[
            "page",
            "new",
            "--title",
            "Written after the move",
            "--body",
            "through the relay's new address",
        ],
    )
    .await?;
    cli(h, device.path(), &["sync", "--once"]).await?;
    click(c, "[data-testid=nav-pages]").await?;
    wait_text(c, "[data-testid=page-list]", "Written after the move").await?;
    drop(moved);
    Ok(())
}

/// A second app, on a new data folder, joins a CLI admin's workspace on its first run;
/// the admin's later edit appears live.
pub async fn join_on_first_run(h: &Harness) -> TestResult {
    let relay = Relay::start(h)?;
    let admin = tempfile::tempdir()?;
    cli(
        h,
        admin.path(),
        &[
            "init",
            "--name",
            "Field team",
            "--me",
            "Ada",
            "--tz",
            "Europe/Berlin",
        ],
    )
    .await?;
    cli(
        h,
        admin.path(),
        &[
            "page",
            "new",
            "--title",
            "Team handbook",
            "--body",
            "Read me first.",
        ],
    )
    .await?;
    let code = cli(h, admin.path(), &["invite", "--relay", &relay.url]).await?;
    let code = code.trim().to_owned();
    // The admin keeps syncing so it can admit the app.
    let mut syncing = Command::new(&h.config.cli)
        .arg("--data-dir")
        .arg(admin.path())
        .arg("sync")
        .env("MERIDIAN_KEYCHAIN", "off")
        .env("MERIDIAN_NO_LAN", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;

    let client = h.launch().await?;
    let result = join_flow(h, &client, admin.path(), &code, &mut syncing).await;
    let closed = client.close().await;
    let _ = syncing.kill();
    let _ = syncing.wait();
    result?;
    closed?;
    Ok(())
}

async fn join_flow(
    h: &Harness,
    c: &Client,
    admin: &Path,
    code: &str,
    syncing: &mut Child,
) -> TestResult {
    step("sync: join with a code on first run");
    wait_for(c, "[data-testid=welcome]").await?;
    click(c, "[data-testid=welcome-mode-join]").await?;
    type_into(c, "[data-testid=welcome-code]", code).await?;
    let me = wait_for(c, "[data-testid=welcome-me]").await?;
    me.clear().await?;
    me.send_keys("Desk").await?;
    click(c, "[data-testid=welcome-submit]").await?;
    wait_for(c, "[data-testid=status-bar]").await?;
    assert_text(c, "[data-testid=status-workspace]", "Field team").await?;
    click(c, "[data-testid=nav-pages]").await?;
    wait_text(c, "[data-testid=page-list]", "Team handbook").await?;

    step("sync: the admin's next edit appears live in the app");
    // One process per data folder writes at a time: stop the admin's live sync, write,
    // and push once.
    let _ = syncing.kill();
    let _ = syncing.wait();
    cli(
        h,
        admin,
        &[
            "page",
            "new",
            "--title",
            "Live from the admin",
            "--body",
            "pushed",
        ],
    )
    .await?;
    cli(h, admin, &["sync", "--once"]).await?;
    wait_text(c, "[data-testid=page-list]", "Live from the admin").await?;
    h.screenshot(c, "31-joined-live").await?;
    Ok(())
}

/// The app joins a CLI admin's workspace; closed, its `workspace.db` is overwritten with
/// garbage; started again it says so and offers to recover, and recovering from the relay
/// brings the workspace back, with the damaged file kept aside.
pub async fn recover_in_the_app(h: &Harness) -> TestResult {
    let relay = Relay::start(h)?;
    let admin = tempfile::tempdir()?;
    cli(
        h,
        admin.path(),
        &[
            "init",
            "--name",
            "Field team",
            "--me",
            "Ada",
            "--tz",
            "Europe/Berlin",
        ],
    )
    .await?;
    cli(
        h,
        admin.path(),
        &[
            "page",
            "new",
            "--title",
            "Team handbook",
            "--body",
            "Read me first.",
        ],
    )
    .await?;
    let code = cli(h, admin.path(), &["invite", "--relay", &relay.url]).await?;
    let code = code.trim().to_owned();
    let mut syncing = Command::new(&h.config.cli)
        .arg("--data-dir")
        .arg(admin.path())
        .arg("sync")
        .env("MERIDIAN_KEYCHAIN", "off")
        .env("MERIDIAN_NO_LAN", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let client = h.launch().await?;
    let joined = async {
        step("recover: the app joins the workspace");
        wait_for(&client, "[data-testid=welcome]").await?;
        click(&client, "[data-testid=welcome-mode-join]").await?;
        type_into(&client, "[data-testid=welcome-code]", &code).await?;
        click(&client, "[data-testid=welcome-submit]").await?;
        wait_for(&client, "[data-testid=status-bar]").await?;
        click(&client, "[data-testid=nav-pages]").await?;
        wait_text(&client, "[data-testid=page-list]", "Team handbook").await?;
        click(&client, "[data-testid=nav-sync]").await?;
        wait_text(&client, "[data-testid=sync-state]", "Synced").await?;
        TestResult::Ok(())
    }
    .await;
    let closed = client.close().await;
    let _ = syncing.kill();
    let _ = syncing.wait();
    joined?;
    closed?;
    // The app's process must have ended (and checkpointed its WAL) before its database
    // is damaged: a process still holding it would write its pages back over the garbage.
    let file = h.data_dir().join("workspace.db");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while held_open(&file) {
        if std::time::Instant::now() > deadline {
            return Err("the app still holds workspace.db 30 s after its session closed".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    step("recover: workspace.db is overwritten with garbage");
    // The app was stopped without a checkpoint, so its pages may all sit in the WAL: the
    // garbage goes over both, and the WAL's index (a cache) goes.
    for suffix in ["", "-wal"] {
        let part = PathBuf::from(format!("{}{suffix}", file.display()));
        if let Ok(meta) = std::fs::metadata(&part) {
            std::fs::write(&part, vec![0x5a_u8; meta.len() as usize])?;
        }
    }
    let _ = std::fs::remove_file(format!("{}-shm", file.display()));

    let client = h.launch().await?;
    let result = async {
        step("recover: the app says which file is damaged and offers to recover");
        wait_text(&client, "[data-testid=open-error]", "workspace.db").await?;
        wait_for(&client, "[data-testid=recover-form]").await?;
        h.screenshot(&client, "40-damaged").await?;
        click(&client, "[data-testid=recover-start]").await?;
        wait_text(
            &client,
            "[data-testid=recover-report]",
            "Rebuilt workspace.db",
        )
        .await?;
        wait_text(&client, "[data-testid=recover-report]", ".corrupt-").await?;
        h.screenshot(&client, "41-recovered").await?;
        click(&client, "[data-testid=recover-continue]").await?;
        wait_for(&client, "[data-testid=status-bar]").await?;
        click(&client, "[data-testid=nav-pages]").await?;
        wait_text(&client, "[data-testid=page-list]", "Team handbook").await?;
        TestResult::Ok(())
    }
    .await;
    if let Err(e) = &result {
        eprintln!("recover flow failed: {e:?}");
        let _ = h.screenshot(&client, "recover-failure").await;
    }
    let closed = client.close().await;
    result?;
    closed?;
    let kept = std::fs::read_dir(h.data_dir())?
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("workspace.db.corrupt-")
        })
        .count();
    assert!(kept >= 1, "the damaged file is kept aside");
    Ok(())
}

/// Whether a process has `file` open (Linux: its `/proc/*/fd` links).
fn held_open(file: &Path) -> bool {
    let Ok(file) = std::fs::canonicalize(file) else {
        return false;
    };
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        std::fs::read_dir(p.path().join("fd")).is_ok_and(|fds| {
            fds.flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == file))
        })
    })
}
