//! How graded answers read for people: an attempt's result (score, pass or fail, per-domain
//! table, then each question with its options lettered as the attempt showed them, the
//! learner's answer, the right one and the explanation), a review outcome, and the
//! learner's responses in words.

use std::io::{self, Write};

use cloudmaster_core::api::{AttemptResult, AttemptStatus, QuestionResult, ReviewOutcome};
use cloudmaster_core::assess::{
    PublicOption, PublicQuestion, QuestionType, Response, option_label,
};
pub use cloudmaster_core::display::percent;
use time::OffsetDateTime;

use crate::context::paint;
use crate::output::{date, write_table};

/// Colours for one stream (stdout or stderr).
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    pub fn bold(self, text: &str) -> String {
        paint(self.color, anstyle::Style::new().bold(), text)
    }

    pub fn dim(self, text: &str) -> String {
        paint(self.color, anstyle::Style::new().dimmed(), text)
    }

    pub fn green(self, text: &str) -> String {
        paint(self.color, anstyle::AnsiColor::Green.on_default(), text)
    }

    pub fn red(self, text: &str) -> String {
        paint(self.color, anstyle::AnsiColor::Red.on_default(), text)
    }

    pub fn yellow(self, text: &str) -> String {
        paint(self.color, anstyle::AnsiColor::Yellow.on_default(), text)
    }

    /// `✓` in green or `✗` in red.
    pub fn mark(self, correct: bool) -> String {
        if correct {
            self.green("✓")
        } else {
            self.red("✗")
        }
    }
}

/// A fraction in `[0, 1]` as a whole percent.
pub fn fraction_percent(value: f64) -> String {
    format!("{:.0}%", (value * 100.0).round())
}

/// "in 3 days", "in 5 minutes", "now".
pub fn from_now(at: OffsetDateTime) -> String {
    let seconds = (at - OffsetDateTime::now_utc()).whole_seconds();
    let (n, unit) = match seconds {
        s if s < 60 => return "now".to_owned(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!(
        "in {}",
        crate::output::plural(usize::try_from(n).unwrap_or(0), unit)
    )
}

/// Writes an attempt's result. With `brief`, only the summary and the domain table.
pub fn write_result(
    out: &mut dyn Write,
    paint: Paint,
    title: &str,
    result: &AttemptResult,
    questions: &[PublicQuestion],
    brief: bool,
) -> io::Result<()> {
    let verdict = if result.passed {
        paint.green("passed")
    } else {
        paint.red("not passed")
    };
    writeln!(
        out,
        "{}: {verdict}, {} (pass mark {}%)",
        paint.bold(title),
        paint.bold(&percent(result.score_percent)),
        result.pass_mark
    )?;
    let how = match result.closed_by {
        AttemptStatus::Expired => "closed when the time ran out",
        _ => "submitted",
    };
    writeln!(
        out,
        "{} of {} points; {how} {} UTC",
        trim_number(result.points),
        result.max_points,
        date(&result.finished_at)
    )?;
    if !result.domains.is_empty() {
        writeln!(out)?;
        let mut table = plain_table(&["DOMAIN", "TITLE", "QUESTIONS", "POINTS", "SCORE"]);
        for d in &result.domains {
            table.add_row(vec![
                d.domain.clone(),
                d.title.clone(),
                d.questions.to_string(),
                trim_number(d.points),
                percent(d.percent),
            ]);
        }
        write_table(out, &table)?;
    }
    if brief {
        return Ok(());
    }
    for (n, q) in result.questions.iter().enumerate() {
        writeln!(out)?;
        let partial = if q.score > 0.0 && q.score < 1.0 {
            format!(
                " {}",
                paint.yellow(&format!("(partial credit {})", fraction_percent(q.score)))
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} {}. {}{partial}",
            paint.mark(q.correct),
            n + 1,
            paint.bold(&q.question_id)
        )?;
        write_indented(out, &q.prompt)?;
        let ordering = questions
            .iter()
            .any(|s| s.id == q.question_id && s.question_type == QuestionType::Ordering);
        write_answers(out, paint, q, ordering)?;
        write_indented(out, &q.explanation)?;
    }
    Ok(())
}

/// A graded question's options as shown, the learner's answer and the right one. An
/// ordering is two numbered lists, the learner's order and the right one, one item a line.
fn write_answers(
    out: &mut dyn Write,
    paint: Paint,
    q: &QuestionResult,
    ordering: bool,
) -> io::Result<()> {
    let not_answered = || paint.dim("(not answered)");
    if ordering {
        match &q.response {
            Some(Response::Ordering { order }) => {
                write_list(out, "   your order:  ", &numbered(&q.options, order))?;
            }
            Some(other) => writeln!(out, "   your order:  {}", other.describe(&q.options))?,
            None => writeln!(out, "   your order:  {}", not_answered())?,
        }
        return write_list(
            out,
            "   correct:     ",
            &numbered(&q.options, &q.correct_options),
        );
    }
    for option in &q.options {
        writeln!(out, "     {}) {}", option.id, option.text)?;
    }
    let yours = q
        .response
        .as_ref()
        .map_or_else(not_answered, |r| r.describe(&q.options));
    writeln!(out, "   your answer: {yours}")?;
    writeln!(out, "   correct:     {}", q.correct_answer)
}

/// `1. c) Restore`, `2. a) Detect`, …: `letters` in order, each with its text.
pub fn numbered(options: &[PublicOption], letters: &[String]) -> Vec<String> {
    letters
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}. {}", i + 1, option_label(options, l)))
        .collect()
}

/// `lines` under `label`, the first beside it and the others aligned below it.
fn write_list(out: &mut dyn Write, label: &str, lines: &[String]) -> io::Result<()> {
    let pad = " ".repeat(label.chars().count());
    for (i, line) in lines.iter().enumerate() {
        writeln!(out, "{}{line}", if i == 0 { label } else { &pad })?;
    }
    Ok(())
}

/// Writes the outcome of one review answer.
pub fn write_review_outcome(
    out: &mut dyn Write,
    paint: Paint,
    outcome: &ReviewOutcome,
) -> io::Result<()> {
    let verdict = if outcome.correct {
        paint.green("Correct")
    } else {
        paint.red("Incorrect")
    };
    writeln!(out, "{} {verdict}", paint.mark(outcome.correct))?;
    if !outcome.correct {
        writeln!(out, "   correct: {}", outcome.correct_answer)?;
    }
    write_indented(out, &outcome.explanation)?;
    writeln!(
        out,
        "   comes back {} UTC ({}; rated {})",
        date(&outcome.next_due),
        from_now(outcome.next_due),
        outcome.rating
    )
}

/// Writes `text` with each line indented by three spaces.
pub fn write_indented(out: &mut dyn Write, text: &str) -> io::Result<()> {
    for line in text.trim_end().lines() {
        if line.trim().is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "   {line}")?;
        }
    }
    Ok(())
}

/// `4`, `2.5`.
pub fn trim_number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        rounded.to_string()
    }
}

/// A table without terminal styles (it may go to stderr).
pub fn plain_table(header: &[&str]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(header);
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fraction_percent(0.625), "63%");
        assert_eq!(trim_number(2.5), "2.5");
        assert_eq!(trim_number(3.0), "3");
    }
}
