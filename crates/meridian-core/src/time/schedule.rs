//! A member's week resolved to instants: working time, out of office, focus, travel.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::hours::{parse_interval, week};
use super::local::{Minute, Span};
use crate::objects::{Member, QuietHours};
use crate::{Error, parse_date};

/// How far ahead (or back) working time is looked for before giving up: a member out of
/// office for longer than this has, for Meridian's purposes, no working time.
pub const HORIZON_DAYS: i64 = 730;

/// How many back-to-back blocks (focus, quiet hours) are joined into one hold: a year of
/// daily ones. A calendar with no free time at all is released after that.
const MAX_JOINED: usize = 800;

/// Sorts spans and joins the ones that overlap or touch.
fn join(spans: &mut Vec<Span>) {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans.drain(..) {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    *spans = out;
}

/// One member's calendar, parsed once and queried many times. Built from a [`Member`];
/// every query takes the instant it is about (there is no clock in here).
#[derive(Debug, Clone)]
pub struct Schedule {
    name: String,
    home: Tz,
    week: [Vec<(Minute, Minute)>; 7],
    away: Vec<(NaiveDate, NaiveDate)>,
    travel: Option<(Tz, NaiveDate, NaiveDate)>,
    focus_weekly: [Vec<(Minute, Minute)>; 7],
    focus_once: Vec<(NaiveDate, Minute, Minute)>,
}

fn zone(tz: &str) -> Result<Tz, Error> {
    tz.trim()
        .parse()
        .map_err(|_| Error::UnknownTimeZone(tz.chars().take(60).collect()))
}

impl Schedule {
    pub fn of(member: &Member) -> Result<Schedule, Error> {
        let mut away = Vec::new();
        for r in &member.out_of_office {
            away.push((
                parse_date("out of office", &r.from)?,
                parse_date("out of office", &r.to)?,
            ));
        }
        let travel = match &member.travel {
            Some(t) => Some((
                zone(&t.tz)?,
                parse_date("travel", &t.from)?,
                parse_date("travel", &t.to)?,
            )),
            None => None,
        };
        let mut focus_weekly: [Vec<(Minute, Minute)>; 7] = Default::default();
        let mut focus_once = Vec::new();
        for f in &member.focus_blocks {
            let interval = parse_interval("focus block", &format!("{}-{}", f.start, f.end))?;
            match &f.date {
                Some(date) => {
                    focus_once.push((parse_date("focus block", date)?, interval.0, interval.1))
                }
                None => {
                    for &d in &f.weekdays {
                        if d > 6 {
                            return Err(Error::InvalidWeekday(d));
                        }
                        focus_weekly[usize::from(d)].push(interval);
                    }
                }
            }
        }
        Ok(Schedule {
            name: member.display_name.clone(),
            home: zone(&member.tz)?,
            week: week(&member.working_hours)?,
            away,
            travel,
            focus_weekly,
            focus_once,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn has_working_hours(&self) -> bool {
        self.week.iter().any(|d| !d.is_empty())
    }

    /// The zone the member lives by on local date `date`: the travel zone while travelling.
    pub fn zone_on(&self, date: NaiveDate) -> Tz {
        match self.travel {
            Some((tz, from, to)) if from <= date && date <= to => tz,
            _ => self.home,
        }
    }

    /// The zone the member lives by at `t`: the travel zone while its own wall clock shows
    /// one of the travel dates.
    pub fn zone_at(&self, t: DateTime<Utc>) -> Tz {
        match self.travel {
            Some((tz, from, to)) => {
                let there = t.with_timezone(&tz).date_naive();
                if from <= there && there <= to {
                    tz
                } else {
                    self.home
                }
            }
            None => self.home,
        }
    }

    /// `t` on the member's wall clock.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<Tz> {
        t.with_timezone(&self.zone_at(t))
    }

    pub fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local(t).date_naive()
    }

    /// Whether local date `date` falls in an out-of-office range (holidays included).
    pub fn is_away_on(&self, date: NaiveDate) -> bool {
        self.away
            .iter()
            .any(|&(from, to)| from <= date && date <= to)
    }

    pub fn is_away_at(&self, t: DateTime<Utc>) -> bool {
        self.is_away_on(self.local_date(t))
    }

    /// The working spans of local date `date`, in order.
    pub fn day_spans(&self, date: NaiveDate) -> Vec<Span> {
        if self.is_away_on(date) {
            return Vec::new();
        }
        let tz = self.zone_on(date);
        self.week[date.weekday().num_days_from_monday() as usize]
            .iter()
            .map(|&(from, to)| Span::local(tz, date, from, to))
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Working spans from `t` on, in order, the first one cut to start at `t`, touching
    /// and overlapping spans joined, for up to [`HORIZON_DAYS`].
    ///
    /// Days are read in order, but a travel day read in a zone further east can start
    /// before the previous home day ends; so spans are buffered and only released once no
    /// later day can produce an earlier one (a local date starts at most 16 hours before
    /// its UTC midnight).
    pub fn spans_from(&self, t: DateTime<Utc>) -> impl Iterator<Item = Span> + '_ {
        let first = t.date_naive() - TimeDelta::days(2);
        let mut next_day = first;
        let mut buf: Vec<Span> = Vec::new();
        std::iter::from_fn(move || {
            loop {
                let exhausted = next_day - first > TimeDelta::days(HORIZON_DAYS);
                let bound = next_day.and_time(NaiveTime::MIN).and_utc() - TimeDelta::hours(16);
                if let Some(s) = buf.first().copied()
                    && (exhausted || s.end <= bound)
                {
                    buf.remove(0);
                    let span = Span {
                        start: s.start.max(t),
                        end: s.end,
                    };
                    if span.is_empty() {
                        continue;
                    }
                    return Some(span);
                }
                if exhausted {
                    return None;
                }
                buf.extend(self.day_spans(next_day));
                join(&mut buf);
                next_day = next_day.succ_opt()?;
            }
        })
    }

    /// Working spans before `t`, latest first, the first one cut to end at `t`, touching
    /// and overlapping spans joined (see [`Schedule::spans_from`]).
    pub fn spans_before(&self, t: DateTime<Utc>) -> impl Iterator<Item = Span> + '_ {
        let last = t.date_naive() + TimeDelta::days(2);
        let mut next_day = last;
        let mut buf: Vec<Span> = Vec::new();
        std::iter::from_fn(move || {
            loop {
                let exhausted = last - next_day > TimeDelta::days(HORIZON_DAYS);
                // A local date ends at most 16 hours after the UTC midnight that ends it.
                let bound =
                    next_day.succ_opt()?.and_time(NaiveTime::MIN).and_utc() + TimeDelta::hours(16);
                if let Some(s) = buf.last().copied()
                    && (exhausted || s.start >= bound)
                {
                    buf.pop();
                    let span = Span {
                        start: s.start,
                        end: s.end.min(t),
                    };
                    if span.is_empty() {
                        continue;
                    }
                    return Some(span);
                }
                if exhausted {
                    return None;
                }
                buf.extend(self.day_spans(next_day));
                join(&mut buf);
                next_day = next_day.pred_opt()?;
            }
        })
    }

    fn days_around(&self, t: DateTime<Utc>) -> impl Iterator<Item = NaiveDate> {
        let d = self.local_date(t);
        [d.pred_opt(), Some(d), d.succ_opt()].into_iter().flatten()
    }

    pub fn is_working_at(&self, t: DateTime<Utc>) -> bool {
        self.days_around(t)
            .any(|d| self.day_spans(d).iter().any(|s| s.contains(t)))
    }

    fn no_hours(&self) -> Error {
        Error::NoWorkingHours(self.name.clone())
    }

    fn no_time(&self) -> Error {
        Error::NoWorkingTime {
            member: self.name.clone(),
            days: HORIZON_DAYS,
        }
    }

    /// The first instant at or after `t` at which the member is working.
    pub fn next_working_start(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
        if !self.has_working_hours() {
            return Err(self.no_hours());
        }
        self.spans_from(t)
            .next()
            .map(|s| s.start)
            .ok_or_else(|| self.no_time())
    }

    /// When the stretch of work containing `t` ends (contiguous spans joined), if working.
    pub fn working_until(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.is_working_at(t) {
            return None;
        }
        let mut end = t;
        for s in self.spans_from(t) {
            if s.start > end {
                break;
            }
            end = s.end;
        }
        Some(end)
    }

    /// The instant `amount` of the member's working time after `t`. Time outside working
    /// hours does not count; a zero amount gives `t` itself.
    pub fn add_working(&self, t: DateTime<Utc>, amount: TimeDelta) -> Result<DateTime<Utc>, Error> {
        if amount <= TimeDelta::zero() {
            return Ok(t);
        }
        if !self.has_working_hours() {
            return Err(self.no_hours());
        }
        let mut left = amount;
        for s in self.spans_from(t) {
            if left <= s.len() {
                return Ok(s.start + left);
            }
            left -= s.len();
        }
        Err(self.no_time())
    }

    /// The instant `amount` of the member's working time before `t`.
    pub fn sub_working(&self, t: DateTime<Utc>, amount: TimeDelta) -> Result<DateTime<Utc>, Error> {
        if amount <= TimeDelta::zero() {
            return Ok(t);
        }
        if !self.has_working_hours() {
            return Err(self.no_hours());
        }
        let mut left = amount;
        for s in self.spans_before(t) {
            if left <= s.len() {
                return Ok(s.end - left);
            }
            left -= s.len();
        }
        Err(self.no_time())
    }

    /// How much of `span` lies inside the member's working time.
    pub fn working_within(&self, span: Span) -> TimeDelta {
        let mut total = TimeDelta::zero();
        for s in self.spans_from(span.start) {
            if s.start >= span.end {
                break;
            }
            total += s.overlap(&span);
        }
        total
    }

    /// The start of the member's next working day at or after `t`: the first working span
    /// of a local day that begins no earlier than `t` ("in their morning").
    pub fn next_morning(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
        if !self.has_working_hours() {
            return Err(self.no_hours());
        }
        let first = t.date_naive() - TimeDelta::days(2);
        (0..HORIZON_DAYS)
            .filter_map(|i| first.checked_add_signed(TimeDelta::days(i)))
            .find_map(|d| {
                self.day_spans(d)
                    .first()
                    .map(|s| s.start)
                    .filter(|s| *s >= t)
            })
            .ok_or_else(|| self.no_time())
    }

    /// The focus blocks of local date `date`.
    pub fn focus_spans(&self, date: NaiveDate) -> Vec<Span> {
        let tz = self.zone_on(date);
        let weekly = self.focus_weekly[date.weekday().num_days_from_monday() as usize].iter();
        let once = self
            .focus_once
            .iter()
            .filter(|(d, ..)| *d == date)
            .map(|(_, from, to)| (*from, *to));
        let mut spans: Vec<Span> = weekly
            .copied()
            .chain(once)
            .map(|(from, to)| Span::local(tz, date, from, to))
            .filter(|s| !s.is_empty())
            .collect();
        spans.sort();
        spans
    }

    /// How much of `span` lies inside the member's focus blocks.
    pub fn focus_within(&self, span: Span) -> TimeDelta {
        let mut date = self
            .local_date(span.start)
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        let last = self
            .local_date(span.end)
            .succ_opt()
            .unwrap_or(NaiveDate::MAX);
        let mut blocks = Vec::new();
        while date <= last {
            blocks.extend(self.focus_spans(date));
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        blocks.sort();
        // Blocks may overlap (a weekly and a one-off one); count each instant once.
        let (mut total, mut covered_to) = (TimeDelta::zero(), span.start);
        for b in blocks {
            let start = b.start.max(covered_to);
            let end = b.end.min(span.end);
            if end > start {
                total += end - start;
                covered_to = end;
            }
        }
        total
    }

    /// If the member is in a focus block at `t`, when it ends (back-to-back blocks joined).
    pub fn focus_until(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.until(t, |d| self.focus_spans(d))
    }

    /// The charter's quiet hours on local date `date` (they may run into the next day).
    pub fn quiet_span(&self, quiet: &QuietHours, date: NaiveDate) -> Option<Span> {
        let from = super::hours::parse_minute("quiet hours", &quiet.start).ok()?;
        let to = super::hours::parse_minute("quiet hours", &quiet.end).ok()?;
        (from != to).then(|| Span::local(self.zone_on(date), date, from, to))
    }

    /// If `t` falls in the member's quiet hours, when they end.
    pub fn quiet_until(&self, quiet: &QuietHours, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.until(t, |d| self.quiet_span(quiet, d).into_iter().collect())
    }

    /// If some span produced by `spans_on` for the days around `t` contains `t`, the end of
    /// the run of overlapping or touching spans from there.
    fn until(
        &self,
        t: DateTime<Utc>,
        spans_on: impl Fn(NaiveDate) -> Vec<Span>,
    ) -> Option<DateTime<Utc>> {
        let mut end: Option<DateTime<Utc>> = None;
        let mut probe = t;
        for _ in 0..MAX_JOINED {
            let covering = self
                .days_around(probe)
                .flat_map(&spans_on)
                .filter(|s| s.contains(probe))
                .map(|s| s.end)
                .max();
            match covering {
                Some(e) if e > probe => {
                    end = Some(e);
                    probe = e;
                }
                _ => break,
            }
        }
        end
    }

    /// When a notification arriving at `t` may be shown: `None` if at once, otherwise the
    /// end of the focus block or quiet hours holding it (both joined, so a digest is never
    /// released into the next hold).
    pub fn held_until(
        &self,
        quiet: Option<&QuietHours>,
        t: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut release = t;
        for _ in 0..MAX_JOINED {
            let focus = self.focus_until(release);
            let q = quiet.and_then(|q| self.quiet_until(q, release));
            match focus.max(q) {
                Some(e) if e > release => release = e,
                _ => break,
            }
        }
        (release > t).then_some(release)
    }
}
