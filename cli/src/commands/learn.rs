//! `cloudmaster learn COURSE`: continue where you left off. Asks the server for the resume
//! point, records that lesson as started, shows it like `lesson show` and ends with what to
//! do next. When every lesson is done, points to the quizzes, the mock exam and readiness.

use cloudmaster_core::api::{
    AssessmentInfo, AssessmentKind, CourseDetail, CourseProgress, LessonProgressUpdate,
    LessonStatus, ResumePoint,
};

use super::lesson::{fetch, lesson_text};
use crate::context::Context;
use crate::learning::render::Presentation;
use crate::learning::unlock_hint;

#[derive(clap::Args)]
pub struct Args {
    /// Course id
    course: String,
    /// Plain text: no colours and no pager, even on a terminal
    #[arg(long)]
    plain: bool,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        let course = self.course.as_str();
        let progress = client.course_progress(course).await?;
        let Some(resume) = &progress.resume else {
            let detail = client.course(course).await?;
            let assessments = client.assessments(course).await.unwrap_or_default();
            return ctx.print(&progress, |out| {
                writeln!(
                    out,
                    "{}",
                    complete_message(&progress, &detail, &assessments)
                )
            });
        };
        let lesson = fetch(ctx, course, &resume.lesson_id).await?;
        let update = LessonProgressUpdate {
            status: LessonStatus::Started,
            position: resume.position,
        };
        // A lesson already completed (read again) keeps its completion: the server makes
        // completion sticky.
        client
            .record_lesson_progress(course, &lesson.id, &update)
            .await
            .map_err(|e| unlock_hint(e, course))?;
        if !ctx.human() {
            return ctx.print(&lesson, |_| Ok(()));
        }
        let presentation = Presentation::for_stdout(ctx, self.plain);
        presentation.show(&lesson_text(&lesson, &presentation))?;
        // After the pager closes, so it stays on the screen.
        let detail = client.course(course).await.ok();
        ctx.print(&lesson, |out| {
            writeln!(out)?;
            writeln!(
                out,
                "Done? `cloudmaster lesson done {course}/{}`; next: {}",
                lesson.id,
                next_step(course, resume, detail.as_ref())
            )
        })
    }
}

/// What comes after the resume lesson: the next lesson of its module, else the module's
/// quiz, else the first lesson of the next module, else the mock exam or readiness.
fn next_step(course: &str, resume: &ResumePoint, detail: Option<&CourseDetail>) -> String {
    let Some(detail) = detail else {
        return format!("`cloudmaster learn {course}`");
    };
    let Some(m) = detail.modules.iter().position(|m| m.id == resume.module_id) else {
        return format!("`cloudmaster learn {course}`");
    };
    let module = &detail.modules[m];
    if let Some(l) = module.lessons.iter().position(|l| l.id == resume.lesson_id)
        && let Some(next) = module.lessons.get(l + 1)
    {
        return format!(
            "{course}/{} ({}), with `cloudmaster learn {course}`",
            next.id, next.title
        );
    }
    if let Some(quiz) = &module.quiz {
        return format!(
            "the module quiz, `cloudmaster quiz start {course}/{}`",
            quiz.id
        );
    }
    if let Some(next) = detail.modules[m + 1..]
        .iter()
        .find_map(|m| m.lessons.first())
    {
        return format!(
            "{course}/{} ({}), with `cloudmaster learn {course}`",
            next.id, next.title
        );
    }
    format!("`cloudmaster quiz list {course}` and `cloudmaster readiness {course}`")
}

fn complete_message(
    progress: &CourseProgress,
    detail: &CourseDetail,
    assessments: &[AssessmentInfo],
) -> String {
    let course = &progress.course_id;
    let mut lines = vec![format!(
        "Every lesson of {} is complete ({}/{}).",
        progress.course_title, progress.completed_lessons, progress.total_lessons
    )];
    if detail.modules.iter().any(|m| m.quiz.is_some()) {
        lines.push(format!("Quizzes: `cloudmaster quiz list {course}`"));
    }
    if let Some(exam) = assessments
        .iter()
        .find(|a| a.kind == AssessmentKind::MockExam)
    {
        lines.push(format!(
            "Mock exam ({}): `cloudmaster exam start {course}`",
            exam.title
        ));
    }
    if detail.exam.is_some() {
        lines.push(format!("Exam readiness: `cloudmaster readiness {course}`"));
    }
    lines.push(format!(
        "Review what is due: `cloudmaster review --course {course}`"
    ));
    lines.join("\n")
}
