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
use tantivy::query::{BitSetDocSet, Bm25Weight, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocId, DocSet, Score, SeekDangerResult, TERMINATED, Term};

use crate::gated::{Gate, Gated};

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

impl TypedWord {
    fn typed_weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<TypedWordWeight> {
        let term = |t: &Term| {
            tantivy::query::TermQuery::new(t.clone(), IndexRecordOption::WithFreqs).weight(scoring)
        };
        // The most each stem can add to a score (its BM25 bound), for pruning.
        let bound = |t: &Term, boost: Score| -> tantivy::Result<Score> {
            Ok(match scoring {
                EnableScoring::Enabled {
                    statistics_provider,
                    ..
                } => {
                    let max = Bm25Weight::for_terms(statistics_provider, std::slice::from_ref(t))?
                        .max_score()
                        * boost;
                    if max.is_finite() {
                        max
                    } else {
                        Score::INFINITY
                    }
                }
                EnableScoring::Disabled { .. } => 0.0,
            })
        };
        Ok(TypedWordWeight {
            title: term(&self.title)?,
            body: term(&self.body)?,
            title_max: bound(&self.title, TITLE_BOOST)?,
            body_max: bound(&self.body, 1.0)?,
            stems: [self.title.clone(), self.body.clone()],
            prefix: self.prefix.clone(),
        })
    }
}

impl Query for TypedWord {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.typed_weight(scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.title, false);
        visitor(&self.body, false);
    }
}

struct TypedWordWeight {
    title: Box<dyn Weight>,
    body: Box<dyn Weight>,
    /// The most the stem in the title can add to a score (title boost included), at boost 1.
    title_max: Score,
    /// The most the stem in the body can add, at boost 1.
    body_max: Score,
    stems: [Term; 2],
    prefix: Term,
}

/// Adds the documents of a term to each set in `sets`.
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
        for set in sets.iter_mut() {
            for &doc in docs {
                set.insert(doc);
            }
        }
        postings.advance();
    }
}

/// A body stem in at most this share of a segment's documents (1/32) has its documents
/// scored one by one before pruning: a rare stem's BM25 bound is high, and as part of the
/// pruning bound it would stop the rest's pruning altogether.
const RARE_SHARE: u32 = 32;

/// The documents of one segment that match the typed word.
struct Matches {
    any: BitSet,
    /// Those with a word that starts with the typed text.
    prefixed: BitSet,
    /// With `early`: the documents with the stem in the title, or in the body when it is
    /// rare, and the most the word adds to any other document.
    early: Option<(BitSet, Score)>,
}

impl TypedWordWeight {
    /// Every document that matches, and, when `early`, which are worth scoring first.
    fn matches(&self, reader: &SegmentReader, early: bool) -> tantivy::Result<Matches> {
        let max_doc = reader.max_doc();
        let mut prefixed = BitSet::with_max_value(max_doc);
        let plain = reader.inverted_index(self.prefix.field())?;
        let prefix = self.prefix.serialized_value_bytes();
        let mut words = plain.terms().range().ge(prefix).into_stream()?;
        while words.advance() && words.key().starts_with(prefix) {
            let info = words.value();
            let postings = plain.read_block_postings_from_terminfo(info, IndexRecordOption::Basic);
            insert_docs(postings.map_err(Into::into), &mut [&mut prefixed])?;
        }
        // A word that starts with the typed text is most of the matches: copy the set
        // rather than insert its documents twice.
        let mut any = prefixed.clone();
        let mut first = early.then(|| (BitSet::with_max_value(max_doc), PREFIX_SCORE));
        for (stem, max) in self.stems.iter().zip([self.title_max, self.body_max]) {
            let index = reader.inverted_index(stem.field())?;
            let Some(info) = index.get_term_info(stem)? else {
                continue;
            };
            let postings = index
                .read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)
                .map_err(Into::into);
            let is_title = stem == &self.stems[0];
            match first.as_mut() {
                Some((set, _)) if is_title || info.doc_freq <= max_doc / RARE_SHARE => {
                    insert_docs(postings, &mut [&mut any, set])?;
                }
                Some((_, late_max)) => {
                    *late_max += max;
                    insert_docs(postings, &mut [&mut any])?;
                }
                None => insert_docs(postings, &mut [&mut any])?,
            }
        }
        Ok(Matches {
            any,
            prefixed,
            early: first,
        })
    }

    /// What scores the word's documents, asked in increasing order.
    fn parts(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Parts> {
        Ok(Parts {
            prefix_score: PREFIX_SCORE * boost,
            title: self.title.scorer(reader, boost * TITLE_BOOST)?,
            body: self.body.scorer(reader, boost)?,
        })
    }
}

impl Weight for TypedWordWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let m = self.matches(reader, false)?;
        Ok(Box::new(TypedWordScorer {
            docs: BitSetDocSet::from(m.any),
            prefixed: m.prefixed,
            parts: self.parts(reader, boost)?,
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

/// What scores a document of the typed word.
struct Parts {
    prefix_score: Score,
    title: Box<dyn Scorer>,
    body: Box<dyn Scorer>,
}

impl Parts {
    /// The score at `doc`, asked in increasing order of documents.
    fn score(&mut self, doc: DocId, prefixed: &BitSet) -> Score {
        // The same order of addition as tantivy's union of the three clauses.
        let mut score = score_at(self.title.as_mut(), doc) + score_at(self.body.as_mut(), doc);
        if prefixed.contains(doc) {
            score += self.prefix_score;
        }
        score
    }
}

struct TypedWordScorer {
    /// Every document that matches one of the three.
    docs: BitSetDocSet,
    prefixed: BitSet,
    parts: Parts,
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
        self.parts.score(doc, &self.prefixed)
    }
}

/// The rest of a query (the words before, phrases, filters) and the word being typed.
///
/// As a boolean intersection, every document of the rest that starts a word with the
/// typed text is scored: a common first word and a short prefix ("team co") meet in
/// thousands. Here the rest runs its own pruned loop (block-max WAND over a word's
/// clauses) with the threshold lowered by the most the typed word can add, and the typed
/// word is a bit set looked up and scored only for what that loop lets through. The
/// results are the intersection's.
#[derive(Debug)]
pub struct TypedAnd {
    pub rest: Box<dyn Query>,
    pub typed: TypedWord,
}

impl Clone for TypedAnd {
    fn clone(&self) -> Self {
        TypedAnd {
            rest: self.rest.box_clone(),
            typed: self.typed.clone(),
        }
    }
}

impl Query for TypedAnd {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(TypedAndWeight {
            rest: self.rest.weight(scoring)?,
            typed: self.typed.typed_weight(scoring)?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.rest.query_terms(visitor);
        self.typed.query_terms(visitor);
    }
}

struct TypedAndWeight {
    rest: Box<dyn Weight>,
    typed: TypedWordWeight,
}

impl Weight for TypedAndWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let m = self.typed.matches(reader, false)?;
        let gate = TypedGate {
            typed: m.any,
            prefixed: m.prefixed,
            parts: self.typed.parts(reader, boost)?,
        };
        Ok(Box::new(Gated::new(self.rest.scorer(reader, boost)?, gate)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new(
            "words and the word being typed",
            scorer.score(),
        ))
    }

    /// Two passes. First the few documents where the typed word's stem can score high
    /// (in a title, or in the body when the stem is rare), scored exactly. Then the rest's
    /// own pruned loop over everything else, its threshold lowered by the most the word
    /// can add there: the prefix, and a common stem's low bound.
    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let m = self.typed.matches(reader, true)?;
        let (early, late_max) = m
            .early
            .unwrap_or_else(|| (BitSet::with_max_value(reader.max_doc()), Score::INFINITY));
        let mut current = threshold;
        {
            let mut rest = self.rest.scorer(reader, 1.0)?;
            let mut parts = self.typed.parts(reader, 1.0)?;
            let mut take = |doc: DocId, rest_score: Score| {
                let full = rest_score + parts.score(doc, &m.prefixed);
                if full > current {
                    current = callback(doc, full);
                }
            };
            // Led by the smaller side: a seek costs a few steps of the rest.
            if early.len().saturating_mul(4) <= rest.size_hint() as usize {
                let mut docs = BitSetDocSet::from(early.clone());
                let mut doc = docs.doc();
                while doc != TERMINATED && rest.doc() != TERMINATED {
                    if rest.doc() < doc {
                        rest.seek(doc);
                    }
                    if rest.doc() == doc {
                        take(doc, rest.score());
                    }
                    doc = docs.advance();
                }
            } else {
                let mut doc = rest.doc();
                while doc != TERMINATED {
                    if early.contains(doc) {
                        take(doc, rest.score());
                    }
                    doc = rest.advance();
                }
            }
        }
        // The margin covers sums rounded in another order.
        let most = late_max * (1.0 + 1e-5) + 1e-5;
        let mut parts = self.typed.parts(reader, 1.0)?;
        self.rest
            .for_each_pruning(current - most, reader, &mut |doc, score| {
                if m.any.contains(doc) && !early.contains(doc) {
                    let full = score + parts.score(doc, &m.prefixed);
                    if full > current {
                        current = callback(doc, full);
                    }
                }
                current - most
            })
    }
}

/// What keeps and scores the rest's documents: the typed word's documents and scores.
struct TypedGate {
    typed: BitSet,
    prefixed: BitSet,
    parts: Parts,
}

impl Gate for TypedGate {
    fn passes(&self, doc: DocId) -> bool {
        self.typed.contains(doc)
    }

    fn score(&mut self, doc: DocId, rest: Score) -> Score {
        rest + self.parts.score(doc, &self.prefixed)
    }

    fn size_hint(&self, rest: u32) -> u32 {
        rest.min(self.typed.len() as u32)
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
        fixture_of(600, 200)
    }

    /// `n` documents, committed every `per_segment`.
    fn fixture_of(n: usize, per_segment: usize) -> Fixture {
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
        for i in 0..n {
            let (t, bo) = (pick(2), pick(1 + i % 7));
            let mut d = TantivyDocument::default();
            d.add_text(title, &t);
            d.add_text(body, &bo);
            d.add_text(plain, &t);
            d.add_text(plain, &bo);
            d.add_text(tag, if i % 3 == 0 { "even" } else { "odd" });
            writer.add_document(d).expect("add");
            if i % per_segment == per_segment - 1 {
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

    /// With the rest's pruning, the top documents and their scores are those of the
    /// boolean intersection, whatever the page size.
    #[test]
    fn typed_and_finds_what_the_intersection_finds() {
        // Segments of thousands of documents, so that pruning skips blocks.
        let fx = fixture_of(8000, 4000);
        let searcher = fx.index.reader().expect("reader").searcher();
        let term = |field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            ))
        };
        // A word's clauses as the index builds them: a union of term queries.
        let word = |w: &str| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(term(fx.title, w), TITLE_BOOST)),
                ),
                (Occur::Should, term(fx.body, w)),
            ]))
        };
        let rests: Vec<Box<dyn Query>> = vec![
            word("beta"),
            word("gamma"),
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, word("alpha")),
                (Occur::Must, term(fx.tag, "even")),
            ])),
        ];
        for rest in rests {
            for (stem, prefix) in [
                ("deploy", "dep"),
                ("happi", "happy"),
                ("alpha", "a"),
                ("absent", "zzz"),
            ] {
                let typed = TypedWord {
                    title: Term::from_field_text(fx.title, stem),
                    body: Term::from_field_text(fx.body, stem),
                    prefix: Term::from_field_text(fx.plain, prefix),
                };
                let ours = TypedAnd {
                    rest: rest.box_clone(),
                    typed: typed.clone(),
                };
                let theirs = BooleanQuery::new(vec![
                    (Occur::Must, rest.box_clone()),
                    (Occur::Must, Box::new(typed) as Box<dyn Query>),
                ]);
                let all = top(&fx.index, &theirs);
                let all_ours = top(&fx.index, &ours);
                assert_eq!(all.len(), all_ours.len(), "{rest:?} {prefix}");
                for ((a, x), (b, y)) in all_ours.iter().zip(&all) {
                    assert_eq!(a, b);
                    assert!((x - y).abs() <= 1e-4 * y.abs().max(1.0), "{x} {y}");
                }
                let score_of: std::collections::HashMap<DocAddress, Score> =
                    all.iter().copied().collect();
                for k in [1, 3, 10, 40] {
                    let page = |q: &dyn Query| {
                        searcher
                            .search(q, &TopDocs::with_limit(k).order_by_score())
                            .expect("search")
                    };
                    let (mine, best) = (page(&ours), page(&theirs));
                    assert_eq!(mine.len(), best.len(), "{prefix} top {k}");
                    for ((x, a), (y, _)) in mine.iter().zip(&best) {
                        assert!(
                            (x - y).abs() <= 1e-4 * y.abs().max(1.0),
                            "{prefix} top {k}: {x} {y}"
                        );
                        assert!((score_of[a] - x).abs() <= 1e-4 * x.abs().max(1.0));
                    }
                }
            }
        }
    }

    /// The pruned pass must leave room for what the typed word adds: here its stem, in a
    /// tenth of the bodies (too common to be scored first), decides the top results among
    /// documents the rest alone scores alike.
    #[test]
    fn pruning_leaves_room_for_the_typed_stem() {
        let mut b = Schema::builder();
        let title = b.add_text_field("title", TEXT);
        let body = b.add_text_field("body", TEXT);
        let plain = b.add_text_field("plain", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut writer: IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        for i in 0..8000usize {
            let mut text = "beta ".repeat(1 + i % 5);
            if i % 10 == 4 {
                text.push_str(&"gamma ".repeat(1 + (i / 10) % 4));
            }
            text.push_str(&"alpha ".repeat(i % 7));
            let mut d = TantivyDocument::default();
            d.add_text(title, "alpha");
            d.add_text(body, &text);
            d.add_text(plain, "alpha");
            d.add_text(plain, &text);
            writer.add_document(d).expect("add");
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let term = |field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            ))
        };
        let rest: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(term(title, "beta"), TITLE_BOOST)),
            ),
            (Occur::Should, term(body, "beta")),
        ]));
        let typed = TypedWord {
            title: Term::from_field_text(title, "gamma"),
            body: Term::from_field_text(body, "gamma"),
            prefix: Term::from_field_text(plain, "gam"),
        };
        let ours = TypedAnd {
            rest: rest.box_clone(),
            typed: typed.clone(),
        };
        let theirs = BooleanQuery::new(vec![
            (Occur::Must, rest),
            (Occur::Must, Box::new(typed) as Box<dyn Query>),
        ]);
        for k in [1, 5, 20] {
            let page = |q: &dyn Query| -> Vec<Score> {
                searcher
                    .search(q, &TopDocs::with_limit(k).order_by_score())
                    .expect("search")
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect()
            };
            let (mine, best) = (page(&ours), page(&theirs));
            assert_eq!(mine.len(), k);
            for (x, y) in mine.iter().zip(&best) {
                assert!(
                    (x - y).abs() <= 1e-4 * y.abs(),
                    "top {k}: {mine:?} {best:?}"
                );
            }
        }
    }
}
