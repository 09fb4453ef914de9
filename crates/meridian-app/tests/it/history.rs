//! History and restore: the timeline of an object's changes, old versions by change and by
//! time, diffs between points, and restore as a new edit that syncs — for a page typed by
//! three devices through a real relay, and for decisions, meetings and threads.

use std::time::Duration;

use meridian_app::core::history::FieldDiff;
use meridian_app::core::{DecisionStatus, DocId, Object, Stance, TextSplice};
use meridian_app::{
    Error, ErrorKind, HistoryEntry, MeetingText, NewDecision, NewMeeting, NewOption, NewPage,
    NewThread, Workspace,
};
use meridian_sync::Role;
use meridian_testkit::TempWorkspace;
use tokio::sync::watch;

/// Every entry of `id`'s timeline, newest first, read page by page.
async fn timeline(ws: &Workspace, id: &DocId) -> Vec<HistoryEntry> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = ws.history(id, offset, 7).await.expect("history");
        assert!(page.entries.len() <= 7);
        all.extend(page.entries);
        match page.next {
            Some(next) => offset = next as usize,
            None => break,
        }
    }
    all
}

fn page_body(o: &Object) -> &str {
    match o {
        Object::Page(p) => &p.body,
        other => panic!("a page, not {other:?}"),
    }
}

async fn body_now(ws: &Workspace, id: &DocId) -> String {
    page_body(&ws.show_object(id).await.expect("show").object).to_owned()
}

/// A small deterministic generator, so a failure reproduces.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (self.0 >> 33) % n
    }
}

const WORDS: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "launch", "review", "ship",
];

/// One edit as the editor sends it: insert a word, or delete a few characters.
async fn type_once(ws: &Workspace, id: &DocId, rng: &mut Lcg) {
    let len = body_now(ws, id).await.encode_utf16().count() as u64;
    let splice = if len > 40 && rng.next(4) == 0 {
        let pos = rng.next(len - 5);
        TextSplice {
            pos: pos as u32,
            delete: 1 + rng.next(4) as u32,
            insert: String::new(),
        }
    } else {
        TextSplice {
            pos: rng.next(len + 1) as u32,
            delete: 0,
            insert: format!(" {}", WORDS[rng.next(WORDS.len() as u64) as usize]),
        }
    };
    ws.edit_page_body(id, &[splice]).await.expect("edit");
}

async fn sync_all(devices: &[&Workspace]) {
    // Twice round: what the last device sent reaches the first.
    for _ in 0..2 {
        for d in devices {
            d.sync_once(Duration::from_secs(20)).await.expect("sync");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_typed_on_three_devices_has_a_history_every_point_loads_and_restore_syncs() {
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().expect("dir")).collect();
    let server = meridian_relay::serve(meridian_relay::Config::new(
        "127.0.0.1:0".parse().expect("address"),
        dirs[0].path(),
    ))
    .await
    .expect("relay starts");
    let url = server.url();
    let a = Workspace::create(dirs[1].path(), "Acme", "Ada", "Europe/Berlin")
        .await
        .expect("create");
    // Registers the workspace at the relay before anyone asks to join it.
    a.create_invite(&url, Role::Editor, 600_000)
        .await
        .expect("invite");
    a.sync_once(Duration::from_secs(20))
        .await
        .expect("register");
    let (stop, stopped) = watch::channel(false);
    let admitting = tokio::spawn({
        let a = a.clone();
        async move { a.run_sync(stopped).await }
    });
    let mut others = Vec::new();
    for (dir, name) in [(&dirs[2], "Bea"), (&dirs[3], "Cy")] {
        let code = a
            .create_invite(&url, Role::Editor, 600_000)
            .await
            .expect("invite");
        others.push(
            Workspace::join(
                dir.path(),
                &code,
                name,
                "Asia/Tokyo",
                Duration::from_secs(30),
            )
            .await
            .expect("join"),
        );
    }
    stop.send(true).expect("stop");
    admitting.await.expect("task").expect("run_sync ends");
    let (b, c) = (others.remove(0), others.remove(0));
    let devices = [&a, &b, &c];

    let (id, _) = a
        .create_page(NewPage {
            title: "Launch plan".into(),
            body: "We launch on Friday.".into(),
            ..NewPage::default()
        })
        .await
        .expect("page");
    sync_all(&devices).await;

    // 1,000 edits: each device types in turn, syncing between rounds.
    let mut rng = Lcg(19);
    let mut edits = 0;
    while edits < 1_000 {
        for d in devices {
            for _ in 0..25 {
                if edits < 1_000 {
                    type_once(d, &id, &mut rng).await;
                    edits += 1;
                }
            }
            d.sync_once(Duration::from_secs(20)).await.expect("sync");
        }
    }
    sync_all(&devices).await;
    let text = body_now(&a, &id).await;
    for d in &devices[1..] {
        assert_eq!(body_now(d, &id).await, text, "the devices converged");
    }

    // The timeline: every change in an entry, each entry by one named member and device.
    let entries = timeline(&c, &id).await;
    let first = c.history(&id, 0, 5).await.expect("history");
    assert_eq!(first.total_entries as usize, entries.len());
    assert!(first.total_changes >= 1_001, "{}", first.total_changes);
    assert_eq!(
        entries.iter().map(|e| e.changes as usize).sum::<usize>(),
        first.total_changes as usize
    );
    assert!(
        entries.len() < 200,
        "keystrokes are grouped: {} entries",
        entries.len()
    );
    let created = entries.last().expect("an entry");
    assert!(created.created && created.before.is_none());
    assert_eq!(created.author_name, "Ada");
    for name in ["Ada", "Bea", "Cy"] {
        assert!(
            entries
                .iter()
                .any(|e| e.author_name == name && e.summary.words_added > 0),
            "{name} appears in the history"
        );
    }
    assert!(entries.iter().all(|e| e.author.is_some()));
    assert!(entries.iter().any(|e| e.this_device) && entries.iter().any(|e| !e.this_device));
    assert!(entries.iter().all(|e| e.started_at.is_some()));
    // Devices are told apart: three devices wrote.
    let mut devs: Vec<&str> = entries.iter().map(|e| e.device.as_str()).collect();
    devs.sort_unstable();
    devs.dedup();
    assert_eq!(devs.len(), 3);

    // Every point loads, and each entry's diff turns the version before into its own.
    for e in &entries {
        let after = c.object_at(&id, &e.point).await.expect("the point loads");
        assert_eq!(after.point, e.point);
        let Some(before) = &e.before else { continue };
        let before_v = c
            .object_at(&id, before)
            .await
            .expect("the point before loads");
        let diff = c.diff_versions(&id, before, &e.point).await.expect("diff");
        let fields: Vec<&str> = diff.changes.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, e.summary.fields);
        if let Some(body) = diff.changes.iter().find(|f| f.field == "body") {
            let FieldDiff::Text { diff } = &body.change else {
                panic!("the body is prose")
            };
            assert_eq!(diff.old_text(), page_body(&before_v.object));
            assert_eq!(diff.new_text(), page_body(&after.object));
            assert_eq!(
                (diff.added, diff.removed),
                (e.summary.words_added, e.summary.words_removed)
            );
        }
    }
    // The newest point is the current version.
    assert_eq!(
        page_body(
            &c.object_at(&id, &entries[0].point)
                .await
                .expect("newest")
                .object
        ),
        text
    );

    // Restore a version from the middle on B: a new edit that reaches A and C.
    let old = &entries[entries.len() / 2];
    let old_text = page_body(&b.object_at(&id, &old.point).await.expect("old").object).to_owned();
    assert_ne!(old_text, text);
    // A point may have several heads (concurrent edits); a unique prefix of each names it.
    let short: Vec<&str> = old.point.split(',').map(|h| &h[..10]).collect();
    b.restore_version(&id, &short.join(","))
        .await
        .expect("restore");
    assert_eq!(body_now(&b, &id).await, old_text);
    sync_all(&devices).await;
    for d in devices {
        assert_eq!(body_now(d, &id).await, old_text, "the restore synced");
    }
    let after = a.history(&id, 0, 3).await.expect("history");
    let newest = &after.entries[0];
    assert_eq!(newest.author_name, "Bea");
    assert!(!newest.this_device);
    assert_eq!(newest.restored_from.as_deref(), Some(old.point.as_str()));
    assert_eq!(after.total_entries as usize, entries.len() + 1);
    // Nothing was rewritten: the newest version before the restore still loads.
    assert_eq!(
        page_body(
            &a.object_at(&id, &entries[0].point)
                .await
                .expect("kept")
                .object
        ),
        text
    );
    server.shutdown().await.expect("relay stops");
}

#[tokio::test]
async fn a_restore_keeps_edits_made_meanwhile_elsewhere_in_the_text() {
    let (a, b) = (TempWorkspace::new().await, TempWorkspace::new().await);
    let (id, _) =
        a.ws.create_page(NewPage {
            title: "Notes".into(),
            body: "First paragraph.\n\nSecond paragraph.\n".into(),
            ..NewPage::default()
        })
        .await
        .expect("page");
    let v1 = a.ws.history(&id, 0, 1).await.expect("history").entries[0]
        .point
        .clone();
    a.clock.advance_ms(600_000);
    a.ws.edit_page_body(
        &id,
        &[TextSplice {
            pos: 0,
            delete: 5,
            insert: "Opening".into(),
        }],
    )
    .await
    .expect("edit");
    b.ws.merge_changes_for_tests(&id, &a.ws.automerge_bytes(&id).await.expect("bytes"))
        .await
        .expect("merge");
    // B appends concurrently while A restores the first version.
    let len = body_now(&b.ws, &id).await.encode_utf16().count() as u32;
    b.ws.edit_page_body(
        &id,
        &[TextSplice {
            pos: len,
            delete: 0,
            insert: "Third, from B.\n".into(),
        }],
    )
    .await
    .expect("edit");
    a.ws.restore_version(&id, &v1).await.expect("restore");
    let (ab, bb) = (
        a.ws.automerge_bytes(&id).await.expect("bytes"),
        b.ws.automerge_bytes(&id).await.expect("bytes"),
    );
    a.ws.merge_changes_for_tests(&id, &bb).await.expect("merge");
    b.ws.merge_changes_for_tests(&id, &ab).await.expect("merge");
    let expected = "First paragraph.\n\nSecond paragraph.\nThird, from B.\n";
    assert_eq!(body_now(&a.ws, &id).await, expected);
    assert_eq!(body_now(&b.ws, &id).await, expected);
}

#[tokio::test]
async fn decisions_meetings_and_threads_have_histories_by_change_and_by_time() {
    let t = TempWorkspace::new().await;
    let ws = &t.ws;
    // 09:00 a decision is drafted, 10:00 proposed, 11:00 feedback, 12:00 accepted.
    let (id, _) = ws
        .create_decision(NewDecision {
            title: "Pick a database".into(),
            context: "We need storage.".into(),
            options: vec![
                NewOption {
                    title: "SQLite".into(),
                    ..NewOption::default()
                },
                NewOption {
                    title: "PostgreSQL".into(),
                    ..NewOption::default()
                },
            ],
            ..NewDecision::default()
        })
        .await
        .expect("decision");
    t.clock.advance_ms(3_600_000);
    ws.set_decision_status(&id, DecisionStatus::Proposed)
        .await
        .expect("propose");
    t.clock.advance_ms(3_600_000);
    ws.give_feedback(&id, Stance::Concern, "Backups?")
        .await
        .expect("feedback");
    t.clock.advance_ms(3_600_000);
    ws.choose_option(&id, "SQLite", Some("Small and embedded.".into()))
        .await
        .expect("choose");
    ws.set_decision_status(&id, DecisionStatus::Accepted)
        .await
        .expect("accept");

    let entries = timeline(ws, &id).await;
    let fields: Vec<Vec<String>> = entries
        .iter()
        .rev()
        .map(|e| e.summary.fields.clone())
        .collect();
    assert!(entries.last().expect("created").created);
    assert_eq!(fields[1], ["status"]);
    assert_eq!(fields[2], ["feedback"]);
    assert!(
        fields[3].contains(&"status".to_owned()) && fields[3].contains(&"chosen_option".to_owned())
    );
    // By time: at 10:30 it was proposed without feedback; at 11:00 exactly it had it.
    let at = |s: &str| {
        let (ws, id) = (ws.clone(), id.clone());
        let s = s.to_owned();
        async move { ws.object_at(&id, &s).await }
    };
    let Object::Decision(d) = at("2026-11-24T10:30:00Z").await.expect("10:30").object else {
        panic!("a decision")
    };
    assert_eq!(d.status, DecisionStatus::Proposed);
    assert!(d.feedback.is_empty());
    let Object::Decision(d) = at("2026-11-24T12:00:00+01:00").await.expect("11:00").object else {
        panic!("a decision")
    };
    assert_eq!(d.feedback.len(), 1);
    assert_eq!(d.status, DecisionStatus::Proposed);
    let diff = ws
        .diff_versions(&id, &entries[entries.len() - 2].point, "current")
        .await
        .expect("diff");
    let status = diff
        .changes
        .iter()
        .find(|c| c.field == "status")
        .expect("status changed");
    assert_eq!(
        status.change,
        FieldDiff::Value {
            old: "proposed".into(),
            new: "accepted".into()
        }
    );
    // Restoring the proposed version keeps the outcome (accepted cannot go back) but brings
    // back the rest: here, no feedback.
    ws.restore_version(&id, &entries[entries.len() - 2].point)
        .await
        .expect("restore");
    let Object::Decision(d) = ws.show_object(&id).await.expect("show").object else {
        panic!("a decision")
    };
    assert_eq!(d.status, DecisionStatus::Accepted);
    assert!(d.feedback.is_empty());
    assert!(d.chosen_option.is_some());

    // Errors: a malformed point, an unknown change, a time before the object existed.
    let err = ws.object_at(&id, "yesterday").await.expect_err("malformed");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("RFC 3339"), "{err}");
    let err = ws.object_at(&id, "abcdef0123").await.expect_err("unknown");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = at("2026-11-24T08:00:00Z").await.expect_err("too early");
    assert!(matches!(err, Error::History(_)));
    assert!(err.to_string().contains("did not exist yet"), "{err}");

    // A meeting: its agenda and summary changes are entries.
    let (mid, _) = ws
        .create_meeting(NewMeeting {
            title: "Planning".into(),
            start: "2026-11-30T10:00:00Z".into(),
            duration_min: 30,
            items: vec!["Roadmap".into()],
            ..NewMeeting::default()
        })
        .await
        .expect("meeting");
    t.clock.advance_ms(3_600_000);
    ws.set_meeting_text(
        &mid,
        MeetingText::Summary,
        "We agreed on the roadmap.".into(),
    )
    .await
    .expect("summary");
    let m = timeline(ws, &mid).await;
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].summary.fields, ["summary"]);
    assert_eq!(m[0].summary.words_added, 5);

    // A thread: replies are entries naming the message.
    let posted = ws
        .post_thread(NewThread {
            kind: "question".into(),
            to: vec![],
            title: "Which port?".into(),
            body: "Which port does the relay use?".into(),
            ..NewThread::default()
        })
        .await
        .expect("thread");
    let tid = posted.id.expect("posted");
    t.clock.advance_ms(3_600_000);
    ws.reply_thread(&tid, "7447 by default.", None)
        .await
        .expect("reply");
    let th = timeline(ws, &tid).await;
    assert_eq!(th.len(), 2);
    assert_eq!(th[0].summary.fields, ["messages"]);
    let diff = ws
        .diff_versions(&tid, th[0].before.as_deref().expect("before"), &th[0].point)
        .await
        .expect("diff");
    assert!(matches!(
        &diff.changes[0].change,
        FieldDiff::Items { added, .. } if added == &["7447 by default.".to_owned()]
    ));
    ws.restore_version(&tid, th[0].before.as_deref().expect("before"))
        .await
        .expect("restore");
    let Object::Thread(thread) = ws.show_object(&tid).await.expect("show").object else {
        panic!("a thread")
    };
    assert!(thread.messages.is_empty());
    // History survives a restart (it is in the document).
    let reopened = t.reopen().await;
    assert_eq!(timeline(&reopened, &tid).await.len(), 3);
}
