//! What the tutor is told about where the learner is, read from the screen under the
//! panel: the course and the lesson being read, the course of a quiz result or of a graded
//! review item, or the lab session with the current step's failing checks. The server checks each against the
//! learner's own enrollments and sessions.

use cloudmaster_core::api::MAX_CHECK_OUTPUT_BYTES;
use cloudmaster_core::lab::Outcome;
use uuid::Uuid;

use crate::app::{App, ScreenId};
use crate::screens::lab::OpenLab;
use crate::screens::quiz::Phase;

/// What the tutor is told about where the learner is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TutorContext {
    pub course: String,
    pub lesson: Option<String>,
    pub lab_session: Option<Uuid>,
    /// The current lab step's failing checks, as the lab screen shows them.
    pub check_output: Option<String>,
    /// What the panel's title names: the lesson, the lab or the course.
    pub about: String,
}

/// What the tutor should know on the screen shown; `None` where it has nothing to go on.
pub(super) fn context_of(app: &App) -> Option<TutorContext> {
    match app.screen {
        ScreenId::Lesson => {
            let lesson = app.lesson.as_ref()?;
            Some(TutorContext {
                course: lesson.course.clone(),
                lesson: Some(lesson.lesson.clone()),
                lab_session: None,
                check_output: None,
                about: lesson.title.clone(),
            })
        }
        ScreenId::Quiz => {
            let quiz = app.quiz.as_ref()?;
            if !matches!(quiz.phase, Phase::Finished(_)) {
                return None;
            }
            let course_title = app
                .course
                .as_ref()
                .filter(|c| c.id == quiz.course)
                .and_then(|c| c.title())
                .unwrap_or(quiz.course.as_str());
            Some(TutorContext {
                course: quiz.course.clone(),
                lesson: None,
                lab_session: None,
                check_output: None,
                about: course_title.to_owned(),
            })
        }
        ScreenId::Lab => {
            let lab = app.lab.as_ref()?;
            let open = lab.open.as_deref();
            Some(TutorContext {
                course: lab.course.clone(),
                lesson: None,
                lab_session: open.map(|o| o.workspace.state.session_id),
                check_output: open.and_then(check_output),
                about: format!("lab: {}", lab.title),
            })
        }
        ScreenId::Review => {
            // A graded item: its course (the tutor explains the question's topic).
            let card = app.review.as_ref()?.card.as_ref()?;
            card.answered.as_ref()?;
            let course = card.item.course_id.clone();
            Some(TutorContext {
                about: crate::screens::review::course_title(app, &course),
                course,
                lesson: None,
                lab_session: None,
                check_output: None,
            })
        }
        ScreenId::Dashboard | ScreenId::Catalog | ScreenId::Course => None,
    }
}

/// The current step's failing conditions as the lab screen shows them (message, then what
/// was found), the tail kept when it is longer than the server takes.
fn check_output(open: &OpenLab) -> Option<String> {
    let step = open.workspace.state.current_step.as_deref()?;
    let result = open.results.get(step)?;
    let mut out = String::new();
    for condition in result.failures() {
        if let Outcome::Failed { message, detail } = &condition.outcome {
            out.push_str(&format!("✗ {}: {message}\n", condition.id));
            if let Some(detail) = detail {
                out.push_str(&format!("  {detail}\n"));
            }
        }
    }
    (!out.is_empty()).then(|| tail(&out, MAX_CHECK_OUTPUT_BYTES).to_owned())
}

/// The last `max` bytes of `text` at most, cut at a character boundary.
fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_cut_between_characters() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("abcdef", 3), "def");
        // `✗` is three bytes: cutting into it keeps what follows.
        assert_eq!(tail("✗ x", 4), " x");
        assert_eq!(tail("✗ x", 5), "✗ x");
    }
}
