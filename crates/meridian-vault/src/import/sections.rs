//! What meeting and thread files share: the marker comments that tie a `###` section to
//! an agenda item or a reply, the strict reading of their front matter, and the split of
//! the body into its `# Title`, the text under it and the known `##` sections.
//!
//! Unlike a page, whose unknown front matter is kept as properties, these files map onto
//! fixed fields: a value that cannot be read, a required field that is missing or a key
//! the kind does not have is an error naming it, so a mistake in a file is reported rather
//! than dropped.

use std::ops::Range;

use chrono::{DateTime, SecondsFormat};
use serde_yaml_ng::Value;

use super::frontmatter::{Meta, list, scalar_text};
use super::outline::{Outline, norm_heading};
use crate::Error;

pub(crate) const AGENDA: &str = "Agenda";
pub(crate) const NOTES: &str = "Notes";
pub(crate) const SUMMARY: &str = "Summary";
pub(crate) const REPLIES: &str = "Replies";

/// Keys of an agenda item's `- key: value` lines.
pub(crate) const OWNER: &str = "owner";
pub(crate) const MINUTES: &str = "minutes";
pub(crate) const PRE_READ: &str = "pre-read";
pub(crate) const RESOLVED: &str = "resolved in writing";

const ITEM: &str = "item";
const REPLY: &str = "reply";

/// `<!-- item: ID -->`, the line under an agenda item's heading.
pub(crate) fn item_marker(id: &str) -> String {
    format!("<!-- {ITEM}: {id} -->")
}

/// `<!-- reply: ID; by: MEMBER; at: TIME -->`, the line under a reply's heading.
pub(crate) fn reply_marker(id: &str, by: &str, at_ms: i64) -> String {
    let at = DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    format!("<!-- {REPLY}: {id}; by: {by}; at: {at} -->")
}

pub(crate) fn meta_line(key: &str, value: &str) -> String {
    format!("- {key}: {}\n", value.trim())
}

/// The organiser's zone; UTC when it is not a zone name.
pub(crate) fn zone_of(tz: &str) -> chrono_tz::Tz {
    tz.parse().unwrap_or(chrono_tz::UTC)
}

pub(crate) fn invalid(field: &str, detail: impl Into<String>) -> Error {
    Error::InvalidField {
        field: field.to_owned(),
        detail: detail.into(),
    }
}

/// At most 60 characters of a value, for messages.
pub(crate) fn shown(value: &str) -> String {
    value.trim().chars().take(60).collect()
}

/// One scalar value of `key`, trimmed; `None` when absent, null or empty.
pub(crate) fn take_text(meta: &mut Meta, key: &str) -> Result<Option<String>, Error> {
    let Some((_, v)) = meta.take(&[key]) else {
        return Ok(None);
    };
    if v.is_null() {
        return Ok(None);
    }
    match scalar_text(&v) {
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => Ok(Some(s.trim().to_owned())),
        None => Err(invalid(
            key,
            "write one value here, not a list or a mapping",
        )),
    }
}

/// A list of `key` (a YAML list, or one comma-separated line); empty when absent.
pub(crate) fn take_list(meta: &mut Meta, key: &str) -> Result<Vec<String>, Error> {
    let Some((_, v)) = meta.take(&[key]) else {
        return Ok(Vec::new());
    };
    let names = match &v {
        Value::Mapping(_) => None,
        v => list(v),
    };
    names.ok_or_else(|| {
        invalid(
            key,
            "write a list of values (`[a, b]` or one `- a` line each)",
        )
    })
}

pub(crate) fn take_bool(meta: &mut Meta, key: &str) -> Result<Option<bool>, Error> {
    take_text(meta, key)?
        .map(|v| {
            yes_no(&v).ok_or_else(|| invalid(key, format!("`{}` is not yes or no", shown(&v))))
        })
        .transpose()
}

pub(crate) fn yes_no(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

/// Refuses keys the kind does not have (everything not taken by now).
pub(crate) fn no_other_keys(meta: Meta, kind: &str) -> Result<(), Error> {
    let left = meta.into_properties();
    match left.keys().next() {
        None => Ok(()),
        Some(key) => Err(invalid(
            key,
            format!(
                "a {kind} has no such field: remove the line (a {kind} file holds only the fields Meridian writes into it)"
            ),
        )),
    }
}

/// A body split into its parts.
#[derive(Debug)]
pub(crate) struct Body<'a> {
    pub outline: Outline<'a>,
    pub title: String,
    /// The text between the title and the first known section, trimmed.
    pub lead: String,
    /// The known sections found, in file order: the name as given and the range of its
    /// content (after its heading line).
    pub sections: Vec<(&'static str, Range<usize>)>,
}

impl Body<'_> {
    /// The trimmed text of section `name`; empty when the file has no such section.
    pub(crate) fn text(&self, name: &str) -> String {
        self.range(name)
            .map(|r| self.outline.src[r].trim().to_owned())
            .unwrap_or_default()
    }

    pub(crate) fn range(&self, name: &str) -> Option<Range<usize>> {
        self.sections
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| r.clone())
    }

    /// The `###` sections inside section `name`: the heading's text and the range of its
    /// content. Text before the first of them is an error (it would belong to nothing).
    pub(crate) fn subsections(&self, name: &str) -> Result<Vec<(String, Range<usize>)>, Error> {
        let Some(within) = self.range(name) else {
            return Ok(Vec::new());
        };
        let heads = self.outline.headings_in(&within, 3);
        let first = heads
            .first()
            .map_or(within.end, |&i| self.outline.headings[i].range.start);
        if !self.outline.src[within.start..first].trim().is_empty() {
            return Err(invalid(
                name,
                format!(
                    "text under `## {name}` before its first `###` heading belongs to nothing: start it with a `### ` heading line"
                ),
            ));
        }
        Ok(heads
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let h = &self.outline.headings[i];
                let end = heads
                    .get(n + 1)
                    .map_or(within.end, |&j| self.outline.headings[j].range.start);
                (one_line(&h.text), h.range.end..end)
            })
            .collect())
    }
}

/// Splits `src` into its `# Title` (the first level-1 ATX heading; nothing but blank
/// lines may come before it), the text under it, and the level-2 sections named in
/// `known` (any case; other headings are part of the text they are in).
pub(crate) fn split_body<'a>(src: &'a str, known: &[&'static str]) -> Result<Body<'a>, Error> {
    let outline = Outline::new(src);
    let Some(title) = outline
        .headings
        .iter()
        .find(|h| h.level == 1 && h.atx && !h.text.trim().is_empty())
        .cloned()
    else {
        return Err(invalid(
            "title",
            "the file needs its title as a `# Title` line above the rest",
        ));
    };
    if !src[..title.range.start].trim().is_empty() {
        return Err(invalid(
            "title",
            "there is text above the `# Title` line: move it below the title",
        ));
    }
    let mut found: Vec<(&'static str, usize, usize)> = Vec::new();
    for h in &outline.headings {
        if h.level != 2 || h.range.start < title.range.end {
            continue;
        }
        let Some(name) = known
            .iter()
            .copied()
            .find(|k| norm_heading(&h.text) == k.to_lowercase())
        else {
            continue;
        };
        if found.iter().any(|(n, _, _)| *n == name) {
            return Err(invalid(
                name,
                format!("`## {name}` appears twice: merge the two sections into one"),
            ));
        }
        found.push((name, h.range.start, h.range.end));
    }
    let lead_end = found.first().map_or(src.len(), |f| f.1);
    let lead = src[title.range.end..lead_end].trim().to_owned();
    let sections = found
        .iter()
        .enumerate()
        .map(|(n, &(name, _, content))| {
            let end = found.get(n + 1).map_or(src.len(), |f| f.1);
            (name, content..end)
        })
        .collect();
    Ok(Body {
        title: one_line(&title.text),
        outline,
        lead,
        sections,
    })
}

/// The leading lines of a `###` section: its marker comment's fields (`None` without
/// one) and its `- key: value` lines whose key is one of `keys`, then the rest, trimmed.
pub(crate) struct Lead {
    pub marker: Option<Vec<(String, String)>>,
    pub meta: Vec<(&'static str, String)>,
    pub rest: String,
}

pub(crate) fn section_lead(text: &str, marker_name: &str, keys: &[&'static str]) -> Lead {
    let mut lead = Lead {
        marker: None,
        meta: Vec::new(),
        rest: String::new(),
    };
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.is_empty() {
            pos += line.len();
            continue;
        }
        if lead.marker.is_none()
            && let Some(fields) = marker(t, marker_name)
        {
            lead.marker = Some(fields);
        } else if let Some((key, value)) = t
            .strip_prefix("- ")
            .and_then(|kv| kv.split_once(':'))
            .and_then(|(k, v)| {
                let k = norm_heading(k);
                keys.iter().find(|key| **key == k).map(|key| (*key, v))
            })
        {
            lead.meta.push((key, value.trim().to_owned()));
        } else {
            break;
        }
        pos += line.len();
    }
    lead.rest = text[pos..].trim().to_owned();
    lead
}

/// `<!-- NAME: first; key: value; … -->` → `[(NAME, first), (key, value), …]`.
fn marker(line: &str, name: &str) -> Option<Vec<(String, String)>> {
    let inner = line.strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    let fields: Vec<(String, String)> = inner
        .split(';')
        .filter_map(|part| part.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (fields.first()?.0 == name).then_some(fields)
}

pub(crate) fn field<'f>(fields: &'f [(String, String)], key: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_and_meta_lines_lead_a_section() {
        let text = "\n<!-- item: ab12 -->\n- owner: x\n- Minutes: 5\n- other: y\n\nNotes.\n";
        let lead = section_lead(text, "item", &[OWNER, MINUTES]);
        assert_eq!(
            lead.marker,
            Some(vec![("item".to_owned(), "ab12".to_owned())])
        );
        assert_eq!(lead.meta, [(OWNER, "x".into()), (MINUTES, "5".into())]);
        assert_eq!(lead.rest, "- other: y\n\nNotes.");
        assert!(marker("<!-- reply: a; by: b; at: c -->", "item").is_none());
    }

    #[test]
    fn sections_are_found_by_name_and_other_headings_stay_in_the_text() {
        let src = "# T\n\nLead.\n\n## Notes\n\nn1\n\n## Decisions\n\nn2\n\n## summary\n\ns\n";
        let b = split_body(src, &[AGENDA, NOTES, SUMMARY]).expect("body");
        assert_eq!(b.title, "T");
        assert_eq!(b.lead, "Lead.");
        assert_eq!(b.text(NOTES), "n1\n\n## Decisions\n\nn2");
        assert_eq!(b.text(SUMMARY), "s");
        assert_eq!(b.text(AGENDA), "");
        assert!(split_body("Above\n# T\n", &[NOTES]).is_err());
        assert!(split_body("no title\n", &[NOTES]).is_err());
    }
}
