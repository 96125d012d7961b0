//! Ranking passages for a question: hybrid lexical retrieval, built in memory per published
//! course version.
//!
//! Two scores are added, both raw BM25 so lists from several courses merge by score:
//! - **sections**: BM25F over each passage, its heading and title counted
//!   [`TITLE_WEIGHT`] times, so a question about NAT gateways finds the NAT gateway section;
//! - **lessons**: BM25 over whole lessons (what the catalog's full-text index ranks), each
//!   passage taking its lesson's score times [`LESSON_WEIGHT`], so between two sections that
//!   say as much, the one in the lesson about the question wins.
//!
//! Words are lower-cased, stop words dropped and stemmed with Snowball's English stemmer
//! (as PostgreSQL's `english` configuration does), so "scaling", "scales" and "scaled" meet.
//! The figures that justify this (recall@3 and MRR of each ranking alone and fused, on the
//! questions in `server/eval/tutor-questions.yaml`) are in `docs/tutor.md`.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

use super::passages::Passage;

/// How many times a heading or title word counts against a body word.
const TITLE_WEIGHT: f32 = 3.0;
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// How much a passage's lesson's score counts next to its own (chosen on the evaluation:
/// 0.2 keeps the in-course ranking of sections alone and lifts the catalog-wide one; 0.5 and
/// more start to bury the right section under long lessons).
const LESSON_WEIGHT: f32 = 0.2;

/// Which rankings [`CourseIndex::rank`] uses; the evaluation compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    Sections,
    Lessons,
    Hybrid,
}

/// The index of one course version's passages.
pub struct CourseIndex {
    passages: Vec<Passage>,
    sections: Bm25,
    lessons: Bm25,
    /// Which lesson document (in `lessons`) each passage belongs to; `None` for labs and
    /// explanations, which are ranked by their own text only.
    lesson_of: Vec<Option<usize>>,
}

impl CourseIndex {
    pub fn new(passages: Vec<Passage>) -> CourseIndex {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut lesson_ids: Vec<&str> = Vec::new();
        let mut lesson_docs: Vec<HashMap<String, f32>> = Vec::new();
        let mut lesson_of = Vec::with_capacity(passages.len());
        let mut section_docs = Vec::with_capacity(passages.len());
        for passage in &passages {
            let mut doc = HashMap::new();
            add_terms(&mut doc, &stemmer, &passage.text, 1.0);
            add_terms(&mut doc, &stemmer, &passage.title, TITLE_WEIGHT);
            if let Some(heading) = &passage.heading {
                add_terms(&mut doc, &stemmer, heading, TITLE_WEIGHT);
            }
            if passage.kind == cloudmaster_core::api::SourceKind::Lesson {
                let at = match lesson_ids.iter().position(|id| *id == passage.item) {
                    Some(at) => at,
                    None => {
                        lesson_ids.push(&passage.item);
                        let mut title = HashMap::new();
                        add_terms(&mut title, &stemmer, &passage.title, TITLE_WEIGHT);
                        lesson_docs.push(title);
                        lesson_ids.len() - 1
                    }
                };
                add_terms(&mut lesson_docs[at], &stemmer, &passage.text, 1.0);
                lesson_of.push(Some(at));
            } else {
                lesson_of.push(None);
            }
            section_docs.push(doc);
        }
        CourseIndex {
            sections: Bm25::new(section_docs),
            lessons: Bm25::new(lesson_docs),
            passages,
            lesson_of,
        }
    }

    pub fn passages(&self) -> &[Passage] {
        &self.passages
    }

    /// The passages that match `query` and that `allowed` lets through, best first, with
    /// their scores.
    pub fn rank(
        &self,
        query: &str,
        ranking: Ranking,
        allowed: impl Fn(&Passage) -> bool,
    ) -> Vec<(f32, &Passage)> {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut terms = HashMap::new();
        add_terms(&mut terms, &stemmer, query, 1.0);
        let terms: Vec<&str> = terms.keys().map(String::as_str).collect();
        if terms.is_empty() {
            return Vec::new();
        }
        let section_scores = self.sections.scores(&terms);
        let lesson_scores = self.lessons.scores(&terms);
        let mut scored: Vec<(f32, usize)> = (0..self.passages.len())
            .filter(|&i| section_scores[i] > 0.0 && allowed(&self.passages[i]))
            .map(|i| {
                let own = section_scores[i];
                // Labs and explanations have no lesson: their own text stands in.
                let lesson = self.lesson_of[i].map_or(own, |l| lesson_scores[l]);
                let score = match ranking {
                    Ranking::Sections => own,
                    Ranking::Lessons => lesson + own / 1000.0,
                    Ranking::Hybrid => own + LESSON_WEIGHT * lesson,
                };
                (score, i)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .into_iter()
            .map(|(score, i)| (score, &self.passages[i]))
            .collect()
    }
}

/// The best `limit` passages for `query` over several courses: each course ranked alone,
/// the lists merged by score.
pub fn rank_across<'a>(
    indexes: &'a [std::sync::Arc<CourseIndex>],
    query: &str,
    ranking: Ranking,
    allowed: impl Fn(&Passage) -> bool,
    limit: usize,
) -> Vec<(f32, &'a Passage)> {
    let mut all: Vec<(f32, &Passage)> = indexes
        .iter()
        .flat_map(|index| {
            let mut ranked = index.rank(query, ranking, &allowed);
            ranked.truncate(limit);
            ranked
        })
        .collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    all.truncate(limit);
    all
}

/// Okapi BM25 over documents given as weighted term counts.
struct Bm25 {
    docs: Vec<HashMap<String, f32>>,
    lengths: Vec<f32>,
    average_length: f32,
    /// Term → number of documents that hold it.
    document_frequency: HashMap<String, u32>,
}

impl Bm25 {
    fn new(docs: Vec<HashMap<String, f32>>) -> Bm25 {
        let lengths: Vec<f32> = docs.iter().map(|d| d.values().sum()).collect();
        let average_length = lengths.iter().sum::<f32>() / lengths.len().max(1) as f32;
        let mut document_frequency = HashMap::new();
        for doc in &docs {
            for term in doc.keys() {
                *document_frequency.entry(term.clone()).or_insert(0) += 1;
            }
        }
        Bm25 {
            docs,
            lengths,
            average_length: average_length.max(1.0),
            document_frequency,
        }
    }

    fn scores(&self, terms: &[&str]) -> Vec<f32> {
        let n = self.docs.len() as f32;
        let mut scores = vec![0.0; self.docs.len()];
        for term in terms {
            let Some(&df) = self.document_frequency.get(*term) else {
                continue;
            };
            let idf = (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
            for (i, doc) in self.docs.iter().enumerate() {
                if let Some(&tf) = doc.get(*term) {
                    let norm = K1 * (1.0 - B + B * self.lengths[i] / self.average_length);
                    scores[i] += idf * tf * (K1 + 1.0) / (tf + norm);
                }
            }
        }
        scores
    }
}

/// Adds the stemmed words of `text` (stop words dropped) to `doc`, each counting `weight`.
fn add_terms(doc: &mut HashMap<String, f32>, stemmer: &Stemmer, text: &str, weight: f32) {
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let lower = word.to_lowercase();
        if STOP_WORDS.binary_search(&lower.as_str()).is_ok() {
            continue;
        }
        *doc.entry(stemmer.stem(&lower).into_owned()).or_insert(0.0) += weight;
    }
}

/// Words that say nothing about a topic (sorted, for binary search).
const STOP_WORDS: &[&str] = &[
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "does", "doing", "for", "from", "get", "had", "has", "have", "how", "i",
    "if", "in", "into", "is", "it", "its", "just", "me", "my", "of", "on", "or", "our", "should",
    "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "to", "too", "us", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "why", "will", "with", "would", "you", "your",
];

#[cfg(test)]
mod tests {
    use super::*;
    use cloudmaster_core::api::SourceKind;

    fn passage(item: &str, heading: &str, text: &str) -> Passage {
        Passage {
            kind: SourceKind::Lesson,
            course: "c".into(),
            item: item.into(),
            step: None,
            title: item.into(),
            heading: Some(heading.into()),
            text: text.into(),
        }
    }

    #[test]
    fn stop_words_are_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_section_that_says_it_comes_first() {
        let index = CourseIndex::new(vec![
            passage("networking", "Subnets", "A subnet is a range of addresses."),
            passage(
                "networking",
                "NAT gateways",
                "A NAT gateway lets private instances reach the internet.",
            ),
            passage("storage", "Buckets", "Objects live in buckets."),
        ]);
        let ranked = index.rank(
            "how do private instances reach the internet?",
            Ranking::Hybrid,
            |_| true,
        );
        assert_eq!(ranked[0].1.heading.as_deref(), Some("NAT gateways"));
        assert!(
            index
                .rank("the of and", Ranking::Hybrid, |_| true)
                .is_empty()
        );
        let only_storage = index.rank("buckets subnets", Ranking::Hybrid, |p| p.item == "storage");
        assert!(only_storage.iter().all(|(_, p)| p.item == "storage"));
    }
}
