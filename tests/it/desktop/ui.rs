//! What the scenarios do to the window: wait, click, type, read — with the timeouts and
//! WebKitWebDriver workarounds in one place.

use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use super::harness::TestResult;

pub const WAIT: Duration = Duration::from_secs(15);

pub fn step(what: &str) {
    eprintln!("e2e step: {what}");
}

pub async fn wait_for(c: &Client, css: &str) -> TestResult<Element> {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("waiting for {css}: {e}").into())
}

pub async fn wait_for_count(c: &Client, css: &str, n: usize) -> TestResult<Vec<Element>> {
    let start = std::time::Instant::now();
    loop {
        let found = c.find_all(Locator::Css(css)).await?;
        if found.len() >= n {
            return Ok(found);
        }
        if start.elapsed() > WAIT {
            return Err(format!("expected {n} of {css}, found {}", found.len()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every edit so far is acknowledged by the engine (committed to disk).
pub async fn wait_saved(c: &Client) -> TestResult {
    let start = std::time::Instant::now();
    loop {
        let el = wait_for(c, "[data-testid=save-state]").await?;
        let state = el.attr("data-state").await?;
        if state.as_deref() == Some("saved") {
            return Ok(());
        }
        if state.as_deref() == Some("failed") || start.elapsed() > WAIT {
            return Err(format!("edits not saved: {}", text_of(&el).await?).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_enabled(el: &Element) -> TestResult {
    let start = std::time::Instant::now();
    while !el.is_enabled().await? {
        if start.elapsed() > WAIT {
            return Err("element stayed disabled".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

pub async fn click(c: &Client, css: &str) -> TestResult {
    let el = wait_for(c, css).await?;
    wait_enabled(&el).await?;
    // WebKitWebDriver does not always scroll an element into view before clicking it (a
    // button below the fold fails with an empty error): do it first.
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'})",
        vec![serde_json::to_value(&el)?],
    )
    .await?;
    el.click().await?;
    Ok(())
}

pub async fn type_into(c: &Client, css: &str, text: &str) -> TestResult {
    wait_for(c, css).await?.send_keys(text).await?;
    Ok(())
}

pub async fn assert_text(c: &Client, css: &str, expected: &str) -> TestResult {
    let text = text_of(&wait_for(c, css).await?).await?;
    if text.trim() != expected {
        return Err(format!("{css} shows {text:?}, expected {expected:?}").into());
    }
    Ok(())
}

/// The `textContent` of every element matching `css`, read in one script: a list that
/// re-renders between finding a row and reading it (a live update) cannot leave the test
/// holding a node that no longer exists.
pub async fn texts(c: &Client, css: &str) -> TestResult<Vec<String>> {
    let value = c
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)",
            vec![css.into()],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// Waits until an element matching `css` contains `text`.
pub async fn wait_text(c: &Client, css: &str, text: &str) -> TestResult {
    let start = std::time::Instant::now();
    loop {
        if texts(c, css).await?.iter().any(|t| t.contains(text)) {
            return Ok(());
        }
        if start.elapsed() > WAIT * 2 {
            return Err(format!("no {css} shows {text:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The element's `textContent`. WebKitWebDriver's "element text" (rendered text) dropped
/// parts of list rows in this app, so the DOM text is what the test compares.
pub async fn text_of(el: &Element) -> TestResult<String> {
    Ok(el.prop("textContent").await?.unwrap_or_default())
}
