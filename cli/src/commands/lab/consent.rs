//! Asking before a lab's programs run on this machine. `command` and `script` conditions are
//! the course author's code, run as the learner: `lab check` (with or without `--watch`) and
//! `lab submit` show what would run and ask once per server, course, lab and set of
//! programs ([`cloudmaster_core::lab::consent`]). `--yes` allows them without asking (for
//! scripts and CI, after reviewing them); without a terminal and without `--yes` the command
//! lists them and stops with a usage error, running nothing.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use cloudmaster_core::lab::LabState;
use cloudmaster_core::lab::consent::{self, ConsentKey, ConsentStore};

use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};
use crate::output::plural;

/// Lines of each script shown before asking.
const SCRIPT_LINES: usize = 20;

/// Returns once the programs of the workspace's lab may run here (or it has none); fails,
/// having run nothing, when the learner says no or cannot be asked.
pub fn require(ctx: &Context, state: &LabState) -> anyhow::Result<()> {
    let programs = consent::programs(&state.lab);
    if programs.is_empty() {
        return Ok(());
    }
    let store = ConsentStore::in_data_dir(&ctx.config.paths.data_dir);
    let key = ConsentKey {
        server: state.server.clone(),
        course_id: state.course_id.clone(),
        lab_id: state.lab_id.clone(),
        lab_version: state.lab.version,
    };
    let digest = consent::digest(&programs);
    if store.granted(&key, &digest) {
        return Ok(());
    }
    let reference = state.reference();
    let count = plural(programs.len(), "program");
    if ctx.yes {
        store.grant(&key, &digest)?;
        ctx.notice(&format!(
            "--yes: the {count} of {reference} may run on this machine (remembered in {})",
            store.path().display()
        ));
        return Ok(());
    }
    let listing = format!(
        "The checks of {reference} (version {}) run {count} from the course on this machine, \
         as you, in the workspace:\n{}",
        state.lab.version,
        consent::describe(&programs, SCRIPT_LINES)
    );
    let mut stderr = std::io::stderr().lock();
    write!(stderr, "{listing}")?;
    if !std::io::stdin().is_terminal() {
        return Err(fail_with_hint(
            Exit::Usage,
            format!(
                "the {count} of {reference} (listed above) need your consent to run, and stdin \
                 is not a terminal to ask: nothing was run"
            ),
            "review them, then rerun with --yes to allow them (asked again only when a new \
             version of the lab changes them)",
        ));
    }
    write!(stderr, "Allow them to run? [y/N] ")?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        return Err(fail(
            Exit::Failure,
            format!(
                "not allowed: nothing was run; the checks of {reference} need its programs \
                 (you are asked again next time)"
            ),
        ));
    }
    store.grant(&key, &digest)?;
    Ok(())
}
