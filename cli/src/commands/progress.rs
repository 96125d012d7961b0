//! `cloudmaster progress [COURSE]`: completion per enrolled course, or one course in detail.

use cloudmaster_core::api::{CourseProgress, LessonStatus};

use crate::context::Context;
use crate::output::{maybe_date, write_table};

#[derive(clap::Args)]
pub struct Args {
    /// Show this course lesson by lesson
    course: Option<String>,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        match self.course {
            None => {
                let all = client.progress().await?;
                ctx.print(&all, |out| {
                    if all.is_empty() {
                        return writeln!(
                            out,
                            "Not enrolled in any course. Try `cloudmaster courses list` and `cloudmaster enroll COURSE`."
                        );
                    }
                    let mut table =
                        ctx.table(&["COURSE", "TITLE", "DONE", "PERCENT", "REVIEW", "NEXT"]);
                    for p in &all {
                        table.add_row(vec![
                            p.course_id.clone(),
                            p.course_title.clone(),
                            format!("{}/{}", p.completed_lessons, p.total_lessons),
                            format!("{}%", p.percent),
                            p.review_due.to_string(),
                            next(p),
                        ]);
                    }
                    write_table(out, &table)?;
                    let due: u32 = all.iter().map(|p| p.review_due).sum();
                    if due > 0 {
                        writeln!(out, "\n{due} review items due: `cloudmaster review`.")?;
                    }
                    Ok(())
                })
            }
            Some(course) => {
                let p = client.course_progress(&course).await?;
                ctx.print(&p, |out| {
                    writeln!(
                        out,
                        "{}: {}/{} lessons, {}%",
                        ctx.bold(&p.course_title),
                        p.completed_lessons,
                        p.total_lessons,
                        p.percent
                    )?;
                    writeln!(out, "next: {}", next(&p))?;
                    if p.review_due > 0 {
                        writeln!(
                            out,
                            "review: {} due (`cloudmaster review --course {}`)",
                            p.review_due, p.course_id
                        )?;
                    } else {
                        writeln!(out, "review: nothing due")?;
                    }
                    if !p.labs.is_empty() {
                        let passed = p.labs.iter().filter(|l| l.passed).count();
                        writeln!(out, "labs: {passed}/{} passed", p.labs.len())?;
                        for lab in &p.labs {
                            let status = if lab.passed {
                                ctx.green("passed")
                            } else {
                                "not passed".to_owned()
                            };
                            writeln!(
                                out,
                                "  {}/{}  {}  {status}",
                                p.course_id, lab.lab_id, lab.title
                            )?;
                        }
                    }
                    match p.certificate {
                        Some(id) => writeln!(
                            out,
                            "certificate: {} (`cloudmaster cert show {id}`)",
                            ctx.green(&id.to_string())
                        )?,
                        None => writeln!(out, "certificate: not yet")?,
                    }
                    if p.lessons.is_empty() {
                        return Ok(());
                    }
                    writeln!(out)?;
                    let mut table = ctx.table(&["LESSON", "STATUS", "UPDATED", "COMPLETED"]);
                    for l in &p.lessons {
                        let status = match l.status {
                            LessonStatus::Completed => ctx.green("completed"),
                            LessonStatus::Started => ctx.yellow("started"),
                        };
                        table.add_row(vec![
                            format!("{}/{}", p.course_id, l.lesson_id),
                            status,
                            maybe_date(Some(&l.updated_at)),
                            maybe_date(l.completed_at.as_ref()),
                        ]);
                    }
                    write_table(out, &table)
                })
            }
        }
    }
}

/// Where "continue" goes: `COURSE/LESSON (title)`, or "complete".
fn next(p: &CourseProgress) -> String {
    match &p.resume {
        Some(r) => format!("{}/{} ({})", p.course_id, r.lesson_id, r.lesson_title),
        None if p.total_lessons > 0 && p.completed_lessons >= p.total_lessons => {
            "complete".to_owned()
        }
        None => "-".to_owned(),
    }
}
