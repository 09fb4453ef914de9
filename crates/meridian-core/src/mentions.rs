//! `@name` mentions in prose: who a text mentions, resolved against the workspace's members
//! the way the app resolves names elsewhere (a display name, case-insensitive), plus the
//! handle forms people type (`@ana`, `@ana-lima`, `@ana.lima`, `@analima`).
//!
//! Only what is unmistakably a mention counts: an `@` at the start of the text or after a
//! character that cannot be part of an address (so `ana@example.com` and
//! `https://host/@ana` are not mentions); the longest name that follows and ends at a word
//! boundary; a name that fits several members, or none, is no mention. Markdown code
//! (fenced blocks and inline code spans) is left alone: `@ana` in a code sample is code.

use std::collections::{BTreeMap, BTreeSet};

/// A member as mentions see them: their id and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

/// The names a member can be mentioned by → the member, for every member of a workspace.
/// Built once per computation, then used on every text.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// Lower-case name → the members it names (more than one: ambiguous, no mention).
    names: BTreeMap<String, BTreeSet<String>>,
    /// The longest name, in characters, so a scan never reads further.
    longest: usize,
}

impl Directory {
    pub fn new<'a>(members: impl IntoIterator<Item = Named<'a>>) -> Directory {
        let mut dir = Directory::default();
        for m in members {
            for name in spellings(m.name) {
                dir.longest = dir.longest.max(name.chars().count());
                dir.names.entry(name).or_default().insert(m.id.to_owned());
            }
        }
        dir
    }

    /// The member `name` (lower-case) names, if exactly one.
    fn one(&self, name: &str) -> Option<Option<&str>> {
        let ids = self.names.get(name)?;
        Some(if ids.len() == 1 {
            ids.iter().next().map(String::as_str)
        } else {
            None
        })
    }

    /// The members `text` mentions, each once, in order of first mention.
    pub fn mentioned(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in self.mentions(text) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }

    /// How many times `text` mentions the member `id`.
    pub fn count(&self, text: &str, id: &str) -> usize {
        self.mentions(text).filter(|m| m == id).count()
    }

    /// Every mention in `text`, in order (a member mentioned twice appears twice).
    fn mentions<'t>(&'t self, text: &'t str) -> impl Iterator<Item = String> + 't {
        prose_outside_code(text)
            .into_iter()
            .flat_map(move |part| self.in_plain(part))
    }

    fn in_plain(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.names.is_empty() {
            return out;
        }
        let mut prev: Option<char> = None;
        for (i, c) in text.char_indices() {
            if c == '@' && prev.is_none_or(may_precede) {
                let rest = &text[i + 1..];
                if let Some(id) = self.longest_match(rest) {
                    out.push(id);
                }
            }
            prev = Some(c);
        }
        out
    }

    /// The member named by the longest name `rest` starts with (ending at a word
    /// boundary); `None` when the longest such name is ambiguous or there is none.
    fn longest_match(&self, rest: &str) -> Option<String> {
        // Candidate ends: every word boundary within `longest` characters.
        let mut ends = Vec::new();
        let mut chars = rest.char_indices().peekable();
        let mut taken = 0;
        while let Some((i, c)) = chars.next() {
            taken += 1;
            if taken > self.longest {
                break;
            }
            let end = i + c.len_utf8();
            let next = chars.peek().map(|&(_, n)| n);
            if is_name_char(c) && next.is_none_or(|n| !is_name_char(n)) {
                ends.push(end);
            }
        }
        for end in ends.into_iter().rev() {
            let candidate = rest[..end].to_lowercase();
            // A trailing `.`/`-` is punctuation, not part of a name (`@ana.` ends a sentence).
            let after = rest[end..].chars().next();
            if after.is_some_and(|a| a == '.' || a == '-')
                && rest[end..]
                    .chars()
                    .nth(1)
                    .is_some_and(|n| n.is_alphanumeric())
            {
                // `@ana.lima` is a longer name or nothing: only a name that ends here and is
                // not continued by more name counts.
                if self.names.contains_key(&candidate) {
                    continue;
                }
            }
            if let Some(found) = self.one(&candidate) {
                return found.map(str::to_owned);
            }
        }
        None
    }
}

/// The lower-case names a display name can be mentioned by: the name itself, and its
/// handle forms (words joined by nothing, `-`, `.` or `_`), and the first word alone.
fn spellings(display: &str) -> BTreeSet<String> {
    let words: Vec<String> = display
        .split_whitespace()
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = BTreeSet::new();
    if words.is_empty() {
        return out;
    }
    out.insert(words.join(" "));
    for sep in ["", "-", ".", "_"] {
        out.insert(words.join(sep));
    }
    out.insert(words[0].clone());
    // A name must start with a character a mention can start with.
    out.retain(|n| n.chars().next().is_some_and(is_name_char));
    out
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `c` may stand right before the `@` of a mention: not a letter or digit (an
/// email address), nor a character of an address or path.
fn may_precede(c: char) -> bool {
    !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '/' | '\\' | ':' | '+' | '='))
}

/// The parts of Markdown `text` outside fenced code blocks and inline code spans.
fn prose_outside_code(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |m| trimmed.chars().take_while(|c| *c == m).count());
        match fence {
            Some((m, n)) => {
                if marker == Some(m) && run >= n && trimmed[run..].trim().is_empty() {
                    fence = None;
                }
            }
            None if indent <= 3 && run >= 3 => {
                fence = marker.map(|m| (m, run));
            }
            None => parts.extend(outside_spans(&text[start..offset])),
        }
    }
    parts
}

/// The parts of one line outside inline code spans (a run of N backticks up to the next
/// run of exactly N). An unclosed run is literal text.
fn outside_spans(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut parts = Vec::new();
    let (mut i, mut from) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let open = i;
        while i < bytes.len() && bytes[i] == b'`' {
            i += 1;
        }
        let n = i - open;
        // Find the closing run of exactly n backticks.
        let mut j = i;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let s = j;
                while j < bytes.len() && bytes[j] == b'`' {
                    j += 1;
                }
                if j - s == n {
                    close = Some(j);
                    break;
                }
            } else {
                j += 1;
            }
        }
        if let Some(end) = close {
            parts.push(&line[from..open]);
            from = end;
            i = end;
        }
    }
    parts.push(&line[from..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Directory {
        Directory::new([
            Named {
                id: "ada",
                name: "Ada",
            },
            Named {
                id: "bea",
                name: "Bea Lima",
            },
            Named {
                id: "ana1",
                name: "Ana Souza",
            },
            Named {
                id: "ana2",
                name: "Ana Pereira",
            },
            Named {
                id: "zoe",
                name: "Zoë",
            },
        ])
    }

    #[test]
    fn names_and_handles_are_mentions() {
        let d = dir();
        assert_eq!(d.mentioned("hi @Ada, see this"), ["ada"]);
        assert_eq!(d.mentioned("@bea please"), ["bea"]);
        assert_eq!(d.mentioned("ask @Bea Lima."), ["bea"]);
        assert_eq!(d.mentioned("ask @bea-lima and @bea.lima!"), ["bea"]);
        assert_eq!(d.count("@bealima @bea_lima @BEA", "bea"), 3);
        assert_eq!(d.mentioned("(@ada)"), ["ada"]);
        assert_eq!(d.mentioned("**@zoë** thanks"), ["zoe"]);
        assert_eq!(d.mentioned("@ada.\nnext line @bea"), ["ada", "bea"]);
        assert_eq!(d.mentioned("@ada's page"), ["ada"]);
        // `@ada.lima` is not Ada followed by `.lima`: a longer name or nothing.
        assert!(d.mentioned("@ada.lima").is_empty());
    }

    #[test]
    fn ambiguous_and_unknown_names_are_not_mentions() {
        let d = dir();
        // Two members are called Ana.
        assert!(d.mentioned("@ana can you look").is_empty());
        // Their full names are not ambiguous.
        assert_eq!(d.mentioned("@Ana Souza and @ana-pereira"), ["ana1", "ana2"]);
        assert!(d.mentioned("@carol @adam @adas").is_empty());
    }

    #[test]
    fn hostile_input_is_not_a_mention() {
        let d = dir();
        for text in [
            "@",
            "@ ",
            "@@ada",
            "mail ada@example.com",
            "ada@ada",
            "https://social.example/@ada",
            "path\\@ada",
            "a `@ada` code span",
            "``double `@ada` ticks``",
            "```\n@ada in a fence\n```\n",
            "~~~rust\nlet x = \"@bea\";\n~~~",
            "",
            "@\u{0}ada",
        ] {
            assert!(d.mentioned(text).is_empty(), "{text:?}");
        }
        // An unclosed backtick is literal text, so the mention stands.
        assert_eq!(d.mentioned("a ` tick then @ada"), ["ada"]);
        // Text after a fence closes is prose again.
        assert_eq!(d.mentioned("```\ncode\n```\n@bea"), ["bea"]);
        // Long runs of @ and odd characters do not panic.
        let long = "@".repeat(10_000) + "ada" + &"é@".repeat(1000);
        assert!(d.mentioned(&long).is_empty());
        assert!(Directory::default().mentioned("@ada").is_empty());
    }
}
