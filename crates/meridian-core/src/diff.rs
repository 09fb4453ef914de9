//! Word-level differences between two versions of a text: what history, catch-up and the
//! what-merged list show as "words added / removed", and the hunks a reader sees.
//!
//! Words are runs of non-whitespace; whitespace between them is kept in the hunks so that
//! joining the `Same` and `Added` parts gives the new text back, and joining `Same` and
//! `Removed` gives the old one.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};
use ts_rs::TS;

/// One run of the diff, in the order a reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "op", content = "text", rename_all = "camelCase")]
pub enum Hunk {
    Same(String),
    Added(String),
    Removed(String),
}

/// The difference between two texts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct WordDiff {
    /// Words that are in the new text only.
    pub added: usize,
    /// Words that are in the old text only.
    pub removed: usize,
    pub hunks: Vec<Hunk>,
}

impl WordDiff {
    /// Whether the two texts were equal.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added == 0 && self.removed == 0
    }

    /// The new text, rebuilt from the hunks.
    #[must_use]
    pub fn new_text(&self) -> String {
        self.side(|h| matches!(h, Hunk::Removed(_)))
    }

    /// The old text, rebuilt from the hunks.
    #[must_use]
    pub fn old_text(&self) -> String {
        self.side(|h| matches!(h, Hunk::Added(_)))
    }

    fn side(&self, skip: impl Fn(&Hunk) -> bool) -> String {
        self.hunks
            .iter()
            .filter(|h| !skip(h))
            .map(|(Hunk::Same(t) | Hunk::Added(t) | Hunk::Removed(t))| t.as_str())
            .collect()
    }
}

/// The word-level difference from `old` to `new`. Adjacent runs of the same kind are
/// merged, so the hunks alternate.
#[must_use]
pub fn words(old: &str, new: &str) -> WordDiff {
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_words(old, new);
    let mut out = WordDiff::default();
    for change in diff.iter_all_changes() {
        let text = change.value();
        let counted = usize::from(!text.trim().is_empty());
        let hunk = match change.tag() {
            ChangeTag::Equal => Hunk::Same(text.to_owned()),
            ChangeTag::Insert => {
                out.added += counted;
                Hunk::Added(text.to_owned())
            }
            ChangeTag::Delete => {
                out.removed += counted;
                Hunk::Removed(text.to_owned())
            }
        };
        push(&mut out.hunks, hunk);
    }
    out
}

fn push(hunks: &mut Vec<Hunk>, hunk: Hunk) {
    match (hunks.last_mut(), hunk) {
        (Some(Hunk::Same(a)), Hunk::Same(b))
        | (Some(Hunk::Added(a)), Hunk::Added(b))
        | (Some(Hunk::Removed(a)), Hunk::Removed(b)) => a.push_str(&b),
        (_, hunk) => hunks.push(hunk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_words_not_spaces() {
        let d = words("the quick brown fox", "the slow brown fox jumps");
        assert_eq!((d.added, d.removed), (2, 1));
        assert_eq!(
            d.hunks,
            vec![
                Hunk::Same("the ".into()),
                Hunk::Removed("quick".into()),
                Hunk::Added("slow".into()),
                Hunk::Same(" brown fox".into()),
                Hunk::Added(" jumps".into()),
            ]
        );
    }

    #[test]
    fn equal_texts_are_empty() {
        assert!(words("same text\n", "same text\n").is_empty());
        assert!(words("", "").hunks.is_empty());
    }

    proptest! {
        #[test]
        fn hunks_rebuild_both_sides(old in "[a-c \n]{0,40}", new in "[a-c \n]{0,40}") {
            let d = words(&old, &new);
            prop_assert_eq!(d.old_text(), old);
            prop_assert_eq!(d.new_text(), new);
        }
    }
}
