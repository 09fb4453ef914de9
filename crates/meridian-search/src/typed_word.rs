//! The word being typed, as one query: its stem in the title (boosted) or the body, or a
//! word that starts with it.
//!
//! It finds the same documents with the same scores as a boolean query of the three
//! clauses, but collects their documents into a bit set up front. Intersected with the
//! other words of a query, a boolean union is asked for one document after another far
//! apart, and tantivy's buffered union refilled a window of thousands of documents at every
//! step (the prefix alone matches a large part of the index): that made typing the slowest
//! class of query. A bit set answers each step at once; the stem's scores are read only for
//! the documents that match everything.

use tantivy::index::SegmentReader;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::{BitSetDocSet, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocId, DocSet, Score, SeekDangerResult, Term};

/// How much a title match of a word counts against a body match.
pub const TITLE_BOOST: Score = 3.0;
/// What a word that merely starts with the typed text adds to a score.
pub const PREFIX_SCORE: Score = 0.6;

#[derive(Debug, Clone)]
pub struct TypedWord {
    /// The stem, in the title field.
    pub title: Term,
    /// The stem, in the body field.
    pub body: Term,
    /// The word as typed, lowercased, in the plain field.
    pub prefix: Term,
}

impl Query for TypedWord {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let term = |t: &Term| {
            tantivy::query::TermQuery::new(t.clone(), IndexRecordOption::WithFreqsAndPositions)
                .weight(scoring)
        };
        Ok(Box::new(TypedWordWeight {
            title: term(&self.title)?,
            body: term(&self.body)?,
            stems: [self.title.clone(), self.body.clone()],
            prefix: self.prefix.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.title, false);
        visitor(&self.body, false);
    }
}

struct TypedWordWeight {
    title: Box<dyn Weight>,
    body: Box<dyn Weight>,
    stems: [Term; 2],
    prefix: Term,
}

/// Adds the documents of a term to every set in `sets`.
fn insert_docs(
    postings: tantivy::Result<BlockSegmentPostings>,
    sets: &mut [&mut BitSet],
) -> tantivy::Result<()> {
    let mut postings = postings?;
    loop {
        let docs = postings.docs();
        if docs.is_empty() {
            return Ok(());
        }
        for &doc in docs {
            for set in sets.iter_mut() {
                set.insert(doc);
            }
        }
        postings.advance();
    }
}

impl Weight for TypedWordWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let max_doc = reader.max_doc();
        let mut any = BitSet::with_max_value(max_doc);
        let mut prefixed = BitSet::with_max_value(max_doc);
        let plain = reader.inverted_index(self.prefix.field())?;
        let prefix = self.prefix.serialized_value_bytes();
        let mut words = plain.terms().range().ge(prefix).into_stream()?;
        while words.advance() && words.key().starts_with(prefix) {
            let info = words.value();
            let postings = plain.read_block_postings_from_terminfo(info, IndexRecordOption::Basic);
            insert_docs(postings.map_err(Into::into), &mut [&mut any, &mut prefixed])?;
        }
        for stem in &self.stems {
            let index = reader.inverted_index(stem.field())?;
            if let Some(info) = index.get_term_info(stem)? {
                let postings =
                    index.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic);
                insert_docs(postings.map_err(Into::into), &mut [&mut any])?;
            }
        }
        Ok(Box::new(TypedWordScorer {
            docs: BitSetDocSet::from(any),
            prefixed,
            prefix_score: PREFIX_SCORE * boost,
            title: self.title.scorer(reader, boost * TITLE_BOOST)?,
            body: self.body.scorer(reader, boost)?,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match the word being typed"
            )));
        }
        Ok(Explanation::new("word being typed", scorer.score()))
    }
}

struct TypedWordScorer {
    /// Every document that matches one of the three.
    docs: BitSetDocSet,
    /// Those with a word that starts with the typed text.
    prefixed: BitSet,
    prefix_score: Score,
    title: Box<dyn Scorer>,
    body: Box<dyn Scorer>,
}

/// The score of `scorer` at `doc`, 0 where the term is not in it. Documents are scored in
/// increasing order, so the term's postings are only ever read forward.
fn score_at(scorer: &mut dyn Scorer, doc: DocId) -> Score {
    if scorer.doc() < doc {
        scorer.seek(doc);
    }
    if scorer.doc() == doc {
        scorer.score()
    } else {
        0.0
    }
}

impl DocSet for TypedWordScorer {
    fn advance(&mut self) -> DocId {
        self.docs.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.docs.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        self.docs.seek_danger(target)
    }

    fn doc(&self) -> DocId {
        self.docs.doc()
    }

    fn size_hint(&self) -> u32 {
        self.docs.size_hint()
    }

    fn cost(&self) -> u64 {
        self.docs.cost()
    }
}

impl Scorer for TypedWordScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc();
        // The same order of addition as tantivy's union of the three clauses.
        let mut score = score_at(self.title.as_mut(), doc) + score_at(self.body.as_mut(), doc);
        if self.prefixed.contains(doc) {
            score += self.prefix_score;
        }
        score
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, TermQuery};
    use tantivy::schema::{Field, STRING, Schema, TEXT};
    use tantivy::{DocAddress, Index, IndexWriter, TantivyDocument};

    use super::*;

    struct Fixture {
        index: Index,
        title: Field,
        body: Field,
        plain: Field,
        tag: Field,
    }

    /// Documents over a small vocabulary, in several segments, some deleted.
    fn fixture() -> Fixture {
        let mut b = Schema::builder();
        let title = b.add_text_field("title", TEXT);
        let body = b.add_text_field("body", TEXT);
        let plain = b.add_text_field("plain", TEXT);
        let tag = b.add_text_field("tag", STRING);
        let index = Index::create_in_ram(b.build());
        let mut writer: IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let words = [
            "deploy",
            "deployed",
            "deployment",
            "depot",
            "dep",
            "happi",
            "happy",
            "review",
            "alpha",
            "beta",
            "gamma",
            "delta",
        ];
        let mut seed = 11u32;
        let mut pick = |n: usize| -> String {
            (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    words[(seed >> 16) as usize % words.len()]
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        for i in 0..600 {
            let (t, bo) = (pick(2), pick(1 + i % 7));
            let mut d = TantivyDocument::default();
            d.add_text(title, &t);
            d.add_text(body, &bo);
            d.add_text(plain, &t);
            d.add_text(plain, &bo);
            d.add_text(tag, if i % 3 == 0 { "even" } else { "odd" });
            writer.add_document(d).expect("add");
            if i % 200 == 199 {
                writer.commit().expect("commit");
            }
        }
        writer.delete_term(Term::from_field_text(title, "delta"));
        writer.commit().expect("commit");
        Fixture {
            index,
            title,
            body,
            plain,
            tag,
        }
    }

    fn top(index: &Index, q: &dyn Query) -> Vec<(DocAddress, Score)> {
        let searcher = index.reader().expect("reader").searcher();
        let mut hits = searcher
            .search(q, &TopDocs::with_limit(10_000).order_by_score())
            .expect("search");
        hits.sort_by_key(|&(_, a)| a);
        hits.into_iter().map(|(s, a)| (a, s)).collect()
    }

    #[test]
    fn finds_and_scores_like_the_boolean_query_of_its_clauses() {
        let fx = fixture();
        assert!(fx.index.searchable_segment_ids().expect("ids").len() > 1);
        let searcher = fx.index.reader().expect("reader").searcher();
        assert!(searcher.num_docs() < 600, "some documents are deleted");
        for (stem, prefix) in [
            ("deploy", "dep"),
            ("deploy", "deploy"),
            ("happi", "happy"),
            ("review", "revi"),
            ("absent", "zzz"),
            ("alpha", "a"),
        ] {
            let typed = TypedWord {
                title: Term::from_field_text(fx.title, stem),
                body: Term::from_field_text(fx.body, stem),
                prefix: Term::from_field_text(fx.plain, prefix),
            };
            let term = |field, text| -> Box<dyn Query> {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, text),
                    IndexRecordOption::WithFreqsAndPositions,
                ))
            };
            let clauses = BooleanQuery::new(vec![
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(term(fx.title, stem), TITLE_BOOST)),
                ),
                (Occur::Should, term(fx.body, stem)),
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(FuzzyTermQuery::new_prefix(
                            Term::from_field_text(fx.plain, prefix),
                            0,
                            false,
                        )),
                        PREFIX_SCORE,
                    )),
                ),
            ]);
            let with = |q: Box<dyn Query>| {
                BooleanQuery::new(vec![
                    (Occur::Must, term(fx.body, "beta")),
                    (Occur::Must, q),
                    (
                        Occur::Must,
                        Box::new(TermQuery::new(
                            Term::from_field_text(fx.tag, "even"),
                            IndexRecordOption::Basic,
                        )),
                    ),
                ])
            };
            for (ours, theirs) in [
                (top(&fx.index, &typed), top(&fx.index, &clauses)),
                (
                    top(&fx.index, &with(Box::new(typed.clone()))),
                    top(&fx.index, &with(Box::new(clauses.clone()))),
                ),
            ] {
                assert!(!theirs.is_empty() || stem == "absent", "{stem} {prefix}");
                assert_eq!(ours.len(), theirs.len(), "{stem} {prefix}");
                for ((a, x), (b, y)) in ours.iter().zip(&theirs) {
                    assert_eq!(a, b, "{stem} {prefix}");
                    assert!(
                        (x - y).abs() <= 1e-5 * y.abs().max(1.0),
                        "{stem} {prefix}: {x} {y}"
                    );
                }
            }
        }
    }
}
