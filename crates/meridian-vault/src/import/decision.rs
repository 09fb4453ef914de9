//! MADR (versions 1–4) → [`Decision`].
//!
//! Sections are found by heading (case-insensitive, outside code). Text this model has no
//! field for — `## More Information`, `### Confirmation`, prose around the option list —
//! is kept in `properties` under `section:<heading>` (JSON string of the Markdown), and
//! the renderer writes it back as a section, so an import → export loses nothing.

use std::ops::Range;

use meridian_core::{Decision, DecisionOption, DecisionStatus, parse_date};
use serde_yaml_ng::Value;

use super::frontmatter::{Meta, split_commas};
use super::outline::{Outline, item_text, norm_heading};
use super::page::{is_id, one_line};
use crate::slug::{slugify, unique};

/// Property key prefix for sections kept as Markdown.
pub(crate) const SECTION: &str = "section:";
/// Subsections of `## Decision Outcome` other than the consequences.
pub(crate) const OUTCOME_SECTION: &str = "section:Decision Outcome/";
/// Prose before the first `###` of `## Pros and Cons of the Options`.
pub(crate) const PROS_CONS_PREFACE: &str = "section:Pros and Cons of the Options";
/// Prose in `## Considered Options` / `## Decision Drivers` outside the bullets.
pub(crate) const OPTIONS_PREFACE: &str = "section:Considered Options";
pub(crate) const DRIVERS_PREFACE: &str = "section:Decision Drivers";
/// The status as written, when it was not one of Meridian's words.
pub(crate) const ORIGINAL_STATUS: &str = "original_status";

pub(super) fn build(
    mut meta: Meta,
    o: &Outline<'_>,
    fallback_title: &str,
    now_ms: i64,
) -> Decision {
    let src = o.src;
    let title_heading = o.title_heading().cloned();
    let title = meta
        .take_if(&["title"], |s| !s.is_empty())
        .or_else(|| title_heading.as_ref().map(|h| h.text.clone()))
        .unwrap_or_else(|| fallback_title.to_owned());
    let mut d = Decision::new(one_line(&title), now_ms);
    let mut extra: Vec<(String, String)> = Vec::new();

    // Top-level sections: every heading of rank 1 or 2 except the title.
    let tops: Vec<usize> = (0..o.headings.len())
        .filter(|&i| {
            o.headings[i].level <= 2
                && title_heading
                    .as_ref()
                    .is_none_or(|t| t.range != o.headings[i].range)
        })
        .collect();

    // The preamble (between the title and the first section) may hold old-style
    // `* Status: …` lines; the rest of it is context.
    let preamble_end = tops
        .first()
        .map_or(src.len(), |&i| o.headings[i].range.start);
    let title_range = title_heading
        .as_ref()
        .map(|h| h.range.clone())
        .filter(|r| r.start < preamble_end);
    let preamble = match &title_range {
        Some(r) => format!("{}\n{}", &src[..r.start], &src[r.end..preamble_end]),
        None => src[..preamble_end].to_owned(),
    };
    let old = old_style_metadata(&preamble);

    let mut context = String::new();
    let mut outcome: Option<Range<usize>> = None;
    let mut pros_cons: Option<Range<usize>> = None;
    let mut option_items: Vec<String> = Vec::new();
    for &i in &tops {
        let h = &o.headings[i];
        let body = h.range.end..o.section_end(i, src.len());
        match norm_heading(&h.text).as_str() {
            "context and problem statement" | "context" if context.is_empty() => {
                context = src[body].trim().to_owned();
            }
            "decision drivers" if d.drivers.is_empty() => {
                let items = o.items_in(&body);
                d.drivers = items.iter().map(|r| item_text(&src[r.clone()])).collect();
                push_nonempty(&mut extra, DRIVERS_PREFACE, o.text_without(&body, &items));
            }
            "considered options" if option_items.is_empty() => {
                let items = o.items_in(&body);
                option_items = items.iter().map(|r| item_text(&src[r.clone()])).collect();
                push_nonempty(&mut extra, OPTIONS_PREFACE, o.text_without(&body, &items));
            }
            "decision outcome" if outcome.is_none() => outcome = Some(body),
            "pros and cons of the options" if pros_cons.is_none() => pros_cons = Some(body),
            _ => push_nonempty(
                &mut extra,
                &format!("{SECTION}{}", h.text),
                src[body].trim().to_owned(),
            ),
        }
    }
    let leftover = old.rest.trim();
    d.context = match (leftover.is_empty(), context.is_empty()) {
        (true, _) => context,
        (false, true) => leftover.to_owned(),
        (false, false) => format!("{leftover}\n\n{context}"),
    };

    for text in option_items {
        // A nested list under an option is its description.
        let (head, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let i = add_option(&mut d.options, head.trim());
        d.options[i].description = rest.trim().to_owned();
    }

    if let Some(body) = pros_cons {
        let subs = o.headings_in(&body, 3);
        let preface_end = subs
            .first()
            .map_or(body.end, |&i| o.headings[i].range.start);
        push_nonempty(
            &mut extra,
            PROS_CONS_PREFACE,
            src[body.start..preface_end].trim().to_owned(),
        );
        for i in subs {
            let h = &o.headings[i];
            let sec = h.range.end..o.section_end(i, body.end);
            let idx = match find_option(&d.options, &h.text) {
                Some(idx) => idx,
                None => add_option(&mut d.options, &h.text),
            };
            let mut cut = Vec::new();
            for r in o.items_in(&sec) {
                let text = item_text(&src[r.clone()]);
                if let Some(p) = strip_argument(&text, "good") {
                    d.options[idx].pros.push(p);
                } else if let Some(p) = strip_argument(&text, "neutral") {
                    d.options[idx].pros.push(format!("Neutral: {p}"));
                } else if let Some(c) = strip_argument(&text, "bad") {
                    d.options[idx].cons.push(c);
                } else {
                    continue;
                }
                cut.push(r);
            }
            let description = o.text_without(&sec, &cut);
            let opt = &mut d.options[idx];
            opt.description = match (opt.description.is_empty(), description.is_empty()) {
                (_, true) => std::mem::take(&mut opt.description),
                (true, false) => description,
                (false, false) => format!("{}\n\n{description}", opt.description),
            };
        }
    }

    if let Some(body) = outcome {
        let subs = o.headings_in(&body, 3);
        let main_end = subs
            .first()
            .map_or(body.end, |&i| o.headings[i].range.start);
        let (chosen, rationale) = chosen_option(&src[body.start..main_end]);
        d.rationale = rationale;
        if let Some(chosen) = chosen {
            let idx = match find_option(&d.options, &chosen) {
                Some(idx) => idx,
                None => add_option(&mut d.options, &chosen),
            };
            d.chosen_option = Some(d.options[idx].id.clone());
        }
        let mut consequences: Vec<String> = Vec::new();
        for i in subs {
            let h = &o.headings[i];
            let text = src[h.range.end..o.section_end(i, body.end)]
                .trim()
                .to_owned();
            match norm_heading(&h.text).as_str() {
                "consequences" => consequences.push(text),
                "positive consequences" => {
                    consequences.push(format!("Positive consequences:\n\n{text}"))
                }
                "negative consequences" => {
                    consequences.push(format!("Negative consequences:\n\n{text}"))
                }
                _ => push_nonempty(&mut extra, &format!("{OUTCOME_SECTION}{}", h.text), text),
            }
        }
        d.consequences = consequences
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
    }

    // Front matter first, then old-style lines.
    let written_status = meta
        .take_string(&["status"])
        .or(old.status)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    d.deciders = meta
        .take_list(&["decision_makers", "deciders", "decision_maker"])
        .or(old.deciders)
        .unwrap_or_default();
    d.consulted = meta
        .take_list(&["consulted"])
        .or(old.consulted)
        .unwrap_or_default();
    d.informed = meta
        .take_list(&["informed"])
        .or(old.informed)
        .unwrap_or_default();
    d.review_by = meta.take_if(&["review_by"], |s| parse_date("review_by", s).is_ok());
    d.supersedes = meta.take_if(&["supersedes"], is_id);
    d.superseded_by = meta.take_if(&["superseded_by"], is_id);
    d.source_thread = meta.take_if(&["source_thread"], is_id);
    d.source_meeting = meta.take_if(&["source_meeting"], is_id);
    d.decide_by_ms = meta
        .take_if(&["decide_by_ms"], |s| s.parse::<i64>().is_ok())
        .and_then(|s| s.parse().ok());
    if let Some(date) = old.date
        && !meta.has(&["date"])
    {
        meta.keep("date".to_owned(), Value::String(date));
    }

    let mapped = written_status.as_deref().and_then(status_from_words);
    let mut status = mapped.unwrap_or(if d.chosen_option.is_some() {
        DecisionStatus::Accepted
    } else {
        DecisionStatus::Proposed
    });
    // Meridian never holds an accepted decision without a chosen option.
    if status == DecisionStatus::Accepted && d.chosen_option.is_none() {
        status = DecisionStatus::Proposed;
    }
    d.status = status;
    if let Some(w) = written_status
        && w.parse::<DecisionStatus>().ok() != Some(status)
    {
        meta.keep(ORIGINAL_STATUS.to_owned(), Value::String(w));
    }

    d.properties = meta.into_properties();
    for (k, v) in extra {
        let mut key = k.clone();
        let mut n = 2;
        while d.properties.contains_key(&key) {
            key = format!("{k} ({n})");
            n += 1;
        }
        d.properties
            .insert(key, serde_json::Value::String(v).to_string());
    }
    d
}

fn push_nonempty(extra: &mut Vec<(String, String)>, key: &str, text: String) {
    if !text.is_empty() {
        extra.push((key.to_owned(), text));
    }
}

/// Maps the many status words found in the wild onto Meridian's six.
pub(crate) fn status_from_words(s: &str) -> Option<DecisionStatus> {
    if let Ok(exact) = s.parse::<DecisionStatus>() {
        return Some(exact);
    }
    let w = s.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|x| w.contains(x));
    if has(&["supersed", "superced", "replaced"]) {
        Some(DecisionStatus::Superseded)
    } else if has(&["deprecat", "obsolete", "retired"]) {
        Some(DecisionStatus::Deprecated)
    } else if has(&["reject", "declin", "abandon", "withdrawn", "refused"]) {
        Some(DecisionStatus::Rejected)
    } else if has(&["draft", "wip", "work in progress"]) {
        Some(DecisionStatus::Draft)
    } else if has(&[
        "propos", "review", "open", "pending", "hold", "discuss", "consult",
    ]) {
        Some(DecisionStatus::Proposed)
    } else if has(&[
        "accept",
        "approv",
        "agreed",
        "decided",
        "adopted",
        "done",
        "implemented",
    ]) {
        Some(DecisionStatus::Accepted)
    } else {
        None
    }
}

#[derive(Debug, Default)]
struct OldStyle {
    status: Option<String>,
    deciders: Option<Vec<String>>,
    consulted: Option<Vec<String>>,
    informed: Option<Vec<String>>,
    date: Option<String>,
    rest: String,
}

/// `* Status: accepted`, `Deciders: a, b`, `* Date: 2020-01-01` lines of MADR 1–3.
fn old_style_metadata(preamble: &str) -> OldStyle {
    let mut out = OldStyle::default();
    let mut rest = Vec::new();
    for line in preamble.lines() {
        let t = line.trim_start();
        let t = t.strip_prefix(['*', '-']).map_or(t, str::trim_start);
        let parsed = t.split_once(':').and_then(|(k, v)| {
            let key = norm_heading(k);
            let value = v.trim().trim_start_matches("**").trim().to_owned();
            Some((key, value)).filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "status"
                        | "deciders"
                        | "decision-makers"
                        | "decision makers"
                        | "consulted"
                        | "informed"
                        | "date"
                )
            })
        });
        match parsed {
            Some((k, v)) => match k.as_str() {
                "status" => out.status = Some(v),
                "consulted" => out.consulted = Some(split_commas(&v)),
                "informed" => out.informed = Some(split_commas(&v)),
                "date" => out.date = Some(v),
                _ => out.deciders = Some(split_commas(&v)),
            },
            None => rest.push(line),
        }
    }
    out.rest = rest.join("\n");
    out
}

fn strip_prefix_ci<'t>(s: &'t str, prefix: &str) -> Option<&'t str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `Good, because x` → `x` (also `Good because x`, any case).
fn strip_argument(text: &str, word: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    for prefix in [format!("{word}, because"), format!("{word} because")] {
        if lower.starts_with(&prefix) && text.is_char_boundary(prefix.len()) {
            return Some(text[prefix.len()..].trim().to_owned());
        }
    }
    None
}

/// Finds `Chosen option: "X", because Y` and returns X and the rationale: Y plus the rest
/// of the outcome text (prose before the line is kept too).
fn chosen_option(text: &str) -> (Option<String>, String) {
    // ASCII lowercasing keeps byte offsets, so `at` indexes `text`.
    let lower = text.to_ascii_lowercase();
    let Some(at) = lower.find("chosen option") else {
        return (None, text.trim().to_owned());
    };
    let before = text[..at].trim().trim_end_matches(['*', '_']).trim();
    let after_label = &text[at + "chosen option".len()..];
    let after_label = after_label.trim_start_matches(['*', '_']);
    let Some(after_colon) = after_label.trim_start().strip_prefix(':') else {
        return (None, text.trim().to_owned());
    };
    let rest = after_colon.trim_start_matches(['*', '_', ' ', '\t']);
    let line = rest.lines().next().unwrap_or("");
    let (title, tail_start) = match rest.chars().next() {
        Some(open @ ('"' | '\'' | '“' | '‘' | '`')) if open != '`' || !rest.starts_with("```") =>
        {
            let close = match open {
                '“' => '”',
                '‘' => '’',
                c => c,
            };
            let inner = &rest[open.len_utf8()..];
            let inner_line = &line[open.len_utf8().min(line.len())..];
            let end = [format!("{close}, because"), format!("{close} because")]
                .iter()
                .filter_map(|p| inner_line.find(p.as_str()))
                .min()
                .or_else(|| inner_line.rfind(close));
            match end {
                Some(e) => (
                    inner[..e].to_owned(),
                    open.len_utf8() + e + close.len_utf8(),
                ),
                None => (inner_line.to_owned(), open.len_utf8() + inner_line.len()),
            }
        }
        _ => {
            let e = line
                .to_ascii_lowercase()
                .find(", because")
                .unwrap_or(line.len());
            (line[..e].to_owned(), e)
        }
    };
    let title = title.trim().trim_matches(['*', '_']).trim().to_owned();
    let tail = rest[tail_start..].trim_start_matches(['*', '_']);
    let tail_trim = tail.trim_start();
    let rationale = strip_prefix_ci(tail_trim, ", because")
        .or_else(|| strip_prefix_ci(tail_trim, "because"))
        .unwrap_or_else(|| tail_trim.trim_start_matches([',', '.']));
    let rationale = rationale.trim_start_matches(':').trim();
    let rationale = match (before.is_empty(), rationale.is_empty()) {
        (true, _) => rationale.to_owned(),
        (false, true) => before.to_owned(),
        (false, false) => format!("{before}\n\n{rationale}"),
    };
    if title.is_empty() {
        return (None, rationale);
    }
    (Some(title), rationale)
}

/// Option titles compared without Markdown links, emphasis, quotes, case or extra spaces.
pub(crate) fn norm_title(s: &str) -> String {
    let mut plain = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `[text](url)` → `text`
            ']' if chars.peek() == Some(&'(') => {
                for c in chars.by_ref() {
                    if c == ')' {
                        break;
                    }
                }
            }
            '[' | ']' | '*' | '_' | '`' | '"' | '\'' | '“' | '”' | '‘' | '’' => {}
            c => plain.push(c),
        }
    }
    plain
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['.', ':'])
        .to_lowercase()
}

/// The option called `title`: the same title, the same normalised title, or the only
/// option whose normalised title starts with it ("MADR 4.0.0" names "[MADR](…) 4.0.0 –
/// The Markdown Architectural Decision Records").
fn find_option(options: &[DecisionOption], title: &str) -> Option<usize> {
    if let Some(i) = options.iter().position(|o| o.title == title) {
        return Some(i);
    }
    let want = norm_title(title);
    if want.is_empty() {
        return None;
    }
    if let Some(i) = options.iter().position(|o| norm_title(&o.title) == want) {
        return Some(i);
    }
    let prefixed: Vec<usize> = (0..options.len())
        .filter(|&i| {
            let have = norm_title(&options[i].title);
            have.strip_prefix(&want).is_some_and(|rest| {
                rest.starts_with(|c: char| c.is_whitespace() || ",;:(".contains(c))
            })
        })
        .collect();
    match prefixed.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

fn add_option(options: &mut Vec<DecisionOption>, title: &str) -> usize {
    let taken: Vec<String> = options.iter().map(|o| o.id.clone()).collect();
    let id = unique(&slugify(&norm_title(title), "option"), &taken);
    options.push(DecisionOption {
        id,
        title: one_line(title),
        description: String::new(),
        pros: Vec::new(),
        cons: Vec::new(),
    });
    options.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("accepted", Some(DecisionStatus::Accepted))]
    #[case("Accepted", Some(DecisionStatus::Accepted))]
    #[case(
        "superseded by [ADR-0005](0005-example.md)",
        Some(DecisionStatus::Superseded)
    )]
    #[case("on hold", Some(DecisionStatus::Proposed))]
    #[case("Rejected", Some(DecisionStatus::Rejected))]
    #[case("deprecated", Some(DecisionStatus::Deprecated))]
    #[case("WIP", Some(DecisionStatus::Draft))]
    #[case("banana", None)]
    fn status_words(#[case] text: &str, #[case] want: Option<DecisionStatus>) {
        assert_eq!(status_from_words(text), want);
    }

    #[rstest]
    #[case("Chosen option: \"A\", because it is fast.", Some("A"), "it is fast.")]
    #[case("Chosen option: 'Say \"hi\"', because x", Some("Say \"hi\""), "x")]
    #[case("Chosen option: \"A\"", Some("A"), "")]
    #[case("Chosen option: A, because b", Some("A"), "b")]
    #[case(
        "**Chosen option:** \"A\", because\n\n* one\n* two",
        Some("A"),
        "* one\n* two"
    )]
    #[case(
        "We looked hard.\n\nNothing chosen.",
        None,
        "We looked hard.\n\nNothing chosen."
    )]
    fn chosen_lines(#[case] text: &str, #[case] title: Option<&str>, #[case] rationale: &str) {
        let (t, r) = chosen_option(text);
        assert_eq!(t.as_deref(), title);
        assert_eq!(r, rationale);
    }

    #[test]
    fn titles_match_loosely() {
        assert_eq!(
            norm_title("[MADR](https://x) 4.0.0 – The MADR"),
            "madr 4.0.0 – the madr"
        );
        let opts = vec![DecisionOption {
            id: "a".into(),
            title: "[MADR](https://x) 4.0.0 – The MADR".into(),
            description: String::new(),
            pros: vec![],
            cons: vec![],
        }];
        assert_eq!(find_option(&opts, "MADR 4.0.0"), Some(0));
        assert_eq!(find_option(&opts, "MADR 4"), None);
    }
}
