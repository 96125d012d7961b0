//! The interactive question runner: shows a question on stderr (scenario, prompt, options
//! one a line under the letters the attempt shows them under, how to answer its type) and
//! reads the answer from the terminal, asking again until it parses. Quizzes, the mock exam and review share it. Everything it writes goes
//! to stderr, so stdout keeps only the result (`-o json` stays parseable).

use std::io::{self, BufRead, Write};

use cloudmaster_core::api::AttemptView;
use cloudmaster_core::assess::{PublicQuestion, QuestionType, Response};
use time::OffsetDateTime;

use super::answers::parse_text;
use super::render::Presentation;
use super::report::Paint;
use crate::context::Context;
use crate::exit::{Exit, fail};

/// What the learner typed for one question.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Answer(Response),
    /// Come back to it later (or leave it unanswered).
    Skip,
    /// Keep the answer saved earlier.
    Keep,
}

/// The terminal the runner talks to.
pub struct Terminal {
    pub paint: Paint,
    presentation: Presentation,
}

impl Terminal {
    pub fn new(ctx: &Context) -> Terminal {
        Terminal {
            paint: Paint {
                color: ctx.stderr_color,
            },
            presentation: Presentation::for_stderr(ctx),
        }
    }

    /// Shows `question` under `header` (`Question 3 of 10 · secure · 12:04 left`).
    pub fn show(&self, question: &PublicQuestion, header: &str) -> io::Result<()> {
        let mut err = io::stderr().lock();
        writeln!(err)?;
        write_question(&mut err, &self.presentation, self.paint, question, header)?;
        err.flush()
    }

    /// Reads an answer to `question`, asking again until it parses. `saved` is an answer
    /// given earlier, which an empty line keeps. End of input is an error.
    pub fn ask(
        &self,
        question: &PublicQuestion,
        saved: Option<&Response>,
    ) -> anyhow::Result<Input> {
        let skip_letter = !question.options.iter().any(|o| o.id == "s");
        loop {
            let keep = saved.map_or_else(String::new, |r| {
                format!("; Enter keeps {}", r.describe(&question.options))
            });
            let skip = if skip_letter {
                "s to skip"
            } else {
                "`skip` to skip"
            };
            let line = self.read_line(&format!(
                "{} ({skip}{keep}): ",
                self.paint.dim(&answer_hint(question))
            ))?;
            let typed = line.trim();
            if typed.is_empty() && saved.is_some() {
                return Ok(Input::Keep);
            }
            if typed.is_empty() || typed == "skip" || (skip_letter && typed == "s") {
                return Ok(Input::Skip);
            }
            match parse_text(typed, question) {
                Ok(response) => return Ok(Input::Answer(response)),
                Err(problem) => self.say(&self.paint.yellow(&problem))?,
            }
        }
    }

    /// Asks a yes/no question; Enter picks `default`.
    pub fn yes_no(&self, question: &str, default: bool) -> anyhow::Result<bool> {
        let choices = if default { "[Y/n]" } else { "[y/N]" };
        let answer = self.read_line(&format!("{question} {choices} "))?;
        Ok(match answer.trim().to_ascii_lowercase().as_str() {
            "" => default,
            "y" | "yes" => true,
            _ => false,
        })
    }

    /// A line on stderr.
    pub fn say(&self, text: &str) -> io::Result<()> {
        writeln!(io::stderr().lock(), "{text}")
    }

    fn read_line(&self, prompt: &str) -> anyhow::Result<String> {
        {
            let mut err = io::stderr().lock();
            write!(err, "{prompt}")?;
            err.flush()?;
        }
        let mut line = String::new();
        if io::stdin().lock().read_line(&mut line)? == 0 {
            return Err(fail(
                Exit::Failure,
                "input ended before the last question; the answers given so far are saved",
            ));
        }
        Ok(line)
    }
}

/// `question` under `header`: its scenario and prompt, then its options one a line under
/// the letters the attempt shows them under.
pub fn write_question(
    out: &mut dyn Write,
    presentation: &Presentation,
    paint: Paint,
    question: &PublicQuestion,
    header: &str,
) -> io::Result<()> {
    writeln!(out, "{}", paint.bold(header))?;
    if let Some(scenario) = &question.scenario {
        write!(out, "{}", presentation.markdown(scenario))?;
        writeln!(out)?;
    }
    write!(out, "{}", presentation.markdown(&question.prompt))?;
    for option in &question.options {
        writeln!(out, "  {}) {}", paint.bold(&option.id), option.text)?;
    }
    Ok(())
}

/// How to type an answer to `question`, with examples from its own letters.
pub fn answer_hint(question: &PublicQuestion) -> String {
    let letters: Vec<&str> = question.options.iter().map(|o| o.id.as_str()).collect();
    let first = letters.first().copied().unwrap_or("a");
    match question.question_type {
        QuestionType::SingleChoice => format!("one letter, such as {first}"),
        QuestionType::MultipleResponse => {
            let two = letters
                .iter()
                .take(2)
                .copied()
                .collect::<Vec<_>>()
                .join(",");
            format!("every letter that applies, such as {two}")
        }
        QuestionType::TrueFalse => "t or f".to_owned(),
        QuestionType::Numeric => "a number".to_owned(),
        QuestionType::ShortText => "a short answer".to_owned(),
        QuestionType::Ordering => {
            let mut order = letters.clone();
            order.reverse();
            format!(
                "type all {} letters in order, first to last, such as {}",
                letters.len(),
                order.join(" ")
            )
        }
    }
}

/// `12:04 left`, `1:02:03 left`, or `time is up`.
pub fn time_left(deadline: OffsetDateTime) -> String {
    cloudmaster_core::display::countdown((deadline - OffsetDateTime::now_utc()).whole_seconds())
}

/// The header above question `index` of `attempt`.
pub fn header(attempt: &AttemptView, index: usize) -> String {
    let question = &attempt.questions[index];
    let mut parts = vec![format!(
        "Question {} of {}",
        index + 1,
        attempt.questions.len()
    )];
    if let Some(domain) = &question.domain {
        parts.push(domain.clone());
    }
    if let Some(deadline) = attempt.deadline {
        parts.push(time_left(deadline));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_use_the_question_s_own_letters() {
        let question = |kind, ids: &[&str]| PublicQuestion {
            id: "q".into(),
            question_type: kind,
            domain: None,
            skills: Vec::new(),
            scenario: None,
            prompt: "?".into(),
            options: ids
                .iter()
                .map(|id| cloudmaster_core::assess::PublicOption {
                    id: (*id).into(),
                    text: String::new(),
                })
                .collect(),
        };
        assert_eq!(
            answer_hint(&question(QuestionType::SingleChoice, &["a", "b"])),
            "one letter, such as a"
        );
        assert_eq!(
            answer_hint(&question(QuestionType::MultipleResponse, &["a", "b", "c"])),
            "every letter that applies, such as a,b"
        );
        assert_eq!(
            answer_hint(&question(QuestionType::Ordering, &["a", "b", "c", "d"])),
            "type all 4 letters in order, first to last, such as d c b a"
        );
        assert_eq!(
            answer_hint(&question(QuestionType::TrueFalse, &[])),
            "t or f"
        );
    }

    #[test]
    fn time_left_reads_like_a_clock() {
        let now = OffsetDateTime::now_utc();
        let left = time_left(now + time::Duration::seconds(12 * 60 + 30));
        assert!(left == "12:30 left" || left == "12:29 left", "{left}");
        let long = time_left(now + time::Duration::seconds(3600 + 65));
        assert!(long.starts_with("1:01:0"), "{long}");
        assert_eq!(time_left(now - time::Duration::seconds(1)), "time is up");
    }
}
