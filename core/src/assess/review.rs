//! Spaced review of questions with FSRS-6 (the `fsrs` crate, default parameters), behind a
//! small API: a [`ReviewCard`] per (learner, question) and [`schedule`] to move it forward.
//!
//! The clock is always injected: `now` is a parameter and nothing here reads the system
//! time, so the server decides what "now" is and tests simulate months in microseconds.
//!
//! **Ratings from grading** ([`Rating::from_graded`]): a wrong answer (score 0) is *Again*;
//! partial credit is *Hard* (the learner knows part of it); a correct answer is *Good*, or
//! *Easy* when it was also fast ([`is_fast`]: answered in about the time it takes to read the
//! question, meaning it was recalled rather than worked out).
//!
//! **Intervals.** FSRS gives, for each rating, the new memory state (stability in days,
//! difficulty 1..10) and the interval after which recall probability falls to the desired
//! retention (0.9). *Hard*, *Good* and *Easy* are due after that interval rounded to whole
//! days, at least 1 and at most 365. *Again* is due after a 10-minute relearning step, so a
//! missed question comes back in the same session (as Anki's default learning step does);
//! its memory state still takes FSRS's post-lapse stability, so the intervals after it
//! start short. Elapsed time since the last review is counted in whole days, as FSRS
//! expects; same-day reviews use FSRS-6's short-term stability update.

use std::sync::LazyLock;

use fsrs::{FSRS, MemoryState};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use super::grade::Graded;
use crate::course::Question;

/// The recall probability FSRS schedules for.
pub const DESIRED_RETENTION: f32 = 0.9;
/// When a question answered *Again* comes back.
pub const RELEARN_STEP: Duration = Duration::minutes(10);
/// The longest interval, in days.
pub const MAX_INTERVAL_DAYS: i64 = 365;

static SCHEDULER: LazyLock<FSRS> = LazyLock::new(FSRS::default);

/// How well a review went, FSRS's four buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Again,
    Hard,
    Good,
    Easy,
}

impl Rating {
    /// Wrong → Again, partial credit → Hard, correct → Good, correct and `fast` → Easy.
    pub fn from_graded(graded: &Graded, fast: bool) -> Rating {
        if graded.correct {
            if fast { Rating::Easy } else { Rating::Good }
        } else if graded.score > 0.0 {
            Rating::Hard
        } else {
            Rating::Again
        }
    }
}

/// Whether `response_time` counts as fast for `question`: no more than 5 seconds plus the
/// time to read its text (prompt, scenario and options) at 20 characters a second (about
/// 240 words a minute).
pub fn is_fast(question: &Question, response_time: std::time::Duration) -> bool {
    let chars = question.prompt.chars().count()
        + question
            .scenario
            .as_deref()
            .map_or(0, |s| s.chars().count())
        + question
            .kind
            .options()
            .unwrap_or_default()
            .iter()
            .map(|o| o.text.chars().count())
            .sum::<usize>();
    response_time.as_secs_f64() <= 5.0 + chars as f64 / 20.0
}

/// The review state of one question for one learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReviewCard {
    /// FSRS stability: days until recall probability falls to 90%.
    pub stability: f64,
    /// FSRS difficulty, 1 (easy) to 10 (hard).
    pub difficulty: f64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_review: OffsetDateTime,
    /// Reviews so far, the first answer included.
    pub reps: u32,
    /// Times a previously reviewed card was answered *Again*.
    pub lapses: u32,
}

impl ReviewCard {
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        self.due <= now
    }

    /// FSRS's probability that the learner still recalls the answer at `now`.
    pub fn retrievability(&self, now: OffsetDateTime) -> f64 {
        let days = ((now - self.last_review).as_seconds_f64() / 86_400.0).max(0.0);
        let state = MemoryState {
            stability: self.stability as f32,
            difficulty: self.difficulty as f32,
        };
        f64::from(fsrs::current_retrievability(
            state,
            days as f32,
            fsrs::FSRS6_DEFAULT_DECAY,
        ))
    }

    fn memory(&self) -> Option<MemoryState> {
        let state = MemoryState {
            stability: self.stability as f32,
            difficulty: self.difficulty as f32,
        };
        (state.stability.is_finite() && state.stability > 0.0 && state.difficulty.is_finite())
            .then_some(state)
    }
}

/// The card after reviewing it with `rating` at `now`; `None` for a question never reviewed.
///
/// A stored card whose state is unusable (not finite) is treated as new rather than failing.
pub fn schedule(card: Option<&ReviewCard>, rating: Rating, now: OffsetDateTime) -> ReviewCard {
    let memory = card.and_then(ReviewCard::memory);
    let elapsed_days = card.map_or(0, |c| {
        u32::try_from((now - c.last_review).whole_days().max(0)).unwrap_or(u32::MAX)
    });
    let next = SCHEDULER
        .next_states(memory, DESIRED_RETENTION, elapsed_days)
        .or_else(|_| SCHEDULER.next_states(None, DESIRED_RETENTION, 0))
        .expect("FSRS default parameters schedule a new card");
    let state = match rating {
        Rating::Again => next.again,
        Rating::Hard => next.hard,
        Rating::Good => next.good,
        Rating::Easy => next.easy,
    };
    let due = match rating {
        Rating::Again => now + RELEARN_STEP,
        _ => {
            let days = f64::from(state.interval).round();
            let days = if days.is_finite() { days as i64 } else { 1 };
            now + Duration::days(days.clamp(1, MAX_INTERVAL_DAYS))
        }
    };
    let reviewed_before = memory.is_some();
    ReviewCard {
        stability: f64::from(state.memory.stability),
        difficulty: f64::from(state.memory.difficulty),
        due,
        last_review: now,
        reps: card.map_or(0, |c| c.reps) + 1,
        lapses: card.map_or(0, |c| c.lapses)
            + u32::from(reviewed_before && rating == Rating::Again),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::super::public::tests::question;
    use super::*;
    use crate::course::QuestionKind;

    const T0: OffsetDateTime = datetime!(2026-01-05 09:00 UTC);

    fn days_until_due(card: &ReviewCard, now: OffsetDateTime) -> f64 {
        (card.due - now).as_seconds_f64() / 86_400.0
    }

    #[test]
    fn ratings_from_grading() {
        let graded = |score: f64| Graded {
            score,
            correct: score >= 1.0,
            reason: None,
        };
        assert_eq!(Rating::from_graded(&graded(0.0), true), Rating::Again);
        assert_eq!(Rating::from_graded(&graded(0.4), true), Rating::Hard);
        assert_eq!(Rating::from_graded(&graded(1.0), false), Rating::Good);
        assert_eq!(Rating::from_graded(&graded(1.0), true), Rating::Easy);
    }

    #[test]
    fn fast_depends_on_reading_time() {
        let mut q = question("q", QuestionKind::TrueFalse { answer: true });
        q.scenario = None;
        q.prompt = "x".repeat(200); // 10 s of reading + 5 s
        assert!(is_fast(&q, std::time::Duration::from_secs(14)));
        assert!(!is_fast(&q, std::time::Duration::from_secs(16)));
    }

    #[test]
    fn new_card_answered_good_is_due_in_days_not_minutes() {
        let card = schedule(None, Rating::Good, T0);
        assert!(days_until_due(&card, T0) >= 1.0, "{card:?}");
        assert_eq!(card.reps, 1);
        assert_eq!(card.lapses, 0);
        assert_eq!(card.last_review, T0);
        assert!(!card.is_due(T0 + Duration::hours(23)));
        assert!(card.is_due(card.due));
    }

    #[test]
    fn again_brings_it_back_soon() {
        let card = schedule(None, Rating::Again, T0);
        assert_eq!(card.due, T0 + RELEARN_STEP);
        assert_eq!(card.lapses, 0, "a first miss is not a lapse");
        // Relearned in the same session, then it is spaced out in days.
        let later = T0 + Duration::minutes(12);
        assert!(card.is_due(later));
        let card = schedule(Some(&card), Rating::Good, later);
        assert!(days_until_due(&card, later) >= 1.0);
    }

    #[test]
    fn intervals_grow_with_good_reviews_and_collapse_on_a_lapse() {
        let mut now = T0;
        let mut card = schedule(None, Rating::Good, now);
        let mut last_interval = days_until_due(&card, now);
        for _ in 0..4 {
            now = card.due;
            card = schedule(Some(&card), Rating::Good, now);
            let interval = days_until_due(&card, now);
            assert!(interval > last_interval, "{interval} after {last_interval}");
            last_interval = interval;
        }
        assert!(last_interval > 20.0, "{last_interval}");
        let stability = card.stability;
        now = card.due;
        let lapsed = schedule(Some(&card), Rating::Again, now);
        assert_eq!(lapsed.due, now + RELEARN_STEP);
        assert_eq!(lapsed.lapses, 1);
        assert_eq!(lapsed.reps, 6);
        assert!(lapsed.stability < stability / 2.0);
        // The next Good interval is far shorter than before the lapse.
        let now2 = lapsed.due;
        let relearned = schedule(Some(&lapsed), Rating::Good, now2);
        assert!(days_until_due(&relearned, now2) < last_interval / 2.0);
    }

    #[test]
    fn easier_ratings_give_longer_intervals() {
        let days = |r| days_until_due(&schedule(None, r, T0), T0);
        assert!(days(Rating::Again) < days(Rating::Hard));
        assert!(days(Rating::Hard) <= days(Rating::Good));
        assert!(days(Rating::Good) < days(Rating::Easy));
    }

    #[test]
    fn due_ness_over_simulated_time() {
        // One review a day for 60 days; only due cards are reviewed, always Good.
        let mut card = schedule(None, Rating::Good, T0);
        let mut reviews = 1;
        for day in 1..=60 {
            let now = T0 + Duration::days(day);
            if card.is_due(now) {
                card = schedule(Some(&card), Rating::Good, now);
                reviews += 1;
            }
        }
        assert!((3..=8).contains(&reviews), "{reviews} reviews in 60 days");
        assert!(card.retrievability(card.last_review) > 0.99);
        let r_at_due = card.retrievability(card.due);
        assert!((0.85..0.95).contains(&r_at_due), "{r_at_due}");
    }

    #[test]
    fn clock_skew_and_broken_state_do_not_panic() {
        let card = schedule(None, Rating::Good, T0);
        let earlier = T0 - Duration::days(3);
        let again = schedule(Some(&card), Rating::Good, earlier);
        assert!(again.due > earlier);
        let broken = ReviewCard {
            stability: f64::NAN,
            ..card
        };
        let fresh = schedule(Some(&broken), Rating::Good, T0);
        assert!(fresh.stability.is_finite());
    }

    #[test]
    fn serializes_with_rfc3339_times() {
        let card = schedule(None, Rating::Good, T0);
        let json = serde_json::to_value(&card).unwrap();
        assert_eq!(json["last_review"], "2026-01-05T09:00:00Z");
        let back: ReviewCard = serde_json::from_value(json).unwrap();
        assert_eq!(back, card);
    }
}
