//! The derived views in the window, with time rules: teammates in other zones arrive (written into the
//! workspace while the app is closed, as sync would), then the user reads the inbox with
//! reply-by times, looks at the team clock, drafts a thread whose composer shows each
//! recipient's reply-by before sending, and meets a clear error in their settings.

use std::path::Path;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use meridian_app::core::norms::{self, Person};
use meridian_app::core::{Charter, Delivery, Member, Role, Thread, ThreadState};
use meridian_app::{NewFocus, Workspace};

use super::harness::{Harness, TestResult};
use super::ui::*;

const QUESTION: &str = "Can we ship on Friday?";
const DRAFT: &str = "Review the launch checklist";

/// What the seeded workspace should show: the reply-by the engine computes for my
/// question, for comparison with what the window shows.
pub struct Seeded {
    reply_by: String,
}

/// Adds Sam (Sydney, out of office for weeks) and Priya (Kathmandu, focusing all day) and a
/// question from Sam to me sent an hour ago.
pub async fn seed(data: &Path) -> TestResult<Seeded> {
    let ws = Workspace::open(data).await?;
    let sam = ws
        .add_member(
            "Sam",
            "Australia/Sydney",
            Role::Editor,
            Some("mon-fri 09:00-17:00"),
        )
        .await?;
    let priya = ws
        .add_member(
            "Priya",
            "Asia/Kathmandu",
            Role::Editor,
            Some("mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00"),
        )
        .await?;
    let now = Utc::now();
    let today = now.date_naive();
    let day = |d: chrono::NaiveDate| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    ws.add_out_of_office(
        &sam,
        &day(today - TimeDelta::days(2)),
        &day(today + TimeDelta::days(30)),
        "parental leave",
    )
    .await?;
    ws.add_focus_block(
        &priya,
        NewFocus {
            days: Some("mon-sun".into()),
            date: None,
            start: "00:00".into(),
            end: "24:00".into(),
        },
    )
    .await?;
    let me = ws.workspace_info().me.id;
    let sent: DateTime<Utc> = now - TimeDelta::hours(1);
    ws.create_object(Thread {
        title: QUESTION.into(),
        message_kind: "question".into(),
        body: "The checklist is green; anything blocking on your side?".into(),
        author: sam.to_string(),
        recipients: vec![me.to_string()],
        delivery: Delivery::Now,
        urgent_reason: None,
        messages: Vec::new(),
        acknowledgements: Vec::new(),
        state: ThreadState::Open,
        linked_decision: None,
        source_meeting: None,
        created_at_ms: sent.timestamp_millis(),
    })
    .await?;
    let me_person = Person::new(me.to_string(), ws.get::<Member>(&me).await?)?;
    let clock = norms::reply_by(
        &Charter::default(),
        &me_person,
        "question",
        Delivery::Now,
        sent,
    )?;
    Ok(Seeded {
        reply_by: clock.reply_by.ok_or("a question expects a reply")?,
    })
}

pub async fn run(h: &Harness, seeded: &Seeded) -> TestResult {
    let client = h.launch().await?;
    let outcome = scenario(h, &client, seeded).await;
    let closed = client.close().await;
    outcome?;
    closed?;
    Ok(())
}

async fn scenario(h: &Harness, c: &Client, seeded: &Seeded) -> TestResult {
    step("the inbox shows Sam's question with my reply-by");
    let item = wait_for(c, "[data-testid=inbox-item][data-section=reply]").await?;
    let text = text_of(&item).await?;
    if !text.contains(QUESTION) || !text.contains("Question from Sam") {
        return Err(format!("inbox item shows {text:?}").into());
    }
    let due = wait_for(
        c,
        "[data-testid=inbox-item][data-section=reply] [data-testid=inbox-due]",
    )
    .await?;
    let shown = due.attr("data-due").await?.unwrap_or_default();
    if shown != seeded.reply_by {
        return Err(format!(
            "inbox reply-by {shown:?}, the engine computes {:?}",
            seeded.reply_by
        )
        .into());
    }
    let theirs = text_of(&wait_for(c, "[data-testid=inbox-due-theirs]").await?).await?;
    if !theirs.contains("Sam") {
        return Err(format!("the other side's time shows {theirs:?}").into());
    }
    h.screenshot(c, "07-inbox").await?;

    step("the team clock shows focus and out-of-office");
    click(c, "[data-testid=nav-team]").await?;
    let rows = wait_for_count(c, "[data-testid=team-row]", 3).await?;
    let mut states = Vec::new();
    for row in &rows {
        let text = text_of(row).await?;
        let state = row.attr("data-state").await?.unwrap_or_default();
        let name = ["Sam", "Priya"]
            .into_iter()
            .find(|n| text.contains(n))
            .unwrap_or("me");
        states.push((name, state));
    }
    for (name, expected) in [("Sam", "out-of-office"), ("Priya", "focusing")] {
        if !states.iter().any(|(n, s)| *n == name && s == expected) {
            return Err(format!("team states {states:?}: expected {name} {expected}").into());
        }
    }
    wait_for(c, "[data-testid=team-bar]").await?;
    h.screenshot(c, "08-team").await?;

    step("the composer shows each recipient's reply-by before sending");
    click(c, "[data-testid=nav-threads]").await?;
    click(c, "[data-testid=new-thread]").await?;
    wait_for(c, "[data-testid=composer]").await?;
    click(c, "[data-testid=composer-to][data-name=Priya]").await?;
    click(c, "[data-testid=composer-to][data-name=Sam]").await?;
    let priya = wait_for(c, "[data-testid=composer-replyby][data-recipient=Priya]").await?;
    let sam = wait_for(c, "[data-testid=composer-replyby][data-recipient=Sam]").await?;
    for (who, el, zone) in [
        ("Priya", &priya, "Asia/Kathmandu"),
        ("Sam", &sam, "Australia/Sydney"),
    ] {
        let text = text_of(el).await?;
        if !text.contains("replies by") || !text.contains(zone) {
            return Err(format!("composer preview for {who}: {text:?}").into());
        }
    }
    type_into(c, "[data-testid=composer-title]", DRAFT).await?;
    type_into(
        c,
        "[data-testid=composer-body]",
        "Please look before Thursday.",
    )
    .await?;
    h.screenshot(c, "09-composer").await?;
    click(c, "[data-testid=composer-send]").await?;
    let title = text_of(&wait_for(c, "[data-testid=thread-title]").await?).await?;
    if title.trim() != DRAFT {
        return Err(format!("after sending, the thread shows {title:?}").into());
    }

    step("the sent thread waits on others in the inbox");
    click(c, "[data-testid=nav-inbox]").await?;
    let waiting = wait_for_count(c, "[data-testid=waiting-item]", 2).await?;
    let mut texts = Vec::new();
    for w in &waiting {
        texts.push(text_of(w).await?);
    }
    if !texts.iter().all(|t| t.contains(DRAFT)) {
        return Err(format!("waiting on others shows {texts:?}").into());
    }

    step("overlapping working hours are refused with a clear message");
    click(c, "[data-testid=nav-settings]").await?;
    let hours = wait_for(c, "[data-testid=settings-hours]").await?;
    wait_enabled(&hours).await?;
    hours.clear().await?;
    hours.send_keys("mon 09:00-12:00,11:00-14:00").await?;
    click(c, "[data-testid=settings-save]").await?;
    let error = text_of(&wait_for(c, "[data-testid=settings-error]").await?).await?;
    if !error.contains("overlaps") {
        return Err(format!("saving overlapping hours showed {error:?}").into());
    }
    h.screenshot(c, "10-settings-error").await?;

    step("the command palette finds the page written in the first run and opens it");
    let body = c.find(Locator::Css("body")).await?;
    body.send_keys(&format!(
        "{}k{}",
        char::from(Key::Control),
        char::from(Key::Null)
    ))
    .await?;
    type_into(c, "[data-testid=palette-input]", "desktop caf").await?;
    let hit = wait_for(c, "[data-testid=palette-hit][data-kind=page]").await?;
    let text = text_of(&hit).await?;
    if !text.contains("Launch plan") {
        return Err(format!("the palette's first result is {text:?}").into());
    }
    let marks = c
        .find_all(Locator::Css("[data-testid=palette-hit] mark"))
        .await?;
    let mut marked = Vec::new();
    for m in &marks {
        marked.push(text_of(m).await?);
    }
    if !marked.iter().any(|m| m == "desktop") || !marked.iter().any(|m| m == "café") {
        return Err(format!("highlighted in the snippet: {marked:?}").into());
    }
    h.screenshot(c, "11-palette").await?;
    wait_for(c, "[data-testid=palette-input]")
        .await?
        .send_keys(&char::from(Key::Enter).to_string())
        .await?;
    wait_for(c, "[data-testid=page-editor]").await?;
    let title = wait_for(c, "[data-testid=page-title]").await?;
    if title.prop("value").await?.as_deref() != Some("Launch plan") {
        return Err("Enter in the palette did not open the page".into());
    }
    Ok(())
}
