//! The dark theme follows the system: with `GTK_THEME=Adwaita:dark` WebKitGTK reports
//! `prefers-color-scheme: dark`, and the app draws its dark palette (app.css).

use fantoccini::Client;

use super::harness::{Harness, TestResult};
use super::ui::*;

/// The computed background colour of the first element matching `css`.
pub async fn background_of(c: &Client, css: &str) -> TestResult<String> {
    let value = c
        .execute(
            "const el = document.querySelector(arguments[0]);\
             return el ? getComputedStyle(el).backgroundColor : null;",
            vec![css.into()],
        )
        .await?;
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no element {css} to read a background from").into())
}

async fn computed(c: &Client, css: &str, property: &str) -> TestResult<String> {
    let value = c
        .execute(
            "const el = document.querySelector(arguments[0]);\
             return el ? getComputedStyle(el).getPropertyValue(arguments[1]) : null;",
            vec![css.into(), property.into()],
        )
        .await?;
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no element {css}").into())
}

pub async fn run(h: &Harness) -> TestResult {
    h.with_app(async |c| dark(h, c).await).await
}

async fn dark(h: &Harness, c: &Client) -> TestResult {
    step("theme: the system prefers dark");
    wait_for(c, "[data-testid=welcome]").await?;
    let prefers = c
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches",
            vec![],
        )
        .await?;
    if prefers.as_bool() != Some(true) {
        return Err(
            "WebKit does not report prefers-color-scheme: dark under GTK_THEME=Adwaita:dark".into(),
        );
    }
    // --surface and --text of the dark theme.
    let page = background_of(c, "html").await?;
    if page != "rgb(22, 22, 27)" {
        return Err(format!("the dark theme's page background is {page}").into());
    }
    let text = computed(c, "[data-testid=welcome] h1", "color").await?;
    if text != "rgb(230, 230, 238)" {
        return Err(format!("the dark theme's text colour is {text}").into());
    }
    h.screenshot(c, "50-dark-welcome").await?;

    step("theme: the app in the dark, with the sample");
    click(c, "[data-testid=welcome-sample]").await?;
    click(c, "[data-testid=welcome-submit]").await?;
    wait_for(c, "[data-testid=status-bar]").await?;
    // The current section is drawn in --selected.
    let current = background_of(c, "[data-testid=nav-inbox]").await?;
    if current != "rgb(45, 43, 79)" {
        return Err(format!("the current section's background is {current}").into());
    }
    let main = background_of(c, "main").await?;
    if main != "rgb(22, 22, 27)" {
        return Err(format!("the main pane's background is {main}").into());
    }
    h.screenshot(c, "51-dark-inbox").await?;
    click(c, "[data-testid=nav-decisions]").await?;
    wait_for(c, "[data-testid=decision-item] [data-status=accepted]").await?;
    let badge = background_of(c, "[data-testid=decision-item] [data-status=accepted]").await?;
    if badge != "rgb(23, 51, 34)" {
        return Err(format!("the accepted badge's background is {badge}").into());
    }
    h.screenshot(c, "52-dark-decisions").await?;
    click(c, "[data-testid=nav-pages]").await?;
    let item = wait_for(c, "[data-testid=page-item]").await?;
    item.click().await?;
    let body = wait_for(c, "[data-testid=page-body-input]").await?;
    body.click().await?;
    // CodeMirror's own cursor would be black on the dark page.
    wait_for(c, ".cm-cursor").await?;
    let cursor = computed(c, ".cm-cursor", "border-left-color").await?;
    if cursor != "rgb(230, 230, 238)" {
        return Err(format!("the editor's cursor is drawn in {cursor}").into());
    }
    h.screenshot(c, "53-dark-page-editor").await?;
    Ok(())
}
