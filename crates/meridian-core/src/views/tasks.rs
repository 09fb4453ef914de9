//! The task list: every task with the bucket its due date falls in on its owner's own
//! calendar (overdue, today, this week, later, no date), so a task due "Tuesday" in
//! Kathmandu is overdue there while it is still Tuesday in New York.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::labels::label_enum;
use crate::norms::{Person, utc_rfc3339};
use crate::objects::{Task, TaskState};
use crate::parse_date;
use crate::time::earliest;

label_enum! {
    /// Where a task's due date falls, seen from its owner's calendar. Finished tasks (done
    /// or dropped) are `done` whatever their date.
    DueBucket {
        Overdue = "overdue",
        Today = "today",
        ThisWeek = "this-week",
        Later = "later",
        NoDate = "no-date",
        Done = "done",
    }
}

impl DueBucket {
    /// Where a due date falls when the owner's calendar shows `today`. "This week" runs to
    /// the end of the owner's ISO week (Sunday); a date after that is "later".
    pub fn of(due: Option<NaiveDate>, today: NaiveDate) -> DueBucket {
        let Some(due) = due else {
            return DueBucket::NoDate;
        };
        let days_to_sunday = 6 - i64::from(today.weekday().num_days_from_monday());
        let ahead = (due - today).num_days();
        if ahead < 0 {
            DueBucket::Overdue
        } else if ahead == 0 {
            DueBucket::Today
        } else if ahead <= days_to_sunday {
            DueBucket::ThisWeek
        } else {
            DueBucket::Later
        }
    }

    /// Order of the groups in the list.
    fn rank(self) -> usize {
        DueBucket::ALL
            .iter()
            .position(|b| *b == self)
            .unwrap_or(usize::MAX)
    }
}

/// One task as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TaskRow {
    pub id: String,
    pub title: String,
    pub state: TaskState,
    /// Member id and name; `None` for an unassigned task.
    pub owner: Option<String>,
    pub owner_name: Option<String>,
    /// The zone the bucket was computed in: the owner's (travel included), or the
    /// viewer's for an unassigned task.
    pub tz: String,
    /// `YYYY-MM-DD` on the owner's calendar.
    pub due: Option<String>,
    /// The end of the due date on the owner's calendar, RFC 3339 UTC.
    pub due_end: Option<String>,
    pub bucket: DueBucket,
    /// Whole days from the owner's today to the due date (negative when overdue).
    #[ts(type = "number | null")]
    pub days_left: Option<i64>,
    pub source: Option<crate::objects::TaskSource>,
    pub mine: bool,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

/// Every task (or only `me`'s), grouped by bucket in list order, then by due date, then
/// by title. `me`'s calendar decides for unassigned tasks.
pub fn task_rows(
    tasks: &[(String, Task)],
    people: &BTreeMap<String, Person>,
    me: &str,
    only_mine: bool,
    at: DateTime<Utc>,
) -> Vec<TaskRow> {
    let viewer = people.get(me);
    let mut rows: Vec<TaskRow> = tasks
        .iter()
        .filter(|(_, t)| !only_mine || t.owner.as_deref() == Some(me))
        .map(|(id, t)| {
            let owner = t.owner.as_deref().and_then(|o| people.get(o));
            let calendar = owner.or(viewer);
            let today = calendar.map_or_else(|| at.date_naive(), |p| p.schedule.local_date(at));
            let due = t.due.as_deref().and_then(|d| parse_date("due", d).ok());
            let finished = matches!(t.state, TaskState::Done | TaskState::Dropped);
            let bucket = if finished {
                DueBucket::Done
            } else {
                DueBucket::of(due, today)
            };
            let due_end = due.zip(calendar).and_then(|(d, p)| {
                let next = d.succ_opt()?;
                Some(utc_rfc3339(earliest(
                    p.schedule.zone_on(next),
                    crate::time::at(next, 0),
                )))
            });
            TaskRow {
                id: id.clone(),
                title: t.title.clone(),
                state: t.state,
                owner: t.owner.clone(),
                owner_name: owner.map(|p| p.name().to_owned()),
                tz: calendar.map_or_else(
                    || "UTC".to_owned(),
                    |p| p.schedule.zone_at(at).name().to_owned(),
                ),
                due: t.due.clone(),
                due_end,
                bucket,
                days_left: due.map(|d| (d - today).num_days()),
                source: t.source.clone(),
                mine: t.owner.as_deref() == Some(me),
                created_at_ms: t.created_at_ms,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &TaskRow| (r.bucket.rank(), r.due_end.is_none(), r.due_end.clone());
        key(a)
            .cmp(&key(b))
            .then_with(|| a.title.to_lowercase().cmp(&b.title.to_lowercase()))
            .then_with(|| a.id.cmp(&b.id))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{Member, Role};
    use rstest::rstest;

    fn date(s: &str) -> NaiveDate {
        parse_date("test", s).expect("a test date")
    }

    #[rstest]
    // Tuesday 24 November 2026.
    #[case("2026-11-23", DueBucket::Overdue)]
    #[case("2026-11-24", DueBucket::Today)]
    #[case("2026-11-25", DueBucket::ThisWeek)]
    #[case("2026-11-29", DueBucket::ThisWeek)] // Sunday ends the week
    #[case("2026-11-30", DueBucket::Later)]
    fn buckets_follow_the_owners_week(#[case] due: &str, #[case] bucket: DueBucket) {
        assert_eq!(DueBucket::of(Some(date(due)), date("2026-11-24")), bucket);
    }

    #[test]
    fn on_a_sunday_tomorrow_is_already_later_and_no_date_is_its_own_group() {
        assert_eq!(
            DueBucket::of(Some(date("2026-11-30")), date("2026-11-29")),
            DueBucket::Later
        );
        assert_eq!(DueBucket::of(None, date("2026-11-29")), DueBucket::NoDate);
    }

    fn person(id: &str, tz: &str) -> (String, Person) {
        let m = Member::new(id, tz, Role::Editor);
        (id.to_owned(), Person::new(id, m).expect("a valid member"))
    }

    fn task(title: &str, owner: Option<&str>, due: Option<&str>, state: TaskState) -> Task {
        Task {
            title: title.into(),
            owner: owner.map(Into::into),
            due: due.map(Into::into),
            state,
            source: None,
            created_at_ms: 0,
        }
    }

    #[test]
    fn the_same_date_is_overdue_in_auckland_and_today_in_los_angeles() {
        // 20:00 UTC on Tuesday 24 Nov: Wednesday 09:00 in Auckland, Tuesday 12:00 in LA.
        let at = DateTime::parse_from_rfc3339("2026-11-24T20:00:00Z")
            .expect("instant")
            .to_utc();
        let people: BTreeMap<_, _> = [
            person("kiri", "Pacific/Auckland"),
            person("lou", "America/Los_Angeles"),
        ]
        .into_iter()
        .collect();
        let tasks = vec![
            (
                "a".to_owned(),
                task("Kiri's", Some("kiri"), Some("2026-11-24"), TaskState::Open),
            ),
            (
                "b".to_owned(),
                task("Lou's", Some("lou"), Some("2026-11-24"), TaskState::Doing),
            ),
            (
                "c".to_owned(),
                task(
                    "Kiri's next",
                    Some("kiri"),
                    Some("2026-11-25"),
                    TaskState::Open,
                ),
            ),
            (
                "d".to_owned(),
                task(
                    "Lou's next",
                    Some("lou"),
                    Some("2026-11-25"),
                    TaskState::Open,
                ),
            ),
            (
                "e".to_owned(),
                task("Shipped", Some("lou"), Some("2026-11-01"), TaskState::Done),
            ),
            ("f".to_owned(), task("Someday", None, None, TaskState::Open)),
        ];
        let rows = task_rows(&tasks, &people, "lou", false, at);
        let got: Vec<(&str, DueBucket)> =
            rows.iter().map(|r| (r.title.as_str(), r.bucket)).collect();
        assert_eq!(
            got,
            [
                ("Kiri's", DueBucket::Overdue),
                // Within a group, by when the day ends: Tuesday ends in LA (08:00 UTC
                // Wednesday) before Wednesday ends in Auckland (11:00 UTC).
                ("Lou's", DueBucket::Today),
                ("Kiri's next", DueBucket::Today),
                ("Lou's next", DueBucket::ThisWeek),
                ("Someday", DueBucket::NoDate),
                ("Shipped", DueBucket::Done),
            ]
        );
        let kiri = &rows[0];
        assert_eq!(kiri.tz, "Pacific/Auckland");
        assert_eq!(kiri.days_left, Some(-1));
        // The end of Tuesday in Auckland (UTC+13 in summer).
        assert_eq!(kiri.due_end.as_deref(), Some("2026-11-24T11:00:00Z"));
        // An unassigned task is read on the viewer's calendar.
        assert_eq!(rows[4].tz, "America/Los_Angeles");

        let mine = task_rows(&tasks, &people, "lou", true, at);
        assert_eq!(mine.len(), 3);
        assert!(mine.iter().all(|r| r.mine));
    }
}
