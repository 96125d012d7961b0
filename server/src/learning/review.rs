//! Spaced review: every question answered in an attempt gets an FSRS card; the queue shows
//! the cards due now, most overdue first, and each review answer reschedules its card and
//! updates mastery.
//!
//! A review shows the question of the course's current version (content fixes reach
//! reviews), with options shuffled from a seed of the learner, the question and the card's
//! review count: the order changes from one review to the next, so the learner recalls the
//! answer rather than its position. As in attempts, options are lettered in the order shown
//! and an answer names them by those letters; the card's review count rebuilds the order
//! the answer refers to.

use std::collections::HashMap;
use std::sync::Arc;

use cloudmaster_core::api::{ReviewAnswer, ReviewItem, ReviewOutcome, ReviewQueue, Scope};
use cloudmaster_core::assess::{Rating, Shown, grade, review::is_fast, sub_seed};
use uuid::Uuid;

use super::attempts::shown_to_authored;
use super::records::Evidence;
use super::require_enrolled;
use crate::auth::Auth;
use crate::bundles::PublishedCourse;
use crate::error::ApiError;
use crate::state::AppState;

/// Review items returned when the client names no limit, and the most it may ask for.
pub const QUEUE_DEFAULT: u32 = 20;
pub const QUEUE_MAX: u32 = 100;

/// The option-shuffle seed of one review of `question_id` by `user_id` after `reps` reviews.
pub fn review_seed(user_id: Uuid, question_id: &str, reps: u32) -> u64 {
    let (high, low) = user_id.as_u64_pair();
    sub_seed(
        (high ^ low.rotate_left(29)).wrapping_add(u64::from(reps)),
        &format!("review/{question_id}"),
    )
}

/// `GET /review?course=&limit=`.
pub async fn queue(
    state: &AppState,
    auth: &Auth,
    course: Option<&str>,
    limit: Option<u32>,
) -> Result<ReviewQueue, ApiError> {
    auth.require(Scope::Learn)?;
    if let Some(course) = course {
        require_enrolled(state, auth, course).await?;
    }
    let limit = limit.unwrap_or(QUEUE_DEFAULT).clamp(1, QUEUE_MAX);
    let (due, cards) = state
        .store()
        .due_cards(auth.user.id, course, state.now(), limit)
        .await?;
    let mut courses: HashMap<String, Arc<PublishedCourse>> = HashMap::new();
    let mut items = Vec::with_capacity(cards.len());
    for due_card in cards {
        if !courses.contains_key(&due_card.course_id) {
            let published = state.published_course(&due_card.course_id).await?;
            courses.insert(due_card.course_id.clone(), published);
        }
        // A question a later version removed has nothing left to review.
        let Some(question) = courses[&due_card.course_id]
            .course
            .question(&due_card.question_id)
        else {
            continue;
        };
        let seed = review_seed(auth.user.id, &question.id, due_card.card.reps);
        items.push(ReviewItem {
            course_id: due_card.course_id,
            question: Shown::new(question, seed).public(),
            due_at: due_card.card.due,
        });
    }
    Ok(ReviewQueue { due, items })
}

/// `POST /review/{course}/{question}`.
pub async fn answer(
    state: &AppState,
    auth: &Auth,
    course_id: &str,
    question_id: &str,
    answer: &ReviewAnswer,
) -> Result<ReviewOutcome, ApiError> {
    require_enrolled(state, auth, course_id).await?;
    let published = state.published_course(course_id).await?;
    let no_card = || {
        ApiError::NotFound(format!(
            "no review card for question `{question_id}` in `{course_id}`: questions enter \
             review once answered in a quiz or mock exam (`cloudmaster review` lists what is due)"
        ))
    };
    let question = published.course.question(question_id).ok_or_else(no_card)?;
    // The order the item was shown in: the one of the card's review count before this answer.
    let reps = state
        .store()
        .review_cards(auth.user.id, course_id)
        .await?
        .get(question_id)
        .ok_or_else(no_card)?
        .reps;
    let shown = Shown::new(question, review_seed(auth.user.id, question_id, reps));
    let response = shown_to_authored(&shown, &answer.response)?;
    let graded = grade(question, &response);
    let fast = answer
        .elapsed_ms
        .is_some_and(|ms| is_fast(question, std::time::Duration::from_millis(ms)));
    let evidence = Evidence {
        question: question.clone(),
        rating: Rating::from_graded(&graded, fast),
        graded,
    };
    let card = state
        .store()
        .record_review(auth.user.id, course_id, &evidence, state.now())
        .await?
        .ok_or_else(no_card)?;
    Ok(ReviewOutcome {
        question_id: question.id.clone(),
        score: evidence.graded.score,
        correct: evidence.graded.correct,
        correct_answer: shown.correct_answer(),
        explanation: question.explanation.clone(),
        rating: rating_name(evidence.rating).to_owned(),
        next_due: card.due,
    })
}

fn rating_name(rating: Rating) -> &'static str {
    match rating {
        Rating::Again => "again",
        Rating::Hard => "hard",
        Rating::Good => "good",
        Rating::Easy => "easy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_seeds_change_with_each_review_and_learner() {
        let ada = Uuid::from_u128(1);
        let bob = Uuid::from_u128(2);
        assert_eq!(review_seed(ada, "q", 1), review_seed(ada, "q", 1));
        assert_ne!(review_seed(ada, "q", 1), review_seed(ada, "q", 2));
        assert_ne!(review_seed(ada, "q", 1), review_seed(bob, "q", 1));
        assert_ne!(review_seed(ada, "q", 1), review_seed(ada, "r", 1));
    }
}
