//! Check-ins through the engine: created with questions, weekdays, a prompt time and
//! participants; asked at each member's local prompt time; answered and re-answered for
//! the member's own local date; read back as a digest per local date.

use meridian_app::NewCheckin;
use meridian_app::core::Role;
use meridian_testkit::TempWorkspace;

fn weekly(participants: &[&str]) -> NewCheckin {
    NewCheckin {
        title: "Daily".into(),
        questions: vec!["What did you ship?".into(), " Anything blocking? ".into()],
        weekdays: vec![4, 0, 1, 2, 3, 1],
        prompt_time: "9:30".into(),
        participants: participants.iter().map(|p| (*p).to_owned()).collect(),
    }
}

#[tokio::test]
async fn a_checkin_asks_at_each_members_morning_and_collects_answers_per_local_date() {
    let t = TempWorkspace::new().await; // Ada, Europe/London; Tuesday 24 Nov 09:00 UTC
    let ws = &t.ws;
    ws.add_member("Bo", "Asia/Tokyo", Role::Editor, None)
        .await
        .expect("Bo");

    let none = ws.create_checkin(NewCheckin {
        questions: vec![" ".into()],
        ..weekly(&[])
    });
    let e = none.await.expect_err("no question");
    assert!(e.to_string().contains("at least one question"), "{e}");
    let e = ws
        .create_checkin(NewCheckin {
            weekdays: Vec::new(),
            ..weekly(&[])
        })
        .await
        .expect_err("no weekday");
    assert!(e.to_string().contains("weekday"), "{e}");
    let e = ws
        .create_checkin(NewCheckin {
            prompt_time: "half past nine".into(),
            ..weekly(&[])
        })
        .await
        .expect_err("no time");
    assert!(e.to_string().contains("HH:MM"), "{e}");

    let (id, c) = ws
        .create_checkin(weekly(&["Ada", "Bo"]))
        .await
        .expect("create");
    assert_eq!(c.weekdays, [0, 1, 2, 3, 4]);
    assert_eq!(c.prompt_time, "09:30");
    assert_eq!(c.questions[1], "Anything blocking?");

    // 09:00 in London: asked today at 09:30, not yet due.
    let view = ws.checkins(None).await.expect("view");
    assert_eq!(view.today, "2026-11-24");
    let card = &view.cards[0];
    assert!(card.participant && card.asks_today && !card.due);
    assert_eq!(card.prompt_at.as_deref(), Some("2026-11-24T09:30:00Z"));
    assert_eq!(card.participant_names, ["Ada", "Bo"]);

    // 09:45: due; answering ends that, and answering again replaces the answer.
    t.clock.advance_ms(45 * 60_000);
    assert!(ws.checkins(None).await.expect("view").cards[0].due);
    ws.answer_checkin(&id, vec!["The relay".into(), "No".into()], None)
        .await
        .expect("answer");
    ws.answer_checkin(&id, vec!["The relay, deployed".into(), "No".into()], None)
        .await
        .expect("edit the answer");
    let card = ws.checkins(None).await.expect("view").cards.remove(0);
    assert!(!card.due);
    assert_eq!(
        card.my_answers.as_deref(),
        Some(&["The relay, deployed".to_owned(), "No".to_owned()][..])
    );
    assert_eq!(card.next_prompt.as_deref(), Some("2026-11-25T09:30:00Z"));

    // 16:00 UTC is already Wednesday 01:00 in Tokyo: Bo's answer is for the 25th.
    t.clock.advance_ms(6 * 3_600_000 + 15 * 60_000);
    ws.answer_checkin(&id, vec!["Sleeping".into(), "Yes".into()], Some("Bo"))
        .await
        .expect("Bo answers");
    let today = ws.checkin_digest(&id, None).await.expect("digest");
    assert_eq!(today.date, "2026-11-24");
    assert_eq!(today.answers.len(), 1);
    assert_eq!(today.answers[0].name, "Ada");
    assert_eq!(today.answers[0].answers[0], "The relay, deployed");
    assert_eq!(today.missing, ["Bo"], "Bo owed Tuesday's too");
    let tomorrow = ws
        .checkin_digest(&id, Some("2026-11-25"))
        .await
        .expect("digest");
    assert_eq!(tomorrow.answers.len(), 1);
    assert_eq!(tomorrow.answers[0].name, "Bo");
    let card = ws.checkins(None).await.expect("view").cards.remove(0);
    assert_eq!(card.answered_dates, ["2026-11-25", "2026-11-24"]);

    // A check-in without me shows, but never asks me.
    ws.create_checkin(NewCheckin {
        title: "Tokyo only".into(),
        ..weekly(&["Bo"])
    })
    .await
    .expect("create");
    let view = t.reopen().await.checkins(None).await.expect("view");
    let theirs = view
        .cards
        .iter()
        .find(|c| c.title == "Tokyo only")
        .expect("listed");
    assert!(!theirs.participant && !theirs.asks_today && theirs.next_prompt.is_none());
}
