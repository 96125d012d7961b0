//! `cloudmaster publish [PATH] [--dry-run]`: validate locally, show the plan against the
//! server's current version, upload with a progress bar, report the new version.
//!
//! PATH is a course folder or a catalog of courses; a catalog is published in prerequisite
//! order, because the server accepts a prerequisite only once it is published.
//!
//! Before anything is sent, every lab is tested like `cloudmaster lab test` does (each step
//! fails on the starter files and passes after its solution): a lab whose checks do not
//! check, or whose solution does not pass, is not published. `--skip-lab-tests` bypasses
//! that, for machines that lack the tools the labs' checks run.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use cloudmaster_core::api::PublishOutcome;
use cloudmaster_core::course::{Course, Manifest, Plan};
use indicatif::{ProgressBar, ProgressStyle};

use super::course::{Report, check_local};
use crate::context::Context;

#[derive(clap::Args)]
pub struct Args {
    /// A course folder (with course.yaml) or a catalog folder of courses
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Show the plan and let the server validate it, without publishing
    #[arg(long)]
    dry_run: bool,
    /// Publish without testing the labs first (when this machine lacks the tools their checks run)
    #[arg(long)]
    skip_lab_tests: bool,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let courses = publish_order(check_local(ctx, &self.path, Report::Stderr)?);
        if self.skip_lab_tests {
            ctx.warn("--skip-lab-tests: the labs were not tested before publishing");
        } else {
            super::lab::test::gate(ctx, &courses).await?;
        }
        let client = ctx.client()?;
        let mut outcomes = Vec::with_capacity(courses.len());
        for course in &courses {
            let current = client.manifest(&course.id).await?;
            let plan = Plan::between(current.as_ref().map(|m| &m.manifest), &Manifest::of(course));
            let outcome = match &current {
                // Nothing to send: the server would keep the version anyway.
                Some(current) if plan.is_empty() && !self.dry_run => PublishOutcome {
                    course_id: course.id.clone(),
                    plan,
                    version: current.version,
                    previous_version: Some(current.version),
                    applied: false,
                    dry_run: false,
                    restored_from: None,
                },
                _ => {
                    if ctx.human() {
                        let mut out = std::io::stdout().lock();
                        write_plan(ctx, &mut out, &plan, current.as_ref().map(|m| m.version))?;
                        out.flush()?;
                    }
                    upload(ctx, course, self.dry_run).await?
                }
            };
            if ctx.human() {
                let mut out = std::io::stdout().lock();
                write_result(ctx, &mut out, &outcome)?;
            }
            outcomes.push(outcome);
        }
        if !ctx.human() {
            ctx.print(&outcomes, |_| Ok(()))?;
        }
        Ok(())
    }
}

async fn upload(ctx: &Context, course: &Course, dry_run: bool) -> anyhow::Result<PublishOutcome> {
    let bar = if ctx.quiet || !ctx.human() || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let style = ProgressStyle::with_template(
            "  uploading {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})",
        )?
        .progress_chars("=> ");
        ProgressBar::new(0)
            .with_style(style)
            .with_message(course.id.clone())
    };
    let progress = bar.clone();
    let outcome = ctx
        .client()?
        .publish(course, dry_run, move |sent, total| {
            progress.set_length(total);
            progress.set_position(sent);
        })
        .await;
    bar.finish_and_clear();
    Ok(outcome?)
}

/// Publishes courses after the courses of the same catalog they depend on; otherwise keeps
/// the catalog's order. Cycles are validation errors, so they never get here.
pub fn publish_order(mut pending: Vec<Course>) -> Vec<Course> {
    let mut ordered: Vec<Course> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|c| {
                c.prerequisites
                    .iter()
                    .all(|p| *p == c.id || !pending.iter().any(|other| other.id == *p))
            })
            .unwrap_or(0);
        ordered.push(pending.remove(ready));
    }
    ordered
}

/// `COURSE (new course)` or `COURSE: changes against version N`, then one line per change.
pub fn write_plan(
    ctx: &Context,
    out: &mut dyn Write,
    plan: &Plan,
    current: Option<i64>,
) -> std::io::Result<()> {
    let header = match current {
        None => format!("{} (new course)", plan.course_id),
        Some(v) => format!("{}: changes against version {v}", plan.course_id),
    };
    writeln!(out, "{}", ctx.bold(&header))?;
    if plan.is_empty() {
        return writeln!(out, "  no changes");
    }
    for line in plan.to_string().lines() {
        let painted = match line.chars().next() {
            Some('+') => ctx.green(line),
            Some('-') => ctx.red(line),
            Some('~') => ctx.yellow(line),
            _ => line.to_owned(),
        };
        writeln!(out, "  {painted}")?;
    }
    Ok(())
}

/// The line that says what happened.
fn write_result(ctx: &Context, out: &mut dyn Write, o: &PublishOutcome) -> std::io::Result<()> {
    let line = if o.dry_run {
        if o.plan.is_empty() {
            format!(
                "{}: dry run: no changes; version {} would be kept",
                o.course_id, o.version
            )
        } else {
            format!(
                "{}: dry run: would publish version {}; nothing was changed",
                o.course_id, o.version
            )
        }
    } else if o.applied {
        match o.previous_version {
            Some(previous) => format!(
                "{}: published version {} (was {previous})",
                o.course_id, o.version
            ),
            None => format!("{}: published version {}", o.course_id, o.version),
        }
    } else {
        format!("{}: no changes; version {} kept", o.course_id, o.version)
    };
    writeln!(out, "{}", ctx.green(&line))
}

/// The plan and result of a server-side operation (rollback).
pub fn write_outcome(
    ctx: &Context,
    out: &mut dyn Write,
    o: &PublishOutcome,
) -> std::io::Result<()> {
    write_plan(ctx, out, &o.plan, o.previous_version)?;
    if let (Some(from), true) = (o.restored_from, o.applied) {
        writeln!(
            out,
            "{}",
            ctx.green(&format!(
                "{}: version {} restores the content of version {from}",
                o.course_id, o.version
            ))
        )
    } else {
        write_result(ctx, out, o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prerequisites_publish_first() {
        let course = |id: &str, pre: &[&str]| Course {
            id: id.to_owned(),
            prerequisites: pre.iter().map(|p| (*p).to_owned()).collect(),
            ..Course::default()
        };
        let order = publish_order(vec![
            course("a", &["c"]),
            course("b", &[]),
            course("c", &["b", "elsewhere"]),
        ]);
        let ids: Vec<&str> = order.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "a"]);
    }
}
