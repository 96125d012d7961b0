//! What the learning commands (`learn`, `lesson`, `quiz`, `exam`, `attempts`, `review`)
//! share: Markdown rendering and the pager ([`render`]), answers typed or read from a file
//! ([`answers`]), the interactive question runner ([`runner`]), taking an attempt
//! ([`attempt`]) and printing graded results ([`report`]).

pub mod answers;
pub mod attempt;
pub mod render;
pub mod report;
pub mod runner;

use crate::exit::{Exit, fail_with_hint};

/// Whether `err` is an API error with `code` (`attempt_closed`, `locked`, ...).
pub fn is_code(err: &cloudmaster_core::Error, code: &str) -> bool {
    err.code() == Some(code)
}

/// Content the learner has not unlocked yet (403 `locked`): the server's message says what
/// to finish first; the hint points to where that shows. Other errors pass through.
pub fn unlock_hint(err: cloudmaster_core::Error, course: &str) -> anyhow::Error {
    if is_code(&err, "locked") {
        return fail_with_hint(
            Exit::Auth,
            err.to_string(),
            format!("`cloudmaster progress {course}` shows what is done and what comes next"),
        );
    }
    err.into()
}
