//! `cloudmaster course new|validate|preview|versions|rollback`: authoring.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use cloudmaster_core::course::{self, Course, Diagnostic, scaffold_course};
use serde::Serialize;

use super::publish::write_outcome;
use crate::context::Context;
use crate::diagnostics;
use crate::exit::{Exit, fail};
use crate::output::{date, write_table};
use crate::prompt;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CourseCommand,
}

#[derive(Subcommand)]
enum CourseCommand {
    /// Scaffold a new course (a small valid course to start from)
    New(New),
    /// Check a course or a catalog of courses; exits 1 when there are errors
    Validate(Validate),
    /// Open the TUI on local course files, with no server: read the lessons, take the
    /// quizzes (graded here, with explanations), run the labs' checks
    Preview(Preview),
    /// List the published versions of a course
    Versions(Versions),
    /// Publish an earlier version's content again, as a new version
    Rollback(Rollback),
}

#[derive(clap::Args)]
struct New {
    /// Course id: lower-case letters, digits and `-`, starting with a letter
    id: String,
    /// Folder to create [default: ./ID]
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct Validate {
    /// A course folder (with course.yaml) or a catalog folder of courses
    #[arg(default_value = ".")]
    path: PathBuf,
}

#[derive(clap::Args)]
struct Preview {
    /// A course folder (with course.yaml) or a catalog folder of courses
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Folder for lab workspaces [default: a temporary folder, removed afterwards]
    #[arg(long, value_name = "DIR")]
    lab_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct Versions {
    /// Course id
    course: String,
}

#[derive(clap::Args)]
struct Rollback {
    /// Course id
    course: String,
    /// The version whose content to restore
    #[arg(long = "to", value_name = "VERSION")]
    version: i64,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.command {
            CourseCommand::New(new) => new.run(ctx),
            CourseCommand::Validate(validate) => {
                check_local(ctx, &validate.path, Report::Stdout).map(drop)
            }
            CourseCommand::Preview(preview) => preview.run(ctx).await,
            CourseCommand::Versions(versions) => {
                let list = ctx.client()?.versions(&versions.course).await?;
                ctx.print(&list, |out| {
                    let mut table = ctx.table(&["VERSION", "PUBLISHED", "BY", "RESTORED FROM", ""]);
                    for v in &list {
                        table.add_row(vec![
                            v.version.to_string(),
                            date(&v.published_at),
                            v.published_by.to_string(),
                            v.restored_from
                                .map_or_else(|| "-".to_owned(), |r| r.to_string()),
                            if v.current {
                                "current".to_owned()
                            } else {
                                String::new()
                            },
                        ]);
                    }
                    write_table(out, &table)
                })
            }
            CourseCommand::Rollback(rollback) => {
                prompt::confirm(
                    ctx,
                    &format!(
                        "Publish the content of version {} of `{}` as its new current version?",
                        rollback.version, rollback.course
                    ),
                )?;
                let outcome = ctx
                    .client()?
                    .rollback(&rollback.course, rollback.version)
                    .await?;
                ctx.print(&outcome, |out| write_outcome(ctx, out, &outcome))
            }
        }
    }
}

impl New {
    fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let dir = self.dir.unwrap_or_else(|| PathBuf::from(&self.id));
        scaffold_course(&dir, &self.id)?;
        let shown = dir.display().to_string();
        ctx.print(
            &serde_json::json!({ "id": self.id, "path": shown }),
            |out| {
                writeln!(out, "Created course `{}` in {shown}.", self.id)?;
                writeln!(out, "Next: edit {shown}/course.yaml, then")?;
                writeln!(out, "  cloudmaster course validate {shown}")?;
                writeln!(out, "  cloudmaster publish {shown} --dry-run")
            },
        )
    }
}

impl Preview {
    /// Validates first (problems on stderr; errors stop it, as they would stop `publish`),
    /// then hands the loaded courses to the TUI's preview backend.
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let courses = check_local(ctx, &self.path, Report::Stderr)?;
        super::tui::require_terminal("cloudmaster course preview")?;
        let temporary;
        let lab_dir = match self.lab_dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                std::path::absolute(&dir)?
            }
            None => {
                temporary = tempfile::Builder::new()
                    .prefix("cloudmaster-preview-")
                    .tempdir()
                    .context("cannot create a temporary folder for lab workspaces")?;
                temporary.path().to_owned()
            }
        };
        cloudmaster_tui::preview(courses, lab_dir).await
    }
}

/// Where [`check_local`] reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// `course validate`: the diagnostics are the output (stdout, or JSON/YAML).
    Stdout,
    /// `publish`: diagnostics go to stderr; stdout is for the plan.
    Stderr,
}

/// `course validate -o json`.
#[derive(Serialize)]
struct ValidationReport<'a> {
    path: String,
    courses: Vec<&'a str>,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

/// Loads and validates the course or catalog at `path`, reports what is wrong and fails
/// (exit 1) when anything is an error.
pub fn check_local(ctx: &Context, path: &Path, report: Report) -> anyhow::Result<Vec<Course>> {
    let (courses, mut found) = course::load_catalog(path)?;
    let shown = path.display().to_string();
    for d in &mut found {
        d.rebase(&shown);
    }
    let errors = found.iter().filter(|d| d.is_error()).count();
    let ids: Vec<&str> = courses.iter().map(|c| c.id.as_str()).collect();
    let summary = format!(
        "checked {} ({}): {}",
        crate::output::plural(courses.len(), "course"),
        ids.join(", "),
        course::summary(&found)
    );
    match report {
        Report::Stdout => {
            let value = ValidationReport {
                path: shown.clone(),
                courses: ids.clone(),
                errors,
                warnings: found.len() - errors,
                diagnostics: &found,
            };
            ctx.print(&value, |out| {
                // Files are already rebased onto `shown`, so read sources from the cwd.
                diagnostics::render(out, &found, Path::new(""), ".", ctx.color)?;
                writeln!(out, "{summary}")
            })?;
        }
        Report::Stderr => {
            if !found.is_empty() {
                let mut err = std::io::stderr().lock();
                diagnostics::render(&mut err, &found, Path::new(""), ".", ctx.stderr_color)?;
            }
        }
    }
    if errors > 0 {
        return Err(fail(
            Exit::Failure,
            format!("{shown}: {}", course::summary(&found)),
        ));
    }
    Ok(courses)
}
