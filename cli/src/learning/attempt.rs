//! Taking a quiz or the mock exam: start (or resume) the attempt, answer its questions —
//! at the terminal, saving each answer as it is given, or all at once from an answers file —
//! submit, and print the graded result. The exit code says whether it passed (0) or not (1).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use std::io::Write as _;

use cloudmaster_core::api::{
    AssessmentInfo, AssessmentKind, AttemptResult, AttemptStatus, AttemptView, SubmitAttempt,
};
use cloudmaster_core::assess::Response;

use super::answers::AnswersFile;
use super::report::{Paint, percent, write_result};
use super::runner::{Input, Terminal, header};
use super::{is_code, unlock_hint};
use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};
use crate::output::{date, plural};

/// Where the answers come from.
pub enum Mode {
    Interactive,
    File(AnswersFile),
}

impl Mode {
    /// From `--answers`, else the terminal. Without either nothing can be answered: a usage
    /// error, before anything is started.
    pub fn choose(answers: Option<PathBuf>, command: &str) -> anyhow::Result<Mode> {
        match answers {
            Some(path) => Ok(Mode::File(AnswersFile::load(&path)?)),
            None if std::io::stdin().is_terminal() => Ok(Mode::Interactive),
            None => Err(fail(
                Exit::Usage,
                format!(
                    "stdin is not a terminal, so questions cannot be asked: pass --answers FILE \
                     (see `cloudmaster {command} --help`)"
                ),
            )),
        }
    }
}

/// Takes `info` in `course` and prints the result; fails with exit code 1 when not passed.
pub async fn take(
    ctx: &Context,
    course: &str,
    info: &AssessmentInfo,
    mode: Mode,
    brief: bool,
) -> anyhow::Result<()> {
    let client = ctx.client()?;
    let attempt = client
        .start_attempt(course, &info.id)
        .await
        .map_err(|e| unlock_hint(e, course))?;
    if let Some(result) = &attempt.result {
        return finish(ctx, &attempt, result, brief, None);
    }
    if info.open_attempt == Some(attempt.id) {
        ctx.notice(&format!(
            "Resuming your attempt started {} UTC ({} of {} answered).",
            date(&attempt.started_at),
            attempt.answers.len(),
            attempt.questions.len()
        ));
    }
    if let Some(deadline) = attempt.deadline {
        ctx.notice(&format!(
            "Deadline: {} UTC ({}).",
            date(&deadline),
            super::runner::time_left(deadline)
        ));
    }
    let answers = match mode {
        Mode::File(file) => {
            let answers = file.responses(&attempt.questions)?;
            if answers.is_empty() {
                return Err(answers_none(&file, &attempt));
            }
            let unanswered = attempt
                .questions
                .iter()
                .filter(|q| !answers.contains_key(&q.id) && !attempt.answers.contains_key(&q.id))
                .count();
            if unanswered > 0 {
                ctx.notice(&format!(
                    "{unanswered} of {} not answered in {}: left unanswered.",
                    plural(attempt.questions.len(), "question"),
                    file.path().display()
                ));
            }
            answers
        }
        Mode::Interactive => {
            let interrupt = on_interrupt(&attempt, resume_command(course, info));
            let answered = answer_at_terminal(ctx, &attempt).await;
            interrupt.abort();
            match answered? {
                Some(answers) => answers,
                None => return Ok(()),
            }
        }
    };
    let (result, note) = submit(ctx, &attempt, answers).await?;
    finish(ctx, &attempt, &result, brief, note)
}

/// The command that comes back to an open attempt of `info`.
fn resume_command(course: &str, info: &AssessmentInfo) -> String {
    match info.kind {
        AssessmentKind::Quiz => format!("cloudmaster quiz start {course}/{}", info.id),
        AssessmentKind::MockExam => format!("cloudmaster exam start {course}"),
    }
}

/// What Ctrl-C says while questions are asked: the answers given are saved (each as it was
/// given), how to come back, and when a timed attempt closes. The runner waits in a blocking
/// read of the terminal that cannot be cancelled, so the handler ends the process itself,
/// with 130, the shell's code for an interrupted command.
fn on_interrupt(attempt: &AttemptView, resume: String) -> tokio::task::JoinHandle<()> {
    let deadline = attempt.deadline;
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        let closes = deadline.map_or_else(
            || " The attempt stays open until you submit it.".to_owned(),
            |d| {
                format!(
                    " The attempt closes at {} UTC ({}) and is then graded on its saved answers.",
                    date(&d),
                    super::runner::time_left(d)
                )
            },
        );
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "\nInterrupted. The answers you gave are saved. Run `{resume}` to resume.{closes}"
        );
        let _ = err.flush();
        std::process::exit(130);
    })
}

/// An answers file that answers none of the questions drawn: submitting would grade an
/// empty attempt, so nothing is submitted and the attempt stays open.
fn answers_none(file: &AnswersFile, attempt: &AttemptView) -> anyhow::Error {
    let ids: Vec<&str> = attempt.questions.iter().map(|q| q.id.as_str()).collect();
    let until = attempt.deadline.map_or_else(
        || " stays open".to_owned(),
        |d| format!(" stays open until {} UTC", date(&d)),
    );
    fail_with_hint(
        Exit::Usage,
        format!(
            "{} answers none of the {} drawn for this attempt ({}); nothing was submitted",
            file.path().display(),
            plural(ids.len(), "question"),
            ids.join(", ")
        ),
        format!(
            "`cloudmaster attempts show {}` lists those questions with their options, lettered as \
             this attempt shows them; answer them by question id and letter and run the same \
             command again: the attempt{until}",
            attempt.id
        ),
    )
}

/// Asks every question, saving each answer; skipped ones come back at the end. `None` when
/// the learner chose not to submit yet (the answers stay saved) or the time ran out.
async fn answer_at_terminal(
    ctx: &Context,
    attempt: &AttemptView,
) -> anyhow::Result<Option<BTreeMap<String, Response>>> {
    let client = ctx.client()?;
    let terminal = Terminal::new(ctx);
    let mut answers = attempt.answers.clone();
    let mut pending: Vec<usize> = (0..attempt.questions.len()).collect();
    let time_is_up = || {
        attempt
            .deadline
            .is_some_and(|d| d <= time::OffsetDateTime::now_utc())
    };
    while !pending.is_empty() {
        let mut skipped = Vec::new();
        for index in pending {
            if time_is_up() {
                terminal.say(&terminal.paint.red("Time is up."))?;
                // Submitting now gets the result the server graded on the saved answers.
                return Ok(Some(BTreeMap::new()));
            }
            let question = &attempt.questions[index];
            terminal.show(question, &header(attempt, index))?;
            match terminal.ask(question, answers.get(&question.id))? {
                Input::Answer(response) => {
                    match client
                        .save_answer(attempt.id, &question.id, &response)
                        .await
                    {
                        Ok(()) => {
                            answers.insert(question.id.clone(), response);
                        }
                        Err(e) if is_code(&e, "attempt_closed") => {
                            terminal.say(&terminal.paint.red("The attempt is closed."))?;
                            return Ok(Some(BTreeMap::new()));
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                Input::Keep => {}
                Input::Skip => skipped.push(index),
            }
        }
        pending = skipped;
        let left = pending
            .iter()
            .filter(|i| !answers.contains_key(&attempt.questions[**i].id))
            .count();
        if left == 0
            || !terminal.yes_no(
                &format!("{} skipped. Go back to them?", plural(left, "question")),
                true,
            )?
        {
            break;
        }
    }
    let unanswered = attempt.questions.len() - answers.len().min(attempt.questions.len());
    let question = if unanswered == 0 {
        "All questions answered. Submit now?".to_owned()
    } else {
        format!("{} unanswered. Submit now?", plural(unanswered, "question"))
    };
    if ctx.yes || terminal.yes_no(&question, true)? {
        return Ok(Some(answers));
    }
    let until = attempt.deadline.map_or_else(String::new, |d| {
        format!(
            " before {} UTC (then it closes and is graded on the saved answers)",
            date(&d)
        )
    });
    terminal.say(&format!(
        "Not submitted. Your answers are saved: run the same command again{until} to come back to this attempt."
    ))?;
    Ok(None)
}

/// Submits; when the server says the attempt closed meanwhile (time limit), shows the
/// result it was graded with instead, with a note.
async fn submit(
    ctx: &Context,
    attempt: &AttemptView,
    answers: BTreeMap<String, Response>,
) -> anyhow::Result<(AttemptResult, Option<&'static str>)> {
    let client = ctx.client()?;
    match client
        .submit_attempt(attempt.id, &SubmitAttempt { answers })
        .await
    {
        Ok(result) => Ok((result, None)),
        Err(e) if is_code(&e, "attempt_closed") => {
            let closed = client.attempt(attempt.id).await?;
            match closed.result {
                Some(result) => Ok((
                    result,
                    Some(
                        "The time limit ran out before the answers were submitted: the attempt \
                         was closed and graded on the answers saved in time.",
                    ),
                )),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Prints `result` (`-o json`: the `AttemptResult`) and turns "not passed" into exit code 1.
fn finish(
    ctx: &Context,
    attempt: &AttemptView,
    result: &AttemptResult,
    brief: bool,
    note: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(note) = note {
        ctx.warn(note);
    }
    ctx.print(result, |out| {
        write_result(
            out,
            Paint { color: ctx.color },
            &attempt.title,
            result,
            &attempt.questions,
            brief,
        )?;
        if let Some(due) = result.first_review_due {
            writeln!(
                out,
                "\nThe questions you answered come back for review (spaced by how well you \
                 knew them): the first on {} UTC, in `cloudmaster review`.",
                date(&due)
            )?;
        }
        Ok(())
    })?;
    if result.passed {
        return Ok(());
    }
    let closed = if result.closed_by == AttemptStatus::Expired {
        " (closed when the time ran out)"
    } else {
        ""
    };
    Err(fail(
        Exit::Failure,
        format!(
            "{}: not passed, {} is below the pass mark of {}%{closed}",
            attempt.title,
            percent(result.score_percent),
            result.pass_mark
        ),
    ))
}
