//! The derived views through the engine on a real workspace: notifications held by focus
//! blocks and quiet hours and released as one digest, urgent ones breaking through, and the
//! device's notification watermark surviving a restart.

use chrono::{DateTime, Utc};
use meridian_app::NewFocus;
use meridian_app::core::{Delivery, Role, Thread, ThreadState};
use meridian_testkit::TempWorkspace;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("instant").to_utc()
}

fn thread(author: &str, to: &str, kind: &str, sent: &str, reason: Option<&str>) -> Thread {
    Thread {
        title: format!("{kind} at {sent}"),
        message_kind: kind.into(),
        body: String::new(),
        author: author.into(),
        recipients: vec![to.into()],
        delivery: Delivery::Now,
        urgent_reason: reason.map(Into::into),
        messages: Vec::new(),
        acknowledgements: Vec::new(),
        state: ThreadState::Open,
        linked_decision: None,
        source_meeting: None,
        created_at_ms: at(sent).timestamp_millis(),
    }
}

#[tokio::test]
async fn focus_and_quiet_hours_hold_notifications_until_one_digest() {
    let t = TempWorkspace::new().await; // Ada, Europe/London (UTC in November)
    let ws = &t.ws;
    let ada = ws.workspace_info().me.id.to_string();
    let sam = ws
        .add_member("Sam", "Australia/Sydney", Role::Editor, None)
        .await
        .expect("add Sam")
        .to_string();
    ws.add_focus_block(
        &ws.workspace_info().me.id,
        NewFocus {
            days: Some("mon-fri".into()),
            date: None,
            start: "09:00".into(),
            end: "11:00".into(),
        },
    )
    .await
    .expect("focus block");

    // Tuesday 24 Nov: two questions during focus, one urgent with a reason.
    for (kind, sent, reason) in [
        ("question", "2026-11-24T09:30:00Z", None),
        ("request", "2026-11-24T10:15:00Z", None),
        (
            "urgent",
            "2026-11-24T09:45:00Z",
            Some("the release is broken"),
        ),
    ] {
        ws.create_object(thread(&sam, &ada, kind, sent, reason))
            .await
            .expect("thread");
    }

    // Looking at 10:30: only the urgent one is shown; the others wait.
    let b = ws
        .notifications(at("2026-11-24T09:00:00Z"), Some(at("2026-11-24T10:30:00Z")))
        .await
        .expect("notifications");
    assert_eq!(b.direct.len(), 1, "{b:?}");
    assert!(b.direct[0].urgent);
    assert!(b.digests.is_empty());
    let held = ws
        .pending_notifications(Some(at("2026-11-24T10:30:00Z")))
        .await
        .expect("held");
    assert_eq!(held.digests.len(), 1);
    assert_eq!(held.digests[0].released_at, "2026-11-24T11:00:00Z");
    assert_eq!(held.digests[0].items.len(), 2);

    // Looking at 11:05: both held ones come as one digest released at the focus end.
    let b = ws
        .notifications(at("2026-11-24T10:30:00Z"), Some(at("2026-11-24T11:05:00Z")))
        .await
        .expect("notifications");
    assert!(b.direct.is_empty());
    assert_eq!(b.digests.len(), 1);
    assert_eq!(b.digests[0].items.len(), 2);
    assert!(
        b.digests[0]
            .items
            .iter()
            .all(|n| n.held && n.show_at == "2026-11-24T11:00:00Z")
    );

    // A question at 21:00 London falls in the charter's quiet hours (20:00–08:00): it is
    // released at 08:00 the next morning, before the 09:00 focus block.
    ws.create_object(thread(&sam, &ada, "question", "2026-11-24T21:00:00Z", None))
        .await
        .expect("thread");
    let b = ws
        .notifications(at("2026-11-24T20:00:00Z"), Some(at("2026-11-25T07:59:00Z")))
        .await
        .expect("notifications");
    assert!(b.direct.is_empty() && b.digests.is_empty(), "{b:?}");
    let b = ws
        .notifications(at("2026-11-25T07:59:00Z"), Some(at("2026-11-25T08:01:00Z")))
        .await
        .expect("notifications");
    assert_eq!(b.digests.len(), 1);
    assert_eq!(b.digests[0].released_at, "2026-11-25T08:00:00Z");

    // What this device has shown survives a restart.
    ws.set_notified_until(at("2026-11-25T08:01:00Z"))
        .expect("watermark");
    let again = t.reopen().await;
    assert_eq!(
        again.notified_until().expect("read"),
        Some(at("2026-11-25T08:01:00Z"))
    );
}
