//! Validation of the question bank and of module quizzes: domains, answer keys against
//! options, tolerances, patterns, and whether a quiz has enough questions to draw from.

use std::collections::HashSet;

use super::{At, Checker};
use crate::course::diagnostic::{Diagnostic, one_of};
use crate::course::model::{ChoiceOption, Course, Question, QuestionKind, Quiz};

pub(super) fn check(c: &mut Checker, course: &Course) {
    for (i, question) in course.questions.iter().enumerate() {
        self::question(
            c,
            course,
            &At::root().item("questions", i, &question.id),
            question,
        );
    }
}

fn question(c: &mut Checker, course: &Course, at: &At, q: &Question) {
    c.id(&at.field("id"), &q.id, "question");
    match (&q.domain, &course.exam) {
        (Some(domain), _) => domain_ref(c, course, &at.field("domain"), domain),
        // Under the `domain` key, so a malformed `domain` is not reported twice.
        (None, Some(exam)) => {
            let domains: Vec<&str> = exam.domains.iter().map(|d| d.id.as_str()).collect();
            c.push(
                &at.field("domain"),
                Diagnostic::error("missing key `domain` in question").with_help(format!(
                    "the course has an exam, so every question names one of its domains: {}",
                    one_of(&domains)
                )),
            );
        }
        (None, None) => {}
    }
    c.ids(&at.field("skills"), &q.skills, "skill");
    if !(1..=5).contains(&q.difficulty) {
        c.error(
            &at.field("difficulty"),
            format!(
                "difficulty {} is not between 1 (easy) and 5 (hard)",
                q.difficulty
            ),
        );
    }
    c.text(&at.field("prompt"), &q.prompt, "question prompt");
    c.text(
        &at.field("explanation"),
        &q.explanation,
        "question explanation",
    );
    if let Some(scenario) = &q.scenario {
        c.text(&at.field("scenario"), scenario, "question scenario");
    }
    match &q.kind {
        QuestionKind::SingleChoice { options, answer } => {
            let ids = self::options(c, at, options);
            known_option(c, &at.field("answer"), answer, &ids);
        }
        QuestionKind::MultipleResponse { options, answer } => {
            let ids = self::options(c, at, options);
            if answer.is_empty() {
                c.error(&at.field("answer"), "the answer lists no option");
            }
            answer_list(c, at, answer, &ids);
        }
        QuestionKind::TrueFalse { .. } => {}
        QuestionKind::Numeric { answer, tolerance } => {
            if !answer.is_finite() {
                c.error(&at.field("answer"), "the answer is not a finite number");
            }
            if !tolerance.is_finite() || *tolerance < 0.0 {
                c.error(
                    &at.field("tolerance"),
                    format!("tolerance {tolerance} is negative"),
                );
            }
        }
        QuestionKind::ShortText { accept, patterns } => {
            if accept.is_empty() && patterns.is_empty() {
                c.push(
                    &at.field("accept"),
                    Diagnostic::error("a `short_text` question needs `accept` or `patterns`")
                        .with_help("list the accepted answers, or regular expressions they match"),
                );
            }
            for (i, text) in accept.iter().enumerate() {
                c.text(&at.field("accept").index(i), text, "accepted answer");
            }
            for (i, pattern) in patterns.iter().enumerate() {
                regex(c, &at.field("patterns").index(i), pattern);
            }
        }
        QuestionKind::Ordering { options, answer } => {
            let ids = self::options(c, at, options);
            answer_list(c, at, answer, &ids);
            for id in &ids {
                if !answer.iter().any(|a| a == id) {
                    c.push(
                        &at.field("answer"),
                        Diagnostic::error(format!("the answer leaves out option `{id}`"))
                            .with_help("an ordering answer lists every option id exactly once"),
                    );
                }
            }
        }
    }
}

/// Checks the options and returns their ids.
fn options<'a>(c: &mut Checker, at: &At, options: &'a [ChoiceOption]) -> Vec<&'a str> {
    if options.len() < 2 {
        c.error(
            &at.field("options"),
            format!("{} option(s); a question needs at least 2", options.len()),
        );
    }
    for (i, option) in options.iter().enumerate() {
        let at = at.item("options", i, &option.id);
        c.id(&at.field("id"), &option.id, "option");
        c.text(&at.field("text"), &option.text, "option text");
    }
    let items = options
        .iter()
        .enumerate()
        .map(|(i, o)| (at.item("options", i, &o.id), o.id.as_str()));
    c.unique("option", "question", items);
    options.iter().map(|o| o.id.as_str()).collect()
}

fn known_option(c: &mut Checker, at: &At, id: &str, ids: &[&str]) {
    if !id.is_empty() && !ids.contains(&id) {
        c.push(
            at,
            Diagnostic::error(format!("answer `{id}` is not an option of this question"))
                .with_help(format!("the options are {}", one_of(ids))),
        );
    }
}

/// Each listed id is a real option, listed once.
fn answer_list(c: &mut Checker, at: &At, answer: &[String], ids: &[&str]) {
    let mut seen = HashSet::new();
    for (i, id) in answer.iter().enumerate() {
        let at = at.field("answer").index(i);
        known_option(c, &at, id, ids);
        if !seen.insert(id) {
            c.error(&at, format!("option `{id}` is listed twice in the answer"));
        }
    }
}

pub(super) fn regex(c: &mut Checker, at: &At, pattern: &str) {
    if let Err(e) = regex::Regex::new(pattern) {
        // The regex error is a multi-line drawing; its last line says what is wrong.
        let reason = e.to_string();
        let reason = reason
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .trim_start_matches("error: ")
            .to_owned();
        c.push(
            at,
            Diagnostic::error(format!("invalid regular expression `{pattern}`")).with_help(reason),
        );
    }
}

/// Checks a reference to an exam domain (of a question, quiz or lab).
pub(super) fn domain_ref(c: &mut Checker, course: &Course, at: &At, domain: &str) {
    match &course.exam {
        Some(exam) => {
            let domains: Vec<&str> = exam.domains.iter().map(|d| d.id.as_str()).collect();
            c.reference(at, domain, "domain", &domains);
        }
        None => c.push(
            at,
            Diagnostic::error(format!("unknown domain `{domain}`"))
                .with_help("domains are those of the course's `exam`, and this course has none"),
        ),
    }
}

/// Checks a module quiz: its id and numbers, and that it has enough questions to draw.
pub(super) fn quiz(c: &mut Checker, course: &Course, at: &At, quiz: &Quiz) {
    c.id(&at.field("id"), &quiz.id, "quiz");
    c.text(&at.field("title"), &quiz.title, "quiz title");
    c.percent(&at.field("pass_mark"), quiz.pass_mark, "quiz pass mark");
    for (i, domain) in quiz.domains.iter().enumerate() {
        domain_ref(c, course, &at.field("domains").index(i), domain);
    }
    let skills: HashSet<&str> = course
        .questions
        .iter()
        .flat_map(|q| &q.skills)
        .map(String::as_str)
        .collect();
    for (i, skill) in quiz.skills.iter().enumerate() {
        if !skill.is_empty() && !skills.contains(skill.as_str()) {
            c.push(
                &at.field("skills").index(i),
                Diagnostic::error(format!("no question has skill `{skill}`"))
                    .with_help("a quiz draws questions whose `skills` list one of its skills"),
            );
        }
    }
    let eligible = course.eligible_questions(quiz).count();
    let draws = quiz.questions as usize;
    if draws == 0 {
        c.error(&at.field("questions"), "the quiz draws no questions");
    } else if draws > eligible {
        let from = if quiz.domains.is_empty() && quiz.skills.is_empty() {
            "the bank has"
        } else {
            "its domains and skills match"
        };
        c.push(
            &at.field("questions"),
            Diagnostic::error(format!(
                "the quiz draws {draws} questions, but {from} {eligible}"
            ))
            .with_help("add questions or draw fewer"),
        );
    }
}
