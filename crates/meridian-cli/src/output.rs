//! Printing: one JSON document with `--json`, short human text otherwise.

use meridian_app::core::views::tasks::DueBucket;
use meridian_app::{ImportReport, ObjectSummary, Shown, TaskList, WorkspaceInfo};
use serde::Serialize;

/// What `init --json` prints: the workspace, and what `--sample` added (`null` without it).
#[derive(Debug, Serialize)]
pub struct Initialised {
    #[serde(flatten)]
    pub info: WorkspaceInfo,
    pub sample: Option<ImportReport>,
}

pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn table(rows: &[ObjectSummary]) {
    if rows.is_empty() {
        println!("(nothing yet)");
        return;
    }
    for r in rows {
        let status = r.status.as_deref().unwrap_or("");
        let trashed = if r.trashed { " (trashed)" } else { "" };
        println!(
            "{}  {:<8}  {:<11}  {}{}",
            r.id, r.kind, status, r.title, trashed
        );
    }
}

/// A readable rendering of any object: its fields as indented `key: value` lines, long
/// text as-is.
pub fn shown(s: &Shown) -> anyhow::Result<()> {
    let value = serde_json::to_value(s)?;
    if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            print_field(&k, &v, 0);
        }
    }
    Ok(())
}

fn print_field(key: &str, v: &serde_json::Value, depth: usize) {
    use serde_json::Value;
    let pad = "  ".repeat(depth);
    match v {
        Value::Null => {}
        Value::String(s) if s.contains('\n') => {
            println!("{pad}{key}:");
            for line in s.lines() {
                println!("{pad}  | {line}");
            }
        }
        Value::String(s) => println!("{pad}{key}: {s}"),
        Value::Array(items) if items.is_empty() => {}
        Value::Array(items) => {
            println!("{pad}{key}:");
            for item in items {
                match item {
                    Value::Object(map) => {
                        println!("{pad}  -");
                        for (k, v) in map {
                            print_field(k, v, depth + 2);
                        }
                    }
                    other => println!("{pad}  - {}", scalar(other)),
                }
            }
        }
        Value::Object(map) if map.is_empty() => {}
        Value::Object(map) => {
            println!("{pad}{key}:");
            for (k, v) in map {
                print_field(k, v, depth + 1);
            }
        }
        other => println!("{pad}{key}: {}", scalar(other)),
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The task list under one heading per due-date group.
pub fn tasks(list: &TaskList) {
    if list.rows.is_empty() {
        println!("No tasks. Create one with `meridian task new --title …`.");
        return;
    }
    let mut group = None;
    for r in &list.rows {
        if group != Some(r.bucket) {
            group = Some(r.bucket);
            println!("{}", bucket_label(r.bucket));
        }
        let owner = r.owner_name.as_deref().unwrap_or("unassigned");
        let due = match &r.due {
            Some(d) => format!("due {d} ({})", r.tz),
            None => "no due date".to_owned(),
        };
        println!("  {}  {:<7}  {}  — {owner}, {due}", r.id, r.state, r.title);
    }
}

fn bucket_label(b: DueBucket) -> &'static str {
    match b {
        DueBucket::Overdue => "Overdue",
        DueBucket::Today => "Today",
        DueBucket::ThisWeek => "This week",
        DueBucket::Later => "Later",
        DueBucket::NoDate => "No date",
        DueBucket::Done => "Done or dropped",
    }
}
