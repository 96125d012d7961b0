//! Where the learner is when asking: the course and lesson given, and the lab workspace —
//! given with `--lab`, else the one holding the current folder — with what the last failed
//! check of its current step reported ([`LocalStep::last_failure`], kept by `lab check`).
//!
//! The server checks all of it against the learner's own enrollments and sessions; this
//! only saves a question about the wrong course or server from being sent at all.
//!
//! [`LocalStep::last_failure`]: cloudmaster_core::lab::workspace::state::LocalStep

use std::path::PathBuf;

use cloudmaster_core::api::TutorQuestion;
use uuid::Uuid;

use super::Where;
use crate::commands::lab::workspace_state::{self, StateError, Workspace};
use crate::commands::split_ref;
use crate::context::Context;
use crate::exit::{Exit, fail};

/// What every question of an `ask` or `chat` says about where the learner is.
pub struct Situation {
    course: Option<String>,
    lesson: Option<String>,
    lab: Option<Lab>,
}

/// The lab workspace questions are about.
struct Lab {
    root: PathBuf,
    session: Uuid,
}

impl Situation {
    /// Works out where the learner is from `place` and the current folder.
    pub async fn resolve(ctx: &Context, place: &Where) -> anyhow::Result<Situation> {
        let workspace = lab_workspace(ctx, place).await?;
        let mut course = place
            .course
            .clone()
            .or_else(|| workspace.as_ref().map(|w| w.state.course_id.clone()));
        let lesson = match place.lesson.as_deref() {
            Some(reference) if reference.contains('/') => {
                let (of, lesson) = split_ref(reference, "LESSON")?;
                if let Some(other) = course.as_ref().filter(|c| **c != of) {
                    return Err(fail(
                        Exit::Usage,
                        format!("--lesson {reference} is a lesson of `{of}`, not of `{other}`"),
                    ));
                }
                course = Some(of);
                Some(lesson)
            }
            Some(lesson) if course.is_none() => {
                return Err(fail(
                    Exit::Usage,
                    format!(
                        "--lesson {lesson} needs its course: add --course COURSE, or write \
                         --lesson COURSE/{lesson}"
                    ),
                ));
            }
            other => other.map(str::to_owned),
        };
        let lab = workspace.map(|w| {
            let step = match w.state.current_step.as_deref() {
                Some(step) => format!("step `{step}`"),
                None => "every step passes".to_owned(),
            };
            ctx.notice(&format!(
                "Asking about lab {} ({step}) in {}.",
                w.state.reference(),
                w.root.display()
            ));
            Lab {
                root: w.root,
                session: w.state.session_id,
            }
        });
        Ok(Situation {
            course,
            lesson,
            lab,
        })
    }

    /// The question `text` from here, continuing `conversation`. The lab's last failed check
    /// is read now, so a chat sees the checks run between its questions.
    pub fn question(&self, text: &str, conversation: Option<Uuid>) -> TutorQuestion {
        TutorQuestion {
            question: text.to_owned(),
            course: self.course.clone(),
            lesson: self.lesson.clone(),
            lab_session: self.lab.as_ref().map(|l| l.session),
            check_output: self.lab.as_ref().and_then(last_failure),
            conversation,
        }
    }
}

/// The output of the last failed check of the workspace's current step, if it failed last.
fn last_failure(lab: &Lab) -> Option<String> {
    let state = Workspace::open(&lab.root).ok().flatten()?.state;
    let step = state.current_step.as_deref()?;
    state.local(step)?.last_failure.clone()
}

/// The workspace named by `--lab` (which must belong to the configured server and to
/// `--course`, when given), else the one holding the current folder when it does.
async fn lab_workspace(ctx: &Context, place: &Where) -> anyhow::Result<Option<Workspace>> {
    if let Some(dir) = &place.lab {
        let mut workspace = workspace_state::find(Some(dir))?;
        workspace_state::client(&mut workspace, ctx).await?;
        let own = &workspace.state.course_id;
        if let Some(course) = place.course.as_ref().filter(|c| *c != own) {
            return Err(fail(
                Exit::Usage,
                format!(
                    "the lab workspace {} is for course `{own}`, not `{course}`: drop --course \
                     or --lab",
                    workspace.root.display()
                ),
            ));
        }
        return Ok(Some(workspace));
    }
    let Ok(here) = std::env::current_dir() else {
        return Ok(None);
    };
    let workspace = match Workspace::find(&here) {
        Ok(workspace) => workspace,
        Err(StateError::NotAWorkspace { .. }) => return Ok(None),
        Err(e) => {
            ctx.warn(&format!("asking without the lab workspace here: {e}"));
            return Ok(None);
        }
    };
    let state = &workspace.state;
    // A question about another course is not about this lab.
    if place.course.as_ref().is_some_and(|c| *c != state.course_id) {
        return Ok(None);
    }
    if state.profile != ctx.config.profile.value
        || !workspace_state::on_configured_server(state, ctx).await
    {
        ctx.notice(&format!(
            "Asking without the lab workspace {}: its session lives on {} (profile `{}`).",
            workspace.root.display(),
            state.server,
            state.profile
        ));
        return Ok(None);
    }
    Ok(Some(workspace))
}
