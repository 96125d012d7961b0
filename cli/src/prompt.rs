//! Questions to the person at the terminal: passwords (a hidden prompt, or the first line of
//! stdin with `--password-stdin`; never a flag) and confirmations (`--yes` answers them).
//! Without a terminal on stdin nothing is asked: the command fails with a usage error that
//! says which option to use.

use std::io::{BufRead, IsTerminal, Write};

use crate::context::Context;
use crate::exit::{Exit, fail};

/// Reads a password: from stdin when `from_stdin`, else from a hidden prompt (twice when
/// `confirm`, for new passwords).
pub fn password(from_stdin: bool, confirm: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\n', '\r']).to_owned();
        if password.is_empty() {
            return Err(fail(Exit::Usage, "--password-stdin: stdin had no password"));
        }
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            Exit::Usage,
            "stdin is not a terminal, so no password can be asked for: pipe it and pass \
             --password-stdin",
        ));
    }
    let password = rpassword::prompt_password("Password: ")?;
    if password.is_empty() {
        return Err(fail(Exit::Usage, "no password given"));
    }
    if confirm && rpassword::prompt_password("Repeat password: ")? != password {
        return Err(fail(Exit::Usage, "the passwords do not match"));
    }
    Ok(password)
}

/// Asks `question` (a yes/no question); `--yes` answers yes.
pub fn confirm(ctx: &Context, question: &str) -> anyhow::Result<()> {
    if ctx.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            Exit::Usage,
            format!("{question} — stdin is not a terminal: pass --yes to confirm"),
        ));
    }
    let mut stderr = std::io::stderr().lock();
    write!(stderr, "{question} [y/N] ")?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(fail(Exit::Failure, "cancelled"))
    }
}
