//! The query language: words (all must match), `"phrases"`, prefix matching on the last
//! word while typing, one typo on words of five letters or more, and filters `kind:`
//! `status:` `tag:` `author:` `after:` `before:` (dates in the user's zone). Parsing never
//! panics; a malformed query is a [`QueryError`] that says what to fix.

use chrono::NaiveDate;

/// A parsed query, before it meets an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    /// The last word is still being typed: match it as a prefix too.
    pub prefix_last: bool,
    pub kinds: Vec<String>,
    pub statuses: Vec<String>,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    pub after: Option<NaiveDate>,
    pub before: Option<NaiveDate>,
}

impl Parsed {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
            && self.phrases.is_empty()
            && self.kinds.is_empty()
            && self.statuses.is_empty()
            && self.tags.is_empty()
            && self.authors.is_empty()
            && self.after.is_none()
            && self.before.is_none()
    }

    pub fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.phrases.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("a quote is not closed: add the closing \" (phrases are written \"like this\")")]
    UnclosedQuote,
    #[error("`{0}:` needs a value, e.g. {0}:{1}")]
    MissingValue(String, &'static str),
    #[error("unknown filter `{0}:`; filters are kind: status: tag: author: after: before:")]
    UnknownFilter(String),
    #[error("{filter}: `{value}` is not a date; write it as YYYY-MM-DD")]
    BadDate { filter: &'static str, value: String },
    #[error("unknown kind `{0}`; kinds are page, decision, meeting, thread, checkin, task, member")]
    UnknownKind(String),
    #[error("the query is too long (at most {MAX_QUERY_CHARS} characters)")]
    TooLong,
}

const KINDS: [&str; 7] = [
    "page", "decision", "meeting", "thread", "checkin", "task", "member",
];

/// A kind's number in the index's `kind_no` column; -1 for none of [`KINDS`].
pub(crate) fn kind_no(kind: &str) -> i64 {
    KINDS
        .iter()
        .position(|k| *k == kind)
        .map_or(-1, |i| i as i64)
}

/// A kind's bit in a filter's mask (0 for an unknown kind, which the parser refuses).
pub(crate) fn kind_bit(kind: &str) -> u32 {
    u32::try_from(kind_no(kind)).map_or(0, |n| 1 << n)
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Splits on whitespace, keeping `"quoted text"` (also after `key:`) together.
fn tokens(q: &str) -> Result<Vec<(String, bool)>, QueryError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut had_quote = false;
    for c in q.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                had_quote = true;
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() || had_quote {
                    out.push((std::mem::take(&mut cur), had_quote));
                }
                had_quote = false;
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(QueryError::UnclosedQuote);
    }
    if !cur.is_empty() || had_quote {
        out.push((cur, had_quote));
    }
    Ok(out)
}

/// The longest query [`parse`] reads, in characters; longer ones are
/// [`QueryError::TooLong`]. The grammar is flat (no nesting), so this bounds the work a
/// query makes too.
pub const MAX_QUERY_CHARS: usize = 1000;

pub fn parse(q: &str) -> Result<Parsed, QueryError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let mut p = Parsed::default();
    let toks = tokens(q)?;
    let last = toks.len().saturating_sub(1);
    for (i, (tok, quoted)) in toks.into_iter().enumerate() {
        let filter = tok
            .split_once(':')
            .filter(|(k, _)| !quoted || !k.is_empty())
            .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic()));
        match filter {
            Some((key, value)) => {
                let key = key.to_ascii_lowercase();
                let value = value.trim().to_owned();
                let example = match key.as_str() {
                    "kind" => "decision",
                    "status" => "accepted",
                    "tag" => "onboarding",
                    "author" => "ada",
                    "after" | "before" => "2026-01-31",
                    _ => return Err(QueryError::UnknownFilter(clip(&key))),
                };
                if value.is_empty() {
                    return Err(QueryError::MissingValue(key, example));
                }
                let lower = value.to_lowercase();
                match key.as_str() {
                    "kind" => {
                        if !KINDS.contains(&lower.as_str()) {
                            return Err(QueryError::UnknownKind(clip(&value)));
                        }
                        p.kinds.push(lower);
                    }
                    "status" => p.statuses.push(lower),
                    "tag" => p.tags.push(lower),
                    "author" => p.authors.push(lower),
                    filter @ ("after" | "before") => {
                        let date = NaiveDate::parse_from_str(&value, "%Y-%m-%d").map_err(|_| {
                            QueryError::BadDate {
                                filter: if filter == "after" { "after" } else { "before" },
                                value: clip(&value),
                            }
                        })?;
                        if filter == "after" {
                            p.after = Some(date);
                        } else {
                            p.before = Some(date);
                        }
                    }
                    _ => unreachable!("checked above"),
                }
            }
            None if quoted => {
                if !tok.trim().is_empty() {
                    p.phrases.push(tok);
                }
            }
            None => {
                p.words.push(tok);
                if i == last && !q.ends_with(char::is_whitespace) {
                    p.prefix_last = true;
                }
            }
        }
    }
    if p.words.is_empty() {
        p.prefix_last = false;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_filters() {
        let p = parse(r#"deploy "code review" kind:page tag:Eng after:2026-01-02 onbo"#)
            .expect("parse");
        assert_eq!(p.words, ["deploy", "onbo"]);
        assert_eq!(p.phrases, ["code review"]);
        assert!(p.prefix_last);
        assert_eq!(p.kinds, ["page"]);
        assert_eq!(p.tags, ["eng"]);
        assert_eq!(p.after, NaiveDate::from_ymd_opt(2026, 1, 2));
        assert!(!parse("deploy ").expect("parse").prefix_last);
        assert_eq!(
            parse(r#"author:"ada lovelace""#).expect("p").authors,
            ["ada lovelace"]
        );
    }

    #[test]
    fn malformed_queries_say_what_to_fix() {
        assert_eq!(parse(r#""open"#), Err(QueryError::UnclosedQuote));
        assert!(matches!(parse("kind:"), Err(QueryError::MissingValue(..))));
        assert!(matches!(
            parse("kind:spaceship"),
            Err(QueryError::UnknownKind(_))
        ));
        assert!(matches!(
            parse("colour:red"),
            Err(QueryError::UnknownFilter(_))
        ));
        assert!(matches!(
            parse("after:yesterday"),
            Err(QueryError::BadDate { .. })
        ));
        assert_eq!(parse(&"x".repeat(2000)), Err(QueryError::TooLong));
        // Times and URLs are words, not filters.
        assert_eq!(parse("10:30").expect("p").words, ["10:30"]);
        for hostile in [
            "\"\"",
            ":",
            "::::",
            "\u{0}",
            "kind:page:page",
            "\"a\"b\"c\"",
        ] {
            let _ = parse(hostile);
        }
    }
}
