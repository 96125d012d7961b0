//! `cloudmaster mastery COURSE`: how likely you know each exam domain and skill (Bayesian
//! knowledge tracing, updated on every graded answer).

use cloudmaster_core::api::MasteryEntry;

use crate::context::Context;
use crate::learning::report::fraction_percent;
use crate::output::write_table;

#[derive(clap::Args)]
pub struct Args {
    /// Course id
    course: String,
}

/// Cells of the bar.
const BAR: usize = 10;

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let report = ctx.client()?.mastery(&self.course).await?;
        ctx.print(&report, |out| {
            writeln!(
                out,
                "Mastery in {}, from {} graded answers.",
                ctx.bold(&report.course_id),
                report.answers
            )?;
            if report.domains.is_empty() && report.skills.is_empty() {
                return writeln!(out, "The course has no exam domains or skills to track.");
            }
            for (label, entries) in [("DOMAIN", &report.domains), ("SKILL", &report.skills)] {
                if entries.is_empty() {
                    continue;
                }
                writeln!(out)?;
                let with_titles = label == "DOMAIN";
                let mut header = vec![label];
                if with_titles {
                    header.push("TITLE");
                }
                header.extend(["KNOWN", "", "ANSWERS", "MASTERED"]);
                let mut table = ctx.table(&header);
                for entry in entries.iter() {
                    table.add_row(row(ctx, entry, with_titles));
                }
                write_table(out, &table)?;
            }
            if report.answers == 0 {
                writeln!(
                    out,
                    "\nNo answers yet: these are the starting estimates. Take a quiz \
                     (`cloudmaster quiz list {}`) to move them.",
                    report.course_id
                )?;
            }
            Ok(())
        })
    }
}

fn row(ctx: &Context, entry: &MasteryEntry, with_title: bool) -> Vec<String> {
    let mut cells = vec![entry.id.clone()];
    if with_title {
        cells.push(entry.title.clone());
    }
    let bar = bar(entry.p_known);
    cells.extend([
        fraction_percent(entry.p_known),
        if entry.mastered { ctx.green(&bar) } else { bar },
        entry.answers.to_string(),
        if entry.mastered {
            ctx.green("✓ mastered")
        } else {
            "-".to_owned()
        },
    ]);
    cells
}

/// `p` in `[0, 1]` as a bar of [`BAR`] cells: `██████░░░░`.
fn bar(p: f64) -> String {
    let filled = ((p.clamp(0.0, 1.0) * BAR as f64).round() as usize).min(BAR);
    "█".repeat(filled) + &"░".repeat(BAR - filled)
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bars() {
        assert_eq!(bar(0.0), "░░░░░░░░░░");
        assert_eq!(bar(0.62), "██████░░░░");
        assert_eq!(bar(1.5), "██████████");
    }
}
