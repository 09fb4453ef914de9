//! Snippets: the part of a text around the best matches, with highlighted ranges given in
//! characters of the snippet.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use tantivy::tokenizer::TextAnalyzer;

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

/// Words longer than this (in bytes) are not indexed (the analyzers' `RemoveLongFilter`).
const LONGEST_WORD: usize = 60;

/// How a byte starts a character: ASCII separator, ASCII letter or digit, or the first byte
/// of a non-ASCII character (decoded to know).
const SEPARATOR: u8 = 0;
const ALPHANUMERIC: u8 = 1;
const NON_ASCII: u8 = 2;
const CLASS: [u8; 256] = {
    let mut t = [NON_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = if (b as u8).is_ascii_alphanumeric() {
            ALPHANUMERIC
        } else {
            SEPARATOR
        };
        b += 1;
    }
    t
};

/// The length of the character at byte `i` of `text` if it is alphanumeric, else 0.
fn word_char(text: &str, i: usize) -> usize {
    match CLASS[usize::from(text.as_bytes()[i])] {
        SEPARATOR => 0,
        ALPHANUMERIC => 1,
        _ => match text[i..].chars().next() {
            Some(c) if c.is_alphanumeric() => c.len_utf8(),
            _ => 0,
        },
    }
}

/// The end of the word that goes on at byte `i`.
fn word_end(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        while i < bytes.len() && CLASS[usize::from(bytes[i])] == ALPHANUMERIC {
            i += 1;
        }
        if i == bytes.len() || CLASS[usize::from(bytes[i])] == SEPARATOR {
            return i;
        }
        match word_char(text, i) {
            0 => return i,
            len => i += len,
        }
    }
}

/// Calls `f(from, to)` with the byte range of every word of `text`, the way the plain
/// analyzer splits text (runs of alphanumeric characters, shorter than [`LONGEST_WORD`]
/// bytes), without building tokens.
fn each_word(text: &str, mut f: impl FnMut(usize, usize)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if CLASS[usize::from(bytes[i])] == SEPARATOR {
            i += 1;
            continue;
        }
        let len = word_char(text, i);
        if len == 0 {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let to = word_end(text, i + len);
        if to - i < LONGEST_WORD {
            f(i, to);
        }
        i = to;
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is an ASCII letter or digit. Each byte is compared
/// with its range by adding to it, which never carries into the next byte (below 0x80).
fn ascii_alphanumeric(x: u64) -> u64 {
    let low = x & !HIGHS;
    let digit = (low + 0x50 * ONES) & !(low + 0x46 * ONES); // 0x30..=0x39
    let folded = low | (0x20 * ONES);
    let letter = (folded + 0x1f * ONES) & !(folded + 0x05 * ONES); // 0x61..=0x7a
    (digit | letter) & !x & HIGHS
}

/// The first letters a matching word can start with. Every needle is lowercase, so a word
/// that matches starts with a needle's first letter in either case, or with a non-ASCII
/// character (some lowercase to ASCII: the Kelvin sign to `k`). A typo may be in the first
/// letter, and a one-letter stem has an empty head that starts every word: then every word
/// is looked at.
struct Starts {
    /// Whether a word starting with this byte can match.
    table: [bool; 256],
    /// Those letters, lowercase, each repeated in a `u64`; `None` when every word can match.
    letters: Option<Vec<u64>>,
}

impl Starts {
    fn new(m: &Matcher) -> Starts {
        if !m.fuzzy.is_empty()
            || m.stems.iter().any(|s| s.chars().nth(1).is_none())
            || m.prefixes.iter().any(String::is_empty)
        {
            return Starts {
                table: [true; 256],
                letters: None,
            };
        }
        let mut table = [false; 256];
        for b in table.iter_mut().skip(0x80) {
            *b = true;
        }
        let mut letters = Vec::new();
        for n in m.stems.iter().chain(&m.prefixes) {
            let b = n.as_bytes()[0];
            table[usize::from(b)] = true;
            table[usize::from(b.to_ascii_uppercase())] = true;
            if b.is_ascii() {
                letters.push(u64::from(b) * ONES);
            }
        }
        letters.sort_unstable();
        letters.dedup();
        Starts {
            table,
            letters: Some(letters),
        }
    }

    /// The first byte at or after `i` that a matching word could start with (or a false
    /// alarm: callers check), eight bytes at a time: a non-ASCII byte, or one of the letters
    /// in either case that does not follow an ASCII letter or digit.
    fn next(&self, bytes: &[u8], letters: &[u64], mut i: usize) -> Option<usize> {
        let mut after_word = if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
            HIGHS & 0xff
        } else {
            0
        };
        while i + 8 <= bytes.len() {
            let chunk: [u8; 8] = bytes[i..i + 8].try_into().expect("eight bytes");
            let x = u64::from_le_bytes(chunk);
            let word = ascii_alphanumeric(x);
            let follows_word = (word << 8) | after_word;
            after_word = word >> 56;
            // Setting the case bit lowercases ASCII letters and keeps digits; then the
            // classic zero-byte test (it may also flag a byte above a real zero: a false
            // alarm, never a miss).
            let lower = x | (0x20 * ONES);
            let mut found = 0;
            for &l in letters {
                let e = lower ^ l;
                found |= e.wrapping_sub(ONES) & !e & HIGHS;
            }
            found = (found & !follows_word) | (x & HIGHS);
            if found != 0 {
                return Some(i + (found.trailing_zeros() / 8) as usize);
            }
            i += 8;
        }
        (i..bytes.len()).find(|&j| self.table[usize::from(bytes[j])])
    }

    /// Calls `f(from, to)` for the words of `text` (as [`each_word`] splits it) that start
    /// with one of the letters, skipping the others without looking at them.
    fn each_word(&self, text: &str, mut f: impl FnMut(usize, usize)) {
        let Some(letters) = &self.letters else {
            return each_word(text, f);
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(at) = self.next(bytes, letters, i) {
            if !self.table[usize::from(bytes[at])] || !text.is_char_boundary(at) {
                i = at + 1;
                continue;
            }
            let len = word_char(text, at);
            if len == 0 {
                i = at + 1;
                continue;
            }
            let to = word_end(text, at + len);
            let inside = text[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
            if !inside && to - at < LONGEST_WORD {
                f(at, to);
            }
            i = to;
        }
    }
}

/// `word` lowercased into `out`, as tantivy's `LowerCaser` does it.
fn lowercase_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
    } else {
        for c in word.chars() {
            out.extend(c.to_lowercase());
        }
    }
}

/// A wanted stem, as a filter on the words that can stem to it: only those go through the
/// stemmer.
///
/// A stem is the word's lowercase form with its ending cut or changed (`happy` → `happi`,
/// `hoping` → `hope`): all but its last letter start the word. The English stemmer's
/// exceptions are `dying`, `lying` and `tying` (→ `die`, `lie`, `tie`, also with an `s`), so
/// for stems of three letters or fewer every word with the same first letter is checked.
/// `filter_lets_every_word_of_the_handbook_reach_its_stem` checks this on real text.
struct Stem<'a> {
    /// All but the stem's last letter.
    head: &'a str,
    first: char,
    /// Three letters or fewer.
    short: bool,
}

impl<'a> Stem<'a> {
    fn new(stem: &'a str) -> Option<Stem<'a>> {
        let first = stem.chars().next()?;
        let (last, _) = stem.char_indices().last()?;
        Some(Stem {
            head: &stem[..last],
            first,
            short: stem.chars().nth(3).is_none(),
        })
    }

    /// Whether the lowercase `word` can stem to this stem.
    fn may_stem_from(&self, word: &str) -> bool {
        word.starts_with(self.head)
            || (self.short && word.len() <= 6 && word.starts_with(self.first))
    }
}

/// English stems of words as written, remembered across searches: results share most of
/// their words, and typing runs a search per keystroke over much the same results, while
/// stemming a word (through tantivy's analyzer) costs more than scanning a whole body.
#[derive(Debug, Default)]
pub struct StemCache {
    stems: HashMap<String, Box<str>>,
}

impl StemCache {
    /// Words remembered at most (a few MB); then it starts over.
    const MAX: usize = 50_000;

    /// The stem of `word` (one word, as written), as the English analyzer makes it.
    fn stem(&mut self, en: &mut TextAnalyzer, word: &str) -> &str {
        if !self.stems.contains_key(word) {
            if self.stems.len() >= Self::MAX {
                self.stems.clear();
            }
            let mut stem = String::new();
            en.token_stream(word)
                .process(&mut |t| stem.clone_from(&t.text));
            self.stems.insert(word.to_owned(), stem.into_boxed_str());
        }
        &self.stems[word]
    }
}

/// Builds the snippets of one search's results.
pub struct Snippets<'a> {
    m: &'a Matcher,
    en: &'a mut TextAnalyzer,
    stems: Vec<Stem<'a>>,
    starts: Starts,
    /// Shared by all searches; locked while one snippet is built.
    cache: &'a Mutex<StemCache>,
    lower: String,
}

impl<'a> Snippets<'a> {
    pub fn new(
        m: &'a Matcher,
        en: &'a mut TextAnalyzer,
        cache: &'a Mutex<StemCache>,
    ) -> Snippets<'a> {
        Snippets {
            m,
            en,
            starts: Starts::new(m),
            stems: m.stems.iter().filter_map(|s| Stem::new(s)).collect(),
            cache,
            lower: String::new(),
        }
    }

    /// Byte ranges of `text` that match, sorted, overlaps merged.
    ///
    /// Prefix and typo matches are decided on the lowercased word; only the words that could
    /// stem to a wanted stem (see [`Stem`]) go through the stemmer.
    fn matches(&mut self, text: &str) -> Vec<(usize, usize)> {
        let m = self.m;
        let mut out = Vec::new();
        // A memo of a pure function: a panic elsewhere cannot leave it wrong.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let (starts, stems, en, lower) =
            (&self.starts, &self.stems, &mut *self.en, &mut self.lower);
        // Most words cannot match: their first letter says so without lowercasing them.
        starts.each_word(text, |from, to| {
            lowercase_into(&text[from..to], lower);
            let word = lower.as_str();
            let fuzzy = !m.fuzzy.is_empty()
                && word.chars().nth(4).is_some()
                && m.fuzzy.iter().any(|f| within_one_edit(f, word));
            if fuzzy || m.prefixes.iter().any(|p| word.starts_with(p.as_str())) {
                out.push((from, to));
                return;
            }
            if !stems.iter().any(|s| s.may_stem_from(word)) {
                return;
            }
            // Stemmed as written, as the index stemmed it.
            let stem = cache.stem(en, &text[from..to]);
            let hit = m.stems.iter().any(|s| s == stem);
            if hit {
                out.push((from, to));
            }
        });
        for needle in &m.cjk {
            let mut start = 0;
            while let Some(found) = text[start..].find(needle.as_str()) {
                let at = start + found;
                out.push((at, at + needle.len()));
                start = at + needle.len();
            }
        }
        if !m.cjk.is_empty() {
            out.sort_unstable();
        }
        // Merge overlaps (and duplicates), in place.
        let mut kept = 0;
        for i in 0..out.len() {
            let (a, b) = out[i];
            if kept > 0 && a <= out[kept - 1].1 {
                out[kept - 1].1 = out[kept - 1].1.max(b);
            } else {
                out[kept] = (a, b);
                kept += 1;
            }
        }
        out.truncate(kept);
        out
    }

    /// A snippet of at most `max_chars` characters around the densest group of matches,
    /// and the highlighted ranges in characters of the snippet.
    pub fn snippet(&mut self, text: &str, max_chars: usize) -> (String, Vec<[usize; 2]>) {
        let found = self.matches(text);
        // Character positions: the same as bytes in ASCII text; otherwise counted once,
        // from one match to the next.
        let ascii = text.is_ascii();
        let ranges: Vec<(usize, usize)> = if ascii {
            found
        } else {
            let (mut byte, mut char) = (0, 0);
            let mut at = |b: usize| {
                char += text[byte..b].chars().count();
                byte = b;
                char
            };
            found.iter().map(|&(a, b)| (at(a), at(b))).collect()
        };
        let n = if ascii {
            text.len()
        } else {
            text.chars().count()
        };
        // The window start that covers the most matches (ranges are sorted and disjoint,
        // so their ends rise too, as do the window limits).
        let mut best = (0usize, 0usize); // (count, start char)
        let mut end = 0;
        for (i, &(start, _)) in ranges.iter().enumerate() {
            let from = start.saturating_sub(max_chars / 4);
            end = end.max(i);
            while end < ranges.len() && ranges[end].1 <= from + max_chars {
                end += 1;
            }
            if end - i > best.0 {
                best = (end - i, from);
            }
        }
        let byte_of = |c: usize| {
            if ascii {
                c
            } else {
                text.char_indices().nth(c).map_or(text.len(), |(b, _)| b)
            }
        };
        let mut from = best.1;
        let mut from_byte = byte_of(from);
        // Start at a word boundary within 20 characters, if there is one (CJK has none).
        if from > 0
            && let Some((i, (b, c))) = text[from_byte..]
                .char_indices()
                .take(20)
                .enumerate()
                .find(|(_, (_, c))| c.is_whitespace())
        {
            from += i + 1;
            from_byte += b + c.len_utf8();
        }
        let to = (from + max_chars).min(n);
        let window = if ascii {
            &text[from_byte..to]
        } else {
            let len = text[from_byte..]
                .char_indices()
                .nth(to - from)
                .map_or(text.len() - from_byte, |(b, _)| b);
            &text[from_byte..from_byte + len]
        };
        let lead = usize::from(from > 0);
        let mut out = String::with_capacity(window.len() + 6);
        if from > 0 {
            out.push('…');
        }
        out.push_str(window);
        if to < n {
            out.push('…');
        }
        // Collapse the layout whitespace (newlines) so the snippet reads as one line; keep
        // the character count so the ranges stay valid. These are single bytes that no
        // longer character contains, so the text stays UTF-8.
        let mut out = out.into_bytes();
        for b in &mut out {
            if matches!(b, b'\n' | b'\r' | b'\t') {
                *b = b' ';
            }
        }
        let out = String::from_utf8(out).expect("ASCII bytes replaced by ASCII bytes");
        let highlights = ranges
            .iter()
            .filter(|(s, e)| *s >= from && *e <= to)
            .map(|(s, e)| [s - from + lead, e - from + lead])
            .collect();
        (out, highlights)
    }
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

    fn words(snip: &str, hl: &[[usize; 2]]) -> Vec<String> {
        let chars: Vec<char> = snip.chars().collect();
        hl.iter()
            .map(|[a, b]| chars[*a..*b].iter().collect())
            .collect()
    }

    #[test]
    fn highlights_index_into_the_snippet() {
        let m = Matcher {
            stems: vec!["deploy".into()],
            cjk: vec!["議事".into()],
            ..Matcher::default()
        };
        let text = format!("{} We deployed it. 会議の議事録です.", "filler ".repeat(40));
        let mut en = en_analyzer();
        let (snip, hl) = Snippets::new(&m, &mut en, &Mutex::default()).snippet(&text, 60);
        assert_eq!(words(&snip, &hl), ["deployed", "議事"], "{snip}");
        assert!(snip.starts_with('…'));
    }

    #[test]
    fn words_are_split_like_the_plain_analyzer() {
        let long = "x".repeat(LONGEST_WORD);
        let shorter = "y".repeat(LONGEST_WORD - 1);
        let texts = [
            "Hello, happy tax-payer! 3.14 and don't",
            "Café ÉCOLE naïve İstanbul ΣΊΣΥΦΟΣ Ёлка straße",
            "会議の議事録 mixed中文text 한국어 ｶﾀｶﾅ",
            "e\u{301}tude a\u{200b}b ¼ ² x²y",
            "  leading and trailing  ",
            "",
            "🙂emoji🙂 tab\there\nnew line",
            &format!("{long} {shorter} é{shorter} end"),
        ];
        for text in texts {
            let mut expected = Vec::new();
            plain_analyzer()
                .token_stream(text)
                .process(&mut |t| expected.push((t.offset_from, t.offset_to, t.text.clone())));
            let mut got = Vec::new();
            let mut lower = String::new();
            each_word(text, |a, b| {
                lowercase_into(&text[a..b], &mut lower);
                got.push((a, b, lower.clone()));
            });
            assert_eq!(got, expected, "{text:?}");
        }
    }

    #[test]
    fn ascii_letters_and_digits_eight_at_a_time() {
        for start in (0..=255u8).step_by(8) {
            let bytes: [u8; 8] = std::array::from_fn(|k| start + k as u8);
            let mask = ascii_alphanumeric(u64::from_le_bytes(bytes));
            for (k, b) in bytes.iter().enumerate() {
                assert_eq!(
                    mask >> (8 * k + 7) & 1 == 1,
                    b.is_ascii_alphanumeric(),
                    "{b:#x}"
                );
            }
        }
    }

    #[test]
    fn words_found_by_their_first_letter_are_all_those_that_start_with_it() {
        let texts = [
            "Deploy, deployed; re-deploy x deploy. DEPLOYMENT d d2 2d",
            "Straße ßtart İstanbul iİ ıi Ünïcode ü Ü ünder-deploy’s “deploy”",
            "中文deploy deploy中文 9lives 90s 9 x9 Ō ō",
            "a\u{10}b 0 @ ` \u{7f}d Kelvin \u{212a}elvin kelvin",
            "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd d",
            "ends with d",
            "",
        ];
        let matchers = [
            (vec!["deploy"], vec![]),
            (vec!["ünder"], vec!["9"]),
            (vec!["kelvin", "straß"], vec!["ı"]),
            (vec!["d"], vec![]),
        ];
        for (stems, prefixes) in matchers {
            let m = Matcher {
                stems: stems.iter().map(|s| s.to_string()).collect(),
                prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
                ..Matcher::default()
            };
            let starts = Starts::new(&m);
            // Words at every offset across the eight-byte chunks.
            let pieces = [
                "deploy", "xdeploy", "Dd", "é", "ünder", " ", ", ", "9", "’", "d",
            ];
            let mut seed = 7u32;
            let generated: String = (0..400)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    pieces[(seed >> 16) as usize % pieces.len()]
                })
                .collect();
            for text in texts.iter().copied().chain([generated.as_str()]) {
                let mut expected = Vec::new();
                each_word(text, |a, b| {
                    if starts.table[usize::from(text.as_bytes()[a])] {
                        expected.push((a, b));
                    }
                });
                let mut got = Vec::new();
                starts.each_word(text, |a, b| got.push((a, b)));
                assert_eq!(got, expected, "{stems:?} {prefixes:?} in {text:?}");
            }
        }
    }

    /// The stems of `words` (lowercase, one token each) with the English analyzer.
    fn stems_of(words: impl Iterator<Item = String>) -> Vec<(String, String)> {
        let mut en = en_analyzer();
        words
            .filter_map(|w| {
                let mut stem = None;
                en.token_stream(&w)
                    .process(&mut |t| stem = Some(t.text.clone()));
                Some((w, stem?))
            })
            .collect()
    }

    #[test]
    fn filter_lets_every_word_reach_its_stem() {
        let words = [
            "lyings",
            "dyingly",
            "tyings",
            "lyingness",
            "dying",
            "lying",
            "tying",
            "skies",
            "skis",
            "news",
            "happy",
            "happiness",
            "hoping",
            "hopping",
            "generously",
            "ugly",
            "early",
            "only",
            "idly",
            "gently",
            "cried",
            "ties",
            "possibly",
            "relational",
            "activity",
            "organization",
            "agreed",
            "ski",
            "yelling",
            "Yoyo",
            "ÉCOLES",
            "café",
            "naïvely",
            "d",
            "a",
            "is",
            "was",
            "dies",
        ];
        for (word, stem) in stems_of(words.iter().map(|w| w.to_lowercase())) {
            let s = Stem::new(&stem).expect("a stem has letters");
            assert!(s.may_stem_from(&word), "{word} → {stem}");
        }
    }

    /// The English stemmer's exceptions are few; every word of the handbook (and its
    /// inflections) must pass the filter for its own stem, or its highlight would be lost.
    #[test]
    fn filter_lets_every_word_of_the_handbook_reach_its_stem() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/handbook/content");
        let mut files = vec![root.clone()];
        let mut text = String::new();
        while let Some(p) = files.pop() {
            if p.is_dir() {
                files.extend(
                    std::fs::read_dir(&p)
                        .into_iter()
                        .flatten()
                        .flatten()
                        .map(|e| e.path()),
                );
            } else if p.extension().is_some_and(|e| e == "md") {
                text.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
                text.push('\n');
            }
        }
        if text.is_empty() {
            eprintln!("skipped: the handbook corpus is not at {}", root.display());
            return;
        }
        let mut vocabulary = std::collections::BTreeSet::new();
        plain_analyzer().token_stream(&text).process(&mut |t| {
            vocabulary.insert(t.text.clone());
        });
        assert!(vocabulary.len() > 10_000, "{}", vocabulary.len());
        let inflected = vocabulary.iter().flat_map(|w| {
            [
                "", "s", "es", "ed", "ing", "ly", "ies", "ied", "y", "ness", "ation", "ational",
                "ful", "ity", "ize", "izer",
            ]
            .map(|suffix| format!("{w}{suffix}"))
        });
        let mut checked = 0;
        for (word, stem) in stems_of(inflected) {
            let s = Stem::new(&stem).expect("a stem has letters");
            assert!(s.may_stem_from(&word), "{word} → {stem}");
            checked += 1;
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn stems_prefixes_and_typos_are_highlighted() {
        let m = Matcher {
            stems: vec!["happi".into(), "die".into()],
            fuzzy: vec!["handbook".into()],
            prefixes: vec!["onbo".into()],
            cjk: vec![],
        };
        let text = "Happiness: DYING is not happy. Read the handbok before Onboarding; die.";
        let mut en = en_analyzer();
        let cache = Mutex::default();
        let mut s = Snippets::new(&m, &mut en, &cache);
        let (snip, hl) = s.snippet(text, 200);
        assert_eq!(
            words(&snip, &hl),
            [
                "Happiness",
                "DYING",
                "happy",
                "handbok",
                "Onboarding",
                "die"
            ]
        );
        // The second result reuses the stems seen in the first.
        let (snip, hl) = s.snippet("so happy, not sad", 200);
        assert_eq!(words(&snip, &hl), ["happy"]);
        let remembered = cache.lock().expect("not poisoned").stems.len();
        assert!(remembered >= 3, "{remembered}");
    }

    #[test]
    fn the_window_starts_at_a_word_and_counts_characters() {
        let m = Matcher {
            stems: vec!["target".into()],
            ..Matcher::default()
        };
        let text = format!(
            "{}target ends ünïcode {}",
            "ééé ".repeat(30),
            "ö ".repeat(80)
        );
        let mut en = en_analyzer();
        let (snip, hl) = Snippets::new(&m, &mut en, &Mutex::default()).snippet(&text, 40);
        assert_eq!(words(&snip, &hl), ["target"]);
        assert_eq!(snip.chars().count(), 40 + 2, "{snip}");
        assert!(snip.starts_with("…ééé "), "{snip}");
        assert!(snip.ends_with('…'));
    }
}
