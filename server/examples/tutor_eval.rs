//! The tutor's retrieval evaluation: every question of `server/eval/tutor-questions.yaml`
//! is ranked against the bundled courses, and the lesson that answers it is looked for
//! among the distinct lessons of the ranking. Prints recall@1, recall@3 and MRR (lessons)
//! and section hit@3 for each ranking, within the question's course and across the whole
//! catalog; exits 1 when the tutor's ranking (hybrid, in the course) has recall@3 below 0.9.
//!
//! Run with `scripts/tutor-eval` (or `cargo run --release -p cloudmaster-server --example
//! tutor_eval -- [COURSES_DIR] [QUESTIONS_FILE]`).

use std::path::PathBuf;
use std::sync::Arc;

use cloudmaster_core::api::SourceKind;
use cloudmaster_core::course::load_catalog;
use cloudmaster_server::tutor::retrieval::{
    CourseIndex, Passage, Ranking, index::rank_across, passages,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Questions {
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    question: String,
    course: String,
    lesson: String,
    #[serde(default)]
    heading: Option<String>,
}

#[derive(Default)]
struct Score {
    at1: u32,
    at3: u32,
    reciprocal: f64,
    section_at3: u32,
    asked: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let courses_dir = args.next().map_or(root.join("courses"), PathBuf::from);
    let questions_file = args
        .next()
        .map_or(root.join("server/eval/tutor-questions.yaml"), PathBuf::from);
    let (courses, _) = load_catalog(&courses_dir)?;
    let questions: Questions = serde_saphyr::from_str(&std::fs::read_to_string(&questions_file)?)?;
    let indexes: Vec<(String, Arc<CourseIndex>)> = courses
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                Arc::new(CourseIndex::new(passages::passages(c))),
            )
        })
        .collect();
    let all: Vec<Arc<CourseIndex>> = indexes.iter().map(|(_, i)| i.clone()).collect();
    // Explanations are cited only for questions the learner answered; the evaluation asks as
    // a learner who has answered none.
    let lessons_and_labs = |p: &Passage| p.kind != SourceKind::Explanation;

    println!(
        "{} questions, {} courses\n",
        questions.questions.len(),
        courses.len()
    );
    println!(
        "| ranking | scope | recall@1 | recall@3 | MRR | section hit@3 |\n|---|---|---|---|---|---|"
    );
    let mut tutor_recall = 0.0;
    for ranking in [Ranking::Sections, Ranking::Lessons, Ranking::Hybrid] {
        for scope in ["course", "catalog"] {
            let mut score = Score::default();
            for q in &questions.questions {
                let scoped: Vec<Arc<CourseIndex>> = if scope == "course" {
                    let (_, index) = indexes
                        .iter()
                        .find(|(id, _)| *id == q.course)
                        .ok_or_else(|| format!("unknown course `{}`", q.course))?;
                    vec![index.clone()]
                } else {
                    all.clone()
                };
                let ranked = rank_across(&scoped, &q.question, ranking, lessons_and_labs, 50);
                score.add(q, &ranked);
            }
            let n = f64::from(score.asked.max(1));
            let recall3 = f64::from(score.at3) / n;
            println!(
                "| {ranking:?} | {scope} | {:.3} | {recall3:.3} | {:.3} | {:.3} |",
                f64::from(score.at1) / n,
                score.reciprocal / n,
                f64::from(score.section_at3) / n,
            );
            if ranking == Ranking::Hybrid && scope == "course" {
                tutor_recall = recall3;
            }
        }
    }
    if tutor_recall < 0.9 {
        eprintln!("\nrecall@3 of the tutor's ranking is {tutor_recall:.3}, below 0.9");
        std::process::exit(1);
    }
    Ok(())
}

impl Score {
    fn add(&mut self, q: &Question, ranked: &[(f32, &Passage)]) {
        self.asked += 1;
        let mut lessons: Vec<(&str, &str)> = Vec::new();
        for (_, p) in ranked {
            if p.kind == SourceKind::Lesson && !lessons.contains(&(&p.course, &p.item)) {
                lessons.push((&p.course, &p.item));
            }
        }
        if let Some(at) = lessons
            .iter()
            .position(|&(c, l)| c == q.course && l == q.lesson)
        {
            self.reciprocal += 1.0 / (at as f64 + 1.0);
            self.at1 += u32::from(at == 0);
            self.at3 += u32::from(at < 3);
        }
        if let Some(heading) = &q.heading {
            let hit = ranked.iter().take(3).any(|(_, p)| {
                p.course == q.course && p.item == q.lesson && p.heading.as_ref() == Some(heading)
            });
            self.section_at3 += u32::from(hit);
        }
    }
}
