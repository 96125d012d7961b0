//! `cloudmaster readiness COURSE`: the Certification Readiness Index — the predicted chance
//! of passing the real exam now, with its uncertainty band, the expected score per domain,
//! the weakest domains and what to study next. Says plainly when there is not enough
//! evidence for a number yet.

use std::io::{self, Write};

use cloudmaster_core::api::ReadinessReport;
use cloudmaster_core::assess::Readiness;

use crate::context::Context;
use crate::learning::report::fraction_percent;
use crate::output::write_table;

#[derive(clap::Args)]
pub struct Args {
    /// Course id
    course: String,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let report = ctx.client()?.readiness(&self.course).await?;
        ctx.print(&report, |out| write_report(ctx, out, &report))
    }
}

fn write_report(ctx: &Context, out: &mut dyn Write, report: &ReadinessReport) -> io::Result<()> {
    let course = &report.course_id;
    let (Some(exam), Some(r)) = (&report.exam_name, &report.readiness) else {
        return writeln!(
            out,
            "{course} does not prepare for a certification exam, so there is no readiness \
             estimate. `cloudmaster mastery {course}` shows your mastery per skill."
        );
    };
    writeln!(out, "{}", ctx.bold(&format!("Readiness for {exam}")))?;
    if r.sufficient_evidence {
        write_estimate(ctx, out, r)?;
    } else {
        write_insufficient(out, course, r)?;
    }
    write_study(ctx, out, report)
}

fn write_estimate(ctx: &Context, out: &mut dyn Write, r: &Readiness) -> io::Result<()> {
    let probability = format!(
        "{} ({}–{})",
        fraction_percent(r.probability),
        fraction_percent(r.low),
        fraction_percent(r.high)
    );
    let painted = if r.probability >= 0.5 {
        ctx.green(&probability)
    } else {
        ctx.yellow(&probability)
    };
    writeln!(out, "Pass probability: {painted}")?;
    writeln!(
        out,
        "Expected score:   {} ({}–{}), pass mark {}",
        fraction_percent(r.expected_score),
        fraction_percent(r.score_low),
        fraction_percent(r.score_high),
        fraction_percent(r.pass_mark)
    )?;
    writeln!(out, "Based on {} answers (80% bands).", r.answers)?;
    writeln!(out)?;
    let mut table = ctx.table(&[
        "DOMAIN", "TITLE", "WEIGHT", "ANSWERS", "EXPECTED", "MASTERY", "GAP",
    ]);
    for d in &r.domains {
        table.add_row(vec![
            d.id.clone(),
            d.title.clone(),
            format!("{}%", d.weight),
            d.answers.to_string(),
            format!(
                "{} ({}–{})",
                fraction_percent(d.expected_score),
                fraction_percent(d.low),
                fraction_percent(d.high)
            ),
            fraction_percent(d.p_known),
            if d.gap > 0.0 {
                ctx.red(&fraction_percent(d.gap))
            } else {
                "-".to_owned()
            },
        ]);
    }
    write_table(out, &table)?;
    if !r.weakest_domains.is_empty() {
        let titles: Vec<String> = r
            .weakest_domains
            .iter()
            .map(|id| {
                r.domains
                    .iter()
                    .find(|d| &d.id == id)
                    .map_or_else(|| id.clone(), |d| format!("{} ({id})", d.title))
            })
            .collect();
        writeln!(out, "\nWeakest: {}", titles.join(", "))?;
    }
    Ok(())
}

fn write_insufficient(out: &mut dyn Write, course: &str, r: &Readiness) -> io::Result<()> {
    writeln!(
        out,
        "Not enough evidence yet: {} of {} answers",
        r.answers, r.min_answers
    )?;
    if !r.domains_without_evidence.is_empty() {
        writeln!(
            out,
            "No answers yet in: {}",
            r.domains_without_evidence.join(", ")
        )?;
    }
    writeln!(
        out,
        "Take a quiz (`cloudmaster quiz list {course}`) or the mock exam (`cloudmaster exam \
         start {course}`), then ask again."
    )
}

fn write_study(ctx: &Context, out: &mut dyn Write, report: &ReadinessReport) -> io::Result<()> {
    let course = &report.course_id;
    if !report.study_lessons.is_empty() {
        writeln!(out, "\nStudy next:")?;
        let mut table = ctx.table(&["LESSON", "TITLE", "DOMAIN", "DONE"]);
        for l in &report.study_lessons {
            table.add_row(vec![
                format!("{course}/{}", l.lesson_id),
                l.title.clone(),
                l.domain.clone(),
                if l.completed { "yes" } else { "no" }.to_owned(),
            ]);
        }
        write_table(out, &table)?;
    }
    if !report.study_questions.is_empty() {
        writeln!(out, "\nQuestions to work on:")?;
        let mut table = ctx.table(&["QUESTION", "DOMAIN", "PROMPT"]);
        for q in &report.study_questions {
            table.add_row(vec![
                q.question_id.clone(),
                q.domain.clone(),
                first_line(&q.prompt),
            ]);
        }
        write_table(out, &table)?;
    }
    Ok(())
}

/// The first line of `text`, shortened to 70 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 70 {
        line.chars().take(69).collect::<String>() + "…"
    } else {
        line.to_owned()
    }
}
