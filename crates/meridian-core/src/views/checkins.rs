//! Check-ins as one member sees them: which ask them something today (at the prompt time
//! on their own clock, on the check-in's weekdays, unless they are away), what they
//! answered, when the next prompt comes, and which dates have answers to read.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::norms::{Person, checkin_due, checkin_prompt, utc_rfc3339};
use crate::objects::Checkin;

/// How far ahead the next prompt is looked for.
const LOOKAHEAD_DAYS: i64 = 14;
/// How many answered dates a card lists for the digest.
const DATES_LISTED: usize = 60;

/// One check-in, from one member's point of view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CheckinCard {
    pub id: String,
    pub title: String,
    pub questions: Vec<String>,
    /// 0 = Monday … 6 = Sunday.
    pub weekdays: Vec<u8>,
    /// `HH:MM` on each participant's clock.
    pub prompt_time: String,
    /// Member ids and names, in the same order.
    pub participants: Vec<String>,
    pub participant_names: Vec<String>,
    /// Whether the viewer takes part.
    pub participant: bool,
    /// The viewer's local date, `YYYY-MM-DD`.
    pub today: String,
    /// Today is one of its days for the viewer (and they are not away).
    pub asks_today: bool,
    /// Today's prompt, RFC 3339 UTC and on the viewer's clock.
    pub prompt_at: Option<String>,
    pub prompt_local: Option<String>,
    /// Prompted today and not answered yet.
    pub due: bool,
    /// The viewer's answers for today, if given.
    pub my_answers: Option<Vec<String>>,
    /// The next prompt still to come (today's if it has not come yet), UTC and local.
    pub next_prompt: Option<String>,
    pub next_prompt_local: Option<String>,
    /// Local dates with answers, newest first (at most 60).
    pub answered_dates: Vec<String>,
}

/// Every check-in with the viewer's state: the ones due first, then those asking today,
/// then by title.
pub fn checkin_cards(
    checkins: &[(String, Checkin)],
    people: &BTreeMap<String, Person>,
    me: &str,
    at: DateTime<Utc>,
) -> Vec<CheckinCard> {
    let my = people.get(me);
    let today = my.map_or_else(|| at.date_naive(), |p| p.schedule.local_date(at));
    let day = today.format("%Y-%m-%d").to_string();
    let mut cards: Vec<CheckinCard> = checkins
        .iter()
        .map(|(id, c)| {
            let participant = c.participants.iter().any(|p| p == me);
            let prompt = my
                .filter(|_| participant)
                .and_then(|p| checkin_prompt(c, p, today));
            let my_answers = c
                .entries
                .iter()
                .find(|e| e.member == me && e.date == day)
                .map(|e| e.answers.clone());
            let due = my.is_some_and(|p| checkin_due(c, p, at).is_some());
            let next = my.filter(|_| participant).and_then(|p| {
                (0..=LOOKAHEAD_DAYS)
                    .filter_map(|n| today.checked_add_signed(TimeDelta::days(n)))
                    .filter_map(|d| checkin_prompt(c, p, d))
                    .find(|t| *t > at)
            });
            let dates: BTreeSet<&str> = c.entries.iter().map(|e| e.date.as_str()).collect();
            CheckinCard {
                id: id.clone(),
                title: c.title.clone(),
                questions: c.questions.clone(),
                weekdays: c.weekdays.clone(),
                prompt_time: c.prompt_time.clone(),
                participants: c.participants.clone(),
                participant_names: c
                    .participants
                    .iter()
                    .map(|m| {
                        people
                            .get(m)
                            .map_or_else(|| m.clone(), |p| p.name().to_owned())
                    })
                    .collect(),
                participant,
                today: day.clone(),
                asks_today: prompt.is_some(),
                prompt_at: prompt.map(utc_rfc3339),
                prompt_local: prompt.zip(my).map(|(t, p)| p.local_rfc3339(t)),
                due,
                my_answers,
                next_prompt: next.map(utc_rfc3339),
                next_prompt_local: next.zip(my).map(|(t, p)| p.local_rfc3339(t)),
                answered_dates: dates
                    .into_iter()
                    .rev()
                    .take(DATES_LISTED)
                    .map(str::to_owned)
                    .collect(),
            }
        })
        .collect();
    cards.sort_by(|a, b| {
        (!a.due, !a.asks_today, a.title.to_lowercase(), &a.id).cmp(&(
            !b.due,
            !b.asks_today,
            b.title.to_lowercase(),
            &b.id,
        ))
    });
    cards
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{CheckinEntry, Member, Role};

    fn person(id: &str, tz: &str) -> (String, Person) {
        (
            id.to_owned(),
            Person::new(id, Member::new(id, tz, Role::Editor)).expect("a valid member"),
        )
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("instant").to_utc()
    }

    fn standup(entries: Vec<CheckinEntry>) -> Checkin {
        Checkin {
            title: "Standup".into(),
            questions: vec!["What did you ship?".into()],
            weekdays: vec![0, 1, 2, 3, 4],
            prompt_time: "09:30".into(),
            participants: vec!["ana".into(), "bo".into()],
            entries,
            created_at_ms: 0,
        }
    }

    #[test]
    fn the_prompt_comes_at_each_members_own_morning() {
        let people: BTreeMap<_, _> = [person("ana", "Europe/Berlin"), person("bo", "Asia/Tokyo")]
            .into_iter()
            .collect();
        let checkins = vec![("c".to_owned(), standup(Vec::new()))];
        // Tuesday 24 Nov, 08:00 UTC: 09:00 in Berlin (not yet prompted), 17:00 in Tokyo.
        let now = at("2026-11-24T08:00:00Z");
        let ana = &checkin_cards(&checkins, &people, "ana", now)[0];
        assert!(ana.asks_today && !ana.due);
        assert_eq!(ana.prompt_at.as_deref(), Some("2026-11-24T08:30:00Z"));
        assert_eq!(ana.next_prompt.as_deref(), Some("2026-11-24T08:30:00Z"));
        assert_eq!(
            ana.prompt_local.as_deref(),
            Some("2026-11-24T09:30:00+01:00")
        );
        let bo = &checkin_cards(&checkins, &people, "bo", now)[0];
        assert!(bo.due, "09:30 in Tokyo has passed");
        assert_eq!(bo.today, "2026-11-24");
        // The next one is Wednesday morning in Tokyo.
        assert_eq!(bo.next_prompt.as_deref(), Some("2026-11-25T00:30:00Z"));
    }

    #[test]
    fn an_answer_ends_the_due_state_and_lists_its_date() {
        let people: BTreeMap<_, _> = [person("ana", "Europe/Berlin"), person("bo", "Asia/Tokyo")]
            .into_iter()
            .collect();
        let entry = CheckinEntry {
            member: "bo".into(),
            date: "2026-11-24".into(),
            answers: vec!["The relay".into()],
            at_ms: 0,
        };
        let checkins = vec![("c".to_owned(), standup(vec![entry]))];
        let bo = &checkin_cards(&checkins, &people, "bo", at("2026-11-24T08:00:00Z"))[0];
        assert!(!bo.due && bo.asks_today);
        assert_eq!(
            bo.my_answers.as_deref(),
            Some(&["The relay".to_owned()][..])
        );
        assert_eq!(bo.answered_dates, ["2026-11-24"]);
        // Saturday: no prompt that day, the next is Monday.
        let sat = &checkin_cards(&checkins, &people, "bo", at("2026-11-28T03:00:00Z"))[0];
        assert!(!sat.asks_today && !sat.due);
        assert_eq!(sat.next_prompt.as_deref(), Some("2026-11-30T00:30:00Z"));
        // Someone who does not take part is never asked.
        let people2: BTreeMap<_, _> = people.into_iter().chain([person("cy", "UTC")]).collect();
        let cy = &checkin_cards(&checkins, &people2, "cy", at("2026-11-24T12:00:00Z"))[0];
        assert!(!cy.participant && !cy.asks_today && !cy.due && cy.next_prompt.is_none());
    }
}
