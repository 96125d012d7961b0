//! Runs [`Command`]s: each server call in its own tokio task, reporting back as an
//! [`Action`] over the bounded channel the event loop reads. [`perform`] is shared with the
//! tests, which await it directly against the fake backend. The lab runner's work (checks,
//! workspace files, the watch that notices edits) is in [`lab`]; the tutor answer streaming
//! in, in [`tutor`]. Those two run until told to stop, and are kept in [`Ongoing`].

use std::sync::Arc;

use cloudmaster_core::api::{CourseFilter, LessonProgressUpdate, ReviewAnswer, SubmitAttempt};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::action::{Action, Command, CourseData, Loaded, Request, ReviewAnswered};
use crate::backend::{Backend, BackendResult};

pub(crate) mod lab;
pub(crate) mod tutor;

pub(crate) use lab::LabWatch;
pub(crate) use tutor::TutorTask;

/// The background work that runs until it is stopped (or replaced): the lab watch and the
/// tutor answer in flight.
#[derive(Default)]
pub(crate) struct Ongoing {
    pub lab_watch: LabWatch,
    pub tutor: TutorTask,
}

impl Ongoing {
    /// Stops both (the TUI is quitting).
    pub(crate) fn stop(&mut self) {
        self.lab_watch.stop();
        self.tutor.stop();
    }
}

/// How many hits a search asks for.
const SEARCH_LIMIT: u32 = 20;

/// Starts `command` in the background.
pub(crate) fn spawn(
    command: Command,
    backend: &Arc<dyn Backend>,
    tx: &mpsc::Sender<Action>,
    tasks: &mut JoinSet<()>,
    ongoing: &mut Ongoing,
) {
    match command {
        Command::WatchLab { root } => return ongoing.lab_watch.start(root, tx, tasks),
        Command::UnwatchLab => return ongoing.lab_watch.stop(),
        Command::AskTutor { seq, question } => {
            return ongoing.tutor.start(backend, seq, question, tx, tasks);
        }
        Command::CancelTutor => return ongoing.tutor.stop(),
        _ => {}
    }
    let tx = tx.clone();
    match command {
        Command::Fetch(request) => {
            let backend = Arc::clone(backend);
            tasks.spawn(async move {
                let loaded = perform(backend.as_ref(), request).await;
                // The receiver is gone only when the TUI is shutting down.
                let _ = tx.send(Action::Loaded(Box::new(loaded))).await;
            });
        }
        Command::Debounce { seq, delay } => {
            tasks.spawn(after(delay, tx, move || Action::SearchDue(seq)));
        }
        Command::Tick { delay } => {
            tasks.spawn(after(delay, tx, || Action::Tick(OffsetDateTime::now_utc())));
        }
        Command::ReadClock { seq } => {
            let now = OffsetDateTime::now_utc();
            tasks.spawn(async move {
                let _ = tx.send(Action::Clock { seq, now }).await;
            });
        }
        Command::WatchLab { .. }
        | Command::UnwatchLab
        | Command::AskTutor { .. }
        | Command::CancelTutor => {}
    }
}

/// Sends `action()` after `delay`, unless the TUI shuts down first (it closes the channel):
/// a timer must not hold up quitting (the lab screen's clock waits 30 s).
async fn after(
    delay: std::time::Duration,
    tx: mpsc::Sender<Action>,
    action: impl FnOnce() -> Action,
) {
    tokio::select! {
        () = tokio::time::sleep(delay) => {
            let _ = tx.send(action()).await;
        }
        () = tx.closed() => {}
    }
}

/// Makes the server call(s) behind `request`.
pub(crate) async fn perform(backend: &dyn Backend, request: Request) -> Loaded {
    let describe = format!("{request:?}");
    let loaded = match request {
        Request::WhoAmI => Loaded::WhoAmI(backend.whoami().await),
        Request::Dashboard => Loaded::Dashboard(backend.progress().await),
        Request::Catalog => Loaded::Catalog(backend.list_courses(&CourseFilter::default()).await),
        Request::Search { seq, query } => Loaded::Search {
            seq,
            result: backend.search(&query, SEARCH_LIMIT).await,
        },
        Request::Course { id } => Loaded::Course {
            result: course(backend, &id).await,
            id,
        },
        Request::Lesson { course, lesson } => Loaded::Lesson {
            result: backend.lesson(&course, &lesson).await,
            course,
            lesson,
        },
        Request::Enroll { course } => Loaded::Enrolled {
            result: backend.enroll(&course).await,
            course,
        },
        Request::Progress {
            course,
            lesson,
            status,
            position,
        } => {
            let update = LessonProgressUpdate { status, position };
            Loaded::Progress {
                result: backend
                    .record_lesson_progress(&course, &lesson, &update)
                    .await,
                course,
                lesson,
            }
        }
        Request::StartAttempt { course, assessment } => Loaded::AttemptStarted {
            result: backend
                .start_attempt(&course, &assessment)
                .await
                .map(Box::new),
            course,
            assessment,
        },
        Request::Attempt { id } => Loaded::Attempt {
            result: backend.attempt(id).await.map(Box::new),
            id,
        },
        Request::SaveAnswer {
            attempt,
            question,
            response,
        } => Loaded::AnswerSaved {
            result: backend.save_answer(attempt, &question, &response).await,
            attempt,
            question,
            response,
        },
        Request::SubmitAttempt { attempt, answers } => Loaded::Submitted {
            result: backend
                .submit_attempt(attempt, &SubmitAttempt { answers })
                .await
                .map(Box::new),
            attempt,
        },
        Request::Readiness { course } => Loaded::Readiness {
            result: backend.readiness(&course).await,
            course,
        },
        Request::StartLab {
            course,
            lab,
            dir,
            consent,
            again,
        } => Loaded::LabStarted {
            result: lab::start(backend, course.clone(), lab.clone(), dir, consent, again)
                .await
                .map(Box::new),
            course,
            lab,
        },
        Request::LabResult {
            course,
            lab,
            dir,
            session,
        } => Loaded::LabResult {
            result: lab::result(backend, &course, &lab, dir, session)
                .await
                .map(Box::new),
            course,
            lab,
        },
        Request::ServedLab { course, lab } => Loaded::ServedLab {
            result: lab::served(backend, &course, &lab).await.map(Box::new),
            course,
            lab,
        },
        Request::ReviewQueue { course } => Loaded::ReviewQueue {
            result: backend.review_queue(course.as_deref(), None).await,
            course,
        },
        Request::AnswerReview {
            course,
            question,
            response,
            shown_at,
        } => {
            // Measured here, where reading the clock is allowed: from the item appearing to
            // the answer leaving.
            let elapsed_ms = shown_at.map(|shown| {
                let ms = (OffsetDateTime::now_utc() - shown).whole_milliseconds();
                u64::try_from(ms).unwrap_or(0)
            });
            let answer = ReviewAnswer {
                response,
                elapsed_ms,
            };
            let result = backend
                .answer_review(&course, &question, &answer)
                .await
                .map(|outcome| ReviewAnswered {
                    outcome,
                    at: OffsetDateTime::now_utc(),
                });
            Loaded::ReviewAnswered {
                course,
                question,
                result,
            }
        }
        Request::Lab {
            workspace,
            job,
            opts,
        } => Loaded::Lab {
            session: workspace.state.session_id,
            result: lab::perform(backend, *workspace, &job, opts)
                .await
                .map(Box::new),
            job,
        },
    };
    if let Some(err) = failure(&loaded) {
        tracing::warn!(request = %describe, error = %err, "request failed");
    } else {
        tracing::debug!(request = %describe, "request done");
    }
    loaded
}

/// The outline with enrollment and, for enrolled learners, progress and assessments.
async fn course(backend: &dyn Backend, id: &str) -> BackendResult<Box<CourseData>> {
    let (detail, enrollments) = tokio::try_join!(backend.course(id), backend.enrollments())?;
    let (progress, assessments, labs) = if enrollments.iter().any(|e| e.course_id == id) {
        let (progress, assessments, labs) = tokio::try_join!(
            backend.course_progress(id),
            backend.assessments(id),
            backend.labs(id)
        )?;
        (Some(progress), assessments, labs)
    } else {
        (None, Vec::new(), Vec::new())
    };
    Ok(Box::new(CourseData {
        detail,
        progress,
        assessments,
        labs,
    }))
}

fn failure(loaded: &Loaded) -> Option<&crate::backend::BackendError> {
    match loaded {
        Loaded::WhoAmI(r) => r.as_ref().err(),
        Loaded::Dashboard(r) => r.as_ref().err(),
        Loaded::Catalog(r) => r.as_ref().err(),
        Loaded::Search { result, .. } => result.as_ref().err(),
        Loaded::Course { result, .. } => result.as_ref().err(),
        Loaded::Lesson { result, .. } => result.as_ref().err(),
        Loaded::Enrolled { result, .. } => result.as_ref().err(),
        Loaded::Progress { result, .. } => result.as_ref().err(),
        Loaded::AttemptStarted { result, .. } | Loaded::Attempt { result, .. } => {
            result.as_ref().err()
        }
        Loaded::AnswerSaved { result, .. } => result.as_ref().err(),
        Loaded::Submitted { result, .. } => result.as_ref().err(),
        Loaded::Readiness { result, .. } => result.as_ref().err(),
        Loaded::LabStarted { result, .. } => result.as_ref().err(),
        Loaded::Lab { result, .. } => result.as_ref().err(),
        Loaded::LabResult { result, .. } => result.as_ref().err(),
        Loaded::ServedLab { result, .. } => result.as_ref().err(),
        Loaded::ReviewQueue { result, .. } => result.as_ref().err(),
        Loaded::ReviewAnswered { result, .. } => result.as_ref().err(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Quitting closes the channel: a clock tick waiting its 30 s ends at once, so the
    /// shutdown's wait for background work is not spent on it. The timers here wait an
    /// hour; the test allows a minute, so only timers that ignore the closed channel fail
    /// it, however slow the machine.
    #[tokio::test]
    async fn timers_end_when_the_tui_shuts_down() {
        let (tx, mut rx) = mpsc::channel(4);
        let mut tasks = JoinSet::new();
        let hour = Duration::from_secs(3600);
        tasks.spawn(after(hour, tx.clone(), || {
            Action::Tick(OffsetDateTime::now_utc())
        }));
        tasks.spawn(after(hour, tx, || Action::SearchDue(1)));
        rx.close();
        let ended = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(joined) = tasks.join_next().await {
                joined.unwrap();
            }
        })
        .await;
        assert!(
            ended.is_ok(),
            "the timers kept waiting after the channel closed"
        );
        assert!(rx.recv().await.is_none());
    }
}
