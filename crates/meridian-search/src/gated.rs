//! A scorer over some of another scorer's documents, with their scores reshaped: what a
//! custom weight needs outside its pruned loop (`explain`, counts, being a clause).

use tantivy::query::Scorer;
use tantivy::{DocId, DocSet, Score, TERMINATED};

/// Which documents pass, and what their score becomes.
pub(crate) trait Gate: Send + 'static {
    fn passes(&self, doc: DocId) -> bool;
    /// The score of `doc` (which passed) from the inner scorer's; asked in increasing
    /// order of documents.
    fn score(&mut self, doc: DocId, inner: Score) -> Score;
    /// An estimate of how many documents pass, from the inner scorer's estimate.
    fn size_hint(&self, inner: u32) -> u32 {
        inner
    }
}

pub(crate) struct Gated<G> {
    inner: Box<dyn Scorer>,
    gate: G,
}

impl<G: Gate> Gated<G> {
    /// Positioned on the first document that passes.
    pub(crate) fn new(inner: Box<dyn Scorer>, gate: G) -> Gated<G> {
        let mut gated = Gated { inner, gate };
        let doc = gated.inner.doc();
        if doc != TERMINATED && !gated.gate.passes(doc) {
            gated.advance();
        }
        gated
    }
}

impl<G: Gate> DocSet for Gated<G> {
    fn advance(&mut self) -> DocId {
        loop {
            let doc = self.inner.advance();
            if doc == TERMINATED || self.gate.passes(doc) {
                return doc;
            }
        }
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.inner.seek(target);
        if doc == TERMINATED || self.gate.passes(doc) {
            doc
        } else {
            self.advance()
        }
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.gate.size_hint(self.inner.size_hint())
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl<G: Gate> Scorer for Gated<G> {
    fn score(&mut self) -> Score {
        let doc = self.doc();
        let inner = self.inner.score();
        self.gate.score(doc, inner)
    }
}
