//! Issue 19 part 3 in the window: a page written on another device (merged the way sync
//! merges an envelope, before the app starts) is edited here; its History panel lists both
//! entries with who wrote them, shows the older version read-only with what it changed,
//! and "Restore this version" brings the old text back into the editor as a new entry.

use fantoccini::Client;
use fantoccini::key::Key;
use meridian_app::{NewPage, Workspace};

use super::harness::{Harness, TestResult};
use super::ui::*;

const TITLE: &str = "Release notes";
const OLD: &str = "We ship on Friday.";
const ADDED: &str = " Moved to Monday.";

/// A workspace whose page "Release notes" came from another device.
async fn seed(h: &Harness) -> TestResult {
    let ws = Workspace::create(&h.data_dir(), "Acme", "Ada", "Europe/Berlin").await?;
    let other_dir = tempfile::tempdir()?;
    let other = Workspace::create(other_dir.path(), "Acme", "Bea", "Europe/Berlin").await?;
    let (id, _) = other
        .create_page(NewPage {
            title: TITLE.into(),
            body: format!("{OLD}\n"),
            ..NewPage::default()
        })
        .await?;
    ws.merge_changes_for_tests(&id, &other.automerge_bytes(&id).await?)
        .await?;
    Ok(())
}

pub async fn run(h: &Harness) -> TestResult {
    seed(h).await?;
    h.with_app(async |c| history(h, c).await).await
}

async fn history(h: &Harness, c: &Client) -> TestResult {
    step("history: edit a page that came from another device");
    click(c, "[data-testid=nav-pages]").await?;
    open_page(c, TITLE).await?;
    let body = wait_for(c, "[data-testid=page-body-input]").await?;
    body.click().await?;
    // To the end of the text, then type.
    body.send_keys(&char::from(Key::End).to_string()).await?;
    body.send_keys(ADDED).await?;
    wait_saved(c).await?;
    wait_text(c, "[data-testid=page-editor]", ADDED.trim()).await?;

    step("history: the panel lists my edit and the other device's creation");
    click(c, "[data-testid=history-toggle]").await?;
    wait_for_count(c, "[data-testid=history-entry]", 2).await?;
    let entries = texts(c, "[data-testid=history-entry]").await?;
    if !entries[0].contains("Ada on this device") || !entries[0].contains("+3") {
        return Err(format!("the newest entry is not my edit: {entries:?}").into());
    }
    if !entries[1].contains("created") || entries[1].contains("this device") {
        return Err(format!("the oldest entry is not the other device's: {entries:?}").into());
    }
    h.screenshot(c, "80-history-panel").await?;

    step("history: the older version, read-only, with what it did");
    click(
        c,
        "[data-testid=history-panel] li:nth-child(2) [data-testid=history-entry]",
    )
    .await?;
    wait_text(c, "[data-testid=history-version-body]", OLD).await?;
    let version = texts(c, "[data-testid=history-version-body]")
        .await?
        .join("");
    if version.contains(ADDED.trim()) {
        return Err(format!("the old version shows the later edit: {version:?}").into());
    }
    wait_text(c, "[data-testid=history-diff]", "title").await?;
    h.screenshot(c, "81-history-version").await?;

    step("history: restore it; the editor shows the old text, the panel a new entry");
    click(c, "[data-testid=history-restore]").await?;
    wait_for(c, "[data-testid=history-restored]").await?;
    wait_for_count(c, "[data-testid=history-entry]", 3).await?;
    wait_text(c, "[data-testid=history-entry]", "restored").await?;
    let start = std::time::Instant::now();
    loop {
        let shown = texts(c, "[data-testid=page-body-input]").await?.join("");
        if shown.contains(OLD) && !shown.contains(ADDED.trim()) {
            break;
        }
        if start.elapsed() > WAIT {
            return Err(format!("the editor did not show the restored text: {shown:?}").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    h.screenshot(c, "82-history-restored").await?;
    Ok(())
}

/// Opens the page whose row shows `title` and waits for its editor.
async fn open_page(c: &Client, title: &str) -> TestResult {
    wait_text(c, "[data-testid=page-item]", title).await?;
    let id = c
        .execute(
            "const row = Array.from(document.querySelectorAll('[data-testid=page-item]'))\
               .find(e => e.textContent.includes(arguments[0]));\
             if (row) row.click();\
             return row ? row.dataset.id : null",
            vec![title.into()],
        )
        .await?;
    let Some(id) = id.as_str() else {
        return Err(format!("the page {title:?} is not listed").into());
    };
    wait_for(c, &format!("[data-testid=page-editor][data-id='{id}']")).await?;
    Ok(())
}
