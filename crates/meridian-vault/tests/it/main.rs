//! Integration tests of meridian-vault: the real corpus, hostile input, export and the
//! render → parse round trip (meetings and threads too), and the live mirror.

mod bounds;
mod corpus;
mod export;
mod hostile;
mod kinds;
mod mirror;
mod roundtrip;

use std::path::PathBuf;

use meridian_core::{Decision, Page};
use meridian_vault::Parsed;

/// `../shared/corpus` beside the checkout, or `None` (with a message) when it is absent.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
    .join(sub);
    if p.is_dir() {
        Some(p)
    } else {
        println!("SKIPPED: corpus folder {} is absent", p.display());
        None
    }
}

pub fn page(p: Parsed) -> Page {
    match p {
        Parsed::Page(p) => p,
        other => panic!("expected a page, got {other:?}"),
    }
}

pub fn decision(p: Parsed) -> Decision {
    match p {
        Parsed::Decision(d) => d,
        other => panic!("expected a decision, got {other:?}"),
    }
}
