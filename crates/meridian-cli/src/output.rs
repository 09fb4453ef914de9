//! Printing. Every handler returns a [`Report`]; [`emit`] is the one place that prints it:
//! one JSON document with `--json`, short human text otherwise.

use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};
use meridian_app::{ObjectSummary, Shown};
use serde::Serialize;

/// What a command produced. Its `Serialize` form is what `--json` prints; `human` is the
/// text for people.
pub trait Report: Json {
    /// The text form, on stdout.
    fn human(&self, out: &mut dyn Write) -> io::Result<()>;

    /// Advice after the text, on stderr. `--json` leaves it out: there stdout is the whole
    /// answer and scripts do not need the advice.
    fn advice(&self, _err: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    /// Why the command failed although it has a report to print (the process then exits
    /// non-zero after printing it): `mirror --once` that refused a file.
    fn failure(&self) -> Option<String> {
        None
    }
}

/// `Serialize` in a form that boxed reports can use (`Serialize` itself is not object safe).
pub trait Json {
    fn to_json(&self) -> serde_json::Result<String>;
}

impl<T: Serialize> Json for T {
    fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }
}

/// What a handler returns.
pub type Reply = Box<dyn Report>;

/// Prints a report as JSON (`--json`) or as text.
pub fn emit(report: &dyn Report, json: bool) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    if json {
        writeln!(out, "{}", report.to_json()?)?;
        return Ok(());
    }
    report.human(&mut out)?;
    out.flush()?;
    report.advice(&mut io::stderr().lock())?;
    Ok(())
}

/// What a create or edit command produced: the whole object in JSON, one line as text.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Done {
    pub shown: Shown,
    #[serde(skip)]
    pub verb: &'static str,
    #[serde(skip)]
    pub summary: ObjectSummary,
}

impl Report for Done {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.summary;
        writeln!(out, "{} {} {} \"{}\"", self.verb, s.kind, s.id, s.title)
    }
}

/// Objects, one line each (`list`).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Objects(pub Vec<ObjectSummary>);

impl Report for Objects {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "(nothing yet)");
        }
        for r in &self.0 {
            let status = r.status.as_deref().unwrap_or("");
            let trashed = if r.trashed { " (trashed)" } else { "" };
            writeln!(
                out,
                "{}  {:<8}  {:<11}  {}{}",
                r.id, r.kind, status, r.title, trashed
            )?;
        }
        Ok(())
    }
}

/// A readable rendering of any object (`show`): its fields as indented `key: value` lines,
/// long text as-is.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Object(pub Shown);

impl Report for Object {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let value = serde_json::to_value(&self.0)?;
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                write_field(out, &k, &v, 0)?;
            }
        }
        Ok(())
    }
}

fn write_field(
    out: &mut dyn Write,
    key: &str,
    v: &serde_json::Value,
    depth: usize,
) -> io::Result<()> {
    use serde_json::Value;
    let pad = "  ".repeat(depth);
    match v {
        Value::Null => {}
        Value::String(s) if s.contains('\n') => {
            writeln!(out, "{pad}{key}:")?;
            for line in s.lines() {
                writeln!(out, "{pad}  | {line}")?;
            }
        }
        Value::String(s) => writeln!(out, "{pad}{key}: {s}")?,
        Value::Array(items) if items.is_empty() => {}
        Value::Array(items) => {
            writeln!(out, "{pad}{key}:")?;
            for item in items {
                match item {
                    Value::Object(map) => {
                        writeln!(out, "{pad}  -")?;
                        for (k, v) in map {
                            write_field(out, k, v, depth + 2)?;
                        }
                    }
                    other => writeln!(out, "{pad}  - {}", scalar(other))?,
                }
            }
        }
        Value::Object(map) if map.is_empty() => {}
        Value::Object(map) => {
            writeln!(out, "{pad}{key}:")?;
            for (k, v) in map {
                write_field(out, k, v, depth + 1)?;
            }
        }
        other => writeln!(out, "{pad}{key}: {}", scalar(other))?,
    }
    Ok(())
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `2026-12-01T17:00:00+11:00` → `Tue 1 Dec 17:00 +11:00`.
pub fn local(s: &str) -> String {
    DateTime::<FixedOffset>::parse_from_rfc3339(s)
        .map(|t| t.format("%a %-d %b %H:%M %:z").to_string())
        .unwrap_or_else(|_| s.to_owned())
}

/// `2026-12-01T06:00:00Z` → `Tue 1 Dec 06:00 UTC`.
pub fn utc(s: &str) -> String {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc().format("%a %-d %b %H:%M UTC").to_string())
        .unwrap_or_else(|_| s.to_owned())
}
