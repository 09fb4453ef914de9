//! Markdown as a reader sees it. Bodies are indexed as this text, not as their source, so
//! a snippet shows `all-remote` where the page says `[**all-remote**](../remote/index.md)`
//! and the highlighted ranges, counted in the stored text, need no mapping back.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The syntax the app's editor and preview understand (GitHub-style tables, strikethrough,
/// task lists and footnotes, and `[[wikilinks]]`).
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_WIKILINKS
}

/// The text of `markdown` a reader sees: link text without its address, no emphasis
/// markers, heading hashes, quote markers or list bullets, code as its text, HTML without
/// its tags. Blocks are separated by line breaks (a blank line after paragraphs), so words
/// of neighbouring blocks never run together.
pub(crate) fn reader_text(markdown: &str) -> String {
    let mut text = Plain {
        out: String::with_capacity(markdown.len()),
        in_tag: false,
    };
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                text.out.push_str(&t);
            }
            Event::Html(html) => text.html(&html, true),
            Event::InlineHtml(html) => text.html(&html, false),
            Event::SoftBreak | Event::HardBreak | Event::Rule => text.line_break(),
            Event::Start(tag) => {
                if is_block(&tag) {
                    text.line_break();
                }
            }
            Event::End(end) => match end {
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::List(_)
                | TagEnd::Table
                | TagEnd::HtmlBlock
                | TagEnd::FootnoteDefinition => text.blank_line(),
                TagEnd::Item
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::DefinitionListTitle
                | TagEnd::DefinitionListDefinition => text.line_break(),
                TagEnd::TableCell => text.out.push('\t'),
                _ => {}
            },
            // Markers with no words of their own: `[ ]`, `[^1]`.
            Event::TaskListMarker(_) | Event::FootnoteReference(_) => {}
        }
    }
    let trimmed = text.out.trim_end().len();
    text.out.truncate(trimmed);
    text.out
}

fn is_block(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Paragraph
            | Tag::Heading { .. }
            | Tag::BlockQuote(_)
            | Tag::CodeBlock(_)
            | Tag::HtmlBlock
            | Tag::List(_)
            | Tag::Item
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::Table(_)
            | Tag::TableHead
            | Tag::TableRow
    )
}

struct Plain {
    out: String,
    /// Inside an HTML tag or comment that an earlier event opened (a block of HTML comes
    /// one line at a time).
    in_tag: bool,
}

impl Plain {
    fn line_break(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn blank_line(&mut self) {
        self.line_break();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// The text of raw HTML without its tags. A tag in a block of HTML (`<td>`, `<p>`)
    /// separates words, as does `<br>`; inline formatting (`<b>`, `<kbd>`) does not.
    fn html(&mut self, html: &str, block: bool) {
        let mut rest = html;
        while !rest.is_empty() {
            if self.in_tag {
                match rest.find('>') {
                    Some(end) => {
                        self.in_tag = false;
                        rest = &rest[end + 1..];
                    }
                    None => return,
                }
            } else {
                match rest.find('<') {
                    Some(start) => {
                        self.out.push_str(&rest[..start]);
                        let tag = &rest[start + 1..];
                        let name: String = tag
                            .trim_start_matches('/')
                            .chars()
                            .take_while(char::is_ascii_alphanumeric)
                            .collect();
                        if block || name.eq_ignore_ascii_case("br") {
                            self.out.push(' ');
                        }
                        self.in_tag = true;
                        rest = tag;
                    }
                    None => {
                        self.out.push_str(rest);
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reader_text;

    #[test]
    fn links_emphasis_headings_quotes_bullets_and_code_become_their_text() {
        for (markdown, reader) in [
            (
                "Read [**all-remote**](../remote/index.md) first.",
                "Read all-remote first.",
            ),
            ("## How we work", "How we work"),
            ("> Write it down.", "Write it down."),
            ("- one\n- *two*\n  - three", "one\ntwo\nthree"),
            ("1. first\n2. second", "first\nsecond"),
            ("Run `meridian sync` now", "Run meridian sync now"),
            ("```sh\nmeridian init\n```", "meridian init"),
            ("__bold__ and _it_ and ~~gone~~", "bold and it and gone"),
            (
                "See [[Async work|working async]] and [[Meetings]]",
                "See working async and Meetings",
            ),
            ("![a diagram](d.png)", "a diagram"),
            ("- [x] done", "done"),
            ("Note[^1].\n\n[^1]: Why.", "Note.\n\nWhy."),
            ("a<br>b <kbd>Ctrl</kbd>", "a b Ctrl"),
            (
                "<div class=\"note\">\n<!-- hidden\nstill hidden -->\nshown\n</div>",
                "shown",
            ),
            ("Fish &amp; chips", "Fish & chips"),
        ] {
            let got = reader_text(markdown);
            assert_eq!(got.trim(), reader, "{markdown:?}");
        }
    }

    #[test]
    fn blocks_and_table_cells_keep_words_apart() {
        let got = reader_text("# Title\nbody\n\n| a | b |\n|---|---|\n| c | d |\n\n> quote\n\nend");
        let words: Vec<&str> = got.split_whitespace().collect();
        assert_eq!(
            words,
            ["Title", "body", "a", "b", "c", "d", "quote", "end"],
            "{got:?}"
        );
    }
}
