//! The working-hours grammar: `mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00`.
//!
//! Groups are separated by `;`. A group is a set of weekdays (`mon-fri`, `mon,wed,fri`,
//! `sat`) followed by one or more `HH:MM-HH:MM` intervals separated by `,`; `24:00` ends a
//! day. `none` means no working hours at all.

use std::collections::BTreeMap;

use crate::Error;
use crate::objects::WorkingInterval;

use super::local::Minute;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The longest working-hours text [`parse_hours`] reads: every weekday written out with
/// two dozen intervals fits. Longer text is refused before it is split, so a pasted
/// megabyte cannot become millions of intervals.
pub const MAX_HOURS_BYTES: usize = 4096;

/// `mon`, `Monday`, … → 0 … 6.
fn weekday(word: &str) -> Result<u8, Error> {
    let w = word.trim().to_ascii_lowercase();
    let found = DAYS.iter().position(|d| w == *d || w == day_name(d));
    found.map(|p| p as u8).ok_or_else(|| Error::InvalidRange {
        field: "weekdays",
        detail: format!(
            "`{}` is not a weekday; use mon, tue, wed, thu, fri, sat, sun",
            clip(&w)
        ),
    })
}

fn day_name(short: &str) -> &'static str {
    match short {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Weekdays such as `mon-fri`, `mon,wed,fri` or `sat-sun` → sorted 0 (Monday) … 6 (Sunday).
pub fn parse_weekdays(text: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (weekday(a)?, weekday(b)?);
                if a > b {
                    return Err(Error::InvalidRange {
                        field: "weekdays",
                        detail: format!("`{}` runs backwards; write e.g. mon-fri", clip(part)),
                    });
                }
                out.extend(a..=b);
            }
            None => out.push(weekday(part)?),
        }
    }
    if out.is_empty() {
        return Err(Error::InvalidRange {
            field: "weekdays",
            detail: "no weekday given; write e.g. mon-fri".into(),
        });
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// `HH:MM` → minutes since midnight; `24:00` → 1440.
pub fn parse_minute(field: &'static str, text: &str) -> Result<Minute, Error> {
    let bad = || Error::InvalidTime {
        field,
        value: clip(text),
    };
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 1..=2) || !digits(m, 2..=2) {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

pub fn format_minute(m: Minute) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// `HH:MM-HH:MM` → a start and end; the end must come after the start.
pub fn parse_interval(field: &'static str, text: &str) -> Result<(Minute, Minute), Error> {
    let (a, b) = text
        .trim()
        .split_once('-')
        .ok_or_else(|| Error::InvalidRange {
            field,
            detail: format!(
                "`{}` is not an interval; write e.g. 09:00-17:00",
                clip(text)
            ),
        })?;
    let (start, end) = (parse_minute(field, a)?, parse_minute(field, b)?);
    if end <= start {
        return Err(Error::InvalidRange {
            field,
            detail: format!(
                "{}-{} ends before it starts (intervals cannot cross midnight: split it at 24:00)",
                a.trim(),
                b.trim()
            ),
        });
    }
    Ok((start, end))
}

/// Parses the working-hours grammar into intervals, rejecting overlaps.
pub fn parse_hours(text: &str) -> Result<Vec<WorkingInterval>, Error> {
    if text.len() > MAX_HOURS_BYTES {
        return Err(Error::InvalidRange {
            field: "working hours",
            detail: format!(
                "the text is {} bytes; at most {MAX_HOURS_BYTES} are read (write e.g. `mon-fri 09:00-17:00`)",
                text.len()
            ),
        });
    }
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for group in text.split(';').map(str::trim).filter(|g| !g.is_empty()) {
        let (days, intervals) =
            group
                .split_once(char::is_whitespace)
                .ok_or_else(|| Error::InvalidRange {
                    field: "working hours",
                    detail: format!(
                        "`{}` needs weekdays and times, e.g. `mon-fri 09:00-17:00`",
                        clip(group)
                    ),
                })?;
        let days = parse_weekdays(days)?;
        for interval in intervals
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let (start, end) = parse_interval("working hours", interval)?;
            for &weekday in &days {
                out.push(WorkingInterval {
                    weekday,
                    start: format_minute(start),
                    end: format_minute(end),
                });
            }
        }
    }
    if out.is_empty() {
        return Err(Error::InvalidRange {
            field: "working hours",
            detail: "none given; write e.g. `mon-fri 09:00-17:00` (or `none`)".into(),
        });
    }
    out.sort_by(|a, b| (a.weekday, &a.start).cmp(&(b.weekday, &b.start)));
    week(&out)?;
    Ok(out)
}

/// Checks intervals and arranges them by weekday, sorted, rejecting inverted and
/// overlapping ones.
pub fn week(intervals: &[WorkingInterval]) -> Result<[Vec<(Minute, Minute)>; 7], Error> {
    let mut week: [Vec<(Minute, Minute)>; 7] = Default::default();
    for w in intervals {
        if w.weekday > 6 {
            return Err(Error::InvalidWeekday(w.weekday));
        }
        let interval = parse_interval("working hours", &format!("{}-{}", w.start, w.end))?;
        week[usize::from(w.weekday)].push(interval);
    }
    for (day, list) in week.iter_mut().enumerate() {
        list.sort_unstable();
        for pair in list.windows(2) {
            if pair[1].0 < pair[0].1 {
                return Err(Error::InvalidRange {
                    field: "working hours",
                    detail: format!(
                        "on {} {}-{} overlaps {}-{}",
                        DAYS[day],
                        format_minute(pair[0].0),
                        format_minute(pair[0].1),
                        format_minute(pair[1].0),
                        format_minute(pair[1].1)
                    ),
                });
            }
        }
    }
    Ok(week)
}

/// Intervals back in the grammar, weekdays with the same times grouped: `mon-fri 09:00-17:00`.
pub fn format_hours(intervals: &[WorkingInterval]) -> String {
    let mut by_day: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    for w in intervals {
        by_day
            .entry(w.weekday)
            .or_default()
            .push(format!("{}-{}", w.start, w.end));
    }
    if by_day.is_empty() {
        return "none".into();
    }
    // Group runs of consecutive weekdays with identical times.
    let mut groups: Vec<(Vec<u8>, String)> = Vec::new();
    for (day, mut times) in by_day {
        times.sort();
        let times = times.join(",");
        match groups.last_mut() {
            Some((days, t)) if *t == times && day > 0 && days.last() == Some(&(day - 1)) => {
                days.push(day)
            }
            _ => groups.push((vec![day], times)),
        }
    }
    groups
        .into_iter()
        .map(|(days, times)| {
            let first = DAYS[usize::from(days[0])];
            let last = DAYS[usize::from(*days.last().expect("non-empty"))];
            if days.len() == 1 {
                format!("{first} {times}")
            } else {
                format!("{first}-{last} {times}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn weekday_name(d: u8) -> &'static str {
    DAYS.get(usize::from(d)).copied().unwrap_or("?")
}
