//! Catch-up in the window: while the app is closed another device (its own Automerge
//! actor, merged as sync merges it) decides, asks me a question and edits my page
//! mentioning me; the app opens with the Catch-up count in the sidebar, the view lists the
//! three in order with the page's diff, opening one opens the object, "Seen" takes one
//! out and "Mark all seen" empties it; a page can be followed.

use chrono::Utc;
use fantoccini::Client;
use meridian_app::core::{
    Decision, DecisionStatus, Delivery, Member, Page, Role, Thread, ThreadState,
};
use meridian_app::{NewPage, Workspace};

use super::harness::{Harness, TestResult};
use super::ui::*;

const OTHER: u8 = 0x37;

/// What the other device wrote: the ids in the order the catch-up lists them.
struct Seeded {
    decision: String,
    thread: String,
    page: String,
}

async fn seed(h: &Harness) -> TestResult<Seeded> {
    let ws = Workspace::create(&h.data_dir(), "Acme", "Ada", "Europe/Berlin").await?;
    let me = ws.workspace_info().me.id;
    let (sam, _) = ws
        .create_object(Member::new("Sam", "America/New_York", Role::Editor))
        .await?;
    let (page, _) = ws
        .create_page(NewPage {
            title: "Runbook".into(),
            body: "Restart the relay.\n".into(),
            ..NewPage::default()
        })
        .await?;
    ws.update::<Page>(&page, |p| {
        p.owner = Some(me.to_string());
        Ok(())
    })
    .await?;
    // This device looked once: the mark is set.
    ws.catch_up(None).await?;
    let now = Utc::now().timestamp_millis();
    let decision = ws
        .write_as_device_for_tests::<Decision>(OTHER, None, now - 3_600_000, |_| {
            let mut d = Decision::new("Adopt PostgreSQL", now - 3_600_000);
            d.status = DecisionStatus::Proposed;
            d.deciders = vec!["Ada".into()];
            d
        })
        .await?;
    let thread = ws
        .write_as_device_for_tests::<Thread>(OTHER, None, now - 1_800_000, |_| Thread {
            title: "Budget for Q1?".into(),
            message_kind: "question".into(),
            body: "Can you check the numbers?".into(),
            author: sam.to_string(),
            recipients: vec![me.to_string()],
            delivery: Delivery::Now,
            urgent_reason: None,
            messages: Vec::new(),
            acknowledgements: Vec::new(),
            state: ThreadState::Open,
            linked_decision: None,
            source_meeting: None,
            created_at_ms: now - 1_800_000,
        })
        .await?;
    ws.write_as_device_for_tests::<Page>(OTHER, Some(&page), now - 600_000, |p| {
        let mut p = p.unwrap_or_default();
        p.body
            .push_str("\nThen check the logs, @Ada please confirm.\n");
        p
    })
    .await?;
    let view = ws.catch_up(None).await?;
    if view.count != 3 {
        return Err(format!("the engine lists {} items: {view:?}", view.count).into());
    }
    Ok(Seeded {
        decision: decision.to_string(),
        thread: thread.to_string(),
        page: page.to_string(),
    })
}

pub async fn run(h: &Harness) -> TestResult {
    let seeded = seed(h).await?;
    let client = h.launch().await?;
    let outcome = scenario(h, &client, &seeded).await;
    let closed = client.close().await;
    outcome?;
    closed?;
    Ok(())
}

async fn scenario(h: &Harness, c: &Client, s: &Seeded) -> TestResult {
    step("the sidebar's Catch-up section, at the top, counts three");
    wait_text(c, "[data-testid=count-catchup]", "3").await?;
    let first = wait_for(c, "nav [data-testid^=nav-]").await?;
    if first.attr("data-testid").await?.as_deref() != Some("nav-catchup") {
        return Err("Catch-up is not the first section of the sidebar".into());
    }

    step("the view lists the decision, the question and the mention, in that order");
    click(c, "[data-testid=nav-catchup]").await?;
    let items = wait_for_count(c, "[data-testid=catchup-item]", 3).await?;
    let mut order = Vec::new();
    for i in &items {
        order.push((
            i.attr("data-group").await?.unwrap_or_default(),
            i.attr("data-id").await?.unwrap_or_default(),
        ));
    }
    let expected = [
        ("decision".to_owned(), s.decision.clone()),
        ("reply".to_owned(), s.thread.clone()),
        ("mention".to_owned(), s.page.clone()),
    ];
    if order != expected {
        return Err(format!("catch-up order {order:?}, expected {expected:?}").into());
    }
    let diff = wait_for(
        c,
        &format!(
            "[data-testid=catchup-item][data-id='{}'] [data-testid=catchup-diff] ins",
            s.page
        ),
    )
    .await?;
    let added = text_of(&diff).await?;
    if !added.contains("@Ada please confirm") {
        return Err(format!("the page's diff shows {added:?} as added").into());
    }
    h.screenshot(c, "catchup").await?;

    step("opening the decision opens it in Decisions");
    click(
        c,
        &format!(
            "[data-testid=catchup-item][data-id='{}'] [data-testid=catchup-open]",
            s.decision
        ),
    )
    .await?;
    wait_for(
        c,
        &format!("[data-testid=decision-editor][data-id='{}']", s.decision),
    )
    .await?;
    step("… at the change: its History panel is open on the version the catch-up showed");
    wait_for(c, "[data-testid=history-entry].selected").await?;
    wait_for(c, "[data-testid=history-version]").await?;

    step("Seen takes the question out; the count follows");
    click(c, "[data-testid=nav-catchup]").await?;
    click(
        c,
        &format!(
            "[data-testid=catchup-item][data-id='{}'] [data-testid=catchup-seen]",
            s.thread
        ),
    )
    .await?;
    wait_text(c, "[data-testid=count-catchup]", "2").await?;
    let left = wait_for_count(c, "[data-testid=catchup-item]", 2).await?;
    if left.len() != 2 {
        return Err(format!("{} items left after one was seen", left.len()).into());
    }

    step("Mark all seen empties it");
    click(c, "[data-testid=catchup-all-seen]").await?;
    wait_for(c, "[data-testid=catchup-empty]").await?;
    let still = c
        .find_all(fantoccini::Locator::Css("[data-testid=count-catchup]"))
        .await?;
    if !still.is_empty() {
        return Err("the sidebar still counts catch-up items after all were seen".into());
    }

    step("a page can be followed from its editor");
    click(c, "[data-testid=nav-pages]").await?;
    click(c, &format!("[data-testid=page-item][data-id='{}']", s.page)).await?;
    wait_for(
        c,
        &format!("[data-testid=page-editor][data-id='{}']", s.page),
    )
    .await?;
    let toggle = wait_for(c, "[data-testid=follow-toggle]").await?;
    let before = toggle.attr("aria-pressed").await?;
    toggle.click().await?;
    let start = std::time::Instant::now();
    loop {
        let now = wait_for(c, "[data-testid=follow-toggle]")
            .await?
            .attr("aria-pressed")
            .await?;
        if now.as_deref() == Some("true") && before.as_deref() != Some("true") {
            break;
        }
        if start.elapsed() > WAIT {
            return Err(format!("follow toggle stayed {now:?}").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}
