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
        return stdin_line("a password", "--password-stdin");
    }
    new_password("Password: ", confirm, "--password-stdin")
}

/// Reads the next line of stdin, for options that take secrets from it (`flag`, named in
/// the error when the line is missing or empty).
pub fn stdin_line(what: &str, flag: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.trim_end_matches(['\n', '\r']).to_owned();
    if line.is_empty() {
        return Err(fail(Exit::Usage, format!("{flag}: stdin had no {what}")));
    }
    Ok(line)
}

/// Asks for a secret at a hidden prompt; without a terminal, fails saying to pipe it and
/// pass `flag`.
pub fn hidden(label: &str, flag: &str) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            Exit::Usage,
            format!(
                "stdin is not a terminal, so nothing can be asked for: pipe it and pass {flag}"
            ),
        ));
    }
    let answer = rpassword::prompt_password(label)?;
    if answer.is_empty() {
        return Err(fail(Exit::Usage, "nothing given"));
    }
    Ok(answer)
}

/// Asks for a new password at a hidden prompt, twice when `confirm`.
pub fn new_password(label: &str, confirm: bool, flag: &str) -> anyhow::Result<String> {
    let password = hidden(label, flag)?;
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
