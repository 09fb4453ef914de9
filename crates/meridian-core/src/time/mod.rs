//! Time rules: working hours, out of office, travel, focus and quiet hours, resolved with
//! chrono-tz at the moment of use. Pure: every function takes the instant it is about.

mod hours;
mod local;
mod schedule;

pub use hours::{
    MAX_HOURS_BYTES, format_hours, format_minute, parse_hours, parse_interval, parse_minute,
    parse_weekdays, weekday_name,
};
pub use local::{Minute, Span, at, earliest, latest};
pub use schedule::{HORIZON_DAYS, Schedule};

/// `30m`, `1h`, `1h30m` or a bare number of minutes → minutes.
pub fn parse_duration_minutes(text: &str) -> Result<u32, crate::Error> {
    let s = text.trim().to_ascii_lowercase();
    let bad = || crate::Error::InvalidRange {
        field: "duration",
        detail: format!(
            "`{}` is not a duration; write e.g. 30m, 1h or 1h30m",
            s.chars().take(40).collect::<String>()
        ),
    };
    if let Ok(m) = s.parse::<u32>() {
        return Ok(m);
    }
    let (mut total, mut num) = (0u32, String::new());
    for c in s.chars() {
        match c {
            '0'..='9' => num.push(c),
            'h' | 'm' | 'd' if !num.is_empty() => {
                let n: u32 = num.parse().map_err(|_| bad())?;
                let unit = match c {
                    'd' => 1440,
                    'h' => 60,
                    _ => 1,
                };
                total = n
                    .checked_mul(unit)
                    .and_then(|v| total.checked_add(v))
                    .ok_or_else(bad)?;
                num.clear();
            }
            _ => return Err(bad()),
        }
    }
    if !num.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(total)
}
