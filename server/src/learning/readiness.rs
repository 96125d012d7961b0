//! Mastery and the Certification Readiness Index, with what to study next.
//!
//! Mastery is stored per learner and course (BKT per skill and domain, updated with every
//! graded answer); the readiness index is computed from it on each request
//! (`cloudmaster_core::assess::readiness`). The study plan follows the weakest domains:
//! lessons teaching their skills (the skills named by the domain's questions), not yet
//! completed first, and questions of those domains the learner got wrong or never answered.

use std::collections::{HashMap, HashSet};

use cloudmaster_core::api::{
    AttemptStatus, MasteryEntry, MasteryReport, ReadinessReport, StudyLesson, StudyQuestion,
};
use cloudmaster_core::assess::{BktParams, MasteryState, ReadinessConfig, readiness};
use cloudmaster_core::course::Course;

use super::records::{AttemptRecord, MasteryRecord};
use super::require_enrolled;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;

/// Most questions in a readiness report's study list.
pub const STUDY_QUESTIONS: usize = 10;

/// `GET /courses/{course}/mastery`.
pub async fn mastery(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
) -> Result<MasteryReport, ApiError> {
    require_enrolled(state, auth, course_id).await?;
    let published = state.published_course(course_id).await?;
    let stored = state
        .store()
        .mastery(auth.user.id, course_id)
        .await?
        .unwrap_or_default();
    Ok(mastery_report(&published.course, &stored))
}

/// Every blueprint domain in order and every skill the questions name (by id), each at the
/// prior when there is no evidence yet.
pub fn mastery_report(course: &Course, stored: &MasteryRecord) -> MasteryReport {
    let params = BktParams::default();
    let entry = |id: &str, title: &str, state: MasteryState| MasteryEntry {
        id: id.to_owned(),
        title: title.to_owned(),
        p_known: state.p_known,
        answers: state.evidence_count,
        mastered: state.is_mastered(),
    };
    let domains = course
        .exam
        .iter()
        .flat_map(|e| e.domains.iter())
        .map(|d| entry(&d.id, &d.title, stored.mastery.domain(&params, &d.id)))
        .collect();
    let mut skills: Vec<&str> = course
        .questions
        .iter()
        .flat_map(|q| q.skills.iter().map(String::as_str))
        .collect();
    skills.sort_unstable();
    skills.dedup();
    let skills = skills
        .into_iter()
        .map(|id| {
            let state = stored
                .mastery
                .skills
                .get(id)
                .copied()
                .unwrap_or_else(|| MasteryState::new(&params));
            entry(id, id, state)
        })
        .collect();
    MasteryReport {
        course_id: course.id.clone(),
        answers: stored.answers,
        domains,
        skills,
    }
}

/// `GET /courses/{course}/readiness`.
pub async fn report(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
) -> Result<ReadinessReport, ApiError> {
    require_enrolled(state, auth, course_id).await?;
    let published = state.published_course(course_id).await?;
    let course = &published.course;
    let store = state.store();
    let mastery = store
        .mastery(auth.user.id, course_id)
        .await?
        .unwrap_or_default()
        .mastery;
    let readiness = readiness(course, &mastery, &ReadinessConfig::default());
    let weakest: Vec<String> = readiness
        .as_ref()
        .map(|r| r.weakest_domains.clone())
        .unwrap_or_default();
    let (study_lessons, study_questions) = if weakest.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let completed = store.completed_lessons(auth.user.id, course_id).await?;
        let completed: HashSet<&str> = completed.iter().map(String::as_str).collect();
        let cards = store.review_cards(auth.user.id, course_id).await?;
        let attempts = store.attempts(auth.user.id, course_id).await?;
        let history = AnswerHistory::new(&cards, &attempts);
        (
            study_lessons(course, &weakest, &completed),
            study_questions(course, &weakest, &history),
        )
    };
    Ok(ReadinessReport {
        course_id: course.id.clone(),
        exam_name: course.exam.as_ref().map(|e| e.name.clone()),
        readiness,
        study_lessons,
        study_questions,
    })
}

/// Lessons whose skills meet the skills of a weak domain's questions, each once (under the
/// weakest domain it helps with): lessons not completed first, then by weakness, then in
/// course order.
pub fn study_lessons(
    course: &Course,
    weakest: &[String],
    completed: &HashSet<&str>,
) -> Vec<StudyLesson> {
    let mut lessons: Vec<(bool, usize, usize, StudyLesson)> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (rank, domain) in weakest.iter().enumerate() {
        let skills: HashSet<&str> = course
            .questions
            .iter()
            .filter(|q| q.domain.as_deref() == Some(domain.as_str()))
            .flat_map(|q| q.skills.iter().map(String::as_str))
            .collect();
        for (position, lesson) in course.lessons().enumerate() {
            if lesson.skills.iter().any(|s| skills.contains(s.as_str()))
                && seen.insert(lesson.id.as_str())
            {
                let done = completed.contains(lesson.id.as_str());
                lessons.push((
                    done,
                    rank,
                    position,
                    StudyLesson {
                        lesson_id: lesson.id.clone(),
                        title: lesson.title.clone(),
                        domain: domain.clone(),
                        completed: done,
                    },
                ));
            }
        }
    }
    lessons.sort_by_key(|(done, rank, position, _)| (*done, *rank, *position));
    lessons.into_iter().map(|(.., lesson)| lesson).collect()
}

/// What the learner's answers so far say about each question.
pub struct AnswerHistory {
    /// Questions answered at least once (they have a review card).
    answered: HashSet<String>,
    /// Questions whose last graded answer was not fully right, or that lapsed in review.
    wrong: HashSet<String>,
}

impl AnswerHistory {
    pub fn new(
        cards: &HashMap<String, cloudmaster_core::assess::ReviewCard>,
        attempts_newest_first: &[AttemptRecord],
    ) -> AnswerHistory {
        let mut wrong: HashSet<String> = cards
            .iter()
            .filter(|(_, card)| card.lapses > 0)
            .map(|(id, _)| id.clone())
            .collect();
        let mut judged: HashSet<&str> = HashSet::new();
        for attempt in attempts_newest_first
            .iter()
            .filter(|a| a.status != AttemptStatus::Open)
        {
            for result in attempt.result.iter().flat_map(|r| r.questions.iter()) {
                if result.response.is_some()
                    && judged.insert(result.question_id.as_str())
                    && !result.correct
                {
                    wrong.insert(result.question_id.clone());
                }
            }
        }
        AnswerHistory {
            answered: cards.keys().cloned().collect(),
            wrong,
        }
    }
}

/// Up to [`STUDY_QUESTIONS`] questions of the weak domains, weakest domain first: those
/// answered wrong before those never answered, in bank order within each.
pub fn study_questions(
    course: &Course,
    weakest: &[String],
    history: &AnswerHistory,
) -> Vec<StudyQuestion> {
    let mut picked: Vec<(bool, usize, usize, StudyQuestion)> = Vec::new();
    for (rank, domain) in weakest.iter().enumerate() {
        for (position, question) in course.questions.iter().enumerate() {
            if question.domain.as_deref() != Some(domain.as_str()) {
                continue;
            }
            let wrong = history.wrong.contains(&question.id);
            if wrong || !history.answered.contains(&question.id) {
                picked.push((
                    !wrong,
                    rank,
                    position,
                    StudyQuestion {
                        question_id: question.id.clone(),
                        prompt: question.prompt.clone(),
                        domain: domain.clone(),
                    },
                ));
            }
        }
    }
    picked.sort_by_key(|(never, rank, position, _)| (*never, *rank, *position));
    picked
        .into_iter()
        .take(STUDY_QUESTIONS)
        .map(|(.., q)| q)
        .collect()
}

#[cfg(test)]
mod tests {
    use cloudmaster_core::course::{Lesson, Module, Question};

    use super::*;

    fn course() -> Course {
        let lesson = |id: &str, skill: &str| Lesson {
            id: id.into(),
            title: id.to_uppercase(),
            skills: vec![skill.into()],
            ..Lesson::default()
        };
        let question = |id: &str, domain: &str, skill: &str| Question {
            id: id.into(),
            domain: Some(domain.into()),
            skills: vec![skill.into()],
            prompt: format!("{id}?"),
            ..Question::default()
        };
        Course {
            modules: vec![Module {
                lessons: vec![
                    lesson("intro", "basics"),
                    lesson("iam", "iam"),
                    lesson("kms", "crypto"),
                    lesson("s3", "storage"),
                ],
                ..Module::default()
            }],
            questions: vec![
                question("q-iam", "secure", "iam"),
                question("q-kms", "secure", "crypto"),
                question("q-s3", "store", "storage"),
                question("q-s3b", "store", "storage"),
            ],
            ..Course::default()
        }
    }

    #[test]
    fn lessons_of_weak_domains_not_completed_first() {
        let course = course();
        let weakest = vec!["secure".to_owned(), "store".to_owned()];
        let completed: HashSet<&str> = ["iam"].into();
        let lessons: Vec<(String, String, bool)> = study_lessons(&course, &weakest, &completed)
            .into_iter()
            .map(|l| (l.lesson_id, l.domain, l.completed))
            .collect();
        assert_eq!(
            lessons,
            [
                ("kms".to_owned(), "secure".to_owned(), false),
                ("s3".to_owned(), "store".to_owned(), false),
                ("iam".to_owned(), "secure".to_owned(), true),
            ]
        );
    }

    #[test]
    fn questions_answered_wrong_before_unanswered_ones() {
        let course = course();
        let card = cloudmaster_core::assess::schedule(
            None,
            cloudmaster_core::assess::Rating::Good,
            time::OffsetDateTime::UNIX_EPOCH,
        );
        let lapsed = cloudmaster_core::assess::ReviewCard {
            lapses: 1,
            ..card.clone()
        };
        let cards = HashMap::from([
            ("q-iam".to_owned(), card.clone()),
            ("q-s3".to_owned(), lapsed),
        ]);
        let history = AnswerHistory::new(&cards, &[]);
        let weakest = vec!["secure".to_owned(), "store".to_owned()];
        let ids: Vec<String> = study_questions(&course, &weakest, &history)
            .into_iter()
            .map(|q| q.question_id)
            .collect();
        // q-iam was answered and never lapsed: nothing to study there.
        assert_eq!(ids, ["q-s3", "q-kms", "q-s3b"]);
    }
}
