//! A tokenizer for Chinese, Japanese and Korean text, which has no spaces between words:
//! every run of CJK characters becomes its overlapping bigrams (a single character alone
//! stays a unigram). A query for a two-character word is then a phrase of bigrams, which
//! finds it inside any longer run. Everything that is not CJK is skipped (the English
//! field covers it).

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Whether `c` is written without spaces between words: Han, kana, Hangul and their
/// punctuation-free extension blocks.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x31F0..=0x31FF    // Katakana extensions
        | 0x3400..=0x4DBF    // Han extension A
        | 0x4E00..=0x9FFF    // Han
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0x1100..=0x11FF    // Hangul jamo
        | 0x3130..=0x318F    // Hangul compatibility jamo
        | 0xF900..=0xFAFF    // Han compatibility
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x2FA1F  // Han extensions B–F
    )
}

#[derive(Clone, Debug, Default)]
pub struct CjkBigrams;

pub struct CjkStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for CjkBigrams {
    type TokenStream<'a> = CjkStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkStream {
        CjkStream {
            tokens: bigrams(text),
            next: 0,
        }
    }
}

/// The bigram tokens of `text`, with byte offsets and consecutive positions within a run
/// (runs are separated by a position gap so phrases never span them).
pub fn bigrams(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut run: Vec<(usize, char)> = Vec::new();
    let mut position = 0;
    let flush = |run: &mut Vec<(usize, char)>, position: &mut usize, out: &mut Vec<Token>| {
        match run.len() {
            0 => {}
            1 => {
                let (at, c) = run[0];
                out.push(token(at, at + c.len_utf8(), *position, c.to_string()));
                *position += 1;
            }
            _ => {
                for pair in run.windows(2) {
                    let (a, ca) = pair[0];
                    let (b, cb) = pair[1];
                    out.push(token(a, b + cb.len_utf8(), *position, format!("{ca}{cb}")));
                    *position += 1;
                }
            }
        }
        if !run.is_empty() {
            *position += 1; // no phrase across runs
        }
        run.clear();
    };
    for (at, c) in text.char_indices() {
        if is_cjk(c) {
            run.push((at, c));
        } else {
            flush(&mut run, &mut position, &mut out);
        }
    }
    flush(&mut run, &mut position, &mut out);
    out
}

fn token(from: usize, to: usize, position: usize, text: String) -> Token {
    Token {
        offset_from: from,
        offset_to: to,
        position,
        text,
        position_length: 1,
    }
}

impl TokenStream for CjkStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_become_bigrams_and_latin_is_skipped() {
        let t: Vec<String> = bigrams("会議の議事録 and 東京")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(t, ["会議", "議の", "の議", "議事", "事録", "東京"]);
        let one: Vec<String> = bigrams("a 字 b").into_iter().map(|t| t.text).collect();
        assert_eq!(one, ["字"]);
        assert!(bigrams("plain English").is_empty());
    }
}
