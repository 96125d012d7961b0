//! `cloudmaster lab list COURSE`: the course's labs, the caller's standing, and which of the
//! local tools each lab needs are missing on this machine.

use cloudmaster_core::api::LabSummary;
use cloudmaster_core::course::Lab;
use cloudmaster_core::lab::missing_tools;
use serde::Serialize;

use crate::context::Context;
use crate::output::write_table;

#[derive(clap::Args)]
pub struct List {
    /// Course id
    course: String,
}

/// A lab as the API lists it, plus the tools missing here.
#[derive(Serialize)]
struct Listed {
    #[serde(flatten)]
    lab: LabSummary,
    missing_tools: Vec<String>,
}

impl List {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let labs = ctx.client()?.labs(&self.course).await?;
        let listed: Vec<Listed> = labs
            .into_iter()
            .map(|lab| {
                let missing = missing_tools(&Lab {
                    tools: lab.tools.clone(),
                    ..Lab::default()
                });
                Listed {
                    lab,
                    missing_tools: missing,
                }
            })
            .collect();
        ctx.print(&listed, |out| {
            if listed.is_empty() {
                return writeln!(out, "Course `{}` has no labs.", self.course);
            }
            let mut table = ctx.table(&[
                "ID",
                "TITLE",
                "DIFFICULTY",
                "MINUTES",
                "STEPS",
                "TOOLS",
                "PASSED",
                "SESSION",
            ]);
            for Listed { lab, missing_tools } in &listed {
                let tools = if lab.tools.is_empty() {
                    "-".to_owned()
                } else {
                    lab.tools
                        .iter()
                        .map(|t| {
                            if missing_tools.contains(t) {
                                ctx.red(&format!("{t} (missing)"))
                            } else {
                                t.clone()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                table.add_row(vec![
                    format!("{}/{}", self.course, lab.id),
                    lab.title.clone(),
                    lab.difficulty.clone(),
                    lab.estimated_minutes.to_string(),
                    lab.steps.to_string(),
                    tools,
                    if lab.passed {
                        ctx.green("yes")
                    } else if lab.locked {
                        "locked".to_owned()
                    } else {
                        "no".to_owned()
                    },
                    lab.active_session
                        .map_or_else(|| "-".to_owned(), |s| format!("active {s}")),
                ]);
            }
            write_table(out, &table)?;
            if listed.iter().any(|l| !l.missing_tools.is_empty()) {
                writeln!(
                    out,
                    "\nSome labs need programs that are not on PATH; install them before starting \
                     those labs (`cloudmaster doctor` lists common ones)."
                )?;
            }
            Ok(())
        })
    }
}
