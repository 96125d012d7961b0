//! `cloudmaster courses list|search|show`: the public catalog.

use clap::Subcommand;
use cloudmaster_core::api::{CourseDetail, CourseFilter};

use crate::context::Context;
use crate::output::{date, plural, price, write_fields, write_table};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CoursesCommand,
}

#[derive(Subcommand)]
enum CoursesCommand {
    /// List published courses, optionally filtered
    List(List),
    /// Full-text search over titles, summaries and lesson text (when logged in, lessons
    /// still locked for you are marked)
    Search(Search),
    /// Show a course: summary, objectives, exam blueprint and outline
    Show(Show),
}

#[derive(clap::Args)]
struct List {
    /// Only this provider (aws, kubernetes, terraform, ...)
    #[arg(long)]
    provider: Option<String>,
    /// Only this level (beginner, intermediate, advanced)
    #[arg(long)]
    level: Option<String>,
    /// Only courses with this tag
    #[arg(long)]
    tag: Option<String>,
    /// Only free courses
    #[arg(long)]
    free: bool,
}

#[derive(clap::Args)]
struct Search {
    /// Words to look for
    query: String,
    /// At most this many results
    #[arg(long, default_value_t = 20)]
    limit: u32,
}

#[derive(clap::Args)]
struct Show {
    /// Course id
    course: String,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        match self.command {
            CoursesCommand::List(list) => {
                let filter = CourseFilter {
                    provider: list.provider,
                    level: list.level,
                    tag: list.tag,
                    free: list.free.then_some(true),
                };
                let courses = client.list_courses(&filter).await?;
                ctx.print(&courses, |out| {
                    if courses.is_empty() {
                        return writeln!(out, "No courses match.");
                    }
                    let mut table = ctx.table(&[
                        "ID", "TITLE", "LEVEL", "PROVIDER", "PRICE", "HOURS", "LESSONS",
                    ]);
                    for c in &courses {
                        table.add_row(vec![
                            c.id.clone(),
                            c.title.clone(),
                            c.level.clone(),
                            c.provider.clone(),
                            price(c.price.as_ref()),
                            format!("{}", c.estimated_hours),
                            c.lesson_count.to_string(),
                        ]);
                    }
                    write_table(out, &table)
                })
            }
            CoursesCommand::Search(search) => {
                let hits = client.search(&search.query, Some(search.limit)).await?;
                ctx.print(&hits, |out| {
                    if hits.is_empty() {
                        return writeln!(out, "Nothing found for `{}`.", search.query);
                    }
                    for hit in &hits {
                        let place = match (&hit.lesson_id, &hit.lesson_title) {
                            (Some(id), Some(title)) => {
                                format!("{}/{id}  {} › {title}", hit.course_id, hit.course_title)
                            }
                            _ => format!("{}  {}", hit.course_id, hit.course_title),
                        };
                        let locked = if hit.locked {
                            format!("  {}", ctx.yellow("(locked)"))
                        } else {
                            String::new()
                        };
                        writeln!(out, "{}{locked}", ctx.bold(&place))?;
                        writeln!(out, "  {}", highlight(ctx, &hit.snippet))?;
                    }
                    if let Some(locked) = hits.iter().find(|h| h.locked) {
                        writeln!(
                            out,
                            "\nLocked lessons open once every lesson of the modules before \
                             theirs is completed: `cloudmaster progress {}` shows what comes next.",
                            locked.course_id
                        )?;
                    }
                    Ok(())
                })
            }
            CoursesCommand::Show(show) => {
                let course = client.course(&show.course).await?;
                ctx.print(&course, |out| show_course(ctx, out, &course))
            }
        }
    }
}

/// Snippets mark matches as `[term]`; on a terminal, show them bold instead.
fn highlight(ctx: &Context, snippet: &str) -> String {
    // One line per hit: snippets may span lines of the lesson.
    let joined = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
    let snippet = joined.as_str();
    if !ctx.color {
        return snippet.to_owned();
    }
    let mut text = String::new();
    let mut rest = snippet;
    while let Some(start) = rest.find('[') {
        let Some(len) = rest[start..].find(']') else {
            break;
        };
        text.push_str(&rest[..start]);
        text.push_str(&ctx.bold(&rest[start + 1..start + len]));
        rest = &rest[start + len + 1..];
    }
    text.push_str(rest);
    text
}

fn show_course(
    ctx: &Context,
    out: &mut dyn std::io::Write,
    c: &CourseDetail,
) -> std::io::Result<()> {
    let s = &c.summary;
    writeln!(
        out,
        "{}  {}",
        ctx.bold(&s.title),
        ctx.dim(&format!("({})", s.id))
    )?;
    writeln!(out, "{}", s.summary)?;
    writeln!(out)?;
    let mut fields = vec![
        ("level", s.level.clone()),
        ("provider", s.provider.clone()),
        ("price", price(s.price.as_ref())),
        ("hours", format!("{}", s.estimated_hours)),
        ("lessons", s.lesson_count.to_string()),
        ("tags", s.tags.join(", ")),
        (
            "version",
            format!("{} (published {})", s.version, date(&c.published_at)),
        ),
    ];
    if !c.prerequisites.is_empty() {
        fields.push(("prerequisites", c.prerequisites.join(", ")));
    }
    write_fields(out, &fields)?;
    if !c.objectives.is_empty() {
        writeln!(out, "\n{}", ctx.bold("Objectives"))?;
        for objective in &c.objectives {
            writeln!(out, "  - {objective}")?;
        }
    }
    if let Some(exam) = &c.exam {
        writeln!(
            out,
            "\n{} {} (pass mark {}%)",
            ctx.bold("Exam:"),
            exam.name,
            exam.pass_mark
        )?;
        for d in &exam.domains {
            writeln!(out, "  {:>3}%  {}", d.weight, d.title)?;
        }
    }
    writeln!(out, "\n{}", ctx.bold("Outline"))?;
    for (i, m) in c.modules.iter().enumerate() {
        writeln!(
            out,
            "  {}. {}  {}",
            i + 1,
            m.title,
            ctx.dim(&format!("({})", m.id))
        )?;
        for l in &m.lessons {
            let video = if l.has_video { ", video" } else { "" };
            writeln!(
                out,
                "     {}/{}  {}  {}",
                s.id,
                l.id,
                l.title,
                ctx.dim(&format!("{} min{video}", l.minutes))
            )?;
        }
        if let Some(q) = &m.quiz {
            writeln!(
                out,
                "     quiz {}  {}  {}",
                q.id,
                q.title,
                ctx.dim(&format!(
                    "{}, pass {}%",
                    plural(q.questions as usize, "question"),
                    q.pass_mark
                ))
            )?;
        }
        for lab in &m.labs {
            writeln!(out, "     lab {lab}")?;
        }
    }
    Ok(())
}
