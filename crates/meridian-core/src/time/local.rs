//! Local wall-clock times resolved to instants, across DST gaps and folds.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Minutes since local midnight; `1440` is the end of the day.
pub type Minute = u32;

/// `date` at `minute` (which may be 1440, the next midnight).
pub fn at(date: NaiveDate, minute: Minute) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).expect("midnight exists") + TimeDelta::minutes(i64::from(minute))
}

/// The first instant at which the wall clock in `tz` shows `local`: in a fold, the earlier
/// pass; in a gap, the instant the clocks jump (the wall clock never shows `local` there).
pub fn earliest(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(a, b) => a.to_utc().min(b.to_utc()),
        LocalResult::None => gap_end(tz, local),
    }
}

/// The last instant at which the wall clock in `tz` shows `local`: in a fold, the later
/// pass; in a gap, the instant the clocks jump.
pub fn latest(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(a, b) => a.to_utc().max(b.to_utc()),
        LocalResult::None => gap_end(tz, local),
    }
}

/// The instant a DST gap containing `local` ends. Modern transitions fall on whole minutes,
/// and the longest gap in the database is one day (Pacific/Apia, December 2011).
fn gap_end(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(local)
        + TimeDelta::minutes(1);
    for _ in 0..3 * 1440 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.to_utc(),
            LocalResult::Ambiguous(a, b) => return a.to_utc().min(b.to_utc()),
            LocalResult::None => probe += TimeDelta::minutes(1),
        }
    }
    // Not reachable with the time zone database; read the clock as UTC rather than loop.
    local.and_utc()
}

/// A half-open range of instants `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    pub fn len(&self) -> TimeDelta {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The part of this span inside `other`.
    pub fn overlap(&self, other: &Span) -> TimeDelta {
        let (s, e) = (self.start.max(other.start), self.end.min(other.end));
        if e > s { e - s } else { TimeDelta::zero() }
    }

    /// Local minutes `[from, to)` on `date` in `tz`; `to <= from` runs into the next day.
    pub fn local(tz: Tz, date: NaiveDate, from: Minute, to: Minute) -> Span {
        let end_date = if to <= from {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        };
        Span {
            start: earliest(tz, at(date, from)),
            end: latest(tz, at(end_date, to)),
        }
    }
}
