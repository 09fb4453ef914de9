//! The Markdown mirror in the app (ADR 0008): choose a folder in Settings and find the pages
//! written earlier there as files; a file written in an editor becomes a page, and a page's
//! file edited in an editor changes the page the app shows; a file the mirror cannot apply
//! is listed with its reason and opens in the system's editor from there.

use std::path::{Path, PathBuf};

use fantoccini::Client;

use super::harness::{Harness, TestResult};
use super::ui::*;

/// A page the first scenario wrote in the app (scenario.rs).
const WRITTEN_IN_APP: &str = "Launch plan";
const NEW_TITLE: &str = "From the editor";
const NEW_BODY: &str = "Written in a text editor, outside the app.";
const EDITED_LINE: &str = "Added to the Markdown file in an editor.";

/// Stands in for the system's opener (`MERIDIAN_OPENER`): a script that writes the path it
/// is asked to open into a file beside it.
pub struct Opener {
    dir: tempfile::TempDir,
    program: String,
}

impl Opener {
    pub fn new() -> TestResult<Opener> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let script = dir.path().join("open.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$(dirname \"$0\")/opened.txt\"\n",
        )?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        let program = script.to_str().ok_or("temp path is not UTF-8")?.to_owned();
        Ok(Opener { dir, program })
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    /// The paths the app asked to open, in order.
    fn opened(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("opened.txt"))
            .map(|t| t.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

pub async fn run(h: &Harness, opener: &Opener) -> TestResult {
    let client = h.launch().await?;
    let outcome = mirror(h, &client, opener).await;
    if outcome.is_err() {
        let _ = h.screenshot(&client, "mirror-failure").await;
    }
    let closed = client.close().await;
    outcome?;
    closed?;
    Ok(())
}

async fn mirror(h: &Harness, c: &Client, opener: &Opener) -> TestResult {
    let folder = h.mirror_dir();
    let typed = folder
        .to_str()
        .ok_or("the temp folder's path is not UTF-8")?;

    step("choose a Markdown folder in Settings");
    click(c, "[data-testid=nav-settings]").await?;
    wait_text(c, "[data-testid=mirror-folder]", "none").await?;
    type_into(c, "[data-testid=mirror-choose-input]", typed).await?;
    click(c, "[data-testid=mirror-choose-submit]").await?;
    // The engine shows the folder as it resolved it (the temp folder may sit behind a link).
    // The app makes the folder: resolve its parent, which exists.
    let resolved = match (folder.parent(), folder.file_name()) {
        (Some(parent), Some(name)) => parent.canonicalize()?.join(name),
        _ => return Err("the mirror folder has no parent".into()),
    }
    .display()
    .to_string();
    wait_text(c, "[data-testid=mirror-folder]", &resolved).await?;
    wait_text(c, "[data-testid=status-mirror]", "Mirror: ").await?;

    step("the pages written in the app are files in the folder");
    let pages = folder.join("pages");
    let launch = file_with(&pages, &format!("title: {WRITTEN_IN_APP}"))?.ok_or_else(|| {
        format!(
            "no file in {} has the page {WRITTEN_IN_APP:?}",
            pages.display()
        )
    })?;

    step("a file written in an editor becomes a page");
    std::fs::write(
        pages.join("from-the-editor.md"),
        format!("---\ntitle: {NEW_TITLE}\n---\n\n{NEW_BODY}\n"),
    )?;
    click(c, "[data-testid=nav-pages]").await?;
    wait_for(c, "[data-testid=main-pages]").await?;
    wait_text(c, "[data-testid=page-item]", NEW_TITLE).await?;
    open_page(c, NEW_TITLE).await?;
    wait_text(c, "[data-testid=page-body-input]", NEW_BODY).await?;

    step("a page's file edited in an editor changes the page");
    let mut text = std::fs::read_to_string(&launch)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("\n{EDITED_LINE}\n"));
    std::fs::write(&launch, text)?;
    // The editor loads a page when it opens: open it again until the mirror has applied
    // the file (a pass follows a save by a moment).
    let started = std::time::Instant::now();
    loop {
        open_page(c, NEW_TITLE).await?;
        wait_text(c, "[data-testid=page-body-input]", NEW_BODY).await?;
        open_page(c, WRITTEN_IN_APP).await?;
        wait_text(c, "[data-testid=page-body-input]", "Launch plan").await?;
        let body = texts(c, "[data-testid=page-body-input]").await?;
        if body.iter().any(|t| t.contains(EDITED_LINE)) {
            break;
        }
        if started.elapsed() > WAIT * 2 {
            return Err(format!("the page does not show the file's edit: {body:?}").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }

    step("the mirror writes the new page's id into its file");
    let started = std::time::Instant::now();
    while file_with(&pages, &format!("title: {NEW_TITLE}"))?
        .and_then(|p| std::fs::read_to_string(p).ok())
        .is_none_or(|t| !t.contains("id: "))
    {
        if started.elapsed() > WAIT {
            return Err("the new file did not get its page's id".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    step("a file the mirror cannot apply is listed with its reason and opens in an editor");
    let broken = pages.join("broken-front-matter.md");
    std::fs::write(&broken, "---\ntitle: [unclosed\n---\nA page\n")?;
    click(c, "[data-testid=nav-settings]").await?;
    wait_text(c, "[data-testid=mirror-folder]", &resolved).await?;
    wait_text(
        c,
        "[data-testid=mirror-refused-item]",
        "broken-front-matter.md",
    )
    .await?;
    wait_text(c, "[data-testid=status-mirror]", "1 refused").await?;
    click(c, "[data-testid=mirror-refused-open]").await?;
    let started = std::time::Instant::now();
    let expected = broken.canonicalize()?.display().to_string();
    while !opener.opened().contains(&expected) {
        if started.elapsed() > WAIT {
            return Err(format!(
                "the app did not open {expected}; it opened {:?}",
                opener.opened()
            )
            .into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    c.execute(
        "document.querySelector('[data-testid=mirror-card]').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await?;
    h.screenshot(c, "30-mirror").await?;
    Ok(())
}

/// Opens the page whose row in the list shows `title`, clicked in one script so that a
/// list re-rendering meanwhile leaves no stale element behind.
async fn open_page(c: &Client, title: &str) -> TestResult {
    let clicked = c
        .execute(
            "const row = Array.from(document.querySelectorAll('[data-testid=page-item]'))\
               .find(e => e.textContent.includes(arguments[0]));\
             if (row) row.click();\
             return !!row",
            vec![title.into()],
        )
        .await?;
    if clicked.as_bool() != Some(true) {
        return Err(format!("the page {title:?} is not listed").into());
    }
    wait_for(c, "[data-testid=page-editor]").await?;
    Ok(())
}

/// The Markdown file in `dir` whose text contains `needle`.
fn file_with(dir: &Path, needle: &str) -> TestResult<Option<PathBuf>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md")
            && std::fs::read_to_string(&path).is_ok_and(|t| t.contains(needle))
        {
            return Ok(Some(path));
        }
    }
    Ok(None)
}
