//! `cloudmaster lab status`: the workspace's session as the server sees it — time left, the
//! idle deadline, each step's standing (hints shown of how many, self-reported steps) and
//! the current step with the hints revealed for it so far.

use cloudmaster_core::api::{LabSession, LabStepState};
use serde::Serialize;
use time::OffsetDateTime;

use super::workspace_state::{self, LabState};
use super::{WorkspaceDir, is_unreachable, time_left};
use crate::context::Context;
use crate::output::{date, write_fields, write_table};

#[derive(clap::Args)]
pub struct Status {
    #[command(flatten)]
    workspace: WorkspaceDir,
}

/// `lab status -o json`: the session, and where its workspace is.
#[derive(Serialize)]
struct Shown<'a> {
    workspace: String,
    #[serde(flatten)]
    session: &'a LabSession,
}

impl Status {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let mut workspace = workspace_state::find(self.workspace.dir.as_deref())?;
        let client = workspace_state::client(&mut workspace, ctx).await?;
        let session = client
            .lab_session(workspace.state.session_id)
            .await
            .map_err(|e| {
                let offline = is_unreachable(&e);
                let err = anyhow::Error::new(e);
                if offline {
                    err.context(
                        "cannot read the lab session (`cloudmaster lab check` works offline)",
                    )
                } else {
                    err
                }
            })?;
        workspace.state.sync(&session);
        workspace.save()?;
        let shown = Shown {
            workspace: workspace.root.display().to_string(),
            session: &session,
        };
        ctx.print(&shown, |out| {
            write_status(ctx, out, &workspace.state, &session, &shown.workspace)
        })
    }
}

fn write_status(
    ctx: &Context,
    out: &mut dyn std::io::Write,
    state: &LabState,
    session: &LabSession,
    workspace: &str,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {}",
        ctx.bold(&state.reference()),
        session.lab_title
    )?;
    let now = OffsetDateTime::now_utc();
    let active = session.status == cloudmaster_core::api::LabSessionStatus::Active;
    let status = match session.status.as_str() {
        "passed" => ctx.green("passed"),
        "active" => "active".to_owned(),
        other => ctx.red(other),
    };
    let mut fields = vec![
        ("session", format!("{} ({status})", session.id)),
        ("workspace", workspace.to_owned()),
        ("started", format!("{} UTC", date(&session.started_at))),
    ];
    if active {
        fields.push((
            "time left",
            format!(
                "{} (the session ends at {} UTC)",
                time_left(session.expires_at, now),
                date(&session.expires_at)
            ),
        ));
        fields.push((
            "idle until",
            format!(
                "{} UTC (a check, hint or submit keeps the session alive)",
                date(&session.idle_expires_at)
            ),
        ));
    } else if let Some(ended) = &session.ended_at {
        fields.push(("ended", format!("{} UTC", date(ended))));
    }
    fields.push(("submissions", session.submissions.to_string()));
    write_fields(out, &fields)?;
    writeln!(out)?;

    let mut table = ctx.table(&["STEP", "TITLE", "STATUS"]);
    for step in &session.steps {
        let current = session.current_step.as_deref() == Some(step.id.as_str());
        let local_pass = state.local(&step.id).is_some_and(|l| l.passed);
        table.add_row(vec![
            step.id.clone(),
            step.title.clone(),
            step_status(ctx, step, current, local_pass),
        ]);
    }
    write_table(out, &table)?;
    if active {
        writeln!(out)?;
        match session.current_step.as_deref() {
            Some(step) => {
                write_revealed_hints(ctx, out, state, step)?;
                writeln!(
                    out,
                    "Current step: {step}. `cloudmaster lab check` checks it; `cloudmaster lab \
                     hint` gives a hint."
                )?;
            }
            None => writeln!(out, "Every step is done: `cloudmaster lab submit`.")?,
        }
    }
    Ok(())
}

/// The hints of `step` revealed so far, as the workspace keeps them.
fn write_revealed_hints(
    ctx: &Context,
    out: &mut dyn std::io::Write,
    state: &LabState,
    step: &str,
) -> std::io::Result<()> {
    let Some(hints) = state.step(step).map(|s| &s.hints) else {
        return Ok(());
    };
    let shown = state.local(step).map_or(0, |l| l.hints_shown as usize);
    for (i, hint) in hints.iter().enumerate().take(shown) {
        let text = if hint.text.is_empty() {
            "(revealed elsewhere; `cloudmaster lab start` in this folder fetches it)"
        } else {
            hint.text.as_str()
        };
        let label = format!("Hint {} of {}:", i + 1, hints.len());
        writeln!(out, "{} {text}", ctx.yellow(&label))?;
    }
    Ok(())
}

fn step_status(ctx: &Context, step: &LabStepState, current: bool, local_pass: bool) -> String {
    let mut text = if step.skipped {
        ctx.yellow("skipped (no credit)")
    } else if step.passed {
        ctx.green("✓ passed")
    } else if local_pass {
        ctx.green("✓ passed locally (not recorded yet)")
    } else if step.failed_checks > 0 {
        ctx.red(&format!(
            "✗ {}",
            crate::output::plural(step.failed_checks as usize, "failed check")
        ))
    } else {
        "-".to_owned()
    };
    if step.hints > 0 {
        text.push_str(&format!(
            ", {} of {} hints shown",
            step.hints_shown, step.hints
        ));
    }
    if step.self_reported {
        text.push_str(", self-reported");
    }
    if current {
        text.push_str(" ← current");
    }
    text
}
