//! Filters that do not score (`kind:`, `after:`, `before:`), checked per document from fast
//! fields inside the text query's own pruned loop.
//!
//! As clauses of a boolean query they would be intersected with the text: tantivy then
//! scores every document of the intersection, and the word's clauses lose block-max WAND.
//! Here the text query runs as if unfiltered, skipping blocks that cannot enter the top
//! results, and a document reaches the collector only when its kind and date pass, the
//! way tantivy's top-docs collector skips deleted documents. A filter that keeps most
//! documents (a kind is about a third of a workspace, a date range most of it) costs a
//! column read per scored document instead of a second posting list.
//!
//! Selective filters (`tag:`, `author:`, `status:`) stay clauses: their short posting lists
//! are what lets an intersection skip.

use std::sync::Arc;

use tantivy::columnar::ColumnValues;
use tantivy::index::SegmentReader;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, TERMINATED, Term};

/// What a document must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// Bit `k` is set when kind number `k` is wanted ([`crate::query::kind_no`]); `None`
    /// for any kind.
    pub kinds: Option<u32>,
    /// `[from, until)` in UTC milliseconds of the `date` field.
    pub from: Option<i64>,
    pub until: Option<i64>,
}

impl Wanted {
    pub fn is_empty(&self) -> bool {
        self.kinds.is_none() && self.from.is_none() && self.until.is_none()
    }
}

/// `inner`'s documents that pass `wanted`, with `inner`'s scores.
#[derive(Debug)]
pub struct Filtered {
    pub inner: Box<dyn Query>,
    pub wanted: Wanted,
}

impl Clone for Filtered {
    fn clone(&self) -> Self {
        Filtered {
            inner: self.inner.box_clone(),
            wanted: self.wanted,
        }
    }
}

impl Query for Filtered {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(FilteredWeight {
            inner: self.inner.weight(scoring)?,
            wanted: self.wanted,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

type Column = Arc<dyn ColumnValues<i64>>;

/// The columns one segment's checks read.
struct Check {
    wanted: Wanted,
    kind: Column,
    date: Column,
}

impl Check {
    fn open(wanted: Wanted, reader: &SegmentReader) -> tantivy::Result<Check> {
        let ff = reader.fast_fields();
        Ok(Check {
            wanted,
            kind: ff.i64("kind_no")?.first_or_default_col(-1),
            date: ff.i64("date")?.first_or_default_col(0),
        })
    }

    #[inline]
    fn passes(&self, doc: DocId) -> bool {
        if let Some(mask) = self.wanted.kinds {
            let k = self.kind.get_val(doc);
            if !(0..32).contains(&k) || mask & (1 << k) == 0 {
                return false;
            }
        }
        if self.wanted.from.is_some() || self.wanted.until.is_some() {
            let d = self.date.get_val(doc);
            if self.wanted.from.is_some_and(|f| d < f) || self.wanted.until.is_some_and(|u| d >= u)
            {
                return false;
            }
        }
        true
    }
}

struct FilteredWeight {
    inner: Box<dyn Weight>,
    wanted: Wanted,
}

impl Weight for FilteredWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = FilteredScorer {
            inner: self.inner.scorer(reader, boost)?,
            check: Check::open(self.wanted, reader)?,
        };
        let doc = scorer.inner.doc();
        if doc != TERMINATED && !scorer.check.passes(doc) {
            scorer.advance();
        }
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if !Check::open(self.wanted, reader)?.passes(doc) {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is filtered out by kind or date"
            )));
        }
        self.inner.explain(reader, doc)
    }

    /// The inner query's own pruned loop, with the check in front of the collector.
    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let check = Check::open(self.wanted, reader)?;
        let mut current = threshold;
        self.inner
            .for_each_pruning(threshold, reader, &mut |doc, score| {
                if check.passes(doc) {
                    current = callback(doc, score);
                }
                current
            })
    }
}

struct FilteredScorer {
    inner: Box<dyn Scorer>,
    check: Check,
}

impl DocSet for FilteredScorer {
    fn advance(&mut self) -> DocId {
        loop {
            let doc = self.inner.advance();
            if doc == TERMINATED || self.check.passes(doc) {
                return doc;
            }
        }
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.inner.seek(target);
        if doc == TERMINATED || self.check.passes(doc) {
            doc
        } else {
            self.advance()
        }
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for FilteredScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, RangeQuery, TermQuery};
    use tantivy::schema::{FAST, INDEXED, IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{DocAddress, Index, IndexWriter, TantivyDocument};

    use super::*;

    /// Filter clauses that add nothing to a score.
    fn zero(q: Box<dyn Query>) -> Box<dyn Query> {
        Box::new(ConstScoreQuery::new(q, 0.0))
    }

    /// Filtering in the pruned loop finds the same documents, in the same order, as
    /// intersecting with the filter's clauses scored zero, across segments and with
    /// deletions.
    #[test]
    fn finds_what_an_intersection_finds() {
        let mut b = Schema::builder();
        let body = b.add_text_field("body", TEXT);
        let kind = b.add_text_field("kind", STRING);
        let kind_no = b.add_i64_field("kind_no", FAST);
        let date = b.add_i64_field("date", INDEXED | FAST);
        let index = Index::create_in_ram(b.build());
        let mut writer: IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let words = ["alpha", "beta", "gamma", "delta", "epsilon"];
        let mut seed = 5u32;
        for i in 0..3000i64 {
            let mut text = String::new();
            for _ in 0..(1 + i % 9) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                text.push_str(words[(seed >> 16) as usize % words.len()]);
                text.push(' ');
            }
            let mut d = TantivyDocument::default();
            d.add_text(body, &text);
            d.add_text(kind, ["page", "decision", "thread"][(i % 3) as usize]);
            d.add_i64(kind_no, i % 3);
            d.add_i64(date, i * 1000);
            writer.add_document(d).expect("add");
            if i % 1000 == 999 {
                writer.commit().expect("commit");
            }
        }
        writer.delete_term(Term::from_field_i64(date, 5000));
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        assert!(searcher.segment_readers().len() > 1);
        let term = |f, t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        let text = || -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, term(body, "alpha")),
                (Occur::Should, term(body, "delta")),
            ]))
        };
        for (kinds, (from, until)) in [
            (Some(1u32), (None, None)),
            (Some(0b110), (Some(500_000), None)),
            (None, (Some(100_000), Some(900_000))),
            (Some(1 << 5), (None, None)),
        ] {
            let ours = Filtered {
                inner: text(),
                wanted: Wanted { kinds, from, until },
            };
            let mut clauses = vec![(Occur::Must, text())];
            if let Some(mask) = kinds {
                let any: Vec<(Occur, Box<dyn Query>)> = ["page", "decision", "thread"]
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| mask & (1 << k) != 0)
                    .map(|(_, name)| (Occur::Should, term(kind, name)))
                    .collect();
                clauses.push((Occur::Must, zero(Box::new(BooleanQuery::new(any)))));
            }
            if from.is_some() || until.is_some() {
                let bound = |v: Option<i64>, inclusive: bool| {
                    v.map_or(std::ops::Bound::Unbounded, |v| {
                        let t = Term::from_field_i64(date, v);
                        if inclusive {
                            std::ops::Bound::Included(t)
                        } else {
                            std::ops::Bound::Excluded(t)
                        }
                    })
                };
                clauses.push((
                    Occur::Must,
                    zero(Box::new(RangeQuery::new(
                        bound(from, true),
                        bound(until, false),
                    ))),
                ));
            }
            let theirs = BooleanQuery::new(clauses);
            let top = |q: &dyn Query| -> Vec<DocAddress> {
                searcher
                    .search(q, &TopDocs::with_limit(25).order_by_score())
                    .expect("search")
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect()
            };
            let (a, b) = (top(&ours), top(&theirs));
            assert_eq!(a, b, "{kinds:?} {from:?} {until:?}");
            assert_eq!(
                searcher.search(&ours, &Count).expect("count"),
                searcher.search(&theirs, &Count).expect("count"),
                "{kinds:?} {from:?} {until:?}"
            );
            if kinds == Some(1 << 5) {
                assert!(a.is_empty());
            } else {
                assert_eq!(a.len(), 25);
            }
        }
    }
}
