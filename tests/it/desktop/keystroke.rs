//! Issue 18 in the window: a long page with a long history opens showing its cached text
//! read-only at once (the `page-preview` block), then the live editor replaces it; typing
//! into it saves, and the keystrokes do not reload the page list on every key.

use fantoccini::Client;
use fantoccini::key::Key;
use meridian_app::core::TextSplice;
use meridian_app::{NewPage, Workspace};

use super::harness::{Harness, TestResult};
use super::ui::*;

const TITLE: &str = "Long newsletter";
const TYPED: &str = " quokkafloof";

/// A page of about 80 KB, edited 400 times (a history to load), its text cached.
async fn seed(h: &Harness) -> TestResult {
    let ws = Workspace::create(&h.data_dir(), "Acme", "Ada", "Europe/Berlin").await?;
    let body: String = (0..1200)
        .map(|i| format!("Line {i}: async communication means writing things down.\n"))
        .collect();
    let (id, _) = ws
        .create_page(NewPage {
            title: TITLE.into(),
            body: body.clone(),
            ..NewPage::default()
        })
        .await?;
    let len = u32::try_from(body.encode_utf16().count())?;
    for i in 0..400u32 {
        let insert = if i % 40 == 39 { "\n" } else { "x" };
        ws.edit_page_body(
            &id,
            &[TextSplice {
                pos: len + i,
                delete: 0,
                insert: insert.into(),
            }],
        )
        .await?;
    }
    // Indexing (and so the cached text) happens once typing pauses; the flush is the pause.
    ws.flush_search().await?;
    if ws.page_preview(&id, None).await?.is_none() {
        return Err("the seeded page's text was not cached".into());
    }
    Ok(())
}

pub async fn run(h: &Harness) -> TestResult {
    seed(h).await?;
    h.with_app(async |c| first_text_and_typing(h, c).await)
        .await
}

async fn first_text_and_typing(h: &Harness, c: &Client) -> TestResult {
    step("keystroke: the long page shows its cached text before the editor");
    click(c, "[data-testid=nav-pages]").await?;
    wait_text(c, "[data-testid=page-item]", TITLE).await?;
    // Notes whether the read-only text was ever on screen, and what it said.
    c.execute(
        "window.__preview = null;\
         new MutationObserver(() => {\
           const p = document.querySelector('[data-testid=page-preview]');\
           if (p && window.__preview === null) window.__preview = p.textContent;\
         }).observe(document.body, { childList: true, subtree: true });",
        vec![],
    )
    .await?;
    let id = c
        .execute(
            "const row = Array.from(document.querySelectorAll('[data-testid=page-item]'))\
               .find(e => e.textContent.includes(arguments[0]));\
             if (row) row.click();\
             return row ? row.dataset.id : null",
            vec![TITLE.into()],
        )
        .await?;
    let Some(id) = id.as_str() else {
        return Err(format!("the page {TITLE:?} is not listed").into());
    };
    wait_for(c, &format!("[data-testid=page-editor][data-id='{id}']")).await?;
    let seen = c.execute("return window.__preview", vec![]).await?;
    let Some(seen) = seen.as_str() else {
        return Err("the cached text was never shown while the page loaded".into());
    };
    if !seen.contains("Line 0: async communication") || !seen.contains(TITLE) {
        return Err(format!("the cached text shown was not the page's: {seen:.200}").into());
    }
    // The preview is gone once the editor is there.
    let left = c
        .execute(
            "return document.querySelectorAll('[data-testid=page-preview]').length",
            vec![],
        )
        .await?;
    if left.as_u64() != Some(0) {
        return Err("the read-only text stayed beside the editor".into());
    }

    step("keystroke: typing at the end of the long page saves");
    let body = wait_for(c, "[data-testid=page-body-input]").await?;
    body.click().await?;
    // To the end of the line clicked, then type.
    body.send_keys(&char::from(Key::End).to_string()).await?;
    body.send_keys(TYPED).await?;
    wait_saved(c).await?;
    wait_text(c, "[data-testid=page-editor]", TYPED.trim()).await?;
    h.screenshot(c, "90-long-page-typed").await?;
    Ok(())
}
