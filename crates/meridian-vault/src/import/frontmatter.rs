//! The leading YAML block of a Markdown file.

use meridian_core::Properties;
use serde_yaml_ng::Value;

use crate::Error;

/// The largest front matter block read. Real blocks are a few hundred bytes; a larger one
/// is refused with [`Error::FrontMatterTooLarge`] before the YAML parser allocates for it.
pub const MAX_FRONT_MATTER_BYTES: usize = 256 * 1024;

/// How deep `[` and `{` may nest in front matter (the YAML parser's own recursion limit
/// is 128). Checked by counting brackets before parsing, because the YAML scanner's time
/// grows with the square of the flow depth: 100,000 `[` took 82 s (debug build) to be
/// refused at depth 128. Brackets inside quotes count too, so text full of unbalanced
/// brackets is refused as well: [`Error::FrontMatterTooDeep`] says to quote or flatten it.
pub const MAX_FRONT_MATTER_DEPTH: usize = 64;

/// The front matter, in the order written, with mapped keys taken out as they are used.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    entries: Vec<(String, Value)>,
}

/// Splits `text` into its front matter and its body (the text after the closing line,
/// exactly as written). Only a block at the very start counts: the first line must be
/// `---` (a BOM before it is ignored), and a later `---` or `...` line closes it.
///
/// A block that is valid YAML but not a mapping (a thematic break followed by a setext
/// heading looks like that) is not front matter: the whole text is body. A block that is
/// not valid YAML is an error, so the caller can skip the file with the reason rather
/// than guess which part is metadata.
pub(crate) fn split(text: &str) -> Result<(Meta, &str), Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first_end) = text.find('\n') else {
        return Ok((Meta::default(), text));
    };
    if text[..first_end].trim_end() != "---" {
        return Ok((Meta::default(), text));
    }
    let yaml_start = first_end + 1;
    let mut pos = yaml_start;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = text[pos..line_end].trim_end();
        if line == "---" || line == "..." {
            let yaml = &text[yaml_start..pos];
            let body = &text[line_end..];
            return match parse_yaml(yaml)? {
                Some(meta) => Ok((meta, body)),
                None => Ok((Meta::default(), text)),
            };
        }
        pos = line_end;
    }
    // Never closed: a leading thematic break, not metadata.
    Ok((Meta::default(), text))
}

/// The deepest nesting of `[` and `{` in `yaml`, counting every bracket (quoted or not)
/// and stopping early past [`MAX_FRONT_MATTER_DEPTH`].
fn flow_depth(yaml: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in yaml.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_FRONT_MATTER_DEPTH {
                    break;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn parse_yaml(yaml: &str) -> Result<Option<Meta>, Error> {
    if yaml.len() > MAX_FRONT_MATTER_BYTES {
        return Err(Error::FrontMatterTooLarge {
            size: yaml.len(),
            max: MAX_FRONT_MATTER_BYTES,
        });
    }
    if flow_depth(yaml) > MAX_FRONT_MATTER_DEPTH {
        return Err(Error::FrontMatterTooDeep {
            max: MAX_FRONT_MATTER_DEPTH,
        });
    }
    let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| Error::FrontMatterYaml {
        detail: e.to_string().chars().take(200).collect(),
    })?;
    match value {
        Value::Null => Ok(Some(Meta::default())),
        Value::Mapping(map) => Ok(Some(Meta {
            entries: map
                .into_iter()
                .map(|(k, v)| (scalar_text(&k).unwrap_or_else(|| yaml_text(&k)), v))
                .collect(),
        })),
        _ => Ok(None),
    }
}

/// `review-by`, `Review_By` and `review by` are the same key.
pub(crate) fn norm_key(key: &str) -> String {
    key.trim().to_lowercase().replace(['-', ' '], "_")
}

impl Meta {
    /// Removes and returns the first entry whose key is one of `keys` (normalised).
    pub(crate) fn take(&mut self, keys: &[&str]) -> Option<(String, Value)> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| keys.contains(&norm_key(k).as_str()))?;
        Some(self.entries.remove(i))
    }

    pub(crate) fn has(&self, keys: &[&str]) -> bool {
        self.entries
            .iter()
            .any(|(k, _)| keys.contains(&norm_key(k).as_str()))
    }

    /// Puts an entry back (at the end) to be kept as a property.
    pub(crate) fn keep(&mut self, key: String, value: Value) {
        self.entries.push((key, value));
    }

    pub(crate) fn take_string(&mut self, keys: &[&str]) -> Option<String> {
        let (k, v) = self.take(keys)?;
        match scalar_text(&v) {
            Some(s) => Some(s),
            None => {
                self.keep(k, v);
                None
            }
        }
    }

    pub(crate) fn take_list(&mut self, keys: &[&str]) -> Option<Vec<String>> {
        let (k, v) = self.take(keys)?;
        match list(&v) {
            Some(l) => Some(l),
            None => {
                self.keep(k, v);
                None
            }
        }
    }

    /// Takes a value only when `accept` likes its text; otherwise it stays a property.
    pub(crate) fn take_if(
        &mut self,
        keys: &[&str],
        accept: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let (k, v) = self.take(keys)?;
        match scalar_text(&v) {
            Some(s) if accept(s.trim()) => Some(s.trim().to_owned()),
            _ => {
                self.keep(k, v);
                None
            }
        }
    }

    pub(crate) fn into_properties(self) -> Properties {
        let mut props = Properties::new();
        for (k, v) in self.entries {
            props.entry(k).or_insert_with(|| json_text(&v));
        }
        props
    }
}

/// Text of a scalar (string, number, bool); `None` for null, lists and mappings.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_text(&t.value),
        _ => None,
    }
}

/// A list of names: a YAML sequence of scalars, or one comma-separated string.
pub(crate) fn list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Sequence(items) => items
            .iter()
            .filter(|i| !i.is_null())
            .map(|i| scalar_text(i).map(|s| s.trim().to_owned()))
            .filter(|s| !matches!(s, Some(s) if s.is_empty()))
            .collect(),
        other => scalar_text(other).map(|s| split_commas(&s)),
    }
}

pub(crate) fn split_commas(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn yaml_text(v: &Value) -> String {
    serde_yaml_ng::to_string(v)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// JSON text of a front-matter value. YAML that JSON cannot hold (non-string keys) is kept
/// as a JSON string of its YAML text, so nothing is dropped.
pub(crate) fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| {
        serde_json::to_string(&yaml_text(v)).unwrap_or_else(|_| "null".to_owned())
    })
}

/// The YAML value for a property's JSON text (a plain string if the text is not JSON).
pub(crate) fn yaml_of_json_text(text: &str) -> Value {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|j| serde_yaml_ng::to_value(j).ok())
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_crlf_and_bom() {
        let (mut meta, body) = split("\u{feff}---\r\ntitle: Hi\r\n---\r\nbody\r\n").expect("valid");
        assert_eq!(meta.take_string(&["title"]).as_deref(), Some("Hi"));
        assert_eq!(body, "body\r\n");
    }

    #[test]
    fn unterminated_block_is_body() {
        let text = "---\ntitle: x\n\nno end";
        let (meta, body) = split(text).expect("no error");
        assert!(meta.entries.is_empty());
        assert_eq!(body, text);
    }

    #[test]
    fn scalar_block_is_body() {
        let text = "---\nJust a heading\n---\nmore";
        let (meta, body) = split(text).expect("no error");
        assert!(meta.entries.is_empty());
        assert_eq!(body, text);
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(matches!(
            split("---\ntitle: [unclosed\n---\nx"),
            Err(Error::FrontMatterYaml { .. })
        ));
    }

    #[test]
    fn lists_from_strings_and_sequences() {
        let v: Value = serde_yaml_ng::from_str("[a, ' b ', 3]").expect("yaml");
        assert_eq!(list(&v), Some(vec!["a".into(), "b".into(), "3".into()]));
        assert_eq!(
            list(&Value::String("x, y,,".into())),
            Some(vec!["x".into(), "y".into()])
        );
    }
}
