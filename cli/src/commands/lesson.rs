//! `cloudmaster lesson show|video|start|done COURSE/LESSON`: read a lesson (rendered Markdown,
//! paged on a terminal), open its video, and record progress.

use std::fmt::Write as _;

use clap::Subcommand;
use cloudmaster_core::api::{Lesson, LessonProgressUpdate, LessonStatus};

use super::split_ref;
use crate::context::Context;
use crate::exit::{Exit, fail};
use crate::learning::render::Presentation;
use crate::learning::unlock_hint;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: LessonCommand,
}

#[derive(Subcommand)]
enum LessonCommand {
    /// Show a lesson: rendered and paged on a terminal, plain text in a pipe
    Show(Show),
    /// Open a lesson's video in the browser (or print its URL)
    Video(Video),
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

#[derive(clap::Args)]
struct Show {
    #[command(flatten)]
    target: Target,
    /// Plain text: no colours and no pager, even on a terminal
    #[arg(long)]
    plain: bool,
    /// Show the video's transcript instead of the lesson text
    #[arg(long)]
    transcript: bool,
}

#[derive(clap::Args)]
struct Video {
    #[command(flatten)]
    target: Target,
    /// Only print the URL
    #[arg(long)]
    print: bool,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let (target, status) = match self.command {
            LessonCommand::Show(show) => return show.run(ctx).await,
            LessonCommand::Video(video) => return video.run(ctx).await,
            LessonCommand::Start(target) => (target, LessonStatus::Started),
            LessonCommand::Done(target) => (target, LessonStatus::Completed),
        };
        let client = ctx.client()?;
        let (course, lesson) = split_ref(&target.lesson, "LESSON")?;
        let update = LessonProgressUpdate {
            status,
            position: None,
        };
        let recorded = client
            .record_lesson_progress(&course, &lesson, &update)
            .await
            .map_err(|e| unlock_hint(e, &course))?;
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

impl Show {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let (course, lesson) = split_ref(&self.target.lesson, "LESSON")?;
        let lesson = fetch(ctx, &course, &lesson).await?;
        if !ctx.human() {
            return ctx.print(&lesson, |_| Ok(()));
        }
        let presentation = Presentation::for_stdout(ctx, self.plain);
        if self.transcript {
            let Some(transcript) = &lesson.transcript else {
                return Err(fail(
                    Exit::NotFound,
                    format!("lesson {course}/{} has no transcript", lesson.id),
                ));
            };
            let title = format!("# {} (transcript)\n\n", lesson.title);
            return presentation.show(&presentation.markdown(&(title + transcript)));
        }
        presentation.show(&lesson_text(&lesson, &presentation))
    }
}

/// Fetches a lesson, explaining a locked one.
pub async fn fetch(ctx: &Context, course: &str, lesson: &str) -> anyhow::Result<Lesson> {
    ctx.client()?
        .lesson(course, lesson)
        .await
        .map_err(|e| unlock_hint(e, course))
}

/// A lesson as shown: its title (unless the text opens with a heading), the text, then the
/// video and resources.
pub fn lesson_text(lesson: &Lesson, presentation: &Presentation) -> String {
    let mut markdown = String::new();
    if !lesson.body.trim_start().starts_with('#') {
        let _ = write!(markdown, "# {}\n\n", lesson.title);
    }
    markdown.push_str(lesson.body.trim_end());
    markdown.push_str("\n\n");
    if let Some(video) = &lesson.video {
        let _ = write!(
            markdown,
            "Video: <{video}> (`cloudmaster lesson video {}/{}`",
            lesson.course_id, lesson.id
        );
        if lesson.transcript.is_some() {
            markdown.push_str("; transcript: `--transcript`");
        }
        markdown.push_str(")\n\n");
    }
    if !lesson.resources.is_empty() {
        markdown.push_str("Resources:\n\n");
        for r in &lesson.resources {
            let _ = writeln!(markdown, "- [{}]({})", r.title, r.url);
        }
    }
    presentation.markdown(&markdown)
}

impl Video {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let (course, lesson) = split_ref(&self.target.lesson, "LESSON")?;
        let lesson = fetch(ctx, &course, &lesson).await?;
        let Some(url) = lesson.video else {
            return Err(fail(
                Exit::NotFound,
                format!("lesson {course}/{} has no video", lesson.id),
            ));
        };
        if self.print || !ctx.human() {
            return ctx.print(&url, |out| writeln!(out, "{url}"));
        }
        match open_url(&url) {
            Ok(()) => {
                ctx.notice(&format!("Opened {url}"));
                Ok(())
            }
            Err(why) => {
                ctx.notice(&format!("Could not open a browser ({why}); open this URL:"));
                ctx.print(&url, |out| writeln!(out, "{url}"))
            }
        }
    }
}

/// Opens `url` with the system's opener; why not, when it cannot.
fn open_url(url: &str) -> Result<(), String> {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        // `start` is a cmd built-in; its first quoted argument is the window title.
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    let output = std::process::Command::new(program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        Err(if first.is_empty() {
            format!("{program} exited with {}", output.status)
        } else {
            format!("{program}: {first}")
        })
    }
}
