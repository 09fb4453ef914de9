//! Time rules: working hours resolved to instants across zones, DST gaps and folds, out of
//! office, travel, focus and quiet hours.
//!
//! Every expected instant in the tables below was worked out independently of the code under
//! test (from the tz rules, checked with Python's `zoneinfo` against tzdata 2025b) and is
//! written as a literal UTC instant with the reasoning next to it.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use meridian_core::time::{
    HORIZON_DAYS, MAX_HOURS_BYTES, Schedule, Span, earliest, format_hours, latest,
    parse_duration_minutes, parse_hours, parse_minute, parse_weekdays,
};
use meridian_core::{
    DateRange, Error, FocusBlock, Member, QuietHours, Role, Travel, WorkingInterval,
};
use proptest::prelude::*;
use rstest::rstest;

// ---------------------------------------------------------------------------------------------
// Helpers

const MON_FRI: &str = "mon-fri 09:00-17:00";
const SPLIT_WEEK: &str = "mon-thu 08:00-12:00,13:00-17:00; fri 09:00-13:00";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad instant {s}: {e}"))
        .to_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad date {s}: {e}"))
}

fn mins(m: i64) -> TimeDelta {
    TimeDelta::minutes(m)
}

fn member(tz: &str, hours: &str) -> Member {
    let mut m = Member::new("Ada", tz, Role::Editor);
    m.working_hours = parse_hours(hours).unwrap_or_else(|e| panic!("hours {hours:?}: {e}"));
    m
}

fn schedule_of(m: &Member) -> Schedule {
    Schedule::of(m).unwrap_or_else(|e| panic!("schedule of {m:?}: {e}"))
}

fn schedule(tz: &str, hours: &str) -> Schedule {
    schedule_of(&member(tz, hours))
}

fn quiet(start: &str, end: &str) -> QuietHours {
    QuietHours {
        start: start.into(),
        end: end.into(),
    }
}

fn weekly_focus(weekdays: &[u8], start: &str, end: &str) -> FocusBlock {
    FocusBlock {
        id: format!("{weekdays:?} {start}-{end}"),
        weekdays: weekdays.to_vec(),
        date: None,
        start: start.into(),
        end: end.into(),
    }
}

fn one_off_focus(on: &str, start: &str, end: &str) -> FocusBlock {
    FocusBlock {
        id: format!("{on} {start}-{end}"),
        weekdays: vec![],
        date: Some(on.into()),
        start: start.into(),
        end: end.into(),
    }
}

fn span(start: &str, end: &str) -> Span {
    Span {
        start: utc(start),
        end: utc(end),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Tables: add_working

#[rstest]
// --- The headline case: a question (8 working hours) sent Friday 16:30 in New York to a member
// in Sydney.
// Northern winter: Fri 2025-01-17 16:30 EST = 21:30Z = Sat 08:30 AEDT (+11) in Sydney; next
// working start Mon 2025-01-20 09:00 AEDT = Sun 22:00Z; 8h → Mon 17:00 AEDT = Mon 06:00Z.
#[case::ny_to_sydney_northern_winter(
    "Australia/Sydney",
    MON_FRI,
    "2025-01-17T21:30:00Z",
    480,
    "2025-01-20T06:00:00Z"
)]
// Northern summer: Fri 2025-07-18 16:30 EDT = 20:30Z = Sat 06:30 AEST (+10); Mon 2025-07-21
// 09:00 AEST = Sun 23:00Z; 8h → Mon 17:00 AEST = Mon 07:00Z.
#[case::ny_to_sydney_northern_summer(
    "Australia/Sydney",
    MON_FRI,
    "2025-07-18T20:30:00Z",
    480,
    "2025-07-21T07:00:00Z"
)]
// --- America/New_York, spring forward Sun 2025-03-09 02:00 EST → 03:00 EDT.
// Fri 2025-03-07 15:00 EST = 20:00Z: 2h left on Friday, 6h from Mon 09:00 EDT (13:00Z) → Mon
// 15:00 EDT = 19:00Z.
#[case::new_york_weekend_over_spring_forward(
    "America/New_York",
    MON_FRI,
    "2025-03-07T20:00:00Z",
    480,
    "2025-03-10T19:00:00Z"
)]
// Fall back Sun 2025-11-02 02:00 EDT → 01:00 EST. Fri 2025-10-31 15:00 EDT = 19:00Z: 2h Friday,
// 6h from Mon 09:00 EST (14:00Z) → Mon 15:00 EST = 20:00Z.
#[case::new_york_weekend_over_fall_back(
    "America/New_York",
    MON_FRI,
    "2025-10-31T19:00:00Z",
    480,
    "2025-11-03T20:00:00Z"
)]
// `sun 00:00-04:00` on spring-forward Sunday: 00:00 EST = 05:00Z to 04:00 EDT = 08:00Z, only 3
// real hours. From Sat 12:00 EST (17:00Z), 3h ends exactly at the span end 08:00Z.
#[case::new_york_sunday_night_shift_spring_forward_exactly_used_up(
    "America/New_York",
    "sun 00:00-04:00",
    "2025-03-08T17:00:00Z",
    180,
    "2025-03-09T08:00:00Z"
)]
// ... and a 4th hour spills into the next Sunday: 2025-03-16 00:00 EDT = 04:00Z + 1h = 05:00Z.
#[case::new_york_sunday_night_shift_spring_forward_spills_a_week(
    "America/New_York",
    "sun 00:00-04:00",
    "2025-03-08T17:00:00Z",
    240,
    "2025-03-16T05:00:00Z"
)]
// Fall-back Sunday: 00:00 EDT = 04:00Z to 04:00 EST = 09:00Z, 5 real hours.
#[case::new_york_sunday_night_shift_fall_back_has_five_hours(
    "America/New_York",
    "sun 00:00-04:00",
    "2025-11-01T16:00:00Z",
    300,
    "2025-11-02T09:00:00Z"
)]
// 2h into that span: 04:00Z + 2h = 06:00Z, which is the second 01:00 (EST).
#[case::new_york_sunday_night_shift_fall_back_lands_in_the_fold(
    "America/New_York",
    "sun 00:00-04:00",
    "2025-11-01T16:00:00Z",
    120,
    "2025-11-02T06:00:00Z"
)]
// Gap: `02:30-04:00` on spring-forward Sunday starts at the jump, 03:00 EDT = 07:00Z (02:30 never
// shows); 30 min → 07:30Z. (Saturday's own 02:30-04:00 EST is before t = Sat 12:00 EST.)
#[case::new_york_interval_starting_in_the_gap(
    "America/New_York",
    "mon-sun 02:30-04:00",
    "2025-03-08T17:00:00Z",
    30,
    "2025-03-09T07:30:00Z"
)]
// Fold: `01:00-03:00` on fall-back Sunday runs from the first 01:00 (EDT, 05:00Z) to 03:00 EST =
// 08:00Z: 3 real hours.
#[case::new_york_interval_over_the_fold(
    "America/New_York",
    "mon-sun 01:00-03:00",
    "2025-11-01T16:00:00Z",
    180,
    "2025-11-02T08:00:00Z"
)]
// 2h into it: 05:00Z + 2h = 07:00Z (= 02:00 EST).
#[case::new_york_interval_over_the_fold_partly(
    "America/New_York",
    "mon-sun 01:00-03:00",
    "2025-11-01T16:00:00Z",
    120,
    "2025-11-02T07:00:00Z"
)]
// Two touching intervals meeting inside the fold: 00:00-01:30 ends at the *second* 01:30 (EST,
// 06:30Z), 01:30-03:00 starts at the *first* 01:30 (EDT, 05:30Z): they overlap by an hour, which
// must be counted once. Working time that Sunday is 00:00 EDT (04:00Z) to 03:00 EST (08:00Z) = 4h.
#[case::new_york_touching_intervals_in_the_fold_counted_once(
    "America/New_York",
    "mon-sun 00:00-01:30,01:30-03:00",
    "2025-11-01T16:00:00Z",
    240,
    "2025-11-02T08:00:00Z"
)]
// A 5th hour: Mon 2025-11-03 00:00 EST = 05:00Z + 1h = 06:00Z.
#[case::new_york_touching_intervals_in_the_fold_then_monday(
    "America/New_York",
    "mon-sun 00:00-01:30,01:30-03:00",
    "2025-11-01T16:00:00Z",
    300,
    "2025-11-03T06:00:00Z"
)]
// --- Europe/Berlin: spring forward Sun 2025-03-30 02:00 CET → 03:00 CEST.
// Fri 2025-03-28 13:00 CET = 12:00Z: 4h Fri + 8h Mon + 4h Tue → Tue 2025-04-01 13:00 CEST = 11:00Z.
#[case::berlin_two_days_over_spring_forward(
    "Europe/Berlin",
    MON_FRI,
    "2025-03-28T12:00:00Z",
    960,
    "2025-04-01T11:00:00Z"
)]
// Fall back Sun 2025-10-26 03:00 CEST → 02:00 CET. Fri 2025-10-24 13:00 CEST = 11:00Z → Tue
// 2025-10-28 13:00 CET = 12:00Z.
#[case::berlin_two_days_over_fall_back(
    "Europe/Berlin",
    MON_FRI,
    "2025-10-24T11:00:00Z",
    960,
    "2025-10-28T12:00:00Z"
)]
// `sun 01:00-04:00` on 2025-03-30: 01:00 CET = 00:00Z to 04:00 CEST = 02:00Z, 2h. 2.5h from Sat
// → 2h there + 30 min from next Sunday 2025-04-06 01:00 CEST (Sat 23:00Z) = Sat 23:30Z.
#[case::berlin_sunday_shift_spring_forward(
    "Europe/Berlin",
    "sun 01:00-04:00",
    "2025-03-29T12:00:00Z",
    150,
    "2025-04-05T23:30:00Z"
)]
// On 2025-10-26: 01:00 CEST = Sat 23:00Z to 04:00 CET = 03:00Z, 4h. 3.5h → 02:30Z (03:30 CET).
#[case::berlin_sunday_shift_fall_back(
    "Europe/Berlin",
    "sun 01:00-04:00",
    "2025-10-25T12:00:00Z",
    210,
    "2025-10-26T02:30:00Z"
)]
// --- Australia/Sydney: DST ends Sun 2025-04-06 03:00 AEDT → 02:00 AEST, starts Sun 2025-10-05
// 02:00 AEST → 03:00 AEDT.
// Fri 2025-04-04 15:00 AEDT = 04:00Z: 2h Fri, then Mon 09:00 AEST (Sun 23:00Z) + 6h = Mon 15:00
// AEST = 05:00Z.
#[case::sydney_weekend_over_dst_end(
    "Australia/Sydney",
    MON_FRI,
    "2025-04-04T04:00:00Z",
    480,
    "2025-04-07T05:00:00Z"
)]
// Fri 2025-10-03 15:00 AEST = 05:00Z: 2h Fri, Mon 09:00 AEDT (Sun 22:00Z) + 6h = 04:00Z Mon.
#[case::sydney_weekend_over_dst_start(
    "Australia/Sydney",
    MON_FRI,
    "2025-10-03T05:00:00Z",
    480,
    "2025-10-06T04:00:00Z"
)]
// `sun 00:00-04:00` on 2025-04-06: 00:00 AEDT = Sat 13:00Z to 04:00 AEST = 18:00Z, 5h.
#[case::sydney_sunday_shift_dst_end_has_five_hours(
    "Australia/Sydney",
    "sun 00:00-04:00",
    "2025-04-05T00:00:00Z",
    300,
    "2025-04-05T18:00:00Z"
)]
// On 2025-10-05: 00:00 AEST = Sat 14:00Z to 04:00 AEDT = 17:00Z, 3h.
#[case::sydney_sunday_shift_dst_start_has_three_hours(
    "Australia/Sydney",
    "sun 00:00-04:00",
    "2025-10-04T00:00:00Z",
    180,
    "2025-10-04T17:00:00Z"
)]
// 3h20m: 3h there, 20 min from Sun 2025-10-12 00:00 AEDT = Sat 13:00Z → 13:20Z.
#[case::sydney_sunday_shift_dst_start_spills_a_week(
    "Australia/Sydney",
    "sun 00:00-04:00",
    "2025-10-04T00:00:00Z",
    200,
    "2025-10-11T13:20:00Z"
)]
// --- Asia/Kathmandu (+05:45, no DST). Mon 2025-06-02 00:00Z = 05:45 local; 8h from 09:00 (03:15Z)
// → 17:00 = 11:15Z.
#[case::kathmandu_full_day(
    "Asia/Kathmandu",
    MON_FRI,
    "2025-06-02T00:00:00Z",
    480,
    "2025-06-02T11:15:00Z"
)]
// Fri 2025-06-06 16:00 local = 10:15Z: 1h Fri, 1h from Mon 09:00 → Mon 10:00 = 04:15Z.
#[case::kathmandu_over_weekend(
    "Asia/Kathmandu",
    MON_FRI,
    "2025-06-06T10:15:00Z",
    120,
    "2025-06-09T04:15:00Z"
)]
// --- Australia/Lord_Howe: 30-minute DST. Ends Sun 2025-04-06 02:00 (+11) → 01:30 (+10:30), starts
// Sun 2025-10-05 02:00 (+10:30) → 02:30 (+11).
// Fri 2025-04-04 15:00 +11 = 04:00Z: 2h Fri, Mon 09:00 +10:30 = Sun 22:30Z + 6h = 04:30Z.
#[case::lord_howe_weekend_over_dst_end(
    "Australia/Lord_Howe",
    MON_FRI,
    "2025-04-04T04:00:00Z",
    480,
    "2025-04-07T04:30:00Z"
)]
// `01:00-03:00` on 2025-04-06: 01:00 +11 = Sat 14:00Z to 03:00 +10:30 = 16:30Z, 2h30m.
#[case::lord_howe_fold_half_hour_longer(
    "Australia/Lord_Howe",
    "mon-sun 01:00-03:00",
    "2025-04-05T00:00:00Z",
    150,
    "2025-04-05T16:30:00Z"
)]
// One more minute: Mon 2025-04-07 01:00 +10:30 = Sun 14:30Z + 1 min.
#[case::lord_howe_fold_then_next_day(
    "Australia/Lord_Howe",
    "mon-sun 01:00-03:00",
    "2025-04-05T00:00:00Z",
    151,
    "2025-04-06T14:31:00Z"
)]
// `01:00-03:00` on 2025-10-05: 01:00 +10:30 = Sat 14:30Z to 03:00 +11 = 16:00Z, 1h30m.
#[case::lord_howe_gap_half_hour_shorter(
    "Australia/Lord_Howe",
    "mon-sun 01:00-03:00",
    "2025-10-04T00:00:00Z",
    90,
    "2025-10-04T16:00:00Z"
)]
// --- Pacific/Chatham (+12:45 / +13:45). DST starts Sun 2025-09-28 02:45 → 03:45.
// Fri 2025-09-26 16:00 +12:45 = 03:15Z: 1h Fri, Mon 09:00 +13:45 = Sun 19:15Z + 1h = 20:15Z.
#[case::chatham_weekend_over_dst_start(
    "Pacific/Chatham",
    MON_FRI,
    "2025-09-26T03:15:00Z",
    120,
    "2025-09-28T20:15:00Z"
)]
// `02:00-05:00` on 2025-09-28: 02:00 +12:45 = Sat 13:15Z to 05:00 +13:45 = 15:15Z, 2h.
#[case::chatham_gap_an_hour_shorter(
    "Pacific/Chatham",
    "mon-sun 02:00-05:00",
    "2025-09-27T00:00:00Z",
    120,
    "2025-09-27T15:15:00Z"
)]
// One more minute: Mon 2025-09-29 02:00 +13:45 = Sun 12:15Z + 1 min.
#[case::chatham_gap_then_next_day(
    "Pacific/Chatham",
    "mon-sun 02:00-05:00",
    "2025-09-27T00:00:00Z",
    121,
    "2025-09-28T12:16:00Z"
)]
// --- America/St_Johns (−03:30 / −02:30). Fri 2025-03-07 16:00 NST = 19:30Z: 1h Fri, Mon
// 2025-03-10 09:00 NDT = 11:30Z + 1h = 12:30Z.
#[case::st_johns_over_spring_forward(
    "America/St_Johns",
    MON_FRI,
    "2025-03-07T19:30:00Z",
    120,
    "2025-03-10T12:30:00Z"
)]
// Fri 2025-10-31 16:00 NDT = 18:30Z: 1h Fri, Mon 2025-11-03 09:00 NST = 12:30Z + 1h = 13:30Z.
#[case::st_johns_over_fall_back(
    "America/St_Johns",
    MON_FRI,
    "2025-10-31T18:30:00Z",
    120,
    "2025-11-03T13:30:00Z"
)]
// --- Several intervals a day (Berlin, CEST = +2). From Thu 2025-06-12 11:00 (09:00Z):
// 1h → exactly 12:00 = 10:00Z (the end of the morning interval).
#[case::split_week_to_the_end_of_the_morning(
    "Europe/Berlin",
    SPLIT_WEEK,
    "2025-06-12T09:00:00Z",
    60,
    "2025-06-12T10:00:00Z"
)]
// 1h30m → 1h until 12:00, lunch skipped, 30 min from 13:00 → 13:30 = 11:30Z.
#[case::split_week_skips_lunch(
    "Europe/Berlin",
    SPLIT_WEEK,
    "2025-06-12T09:00:00Z",
    90,
    "2025-06-12T11:30:00Z"
)]
// 9h → 5h Thursday (11-12, 13-17) + 4h Friday 09-13 → Fri 13:00 = 11:00Z.
#[case::split_week_friday_is_short(
    "Europe/Berlin",
    SPLIT_WEEK,
    "2025-06-12T09:00:00Z",
    540,
    "2025-06-13T11:00:00Z"
)]
// 10h → the weekend is skipped; 1h from Mon 08:00 → Mon 2025-06-16 09:00 = 07:00Z.
#[case::split_week_over_the_weekend(
    "Europe/Berlin",
    SPLIT_WEEK,
    "2025-06-12T09:00:00Z",
    600,
    "2025-06-16T07:00:00Z"
)]
// Weekend skipping: Sat 2025-06-14 12:00 CEST; 1h from Mon 09:00 → Mon 10:00 CEST = 08:00Z.
#[case::sent_on_saturday(
    "Europe/Berlin",
    MON_FRI,
    "2025-06-14T10:00:00Z",
    60,
    "2025-06-16T08:00:00Z"
)]
fn add_working_matches_worked_out_instants(
    #[case] tz: &str,
    #[case] hours: &str,
    #[case] from: &str,
    #[case] amount_minutes: i64,
    #[case] expected: &str,
) {
    let s = schedule(tz, hours);
    let got = s
        .add_working(utc(from), mins(amount_minutes))
        .expect("working time exists");
    assert_eq!(
        got,
        utc(expected),
        "{tz} `{hours}`: {amount_minutes} min after {from}"
    );
    // The last second before a reply-by is working time.
    assert!(s.is_working_at(got - TimeDelta::seconds(1)));
    // And the amount of working time in between is exactly what was asked for.
    assert_eq!(
        s.working_within(Span {
            start: utc(from),
            end: got
        }),
        mins(amount_minutes)
    );
}

#[test]
fn add_working_zero_is_the_instant_itself_even_outside_working_hours() {
    let s = schedule("Europe/Berlin", MON_FRI);
    for t in ["2025-06-14T10:00:00Z", "2025-06-16T08:00:00Z"] {
        assert_eq!(s.add_working(utc(t), TimeDelta::zero()).ok(), Some(utc(t)));
        assert_eq!(s.sub_working(utc(t), TimeDelta::zero()).ok(), Some(utc(t)));
    }
}

#[test]
fn add_working_exactly_to_five_pm_stops_at_five_pm() {
    // Mon 2025-06-16 09:00 CEST = 07:00Z; 8h → 17:00 CEST = 15:00Z, not Tuesday 09:00.
    let s = schedule("Europe/Berlin", MON_FRI);
    assert_eq!(
        s.add_working(utc("2025-06-16T07:00:00Z"), mins(480)).ok(),
        Some(utc("2025-06-16T15:00:00Z"))
    );
    // From 17:00 exactly, 1 min is Tuesday 09:01 CEST = 07:01Z.
    assert_eq!(
        s.add_working(utc("2025-06-16T15:00:00Z"), mins(1)).ok(),
        Some(utc("2025-06-17T07:01:00Z"))
    );
}

#[test]
fn out_of_office_days_are_skipped() {
    // Berlin, out Mon 2025-06-16 – Fri 2025-06-20 (inclusive). From Fri 2025-06-13 16:00 CEST
    // (14:00Z), 2h: 1h on Friday, then nothing until Mon 2025-06-23 09:00 CEST (07:00Z) + 1h =
    // 08:00Z.
    let mut m = member("Europe/Berlin", MON_FRI);
    m.out_of_office = vec![DateRange {
        id: "away".into(),
        from: "2025-06-16".into(),
        to: "2025-06-20".into(),
        note: "holiday".into(),
    }];
    let s = schedule_of(&m);
    assert_eq!(
        s.add_working(utc("2025-06-13T14:00:00Z"), mins(120)).ok(),
        Some(utc("2025-06-23T08:00:00Z"))
    );
    // Both ends of the range are out of office: Mon and Fri 12:00 CEST.
    assert!(!s.is_working_at(utc("2025-06-16T10:00:00Z")));
    assert!(!s.is_working_at(utc("2025-06-20T10:00:00Z")));
    assert!(s.is_working_at(utc("2025-06-23T10:00:00Z")));
    assert!(s.day_spans(date("2025-06-18")).is_empty());
    // Next working start seen from inside the holiday.
    assert_eq!(
        s.next_working_start(utc("2025-06-18T10:00:00Z")).ok(),
        Some(utc("2025-06-23T07:00:00Z"))
    );
}

#[test]
fn travel_reads_the_hours_in_the_travel_zone() {
    // Home Berlin, in New York Mon 2025-06-16 – Fri 2025-06-20. From Fri 2025-06-13 16:00 CEST
    // (14:00Z), 2h: 1h on Friday (Berlin), then Mon 09:00 EDT = 13:00Z + 1h = 14:00Z (in Berlin
    // the Monday would have started at 07:00Z).
    let mut m = member("Europe/Berlin", MON_FRI);
    m.travel = Some(Travel {
        tz: "America/New_York".into(),
        from: "2025-06-16".into(),
        to: "2025-06-20".into(),
    });
    let s = schedule_of(&m);
    assert_eq!(
        s.add_working(utc("2025-06-13T14:00:00Z"), mins(120)).ok(),
        Some(utc("2025-06-16T14:00:00Z"))
    );
    assert_eq!(
        s.day_spans(date("2025-06-17")),
        vec![span("2025-06-17T13:00:00Z", "2025-06-17T21:00:00Z")]
    );
    // Tue 2025-06-17 12:00Z: 14:00 in Berlin but 08:00 in New York, where the member is.
    assert_eq!(
        s.zone_at(utc("2025-06-17T12:00:00Z")),
        chrono_tz::America::New_York
    );
    assert_eq!(
        s.local(utc("2025-06-17T12:00:00Z")).naive_local(),
        date("2025-06-17").and_hms_opt(8, 0, 0).expect("valid time")
    );
    assert!(!s.is_working_at(utc("2025-06-17T12:00:00Z")));
    assert!(s.is_working_at(utc("2025-06-17T20:30:00Z")));
    // Back home from Sat 2025-06-21.
    assert_eq!(
        s.zone_at(utc("2025-06-23T12:00:00Z")),
        chrono_tz::Europe::Berlin
    );
    assert_eq!(
        s.day_spans(date("2025-06-23")),
        vec![span("2025-06-23T07:00:00Z", "2025-06-23T15:00:00Z")]
    );
}

#[test]
fn travel_ending_returns_to_the_home_zone() {
    // Home Berlin, in Tokyo Mon 2025-06-16 – Wed 2025-06-18. Wed 16:00 JST = 07:00Z: 1h left on
    // Wednesday (to 17:00 JST = 08:00Z), then Thu 09:00 CEST = 07:00Z + 2h = 09:00Z.
    let mut m = member("Europe/Berlin", MON_FRI);
    m.travel = Some(Travel {
        tz: "Asia/Tokyo".into(),
        from: "2025-06-16".into(),
        to: "2025-06-18".into(),
    });
    let s = schedule_of(&m);
    assert_eq!(
        s.add_working(utc("2025-06-18T07:00:00Z"), mins(180)).ok(),
        Some(utc("2025-06-19T09:00:00Z"))
    );
}

#[test]

fn travel_east_overlapping_days_count_as_one_stretch() {
    // Home London (GMT in January), night shift Mon 21:00-24:00 and Tue 00:00-02:00; in Dubai
    // (+4) from Tue 2025-01-14. Monday's shift is 21:00Z-24:00Z; Tuesday's, read in Dubai, is
    // 00:00-02:00 +04 = Mon 20:00Z-22:00Z. is_working_at counts either, so the member works
    // Mon 20:00Z-Tue 00:00Z: 4h.
    let mut m = member("Europe/London", "mon 21:00-24:00; tue 00:00-02:00");
    m.travel = Some(Travel {
        tz: "Asia/Dubai".into(),
        from: "2025-01-14".into(),
        to: "2025-01-17".into(),
    });
    let s = schedule_of(&m);
    let t = utc("2025-01-13T20:00:00Z");
    assert!(s.is_working_at(t));
    // Working at t, so the next working start is t itself (actual: 21:00Z).
    assert_eq!(s.next_working_start(t).ok(), Some(t));
    // 1h from 20:00Z → 21:00Z (actual: 22:00Z, the hour 20:00Z-21:00Z is dropped).
    assert_eq!(
        s.add_working(t, mins(60)).ok(),
        Some(utc("2025-01-13T21:00:00Z"))
    );
    // 4h → Tue 00:00Z (actual: a week later, 2025-01-20T22:00Z).
    assert_eq!(
        s.add_working(t, mins(240)).ok(),
        Some(utc("2025-01-14T00:00:00Z"))
    );
    // 4h before Tue 00:00Z → Mon 20:00Z (actual: 2025-01-07T00:00Z, Monday's shift is dropped).
    assert_eq!(
        s.sub_working(utc("2025-01-14T00:00:00Z"), mins(240)).ok(),
        Some(t)
    );
    // working_until of a working instant is later than it (actual: Some(t) itself).
    assert_eq!(s.working_until(t), Some(utc("2025-01-14T00:00:00Z")));
}

#[test]

fn travel_day_inside_the_previous_home_day() {
    // Home Honolulu (−10), short Fridays; in Auckland (+12, NZST) from Fri 2025-06-20. Thursday
    // 09:00-17:00 HST is Thu 19:00Z-Fri 03:00Z; Friday 09:00-13:00 NZST is Thu 21:00Z-Fri
    // 01:00Z, inside it. 8 working hours before Fri 03:00Z are Thu 19:00Z-Fri 03:00Z.
    let mut m = member("Pacific/Honolulu", "mon-thu 09:00-17:00; fri 09:00-13:00");
    m.travel = Some(Travel {
        tz: "Pacific/Auckland".into(),
        from: "2025-06-20".into(),
        to: "2025-06-22".into(),
    });
    let s = schedule_of(&m);
    let (from, to) = (utc("2025-06-19T19:00:00Z"), utc("2025-06-20T03:00:00Z"));
    assert_eq!(
        s.working_within(Span {
            start: from,
            end: to
        }),
        mins(480)
    );
    assert_eq!(s.add_working(from, mins(480)).ok(), Some(to));
    // Actual: 2025-06-19T01:00:00Z (18 hours too early: counts only 6h of that stretch).
    assert_eq!(s.sub_working(to, mins(480)).ok(), Some(from));
}

#[test]

fn zone_at_follows_the_travel_day() {
    // Home New York, in Tokyo Mon 2025-06-16 – Fri 2025-06-20. 2025-06-16T00:00Z is Mon 09:00
    // JST: Monday in Tokyo, the member is working by Tokyo's hours. In New York it is still Sun
    // 20:00 EDT, and zone_at returns New York (local: 2025-06-15 20:00 EDT).
    let mut m = member("America/New_York", MON_FRI);
    m.travel = Some(Travel {
        tz: "Asia/Tokyo".into(),
        from: "2025-06-16".into(),
        to: "2025-06-20".into(),
    });
    let s = schedule_of(&m);
    let t = utc("2025-06-16T00:00:00Z");
    assert!(s.is_working_at(t));
    assert_eq!(s.zone_at(t), chrono_tz::Asia::Tokyo);
    assert_eq!(
        s.local(t).naive_local(),
        date("2025-06-16").and_hms_opt(9, 0, 0).expect("valid time")
    );
}

// ---------------------------------------------------------------------------------------------
// day_spans: gap and fold resolution, one wall-clock interval at a time

#[rstest]
// New York spring forward 2025-03-09: 00:00 EST = 05:00Z, 04:00 EDT = 08:00Z.
#[case::new_york_spring("America/New_York", "sun 00:00-04:00", "2025-03-09", &[("2025-03-09T05:00:00Z", "2025-03-09T08:00:00Z")])]
// Fall back 2025-11-02: 00:00 EDT = 04:00Z, 04:00 EST = 09:00Z.
#[case::new_york_fall("America/New_York", "sun 00:00-04:00", "2025-11-02", &[("2025-11-02T04:00:00Z", "2025-11-02T09:00:00Z")])]
// Start 02:30 is in the gap → the jump, 03:00 EDT = 07:00Z.
#[case::new_york_start_in_gap("America/New_York", "mon-sun 02:30-04:00", "2025-03-09", &[("2025-03-09T07:00:00Z", "2025-03-09T08:00:00Z")])]
// 02:00-03:00 lies wholly in the gap: both ends resolve to 07:00Z, nothing left.
#[case::new_york_interval_wholly_in_gap("America/New_York", "mon-sun 02:00-03:00", "2025-03-09", &[])]
// Start 01:00 in the fold → first pass (EDT, 05:00Z); end 03:00 EST = 08:00Z.
#[case::new_york_start_in_fold("America/New_York", "mon-sun 01:00-03:00", "2025-11-02", &[("2025-11-02T05:00:00Z", "2025-11-02T08:00:00Z")])]
// End 01:30 in the fold → second pass (EST, 06:30Z).
#[case::new_york_end_in_fold("America/New_York", "mon-sun 00:00-01:30", "2025-11-02", &[("2025-11-02T04:00:00Z", "2025-11-02T06:30:00Z")])]
// A whole day is 23h on spring-forward Sunday and 25h on fall-back Sunday.
#[case::new_york_whole_short_day("America/New_York", "mon-sun 00:00-24:00", "2025-03-09", &[("2025-03-09T05:00:00Z", "2025-03-10T04:00:00Z")])]
#[case::new_york_whole_long_day("America/New_York", "mon-sun 00:00-24:00", "2025-11-02", &[("2025-11-02T04:00:00Z", "2025-11-03T05:00:00Z")])]
// Berlin 2025-03-30: 01:00 CET = 00:00Z, 04:00 CEST = 02:00Z.
#[case::berlin_spring("Europe/Berlin", "sun 01:00-04:00", "2025-03-30", &[("2025-03-30T00:00:00Z", "2025-03-30T02:00:00Z")])]
// Berlin 2025-10-26: 01:00 CEST = Sat 23:00Z, 04:00 CET = 03:00Z.
#[case::berlin_fall("Europe/Berlin", "sun 01:00-04:00", "2025-10-26", &[("2025-10-25T23:00:00Z", "2025-10-26T03:00:00Z")])]
// 02:30 in the Berlin gap → 03:00 CEST = 01:00Z.
#[case::berlin_start_in_gap("Europe/Berlin", "sun 02:30-04:00", "2025-03-30", &[("2025-03-30T01:00:00Z", "2025-03-30T02:00:00Z")])]
// 02:30 in the Berlin fold → first pass, 02:30 CEST = 00:30Z.
#[case::berlin_start_in_fold("Europe/Berlin", "sun 02:30-04:00", "2025-10-26", &[("2025-10-26T00:30:00Z", "2025-10-26T03:00:00Z")])]
// Sydney 2025-04-06: 00:00 AEDT = Sat 13:00Z, 04:00 AEST = 18:00Z.
#[case::sydney_dst_end("Australia/Sydney", "sun 00:00-04:00", "2025-04-06", &[("2025-04-05T13:00:00Z", "2025-04-05T18:00:00Z")])]
// Sydney 2025-10-05: 00:00 AEST = Sat 14:00Z, 04:00 AEDT = 17:00Z.
#[case::sydney_dst_start("Australia/Sydney", "sun 00:00-04:00", "2025-10-05", &[("2025-10-04T14:00:00Z", "2025-10-04T17:00:00Z")])]
// 02:30 in the Sydney fold → first pass 02:30 AEDT = 15:30Z.
#[case::sydney_start_in_fold("Australia/Sydney", "sun 02:30-04:00", "2025-04-06", &[("2025-04-05T15:30:00Z", "2025-04-05T18:00:00Z")])]
// 02:30 in the Sydney gap → 03:00 AEDT = 16:00Z.
#[case::sydney_start_in_gap("Australia/Sydney", "sun 02:30-04:00", "2025-10-05", &[("2025-10-04T16:00:00Z", "2025-10-04T17:00:00Z")])]
// Lord Howe 2025-04-06: 01:00 +11 = 14:00Z, 03:00 +10:30 = 16:30Z.
#[case::lord_howe_fold("Australia/Lord_Howe", "mon-sun 01:00-03:00", "2025-04-06", &[("2025-04-05T14:00:00Z", "2025-04-05T16:30:00Z")])]
// 01:45 is in the half-hour fold (01:30-02:00) → first pass 01:45 +11 = 14:45Z; 02:00 +10:30 =
// 15:30Z.
#[case::lord_howe_start_in_fold("Australia/Lord_Howe", "mon-sun 01:45-02:00", "2025-04-06", &[("2025-04-05T14:45:00Z", "2025-04-05T15:30:00Z")])]
// Lord Howe 2025-10-05: 01:00 +10:30 = 14:30Z, 03:00 +11 = 16:00Z.
#[case::lord_howe_gap("Australia/Lord_Howe", "mon-sun 01:00-03:00", "2025-10-05", &[("2025-10-04T14:30:00Z", "2025-10-04T16:00:00Z")])]
// 02:10 is in the half-hour gap (02:00-02:30) → 02:30 +11 = 15:30Z.
#[case::lord_howe_start_in_gap("Australia/Lord_Howe", "mon-sun 02:10-03:00", "2025-10-05", &[("2025-10-04T15:30:00Z", "2025-10-04T16:00:00Z")])]
// Chatham 2025-04-06 (03:45 +13:45 → 02:45 +12:45): 02:00 +13:45 = 12:15Z, 05:00 +12:45 = 16:15Z.
#[case::chatham_fold("Pacific/Chatham", "mon-sun 02:00-05:00", "2025-04-06", &[("2025-04-05T12:15:00Z", "2025-04-05T16:15:00Z")])]
// 03:00 in the Chatham fold → first pass 03:00 +13:45 = 13:15Z.
#[case::chatham_start_in_fold("Pacific/Chatham", "mon-sun 03:00-05:00", "2025-04-06", &[("2025-04-05T13:15:00Z", "2025-04-05T16:15:00Z")])]
// Chatham 2025-09-28 (02:45 +12:45 → 03:45 +13:45): 02:00 +12:45 = 13:15Z, 05:00 +13:45 = 15:15Z.
#[case::chatham_gap("Pacific/Chatham", "mon-sun 02:00-05:00", "2025-09-28", &[("2025-09-27T13:15:00Z", "2025-09-27T15:15:00Z")])]
// 03:00 in the Chatham gap → 03:45 +13:45 = 14:00Z.
#[case::chatham_start_in_gap("Pacific/Chatham", "mon-sun 03:00-05:00", "2025-09-28", &[("2025-09-27T14:00:00Z", "2025-09-27T15:15:00Z")])]
// St John's 2025-03-09: 00:00 −03:30 = 03:30Z, 04:00 −02:30 = 06:30Z.
#[case::st_johns_spring("America/St_Johns", "sun 00:00-04:00", "2025-03-09", &[("2025-03-09T03:30:00Z", "2025-03-09T06:30:00Z")])]
// St John's 2025-11-02: 00:00 −02:30 = 02:30Z, 04:00 −03:30 = 07:30Z.
#[case::st_johns_fall("America/St_Johns", "sun 00:00-04:00", "2025-11-02", &[("2025-11-02T02:30:00Z", "2025-11-02T07:30:00Z")])]
// Santiago changes clocks at midnight. 2025-04-05 24:00 −03 → 23:00 −04, so Saturday 23:00-24:00
// happens twice: 22:00 −03 = 01:00Z to Sunday 00:00 −04 = 04:00Z.
#[case::santiago_midnight_fold("America/Santiago", "sat 22:00-24:00", "2025-04-05", &[("2025-04-06T01:00:00Z", "2025-04-06T04:00:00Z")])]
// 23:00 earliest = 23:00 −03 = 02:00Z; 23:30 latest = 23:30 −04 = 03:30Z.
#[case::santiago_interval_in_midnight_fold("America/Santiago", "sat 23:00-23:30", "2025-04-05", &[("2025-04-06T02:00:00Z", "2025-04-06T03:30:00Z")])]
// 2025-09-07 00:00 −04 → 01:00 −03: Sunday midnight never shows; the day starts at 01:00 −03 =
// 04:00Z, 02:00 −03 = 05:00Z.
#[case::santiago_midnight_gap("America/Santiago", "sun 00:00-02:00", "2025-09-07", &[("2025-09-07T04:00:00Z", "2025-09-07T05:00:00Z")])]
// Saturday ending at 24:00 which is in the gap → 04:00Z; 22:00 −04 = 02:00Z.
#[case::santiago_end_of_day_in_gap("America/Santiago", "sat 22:00-24:00", "2025-09-06", &[("2025-09-07T02:00:00Z", "2025-09-07T04:00:00Z")])]
// Kathmandu +05:45: 09:00 = 03:15Z, 17:00 = 11:15Z.
#[case::kathmandu("Asia/Kathmandu", MON_FRI, "2025-06-02", &[("2025-06-02T03:15:00Z", "2025-06-02T11:15:00Z")])]
// Two touching intervals in the New York fold overlap by the repeated hour.
#[case::new_york_touching_in_fold("America/New_York", "mon-sun 00:00-01:30,01:30-03:00", "2025-11-02", &[("2025-11-02T04:00:00Z", "2025-11-02T06:30:00Z"), ("2025-11-02T05:30:00Z", "2025-11-02T08:00:00Z")])]
fn day_spans_resolve_gaps_and_folds(
    #[case] tz: &str,
    #[case] hours: &str,
    #[case] on: &str,
    #[case] expected: &[(&str, &str)],
) {
    let s = schedule(tz, hours);
    let expected: Vec<Span> = expected.iter().map(|(a, b)| span(a, b)).collect();
    assert_eq!(s.day_spans(date(on)), expected, "{tz} `{hours}` on {on}");
}

#[rstest]
// New York: 02:30 on 2025-03-09 is in the gap → the jump, 03:00 EDT = 07:00Z; 01:30 on 2025-11-02
// shows twice, 01:30 EDT = 05:30Z and 01:30 EST = 06:30Z; July is plain EDT (−4).
#[case::start_in_gap(
    "America/New_York",
    "2025-03-09T02:30:00",
    "2025-03-09T07:00:00Z",
    "2025-03-09T07:00:00Z"
)]
#[case::fold_two_passes(
    "America/New_York",
    "2025-11-02T01:30:00",
    "2025-11-02T05:30:00Z",
    "2025-11-02T06:30:00Z"
)]
#[case::plain(
    "America/New_York",
    "2025-07-01T12:00:00",
    "2025-07-01T16:00:00Z",
    "2025-07-01T16:00:00Z"
)]
// Lord Howe: 02:10 in the half-hour gap → 02:30 +11 = 15:30Z; 01:45 in the fold: 14:45Z / 15:15Z.
#[case::lord_howe_gap(
    "Australia/Lord_Howe",
    "2025-10-05T02:10:00",
    "2025-10-04T15:30:00Z",
    "2025-10-04T15:30:00Z"
)]
#[case::lord_howe_fold(
    "Australia/Lord_Howe",
    "2025-04-06T01:45:00",
    "2025-04-05T14:45:00Z",
    "2025-04-05T15:15:00Z"
)]
// Chatham: 03:00 in the gap → 03:45 +13:45 = 14:00Z; 03:00 in the fold: 13:15Z / 14:15Z.
#[case::chatham_gap(
    "Pacific/Chatham",
    "2025-09-28T03:00:00",
    "2025-09-27T14:00:00Z",
    "2025-09-27T14:00:00Z"
)]
#[case::chatham_fold(
    "Pacific/Chatham",
    "2025-04-06T03:00:00",
    "2025-04-05T13:15:00Z",
    "2025-04-05T14:15:00Z"
)]
// St John's: 02:30 in the gap (02:00 −03:30 → 03:00 −02:30) → 05:30Z; 01:30 fold: 04:00Z / 05:00Z.
#[case::st_johns_gap(
    "America/St_Johns",
    "2025-03-09T02:30:00",
    "2025-03-09T05:30:00Z",
    "2025-03-09T05:30:00Z"
)]
#[case::st_johns_fold(
    "America/St_Johns",
    "2025-11-02T01:30:00",
    "2025-11-02T04:00:00Z",
    "2025-11-02T05:00:00Z"
)]
fn earliest_and_latest_resolve_wall_clock_times(
    #[case] tz: &str,
    #[case] local: &str,
    #[case] first: &str,
    #[case] last: &str,
) {
    let tz: Tz = tz.parse().expect("zone");
    let local = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S").expect("local");
    assert_eq!(earliest(tz, local), utc(first), "earliest {local} in {tz}");
    assert_eq!(latest(tz, local), utc(last), "latest {local} in {tz}");
}

#[rstest]
// Sydney Mon–Fri 09–17 (AEDT): Mon 2025-01-20 09:00 = Sun 22:00Z; 17:00 = 06:00Z, half-open.
#[case::sydney_starts("Australia/Sydney", MON_FRI, "2025-01-19T22:00:00Z", true)]
#[case::sydney_second_before("Australia/Sydney", MON_FRI, "2025-01-19T21:59:59Z", false)]
#[case::sydney_end_is_excluded("Australia/Sydney", MON_FRI, "2025-01-20T06:00:00Z", false)]
// New York `00:00-01:30` on fall-back Sunday ends at the second 01:30 (06:30Z): 01:15 EST (06:15Z,
// the second pass) is working, 06:30Z is not.
#[case::new_york_second_pass_of_fold(
    "America/New_York",
    "mon-sun 00:00-01:30",
    "2025-11-02T06:15:00Z",
    true
)]
#[case::new_york_after_fold_end(
    "America/New_York",
    "mon-sun 00:00-01:30",
    "2025-11-02T06:30:00Z",
    false
)]
// New York `02:30-04:00` on spring-forward Sunday: 01:59 EST (06:59Z) is not working, the jump
// (07:00Z = 03:00 EDT) is.
#[case::new_york_before_gap(
    "America/New_York",
    "mon-sun 02:30-04:00",
    "2025-03-09T06:59:00Z",
    false
)]
#[case::new_york_at_gap_end(
    "America/New_York",
    "mon-sun 02:30-04:00",
    "2025-03-09T07:00:00Z",
    true
)]
// Chatham `03:00-05:00` on 2025-09-28: 13:59Z = 02:44 +12:45, not yet; 14:00Z = 03:45 +13:45.
#[case::chatham_before_gap(
    "Pacific/Chatham",
    "mon-sun 03:00-05:00",
    "2025-09-27T13:59:00Z",
    false
)]
#[case::chatham_at_gap_end("Pacific/Chatham", "mon-sun 03:00-05:00", "2025-09-27T14:00:00Z", true)]
// Lord Howe `01:00-03:00` on 2025-04-06 ends at 16:30Z (03:00 +10:30).
#[case::lord_howe_last_minute(
    "Australia/Lord_Howe",
    "mon-sun 01:00-03:00",
    "2025-04-05T16:29:00Z",
    true
)]
#[case::lord_howe_end(
    "Australia/Lord_Howe",
    "mon-sun 01:00-03:00",
    "2025-04-05T16:30:00Z",
    false
)]
// St John's Mon 2025-03-10: 08:59 NDT = 11:29Z, 09:00 NDT = 11:30Z.
#[case::st_johns_before_start("America/St_Johns", MON_FRI, "2025-03-10T11:29:00Z", false)]
#[case::st_johns_start("America/St_Johns", MON_FRI, "2025-03-10T11:30:00Z", true)]
// Kathmandu: 09:00 = 03:15Z.
#[case::kathmandu_before("Asia/Kathmandu", MON_FRI, "2025-06-02T03:14:00Z", false)]
#[case::kathmandu_start("Asia/Kathmandu", MON_FRI, "2025-06-02T03:15:00Z", true)]
// Split week, Berlin: lunch Mon 2025-06-16 12:30 CEST = 10:30Z is not working; 13:00 = 11:00Z is.
#[case::lunch("Europe/Berlin", SPLIT_WEEK, "2025-06-16T10:30:00Z", false)]
#[case::after_lunch("Europe/Berlin", SPLIT_WEEK, "2025-06-16T11:00:00Z", true)]
// Friday afternoon 14:00 CEST (12:00Z) is not working on the split week; Saturday never.
#[case::short_friday("Europe/Berlin", SPLIT_WEEK, "2025-06-13T12:00:00Z", false)]
#[case::saturday("Europe/Berlin", MON_FRI, "2025-06-14T10:00:00Z", false)]
fn is_working_at_matches_worked_out_instants(
    #[case] tz: &str,
    #[case] hours: &str,
    #[case] at: &str,
    #[case] expected: bool,
) {
    let s = schedule(tz, hours);
    assert_eq!(s.is_working_at(utc(at)), expected, "{tz} `{hours}` at {at}");
    assert_eq!(s.working_until(utc(at)).is_some(), expected);
}

// ---------------------------------------------------------------------------------------------
// sub_working

#[rstest]
// 24 working hours before a Tuesday 15:00 meeting, Berlin (CEST): Tue 2025-06-17 13:00Z. Back: 6h
// Tue (09-15), 8h Mon, 8h Fri, 2h Thu → Thu 2025-06-12 15:00 CEST = 13:00Z.
#[case::berlin_tuesday_meeting(
    "Europe/Berlin",
    MON_FRI,
    "2025-06-17T13:00:00Z",
    1440,
    "2025-06-12T13:00:00Z"
)]
// New York, meeting Tue 2025-03-11 15:00 EDT = 19:00Z, back over spring forward: 6h Tue, 8h Mon,
// 8h Fri, 2h Thu → Thu 2025-03-06 15:00 EST = 20:00Z.
#[case::new_york_over_spring_forward(
    "America/New_York",
    MON_FRI,
    "2025-03-11T19:00:00Z",
    1440,
    "2025-03-06T20:00:00Z"
)]
// Sydney, meeting Tue 2025-10-07 15:00 AEDT = 04:00Z, back over DST start: → Thu 2025-10-02
// 15:00 AEST = 05:00Z.
#[case::sydney_over_dst_start(
    "Australia/Sydney",
    MON_FRI,
    "2025-10-07T04:00:00Z",
    1440,
    "2025-10-02T05:00:00Z"
)]
// Split week: 10h before Mon 2025-06-16 09:00 CEST (07:00Z): 1h Mon 08-09, 4h Fri, 4h Thu
// afternoon, 1h Thu morning → Thu 11:00 CEST = 09:00Z.
#[case::split_week(
    "Europe/Berlin",
    SPLIT_WEEK,
    "2025-06-16T07:00:00Z",
    600,
    "2025-06-12T09:00:00Z"
)]
// Before a meeting on Saturday: the week ends Fri 17:00 CEST (15:00Z); 1h back → 14:00Z.
#[case::from_the_weekend(
    "Europe/Berlin",
    MON_FRI,
    "2025-06-14T10:00:00Z",
    60,
    "2025-06-13T14:00:00Z"
)]
// Over the New York fold, touching intervals counted once: 4h before Sun 2025-11-02 08:00Z is
// 04:00Z (00:00 EDT).
#[case::new_york_fold_counted_once(
    "America/New_York",
    "mon-sun 00:00-01:30,01:30-03:00",
    "2025-11-02T08:00:00Z",
    240,
    "2025-11-02T04:00:00Z"
)]
fn sub_working_matches_worked_out_instants(
    #[case] tz: &str,
    #[case] hours: &str,
    #[case] before: &str,
    #[case] amount_minutes: i64,
    #[case] expected: &str,
) {
    let s = schedule(tz, hours);
    assert_eq!(
        s.sub_working(utc(before), mins(amount_minutes)).ok(),
        Some(utc(expected)),
        "{tz} `{hours}`: {amount_minutes} min before {before}"
    );
}

// ---------------------------------------------------------------------------------------------
// next_morning, next_working_start, working_until, working_within

#[rstest]
// Berlin Fri 2025-06-13 10:00 CEST (08:00Z): Friday's start has passed → Mon 09:00 CEST = 07:00Z.
#[case::after_the_day_started(
    "Europe/Berlin",
    MON_FRI,
    "2025-06-13T08:00:00Z",
    "2025-06-16T07:00:00Z"
)]
// Fri 08:00 CEST (06:00Z) → Fri 09:00 CEST = 07:00Z.
#[case::before_the_day_starts(
    "Europe/Berlin",
    MON_FRI,
    "2025-06-13T06:00:00Z",
    "2025-06-13T07:00:00Z"
)]
// Exactly at the start → itself.
#[case::exactly_at_the_start(
    "Europe/Berlin",
    MON_FRI,
    "2025-06-13T07:00:00Z",
    "2025-06-13T07:00:00Z"
)]
// Split week, Mon 2025-06-16 12:30 CEST (10:30Z): the afternoon interval is not a morning → Tue
// 08:00 CEST = 06:00Z.
#[case::afternoon_is_not_a_morning(
    "Europe/Berlin",
    SPLIT_WEEK,
    "2025-06-16T10:30:00Z",
    "2025-06-17T06:00:00Z"
)]
// Friday 16:30 in New York (21:30Z, Sat 08:30 in Sydney) → Mon 09:00 AEDT = Sun 22:00Z.
#[case::sydney_from_new_york(
    "Australia/Sydney",
    MON_FRI,
    "2025-01-17T21:30:00Z",
    "2025-01-19T22:00:00Z"
)]
// New York over spring forward: Sat 12:00 EST → Mon 2025-03-10 09:00 EDT = 13:00Z.
#[case::new_york_over_spring_forward(
    "America/New_York",
    MON_FRI,
    "2025-03-08T17:00:00Z",
    "2025-03-10T13:00:00Z"
)]
// Chatham over DST start: Sat 2025-09-27 12:00 +12:45 (Fri 23:15Z) → Mon 09:00 +13:45 = Sun 19:15Z.
#[case::chatham_over_dst_start(
    "Pacific/Chatham",
    MON_FRI,
    "2025-09-26T23:15:00Z",
    "2025-09-28T19:15:00Z"
)]
fn next_morning_matches_worked_out_instants(
    #[case] tz: &str,
    #[case] hours: &str,
    #[case] at: &str,
    #[case] expected: &str,
) {
    let s = schedule(tz, hours);
    assert_eq!(s.next_morning(utc(at)).ok(), Some(utc(expected)));
}

#[test]
fn next_working_start_is_the_instant_itself_when_working() {
    let s = schedule("Europe/Berlin", SPLIT_WEEK);
    // Mon 2025-06-16 10:00 CEST is working.
    let t = utc("2025-06-16T08:00:00Z");
    assert_eq!(s.next_working_start(t).ok(), Some(t));
    // Lunch 12:30 CEST → 13:00 CEST = 11:00Z.
    assert_eq!(
        s.next_working_start(utc("2025-06-16T10:30:00Z")).ok(),
        Some(utc("2025-06-16T11:00:00Z"))
    );
    // Fri 14:00 CEST (after the short Friday) → Mon 08:00 CEST = 06:00Z.
    assert_eq!(
        s.next_working_start(utc("2025-06-13T12:00:00Z")).ok(),
        Some(utc("2025-06-16T06:00:00Z"))
    );
}

#[test]
fn working_until_joins_touching_intervals_across_midnight() {
    // Berlin: Monday 09:00-12:00, 12:00-24:00 and Tuesday 00:00-02:00 form one stretch ending Tue
    // 02:00 CEST = Tue 00:00Z. Tuesday's 09:00 is a new stretch.
    let s = schedule(
        "Europe/Berlin",
        "mon 09:00-12:00,12:00-24:00; tue 00:00-02:00,09:00-17:00",
    );
    assert_eq!(
        s.working_until(utc("2025-06-16T08:00:00Z")),
        Some(utc("2025-06-17T00:00:00Z"))
    );
    assert_eq!(
        s.working_until(utc("2025-06-16T23:30:00Z")),
        Some(utc("2025-06-17T00:00:00Z"))
    );
    assert_eq!(s.working_until(utc("2025-06-17T00:00:00Z")), None);
    assert_eq!(
        s.working_until(utc("2025-06-17T07:00:00Z")),
        Some(utc("2025-06-17T15:00:00Z"))
    );
}

#[test]
fn working_within_counts_real_time() {
    // Berlin Mon–Fri 09–17 over the week Mon 2025-06-16 00:00Z – Mon 2025-06-23 00:00Z: 40h.
    let s = schedule("Europe/Berlin", MON_FRI);
    assert_eq!(
        s.working_within(span("2025-06-16T00:00:00Z", "2025-06-23T00:00:00Z")),
        TimeDelta::hours(40)
    );
    // Fri 2025-03-28 16:00 CET (15:00Z) to Mon 2025-03-31 10:00 CEST (08:00Z): 1h + 1h.
    assert_eq!(
        s.working_within(span("2025-03-28T15:00:00Z", "2025-03-31T08:00:00Z")),
        TimeDelta::hours(2)
    );
    // New York, always working: Sat 2025-03-08 00:00 EST (05:00Z) to Mon 2025-03-10 00:00 EDT
    // (04:00Z) is 24h + 23h; over fall back Sat 2025-11-01 00:00 EDT (04:00Z) to Mon 2025-11-03
    // 00:00 EST (05:00Z) is 24h + 25h.
    let always = schedule("America/New_York", "mon-sun 00:00-24:00");
    assert_eq!(
        always.working_within(span("2025-03-08T05:00:00Z", "2025-03-10T04:00:00Z")),
        TimeDelta::hours(47)
    );
    assert_eq!(
        always.working_within(span("2025-11-01T04:00:00Z", "2025-11-03T05:00:00Z")),
        TimeDelta::hours(49)
    );
    // An empty or inverted span has no working time.
    assert_eq!(
        s.working_within(span("2025-06-16T10:00:00Z", "2025-06-16T10:00:00Z")),
        TimeDelta::zero()
    );
}

// ---------------------------------------------------------------------------------------------
// Focus blocks, quiet hours, held_until

fn focused_berlin() -> Schedule {
    // Weekly: Mon and Wed 09:00-11:00, Mon 11:00-12:00 (back to back); one-off: Tue 2025-06-17
    // 14:00-16:00.
    let mut m = member("Europe/Berlin", MON_FRI);
    m.focus_blocks = vec![
        weekly_focus(&[0, 2], "09:00", "11:00"),
        weekly_focus(&[0], "11:00", "12:00"),
        one_off_focus("2025-06-17", "14:00", "16:00"),
    ];
    schedule_of(&m)
}

#[rstest]
// Mon 2025-06-16 10:00 CEST (08:00Z): 09-11 and 11-12 joined → 12:00 CEST = 10:00Z.
#[case::weekly_back_to_back_joined("2025-06-16T08:00:00Z", Some("2025-06-16T10:00:00Z"))]
// Mon 11:30 CEST → 12:00 CEST.
#[case::in_the_second_block("2025-06-16T09:30:00Z", Some("2025-06-16T10:00:00Z"))]
// Mon 12:00 CEST: the block has ended (half-open).
#[case::at_the_end("2025-06-16T10:00:00Z", None)]
// Mon 08:59 CEST: not yet.
#[case::just_before("2025-06-16T06:59:00Z", None)]
// Mon 09:00 CEST: at the start.
#[case::at_the_start("2025-06-16T07:00:00Z", Some("2025-06-16T10:00:00Z"))]
// Wed 2025-06-18 09:00 CEST → 11:00 CEST = 09:00Z (no 11-12 block on Wednesdays).
#[case::wednesday("2025-06-18T07:00:00Z", Some("2025-06-18T09:00:00Z"))]
// Tue 2025-06-17 15:00 CEST → the one-off block ends 16:00 CEST = 14:00Z.
#[case::one_off("2025-06-17T13:00:00Z", Some("2025-06-17T14:00:00Z"))]
// A week later the one-off block is gone.
#[case::one_off_not_repeated("2025-06-24T13:00:00Z", None)]
// Thursday 10:00 CEST: no block.
#[case::thursday("2025-06-19T08:00:00Z", None)]
fn focus_until_matches_worked_out_instants(#[case] at: &str, #[case] expected: Option<&str>) {
    assert_eq!(focused_berlin().focus_until(utc(at)), expected.map(utc));
}

#[test]
fn focus_block_over_the_fold() {
    // New York, Sundays 01:00-02:00. On 2025-11-02 it starts at the first 01:00 (EDT, 05:00Z) and
    // ends at 02:00 EST = 07:00Z: two real hours. At 01:30 EST (06:30Z) it still holds.
    let mut m = member("America/New_York", MON_FRI);
    m.focus_blocks = vec![weekly_focus(&[6], "01:00", "02:00")];
    let s = schedule_of(&m);
    assert_eq!(
        s.focus_until(utc("2025-11-02T05:00:00Z")),
        Some(utc("2025-11-02T07:00:00Z"))
    );
    assert_eq!(
        s.focus_until(utc("2025-11-02T06:30:00Z")),
        Some(utc("2025-11-02T07:00:00Z"))
    );
    assert_eq!(s.focus_until(utc("2025-11-02T07:00:00Z")), None);
}

#[test]

fn focus_until_joins_a_long_run_of_blocks() {
    // Berlin, whole-day one-off focus blocks 2025-07-01 … 2025-07-20: one run ending 2025-07-21
    // 00:00 CEST = 2025-07-20T22:00Z. Actual: 2025-07-16T22:00Z, where focus_until is Some again.
    let mut m = member("Europe/Berlin", MON_FRI);
    m.focus_blocks = (1..=20)
        .map(|d| one_off_focus(&format!("2025-07-{d:02}"), "00:00", "24:00"))
        .collect();
    let s = schedule_of(&m);
    let t = utc("2025-07-01T10:00:00Z");
    assert_eq!(s.focus_until(t), Some(utc("2025-07-20T22:00:00Z")));
    assert_eq!(s.held_until(None, t), Some(utc("2025-07-20T22:00:00Z")));
}

#[rstest]
// Berlin (CEST), quiet 20:00-08:00. Mon 2025-06-16 23:00 (21:00Z) → Tue 08:00 = Tue 06:00Z.
#[case::late_evening("Europe/Berlin", "2025-06-16T21:00:00Z", Some("2025-06-17T06:00:00Z"))]
// Tue 02:00 CEST (Tue 00:00Z), held by Monday's quiet hours running past midnight.
#[case::after_midnight("Europe/Berlin", "2025-06-17T00:00:00Z", Some("2025-06-17T06:00:00Z"))]
// 19:59 CEST: not yet; 20:00 CEST: quiet until the next morning.
#[case::just_before("Europe/Berlin", "2025-06-16T17:59:00Z", None)]
#[case::at_the_start("Europe/Berlin", "2025-06-16T18:00:00Z", Some("2025-06-17T06:00:00Z"))]
// 08:00 CEST: over (half-open).
#[case::at_the_end("Europe/Berlin", "2025-06-17T06:00:00Z", None)]
// New York, Saturday night over fall back: Sat 2025-11-01 20:00 EDT = Sun 00:00Z; quiet runs to
// Sun 08:00 EST = 13:00Z (a 13-hour night).
#[case::new_york_fall_back_night(
    "America/New_York",
    "2025-11-02T00:00:00Z",
    Some("2025-11-02T13:00:00Z")
)]
// At 01:30 EST (the second pass, 06:30Z) still quiet until 13:00Z.
#[case::new_york_in_the_fold(
    "America/New_York",
    "2025-11-02T06:30:00Z",
    Some("2025-11-02T13:00:00Z")
)]
// New York spring forward night: Sat 2025-03-08 20:00 EST = Sun 01:00Z → Sun 08:00 EDT = 12:00Z.
#[case::new_york_spring_night(
    "America/New_York",
    "2025-03-09T01:00:00Z",
    Some("2025-03-09T12:00:00Z")
)]
// Sydney, Sat 2025-04-05 20:00 AEDT = 09:00Z → Sun 08:00 AEST = Sat 22:00Z.
#[case::sydney_dst_end_night(
    "Australia/Sydney",
    "2025-04-05T09:00:00Z",
    Some("2025-04-05T22:00:00Z")
)]
// Chatham, Sat 2025-09-27 23:00 +12:45 = 10:15Z → Sun 08:00 +13:45 = Sat 18:15Z.
#[case::chatham_dst_start_night(
    "Pacific/Chatham",
    "2025-09-27T10:15:00Z",
    Some("2025-09-27T18:15:00Z")
)]
fn quiet_until_wraps_midnight(#[case] tz: &str, #[case] at: &str, #[case] expected: Option<&str>) {
    let s = schedule(tz, MON_FRI);
    assert_eq!(
        s.quiet_until(&quiet("20:00", "08:00"), utc(at)),
        expected.map(utc),
        "{tz} at {at}"
    );
}

#[test]
fn equal_quiet_start_and_end_means_no_quiet_hours() {
    let s = schedule("Europe/Berlin", MON_FRI);
    assert_eq!(
        s.quiet_until(&quiet("08:00", "08:00"), utc("2025-06-16T06:00:00Z")),
        None
    );
}

fn evening_focus_berlin() -> Schedule {
    // Mon 17:00-20:00 focus, right up to quiet hours; Tue 08:00-09:00 focus, right after them.
    let mut m = member("Europe/Berlin", MON_FRI);
    m.focus_blocks = vec![
        weekly_focus(&[0], "17:00", "20:00"),
        weekly_focus(&[1], "08:00", "09:00"),
    ];
    schedule_of(&m)
}

#[rstest]
// Mon 2025-06-16 18:00 CEST (16:00Z): focus to 20:00, quiet to Tue 08:00, focus to 09:00 CEST =
// Tue 07:00Z — all joined, so nothing is released into the next hold.
#[case::focus_quiet_focus_joined("2025-06-16T16:00:00Z", true, Some("2025-06-17T07:00:00Z"))]
// Without quiet hours only the focus block holds: 20:00 CEST = 18:00Z.
#[case::focus_alone("2025-06-16T16:00:00Z", false, Some("2025-06-16T18:00:00Z"))]
// Mon 12:00 CEST: nothing holds.
#[case::free("2025-06-16T10:00:00Z", true, None)]
// Mon 22:00 CEST (20:00Z): quiet then Tue focus → Tue 07:00Z.
#[case::quiet_then_focus("2025-06-16T20:00:00Z", true, Some("2025-06-17T07:00:00Z"))]
// Wed 22:00 CEST (20:00Z): quiet only, Thursday has no focus → Thu 08:00 CEST = 06:00Z.
#[case::quiet_alone("2025-06-18T20:00:00Z", true, Some("2025-06-19T06:00:00Z"))]
// Without quiet hours, Mon 22:00 is free.
#[case::no_quiet_hours_at_night("2025-06-16T20:00:00Z", false, None)]
fn held_until_joins_focus_and_quiet_hours(
    #[case] at: &str,
    #[case] with_quiet: bool,
    #[case] expected: Option<&str>,
) {
    let q = quiet("20:00", "08:00");
    let s = evening_focus_berlin();
    assert_eq!(
        s.held_until(with_quiet.then_some(&q), utc(at)),
        expected.map(utc)
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Bad input

#[rstest]
#[case::unknown_weekday("funday 09:00-17:00", "`funday` is not a weekday")]
#[case::unknown_weekday_in_a_range("mon-fry 09:00-17:00", "`fry` is not a weekday")]
#[case::weekdays_backwards("fri-mon 09:00-17:00", "runs backwards")]
#[case::inverted("mon 17:00-09:00", "17:00-09:00 ends before it starts")]
#[case::empty_interval("mon 09:00-09:00", "09:00-09:00 ends before it starts")]
#[case::overlapping(
    "mon 09:00-12:00,11:00-14:00",
    "on mon 09:00-12:00 overlaps 11:00-14:00"
)]
#[case::nested(
    "tue 09:00-17:00,10:00-11:00",
    "on tue 09:00-17:00 overlaps 10:00-11:00"
)]
#[case::overlapping_across_groups(
    "mon-fri 09:00-17:00; mon 16:00-18:00",
    "on mon 09:00-17:00 overlaps 16:00-18:00"
)]
#[case::hour_25("mon 25:00-26:00", "`25:00` is not a time of day")]
#[case::minute_60("mon 09:60-10:00", "`09:60` is not a time of day")]
#[case::past_midnight("mon 09:00-24:30", "`24:30` is not a time of day")]
#[case::hours_with_h("mon 9h-17h", "`9h` is not a time of day")]
#[case::no_interval("mon 09:00", "is not an interval")]
#[case::no_times("mon-fri", "needs weekdays and times")]
#[case::empty("", "none given")]
#[case::words("whenever I feel like it", "is not a weekday")]
fn parse_hours_rejects_bad_input(#[case] text: &str, #[case] message: &str) {
    let err = parse_hours(text).expect_err("must be rejected");
    assert!(
        matches!(err, Error::InvalidRange { .. } | Error::InvalidTime { .. }),
        "{text:?}: {err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.contains(message),
        "{text:?}: {shown:?} lacks {message:?}"
    );
}

#[test]
fn parse_hours_accepts_touching_intervals_and_full_names() {
    let hours = parse_hours("Monday-Friday 09:00-12:00,12:00-17:00; sun 00:00-24:00")
        .expect("touching intervals are fine");
    assert_eq!(hours.len(), 11);
    assert_eq!(
        hours[0],
        WorkingInterval {
            weekday: 0,
            start: "09:00".into(),
            end: "12:00".into()
        }
    );
    assert_eq!(
        hours.last(),
        Some(&WorkingInterval {
            weekday: 6,
            start: "00:00".into(),
            end: "24:00".into()
        })
    );
    assert_eq!(parse_hours("none").ok(), Some(vec![]));
    assert_eq!(parse_hours("  NONE ").ok(), Some(vec![]));
}

#[test]
fn working_hours_text_is_bounded_with_a_clear_error() {
    // Issue 21 (docs/limits.md): a pasted megabyte of valid groups would otherwise become
    // millions of intervals before the overlap check.
    let group = "mon-sun 09:00-10:00; ";
    let huge = group.repeat(1_000_000 / group.len());
    let err = parse_hours(&huge).expect_err("refused");
    assert!(matches!(err, Error::InvalidRange { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("at most {MAX_HOURS_BYTES} are read")),
        "{shown}"
    );
    // Every weekday with two dozen touching half-hour intervals is within the bound.
    let day: Vec<String> = (0..24).map(|h| format!("{h:02}:00-{h:02}:30")).collect();
    let full: Vec<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| format!("{d} {}", day.join(",")))
        .collect();
    let full = full.join("; ");
    assert!(full.len() <= MAX_HOURS_BYTES, "{}", full.len());
    assert_eq!(parse_hours(&full).map(|h| h.len()).ok(), Some(7 * 24));
}

#[test]
fn parse_weekdays_and_minutes() {
    assert_eq!(parse_weekdays("mon-fri").ok(), Some(vec![0, 1, 2, 3, 4]));
    assert_eq!(parse_weekdays("sun, mon,wed").ok(), Some(vec![0, 2, 6]));
    assert_eq!(parse_weekdays("sat-sun").ok(), Some(vec![5, 6]));
    assert!(parse_weekdays("").is_err());
    assert!(parse_weekdays("thu-tue").is_err());
    assert_eq!(parse_minute("t", "00:00").ok(), Some(0));
    assert_eq!(parse_minute("t", "09:30").ok(), Some(570));
    assert_eq!(parse_minute("t", "24:00").ok(), Some(1440));
    for bad in [
        "24:01", "23:60", "9h", "25:00", "", ":", "ab:cd", "-1:00", "12:00:00",
    ] {
        let err = parse_minute("start", bad).expect_err(bad);
        assert!(err.to_string().contains("start"), "{err}");
    }
}

#[test]

fn parse_minute_rejects_malformed_minutes() {
    // `HH:MM` has two minute digits; `09:5` could mean 09:05 or 09:50 and should be refused, as
    // should signs, which `u32::from_str` silently accepts.
    for bad in ["09:5", "9:5", "+9:00", "09:+5", "1:000"] {
        assert!(
            parse_minute("start", bad).is_err(),
            "{bad:?} accepted as {:?}",
            parse_minute("start", bad)
        );
    }
}

#[test]
fn parse_duration_minutes_reads_the_usual_forms() {
    for (text, expected) in [
        ("30m", 30),
        ("1h", 60),
        ("1h30m", 90),
        ("45", 45),
        ("1d", 1440),
    ] {
        assert_eq!(parse_duration_minutes(text).ok(), Some(expected), "{text}");
    }
    for bad in ["1h30", "h", "abc", "0m", "-5"] {
        let err = parse_duration_minutes(bad).expect_err(bad);
        assert!(err.to_string().contains("not a duration"), "{err}");
    }
}

#[test]
fn unknown_time_zone_is_rejected_by_name() {
    let m = Member::new("Ada", "Mars/Olympus", Role::Editor);
    let err = Schedule::of(&m).expect_err("no such zone");
    assert!(
        matches!(&err, Error::UnknownTimeZone(z) if z == "Mars/Olympus"),
        "{err:?}"
    );
    assert!(err.to_string().contains("Mars/Olympus"), "{err}");

    let mut m = Member::new("Ada", "Europe/Berlin", Role::Editor);
    m.travel = Some(Travel {
        tz: "Atlantis/Capital".into(),
        from: "2025-06-16".into(),
        to: "2025-06-20".into(),
    });
    let err = Schedule::of(&m).expect_err("no such travel zone");
    assert!(err.to_string().contains("Atlantis/Capital"), "{err}");
}

#[test]
fn bad_member_data_is_rejected() {
    let mut m = Member::new("Ada", "Europe/Berlin", Role::Editor);
    m.working_hours.push(WorkingInterval {
        weekday: 7,
        start: "09:00".into(),
        end: "17:00".into(),
    });
    assert!(matches!(Schedule::of(&m), Err(Error::InvalidWeekday(7))));

    let mut m = Member::new("Ada", "Europe/Berlin", Role::Editor);
    m.working_hours.push(WorkingInterval {
        weekday: 0,
        start: "16:00".into(),
        end: "18:00".into(),
    });
    let err = Schedule::of(&m).expect_err("overlap");
    assert!(err.to_string().contains("overlaps"), "{err}");

    let mut m = Member::new("Ada", "Europe/Berlin", Role::Editor);
    m.out_of_office = vec![DateRange {
        id: "away".into(),
        from: "next week".into(),
        to: "2025-06-20".into(),
        note: String::new(),
    }];
    let err = Schedule::of(&m).expect_err("bad date");
    assert!(err.to_string().contains("next week"), "{err}");

    let mut m = Member::new("Ada", "Europe/Berlin", Role::Editor);
    m.focus_blocks = vec![weekly_focus(&[0], "11:00", "10:00")];
    let err = Schedule::of(&m).expect_err("inverted focus");
    assert!(err.to_string().contains("focus block"), "{err}");
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "the test times the code under test; the code itself takes no clock"
)]
fn no_working_hours_is_an_error_at_once() {
    let mut m = Member::new("Grace Hopper", "Europe/Berlin", Role::Editor);
    m.working_hours = parse_hours("none").expect("none is valid");
    assert!(m.working_hours.is_empty());
    let s = schedule_of(&m);
    let t = utc("2025-06-16T10:00:00Z");
    let started = Instant::now();
    let err = s.add_working(t, mins(480)).expect_err("no hours");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, Error::NoWorkingHours(n) if n == "Grace Hopper"),
        "{err:?}"
    );
    assert!(err.to_string().contains("Grace Hopper"), "{err}");
    assert!(err.to_string().contains("--hours"), "{err}");
    assert!(matches!(
        s.sub_working(t, mins(60)),
        Err(Error::NoWorkingHours(_))
    ));
    assert!(matches!(
        s.next_working_start(t),
        Err(Error::NoWorkingHours(_))
    ));
    assert!(matches!(s.next_morning(t), Err(Error::NoWorkingHours(_))));
    assert!(!s.is_working_at(t));
    assert_eq!(s.working_until(t), None);
    assert_eq!(
        s.working_within(span("2025-06-16T00:00:00Z", "2025-06-23T00:00:00Z")),
        TimeDelta::zero()
    );
}

#[test]
fn out_of_office_for_three_years_has_no_working_time() {
    let mut m = Member::new("Grace Hopper", "Europe/Berlin", Role::Editor);
    m.out_of_office = vec![DateRange {
        id: "away".into(),
        from: "2025-01-01".into(),
        to: "2027-12-31".into(),
        note: "sabbatical".into(),
    }];
    let s = schedule_of(&m);
    let t = utc("2025-06-16T10:00:00Z");
    let err = s.add_working(t, mins(60)).expect_err("no time");
    assert!(
        matches!(&err, Error::NoWorkingTime { member, days } if member == "Grace Hopper" && *days == HORIZON_DAYS),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(shown.contains("Grace Hopper"), "{shown}");
    assert!(shown.contains(&HORIZON_DAYS.to_string()), "{shown}");
    assert!(matches!(
        s.next_working_start(t),
        Err(Error::NoWorkingTime { .. })
    ));
    assert!(matches!(
        s.next_morning(t),
        Err(Error::NoWorkingTime { .. })
    ));
    assert!(matches!(
        s.sub_working(utc("2027-06-16T10:00:00Z"), mins(60)),
        Err(Error::NoWorkingTime { .. })
    ));
    assert!(!s.is_working_at(t));
    // Within the horizon the first working day after the sabbatical is found: Mon 2028-01-03
    // 09:00 CET = 08:00Z, seen from 2027-06-01.
    assert_eq!(
        s.next_working_start(utc("2027-06-01T10:00:00Z")).ok(),
        Some(utc("2028-01-03T08:00:00Z"))
    );
}

// ---------------------------------------------------------------------------------------------
// 4. format_hours round trip

#[rstest]
#[case::plain("mon-fri 09:00-17:00", "mon-fri 09:00-17:00")]
#[case::split_week(SPLIT_WEEK, SPLIT_WEEK)]
#[case::weekend("sat-sun 10:00-14:00", "sat-sun 10:00-14:00")]
#[case::not_consecutive(
    "mon,wed,fri 09:00-17:00",
    "mon 09:00-17:00; wed 09:00-17:00; fri 09:00-17:00"
)]
#[case::normalised("Monday-Friday 9:00-17:00", "mon-fri 09:00-17:00")]
#[case::order_of_intervals(
    "mon-sun 22:00-24:00; sun 00:00-04:00",
    "mon-sat 22:00-24:00; sun 00:00-04:00,22:00-24:00"
)]
#[case::none("none", "none")]
fn format_hours_round_trips(#[case] text: &str, #[case] formatted: &str) {
    let parsed = parse_hours(text).expect("valid");
    let shown = format_hours(&parsed);
    assert_eq!(shown, formatted);
    assert_eq!(parse_hours(&shown).ok(), Some(parsed));
}

// ---------------------------------------------------------------------------------------------
// 2. Properties

const ZONES: &[&str] = &[
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Santiago",
    "America/Havana",
    "Europe/Berlin",
    "Europe/London",
    "Africa/Casablanca",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "UTC",
];

/// 2025-01-01T00:00:00Z and 2029-01-01T00:00:00Z.
const FROM_SECS: i64 = 1_735_689_600;
const TO_SECS: i64 = 1_861_920_000;

/// The instants in 2025–2028 at which each zone's UTC offset changes (to the hour), found by
/// scanning chrono-tz directly so that random instants can be placed near them.
static TRANSITIONS: LazyLock<HashMap<&'static str, Vec<DateTime<Utc>>>> = LazyLock::new(|| {
    ZONES
        .iter()
        .map(|&name| {
            let tz: Tz = name.parse().expect("zone");
            let offset = |secs: i64| {
                let t = DateTime::from_timestamp(secs, 0).expect("in range");
                tz.offset_from_utc_datetime(&t.naive_utc()).fix()
            };
            let mut found = Vec::new();
            let mut secs = FROM_SECS;
            while secs < TO_SECS {
                if offset(secs) != offset(secs + 3600) {
                    found.push(DateTime::from_timestamp(secs + 3600, 0).expect("in range"));
                }
                secs += 3600;
            }
            (name, found)
        })
        .collect()
});

/// A random instant: anywhere in 2025–2028, or within a few days of one of the zone's DST
/// transitions (half the time), to the second.
fn instant(zone: &str, near: Option<(usize, i64)>, uniform: i64) -> DateTime<Utc> {
    let transitions = &TRANSITIONS[zone];
    match near {
        Some((k, offset)) if !transitions.is_empty() => {
            transitions[k % transitions.len()] + TimeDelta::seconds(offset)
        }
        _ => DateTime::from_timestamp(uniform, 0).expect("in range"),
    }
}

fn instant_strategy() -> impl Strategy<Value = (Option<(usize, i64)>, i64)> {
    (
        prop::option::of((any::<usize>(), -4 * 86_400i64..2 * 86_400)),
        FROM_SECS..TO_SECS,
    )
}

fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A random valid week in the grammar: per day up to a few non-overlapping intervals on a
/// 15-minute grid, sometimes chained back to back (`09:00-12:00,12:00-15:00`).
fn week_strategy() -> impl Strategy<Value = String> {
    let day = (prop::collection::btree_set(0u32..=96, 0..=6), any::<bool>()).prop_map(
        |(points, chained)| {
            let p: Vec<u32> = points.into_iter().map(|q| q * 15).collect();
            if chained {
                p.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>()
            } else {
                p.chunks_exact(2).map(|c| (c[0], c[1])).collect()
            }
        },
    );
    prop::collection::vec(day, 7)
        .prop_filter("at least two working hours a week", |days| {
            days.iter().flatten().map(|(a, b)| b - a).sum::<u32>() >= 120
        })
        .prop_map(|days| {
            const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
            days.iter()
                .enumerate()
                .filter(|(_, d)| !d.is_empty())
                .map(|(i, d)| {
                    let times: Vec<String> = d
                        .iter()
                        .map(|&(a, b)| format!("{}-{}", hhmm(a), hhmm(b)))
                        .collect();
                    format!("{} {}", NAMES[i], times.join(","))
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
}

/// An optional out-of-office range: (days after the instant's date, length in days).
fn away_strategy() -> impl Strategy<Value = Option<(i64, i64)>> {
    prop::option::of((-10i64..30, 0i64..21))
}

fn random_schedule(
    zone: &str,
    hours: &str,
    away: Option<(i64, i64)>,
    t: DateTime<Utc>,
) -> Schedule {
    let mut m = member(zone, hours);
    if let Some((start, len)) = away {
        let from = t.date_naive() + TimeDelta::days(start);
        m.out_of_office = vec![DateRange {
            id: "away".into(),
            from: from.to_string(),
            to: (from + TimeDelta::days(len)).to_string(),
            note: String::new(),
        }];
    }
    schedule_of(&m)
}

/// Focus blocks: weekly on Monday–Saturday only (so a hold always ends within the week), or
/// one-off on a date near the instant.
#[derive(Debug, Clone)]
struct FocusSpec {
    one_off: Option<i64>,
    weekdays: Vec<u8>,
    start: u32,
    end: u32,
}

fn focus_strategy() -> impl Strategy<Value = Vec<FocusSpec>> {
    let block = (
        prop::option::of(-2i64..=2),
        prop::collection::btree_set(0u8..=5, 0..=4),
        0u32..96,
        1u32..=32,
    )
        .prop_map(|(one_off, weekdays, start, len)| FocusSpec {
            one_off,
            weekdays: weekdays.into_iter().collect(),
            start: start * 15,
            end: ((start + len) * 15).min(1440),
        });
    prop::collection::vec(block, 0..=4)
}

fn quiet_strategy() -> impl Strategy<Value = QuietHours> {
    (0u32..=96, 0u32..=96)
        .prop_filter("quiet hours shorter than a day", |(a, b)| {
            a != b && !(*a == 0 && *b == 96)
        })
        .prop_map(|(a, b)| quiet(&hhmm(a * 15), &hhmm(b * 15)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The last second before a reply-by is working time, the working time in between is exactly
    /// the amount, and subtracting it again leads back to where the work started.
    #[test]
    fn add_working_uses_up_exactly_the_amount(
        zone in prop::sample::select(ZONES),
        hours in week_strategy(),
        away in away_strategy(),
        (near, uniform) in instant_strategy(),
        amount in 1i64..=3600,
    ) {
        let t = instant(zone, near, uniform);
        let s = random_schedule(zone, &hours, away, t);
        let h = mins(amount);
        let r = s.add_working(t, h).expect("working time within the horizon");
        prop_assert!(r > t);
        prop_assert!(s.is_working_at(r - TimeDelta::seconds(1)), "{r} - 1s is not working");
        prop_assert_eq!(s.working_within(Span { start: t, end: r }), h);
        let start = s.next_working_start(t).expect("working time");
        prop_assert!(start >= t);
        prop_assert!(s.is_working_at(start));
        prop_assert_eq!(s.sub_working(r, h).ok(), Some(start));
    }

    /// Working time composes: a + b hours after t is b hours after (a hours after t).
    #[test]
    fn add_working_composes(
        zone in prop::sample::select(ZONES),
        hours in week_strategy(),
        away in away_strategy(),
        (near, uniform) in instant_strategy(),
        a in 0i64..=1800,
        b in 0i64..=1800,
    ) {
        let t = instant(zone, near, uniform);
        let s = random_schedule(zone, &hours, away, t);
        let whole = s.add_working(t, mins(a + b)).expect("working time");
        let first = s.add_working(t, mins(a)).expect("working time");
        prop_assert_eq!(s.add_working(first, mins(b)).ok(), Some(whole));
    }

    /// Going back and forward again returns to t when the second before t is working time, and
    /// sub_working lands on working time with exactly the amount in between.
    #[test]
    fn sub_working_inverts_add_working(
        zone in prop::sample::select(ZONES),
        hours in week_strategy(),
        (near, uniform) in instant_strategy(),
        into in 1i64..=600,
        amount in 1i64..=3600,
    ) {
        let t0 = instant(zone, near, uniform);
        let s = random_schedule(zone, &hours, None, t0);
        // A t whose previous second is working time (by the reply-by property above).
        let t = s.add_working(t0, mins(into)).expect("working time");
        let h = mins(amount);
        let back = s.sub_working(t, h).expect("working time");
        prop_assert!(back < t);
        prop_assert!(s.is_working_at(back), "{back} is not working");
        prop_assert_eq!(s.working_within(Span { start: back, end: t }), h);
        prop_assert_eq!(s.add_working(back, h).ok(), Some(t));
    }

    /// working_until and next_morning agree with is_working_at.
    #[test]
    fn working_until_and_next_morning_are_consistent(
        zone in prop::sample::select(ZONES),
        hours in week_strategy(),
        (near, uniform) in instant_strategy(),
    ) {
        let t = instant(zone, near, uniform);
        let s = random_schedule(zone, &hours, None, t);
        match s.working_until(t) {
            Some(end) => {
                prop_assert!(s.is_working_at(t));
                prop_assert!(end > t);
                prop_assert!(!s.is_working_at(end), "{end} ends the stretch but is working");
                prop_assert!(s.is_working_at(end - TimeDelta::seconds(1)));
                prop_assert_eq!(s.working_within(Span { start: t, end }), end - t);
            }
            None => prop_assert!(!s.is_working_at(t)),
        }
        let morning = s.next_morning(t).expect("working time");
        prop_assert!(morning >= t);
        prop_assert!(s.is_working_at(morning));
        prop_assert!(s.next_working_start(t).ok() <= Some(morning));
    }

    /// held_until never releases into a focus block or quiet hours, and holds only what is held.
    #[test]
    fn held_until_releases_outside_every_hold(
        zone in prop::sample::select(ZONES),
        focus in focus_strategy(),
        q in quiet_strategy(),
        with_quiet in any::<bool>(),
        (near, uniform) in instant_strategy(),
    ) {
        let t = instant(zone, near, uniform);
        let mut m = member(zone, MON_FRI);
        m.focus_blocks = focus
            .iter()
            .enumerate()
            .map(|(i, f)| FocusBlock {
                id: format!("f{i}"),
                weekdays: f.weekdays.clone(),
                date: f.one_off.map(|d| (t.date_naive() + TimeDelta::days(d)).to_string()),
                start: hhmm(f.start),
                end: hhmm(f.end),
            })
            .collect();
        let s = schedule_of(&m);
        let q = with_quiet.then_some(&q);
        let in_quiet = |at| q.and_then(|q| s.quiet_until(q, at));
        match s.held_until(q, t) {
            Some(r) => {
                prop_assert!(r > t);
                prop_assert!(s.focus_until(t).is_some() || in_quiet(t).is_some());
                prop_assert_eq!(s.focus_until(r), None, "released at {} into focus", r);
                prop_assert_eq!(in_quiet(r), None, "released at {} into quiet hours", r);
            }
            None => {
                prop_assert_eq!(s.focus_until(t), None);
                prop_assert_eq!(in_quiet(t), None);
            }
        }
        if let Some(end) = s.focus_until(t) {
            prop_assert!(end > t);
            prop_assert_eq!(s.focus_until(end), None, "focus blocks not joined at {}", end);
        }
    }

    /// Formatting parsed hours and parsing them again gives the same intervals.
    #[test]
    fn format_hours_round_trips_random_weeks(hours in week_strategy()) {
        let parsed = parse_hours(&hours).expect("generated hours are valid");
        prop_assert_eq!(parse_hours(&format_hours(&parsed)).ok(), Some(parsed));
    }
}

#[test]
fn transitions_are_found_for_the_zones_with_dst() {
    // Guard for the property tests: the instants placed "near a transition" really are.
    for zone in [
        "America/New_York",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "America/Santiago",
    ] {
        assert_eq!(TRANSITIONS[zone].len(), 8, "{zone}");
    }
    assert!(TRANSITIONS["Asia/Kathmandu"].is_empty());
    // New York's first one: 2025-03-09 07:00Z.
    assert_eq!(
        TRANSITIONS["America/New_York"][0],
        utc("2025-03-09T07:00:00Z")
    );
    assert_eq!(TRANSITIONS["America/New_York"][0].year(), 2025);
}
