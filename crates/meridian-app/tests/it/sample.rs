//! The sample workspace of the first run: every bundled file imports, the pages and
//! decisions are listed with their metadata, and search finds them.

use meridian_app::core::{DecisionStatus, Kind, Object};
use meridian_app::{SAMPLE_FILES, Workspace};
use meridian_testkit::TempWorkspace;

async fn titles(ws: &Workspace, kind: Kind) -> Vec<String> {
    let mut t: Vec<String> = ws
        .list_objects(Some(kind), false)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.title)
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn the_sample_imports_completely_and_is_searchable() {
    let t = TempWorkspace::new().await;
    let report = t.ws.import_sample().await.expect("import the sample");
    assert_eq!(report.pages, 5, "{report:?}");
    assert_eq!(report.decisions, 2, "{report:?}");
    assert!(report.skipped.is_empty(), "{report:?}");
    assert_eq!(
        (report.pages + report.decisions) as usize,
        SAMPLE_FILES.len()
    );

    assert_eq!(
        titles(&t.ws, Kind::Page).await,
        [
            "How we work asynchronously",
            "Onboarding checklist",
            "Retrospectives",
            "Start here",
            "Writing decisions down",
        ]
    );
    assert_eq!(
        titles(&t.ws, Kind::Decision).await,
        [
            "Record decisions as MADR decision records",
            "Replace the Monday call with a written check-in",
        ]
    );

    // Metadata from the front matter and the MADR sections survives the import.
    let mut accepted = None;
    let mut proposed = None;
    for s in
        t.ws.list_objects(Some(Kind::Decision), false)
            .await
            .expect("list")
    {
        let Object::Decision(d) = t.ws.show_object(&s.id).await.expect("show").object else {
            panic!("{} is listed as a decision", s.id)
        };
        match d.status {
            DecisionStatus::Accepted => accepted = Some(d),
            DecisionStatus::Proposed => proposed = Some(d),
            other => panic!("unexpected status {other:?}"),
        }
    }
    let accepted = accepted.expect("the MADR record is accepted");
    let chosen = accepted.chosen().expect("an option is chosen");
    assert_eq!(chosen.title, "MADR 4.0.0");
    assert_eq!(accepted.options.len(), 4, "{:?}", accepted.options);
    assert_eq!(accepted.deciders, ["Ada", "Bo", "Cy"]);
    assert!(!chosen.pros.is_empty() && !accepted.consequences.is_empty());
    let proposed = proposed.expect("the check-in record is proposed");
    assert!(proposed.chosen_option.is_none());
    assert_eq!(proposed.consulted, ["Bo", "Cy"]);
    assert_eq!(proposed.options.len(), 3, "{:?}", proposed.options);

    let pages =
        t.ws.list_objects(Some(Kind::Page), false)
            .await
            .expect("list");
    let start = pages
        .iter()
        .find(|s| s.title == "Start here")
        .expect("the start page");
    let Object::Page(page) = t.ws.show_object(&start.id).await.expect("show").object else {
        panic!("a page")
    };
    assert_eq!(page.tags, ["getting-started"]);
    assert!(page.body.contains("[[Retrospectives]]"), "{}", page.body);

    t.ws.catch_up_search(|_, _| {}).await.expect("index");
    t.ws.flush_search().await.expect("flush");
    let hits = t.ws.search("retrospective", 10).await.expect("search");
    assert!(hits.iter().any(|h| h.title == "Retrospectives"), "{hits:?}");
    let mut tagged: Vec<String> =
        t.ws.search("tag:onboarding", 10)
            .await
            .expect("search by tag")
            .into_iter()
            .map(|h| h.title)
            .collect();
    tagged.sort();
    assert_eq!(tagged, ["Onboarding checklist"]);
    let hits =
        t.ws.search("kind:decision monday", 10)
            .await
            .expect("search");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        hits[0].title,
        "Replace the Monday call with a written check-in"
    );
}
