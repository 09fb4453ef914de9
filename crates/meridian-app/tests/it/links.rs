//! Links between objects, backlinks, the page tree, and the decision flows that link
//! objects both ways (supersede, promote a thread).

use meridian_app::core::{DecisionStatus, DocId, Kind, Object, Role, Stance};
use meridian_app::{
    DecisionPatch, ErrorKind, NewDecision, NewOption, NewPage, NewThread, PagePatch,
};
use meridian_testkit::TempWorkspace;

async fn page(t: &TempWorkspace, title: &str, body: &str) -> DocId {
    t.ws.create_page(NewPage {
        title: title.into(),
        body: body.into(),
        ..NewPage::default()
    })
    .await
    .expect("create page")
    .0
}

#[tokio::test]
async fn wiki_links_resolve_by_title_and_backlinks_follow_edits() {
    let t = TempWorkspace::new().await;
    let plan = page(&t, "Hiring plan", "Who we hire next.").await;
    let onboarding = page(
        &t,
        "Onboarding",
        "Start with [[hiring PLAN]] and [[Nowhere]].",
    )
    .await;
    let links = t.ws.links(&onboarding).await.expect("links");
    assert_eq!(links.outgoing.len(), 2);
    assert_eq!(
        links.outgoing[0].object.as_ref().map(|o| &o.id),
        Some(&plan)
    );
    assert_eq!(links.outgoing[1].target, "Nowhere");
    assert!(links.outgoing[1].object.is_none());

    let back = t.ws.links(&plan).await.expect("links");
    assert_eq!(
        back.backlinks.iter().map(|o| &o.id).collect::<Vec<_>>(),
        [&onboarding]
    );

    // A decision linking by id counts too; removing the page's link removes its backlink.
    let (decision, _) =
        t.ws.create_decision(NewDecision {
            title: "Hire two".into(),
            context: format!("See [the plan]({plan})."),
            ..NewDecision::default()
        })
        .await
        .expect("decision");
    t.ws.update_page(
        &onboarding,
        PagePatch {
            body: Some("No links now.".into()),
            ..PagePatch::default()
        },
    )
    .await
    .expect("edit");
    let back = t.ws.links(&plan).await.expect("links");
    assert_eq!(
        back.backlinks.iter().map(|o| &o.id).collect::<Vec<_>>(),
        [&decision]
    );
    assert_eq!(back.backlinks[0].kind, Kind::Decision);

    // Links written on another process (a reopened workspace) are seen too.
    let again = t.reopen().await;
    let back = again.links(&plan).await.expect("links");
    assert_eq!(back.backlinks.len(), 1);
}

#[tokio::test]
async fn the_page_tree_refuses_cycles_and_marks_stale_pages() {
    let t = TempWorkspace::new().await; // today is 2026-11-24 in Europe/London
    let root = page(&t, "Engineering", "").await;
    let child =
        t.ws.create_page(NewPage {
            title: "On-call".into(),
            parent: Some(root.clone()),
            ..NewPage::default()
        })
        .await
        .expect("child")
        .0;
    let grandchild =
        t.ws.create_page(NewPage {
            title: "Runbook".into(),
            parent: Some(child.clone()),
            ..NewPage::default()
        })
        .await
        .expect("grandchild")
        .0;
    let err =
        t.ws.update_page(
            &root,
            PagePatch {
                parent: Some(Some(grandchild.clone())),
                ..PagePatch::default()
            },
        )
        .await
        .expect_err("a cycle");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("inside itself"), "{err}");

    t.ws.update_page(
        &child,
        PagePatch {
            review_by: Some(Some("2026-11-23".into())),
            owner: Some(Some("Ada".into())),
            ..PagePatch::default()
        },
    )
    .await
    .expect("review date and owner");
    t.ws.update_page(
        &grandchild,
        PagePatch {
            review_by: Some(Some("2026-11-24".into())),
            ..PagePatch::default()
        },
    )
    .await
    .expect("review date");
    let tree = t.ws.page_tree().await.expect("tree");
    let node = |id: &DocId| tree.iter().find(|n| &n.id == id).expect("in the tree");
    assert_eq!(node(&child).parent.as_ref(), Some(&root));
    assert!(node(&child).stale, "reviewed by yesterday");
    assert!(!node(&grandchild).stale, "due today is not stale yet");
    assert_eq!(
        node(&child).owner.as_deref(),
        Some(t.ws.workspace_info().me.id.to_string().as_str())
    );

    // Clearing with null through the UI's JSON clears the parent.
    let patch: PagePatch = serde_json::from_str(r#"{"parent": null}"#).expect("json");
    t.ws.update_page(&child, patch).await.expect("clear");
    let tree = t.ws.page_tree().await.expect("tree");
    assert_eq!(
        tree.iter()
            .find(|n| n.id == child)
            .and_then(|n| n.parent.clone()),
        None
    );
    // A non-page parent is refused.
    let (d, _) =
        t.ws.create_decision(NewDecision {
            title: "D".into(),
            ..NewDecision::default()
        })
        .await
        .expect("decision");
    let err =
        t.ws.update_page(
            &child,
            PagePatch {
                parent: Some(Some(d)),
                ..PagePatch::default()
            },
        )
        .await
        .expect_err("not a page");
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

#[tokio::test]
async fn feedback_acknowledgement_and_supersede() {
    let t = TempWorkspace::new().await;
    let (id, _) =
        t.ws.create_decision(NewDecision {
            title: "Use Postgres".into(),
            options: vec![NewOption {
                title: "Postgres".into(),
                ..NewOption::default()
            }],
            chosen: Some("Postgres".into()),
            status: Some(DecisionStatus::Proposed),
            ..NewDecision::default()
        })
        .await
        .expect("decision");
    let err =
        t.ws.give_feedback(&id, Stance::Object, "  ")
            .await
            .expect_err("objection without reason");
    assert!(err.to_string().contains("reason"), "{err}");
    t.ws.give_feedback(&id, Stance::Support, "Fine by me")
        .await
        .expect("support");
    let d =
        t.ws.give_feedback(&id, Stance::Concern, "Ops load")
            .await
            .expect("concern");
    assert_eq!(d.feedback.len(), 2);
    assert_ne!(d.feedback[0].id, d.feedback[1].id);
    assert!(
        t.ws.acknowledge_decision(&id).await.is_err(),
        "nothing to acknowledge while proposed"
    );
    t.ws.set_decision_status(&id, DecisionStatus::Accepted)
        .await
        .expect("accept");
    t.ws.acknowledge_decision(&id).await.expect("ack");
    let d = t.ws.acknowledge_decision(&id).await.expect("ack twice");
    assert_eq!(
        d.acknowledgements,
        vec![t.ws.workspace_info().me.id.to_string()]
    );

    let (newer, _) =
        t.ws.create_decision(NewDecision {
            title: "Use SQLite".into(),
            ..NewDecision::default()
        })
        .await
        .expect("newer");
    assert!(t.ws.supersede_decision(&id, &id).await.is_err());
    let old =
        t.ws.supersede_decision(&id, &newer)
            .await
            .expect("supersede");
    assert_eq!(old.status, DecisionStatus::Superseded);
    assert_eq!(old.superseded_by, Some(newer.to_string()));
    let Object::Decision(n) = t.ws.show_object(&newer).await.expect("show").object else {
        panic!("decision")
    };
    assert_eq!(n.supersedes, Some(id.to_string()));
    // A draft cannot be superseded, and nothing changes on either side.
    let (draft, _) =
        t.ws.create_decision(NewDecision {
            title: "Draft".into(),
            ..NewDecision::default()
        })
        .await
        .expect("draft");
    let err =
        t.ws.supersede_decision(&draft, &newer)
            .await
            .expect_err("draft");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let Object::Decision(n) = t.ws.show_object(&newer).await.expect("show").object else {
        panic!("decision")
    };
    assert_eq!(n.supersedes, Some(id.to_string()));

    // decide-by can be set and cleared through the patch.
    let d =
        t.ws.update_decision(
            &draft,
            DecisionPatch {
                decide_by_ms: Some(Some(1_800_000_000_000)),
                ..DecisionPatch::default()
            },
        )
        .await
        .expect("decide by");
    assert_eq!(d.decide_by_ms, Some(1_800_000_000_000));
}

#[tokio::test]
async fn a_thread_promoted_to_a_decision_is_prefilled_and_linked_both_ways() {
    let t = TempWorkspace::new().await;
    t.ws.add_member("Sam", "Australia/Sydney", Role::Editor, None)
        .await
        .expect("Sam");
    let posted =
        t.ws.post_thread(NewThread {
            kind: "question".into(),
            to: vec!["Sam".into()],
            title: "Which CI runner?".into(),
            body: "GitHub or self-hosted?".into(),
            delivery: None,
            reason: None,
        })
        .await
        .expect("post");
    let thread = posted.id.expect("posted id");
    t.ws.reply_thread(
        &thread,
        "Self-hosted: we need GPUs.\nAnd caching.",
        Some("Sam"),
    )
    .await
    .expect("reply");
    let (id, d) = t.ws.promote_thread(&thread).await.expect("promote");
    assert_eq!(d.title, "Which CI runner?");
    assert_eq!(d.status, DecisionStatus::Draft);
    assert!(
        d.context.starts_with("GitHub or self-hosted?"),
        "{}",
        d.context
    );
    assert!(d.context.contains("> **Sam**"), "{}", d.context);
    assert!(d.context.contains("> And caching."), "{}", d.context);
    assert_eq!(d.deciders, vec!["Ada".to_owned()]);
    assert_eq!(d.consulted, vec!["Sam".to_owned()]);
    assert_eq!(d.source_thread, Some(thread.to_string()));
    let Object::Thread(th) = t.ws.show_object(&thread).await.expect("show").object else {
        panic!("thread")
    };
    assert_eq!(th.linked_decision, Some(id.to_string()));
    let err = t.ws.promote_thread(&thread).await.expect_err("twice");
    assert!(err.to_string().contains("already linked"), "{err}");
}

/// Writes `files` (path, text) under a new temp folder.
fn vault(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// The id and object of the page imported from `path`.
async fn page_at(t: &TempWorkspace, path: &str) -> (DocId, meridian_app::core::Page) {
    for s in
        t.ws.list_objects(Some(Kind::Page), false)
            .await
            .expect("list")
    {
        let page: meridian_app::core::Page = t.ws.get(&s.id).await.expect("page");
        if page.path.as_deref() == Some(path) {
            return (s.id, page);
        }
    }
    panic!("no page at {path}")
}

async fn backlinks(t: &TempWorkspace, id: &DocId) -> Vec<DocId> {
    let mut out: Vec<DocId> =
        t.ws.links(id)
            .await
            .expect("links")
            .backlinks
            .into_iter()
            .map(|o| o.id)
            .collect();
    out.sort();
    out
}

#[tokio::test]
async fn links_by_file_name_and_relative_path_resolve_and_follow_a_move() {
    let t = TempWorkspace::new().await;
    let dir = vault(&[
        (
            "notes/graph-view.md",
            "# Graph Visualization\n\nBack [home](../index.md), see [[other]].\n",
        ),
        (
            "index.md",
            "# Home\n\n[[graph-view]], [[notes/graph-view#Use|the graph]], ![[graph-view]],\n\
             [g](notes/graph-view.md#x), [G](<notes/graph-view.md>), [[Graph Visualization]],\n\
             [[other]], [[Missing note]], [gone](gone.md), [web](https://x.y), ![p](p.png),\n\
             `[[graph-view]]` stays code.\n",
        ),
        (
            "deep/a/b.md",
            "# Deep\n\n[g](../../notes/graph-view.md) and [[graph-view.md]] and [up](../../).\n\
             [site](../../notes/graph-view/)\n",
        ),
        ("other.md", "# Other\n"),
        ("deep/x/other.md", "# Other too\n"),
        (
            "My Notes/Some Page.md",
            "# Spaced\n\n[g](../notes/graph-view.md)\n",
        ),
        (
            "spaced.md",
            "# Links to spaces\n\n[s](My%20Notes/Some%20Page.md)\n",
        ),
    ]);
    let report = t.ws.import_markdown(dir.path()).await.expect("import");
    assert_eq!(report.pages, 7);
    let (graph, page) = page_at(&t, "notes/graph-view.md").await;
    assert_eq!(page.title, "Graph Visualization");
    let (home, _) = page_at(&t, "index.md").await;
    let (deep, _) = page_at(&t, "deep/a/b.md").await;
    let (other, _) = page_at(&t, "other.md").await;
    let (spaced_page, _) = page_at(&t, "My Notes/Some Page.md").await;
    let (spaced, _) = page_at(&t, "spaced.md").await;
    // A decision written here, with no file of its own: its relative links start at the
    // root.
    let (decision, _) =
        t.ws.create_decision(NewDecision {
            title: "Keep the graph".into(),
            context: "See [[graph-view]] and [the view](notes/graph-view.md).".into(),
            ..NewDecision::default()
        })
        .await
        .expect("decision");
    let mut expected = vec![
        home.clone(),
        deep.clone(),
        spaced_page.clone(),
        decision.clone(),
    ];
    expected.sort();
    assert_eq!(backlinks(&t, &graph).await, expected);
    // Two files named `other.md`: the shortest path wins.
    assert_eq!(backlinks(&t, &other).await, {
        let mut v = vec![home.clone(), graph.clone()];
        v.sort();
        v
    });
    assert_eq!(backlinks(&t, &spaced_page).await, vec![spaced]);
    assert_eq!(backlinks(&t, &home).await, {
        let mut v = vec![graph.clone(), deep.clone()];
        v.sort();
        v
    });

    // Unresolved: only what names no object (not the URL, not the image).
    let unresolved = t.ws.unresolved_links().await.expect("unresolved");
    let listed: Vec<(&str, &str, bool)> = unresolved
        .iter()
        .map(|u| (u.from.title.as_str(), u.target.as_str(), u.wiki))
        .collect();
    assert_eq!(
        listed,
        [("Home", "Missing note", true), ("Home", "gone.md", false)]
    );

    // The file moves to another folder under another name: links that found it by its
    // file follow; the link by title stays as written; its own relative link is
    // recomputed from its new folder.
    let changed =
        t.ws.set_object_path(&graph, Some("features/sub/graph.md".into()))
            .await
            .expect("move");
    let mut changed_sorted = changed.clone();
    changed_sorted.sort();
    assert_eq!(changed_sorted, expected);
    let body = |id: DocId| {
        let ws = t.ws.clone();
        async move {
            ws.get::<meridian_app::core::Page>(&id)
                .await
                .expect("page")
                .body
        }
    };
    assert_eq!(
        body(home.clone()).await,
        "# Home\n\n[[graph]], [[sub/graph#Use|the graph]], ![[graph]],\n\
         [g](features/sub/graph.md#x), [G](<features/sub/graph.md>), [[Graph Visualization]],\n\
         [[other]], [[Missing note]], [gone](gone.md), [web](https://x.y), ![p](p.png),\n\
         `[[graph-view]]` stays code.\n"
    );
    assert_eq!(
        body(deep.clone()).await,
        "# Deep\n\n[g](../../features/sub/graph.md) and [[graph.md]] and [up](../../).\n\
         [site](../../features/sub/graph/)\n"
    );
    assert_eq!(
        body(spaced_page.clone()).await,
        "# Spaced\n\n[g](../features/sub/graph.md)\n"
    );
    let d: meridian_app::core::Decision = t.ws.get(&decision).await.expect("decision");
    assert_eq!(
        d.context,
        "See [[graph]] and [the view](features/sub/graph.md)."
    );
    let moved: meridian_app::core::Page = t.ws.get(&graph).await.expect("page");
    assert_eq!(moved.path.as_deref(), Some("features/sub/graph.md"));
    assert_eq!(
        moved.body,
        "# Graph Visualization\n\nBack [home](../../index.md), see [[other]].\n"
    );
    // Everything still resolves, from a reopened workspace too.
    assert_eq!(backlinks(&t, &graph).await, expected);
    assert_eq!(t.ws.unresolved_links().await.expect("unresolved").len(), 2);
    assert!(backlinks(&t, &home).await.contains(&graph));
    let again = t.reopen().await;
    assert_eq!(again.links(&graph).await.expect("links").backlinks.len(), 4);

    // Moving it back and forth again is as good; the same path again changes nothing.
    assert!(
        t.ws.set_object_path(&graph, Some("features/sub/graph.md".into()))
            .await
            .expect("same path")
            .is_empty()
    );
}

#[tokio::test]
async fn a_moved_file_does_not_take_links_meant_for_another_object() {
    let t = TempWorkspace::new().await;
    let dir = vault(&[
        ("a.md", "# Alpha\n\nSee [[beta]].\n"),
        ("beta.md", "# Beta\n"),
        ("c.md", "# Gamma\n"),
    ]);
    t.ws.import_markdown(dir.path()).await.expect("import");
    let (a, _) = page_at(&t, "a.md").await;
    let (beta, _) = page_at(&t, "beta.md").await;
    let (c, _) = page_at(&t, "c.md").await;
    // `c.md` moves to `x/beta.md`: the shorter `beta.md` keeps the name, so `[[beta]]`
    // still names it and nothing is rewritten.
    let changed =
        t.ws.set_object_path(&c, Some("x/beta.md".into()))
            .await
            .expect("move");
    assert!(changed.is_empty(), "{changed:?}");
    assert_eq!(backlinks(&t, &beta).await, vec![a]);
    // Paths are checked: `..` and other kinds are refused.
    let err =
        t.ws.set_object_path(&c, Some("../out.md".into()))
            .await
            .expect_err("outside");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let me = t.ws.workspace_info().me.id.clone();
    let err =
        t.ws.set_object_path(&me, Some("t.md".into()))
            .await
            .expect_err("a member has no file");
    assert!(
        matches!(err, meridian_app::Error::WrongKind { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn foam_links_follow_a_renamed_note() {
    let Some(foam) = meridian_testkit::corpus("foam-docs") else {
        return;
    };
    let t = TempWorkspace::new().await;
    t.ws.import_markdown(&foam).await.expect("import");
    let (graph, _) = page_at(&t, "user/features/graph-view.md").await;
    let before = backlinks(&t, &graph).await;
    assert_eq!(before.len(), 11);
    let unresolved = t.ws.unresolved_links().await.expect("unresolved").len();

    // The same name in another folder: only relative Markdown links change.
    let changed =
        t.ws.set_object_path(&graph, Some("user/views/graph-view.md".into()))
            .await
            .expect("move");
    assert_eq!(backlinks(&t, &graph).await, before);
    let (navigation, _) = page_at(&t, "user/getting-started/navigation.md").await;
    assert!(changed.contains(&navigation));
    let text =
        t.ws.get::<meridian_app::core::Page>(&navigation)
            .await
            .expect("page")
            .body;
    assert!(text.contains("[[graph-view]]"), "{text}");
    assert!(text.contains("](../views/graph-view.md)"), "{text}");
    // Foam's reference definitions under the note follow too.
    assert!(!text.contains("../features/graph-view.md"), "{text}");

    // A new name: every `[[graph-view]]` becomes `[[graph]]`.
    t.ws.set_object_path(&graph, Some("user/views/graph.md".into()))
        .await
        .expect("rename");
    assert_eq!(backlinks(&t, &graph).await, before);
    assert_eq!(
        t.ws.unresolved_links().await.expect("unresolved").len(),
        unresolved
    );
    let text =
        t.ws.get::<meridian_app::core::Page>(&navigation)
            .await
            .expect("page")
            .body;
    assert!(text.contains("[[graph]]"), "{text}");
    assert!(!text.contains("[[graph-view]]"), "{text}");
    assert!(text.contains("](../views/graph.md)"), "{text}");
}

/// Link facts are kept in the store, keyed by each document's heads: a restarted process
/// takes them from there instead of loading every document, and a row from before an edit
/// is never believed.
#[tokio::test]
async fn link_facts_survive_a_restart_and_stale_ones_are_ignored() {
    let t = TempWorkspace::new().await;
    let plan = page(&t, "Hiring plan", "Who we hire next.").await;
    let onboarding = page(&t, "Onboarding", "Start with [[Hiring plan]].").await;
    let quiet = page(&t, "Quiet", "Links to nothing.").await;
    let back = t.ws.links(&plan).await.expect("links");
    assert_eq!(back.backlinks.len(), 1);
    let store = t.ws.store().clone();
    let stored = || {
        store
            .derived_blocking()
            .expect("derived rows")
            .into_iter()
            .map(|(id, heads, data)| (id, (heads, data)))
            .collect::<std::collections::HashMap<_, _>>()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stored().len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "facts were not stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Proof that a restart reads the stored facts rather than the documents: the row of
    // "Quiet" is rewritten (same heads) to say it links to the plan.
    let (heads, _) = stored()[&quiet].clone();
    let (_, onboarding_facts) = stored()[&onboarding].clone();
    store
        .put_derived(vec![(quiet.clone(), heads, onboarding_facts)])
        .await
        .expect("put");
    let restarted = t.reopen().await;
    let back = restarted.links(&plan).await.expect("links");
    let mut ids: Vec<&DocId> = back.backlinks.iter().map(|o| &o.id).collect();
    ids.sort();
    let mut want = vec![&onboarding, &quiet];
    want.sort();
    assert_eq!(ids, want, "the stored facts were used");

    // An edit moves the heads: the row no longer matches and the document is read again,
    // in this process and in the next.
    restarted
        .update_page(
            &quiet,
            PagePatch {
                body: Some("Still links to nothing.".into()),
                ..PagePatch::default()
            },
        )
        .await
        .expect("edit");
    let back = restarted.links(&plan).await.expect("links");
    assert_eq!(
        back.backlinks.iter().map(|o| &o.id).collect::<Vec<_>>(),
        [&onboarding]
    );
    drop(restarted);
    let again = t.reopen().await;
    let back = again.links(&plan).await.expect("links");
    assert_eq!(
        back.backlinks.iter().map(|o| &o.id).collect::<Vec<_>>(),
        [&onboarding]
    );
}
