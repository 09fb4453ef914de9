//! Meetings, tasks and check-ins in the window, each on a workspace of its own:
//! - an agenda is built (owner, minutes, pre-reads; an item settled in writing and one
//!   removed), notes and a summary are typed, and the meeting is summarised into a
//!   decision and a task, which then appear in Decisions and Tasks; a meeting whose agenda
//!   was empty at its deadline shows as an async thread with a link to it;
//! - tasks are grouped by due date on each owner's calendar, created, moved through their
//!   states and reached from the keyboard;
//! - on a workspace without check-ins the section explains and offers to create one; a
//!   check-in is created, answered, re-answered, and the answer appears in the digest.

use std::path::Path;
use std::time::Duration;

use chrono::{NaiveDate, TimeDelta, Utc};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use meridian_app::core::norms::Person;
use meridian_app::core::{Member, Role};
use meridian_app::{NewMeeting, NewPage, NewTask, Workspace};

use super::harness::{Config, Harness, TestResult};
use super::ui::*;

const RELAY_SPEC: &str = "Relay spec";
const MEETING: &str = "Relay planning";
const UNPREPARED: &str = "Launch retro";
const ITEM: &str = "Pick the relay host";
const ITEM_EDITED: &str = "Pick the relay host (EU)";
const TASK: &str = "Provision the relay";
const OUTCOME: &str = "Hetzner";

/// Runs one scenario on a fresh workspace that `seed` prepares while the app is closed,
/// one app at a time (they share the machine's two cores with the other desktop tests).
async fn with_app<S, F>(name: &str, seed: S, scenario: F)
where
    S: AsyncFnOnce(&Path) -> TestResult<Seeded>,
    F: AsyncFnOnce(&Harness, &Client, Seeded) -> TestResult,
{
    let Some(config) = Config::from_env() else {
        eprintln!(
            "SKIPPED desktop test {name}: set MERIDIAN_E2E=1 (and MERIDIAN_DESKTOP_BIN) or run scripts/e2e.sh"
        );
        return;
    };
    let _turn = super::harness::one_at_a_time().await;
    let harness = Harness::start(config);
    let outcome = tokio::time::timeout(Duration::from_secs(300), async {
        let seeded = seed(&harness.data_dir()).await?;
        let client = harness.launch().await?;
        let result = scenario(&harness, &client, seeded).await;
        if result.is_err() {
            // What the window showed when it went wrong, beside the other screenshots.
            let _ = harness.screenshot(&client, &format!("failed-{name}")).await;
        }
        let closed = client.close().await;
        result?;
        closed?;
        TestResult::Ok(())
    })
    .await;
    harness.stop();
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("desktop test {name} failed: {e}"),
        Err(_) => panic!("desktop test {name} timed out after 300 s"),
    }
}

/// Ids and dates the scenarios check the window against.
#[derive(Debug, Default)]
struct Seeded {
    bo: String,
    /// My local date (Europe/Berlin) and Kiri's (Pacific/Kiritimati) when seeded.
    my_today: Option<NaiveDate>,
    kiri_today: Option<NaiveDate>,
}

async fn workspace(data: &Path) -> TestResult<(Workspace, Seeded)> {
    let ws = Workspace::create(data, "Acme", "Ada", "Europe/Berlin").await?;
    let bo = ws
        .add_member(
            "Bo",
            "Asia/Kathmandu",
            Role::Editor,
            Some("mon-fri 09:00-17:00"),
        )
        .await?
        .to_string();
    let kiri: meridian_app::core::DocId = ws
        .add_member(
            "Kiri",
            "Pacific/Kiritimati",
            Role::Editor,
            Some("mon-fri 09:00-17:00"),
        )
        .await?;
    let today = |id: &str, m: Member| -> TestResult<NaiveDate> {
        Ok(Person::new(id, m)?.schedule.local_date(Utc::now()))
    };
    let me = ws.workspace_info().me.id;
    let my_today = today(me.as_str(), ws.get::<Member>(&me).await?)?;
    let kiri_today = today(kiri.as_str(), ws.get::<Member>(&kiri).await?)?;
    Ok((
        ws,
        Seeded {
            bo,
            my_today: Some(my_today),
            kiri_today: Some(kiri_today),
        },
    ))
}

fn rfc3339_in(days: i64, hours: i64) -> String {
    (Utc::now() + TimeDelta::days(days) + TimeDelta::hours(hours))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string()
}

/// A page to read before the meeting, the meeting (a month ahead, agenda empty) and one
/// starting within the hour with an empty agenda, which has therefore become a thread.
async fn seed_meetings(data: &Path) -> TestResult<Seeded> {
    let (ws, seeded) = workspace(data).await?;
    ws.create_page(NewPage {
        title: RELAY_SPEC.into(),
        body: "What the relay must do.".into(),
        ..NewPage::default()
    })
    .await?;
    for (title, start) in [(UNPREPARED, rfc3339_in(0, 1)), (MEETING, rfc3339_in(30, 0))] {
        ws.create_meeting(NewMeeting {
            title: title.into(),
            purpose: "Decide where the relay runs and who sets it up.".into(),
            start,
            duration_min: 45,
            attendees: vec!["Bo".into()],
            ..NewMeeting::default()
        })
        .await?;
    }
    let converted = ws.convert_unprepared_meetings(None).await?;
    if converted.len() != 1 {
        return Err(format!("expected one meeting to go async, got {converted:?}").into());
    }
    Ok(seeded)
}

/// Sets an input's value the way typing would end (date, time and select inputs differ
/// across WebDriver implementations; the UI listens for `input` and `change`).
async fn set_value(c: &Client, css: &str, value: &str) -> TestResult {
    let el = wait_for(c, css).await?;
    wait_enabled(&el).await?;
    c.execute(
        "const [el, v] = arguments; el.value = v; \
         el.dispatchEvent(new Event('input', { bubbles: true })); \
         el.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![serde_json::to_value(&el)?, serde_json::Value::from(value)],
    )
    .await?;
    Ok(())
}

/// Waits until an element has `prop` equal to `want` (e.g. a pre-filled input's value).
async fn wait_prop(
    c: &Client,
    css: &str,
    prop: &str,
    want: impl Fn(&str) -> bool,
) -> TestResult<String> {
    let start = std::time::Instant::now();
    loop {
        let value = wait_for(c, css)
            .await?
            .prop(prop)
            .await?
            .unwrap_or_default();
        if want(&value) {
            return Ok(value);
        }
        if start.elapsed() > WAIT {
            return Err(format!("{css} has {prop} {value:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the save state inside `scope` says every keystroke is stored (typing
/// turns it to "saving" at once, so a "saved" seen afterwards is the acknowledgement).
async fn wait_saved_in(c: &Client, scope: &str) -> TestResult {
    let css = format!("{scope} [data-testid=save-state][data-state=saved]");
    wait_for(c, &css).await.map(|_| ())
}

async fn type_prose(c: &Client, scope: &str, text: &str) -> TestResult {
    let editor = wait_for(c, &format!("{scope} .cm-content")).await?;
    editor.click().await?;
    editor.send_keys(text).await?;
    wait_saved_in(c, scope).await
}

async fn open_meeting(c: &Client, title: &str) -> TestResult {
    for row in wait_for_count(c, "[data-testid=meeting-item]", 2).await? {
        if text_of(&row).await?.contains(title) {
            row.click().await?;
            return Ok(());
        }
    }
    Err(format!("the meeting {title:?} is not listed").into())
}

async fn count(c: &Client, css: &str) -> TestResult<usize> {
    Ok(c.find_all(Locator::Css(css)).await?.len())
}

async fn wait_gone(c: &Client, css: &str) -> TestResult {
    let start = std::time::Instant::now();
    while count(c, css).await? > 0 {
        if start.elapsed() > WAIT {
            return Err(format!("{css} is still shown").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agenda_is_built_and_the_meeting_summarised_into_a_decision_and_a_task() {
    with_app("meetings", seed_meetings, meeting_scenario).await;
}

/// Fails when the page is wider than the window (something forces a horizontal scroll).
async fn fits_width(c: &Client, width: u64) -> TestResult {
    let shown: serde_json::Value = c
        .execute("return document.documentElement.scrollWidth", vec![])
        .await?;
    if shown.as_u64().is_none_or(|w| w > width) {
        return Err(format!("at {width} px the page is {shown} px wide").into());
    }
    Ok(())
}

async fn meeting_scenario(h: &Harness, c: &Client, s: Seeded) -> TestResult {
    // The smallest window the app supports: every step below must work at this width.
    c.set_window_size(1024, 768).await?;
    step("a meeting whose agenda was empty at its deadline shows as an async thread");
    click(c, "[data-testid=nav-meetings]").await?;
    open_meeting(c, UNPREPARED).await?;
    let banner = text_of(&wait_for(c, "[data-testid=meeting-converted]").await?).await?;
    if !banner.contains("became an async thread") {
        return Err(format!("the converted meeting says {banner:?}").into());
    }
    wait_for(
        c,
        "[data-testid=meeting-state][data-state=converted-to-async]",
    )
    .await?;
    h.screenshot(c, "40-meeting-converted").await?;
    click(c, "[data-testid=meeting-thread-link]").await?;
    let thread = text_of(&wait_for(c, "[data-testid=thread-title]").await?).await?;
    if !thread.contains(UNPREPARED) || !thread.contains("(async)") {
        return Err(format!("the thread link opened {thread:?}").into());
    }

    step("build the agenda: an item with owner, minutes and two pre-reads");
    click(c, "[data-testid=nav-meetings]").await?;
    open_meeting(c, MEETING).await?;
    wait_for(c, "[data-testid=meeting-detail][data-state=scheduled]").await?;
    wait_for(c, "[data-testid=agenda-empty]").await?;
    type_into(c, "[data-testid=meeting-new-item]", ITEM).await?;
    set_value(c, "[data-testid=meeting-new-item-owner]", &s.bo).await?;
    set_value(c, "[data-testid=meeting-new-item-minutes]", "15").await?;
    type_into(c, "[data-testid=pre-read-input]", RELAY_SPEC).await?;
    click(c, "[data-testid=pre-read-add]").await?;
    type_into(
        c,
        "[data-testid=pre-read-input]",
        "https://example.org/hosting",
    )
    .await?;
    click(c, "[data-testid=pre-read-add]").await?;
    wait_for_count(c, "[data-testid=pre-read-chip]", 2).await?;
    click(c, "[data-testid=meeting-add-item]").await?;
    let item = wait_for(c, "[data-testid=agenda-item]").await?;
    let text = text_of(&item).await?;
    for want in [
        ITEM,
        "15 min",
        "Bo",
        RELAY_SPEC,
        "https://example.org/hosting",
    ] {
        if !text.contains(want) {
            return Err(format!("the agenda item shows {text:?}, missing {want:?}").into());
        }
    }

    step("a second item is settled in writing, then removed");
    type_into(c, "[data-testid=meeting-new-item]", "Budget").await?;
    click(c, "[data-testid=meeting-add-item]").await?;
    let resolved = wait_for_count(c, "[data-testid=agenda-resolved]", 2).await?;
    wait_enabled(&resolved[1]).await?;
    resolved[1].click().await?;
    wait_for(c, "[data-testid=agenda-item].resolved").await?;
    let removes = wait_for_count(c, "[data-testid=agenda-remove]", 2).await?;
    removes[1].click().await?;
    click(c, "[data-testid=agenda-remove-confirm]").await?;
    let start = std::time::Instant::now();
    while count(c, "[data-testid=agenda-item]").await? != 1 {
        if start.elapsed() > WAIT {
            return Err("the removed agenda item is still shown".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    step("edit the item's title");
    click(c, "[data-testid=agenda-edit]").await?;
    let title = wait_for(c, "[data-testid=agenda-edit-title]").await?;
    title.clear().await?;
    title.send_keys(ITEM_EDITED).await?;
    click(c, "[data-testid=agenda-edit-save]").await?;
    wait_gone(c, "[data-testid=agenda-edit-title]").await?;
    assert_text(c, "[data-testid=agenda-item-title]", ITEM_EDITED).await?;

    step("notes during the meeting, then held, then the summary");
    type_prose(
        c,
        "[data-testid=meeting-notes]",
        "Bo: Hetzner is cheapest and in the EU.",
    )
    .await?;
    h.screenshot(c, "41-meeting-agenda-notes").await?;
    click(c, "[data-testid=meeting-to-held]").await?;
    wait_for(c, "[data-testid=meeting-state][data-state=held]").await?;
    type_prose(
        c,
        "[data-testid=meeting-summary]",
        "We run the relay on Hetzner; Bo sets it up.",
    )
    .await?;

    step("summarise into a decision (pre-filled from the agenda item) and a task");
    click(c, "[data-testid=meeting-summarise]").await?;
    wait_prop(c, "[data-testid=summarise-decision-title]", "value", |v| {
        v == ITEM_EDITED
    })
    .await?;
    wait_prop(
        c,
        "[data-testid=summarise-decision-context]",
        "value",
        |v| v.contains(MEETING),
    )
    .await?;
    type_into(c, "[data-testid=summarise-decision-outcome]", OUTCOME).await?;
    type_into(
        c,
        "[data-testid=summarise-decision-rationale]",
        "Cheapest, and in the EU",
    )
    .await?;
    type_into(c, "[data-testid=summarise-task-title]", TASK).await?;
    set_value(c, "[data-testid=summarise-task-owner]", &s.bo).await?;
    set_value(c, "[data-testid=summarise-task-due]", "2030-01-10").await?;
    fits_width(c, 1024).await?;
    h.screenshot(c, "42-meeting-summarise").await?;
    click(c, "[data-testid=summarise-submit]").await?;
    wait_for(c, "[data-testid=meeting-summarised]").await?;
    wait_for(c, "[data-testid=meeting-state][data-state=summarised]").await?;
    let decision = text_of(&wait_for(c, "[data-testid=meeting-decision]").await?).await?;
    if !decision.contains(ITEM_EDITED) || !decision.contains("Accepted") {
        return Err(format!("the meeting lists the decision as {decision:?}").into());
    }
    let task = text_of(&wait_for(c, "[data-testid=meeting-task]").await?).await?;
    if !task.contains(TASK) {
        return Err(format!("the meeting lists the task as {task:?}").into());
    }
    h.screenshot(c, "43-meeting-summarised").await?;

    step("the task appears in Tasks, with the meeting as its source");
    click(c, "[data-testid=meeting-task] button").await?;
    wait_for(c, "[data-testid=main-tasks]").await?;
    wait_prop(c, "[data-testid=task-title]", "value", |v| v == TASK).await?;
    let source = text_of(&wait_for(c, "[data-testid=task-source]").await?).await?;
    if source.trim() != MEETING {
        return Err(format!("the task's source reads {source:?}").into());
    }
    let row = text_of(&wait_for(c, "[data-testid=task-item][data-bucket=later]").await?).await?;
    if !row.contains(TASK) || !row.contains("Bo") {
        return Err(format!("the team's task list shows {row:?}").into());
    }
    h.screenshot(c, "44-task-from-meeting").await?;
    click(c, "[data-testid=task-source]").await?;
    wait_for(c, "[data-testid=meeting-detail][data-state=summarised]").await?;

    step("the decision appears in Decisions, accepted");
    click(c, "[data-testid=nav-decisions]").await?;
    let item = wait_for(c, "[data-testid=decision-item] [data-status=accepted]").await?;
    item.click().await?;
    let listed = text_of(&wait_for(c, "[data-testid=decision-list]").await?).await?;
    if !listed.contains(ITEM_EDITED) {
        return Err(format!("Decisions lists {listed:?}").into());
    }
    wait_for(c, "[data-testid=decision-editor] [data-status=accepted]").await?;
    h.screenshot(c, "45-decision-from-meeting").await?;
    Ok(())
}

/// My tasks due the day before yesterday, today and undated; Kiri's due yesterday on
/// Kiri's calendar (Kiritimati, UTC+14).
async fn seed_tasks(data: &Path) -> TestResult<Seeded> {
    let (ws, seeded) = workspace(data).await?;
    let mine = seeded.my_today.ok_or("seeded")?;
    let theirs = seeded.kiri_today.ok_or("seeded")?;
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    for (title, owner, due) in [
        (
            "Renew the TLS certificate",
            "Ada",
            Some(day(mine - TimeDelta::days(2))),
        ),
        ("Write the release notes", "Ada", Some(day(mine))),
        ("Tidy the backlog", "Ada", None),
        (
            "Check the Pacific mirror",
            "Kiri",
            Some(day(theirs - TimeDelta::days(1))),
        ),
    ] {
        ws.create_task(NewTask {
            title: title.into(),
            owner: Some(owner.into()),
            due,
            source: None,
        })
        .await?;
    }
    Ok(seeded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_grouped_by_due_date_and_changed_from_the_keyboard() {
    with_app("tasks", seed_tasks, tasks_scenario).await;
}

async fn tasks_scenario(h: &Harness, c: &Client, s: Seeded) -> TestResult {
    step("my tasks, grouped by due date on my calendar");
    click(c, "[data-testid=nav-tasks]").await?;
    let groups = wait_for_count(c, "[data-testid=task-group]", 3).await?;
    let mut order = Vec::new();
    for g in &groups {
        order.push(g.attr("data-bucket").await?.unwrap_or_default());
    }
    if order != ["overdue", "today", "no-date"] {
        return Err(format!("my task groups are {order:?}").into());
    }
    let overdue =
        text_of(&wait_for(c, "[data-testid=task-item][data-bucket=overdue]").await?).await?;
    if !overdue.contains("Renew the TLS certificate") || !overdue.contains("overdue by 2 days") {
        return Err(format!("the overdue row shows {overdue:?}").into());
    }
    h.screenshot(c, "46-tasks-mine").await?;

    step("add a task and give it a date and a state");
    type_into(c, "[data-testid=new-task-title]", "Draft the launch email").await?;
    click(c, "[data-testid=new-task-submit]").await?;
    wait_prop(c, "[data-testid=task-title]", "value", |v| {
        v == "Draft the launch email"
    })
    .await?;
    wait_for(c, "[data-testid=task-due-text][data-bucket=no-date]").await?;
    set_value(c, "[data-testid=task-due]", "2999-12-31").await?;
    wait_for(c, "[data-testid=task-due-text][data-bucket=later]").await?;
    click(c, "[data-testid=task-state-doing]").await?;
    wait_for(c, "[data-testid=task-state-doing][data-on=true]").await?;
    let row = text_of(&wait_for(c, "[data-testid=task-item][data-bucket=later]").await?).await?;
    if !row.contains("Draft the launch email") || !row.contains("Doing") {
        return Err(format!("the new task's row shows {row:?}").into());
    }

    step("from the keyboard: Home, Enter opens the overdue task; it is marked done");
    let list = wait_for(c, "[data-testid=task-list]").await?;
    list.click().await?;
    list.send_keys(&format!("{}", char::from(Key::Home)))
        .await?;
    list.send_keys(&format!("{}", char::from(Key::Down)))
        .await?;
    list.send_keys(&format!("{}", char::from(Key::Enter)))
        .await?;
    wait_prop(c, "[data-testid=task-title]", "value", |v| {
        v == "Renew the TLS certificate"
    })
    .await?;
    click(c, "[data-testid=task-state-done]").await?;
    wait_gone(c, "[data-testid=task-item][data-bucket=overdue]").await?;
    click(c, "[data-testid=tasks-show-finished]").await?;
    let done = text_of(&wait_for(c, "[data-testid=task-item][data-bucket=done]").await?).await?;
    if !done.contains("Renew the TLS certificate") {
        return Err(format!("finished tasks show {done:?}").into());
    }

    step("the team's tasks: Kiri's is overdue on Kiri's calendar");
    click(c, "[data-testid=tasks-scope-team]").await?;
    let kiri = wait_for(c, "[data-testid=task-item][data-bucket=overdue]").await?;
    let text = text_of(&kiri).await?;
    if !text.contains("Check the Pacific mirror")
        || !text.contains("Kiri")
        || !text.contains("overdue by 1 day")
    {
        return Err(format!("Kiri's task shows {text:?}").into());
    }
    kiri.click().await?;
    let due = text_of(&wait_for(c, "[data-testid=task-due-text]").await?).await?;
    if !due.contains("Pacific/Kiritimati") {
        return Err(format!("Kiri's due date reads {due:?}").into());
    }
    set_value(c, "[data-testid=task-owner]", &s.bo).await?;
    let start = std::time::Instant::now();
    loop {
        let due = text_of(&wait_for(c, "[data-testid=task-due-text]").await?).await?;
        if due.contains("Asia/Kathmandu") {
            break;
        }
        if start.elapsed() > WAIT {
            return Err(format!("after reassigning to Bo the date reads {due:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.screenshot(c, "47-tasks-team").await?;

    step("the Tasks view at 1024 px wide");
    c.set_window_size(1024, 768).await?;
    h.screenshot(c, "48-tasks-1024").await?;
    let width: serde_json::Value = c
        .execute("return document.documentElement.scrollWidth", vec![])
        .await?;
    if width.as_u64().is_none_or(|w| w > 1024) {
        return Err(format!("at 1024 px the page is {width} px wide").into());
    }
    Ok(())
}

async fn seed_empty(data: &Path) -> TestResult<Seeded> {
    Ok(workspace(data).await?.1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkin_is_created_answered_and_read_in_the_digest() {
    with_app("checkins", seed_empty, checkin_scenario).await;
}

async fn checkin_scenario(h: &Harness, c: &Client, _: Seeded) -> TestResult {
    step("without check-ins the section explains and offers to create one");
    click(c, "[data-testid=nav-checkins]").await?;
    wait_for(c, "[data-testid=checkins-empty]").await?;
    let intro = text_of(&wait_for(c, "[data-testid=checkins-intro]").await?).await?;
    if !intro.contains("own clock") {
        return Err(format!("the empty section says {intro:?}").into());
    }
    h.screenshot(c, "49-checkins-empty").await?;
    click(c, "[data-testid=checkin-empty-create]").await?;

    step("create a daily check-in asking every day from midnight");
    type_into(c, "[data-testid=checkin-title]", "Daily").await?;
    let days = wait_for_count(c, "[data-testid=checkin-day]", 7).await?;
    for d in &days[5..] {
        d.click().await?;
    }
    set_value(c, "[data-testid=checkin-time]", "00:00").await?;
    click(c, "[data-testid=checkin-participant][data-name=Bo]").await?;
    h.screenshot(c, "50-checkin-new").await?;
    click(c, "[data-testid=checkin-create]").await?;
    wait_for(c, "[data-testid=checkin-detail]").await?;
    wait_for(c, "[data-testid=checkin-status][data-state=due]").await?;
    wait_for(c, "[data-testid=checkin-item][data-state=due]").await?;
    wait_for(c, "[data-testid=checkin-digest-empty]").await?;

    step("answer; the answer appears in the digest");
    let fields = wait_for_count(c, "[data-testid=checkin-answer]", 3).await?;
    for (f, text) in fields
        .iter()
        .zip(["Shipped the relay", "Search", "Nothing"])
    {
        f.send_keys(text).await?;
    }
    click(c, "[data-testid=checkin-submit]").await?;
    wait_for(c, "[data-testid=checkin-status][data-state=answered]").await?;
    let entry = text_of(&wait_for(c, "[data-testid=checkin-digest-entry]").await?).await?;
    if !entry.contains("Ada") || !entry.contains("Shipped the relay") {
        return Err(format!("the digest shows {entry:?}").into());
    }
    let missing = text_of(&wait_for(c, "[data-testid=checkin-digest-missing]").await?).await?;
    if !missing.contains("Bo") {
        return Err(format!("the digest's missing line reads {missing:?}").into());
    }

    step("change today's answer; the digest follows");
    let first = wait_for(c, "[data-testid=checkin-answer]").await?;
    first.send_keys(" and the search index").await?;
    click(c, "[data-testid=checkin-submit]").await?;
    let start = std::time::Instant::now();
    loop {
        let entries = texts(c, "[data-testid=checkin-digest-entry]").await?;
        let text = entries.first().cloned().unwrap_or_default();
        if entries.len() == 1 && text.contains("Shipped the relay and the search index") {
            break;
        }
        if start.elapsed() > WAIT {
            return Err(format!(
                "after the edit the digest shows {text:?} ({} entries)",
                entries.len()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.screenshot(c, "51-checkin-digest").await?;

    step("the inbox no longer lists the answered check-in");
    click(c, "[data-testid=nav-inbox]").await?;
    wait_for(c, "[data-testid=main-inbox]").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    if count(c, "[data-testid=inbox-item][data-section=checkin]").await? != 0 {
        return Err("the answered check-in is still in the inbox".into());
    }
    Ok(())
}
