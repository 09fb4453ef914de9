//! The block structure of a Markdown body that the importer needs: top-level headings and
//! top-level list items, with byte offsets into the source. pulldown-cmark finds them, so
//! a heading or a `---` inside a code fence, a block quote or a list is never structure.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag};

#[derive(Debug, Clone)]
pub(crate) struct Heading {
    pub level: u8,
    /// The heading's content as written (without `#` markers or setext underline).
    pub text: String,
    pub atx: bool,
    /// The heading block, from its first byte to the end of its last line.
    pub range: Range<usize>,
}

#[derive(Debug)]
pub(crate) struct Outline<'a> {
    pub src: &'a str,
    pub headings: Vec<Heading>,
    /// Items of lists that are not nested in another list or a block quote.
    pub items: Vec<Range<usize>>,
}

impl<'a> Outline<'a> {
    pub(crate) fn new(src: &'a str) -> Outline<'a> {
        let mut headings = Vec::new();
        let mut items = Vec::new();
        let mut depth = 0usize; // block quotes, lists, footnotes, tables
        let mut list_depth = 0usize;
        let mut quote_depth = 0usize;
        for (event, range) in Parser::new_ext(src, Options::ENABLE_TABLES).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { level, .. }) if depth == 0 => {
                    let raw = &src[range.clone()];
                    let atx = raw.trim_start().starts_with('#');
                    headings.push(Heading {
                        level: level_number(level),
                        text: heading_text(raw, atx),
                        atx,
                        range: range.start..line_end(src, range.end),
                    });
                }
                Event::Start(Tag::Item) if list_depth == 1 && quote_depth == 0 => {
                    items.push(range);
                }
                Event::Start(Tag::List(_)) => {
                    depth += 1;
                    list_depth += 1;
                }
                Event::End(pulldown_cmark::TagEnd::List(_)) => {
                    depth = depth.saturating_sub(1);
                    list_depth = list_depth.saturating_sub(1);
                }
                Event::Start(Tag::BlockQuote(_)) => {
                    depth += 1;
                    quote_depth += 1;
                }
                Event::End(pulldown_cmark::TagEnd::BlockQuote(_)) => {
                    depth = depth.saturating_sub(1);
                    quote_depth = quote_depth.saturating_sub(1);
                }
                Event::Start(Tag::FootnoteDefinition(_)) => depth += 1,
                Event::End(pulldown_cmark::TagEnd::FootnoteDefinition) => {
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        Outline {
            src,
            headings,
            items,
        }
    }

    /// The first ATX level-1 heading with some text: the document's title.
    pub(crate) fn title_heading(&self) -> Option<&Heading> {
        self.headings
            .iter()
            .find(|h| h.level == 1 && h.atx && !h.text.is_empty())
    }

    /// Where the section opened by heading `i` ends: the next heading of the same or a
    /// higher rank, or `limit`.
    pub(crate) fn section_end(&self, i: usize, limit: usize) -> usize {
        let level = self.headings[i].level;
        self.headings[i + 1..]
            .iter()
            .find(|h| h.level <= level && h.range.start < limit)
            .map_or(limit, |h| h.range.start)
            .min(limit)
    }

    /// Indexes of the headings of exactly `level` that start inside `within`.
    pub(crate) fn headings_in(&self, within: &Range<usize>, level: u8) -> Vec<usize> {
        (0..self.headings.len())
            .filter(|&i| {
                let h = &self.headings[i];
                h.level == level && within.contains(&h.range.start)
            })
            .collect()
    }

    pub(crate) fn items_in(&self, within: &Range<usize>) -> Vec<Range<usize>> {
        self.items
            .iter()
            .filter(|r| within.start <= r.start && r.end <= within.end)
            .cloned()
            .collect()
    }

    /// The source of `within` with the `cut` ranges left out, trimmed.
    pub(crate) fn text_without(&self, within: &Range<usize>, cut: &[Range<usize>]) -> String {
        let mut out = String::new();
        let mut pos = within.start;
        for r in cut {
            if r.start >= pos {
                out.push_str(&self.src[pos..r.start]);
                pos = r.end;
            }
        }
        if pos < within.end {
            out.push_str(&self.src[pos..within.end]);
        }
        out.trim().to_owned()
    }
}

/// Normalised heading text for recognising MADR sections: case, emphasis, a trailing
/// colon and runs of spaces do not matter.
pub(crate) fn norm_heading(text: &str) -> String {
    let t: String = text.chars().filter(|c| !matches!(c, '*' | '_')).collect();
    let t = t.trim().trim_end_matches(':').trim();
    t.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The text of a list item as written, without its marker; continuation lines lose their
/// indentation.
pub(crate) fn item_text(src: &str) -> String {
    let s = src.trim_start();
    let rest = if let Some(r) = s.strip_prefix(['*', '-', '+']) {
        r
    } else {
        let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        s[digits..].strip_prefix(['.', ')']).unwrap_or(s)
    };
    rest.lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn line_end(src: &str, from: usize) -> usize {
    if from > 0 && src.as_bytes().get(from - 1) == Some(&b'\n') {
        return from;
    }
    src[from..].find('\n').map_or(src.len(), |i| from + i + 1)
}

fn heading_text(raw: &str, atx: bool) -> String {
    if atx {
        let line = raw.lines().next().unwrap_or("").trim();
        let content = line.trim_start_matches('#');
        let content = content.trim();
        // An optional closing sequence of `#`s counts only after a space.
        let without_closing = content.trim_end_matches('#');
        let content = if without_closing.is_empty() {
            ""
        } else if without_closing.ends_with([' ', '\t']) {
            without_closing.trim_end()
        } else {
            content
        };
        content.to_owned()
    } else {
        let lines: Vec<&str> = raw.lines().collect();
        let n = lines.len().saturating_sub(1);
        lines[..n]
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_inside_fences_are_content() {
        let src = "# Title\n\n```\n## Decision Outcome\n```\n\n## Real\n";
        let o = Outline::new(src);
        let texts: Vec<_> = o.headings.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts, ["Title", "Real"]);
    }

    #[test]
    fn atx_closing_sequence() {
        assert_eq!(heading_text("# Foo ##\n", true), "Foo");
        assert_eq!(heading_text("# C#\n", true), "C#");
        assert_eq!(heading_text("#\n", true), "");
    }

    #[test]
    fn item_markers_are_stripped() {
        assert_eq!(item_text("* a\n  b\n"), "a\nb");
        assert_eq!(item_text("12. x"), "x");
        assert_eq!(item_text("- Good, because y"), "Good, because y");
    }
}
