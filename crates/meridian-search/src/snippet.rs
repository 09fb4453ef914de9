//! Snippets: the part of a text around the best matches, with highlighted ranges given in
//! characters of the snippet.

use tantivy::tokenizer::TextAnalyzer;

use crate::cjk::is_cjk;

/// What counts as a match in a text.
#[derive(Debug, Default, Clone)]
pub struct Matcher {
    /// Stemmed English terms.
    pub stems: Vec<String>,
    /// Lowercased words matched with one typo (five letters or more).
    pub fuzzy: Vec<String>,
    /// Lowercased prefixes (the word being typed).
    pub prefixes: Vec<String>,
    /// CJK strings matched as substrings.
    pub cjk: Vec<String>,
}

/// Levenshtein distance ≤ 1, with a transposition counting as one edit.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        one_edit(a.as_bytes(), b.as_bytes())
    } else {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        one_edit(&a, &b)
    }
}

fn one_edit<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    if la == lb {
        ra[1..] == rb[1..]
            || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
    } else if la > lb {
        ra[1..] == *rb
    } else {
        *ra == rb[1..]
    }
}

/// Byte ranges of `text` that match.
///
/// One pass of the plain analyzer finds prefix and typo matches; only the words that could
/// stem to a wanted stem go through the stemmer, which made snippets the costliest part of
/// a search.
fn matches(
    text: &str,
    m: &Matcher,
    en: &mut TextAnalyzer,
    plain: &mut TextAnalyzer,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut to_stem = Vec::new();
    // A stem is the word's lowercase form with its ending cut or changed (`happy` →
    // `happi`): all but its last letter start the word. Words of five letters or fewer
    // are checked on their first letter (`dying` → `die`).
    let heads: Vec<(&str, char)> = m
        .stems
        .iter()
        .filter_map(|s| {
            let first = s.chars().next()?;
            let cut = s.char_indices().last().map_or(0, |(i, _)| i);
            Some((&s[..cut], first))
        })
        .collect();
    plain.token_stream(text).process(&mut |t| {
        let word = t.text.as_str();
        let fuzzy = !m.fuzzy.is_empty()
            && word.chars().nth(4).is_some()
            && m.fuzzy.iter().any(|f| within_one_edit(f, word));
        if fuzzy || m.prefixes.iter().any(|p| word.starts_with(p.as_str())) {
            out.push((t.offset_from, t.offset_to));
        } else if heads.iter().any(|(head, first)| {
            word.starts_with(head) || (word.len() <= 5 && word.starts_with(*first))
        }) {
            to_stem.push((t.offset_from, t.offset_to));
        }
    });
    for (from, to) in to_stem {
        let mut hit = false;
        en.token_stream(&text[from..to])
            .process(&mut |t| hit |= m.stems.contains(&t.text));
        if hit {
            out.push((from, to));
        }
    }
    for needle in &m.cjk {
        let mut start = 0;
        while let Some(found) = text[start..].find(needle.as_str()) {
            let at = start + found;
            out.push((at, at + needle.len()));
            start = at + needle.len();
        }
    }
    out.sort_unstable();
    out.dedup();
    // Merge overlaps.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in out {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// A snippet of at most `max_chars` characters around the densest group of matches, and
/// the highlighted ranges in characters of the snippet.
pub fn snippet(
    text: &str,
    m: &Matcher,
    en: &mut TextAnalyzer,
    plain: &mut TextAnalyzer,
    max_chars: usize,
) -> (String, Vec<[usize; 2]>) {
    let found = matches(text, m, en, plain);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let char_at = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
    let ranges: Vec<(usize, usize)> = found
        .iter()
        .map(|&(a, b)| (char_at(a), char_at(b)))
        .collect();
    let n = chars.len();
    // The window start that covers the most matches.
    let mut best = (0usize, 0usize); // (count, start char)
    for (i, &(start, _)) in ranges.iter().enumerate() {
        let from = start.saturating_sub(max_chars / 4);
        let count = ranges[i..]
            .iter()
            .take_while(|(_, e)| *e <= from + max_chars)
            .count();
        if count > best.0 {
            best = (count, from);
        }
    }
    let mut from = best.1;
    // Start at a word boundary (not for CJK, which has none).
    if from > 0 {
        let limit = (from + 20).min(n);
        if let Some(space) = (from..limit).find(|&i| chars[i].1.is_whitespace()) {
            from = space + 1;
        } else if !chars.get(from).is_some_and(|(_, c)| is_cjk(*c)) {
            from = best.1;
        }
    }
    let to = (from + max_chars).min(n);
    let mut out: String = chars[from..to].iter().map(|(_, c)| *c).collect();
    let mut highlights: Vec<[usize; 2]> = ranges
        .iter()
        .filter(|(s, e)| *s >= from && *e <= to)
        .map(|(s, e)| [s - from, e - from])
        .collect();
    // Collapse the layout whitespace (newlines) so the snippet reads as one line; keep the
    // character count so the ranges stay valid.
    out = out
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    if from > 0 {
        out.insert(0, '…');
        for h in &mut highlights {
            h[0] += 1;
            h[1] += 1;
        }
    }
    if to < n {
        out.push('…');
    }
    (out, highlights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{en_analyzer, plain_analyzer};

    #[test]
    fn one_edit() {
        assert!(within_one_edit("deploy", "deplyo"));
        assert!(within_one_edit("deploy", "deploys"));
        assert!(within_one_edit("deploy", "depoy"));
        assert!(within_one_edit("deploy", "deplox"));
        assert!(!within_one_edit("deploy", "dpeloyx"));
    }

    #[test]
    fn highlights_index_into_the_snippet() {
        let m = Matcher {
            stems: vec!["deploy".into()],
            cjk: vec!["議事".into()],
            ..Matcher::default()
        };
        let text = format!("{} We deployed it. 会議の議事録です.", "filler ".repeat(40));
        let (snip, hl) = snippet(&text, &m, &mut en_analyzer(), &mut plain_analyzer(), 60);
        let chars: Vec<char> = snip.chars().collect();
        let words: Vec<String> = hl
            .iter()
            .map(|[a, b]| chars[*a..*b].iter().collect())
            .collect();
        assert_eq!(words, ["deployed", "議事"], "{snip}");
        assert!(snip.starts_with('…'));
    }
}
