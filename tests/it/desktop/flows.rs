//! The flows of async work through the real window: pages that link and show backlinks, a
//! decision proposed, discussed and accepted, a thread promoted to a decision, and the
//! keyboard: the palette creates and navigates, shortcuts move between sections, `?`
//! lists them.

use fantoccini::{Client, Locator, key::Key};

use super::harness::{Harness, TestResult};
use super::ui::*;

const LINKED: &str = "Hiring plan";
const LINKING: &str = "Onboarding guide";
const DECISION: &str = "Adopt async standups";
/// A thread the norms scenario sent.
const THREAD: &str = "Review the launch checklist";

pub async fn run(h: &Harness) -> TestResult {
    let client = h.launch().await?;
    let outcome = flows(h, &client).await;
    if outcome.is_err() {
        let _ = h.screenshot(&client, "flows-failure").await;
    }
    let closed = client.close().await;
    outcome?;
    closed?;
    Ok(())
}

async fn flows(h: &Harness, c: &Client) -> TestResult {
    page_link_and_backlink(h, c).await?;
    decision_through_feedback_to_acceptance(h, c).await?;
    promote_a_thread(h, c).await?;
    keyboard(h, c).await
}

/// Keys sent to the page body (no element focused in particular).
async fn keys(c: &Client, keys: &str) -> TestResult {
    c.find(Locator::Css("body")).await?.send_keys(keys).await?;
    Ok(())
}

async fn ctrl_k(c: &Client) -> TestResult {
    keys(
        c,
        &format!("{}k{}", char::from(Key::Control), char::from(Key::Null)),
    )
    .await
}

/// Runs a palette command by typing its name and pressing Enter.
async fn palette_command(c: &Client, typed: &str, command: &str) -> TestResult {
    ctrl_k(c).await?;
    type_into(c, "[data-testid=palette-input]", typed).await?;
    wait_for(
        c,
        &format!("[data-testid=palette-command][data-command={command}].active"),
    )
    .await?;
    type_into(
        c,
        "[data-testid=palette-input]",
        &char::from(Key::Enter).to_string(),
    )
    .await
}

/// Waits until the element with `testid` has the keyboard focus.
async fn wait_focused(c: &Client, testid: &str) -> TestResult {
    let mut last = None;
    for _ in 0..50 {
        // The element focused a moment ago may be gone (a closed dialog): ask again.
        if let Ok(el) = c.active_element().await {
            last = el.attr("data-testid").await.ok().flatten();
            if last.as_deref() == Some(testid) {
                return Ok(());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("{testid} did not get the focus (focused: {last:?})").into())
}

async fn new_page(c: &Client, title: &str) -> TestResult {
    type_into(c, "[data-testid=new-page-title]", title).await?;
    click(c, "[data-testid=new-page-submit]").await?;
    for _ in 0..50 {
        // The editor of the page open before is replaced: find the title field each time.
        if let Ok(input) = c.find(Locator::Css("[data-testid=page-title]")).await
            && input.prop("value").await.ok().flatten().as_deref() == Some(title)
        {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("the new page {title:?} did not open").into())
}

async fn page_link_and_backlink(h: &Harness, c: &Client) -> TestResult {
    step("the palette's New page command opens Pages with the title field focused");
    palette_command(c, "new page", "new-page").await?;
    wait_for(c, "[data-testid=main-pages]").await?;
    wait_focused(c, "new-page-title").await?;
    new_page(c, LINKED).await?;
    new_page(c, LINKING).await?;

    step("write a [[link]] with the completion open, and see it resolved");
    let body = wait_for(c, "[data-testid=page-body-input]").await?;
    body.click().await?;
    body.send_keys("Read the [[Hiring").await?;
    let options = wait_for(c, ".cm-tooltip-autocomplete").await?;
    let offered = text_of(&options).await?;
    if !offered.contains(LINKED) {
        return Err(format!("`[[` offered {offered:?}").into());
    }
    body.send_keys(&format!(
        "{}{}",
        char::from(Key::Escape),
        " plan]] before day one."
    ))
    .await?;
    wait_saved(c).await?;
    let out = wait_for(c, "[data-testid=outlink]").await?;
    if text_of(&out).await? != LINKED {
        return Err(format!("links to: {:?}", text_of(&out).await?).into());
    }
    wait_for(c, ".cm-wikilink").await?;
    h.screenshot(c, "20-page-link").await?;

    step("follow the link; the linked page shows the backlink");
    out.click().await?;
    let back = wait_for(c, "[data-testid=backlink]").await?;
    if text_of(&back).await? != LINKING {
        return Err(format!("linked from: {:?}", text_of(&back).await?).into());
    }
    h.screenshot(c, "21-page-backlink").await?;

    step("nest the linked page under the other; the tree shows it indented");
    let parent = wait_for(c, "[data-testid=page-parent]").await?;
    parent
        .select_by_label(LINKING)
        .await
        .map_err(|e| format!("choose the parent: {e}"))?;
    for _ in 0..50 {
        let indented = texts(c, "[data-testid=page-item][style*='16px']").await?;
        if indented.iter().any(|t| t.contains(LINKED)) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err("the page did not move under its parent in the tree".into())
}

async fn decision_through_feedback_to_acceptance(h: &Harness, c: &Client) -> TestResult {
    step("G then D opens Decisions; N then D starts a new decision");
    keys(c, "gd").await?;
    wait_for(c, "[data-testid=main-decisions]").await?;
    keys(c, "nd").await?;
    wait_focused(c, "new-decision-title").await?;
    type_into(c, "[data-testid=new-decision-title]", DECISION).await?;
    click(c, "[data-testid=new-decision-submit]").await?;
    wait_for(c, "[data-testid=decision-editor]").await?;
    type_into(
        c,
        "[data-testid=decision-context]",
        "Meetings eat the overlap hours.",
    )
    .await?;
    click(c, "[data-testid=option-add]").await?;
    type_into(c, "[data-testid=option-title]", "Written check-ins").await?;
    type_into(c, "[data-testid=decision-deciders]", "Ada, Sam").await?;
    wait_saved(c).await?;

    step("propose it and give feedback with a stance");
    click(c, "[data-testid=transition-proposed]").await?;
    wait_for(c, "[data-testid=status-badge][data-status=proposed]").await?;
    step("an objection without a reason is refused");
    click(c, "[data-testid=feedback-stance-object]").await?;
    click(c, "[data-testid=feedback-submit]").await?;
    let refused = text_of(&wait_for(c, "[data-testid=decision-error]").await?).await?;
    if !refused.contains("reason") {
        return Err(format!("an objection without a reason showed {refused:?}").into());
    }
    step("a concern with a note is listed");
    click(c, "[data-testid=feedback-stance-concern]").await?;
    type_into(
        c,
        "[data-testid=feedback-text]",
        "Keep one live call a month.",
    )
    .await?;
    click(c, "[data-testid=feedback-submit]").await?;
    let fb = wait_for(c, "[data-testid=feedback-item][data-stance=concern]").await?;
    if !text_of(&fb).await?.contains("Keep one live call a month.") {
        return Err("the feedback is not listed".into());
    }

    step("choose the option, accept, acknowledge");
    click(c, "[data-testid=option-choose]").await?;
    wait_saved(c).await?;
    click(c, "[data-testid=transition-accepted]").await?;
    wait_for(c, "[data-testid=status-badge][data-status=accepted]").await?;
    click(c, "[data-testid=decision-ack]").await?;
    let acks = wait_for(c, "[data-testid=ack-summary]").await?;
    for _ in 0..50 {
        if text_of(&acks).await?.contains("Acknowledged by") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let text = text_of(&acks).await?;
    if !text.contains("Acknowledged by") || !text.contains("Asked: Ada, Sam") {
        return Err(format!("acknowledgements show {text:?}").into());
    }
    h.screenshot(c, "22-decision-accepted").await?;

    step("the board shows it under Accepted");
    click(c, "[data-testid=decisions-mode-board]").await?;
    let accepted = wait_for(c, "[data-testid=board-column][data-status=accepted]").await?;
    if !text_of(&accepted).await?.contains(DECISION) {
        return Err("the accepted decision is not on the board's Accepted column".into());
    }
    h.screenshot(c, "23-decision-board").await?;
    click(c, "[data-testid=decisions-mode-log]").await
}

async fn promote_a_thread(h: &Harness, c: &Client) -> TestResult {
    step("promote a thread to a decision, pre-filled and linked both ways");
    keys(c, "gt").await?;
    wait_for(c, "[data-testid=main-threads]").await?;
    let rows = wait_for_count(c, "[data-testid=thread-item]", 1).await?;
    let mut found = None;
    for r in rows {
        if text_of(&r).await?.contains(THREAD) {
            found = Some(r);
        }
    }
    found
        .ok_or("the norms scenario's thread is not listed")?
        .click()
        .await?;
    click(c, "[data-testid=thread-promote]").await?;
    wait_for(c, "[data-testid=main-decisions]").await?;
    let title = wait_for(c, "[data-testid=decision-title]").await?;
    if title.prop("value").await?.as_deref() != Some(THREAD) {
        return Err("the promoted decision does not carry the thread's title".into());
    }
    let context = wait_for(c, "[data-testid=decision-context]").await?;
    if !context
        .prop("value")
        .await?
        .unwrap_or_default()
        .contains("Please look before Thursday.")
    {
        return Err("the promoted decision's context is not the thread's body".into());
    }
    h.screenshot(c, "24-thread-promoted").await?;
    click(c, "[data-testid=decision-source-thread]").await?;
    let back = wait_for(c, "[data-testid=thread-linked-decision]").await?;
    if text_of(&back).await? != THREAD {
        return Err(format!("the thread links to {:?}", text_of(&back).await?).into());
    }
    Ok(())
}

async fn keyboard(h: &Harness, c: &Client) -> TestResult {
    step("? shows every shortcut; Esc closes it");
    keys(c, "?").await?;
    let shortcuts = wait_for_count(c, "[data-testid=help-shortcut]", 20).await?;
    if shortcuts.len() < 20 {
        return Err("the help overlay lists too few shortcuts".into());
    }
    h.screenshot(c, "25-shortcuts").await?;
    type_into(
        c,
        "[data-testid=help-overlay]",
        &char::from(Key::Escape).to_string(),
    )
    .await?;
    for _ in 0..50 {
        if c.find_all(Locator::Css("[data-testid=help-overlay]"))
            .await?
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !c
        .find_all(Locator::Css("[data-testid=help-overlay]"))
        .await?
        .is_empty()
    {
        return Err("Esc did not close the help overlay".into());
    }

    step("the palette navigates: Go to Pages");
    palette_command(c, "go pages", "go-pages").await?;
    wait_for(c, "[data-testid=main-pages]").await?;
    Ok(())
}
