//! `cloudmaster lab test PATH`: for authors and CI. Every step of a lab must fail on the
//! starter files (its checks check something) and pass once its solution is applied; see
//! `cloudmaster_core::lab::test_lab`. PATH is a lab folder, a course folder or a catalog of
//! courses, loaded and validated like `course validate` does. No server is involved.
//!
//! `publish` runs the same tests on every lab it is about to publish ([`gate`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cloudmaster_core::course::{Course, Lab, Severity};
use cloudmaster_core::lab::{LabTestReport, missing_tools, test_lab};
use serde::Serialize;

use crate::commands::course::{Report, check_local};
use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};
use crate::output::{plural, write_table};

#[derive(clap::Args)]
pub struct Test {
    /// A lab folder (with lab.yaml), a course folder, or a catalog folder of courses
    #[arg(default_value = ".")]
    path: PathBuf,
}

/// One lab's result.
#[derive(Serialize)]
pub struct TestedLab {
    pub course_id: String,
    #[serde(flatten)]
    pub report: LabTestReport,
}

/// `lab test -o json`.
#[derive(Serialize)]
struct TestReport {
    path: String,
    passed: bool,
    labs: Vec<TestedLab>,
}

impl Test {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let labs = load_labs(ctx, &self.path)?;
        let mut tested = Vec::with_capacity(labs.len());
        for (course_id, lab) in labs {
            let result = run_test(course_id, lab).await?;
            if ctx.human() {
                // Each lab as soon as it is done: testing a catalog takes a while.
                let mut out = std::io::stdout().lock();
                write_lab(ctx, &mut out, &result)?;
                out.flush()?;
            }
            tested.push(result);
        }
        let failing: Vec<String> = tested
            .iter()
            .filter(|t| !t.report.passed)
            .map(reference)
            .collect();
        let report = TestReport {
            path: self.path.display().to_string(),
            passed: failing.is_empty(),
            labs: tested,
        };
        ctx.print(&report, |out| {
            let summary = if failing.is_empty() {
                ctx.green(&format!(
                    "Tested {}: all pass.",
                    plural(report.labs.len(), "lab")
                ))
            } else {
                ctx.red(&format!(
                    "Tested {}: {} fail ({}).",
                    plural(report.labs.len(), "lab"),
                    failing.len(),
                    failing.join(", ")
                ))
            };
            writeln!(out, "{summary}")
        })?;
        if failing.is_empty() {
            Ok(())
        } else {
            let count = match report.labs.len() {
                1 => "the lab fails".to_owned(),
                n => format!("{} of {n} labs fail", failing.len()),
            };
            Err(fail(
                Exit::Failure,
                format!("{count} `lab test`: {}", failing.join(", ")),
            ))
        }
    }
}

/// Before publishing: tests every lab of `courses` and refuses when one fails, or when one
/// needs a tool that is missing here (its checks could not be trusted).
pub async fn gate(ctx: &Context, courses: &[Course]) -> anyhow::Result<()> {
    let labs: Vec<(String, Lab)> = courses
        .iter()
        .flat_map(|c| c.labs.iter().map(|l| (c.id.clone(), l.clone())))
        .collect();
    let missing: Vec<String> = labs
        .iter()
        .filter_map(|(course, lab)| {
            let tools = missing_tools(lab);
            (!tools.is_empty()).then(|| format!("{course}/{} needs {}", lab.id, tools.join(", ")))
        })
        .collect();
    if !missing.is_empty() {
        return Err(fail_with_hint(
            Exit::Failure,
            format!(
                "cannot test the labs before publishing: {} (not on PATH); nothing was published",
                missing.join("; ")
            ),
            "install the missing tools, or pass --skip-lab-tests to publish without testing the \
             labs (for example on a CI machine that lacks them)",
        ));
    }
    if labs.is_empty() {
        return Ok(());
    }
    ctx.notice(&format!(
        "Testing {} before publishing (--skip-lab-tests skips this)…",
        plural(labs.len(), "lab")
    ));
    let mut failing = Vec::new();
    for (course_id, lab) in labs {
        let tested = run_test(course_id, lab).await?;
        if tested.report.passed {
            continue;
        }
        let mut err = std::io::stderr().lock();
        writeln!(err, "lab {} fails `lab test`:", reference(&tested))?;
        for line in problem_lines(&tested.report, Severity::Error) {
            writeln!(err, "  {line}")?;
        }
        failing.push(reference(&tested));
    }
    if failing.is_empty() {
        return Ok(());
    }
    Err(fail_with_hint(
        Exit::Failure,
        format!(
            "{} {} `cloudmaster lab test`: {}; nothing was published",
            plural(failing.len(), "lab"),
            if failing.len() == 1 { "fails" } else { "fail" },
            failing.join(", ")
        ),
        "fix the labs (`cloudmaster lab test PATH` shows every step), or pass --skip-lab-tests",
    ))
}

/// The labs PATH names: one lab (a folder with `lab.yaml` inside `COURSE/labs/`), or every
/// lab of a course or catalog. Validation problems are reported like `course validate`.
fn load_labs(ctx: &Context, path: &Path) -> anyhow::Result<Vec<(String, Lab)>> {
    if !path.join("lab.yaml").is_file() {
        let courses = check_local(ctx, path, Report::Stderr)?;
        return Ok(courses
            .into_iter()
            .flat_map(|c| {
                let id = c.id;
                c.labs.into_iter().map(move |l| (id.clone(), l))
            })
            .collect());
    }
    let lab_dir = path
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", path.display()))?;
    let course_dir = lab_dir
        .parent()
        .filter(|labs| labs.file_name().is_some_and(|n| n == "labs"))
        .and_then(Path::parent)
        .filter(|course| course.join("course.yaml").is_file())
        .ok_or_else(|| {
            fail(
                Exit::Failure,
                format!(
                    "{} has a lab.yaml but is not in the labs/ folder of a course (COURSE/labs/LAB); \
                     labs are loaded with their course",
                    path.display()
                ),
            )
        })?;
    let name = lab_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let course = check_local(ctx, course_dir, Report::Stderr)?
        .into_iter()
        .next()
        .ok_or_else(|| fail(Exit::Failure, "the course folder holds no course"))?;
    let lab = course
        .labs
        .iter()
        .find(|l| l.id == name)
        .cloned()
        .ok_or_else(|| {
            fail(
                Exit::NotFound,
                format!("course `{}` has no lab `{name}`", course.id),
            )
        })?;
    Ok(vec![(course.id, lab)])
}

async fn run_test(course_id: String, lab: Lab) -> anyhow::Result<TestedLab> {
    let report = tokio::task::spawn_blocking(move || test_lab(&lab)).await?;
    Ok(TestedLab { course_id, report })
}

fn reference(tested: &TestedLab) -> String {
    format!("{}/{}", tested.course_id, tested.report.lab_id)
}

/// `step X: message` for each problem of `severity` (the lab's own first).
fn problem_lines(report: &LabTestReport, severity: Severity) -> Vec<String> {
    let own = report
        .problems
        .iter()
        .filter(|p| p.severity == severity)
        .map(|p| p.message.clone());
    let steps = report.steps.iter().flat_map(|s| {
        s.problems
            .iter()
            .filter(|p| p.severity == severity)
            .map(|p| format!("step {}: {}", s.step_id, p.message))
    });
    own.chain(steps).collect()
}

fn write_lab(ctx: &Context, out: &mut dyn Write, tested: &TestedLab) -> std::io::Result<()> {
    let report = &tested.report;
    let mark = |ok: bool| if ok { ctx.green("✓") } else { ctx.red("✗") };
    writeln!(
        out,
        "{} {} ({})",
        mark(report.passed),
        ctx.bold(&reference(tested)),
        plural(report.steps.len(), "step")
    )?;
    if !report.steps.is_empty() {
        let mut table = ctx.table(&["STEP", "FAILS ON STARTER", "PASSES AFTER SOLUTION"]);
        for step in &report.steps {
            table.add_row(vec![
                step.step_id.clone(),
                mark(step.before.iter().any(|c| c.failed())),
                mark(step.after.iter().all(|c| c.passed())),
            ]);
        }
        let mut lines = Vec::new();
        write_table(&mut lines, &table)?;
        for line in String::from_utf8_lossy(&lines).lines() {
            writeln!(out, "    {line}")?;
        }
    }
    for line in problem_lines(report, Severity::Error) {
        writeln!(out, "    {} {line}", ctx.red("error:"))?;
    }
    for line in problem_lines(report, Severity::Warning) {
        writeln!(out, "    {} {line}", ctx.yellow("warning:"))?;
    }
    if !report.missing_tools.is_empty() {
        writeln!(
            out,
            "    {} not on PATH: {} (checks that run {} fail until installed)",
            ctx.yellow("missing tools:"),
            report.missing_tools.join(", "),
            if report.missing_tools.len() == 1 {
                "it"
            } else {
                "them"
            }
        )?;
    }
    writeln!(out)
}
