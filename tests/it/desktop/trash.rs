//! Issue 19 parts 2 and 4 in the window: the What-merged banner after a merge met this
//! device's own offline edit (seeded before the app starts: a second device's copy of the
//! page, edited there, merged the way sync merges an envelope), restoring my lost paragraph
//! from it; then the trash: a page moved there shows who did it and when, comes back with
//! Restore, the guard asks before a page with six sub-pages goes, and "Delete for good"
//! asks first and removes the page.

use fantoccini::Client;
use meridian_app::{NewPage, PagePatch, Workspace};

use super::harness::{Harness, TestResult};
use super::ui::*;

const PLAN: &str = "Intro.\n\nWe ship on Monday at noon.\n\nEnd.\n";
const MINE: &str = "We ship on Tuesday at noon.";
const THEIRS: &str = "We ship on Friday after lunch.";

fn page(title: &str, body: &str, parent: Option<meridian_app::core::DocId>) -> NewPage {
    NewPage {
        title: title.into(),
        body: body.into(),
        tags: Vec::new(),
        parent,
    }
}

/// A workspace where "Launch plan" was edited here and, concurrently, on another device
/// whose changes then merged; plus "Old notes" and "Handbook" with six chapters.
async fn seed(h: &Harness) -> TestResult {
    let ws = Workspace::create(&h.data_dir(), "Acme", "Ada", "Europe/Berlin").await?;
    let (plan, _) = ws.create_page(page("Launch plan", PLAN, None)).await?;
    ws.create_page(page("Old notes", "Nothing important.\n", None))
        .await?;
    let (handbook, _) = ws
        .create_page(page("Handbook", "Start here.\n", None))
        .await?;
    for i in 1..=6 {
        ws.create_page(page(
            &format!("Chapter {i}"),
            "Text.\n",
            Some(handbook.clone()),
        ))
        .await?;
    }
    // The other device: its own workspace folder (its own Automerge actor) holding a copy
    // of the page, edited there while this one edits its own.
    let other_dir = tempfile::tempdir()?;
    let other = Workspace::create(other_dir.path(), "Acme", "Bea", "Europe/Berlin").await?;
    other
        .merge_changes_for_tests(&plan, &ws.automerge_bytes(&plan).await?)
        .await?;
    let edit = |text: &str| PagePatch {
        body: Some(PLAN.replace("We ship on Monday at noon.", text)),
        ..PagePatch::default()
    };
    other.update_page(&plan, edit(THEIRS)).await?;
    ws.update_page(&plan, edit(MINE)).await?;
    ws.merge_changes_for_tests(&plan, &other.automerge_bytes(&plan).await?)
        .await?;
    if ws.merge_reports().await?.len() != 1 {
        return Err("the seeded merge left no what-merged report".into());
    }
    Ok(())
}

pub async fn run(h: &Harness) -> TestResult {
    seed(h).await?;
    h.with_app(async |c| merged_and_trash(h, c).await).await
}

async fn merged_and_trash(h: &Harness, c: &Client) -> TestResult {
    step("merged: the banner names the page both devices edited");
    wait_for(c, "[data-testid=merged-banner]").await?;
    click(c, "[data-testid=merged-toggle]").await?;
    wait_text(c, "[data-testid=merged-report]", "Launch plan").await?;
    wait_text(
        c,
        "[data-testid=merged-entry]",
        "Both edited the same paragraph of body",
    )
    .await?;
    wait_text(c, "[data-testid=merged-entry]", MINE).await?;
    wait_text(c, "[data-testid=merged-entry]", THEIRS).await?;
    h.screenshot(c, "70-what-merged").await?;

    step("merged: restore my text, then the page says it");
    click(c, "[data-testid=merged-restore-mine]").await?;
    wait_text(c, "[data-testid=merged-entry]", "Your text is back").await?;
    click(c, "[data-testid=nav-pages]").await?;
    open_page(c, "Launch plan").await?;
    wait_text(c, "[data-testid=page-editor]", MINE).await?;
    let shown = texts(c, "[data-testid=page-editor]").await?.join("");
    if shown.contains(THEIRS) {
        return Err(format!("the restored paragraph still holds theirs: {shown:?}").into());
    }
    click(c, "[data-testid=merged-dismiss]").await?;
    wait_gone(c, "[data-testid=merged-banner]").await?;

    step("trash: move a page there; the Trash says who and when; restore it");
    open_page(c, "Old notes").await?;
    click(c, "[data-testid=trash-object]").await?;
    click(c, "[data-testid=nav-trash]").await?;
    wait_text(c, "[data-testid=trash-item]", "Old notes").await?;
    wait_text(c, "[data-testid=trash-who]", "Trashed by Ada").await?;
    h.screenshot(c, "71-trash-who").await?;
    click(c, "[data-testid=trash-restore]").await?;
    wait_for(c, "[data-testid=trash-empty]").await?;

    step("trash: a page with six sub-pages asks first");
    click(c, "[data-testid=nav-pages]").await?;
    open_page(c, "Handbook").await?;
    click(c, "[data-testid=trash-object]").await?;
    wait_text(c, "[data-testid=trash-guard]", "7 objects").await?;
    h.screenshot(c, "72-trash-guard").await?;
    click(c, "[data-testid=trash-guard-yes]").await?;
    click(c, "[data-testid=nav-trash]").await?;
    wait_for_count(c, "[data-testid=trash-item]", 7).await?;

    step("trash: delete one for good, after confirming");
    click(
        c,
        "[data-testid=trash-item]:first-child [data-testid=trash-purge]",
    )
    .await?;
    wait_for(c, "[data-testid=purge-confirm]").await?;
    click(c, "[data-testid=purge-yes]").await?;
    wait_count_exactly(c, "[data-testid=trash-item]", 6).await?;
    Ok(())
}

/// Opens the page whose row shows `title` (clicked in one script, as `mirror.rs` does)
/// and waits for its editor.
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

async fn wait_gone(c: &Client, css: &str) -> TestResult {
    wait_count_exactly(c, css, 0).await
}

async fn wait_count_exactly(c: &Client, css: &str, n: usize) -> TestResult {
    let start = std::time::Instant::now();
    loop {
        let found = texts(c, css).await?.len();
        if found == n {
            return Ok(());
        }
        if start.elapsed() > WAIT {
            return Err(format!("expected exactly {n} of {css}, found {found}").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
