//! What a user does: write a page and record a decision, quit, start again, and find both
//! as they left them.

use fantoccini::Client;
use fantoccini::key::Key;

use super::harness::{Harness, TestResult};
use super::ui::*;

const PAGE_TITLE: &str = "Launch plan";
const BODY_LINE_1: &str = "# Launch plan";
// Plain BMP text: WebKitWebDriver cannot synthesise keys outside the BMP (emoji), so
// UTF-16 handling is covered by the UI's unit tests (ui/src/lib/splices.test.ts).
const BODY_LINE_2: &str = "Ship the desktop app to the café team next week.";
const DECISION_TITLE: &str = "Pick the storage engine";
const CONTEXT: &str = "We need durable local storage that survives crashes.";
const OPTION_A: &str = "Plain JSON files";
const OPTION_B: &str = "SQLite in WAL mode";

pub async fn run(h: &Harness) -> TestResult {
    let client = h.launch().await?;
    let first = first_run(h, &client).await;
    // Quitting the app: ending the session closes the window and the process.
    let closed = client.close().await;
    first?;
    closed?;

    step("restart the app");
    let client = h.launch().await?;
    let second = after_restart(h, &client).await;
    let closed = client.close().await;
    second?;
    closed?;
    Ok(())
}

async fn first_run(h: &Harness, c: &Client) -> TestResult {
    // First run: start a new workspace with the proposed name; the app opens on the
    // inbox, empty.
    step("start a new workspace on first run");
    wait_for(c, "[data-testid=welcome]").await?;
    click(c, "[data-testid=welcome-submit]").await?;
    wait_for(c, "[data-testid=inbox-empty]").await?;
    click(c, "[data-testid=nav-pages]").await?;
    wait_for(c, "[data-testid=main-pages]").await?;
    wait_for(c, "[data-testid=pages-empty]").await?;
    assert_text(c, "[data-testid=status-workspace]", "My workspace").await?;
    h.screenshot(c, "01-pages-empty").await?;

    // A page: title, then Markdown typed into CodeMirror.
    step("create a page");
    type_into(c, "[data-testid=new-page-title]", PAGE_TITLE).await?;
    click(c, "[data-testid=new-page-submit]").await?;
    wait_for(c, "[data-testid=page-editor]").await?;
    let body = wait_for(c, "[data-testid=page-body-input]").await?;
    step("type the page body");
    body.click().await?;
    body.send_keys(BODY_LINE_1).await?;
    body.send_keys(&char::from(Key::Enter).to_string()).await?;
    body.send_keys(BODY_LINE_2).await?;
    step("wait until saved");
    wait_saved(c).await?;
    h.screenshot(c, "02-page-editor").await?;
    let list = wait_for(c, "[data-testid=page-list]").await?;
    let listed = text_of(&list).await?;
    if !listed.contains(PAGE_TITLE) {
        return Err(format!("the page list does not show the new page: {listed:?}").into());
    }

    step("create a decision");
    // A decision: title, context, two options, propose, a refused accept, choose, accept.
    click(c, "[data-testid=nav-decisions]").await?;
    wait_for(c, "[data-testid=main-decisions]").await?;
    type_into(c, "[data-testid=new-decision-title]", DECISION_TITLE).await?;
    click(c, "[data-testid=new-decision-submit]").await?;
    wait_for(c, "[data-testid=decision-editor]").await?;
    type_into(c, "[data-testid=decision-context]", CONTEXT).await?;
    for (i, title) in [OPTION_A, OPTION_B].into_iter().enumerate() {
        click(c, "[data-testid=option-add]").await?;
        let titles = wait_for_count(c, "[data-testid=option-title]", i + 1).await?;
        titles[i].send_keys(title).await?;
    }
    wait_saved(c).await?;

    step("propose, then accept without a chosen option");
    click(c, "[data-testid=transition-proposed]").await?;
    wait_for(c, "[data-testid=decision-editor] [data-status=proposed]").await?;
    click(c, "[data-testid=transition-accepted]").await?;
    let error = wait_for(c, "[data-testid=decision-error]").await?;
    let message = text_of(&error).await?;
    if !message.contains("chosen option") {
        return Err(format!("accepting without a chosen option showed {message:?}").into());
    }
    h.screenshot(c, "03-decision-refused").await?;

    step("choose an option and accept");
    let radios = wait_for_count(c, "[data-testid=option-choose]", 2).await?;
    wait_enabled(&radios[1]).await?;
    radios[1].click().await?;
    type_into(
        c,
        "[data-testid=decision-rationale]",
        "Crash-safe, one file, and fast enough.",
    )
    .await?;
    wait_saved(c).await?;
    click(c, "[data-testid=transition-accepted]").await?;
    wait_for(c, "[data-testid=decision-editor] [data-status=accepted]").await?;
    wait_for(c, "[data-testid=decision-item] [data-status=accepted]").await?;
    h.screenshot(c, "04-decision-accepted").await?;
    Ok(())
}

async fn after_restart(h: &Harness, c: &Client) -> TestResult {
    click(c, "[data-testid=nav-pages]").await?;
    wait_for(c, "[data-testid=main-pages]").await?;
    let item = wait_for(c, "[data-testid=page-item]").await?;
    item.click().await?;
    wait_for(c, "[data-testid=page-editor]").await?;
    let title = wait_for(c, "[data-testid=page-title]").await?;
    if title.prop("value").await?.as_deref() != Some(PAGE_TITLE) {
        return Err("the page title did not survive the restart".into());
    }
    let body = text_of(&wait_for(c, "[data-testid=page-body-input]").await?).await?;
    for line in [BODY_LINE_1, BODY_LINE_2] {
        if !body.contains(line) {
            return Err(format!("page body after restart is {body:?}, missing {line:?}").into());
        }
    }
    h.screenshot(c, "05-after-restart-page").await?;

    step("check the decision after the restart");
    click(c, "[data-testid=nav-decisions]").await?;
    let item = wait_for(c, "[data-testid=decision-item]").await?;
    wait_for(c, "[data-testid=decision-item] [data-status=accepted]").await?;
    item.click().await?;
    wait_for(c, "[data-testid=decision-editor] [data-status=accepted]").await?;
    let context = wait_for(c, "[data-testid=decision-context]").await?;
    if context.prop("value").await?.as_deref() != Some(CONTEXT) {
        return Err("the decision context did not survive the restart".into());
    }
    let titles = wait_for_count(c, "[data-testid=option-title]", 2).await?;
    let radios = wait_for_count(c, "[data-testid=option-choose]", 2).await?;
    let mut chosen = Vec::new();
    for (t, r) in titles.iter().zip(&radios) {
        if r.prop("checked").await?.as_deref() == Some("true") {
            chosen.push(t.prop("value").await?.unwrap_or_default());
        }
    }
    if chosen != [OPTION_B] {
        return Err(
            format!("chosen option after restart: {chosen:?}, expected {OPTION_B:?}").into(),
        );
    }
    h.screenshot(c, "06-after-restart-decision").await?;
    Ok(())
}
