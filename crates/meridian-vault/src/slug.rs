//! Slugs for file names and option ids.

use unicode_normalization::UnicodeNormalization;

/// Lowercase letters and digits (any script) joined by single dashes, at most 60
/// characters; `fallback` when nothing is left. The text is composed first (Unicode NFC),
/// so `é` typed as `e` and a combining accent is one letter, not a break.
pub fn slugify(text: &str, fallback: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.nfc() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
        if out.chars().count() >= 60 {
            break;
        }
    }
    if out.is_empty() {
        fallback.to_owned()
    } else {
        out
    }
}

/// `base`, or `base-2`, `base-3`… whichever is not yet in `taken` (compared
/// case-insensitively, as on macOS and Windows file systems).
pub(crate) fn unique(base: &str, taken: &[String]) -> String {
    let clash = |s: &str| taken.iter().any(|t| t.to_lowercase() == s.to_lowercase());
    if !clash(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|s| !clash(s))
        .unwrap_or_else(|| base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Use Markdown ADRs!", "x"), "use-markdown-adrs");
        assert_eq!(slugify("  --  ", "untitled"), "untitled");
        assert_eq!(slugify("会议 规则", "x"), "会议-规则");
        assert_eq!(unique("a", &["A".into(), "a-2".into()]), "a-3");
        assert_eq!(slugify("Cafe\u{301} notes", "x"), "café-notes");
    }
}
