//! Turning arguments into what the engine takes: text from a flag, a file or stdin,
//! instants, deliveries, durations, `none` to clear a field.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use meridian_app::core::norms::from_ms;
use meridian_app::core::{Delivery, DocId};

use crate::args::BodyArgs;

pub fn read_text(args: &BodyArgs) -> anyhow::Result<Option<String>> {
    if let Some(text) = &args.body {
        return Ok(Some(text.clone()));
    }
    args.body_file
        .as_deref()
        .map(read_file_or_stdin)
        .transpose()
}

pub fn read_file_or_stdin(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the text from stdin")?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {}: it must be a UTF-8 text file",
            path.display()
        )
    })
}

/// `none` (any case) clears an optional field.
pub fn clearable(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| (!v.trim().eq_ignore_ascii_case("none")).then_some(v))
}

/// An object id, or `none` to clear the field that holds one (clap's parser for
/// `page edit --parent`).
pub fn doc_id_or_none(s: &str) -> Result<Cleared<DocId>, meridian_app::core::Error> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(Cleared::None);
    }
    s.parse().map(Cleared::Some)
}

/// An object id with spaces around it allowed (clap's parser for ids pasted into flags).
pub fn trimmed_doc_id(s: &str) -> Result<DocId, meridian_app::core::Error> {
    s.trim().parse()
}

/// A value, or `none` given to clear it.
#[derive(Debug, Clone)]
pub enum Cleared<T> {
    None,
    Some(T),
}

impl<T> Cleared<T> {
    pub fn into_option(self) -> Option<T> {
        match self {
            Cleared::None => None,
            Cleared::Some(v) => Some(v),
        }
    }
}

pub fn instant(s: &str) -> anyhow::Result<DateTime<Utc>> {
    meridian_app::parse_rfc3339_ms(s).map(from_ms).ok_or_else(|| {
        anyhow!("`{s}` is not an RFC 3339 instant; write e.g. 2026-12-01T15:00:00Z or 2026-12-01T16:00:00+01:00")
    })
}

pub fn opt_instant(s: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    s.map(instant).transpose()
}

pub fn delivery(s: &str) -> anyhow::Result<Delivery> {
    Ok(s.trim().to_ascii_lowercase().parse::<Delivery>()?)
}

/// `--wait`, `--timeout` and `--expires`: seconds, minutes, hours or days (`90s`, `30m`,
/// `2h`, `7d`), combined largest first (`1h30m`, `1m30s`); a bare number is minutes, as it
/// always was. Seconds matter here, unlike for meeting lengths (the core's parser).
pub fn duration(text: &str) -> anyhow::Result<Duration> {
    let bad = || {
        anyhow::anyhow!(
            "{:?} is not a duration: use e.g. 90s, 30m, 2h, 7d or 1h30m",
            text.chars().take(40).collect::<String>()
        )
    };
    let s = text.trim().to_ascii_lowercase();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let minutes: u64 = s.parse().map_err(|_| bad())?;
        return match minutes {
            0 => Err(bad()),
            m => m.checked_mul(60).map(Duration::from_secs).ok_or_else(bad),
        };
    }
    let (mut total, mut number, mut last_unit) = (0u64, String::new(), u64::MAX);
    for c in s.chars() {
        let unit = match c {
            '0'..='9' => {
                number.push(c);
                continue;
            }
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        // Each unit once, largest first: `30m2h` and `5m5m` are typing mistakes.
        if number.is_empty() || unit >= last_unit {
            return Err(bad());
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
        last_unit = unit;
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::duration;

    #[test]
    fn durations_in_seconds_minutes_hours_and_days() {
        for (text, secs) in [
            ("60s", 60),
            ("90s", 90),
            ("30m", 1_800),
            ("2h", 7_200),
            ("7d", 604_800),
            ("1h30m", 5_400),
            ("1m30s", 90),
            ("1d2h3m4s", 93_784),
            (" 45S ", 45),
            ("10", 600),
        ] {
            assert_eq!(
                duration(text).ok(),
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_accepted_forms() {
        for bad in [
            "soon",
            "",
            "s",
            "0s",
            "0",
            "1h30",
            "30m2h",
            "5m5m",
            "-5m",
            "1.5h",
            "2 h",
            "1w",
            "99999999999999999999s",
        ] {
            let err = duration(bad).expect_err(bad).to_string();
            assert!(err.contains("is not a duration"), "{bad}: {err}");
            assert!(err.contains("90s, 30m, 2h"), "{bad}: {err}");
        }
    }
}
