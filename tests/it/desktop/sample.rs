//! First run with the sample workspace: tick "Include sample content", start, and find the
//! sample's pages and decisions listed, searchable from the command palette. The app runs
//! in the light theme here (the dark one is `theme.rs`).

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use super::harness::{Harness, TestResult};
use super::theme::background_of;
use super::ui::*;

const SAMPLE_PAGES: [&str; 5] = [
    "Start here",
    "How we work asynchronously",
    "Writing decisions down",
    "Retrospectives",
    "Onboarding checklist",
];

pub async fn run(h: &Harness) -> TestResult {
    h.with_app(async |c| first_run_with_sample(h, c).await)
        .await
}

async fn first_run_with_sample(h: &Harness, c: &Client) -> TestResult {
    step("sample: the first-run screen, in the light theme");
    wait_for(c, "[data-testid=welcome]").await?;
    let page = background_of(c, "html").await?;
    if page != "rgb(255, 255, 255)" {
        return Err(format!("the light theme's page background is {page}").into());
    }
    let sample = wait_for(c, "[data-testid=welcome-sample]").await?;
    if sample.prop("checked").await?.as_deref() != Some("false") {
        return Err("the sample is opt-in: the box must start unticked".into());
    }
    sample.click().await?;
    if sample.prop("checked").await?.as_deref() != Some("true") {
        return Err("clicking the sample box did not tick it".into());
    }
    h.screenshot(c, "40-welcome-sample").await?;

    step("sample: start; the sample's pages are listed");
    click(c, "[data-testid=welcome-submit]").await?;
    wait_for(c, "[data-testid=status-bar]").await?;
    click(c, "[data-testid=nav-pages]").await?;
    wait_for_count(c, "[data-testid=page-item]", SAMPLE_PAGES.len()).await?;
    let listed = text_of(&wait_for(c, "[data-testid=page-list]").await?).await?;
    for title in SAMPLE_PAGES {
        if !listed.contains(title) {
            return Err(format!("the page list lacks {title:?}: {listed:?}").into());
        }
    }
    h.screenshot(c, "41-sample-pages").await?;

    step("sample: and its decisions, one accepted and one proposed");
    click(c, "[data-testid=nav-decisions]").await?;
    wait_for_count(c, "[data-testid=decision-item]", 2).await?;
    wait_for(c, "[data-testid=decision-item] [data-status=accepted]").await?;
    wait_for(c, "[data-testid=decision-item] [data-status=proposed]").await?;

    step("sample: the command palette finds a sample page by its text");
    let body = c.find(Locator::Css("body")).await?;
    body.send_keys(&format!(
        "{}k{}",
        char::from(Key::Control),
        char::from(Key::Null)
    ))
    .await?;
    type_into(c, "[data-testid=palette-input]", "prime directive").await?;
    let hit = wait_for(c, "[data-testid=palette-hit][data-kind=page]").await?;
    let text = text_of(&hit).await?;
    if !text.contains("Retrospectives") {
        return Err(format!("the palette's first result is {text:?}").into());
    }
    h.screenshot(c, "42-sample-search").await?;
    Ok(())
}
