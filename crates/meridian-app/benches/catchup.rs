//! Catch-up benchmark (B13): the 883-page handbook imported into a workspace on a real
//! SQLite file, this device owning 40 pages and following 20, then 1,000 changes from
//! another device (its own Automerge actor, merged as sync merges them): edits of 300
//! pages (some mentioning me), questions to me, decisions asking me, and tasks. Measures
//! `Workspace::catch_up` — cold (a freshly opened workspace: every changed document read
//! from the store) and warm (documents already open) — and prints a table. Not a test.

use std::time::Instant;

use meridian_app::Workspace;
use meridian_app::core::{
    Decision, DecisionStatus, Delivery, Kind, Page, Role, Task, TaskState, Thread, ThreadState,
};

const OTHER: u8 = 0x5a;
const REMOTE_CHANGES: usize = 1_000;

fn main() {
    let Some(corpus) = meridian_testkit::corpus("handbook/content") else {
        println!(
            "skipping: the handbook corpus is absent (../shared must sit beside the checkout)"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_owned();
    let (pages, made) = rt.block_on(async {
        let ws = Workspace::create(&path, "Bench", "Ada", "Europe/Berlin")
            .await
            .expect("create");
        ws.import_markdown(&corpus).await.expect("import");
        let me = ws.workspace_info().me.id;
        let (sam, _) = ws
            .create_object(meridian_app::core::Member::new(
                "Sam",
                "America/New_York",
                Role::Editor,
            ))
            .await
            .expect("Sam");
        let pages: Vec<_> = ws
            .list_objects(Some(Kind::Page), false)
            .await
            .expect("pages")
            .into_iter()
            .map(|p| p.id)
            .collect();
        for id in pages.iter().take(40) {
            ws.update::<Page>(id, |p| {
                p.owner = Some(me.to_string());
                Ok(())
            })
            .await
            .expect("own");
        }
        for id in pages.iter().skip(40).take(20) {
            ws.follow(id, true).await.expect("follow");
        }
        // This device looks: the mark is set here.
        assert_eq!(ws.catch_up(None).await.expect("catch-up").count, 0);

        let start = Instant::now();
        // The week away: changes a minute apart, the last one a minute ago.
        let mut t = ws.now_ms() - (REMOTE_CHANGES as i64 + 1) * 60_000;
        let mut made = 0usize;
        let mut i = 0usize;
        while made < REMOTE_CHANGES {
            t += 60_000;
            match i % 20 {
                // A question to me.
                0 => {
                    let sam = sam.to_string();
                    let me = me.to_string();
                    ws.write_as_device_for_tests::<Thread>(OTHER, None, t, move |_| Thread {
                        title: format!("Question {i}"),
                        message_kind: "question".into(),
                        body: "Can you look at this?".into(),
                        author: sam,
                        recipients: vec![me],
                        delivery: Delivery::Now,
                        urgent_reason: None,
                        messages: Vec::new(),
                        acknowledgements: Vec::new(),
                        state: ThreadState::Open,
                        linked_decision: None,
                        source_meeting: None,
                        created_at_ms: t,
                    })
                    .await
                    .expect("thread");
                }
                // A decision asking me.
                1 => {
                    ws.write_as_device_for_tests::<Decision>(OTHER, None, t, |_| {
                        let mut d = Decision::new(format!("Decision {i}"), t);
                        d.status = DecisionStatus::Proposed;
                        d.deciders = vec!["Ada".into()];
                        d
                    })
                    .await
                    .expect("decision");
                }
                // A task for me.
                2 => {
                    let me = me.to_string();
                    ws.write_as_device_for_tests::<Task>(OTHER, None, t, move |_| Task {
                        title: format!("Task {i}"),
                        owner: Some(me),
                        due: None,
                        state: TaskState::Open,
                        source: None,
                        created_at_ms: t,
                    })
                    .await
                    .expect("task");
                }
                // An edit of one of 300 pages (mine, followed, and others'), every tenth
                // mentioning me.
                _ => {
                    let id = &pages[(i * 7) % 300];
                    let mention = i % 10 == 5;
                    ws.write_as_device_for_tests::<Page>(OTHER, Some(id), t, move |p| {
                        let mut p = p.expect("page");
                        if mention {
                            p.body.push_str(&format!("\n\n@Ada see change {i}.\n"));
                        } else {
                            p.body
                                .push_str(&format!("\n\nEdit number {i} of the week.\n"));
                        }
                        p
                    })
                    .await
                    .expect("page edit");
                }
            }
            made += 1;
            i += 1;
        }
        eprintln!(
            "{made} remote changes merged in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        (pages.len(), made)
    });

    // Cold: a new process opens the workspace and computes its catch-up.
    let mut cold = Vec::new();
    let mut count = 0;
    let mut groups = String::new();
    for _ in 0..15 {
        let (ms, view) = rt.block_on(async {
            let ws = Workspace::open(&path).await.expect("open");
            let start = Instant::now();
            let view = ws.catch_up(None).await.expect("catch-up");
            (start.elapsed().as_secs_f64() * 1e3, view)
        });
        cold.push(ms);
        count = view.count;
        groups = view
            .groups
            .iter()
            .map(|g| format!("{} {}", g.group, g.count))
            .collect::<Vec<_>>()
            .join(", ");
    }
    // Warm: the same workspace asked again (the app's sidebar after an event).
    let warm: Vec<f64> = rt.block_on(async {
        let ws = Workspace::open(&path).await.expect("open");
        ws.catch_up(None).await.expect("first");
        let mut out = Vec::new();
        for _ in 0..40 {
            let start = Instant::now();
            ws.catch_up(None).await.expect("catch-up");
            out.push(start.elapsed().as_secs_f64() * 1e3);
        }
        out
    });
    // Nothing new: everything seen, then asked again.
    let empty: Vec<f64> = rt.block_on(async {
        let ws = Workspace::open(&path).await.expect("open");
        ws.mark_all_seen().await.expect("seen");
        let mut out = Vec::new();
        for _ in 0..40 {
            let start = Instant::now();
            let v = ws.catch_up(None).await.expect("catch-up");
            assert_eq!(v.count, 0);
            out.push(start.elapsed().as_secs_f64() * 1e3);
        }
        out
    });

    println!("Catch-up on the handbook ({pages} pages) after {made} remote changes");
    println!("items: {count} ({groups})");
    println!();
    println!("| catch-up | runs | p50 | p99 | max |");
    println!("| --- | --- | --- | --- | --- |");
    for (what, mut v) in [
        ("cold (workspace just opened)", cold),
        ("warm (documents open)", warm),
        ("nothing new (all seen)", empty),
    ] {
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "| {what} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
            v.len(),
            q(0.5),
            q(0.99),
            v[v.len() - 1]
        );
    }
}
