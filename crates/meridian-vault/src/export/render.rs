//! Objects → Markdown text.

use meridian_core::{Decision, DocId, Page, Properties};
use serde_yaml_ng::{Mapping, Value};

use crate::import::frontmatter::{norm_key, yaml_of_json_text};
use crate::import::{
    DRIVERS_PREFACE, OPTIONS_PREFACE, OUTCOME_SECTION, PROS_CONS_PREFACE, SECTION,
};

/// Keys never written from properties: they are always rendered from the id and title.
const ALWAYS_RENDERED: &[&str] = &["id", "title"];

/// A page as Markdown: YAML front matter (id, title, tags, parent, owner, review_by, then
/// the kept properties) followed by the body exactly as stored.
pub fn render_page(id: &DocId, page: &Page) -> String {
    let mut fm = Mapping::new();
    put(&mut fm, "id", id.as_str());
    put(&mut fm, "title", &one_line(&page.title));
    if !page.tags.is_empty() {
        fm.insert("tags".into(), strings(&page.tags));
    }
    put_opt(&mut fm, "parent", page.parent.as_deref());
    put_opt(&mut fm, "owner", page.owner.as_deref());
    put_opt(&mut fm, "review_by", page.review_by.as_deref());
    put_properties(&mut fm, &page.properties);
    format!("{}{}", front_matter(&fm), page.body)
}

/// A decision as MADR 4 Markdown with front matter (id, status, date if known,
/// decision-makers, consulted, informed, review_by, links, then the kept properties).
pub fn render_decision(id: &DocId, d: &Decision) -> String {
    let mut fm = Mapping::new();
    put(&mut fm, "id", id.as_str());
    put(&mut fm, "status", d.status.as_str());
    if let Some(date) = d.properties.get("date") {
        fm.insert("date".into(), yaml_of_json_text(date));
    }
    for (key, list) in [
        ("decision-makers", &d.deciders),
        ("consulted", &d.consulted),
        ("informed", &d.informed),
    ] {
        if !list.is_empty() {
            fm.insert(key.into(), strings(list));
        }
    }
    put_opt(&mut fm, "review_by", d.review_by.as_deref());
    put_opt(&mut fm, "supersedes", d.supersedes.as_deref());
    put_opt(&mut fm, "superseded_by", d.superseded_by.as_deref());
    put_opt(&mut fm, "source_thread", d.source_thread.as_deref());
    put_opt(&mut fm, "source_meeting", d.source_meeting.as_deref());
    if let Some(ms) = d.decide_by_ms {
        fm.insert("decide_by_ms".into(), Value::Number(ms.into()));
    }
    let sections: Properties = d
        .properties
        .iter()
        .filter(|(k, _)| k.starts_with(SECTION))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let plain: Properties = d
        .properties
        .iter()
        .filter(|(k, _)| !k.starts_with(SECTION))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    put_properties(&mut fm, &plain);
    let section = |key: &str| sections.get(key).map(|v| section_text(v));

    let mut out = front_matter(&fm);
    out.push_str(&format!("# {}\n", one_line(&d.title)));
    if !d.context.trim().is_empty() {
        block(
            &mut out,
            "## Context and Problem Statement",
            d.context.trim(),
        );
    }
    if !d.drivers.is_empty() || section(DRIVERS_PREFACE).is_some() {
        let mut text = section(DRIVERS_PREFACE).unwrap_or_default();
        push_para(&mut text, &bullets(d.drivers.iter().map(String::as_str)));
        block(&mut out, "## Decision Drivers", &text);
    }
    let mut options = section(OPTIONS_PREFACE).unwrap_or_default();
    push_para(
        &mut options,
        &bullets(d.options.iter().map(|o| o.title.as_str())),
    );
    block(&mut out, "## Considered Options", &options);

    let outcome_subs: Vec<(&str, String)> = sections
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(OUTCOME_SECTION)?, section_text(v))))
        .collect();
    if d.chosen().is_some()
        || !d.rationale.trim().is_empty()
        || !d.consequences.trim().is_empty()
        || !outcome_subs.is_empty()
    {
        let mut text = String::new();
        let rationale = d.rationale.trim();
        match d.chosen() {
            Some(c) => {
                let title = one_line(&c.title);
                let q = if title.contains('"') && !title.contains('\'') {
                    '\''
                } else {
                    '"'
                };
                text.push_str(&format!("Chosen option: {q}{title}{q}"));
                if !rationale.is_empty() {
                    let sep = if starts_block(rationale) { "\n\n" } else { " " };
                    text.push_str(&format!(", because{sep}{rationale}"));
                }
            }
            None => text.push_str(rationale),
        }
        block(&mut out, "## Decision Outcome", text.trim());
        if !d.consequences.trim().is_empty() {
            block(&mut out, "### Consequences", d.consequences.trim());
        }
        for (name, text) in outcome_subs {
            block(&mut out, &format!("### {name}"), &text);
        }
    }

    let detailed: Vec<_> = d
        .options
        .iter()
        .filter(|o| !o.description.trim().is_empty() || !o.pros.is_empty() || !o.cons.is_empty())
        .collect();
    if !detailed.is_empty() || section(PROS_CONS_PREFACE).is_some() {
        block(
            &mut out,
            "## Pros and Cons of the Options",
            &section(PROS_CONS_PREFACE).unwrap_or_default(),
        );
        for o in detailed {
            let mut text = o.description.trim().to_owned();
            let args: Vec<String> = o
                .pros
                .iter()
                .map(|p| match p.strip_prefix("Neutral: ") {
                    Some(n) => format!("Neutral, because {n}"),
                    None => format!("Good, because {p}"),
                })
                .chain(o.cons.iter().map(|c| format!("Bad, because {c}")))
                .collect();
            push_para(&mut text, &bullets(args.iter().map(String::as_str)));
            block(&mut out, &format!("### {}", one_line(&o.title)), &text);
        }
    }

    for (key, v) in &sections {
        let known = [DRIVERS_PREFACE, OPTIONS_PREFACE, PROS_CONS_PREFACE];
        if known.contains(&key.as_str()) || key.starts_with(OUTCOME_SECTION) {
            continue;
        }
        let name = key.strip_prefix(SECTION).unwrap_or(key);
        block(&mut out, &format!("## {name}"), &section_text(v));
    }
    out
}

pub(super) fn front_matter(fm: &Mapping) -> String {
    let yaml = serde_yaml_ng::to_string(fm).unwrap_or_default();
    format!("---\n{yaml}---\n")
}

pub(super) fn put(fm: &mut Mapping, key: &str, value: &str) {
    fm.insert(key.into(), value.into());
}

pub(super) fn put_opt(fm: &mut Mapping, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        put(fm, key, v);
    }
}

pub(super) fn strings(list: &[String]) -> Value {
    Value::Sequence(list.iter().map(|s| Value::String(s.clone())).collect())
}

/// Adds the kept properties, except where a field already wrote the same key (a kept
/// `parent: Decisions` is written only when the page has no parent id): the field wins,
/// and an import reads the key back as that field.
fn put_properties(fm: &mut Mapping, props: &Properties) {
    for (k, v) in props {
        let key = norm_key(k);
        let taken = ALWAYS_RENDERED.contains(&key.as_str())
            || fm
                .keys()
                .filter_map(Value::as_str)
                .any(|have| norm_key(have) == key || (is_decider_key(have) && is_decider_key(k)));
        if taken {
            continue;
        }
        fm.insert(k.as_str().into(), yaml_of_json_text(v));
    }
}

fn is_decider_key(k: &str) -> bool {
    matches!(
        norm_key(k).as_str(),
        "deciders" | "decision_makers" | "decision_maker"
    )
}

/// A kept section is a JSON string of Markdown; anything else is shown as its JSON.
fn section_text(json: &str) -> String {
    serde_json::from_str::<String>(json).unwrap_or_else(|_| json.to_owned())
}

pub(super) fn block(out: &mut String, heading: &str, text: &str) {
    out.push('\n');
    out.push_str(heading);
    out.push('\n');
    if !text.is_empty() {
        out.push('\n');
        out.push_str(text);
        out.push('\n');
    }
}

fn push_para(text: &mut String, para: &str) {
    if para.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(para);
}

/// `* item` lines; an item's later lines are indented so they stay in the item.
fn bullets<'s>(items: impl Iterator<Item = &'s str>) -> String {
    items
        .map(|i| format!("* {}", i.trim().replace('\n', "\n  ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether text would start a block of its own (list, quote, heading, fence, table)
/// rather than continue the `Chosen option` sentence.
fn starts_block(text: &str) -> bool {
    let t = text.trim_start();
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    t.starts_with(['*', '-', '+', '>', '#', '|', '`', '~', '<'])
        || (digits > 0 && t[digits..].starts_with(['.', ')']))
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
