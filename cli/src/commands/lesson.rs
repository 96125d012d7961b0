//! `cloudmaster lesson show|start|done COURSE/LESSON`: read a lesson and record progress.

use clap::Subcommand;
use cloudmaster_core::api::{LessonProgressUpdate, LessonStatus};

use super::split_ref;
use crate::context::Context;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: LessonCommand,
}

#[derive(Subcommand)]
enum LessonCommand {
    /// Print a lesson's Markdown (you must be enrolled)
    Show(Target),
    /// Record that you started a lesson
    Start(Target),
    /// Record that you completed a lesson
    Done(Target),
}

#[derive(clap::Args)]
struct Target {
    /// COURSE/LESSON, such as aws-saa/iam-policies
    #[arg(value_name = "COURSE/LESSON")]
    lesson: String,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        let (target, status) = match self.command {
            LessonCommand::Show(target) => {
                let (course, lesson) = split_ref(&target.lesson, "LESSON")?;
                let lesson = client.lesson(&course, &lesson).await?;
                return ctx.print(&lesson, |out| {
                    if !lesson.body.trim_start().starts_with('#') {
                        writeln!(out, "{}\n", ctx.bold(&format!("# {}", lesson.title)))?;
                    }
                    writeln!(out, "{}", lesson.body.trim_end())?;
                    if let Some(video) = &lesson.video {
                        writeln!(out, "\nVideo: {video}")?;
                    }
                    for r in &lesson.resources {
                        writeln!(out, "- {}: {}", r.title, r.url)?;
                    }
                    Ok(())
                });
            }
            LessonCommand::Start(target) => (target, LessonStatus::Started),
            LessonCommand::Done(target) => (target, LessonStatus::Completed),
        };
        let (course, lesson) = split_ref(&target.lesson, "LESSON")?;
        let update = LessonProgressUpdate {
            status,
            position: None,
        };
        let recorded = client
            .record_lesson_progress(&course, &lesson, &update)
            .await?;
        if !ctx.human() {
            return ctx.print(&recorded, |_| Ok(()));
        }
        // One more call for the summary line people want to see.
        let summary = client.course_progress(&course).await.ok();
        ctx.print(&recorded, |out| {
            writeln!(
                out,
                "Marked {course}/{lesson} {}.",
                recorded.status.as_str()
            )?;
            if let Some(p) = &summary {
                write!(
                    out,
                    "{}: {}/{} lessons, {}%",
                    p.course_title, p.completed_lessons, p.total_lessons, p.percent
                )?;
                match &p.resume {
                    Some(r) => {
                        writeln!(out, "; next: {course}/{} ({})", r.lesson_id, r.lesson_title)
                    }
                    None => writeln!(out),
                }?;
            }
            Ok(())
        })
    }
}
