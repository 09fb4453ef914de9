//! Links between objects, read from prose: `[[Title]]`, `[[Title|shown text]]`, `[[id]]`
//! and Markdown links `[text](target)`. Backlinks are these, inverted across objects.
//!
//! Code is not prose: links inside fenced code blocks and inline code are ignored.

use crate::Object;

/// A link as written, in order of appearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// `[[target]]` or `[[target|label]]`: a title or a document id.
    Wiki(String),
    /// `[text](target)`: a URL, a path or a document id.
    Markdown(String),
}

impl Link {
    pub fn target(&self) -> &str {
        match self {
            Link::Wiki(t) | Link::Markdown(t) => t,
        }
    }
}

/// The links in `text`, deduplicated, in order.
pub fn links(text: &str) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for link in line_links(line) {
            if !out.contains(&link) {
                out.push(link);
            }
        }
    }
    out
}

fn line_links(line: &str) -> Vec<Link> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
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
                    let inner = &line[i + 2..i + 2 + end];
                    let target = inner.split('|').next().unwrap_or("").trim();
                    if !target.is_empty() && !target.contains('[') {
                        out.push(Link::Wiki(target.to_owned()));
                    }
                    i += 2 + end + 2;
                }
                None => i += 2,
            },
            b']' if bytes.get(i + 1) == Some(&b'(') => {
                let after = &line[i + 2..];
                match after.find(')') {
                    Some(end) => {
                        let target = after[..end].split_whitespace().next().unwrap_or("");
                        if !target.is_empty() {
                            out.push(Link::Markdown(target.to_owned()));
                        }
                        i += 2 + end + 1;
                    }
                    None => i += 2,
                }
            }
            _ => i += 1,
        }
    }
    out
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

    /// Every link in the object's prose, deduplicated, in order.
    pub fn links(&self) -> Vec<Link> {
        let mut out: Vec<Link> = Vec::new();
        for text in self.prose() {
            for link in links(text) {
                if !out.contains(&link) {
                    out.push(link);
                }
            }
        }
        out
    }
}
