//! The text query as the user's results rank it: filtered by `kind:`, `after:` and
//! `before:`, and scaled by recency and decision standing, all from fast fields inside the
//! text query's own pruned loop.
//!
//! As clauses of a boolean query the filters would be intersected with the text: tantivy
//! then scores every document of the intersection, and the words' clauses lose block-max
//! WAND. Here the text query runs as if unfiltered, skipping blocks that cannot enter the
//! top results, and a document reaches the collector only when its kind and date pass,
//! the way tantivy's top-docs collector skips deleted documents. A filter that keeps most
//! documents (a kind is about a third of a workspace, a date range most of it) costs a
//! column read per scored document instead of a second posting list.
//!
//! Rescoring is exact the same way: the collector sees each document's final score (BM25 ×
//! recency × standing), and the text query prunes against the collector's threshold divided
//! by the most rescoring can multiply. No wider page of candidates is fetched to be
//! rescored afterwards, and none that would rise into the page is missed.
//!
//! Selective filters (`tag:`, `author:`, `status:`) stay clauses: their short posting lists
//! are what lets an intersection skip.

use std::sync::Arc;

use tantivy::columnar::ColumnValues;
use tantivy::index::{SegmentId, SegmentReader};
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, Score, Term};

use crate::gated::{Gate, Gated};

/// What a document must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wanted {
    /// Bit `k` is set when kind number `k` is wanted ([`crate::query::kind_no`]); `None`
    /// for any kind.
    pub kinds: Option<u32>,
    /// `[from, until)` in UTC milliseconds of the `date` field.
    pub from: Option<i64>,
    pub until: Option<i64>,
}

/// How much more recent documents weigh: up to this factor for one changed now…
const RECENCY_BOOST: f32 = 0.25;
/// …fading over this many days.
const RECENCY_DAYS: f32 = 90.0;
/// An accepted decision's factor (standing 1).
const ACCEPTED: f32 = 1.3;
/// A draft or closed decision's factor (standing -1).
const SET_ASIDE: f32 = 0.85;

/// How a relevance score becomes a result's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rescore {
    /// Now, UTC milliseconds.
    pub now_ms: i64,
}

impl Rescore {
    fn factor(self, date_ms: i64, standing: i64) -> f32 {
        let age_days = ((self.now_ms - date_ms).max(0) as f32) / 86_400_000.0;
        let recency = 1.0 + RECENCY_BOOST * (-age_days / RECENCY_DAYS).exp();
        let standing = match standing {
            1 => ACCEPTED,
            -1 => SET_ASIDE,
            _ => 1.0,
        };
        recency * standing
    }

    /// The most rescoring multiplies a score by in a segment: its newest document's
    /// recency, and an accepted decision's factor if it holds one. Tighter than the bound
    /// over every possible document, so pruning stays sharp where, say, nothing is new.
    fn most(self, columns: &SegmentColumns) -> f32 {
        let standing = if columns.standing.max_value() >= 1 {
            1
        } else {
            0
        };
        self.factor(columns.date.max_value(), standing)
    }
}

type Column = Arc<dyn ColumnValues<i64>>;

/// The columns one segment's checks and rescoring read. Opening them costs more than the
/// values a search reads, so they are opened once per searcher generation.
#[derive(Clone)]
pub struct SegmentColumns {
    id: SegmentId,
    kind: Column,
    date: Column,
    standing: Column,
}

impl SegmentColumns {
    pub fn open(reader: &SegmentReader) -> tantivy::Result<SegmentColumns> {
        let ff = reader.fast_fields();
        Ok(SegmentColumns {
            id: reader.segment_id(),
            kind: ff.i64("kind_no")?.first_or_default_col(-1),
            date: ff.i64("date")?.first_or_default_col(0),
            standing: ff.i64("standing")?.first_or_default_col(0),
        })
    }
}

/// `inner`'s documents that pass `wanted`, scored by `rescore`.
#[derive(Debug)]
pub struct Ranked {
    pub inner: Box<dyn Query>,
    pub wanted: Wanted,
    pub rescore: Option<Rescore>,
    /// The searcher's columns, by segment (opened on the spot for a segment not there).
    pub columns: Arc<Vec<SegmentColumns>>,
}

impl std::fmt::Debug for SegmentColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentColumns")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Clone for Ranked {
    fn clone(&self) -> Self {
        Ranked {
            inner: self.inner.box_clone(),
            wanted: self.wanted,
            rescore: self.rescore,
            columns: Arc::clone(&self.columns),
        }
    }
}

impl Query for Ranked {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(RankedWeight {
            inner: self.inner.weight(scoring)?,
            wanted: self.wanted,
            rescore: self.rescore,
            columns: Arc::clone(&self.columns),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

/// One segment's checks.
struct Check {
    wanted: Wanted,
    rescore: Option<Rescore>,
    columns: SegmentColumns,
}

impl Check {
    #[inline]
    fn passes(&self, doc: DocId) -> bool {
        let w = &self.wanted;
        if let Some(mask) = w.kinds {
            let k = self.columns.kind.get_val(doc);
            if !(0..32).contains(&k) || mask & (1 << k) == 0 {
                return false;
            }
        }
        if w.from.is_some() || w.until.is_some() {
            let d = self.columns.date.get_val(doc);
            if w.from.is_some_and(|f| d < f) || w.until.is_some_and(|u| d >= u) {
                return false;
            }
        }
        true
    }

    #[inline]
    fn score(&self, doc: DocId, score: Score) -> Score {
        match &self.rescore {
            Some(r) => {
                score
                    * r.factor(
                        self.columns.date.get_val(doc),
                        self.columns.standing.get_val(doc),
                    )
            }
            None => score,
        }
    }
}

impl Gate for Check {
    fn passes(&self, doc: DocId) -> bool {
        Check::passes(self, doc)
    }

    fn score(&mut self, doc: DocId, inner: Score) -> Score {
        Check::score(self, doc, inner)
    }
}

struct RankedWeight {
    inner: Box<dyn Weight>,
    wanted: Wanted,
    rescore: Option<Rescore>,
    columns: Arc<Vec<SegmentColumns>>,
}

impl RankedWeight {
    fn check(&self, reader: &SegmentReader) -> tantivy::Result<Check> {
        let id = reader.segment_id();
        let columns = match self.columns.iter().find(|c| c.id == id) {
            Some(c) => c.clone(),
            None => SegmentColumns::open(reader)?,
        };
        Ok(Check {
            wanted: self.wanted,
            rescore: self.rescore,
            columns,
        })
    }
}

impl Weight for RankedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(Gated::new(
            self.inner.scorer(reader, boost)?,
            self.check(reader)?,
        )))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let check = self.check(reader)?;
        if !check.passes(doc) {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is filtered out by kind or date"
            )));
        }
        let inner = self.inner.explain(reader, doc)?;
        let mut e = Explanation::new(
            "rescored by recency and standing",
            check.score(doc, inner.value()),
        );
        e.add_detail(inner);
        Ok(e)
    }

    /// The inner query's own pruned loop, with the check and the rescoring in front of the
    /// collector.
    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let check = self.check(reader)?;
        let most = self.rescore.map_or(1.0, |r| r.most(&check.columns));
        // A relevance score below the threshold over the most rescoring can multiply cannot
        // reach the page; the margin covers rounding.
        let bound = |t: Score| {
            if t > 0.0 {
                t / (most * (1.0 + 1e-5))
            } else {
                t * most
            }
        };
        let mut current = threshold;
        self.inner
            .for_each_pruning(bound(threshold), reader, &mut |doc, score| {
                if check.passes(doc) {
                    let full = check.score(doc, score);
                    if full > current {
                        current = callback(doc, full);
                    }
                }
                bound(current)
            })
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
    fn finds_and_rescores_what_an_intersection_finds() {
        let mut b = Schema::builder();
        let body = b.add_text_field("body", TEXT);
        let kind = b.add_text_field("kind", STRING);
        let kind_no = b.add_i64_field("kind_no", FAST);
        let date = b.add_i64_field("date", INDEXED | FAST);
        let standing = b.add_i64_field("standing", FAST);
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
            d.add_i64(standing, [1, -1, 0, 0][(i % 4) as usize]);
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
            let ours = Ranked {
                inner: text(),
                wanted: Wanted { kinds, from, until },
                rescore: None,
                columns: Arc::default(),
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
        // Rescored: the page is the best of every match by relevance × recency × standing,
        // found with pruning, with the searcher's columns or without them.
        let columns = Arc::new(
            searcher
                .segment_readers()
                .iter()
                .map(|r| SegmentColumns::open(r).expect("columns"))
                .collect::<Vec<_>>(),
        );
        let rescore = Rescore { now_ms: 2_000_000 };
        let mut expected: Vec<Score> = searcher
            .search(&*text(), &TopDocs::with_limit(10_000).order_by_score())
            .expect("search")
            .into_iter()
            .map(|(score, a)| {
                let c =
                    SegmentColumns::open(searcher.segment_reader(a.segment_ord)).expect("columns");
                score * rescore.factor(c.date.get_val(a.doc_id), c.standing.get_val(a.doc_id))
            })
            .collect();
        expected.sort_by(|a, b| b.total_cmp(a));
        for columns in [Arc::clone(&columns), Arc::default()] {
            for k in [1, 10, 50] {
                let ours = Ranked {
                    inner: text(),
                    wanted: Wanted::default(),
                    rescore: Some(rescore),
                    columns: Arc::clone(&columns),
                };
                let got: Vec<Score> = searcher
                    .search(&ours, &TopDocs::with_limit(k).order_by_score())
                    .expect("search")
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect();
                assert_eq!(got.len(), k);
                for (x, y) in got.iter().zip(&expected) {
                    assert!((x - y).abs() <= 1e-5 * y.abs(), "top {k}: {got:?}");
                }
            }
        }
    }
}
