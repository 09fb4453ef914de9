//! Links between objects, read from prose, as Meridian and the vaults people bring in write
//! them: wikilinks `[[name]]`, `[[folder/name]]`, `[[name#heading]]`, `[[name|shown text]]`,
//! embeds `![[name]]`, and Markdown links `[text](target)` (relative paths, `%20`-encoded
//! names, `<angle bracket>` targets, `#fragment`s). Backlinks are these, inverted across
//! objects; which object a link names is decided by the app, which knows every object's
//! title and path.
//!
//! Code is not prose: links inside fenced code blocks and inline code are ignored.
//!
//! The path helpers here ([`join_path`], [`relative_path`], [`normalize_path`]) work on
//! the `/`-separated paths pages and decisions remember (`Page::path`), never on the file
//! system.

use std::ops::Range;

use crate::{Decision, Error, Meeting, Object, Page, Thread};

/// How a link is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LinkKind {
    /// `[[target]]`, `[[target#heading|label]]`, `![[target]]`: a file name, a path, a
    /// title or a document id.
    Wiki,
    /// `[text](target)`, `![alt](target)`: a URL, a relative path or a document id.
    Markdown,
}

/// A link as written, in order of appearance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Link {
    pub kind: LinkKind,
    /// `![[…]]` or `![…](…)`: shown in place rather than linked to.
    pub embed: bool,
    /// What the link names: for a wikilink the text before `#` and `|`; for a Markdown
    /// link the destination without its `#fragment` (and, for a path, its `?query`),
    /// percent-decoded. Empty for a link to a heading of the same text (`[[#h]]`).
    pub target: String,
    /// The heading or block after `#`, if any.
    pub fragment: Option<String>,
}

impl Link {
    pub fn wiki(target: impl Into<String>) -> Link {
        Link {
            kind: LinkKind::Wiki,
            embed: false,
            target: target.into(),
            fragment: None,
        }
    }

    pub fn markdown(target: impl Into<String>) -> Link {
        Link {
            kind: LinkKind::Markdown,
            embed: false,
            target: target.into(),
            fragment: None,
        }
    }

    #[must_use]
    pub fn with_fragment(mut self, fragment: impl Into<String>) -> Link {
        self.fragment = Some(fragment.into());
        self
    }

    #[must_use]
    pub fn embedded(mut self) -> Link {
        self.embed = true;
        self
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// The link as people read it: the target and its `#fragment`, without the shown text.
    pub fn display(&self) -> String {
        match &self.fragment {
            Some(f) => format!("{}#{f}", self.target),
            None => self.target.clone(),
        }
    }

    /// A link that leaves the workspace (a URL, `mailto:`, a link to a heading of the
    /// same text): it can never name an object.
    pub fn is_external(&self) -> bool {
        let t = self.target.trim();
        if t.is_empty() {
            return true;
        }
        match self.kind {
            LinkKind::Wiki => false,
            LinkKind::Markdown => t.starts_with("//") || has_scheme(t),
        }
    }

    /// A link to a file that is not a note (an image, a PDF): Markdown links to any
    /// extension but `.md`, wikilinks to the extensions vaults keep attachments under (a
    /// note may well be called `Node.js`).
    pub fn is_attachment(&self) -> bool {
        let name = self.target.rsplit('/').next().unwrap_or(&self.target);
        let Some((stem, ext)) = name.rsplit_once('.') else {
            return false;
        };
        if stem.is_empty() || ext.eq_ignore_ascii_case("md") || ext.eq_ignore_ascii_case("markdown")
        {
            return false;
        }
        let ext = ext.to_ascii_lowercase();
        match self.kind {
            LinkKind::Markdown => {
                (1..=8).contains(&ext.len())
                    && ext.bytes().all(|b| b.is_ascii_alphanumeric())
                    && ext.bytes().any(|b| b.is_ascii_alphabetic())
            }
            LinkKind::Wiki => ATTACHMENTS.contains(&ext.as_str()),
        }
    }

    /// Whether the link may name an object at all: not external, not an attachment.
    pub fn may_name_object(&self) -> bool {
        !self.is_external() && !self.is_attachment()
    }

    /// Two mentions of the same target are one link (the first one's fragment is kept).
    fn same_target(&self, other: &Link) -> bool {
        self.kind == other.kind && self.target == other.target
    }
}

/// Extensions of files vaults link to with `[[…]]` or `![[…]]` that are not notes.
const ATTACHMENTS: &[&str] = &[
    "png",
    "jpg",
    "jpeg",
    "gif",
    "svg",
    "webp",
    "bmp",
    "avif",
    "ico",
    "tif",
    "tiff",
    "pdf",
    "mp3",
    "mp4",
    "m4a",
    "wav",
    "ogg",
    "webm",
    "mov",
    "mkv",
    "zip",
    "csv",
    "xlsx",
    "docx",
    "pptx",
    "canvas",
    "excalidraw",
    "drawio",
];

/// `https:`, `mailto:`, `tel:`: a scheme of at least two letters (so `C:` is not one).
fn has_scheme(t: &str) -> bool {
    let Some((scheme, _)) = t.split_once(':') else {
        return false;
    };
    scheme.len() >= 2
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// One link and where its target is written in the text, for rewriting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpan {
    pub link: Link,
    /// Byte range of the target as written: for a wikilink the text before `#` and `|`
    /// (trimmed); for a Markdown link the destination before its `#fragment`, inside the
    /// angle brackets if it has them, still percent-encoded.
    pub target: Range<usize>,
    /// The Markdown destination was written in `<angle brackets>` (so spaces need no
    /// encoding).
    pub angle: bool,
}

/// The links in `text`, deduplicated by target, in order.
pub fn links(text: &str) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    for span in link_spans(text) {
        if !out.iter().any(|l| l.same_target(&span.link)) {
            out.push(span.link);
        }
    }
    out
}

/// Every link in `text` with where it is written, in order, repeats included.
pub fn link_spans(text: &str) -> Vec<LinkSpan> {
    let mut out = Vec::new();
    // The open fence: its character and length (a fence closes on a run at least as long).
    let mut fence: Option<(u8, usize)> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let ch = trimmed.as_bytes().first().copied();
        let run = match ch {
            Some(c @ (b'`' | b'~')) => trimmed.bytes().take_while(|&b| b == c).count(),
            _ => 0,
        };
        match (fence, ch) {
            (None, Some(c)) if run >= 3 => fence = Some((c, run)),
            (Some((fc, n)), Some(c)) if c == fc && run >= n && trimmed[run..].trim().is_empty() => {
                fence = None;
            }
            (None, _) => line_links(line, start, &mut out),
            (Some(_), _) => {}
        }
        start += line.len();
    }
    out
}

/// The links of one line; `offset` is where the line starts in the text.
fn line_links(line: &str, offset: usize, out: &mut Vec<LinkSpan>) {
    if let Some(span) = reference_definition(line, offset) {
        out.push(span);
        return;
    }
    let bytes = line.as_bytes();
    // Where each `[` not yet closed is, to tell an image `![…](…)` from a link.
    let mut opened: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'`' => {
                // Skip an inline code span: up to the next run of as many backticks.
                let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
                let fence = &line[i..i + run];
                match line[i + run..].find(fence) {
                    Some(end) => i += run + end + run,
                    None => i += run,
                }
            }
            b'[' if bytes.get(i + 1) == Some(&b'[') => match line[i + 2..].find("]]") {
                Some(end) => {
                    let inner_at = i + 2;
                    let inner = &line[inner_at..inner_at + end];
                    let embed = i > 0 && bytes[i - 1] == b'!';
                    if let Some(span) = wiki(inner, offset + inner_at, embed) {
                        out.push(span);
                    }
                    i = inner_at + end + 2;
                }
                None => i += 2,
            },
            b'[' => {
                opened.push(i);
                i += 1;
            }
            b']' if bytes.get(i + 1) == Some(&b'(') => {
                let open = opened.pop();
                let embed = open.is_some_and(|o| o > 0 && bytes[o - 1] == b'!');
                match destination(line, i + 2, true) {
                    Some((span, end)) => {
                        if let Some(span) = markdown(line, span, offset, embed) {
                            out.push(span);
                        }
                        i = end;
                    }
                    None => i += 2,
                }
            }
            b']' => {
                opened.pop();
                i += 1;
            }
            _ => i += 1,
        }
    }
}

/// The inside of `[[…]]` starting at byte `at` of the text.
fn wiki(inner: &str, at: usize, embed: bool) -> Option<LinkSpan> {
    if inner.contains('[') || inner.contains(']') {
        return None;
    }
    // `[[name|shown]]`; in a table the bar is written `\|`.
    let dest = match inner.find('|') {
        Some(bar) => inner[..bar].strip_suffix('\\').unwrap_or(&inner[..bar]),
        None => inner,
    };
    let (name, fragment) = match dest.find('#') {
        Some(h) => (&dest[..h], Some(dest[h + 1..].trim().to_owned())),
        None => (dest, None),
    };
    let target = name.trim();
    if target.is_empty() {
        // `[[#heading]]` names a part of the same text, `[[ ]]` nothing.
        return None;
    }
    let lead = name.len() - name.trim_start().len();
    let from = at + lead;
    Some(LinkSpan {
        link: Link {
            kind: LinkKind::Wiki,
            embed,
            target: target.to_owned(),
            fragment: fragment.filter(|f| !f.is_empty()),
        },
        target: from..from + target.len(),
        angle: false,
    })
}

/// A Markdown link destination starting at byte `at` of `line` (just after `(`, or after
/// `[label]:` of a reference definition when `in_parens` is false): the destination's byte
/// range (inside `<…>` when it has them) and whether it had them, and the byte after the
/// closing `)` (or the line's end). `None` when this is not a link after all.
fn destination(line: &str, at: usize, in_parens: bool) -> Option<((Range<usize>, bool), usize)> {
    let bytes = line.as_bytes();
    let mut i = at;
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    let (range, angle) = if bytes.get(i) == Some(&b'<') {
        let close = line[i + 1..].find(['>', '\n'])?;
        if bytes[i + 1 + close] != b'>' {
            return None;
        }
        let r = i + 1..i + 1 + close;
        i += close + 2;
        (r, true)
    } else {
        let start = i;
        let mut depth = 0usize;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                b if b.is_ascii_whitespace() => break,
                _ => {}
            }
            i += 1;
        }
        (start..i.min(bytes.len()), false)
    };
    // An optional title, then `)`.
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    if let Some(&q @ (b'"' | b'\'' | b'(')) = bytes.get(i) {
        let close = if q == b'(' { b')' } else { q };
        let end = bytes[i + 1..].iter().position(|&b| b == close)?;
        i += end + 2;
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
    }
    if in_parens {
        (bytes.get(i) == Some(&b')')).then_some(((range, angle), i + 1))
    } else {
        line[i..]
            .trim()
            .is_empty()
            .then_some(((range, angle), line.len()))
    }
}

/// A link reference definition, `[label]: destination "title"` on a line of its own (Foam
/// writes one under every note for its wikilinks, so other Markdown tools follow them).
/// A footnote (`[^1]: text`) is not one.
fn reference_definition(line: &str, offset: usize) -> Option<LinkSpan> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = line.get(indent..)?;
    if indent > 3 || !rest.starts_with('[') || rest.starts_with("[^") || rest.starts_with("[[") {
        return None;
    }
    let close = rest.find("]:")?;
    if close < 2 || rest[1..close].contains(['[', ']']) {
        return None;
    }
    let at = indent + close + 2;
    let (span, _) = destination(line, at, false)?;
    markdown(line, span, offset, false)
}

fn markdown(
    line: &str,
    (range, angle): (Range<usize>, bool),
    offset: usize,
    embed: bool,
) -> Option<LinkSpan> {
    let raw = &line[range.clone()];
    if raw.trim().is_empty() {
        return None;
    }
    let (path, fragment) = match raw.find('#') {
        Some(h) => (&raw[..h], Some(percent_decode(&unescape(&raw[h + 1..])))),
        None => (raw, None),
    };
    if path.is_empty() {
        // `#heading`: a part of the same text.
        return None;
    }
    let external = path.starts_with("//") || has_scheme(path);
    // A query means nothing to a file: `notes.md?plain=1` is `notes.md`.
    let (path, kept) = match path.find('?') {
        Some(q) if !external => (&path[..q], q),
        _ => (path, path.len()),
    };
    let target = if external {
        unescape(path)
    } else {
        percent_decode(&unescape(path))
    };
    let from = offset + range.start;
    Some(LinkSpan {
        link: Link {
            kind: LinkKind::Markdown,
            embed,
            target,
            fragment: fragment.filter(|f| !f.is_empty()),
        },
        target: from..from + kept,
        angle,
    })
}

/// `\(` is `(`: backslash escapes of ASCII punctuation, as CommonMark reads them.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(n)) if n.is_ascii_punctuation() => {
                out.push(*n);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// `My%20Note.md` is `My Note.md`. Text that does not decode to UTF-8 stays as written.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(v as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

/// A path written as a Markdown link destination: spaces and the characters that would
/// end or split the destination are percent-encoded; everything else is kept as is.
pub fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            '\t' => out.push_str("%09"),
            c => out.push(c),
        }
    }
    out
}

/// `text` with the target of every link for which `new_target` returns a replacement
/// rewritten to it (the text that goes where [`LinkSpan::target`] was); `None` when no
/// link changed.
pub fn rewrite_links(
    text: &str,
    mut new_target: impl FnMut(&LinkSpan) -> Option<String>,
) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut changed = false;
    for span in link_spans(text) {
        let Some(new) = new_target(&span) else {
            continue;
        };
        if new == text[span.target.clone()] {
            continue;
        }
        out.push_str(&text[at..span.target.start]);
        out.push_str(&new);
        at = span.target.end;
        changed = true;
    }
    if !changed {
        return None;
    }
    out.push_str(&text[at..]);
    Some(out)
}

// ----- paths -----

/// A path as pages and decisions remember it: relative, `/`-separated, without `.` or
/// `..` components, empty components or a leading `/`. `\` counts as `/` (a path from
/// Windows).
pub fn normalize_path(path: &str) -> Result<String, Error> {
    let invalid = |detail: &str| Error::InvalidRange {
        field: "path",
        detail: format!("`{path}` {detail}"),
    };
    let unified = path.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(invalid(
                    "leaves its folder (`..`): give it relative to the folder's root",
                ));
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(invalid("names no file"));
    }
    Ok(parts.join("/"))
}

/// The folder part of `path` (`a/b` for `a/b/c.md`, empty for `c.md`).
pub fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The file name of `path` without its `.md` (`c` for `a/b/c.md`).
pub fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    strip_md(name)
}

/// `name` without a trailing `.md` (in any case).
pub fn strip_md(name: &str) -> &str {
    match name.len().checked_sub(3) {
        Some(cut) if name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(".md") => {
            &name[..cut]
        }
        _ => name,
    }
}

/// `rel` read from folder `dir` (both `/`-separated, `dir` relative to the root): the
/// path it names relative to the root, and how many `..` climbed above the root (a link
/// from `pages/` to `../decisions/x.md` in the mirror climbs one). A trailing `/` is kept.
pub fn join_path(dir: &str, rel: &str) -> (String, usize) {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    let mut above = 0;
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    above += 1;
                }
            }
            p => parts.push(p),
        }
    }
    let mut out = parts.join("/");
    if rel.ends_with('/') && !out.is_empty() {
        out.push('/');
    }
    (out, above)
}

/// The relative path from folder `dir` to `to` (both relative to the same root):
/// `relative_path("a/b", "a/c/d.md")` is `../c/d.md`.
pub fn relative_path(dir: &str, to: &str) -> String {
    let from: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    let to_parts: Vec<&str> = to.split('/').filter(|p| !p.is_empty()).collect();
    let (to_dir, name) = to_parts.split_at(to_parts.len().saturating_sub(1));
    let common = from.iter().zip(to_dir).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; from.len() - common];
    out.extend(&to_dir[common..]);
    out.extend(name);
    out.join("/")
}

// ----- prose -----

/// Objects whose prose can hold links, for rewriting them.
pub trait Prose {
    /// Every prose field, to change in place.
    fn prose_mut(&mut self) -> Vec<&mut String>;
}

impl Prose for Page {
    fn prose_mut(&mut self) -> Vec<&mut String> {
        vec![&mut self.body]
    }
}

impl Prose for Decision {
    fn prose_mut(&mut self) -> Vec<&mut String> {
        let mut out = vec![
            &mut self.context,
            &mut self.rationale,
            &mut self.consequences,
        ];
        out.extend(self.options.iter_mut().map(|o| &mut o.description));
        out.extend(self.feedback.iter_mut().map(|f| &mut f.text));
        out
    }
}

impl Prose for Meeting {
    fn prose_mut(&mut self) -> Vec<&mut String> {
        let mut out = vec![&mut self.purpose, &mut self.notes, &mut self.summary];
        out.extend(self.agenda.iter_mut().map(|a| &mut a.notes));
        out
    }
}

impl Prose for Thread {
    fn prose_mut(&mut self) -> Vec<&mut String> {
        let mut out = vec![&mut self.body];
        out.extend(self.messages.iter_mut().map(|m| &mut m.body));
        out
    }
}

impl Object {
    /// The object's prose, where its links are written.
    pub fn prose(&self) -> Vec<&str> {
        match self {
            Object::Page(p) => vec![&p.body],
            Object::Decision(d) => {
                let mut out = vec![d.context.as_str(), &d.rationale, &d.consequences];
                out.extend(d.options.iter().map(|o| o.description.as_str()));
                out.extend(d.feedback.iter().map(|f| f.text.as_str()));
                out
            }
            Object::Meeting(m) => {
                let mut out = vec![m.purpose.as_str(), &m.notes, &m.summary];
                out.extend(m.agenda.iter().map(|a| a.notes.as_str()));
                out
            }
            Object::Thread(t) => {
                let mut out = vec![t.body.as_str()];
                out.extend(t.messages.iter().map(|m| m.body.as_str()));
                out
            }
            _ => Vec::new(),
        }
    }

    /// Every link in the object's prose, deduplicated by target, in order.
    pub fn links(&self) -> Vec<Link> {
        let mut out: Vec<Link> = Vec::new();
        for text in self.prose() {
            for link in links(text) {
                if !out.iter().any(|l| l.same_target(&link)) {
                    out.push(link);
                }
            }
        }
        out
    }

    /// The path a page or decision remembers (its file relative to the folder's root).
    pub fn path(&self) -> Option<&str> {
        match self {
            Object::Page(p) => p.path.as_deref(),
            Object::Decision(d) => d.path.as_deref(),
            _ => None,
        }
    }
}
