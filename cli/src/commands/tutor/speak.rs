//! `--speak`: the answer read aloud by espeak-ng (or the older espeak) when one is on
//! `PATH`, its text on stdin. Citation markers (`[1]`) and Markdown's asterisks and
//! backticks are left out: read aloud they are noise. Speaking is an extra: when it cannot
//! be done a warning says why and the command still succeeds, the answer being printed.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use crate::commands::doctor::find_program;
use crate::context::Context;

/// The programs tried, in order.
const SPEAKERS: [&str; 2] = ["espeak-ng", "espeak"];

/// Reads `answer` aloud, or warns why it cannot.
pub async fn speak(ctx: &Context, answer: &str) {
    let search_path = std::env::var_os("PATH").unwrap_or_default();
    let Some(program) = SPEAKERS
        .iter()
        .find_map(|name| find_program(name, &search_path))
    else {
        ctx.warn(
            "no text-to-speech program found: install espeak-ng (Debian: apt-get install \
             espeak-ng)",
        );
        return;
    };
    if let Err(e) = run(&program, &spoken(answer)).await {
        ctx.warn(&format!(
            "{} could not read the answer aloud: {e}",
            program.display()
        ));
    }
}

async fn run(program: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut child = tokio::process::Command::new(program)
        .arg("--stdin")
        .stdin(Stdio::piped())
        // It plays the sound itself; nothing it prints belongs in our output.
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).await?;
        // Closing stdin tells it the text is complete.
        drop(stdin);
    }
    let status = child.wait().await?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("it ended with {status}")))
    }
}

/// `text` as it should be heard: without citation markers (`[1]`, `[1, 3]`, `[2][4]`) or
/// the asterisks and backticks of Markdown.
pub fn spoken(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let (before, from) = rest.split_at(open);
        out.push_str(before);
        match marker_len(from) {
            Some(len) => {
                rest = &from[len..];
                // "word [1]." reads "word."; "[1] Title" reads "Title".
                if out.is_empty() || out.ends_with('\n') {
                    rest = rest.trim_start_matches(' ');
                } else if out.ends_with(' ') {
                    out.pop();
                }
            }
            None => {
                out.push('[');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    out.retain(|c| !matches!(c, '*' | '`'));
    out
}

/// The length of the citation marker `s` starts with: `[` digits (`,` and spaces between)
/// `]`.
fn marker_len(s: &str) -> Option<usize> {
    let close = s.find(']')?;
    let inside = &s[1..close];
    let is_marker = inside.chars().any(|c| c.is_ascii_digit())
        && inside
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == ' ');
    is_marker.then_some(close + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citation_markers_and_emphasis_are_not_read_aloud() {
        assert_eq!(
            spoken("Use a **NAT gateway** [1]. Roles [2][3] and `aws iam` [1, 4]."),
            "Use a NAT gateway. Roles and aws iam."
        );
        assert_eq!(
            spoken("[1] Reading lessons\nA list [of things] and [] stays."),
            "Reading lessons\nA list [of things] and [] stays."
        );
    }
}
