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
