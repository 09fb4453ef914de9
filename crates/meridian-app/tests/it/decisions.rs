use meridian_app::core::{DecisionStatus, Kind};
use meridian_app::{DecisionPatch, ErrorKind, NewDecision, NewOption};
use meridian_testkit::TempWorkspace;

fn options(titles: &[&str]) -> Vec<NewOption> {
    titles
        .iter()
        .map(|t| NewOption {
            title: (*t).into(),
            ..NewOption::default()
        })
        .collect()
}

#[tokio::test]
async fn a_refused_transition_changes_nothing_and_explains_itself() {
    let t = TempWorkspace::new().await;
    let (id, _) =
        t.ws.create_decision(NewDecision {
            title: "Queue".into(),
            options: options(&["Kafka", "NATS"]),
            ..NewDecision::default()
        })
        .await
        .expect("create");
    t.ws.set_decision_status(&id, DecisionStatus::Proposed)
        .await
        .expect("propose");
    let err =
        t.ws.set_decision_status(&id, DecisionStatus::Accepted)
            .await
            .expect_err("refused");
    let api = meridian_app::ApiError::from(err);
    assert_eq!(api.kind, ErrorKind::Invalid);
    assert!(api.detail.contains("chosen option"), "{}", api.detail);
    let d = t
        .reopen()
        .await
        .get::<meridian_app::core::Decision>(&id)
        .await
        .expect("get");
    assert_eq!(d.status, DecisionStatus::Proposed);

    t.ws.choose_option(&id, "nats", Some("Simpler to run".into()))
        .await
        .expect("choose");
    let d =
        t.ws.set_decision_status(&id, DecisionStatus::Accepted)
            .await
            .expect("accept");
    assert_eq!(d.chosen().map(|o| o.title.as_str()), Some("NATS"));
    let list = t
        .reopen()
        .await
        .list_objects(Some(Kind::Decision), false)
        .await
        .expect("list");
    assert_eq!(list[0].status.as_deref(), Some("accepted"));
}

#[tokio::test]
async fn options_keep_their_ids_across_edits() {
    let t = TempWorkspace::new().await;
    let (id, d) =
        t.ws.create_decision(NewDecision {
            title: "Q".into(),
            options: options(&["A", "B"]),
            ..NewDecision::default()
        })
        .await
        .expect("create");
    let mut opts = d.options.clone();
    opts[0].pros.push("fast".into());
    opts.push(meridian_app::core::DecisionOption {
        id: String::new(),
        title: "C".into(),
        description: String::new(),
        pros: vec![],
        cons: vec![],
    });
    let d2 =
        t.ws.update_decision(
            &id,
            DecisionPatch {
                options: Some(opts),
                ..DecisionPatch::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(d2.options[0].id, d.options[0].id);
    assert_eq!(d2.options[0].pros, ["fast"]);
    assert!(!d2.options[2].id.is_empty());
}

#[tokio::test]
async fn unknown_ids_and_wrong_kinds_are_typed_errors() {
    let t = TempWorkspace::new().await;
    let missing = "0123456789abcdef0123456789abcdef".parse().expect("id");
    let err = t.ws.show_object(&missing).await.expect_err("missing");
    assert_eq!(meridian_app::ApiError::from(err).kind, ErrorKind::NotFound);
    let (page, _) =
        t.ws.create_page(meridian_app::NewPage {
            title: "P".into(),
            ..Default::default()
        })
        .await
        .expect("page");
    let err =
        t.ws.set_decision_status(&page, DecisionStatus::Proposed)
            .await
            .expect_err("wrong kind");
    assert!(
        err.to_string().contains("is a page, not a decision"),
        "{err}"
    );
}
